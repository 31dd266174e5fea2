using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Ritual;
using Shequn.Features.Sandbox;
using Shequn.Features.Scripts;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;
using Shequn.Features.Workspaces;
using Shequn.Platform.Localization;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Ritual;

/// <summary>The ritual and the group rules on; no processor or dispatcher of its own: tests step the processor, so queued actions stay queued.</summary>
public sealed class RitualSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Ritual:Enabled", "true");
        builder.UseSetting("Enforcement:Enabled", "true");
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

public sealed class RitualPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Ritual:Enabled", "true");
        builder.UseSetting("Enforcement:Enabled", "true");
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

/// <summary>Joins in Sandbox groups greeted by the processor's ritual reaction; settings through the API.</summary>
public abstract class RitualTests(ShequnFactory factory)
{
    private const string Format = "城市-行业-昵称";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(TestWorkspace Ws, Guid Community, SandboxChat Chat, AsyncServiceScope Scope) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Scope.DisposeAsync();
    }

    private async Task<Setup> SetupAsync(string name = "仪式群")
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>();
        var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
        await DrainAsync(Processor);
        return new Setup(ws, c.Id, scope.ServiceProvider.GetRequiredService<SandboxChat>(), scope);
    }

    private EventProcessor Processor => factory.Services.GetRequiredService<EventProcessor>();

    private static async Task<int> DrainAsync(EventProcessor processor)
    {
        var total = 0;
        int n;
        while ((n = await processor.ProcessBatchAsync(EventProcessor.BatchSize, oneByOne: false, Ct)) > 0)
            total += n;
        return total;
    }

    private async Task IngestAsync(params CommunityEvent[] events) => await factory.Services.GetRequiredService<EventIngestor>().IngestAsync(events, Ct);

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private Task<List<OutboundAction>> ActionsAsync(Guid ws) =>
        DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => a.WorkspaceId == ws).OrderBy(a => a.CreatedAt).ThenBy(a => a.IdempotencyKey).ToListAsync(Ct));

    private static List<OutboundAction> Welcomes(IEnumerable<OutboundAction> actions) =>
        [.. actions.Where(a => a.IdempotencyKey.StartsWith(RitualReaction.WelcomeKeyPrefix, StringComparison.Ordinal))];

    private static string Text(OutboundAction a) => ActionPayload.FromJson(a.Payload).Text!;

    private async Task<long> SeqOfAsync(Guid ws, string userId, EventKind kind) =>
        await DbAsync(db => db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == ws && e.UserId == userId && e.Kind == kind)
            .OrderByDescending(e => e.Seq).Select(e => e.Seq).FirstAsync(Ct));

    private async Task SetFormatAsync(Guid ws, string format) => await DbAsync(async db =>
    {
        db.Set<RuleSet>().Add(new RuleSet { WorkspaceId = ws, Name = "默认", IsDefault = true, Spec = new RuleSetSpec { NicknameFormat = format }.ToJson() });
        await db.SaveChangesWithoutAuditAsync(Ct);
        factory.Services.GetRequiredService<RuleSetDirectory>().Invalidate(ws);
        return 0;
    });

    private static async Task<RitualSettingsDto> PutAsync(Setup s, object body) =>
        await (await s.Ws.Owner.Api.PutJsonAsync($"/api/communities/{s.Community}/ritual", body)).ReadAsync<RitualSettingsDto>();

    [Fact]
    public async Task Join_GetsOneWelcomeNamingTheNewcomerAndCommunity_DueAfterTheBurstWindow_AndAnIntroduceTask()
    {
        await using var s = await SetupAsync();
        var before = DateTime.UtcNow;
        var alice = await s.Chat.JoinAsync(s.Community, "Alice", null, Ct);
        await DrainAsync(Processor);

        var actions = await ActionsAsync(s.Ws.Id);
        var welcome = Assert.Single(Welcomes(actions));
        Assert.Equal((ActionKind.Send, ActionStatus.Queued), (welcome.Kind, welcome.Status));
        var text = Text(welcome);
        Assert.Contains("Alice", text, StringComparison.Ordinal);
        Assert.Contains("仪式群", text, StringComparison.Ordinal);
        Assert.Contains("我们是谁", text, StringComparison.Ordinal); // the community's intro
        Assert.Contains("自我介绍", text, StringComparison.Ordinal); // the self-introduction prompt rides in the same message
        Assert.DoesNotContain("{", text, StringComparison.Ordinal);
        Assert.InRange(welcome.NextAttemptAt, before.AddSeconds(55), DateTime.UtcNow.AddSeconds(65));
        var seq = await SeqOfAsync(s.Ws.Id, alice, EventKind.MemberJoined);
        Assert.Equal(seq, welcome.CausedByEventSeq);

        // The staff task to introduce the newcomer: an action in status task with its task, routed to the owner (nobody else here).
        var introduce = Assert.Single(actions, a => a.IdempotencyKey == RitualReaction.Key(seq, RitualReaction.IntroduceStep));
        Assert.Equal(ActionStatus.Task, introduce.Status);
        var task = await DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.ActionId == introduce.Id, Ct));
        Assert.Equal((s.Ws.Owner.Id, StaffTaskStatus.Open), (task.AssignedStaffId, task.Status));
        Assert.Contains("Alice", task.Text, StringComparison.Ordinal);
        Assert.Contains("推崇", task.Context, StringComparison.Ordinal);
        Assert.Equal(2, actions.Count);

        // A join hours ago (a backlog) is history: no welcome, no task.
        var late = SandboxChat.New(s.Ws.Id, s.Community, EventKind.MemberJoined, "sbx-late", "Late");
        late.OccurredAt = DateTime.UtcNow.AddHours(-7);
        await IngestAsync(late);
        await DrainAsync(Processor);
        var after = await ActionsAsync(s.Ws.Id);
        Assert.Equal(2, after.Count);
        Assert.DoesNotContain("Late", Text(Assert.Single(Welcomes(after))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InAnEnglishWorkspace_TheBuiltInTextsMembersRead_AreInEnglish_AndSoIsTheEditorsPreview()
    {
        await using var s = await SetupAsync("Ritual group");
        // The group rules check nicknames too (and say so in the group).
        await DbAsync(async db =>
        {
            db.Set<RuleSet>().Add(new RuleSet { WorkspaceId = s.Ws.Id, Name = "default", IsDefault = true, Spec = new RuleSetSpec { NicknameFormat = Format, Nickname = RuleMode.Enforce }.ToJson() });
            await db.SaveChangesWithoutAuditAsync(Ct);
            factory.Services.GetRequiredService<RuleSetDirectory>().Invalidate(s.Ws.Id);
            return 0;
        });
        Assert.Equal(HttpStatusCode.OK, (await s.Ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "en" })).StatusCode);
        await s.Chat.JoinAsync(s.Community, "Alice", null, Ct);
        await DrainAsync(Processor);

        var actions = await ActionsAsync(s.Ws.Id);
        var welcome = Text(Assert.Single(Welcomes(actions)));
        Assert.Contains("Welcome Alice to Ritual group", welcome, StringComparison.Ordinal);
        Assert.Contains("Please introduce yourself", welcome, StringComparison.Ordinal);
        // The nickname reminder of the ritual and the group rules' nickname warning, both in English.
        var sent = actions.Where(a => a.Kind == ActionKind.Send && !Welcomes(actions).Contains(a)).Select(Text).ToList();
        Assert.Contains(sent, t => t.Contains("please change your group nickname to the format", StringComparison.Ordinal));
        Assert.Contains(sent, t => t.Contains("please change your nickname in this group", StringComparison.Ordinal));
        Assert.DoesNotContain(sent, t => t.Contains('请', StringComparison.Ordinal)); // the Chinese texts ask with 请

        // The editor shows and previews the built-in texts the members would read.
        var settings = await s.Ws.Owner.Api.GetJsonAsync<RitualSettingsDto>($"/api/communities/{s.Community}/ritual");
        Assert.StartsWith("Welcome {nickname}", settings.WelcomeText, StringComparison.Ordinal);
        var preview = await (await s.Ws.Owner.Api.PostJsonAsync($"/api/communities/{s.Community}/ritual/preview", new { })).ReadAsync<RitualPreviewDto>();
        Assert.Contains("Welcome Xian-Health-Wang", preview.Greeting, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABurstOfTwentyFive_IsNamedByItsFirstTwentyAndCounted_WithOneIntroductionTask_UntilStaffTakeItUp()
    {
        await using var s = await SetupAsync();
        for (var i = 1; i <= 5; i++)
            await s.Chat.JoinAsync(s.Community, $"新人{i:00}", null, Ct);
        await DrainAsync(Processor);
        for (var i = 6; i <= 25; i++)
            await s.Chat.JoinAsync(s.Community, $"新人{i:00}", null, Ct);
        await DrainAsync(Processor);

        var actions = await ActionsAsync(s.Ws.Id);
        var text = Text(Assert.Single(Welcomes(actions)));
        Assert.Contains("新人01、新人02", text, StringComparison.Ordinal);
        Assert.Contains("新人20 等 25 位新朋友", text, StringComparison.Ordinal);
        Assert.DoesNotContain("新人21", text, StringComparison.Ordinal);
        var introduce = Assert.Single(actions, a => a.Status == ActionStatus.Task);
        var task = await DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.ActionId == introduce.Id, Ct));
        Assert.Contains("新人20 等 25 位新朋友", task.Text, StringComparison.Ordinal);
        Assert.Contains("新人20 等 25 位新朋友", ActionPayload.FromJson(introduce.Payload).TaskText, StringComparison.Ordinal);

        // Once staff did the task, a newcomer of the same burst gets a task of their own; the welcome still grows.
        await DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().Where(t => t.Id == task.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, StaffTaskStatus.Done), Ct));
        await s.Chat.JoinAsync(s.Community, "新人26", null, Ct);
        await DrainAsync(Processor);
        actions = await ActionsAsync(s.Ws.Id);
        Assert.Contains("等 26 位新朋友", Text(Assert.Single(Welcomes(actions))), StringComparison.Ordinal);
        var tasks = actions.Where(a => a.Status == ActionStatus.Task).ToList();
        Assert.Equal(2, tasks.Count);
        var second = await DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.ActionId != introduce.Id && t.CommunityId == s.Community, Ct));
        Assert.Contains("新人26", second.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("新人01", second.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABurstGrowingOnTwoNodes_IsNamedWholeByEach_TheNodeThatWroteLastDoesNotTrustWhatItRemembers()
    {
        // Each node remembers whom the welcome it wrote names; another node extending it in between must make it read again.
        await using var s = await SetupAsync();
        var services = factory.Services;
        var otherRitual = ActivatorUtilities.CreateInstance<RitualReaction>(services);
        var other = new EventProcessor(services.GetRequiredService<IServiceScopeFactory>(), new EventLogSignal(), services.GetRequiredService<WorkspaceZones>(),
            services.GetRequiredService<OutboxReactions>(), services.GetRequiredService<Enforcer>(),
            [.. services.GetServices<IBatchReaction>().Select(r => r is RitualReaction ? otherRitual : r)], NullLogger<EventProcessor>.Instance);
        async Task JoinAsync(int from, int to, EventProcessor on)
        {
            for (var i = from; i <= to; i++)
                await s.Chat.JoinAsync(s.Community, $"新人{i:00}", null, Ct);
            await DrainAsync(on);
        }
        await JoinAsync(1, 5, Processor);
        await JoinAsync(6, 10, other);
        await JoinAsync(11, 15, Processor);
        await JoinAsync(16, 18, other);

        var text = Text(Assert.Single(Welcomes(await ActionsAsync(s.Ws.Id))));
        for (var i = 1; i <= 18; i++)
            Assert.Contains($"新人{i:00}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheWorkspacesWelcomeScript_IsTheWelcome_InTheCommunitysOwnWords_WithTheRulesScript_AndCountsAUse()
    {
        await using var s = await SetupAsync();
        var api = s.Ws.Owner.Api;
        var url = $"/api/communities/{s.Community}/ritual";
        // Before the workspace has scripts, the built-in welcome.
        var builtIn = (await api.GetJsonAsync<RitualSettingsDto>(url)).WelcomeText;
        var scripts = await api.GetJsonAsync<List<ScriptDto>>("/api/scripts"); // makes the starting scripts
        var welcome = scripts.Single(x => x.Category == ScriptCategory.Welcome);
        Assert.NotEqual(builtIn, welcome.Text);
        Assert.Equal(welcome.Text, (await api.GetJsonAsync<RitualSettingsDto>(url)).WelcomeText);
        // Saving the shown text unchanged keeps following the library.
        await PutAsync(s, new { welcomeText = welcome.Text, burstSeconds = 45 });
        Assert.Null(await DbAsync(db => db.Set<RitualSettings>().IgnoreQueryFilters().AsNoTracking().Where(x => x.WorkspaceId == s.Ws.Id && x.CommunityId == s.Community).Select(x => x.WelcomeText).SingleAsync(Ct)));

        // The community's own words for the welcome script; its own rules fill {rules} (the rules script only stands in for none).
        (await api.PutJsonAsync($"/api/scripts/{welcome.Id}/communities/{s.Community}", new { text = "嗨 {nickname}！这里是{community}。\n{rules}" })).EnsureSuccessStatusCode();
        var preview = await (await api.PostJsonAsync($"{url}/preview", new { nicknames = new[] { "甲" } })).ReadAsync<RitualPreviewDto>();
        Assert.StartsWith("嗨 甲！这里是仪式群。", preview.Greeting, StringComparison.Ordinal);
        await s.Chat.JoinAsync(s.Community, "Alice", null, Ct);
        await DrainAsync(Processor);
        var text = Text(Assert.Single(Welcomes(await ActionsAsync(s.Ws.Id))));
        Assert.StartsWith("嗨 Alice！这里是仪式群。", text, StringComparison.Ordinal);
        Assert.Contains("改群名片", text, StringComparison.Ordinal);
        Assert.DoesNotContain("严禁发与本群宗旨无关的商业广告", text, StringComparison.Ordinal);
        Assert.DoesNotContain("{", text, StringComparison.Ordinal);
        Assert.Equal(1, (await api.GetJsonAsync<ScriptDto>($"/api/scripts/{welcome.Id}")).UsageCount);

        // A second newcomer joins the same welcome: still one use.
        await s.Chat.JoinAsync(s.Community, "Bob", null, Ct);
        await DrainAsync(Processor);
        Assert.Contains("Alice、Bob", Text(Assert.Single(Welcomes(await ActionsAsync(s.Ws.Id)))), StringComparison.Ordinal);
        Assert.Equal(1, (await api.GetJsonAsync<ScriptDto>($"/api/scripts/{welcome.Id}")).UsageCount);
    }

    [Fact]
    public void TheLibrary_FillsIntroAndRules_OnlyWhereTheCommunityHasNone_WithTheirVariables()
    {
        var library = new RitualLibrary(null, null, "本群是{community}，群主 {owner}", "不发广告");
        var filled = library.Fill(new RitualValues("甲", "仪式群", null, null, "店长"));
        Assert.Equal(("本群是仪式群，群主 店长", "不发广告"), (filled.Intro, filled.Rules));
        var own = library.Fill(new RitualValues("甲", "仪式群", "改群名片", "我们是谁", "店长"));
        Assert.Equal(("我们是谁", "改群名片"), (own.Intro, own.Rules));
        Assert.Equal(("甲", "仪式群"), (RitualLibrary.None.Fill(own).Nickname, RitualLibrary.None.Fill(own).Community));
    }

    [Fact]
    public async Task ThreeJoinsWithinTheWindow_GetOneWelcomeNamingAllThree()
    {
        await using var s = await SetupAsync();
        await s.Chat.JoinAsync(s.Community, "Alice", null, Ct);
        await DrainAsync(Processor);
        // Two more, processed together in a later batch.
        await s.Chat.JoinAsync(s.Community, "Bob", null, Ct);
        await s.Chat.JoinAsync(s.Community, "Carol", null, Ct);
        await DrainAsync(Processor);

        var welcome = Assert.Single(Welcomes(await ActionsAsync(s.Ws.Id)));
        var text = Text(welcome);
        Assert.Contains("Alice、Bob、Carol", text, StringComparison.Ordinal);
        Assert.Equal(3, await DbAsync(db => db.Set<RitualNewcomer>().IgnoreQueryFilters().CountAsync(n => n.WorkspaceId == s.Ws.Id && n.WelcomeActionId == welcome.Id, Ct)));

        // Once it went out, the next join starts a new welcome naming only the newcomer.
        await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.Id == welcome.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, ActionStatus.Done), Ct));
        await s.Chat.JoinAsync(s.Community, "Dave", null, Ct);
        await DrainAsync(Processor);
        var welcomes = Welcomes(await ActionsAsync(s.Ws.Id));
        Assert.Equal(2, welcomes.Count);
        var second = Text(welcomes.Single(w => w.Id != welcome.Id));
        Assert.Contains("Dave", second, StringComparison.Ordinal);
        Assert.DoesNotContain("Alice", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NicknameNotMatching_GetsAReminderLater_ThatAMatchingChangeCancels_WithAThankYou()
    {
        await using var s = await SetupAsync();
        await SetFormatAsync(s.Ws.Id, Format);
        var before = DateTime.UtcNow;
        var bob = await s.Chat.JoinAsync(s.Community, "bob", null, Ct);
        await s.Chat.JoinAsync(s.Community, "西安-医疗-小王", null, Ct);
        await DrainAsync(Processor);

        var joinSeq = await SeqOfAsync(s.Ws.Id, bob, EventKind.MemberJoined);
        var actions = await ActionsAsync(s.Ws.Id);
        var reminder = Assert.Single(actions, a => a.IdempotencyKey.EndsWith($":{RitualReaction.ReactionName}:{RitualReaction.ReminderStep}", StringComparison.Ordinal));
        Assert.Equal(RitualReaction.Key(joinSeq, RitualReaction.ReminderStep), reminder.IdempotencyKey);
        Assert.Equal(ActionStatus.Queued, reminder.Status);
        Assert.InRange(reminder.NextAttemptAt, before.AddMinutes(9.9), DateTime.UtcNow.AddMinutes(10.1));
        Assert.Contains("bob", Text(reminder), StringComparison.Ordinal);
        Assert.Contains(Format, Text(reminder), StringComparison.Ordinal);

        await IngestAsync(SandboxChat.New(s.Ws.Id, s.Community, EventKind.NicknameChanged, bob, "西安-医疗-Bob"));
        await DrainAsync(Processor);
        var fixSeq = await SeqOfAsync(s.Ws.Id, bob, EventKind.NicknameChanged);
        actions = await ActionsAsync(s.Ws.Id);
        // The reminder never goes out: it stays in the outbox as cancelled, saying why.
        var cancelled = actions.Single(a => a.Id == reminder.Id);
        Assert.Equal(ActionStatus.Cancelled, cancelled.Status);
        Assert.NotNull(cancelled.CompletedAt);
        Assert.Contains("Ritual.Cancelled.NicknameFixed", cancelled.ErrorReason, StringComparison.Ordinal);
        var thanks = Assert.Single(actions, a => a.IdempotencyKey == RitualReaction.Key(fixSeq, RitualReaction.ThanksStep));
        Assert.Contains("西安-医疗-Bob", Text(thanks), StringComparison.Ordinal);
        Assert.True(thanks.NextAttemptAt <= DateTime.UtcNow.AddSeconds(1));
        Assert.NotNull(await DbAsync(db => db.Set<RitualNewcomer>().IgnoreQueryFilters().Where(n => n.WorkspaceId == s.Ws.Id && n.EventSeq == joinSeq).Select(n => n.NicknameFixedAt).SingleAsync(Ct)));

        // A second change is not thanked again.
        await IngestAsync(SandboxChat.New(s.Ws.Id, s.Community, EventKind.NicknameChanged, bob, "北京-教育-Bob"));
        await DrainAsync(Processor);
        Assert.Equal(actions.Count, (await ActionsAsync(s.Ws.Id)).Count);
    }

    [Fact]
    public async Task AReminderThatWentOut_IsThankedForWhenTheNicknameIsFixed()
    {
        await using var s = await SetupAsync();
        await SetFormatAsync(s.Ws.Id, Format);
        var carol = await s.Chat.JoinAsync(s.Community, "carol", null, Ct);
        await DrainAsync(Processor);
        var reminder = Assert.Single(await ActionsAsync(s.Ws.Id), a => a.IdempotencyKey.EndsWith(":ritual:0", StringComparison.Ordinal));
        await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.Id == reminder.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, ActionStatus.Done), Ct));

        await IngestAsync(SandboxChat.New(s.Ws.Id, s.Community, EventKind.NicknameChanged, carol, "上海-金融-Carol"));
        await DrainAsync(Processor);
        var actions = await ActionsAsync(s.Ws.Id);
        Assert.Equal(ActionStatus.Done, actions.Single(a => a.Id == reminder.Id).Status);
        Assert.Contains(actions, a => a.IdempotencyKey.EndsWith(":ritual:2", StringComparison.Ordinal) && Text(a).Contains("上海-金融-Carol", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ANewcomerWhoLeftBeforeTheReminder_IsNotReminded()
    {
        await using var s = await SetupAsync();
        await SetFormatAsync(s.Ws.Id, Format);
        var dave = await s.Chat.JoinAsync(s.Community, "dave", null, Ct);
        await DrainAsync(Processor);
        var reminder = Assert.Single(await ActionsAsync(s.Ws.Id), a => a.IdempotencyKey.EndsWith(":ritual:0", StringComparison.Ordinal));

        await s.Chat.LeaveAsync(s.Community, dave, "dave", Ct);
        await DrainAsync(Processor);
        var cancelled = (await ActionsAsync(s.Ws.Id)).Single(a => a.Id == reminder.Id);
        Assert.Equal(ActionStatus.Cancelled, cancelled.Status);
        Assert.Equal("The newcomer left before the reminder went out.", cancelled.Error);
        // Cancelled actions are never sent, even once due: the dispatcher leaves them alone.
        await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.Id == reminder.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.NextAttemptAt, DateTime.UtcNow.AddMinutes(-1)), Ct));
        await factory.Services.GetRequiredService<OutboxDispatcher>().DispatchOnceAsync(Ct);
        Assert.Equal(ActionStatus.Cancelled, (await ActionsAsync(s.Ws.Id)).Single(a => a.Id == reminder.Id).Status);

        // Nor thanked when they come back under a good nickname: there is no reminder to settle.
        await IngestAsync(SandboxChat.New(s.Ws.Id, s.Community, EventKind.NicknameChanged, dave, "杭州-电商-Dave"));
        await DrainAsync(Processor);
        Assert.DoesNotContain(await ActionsAsync(s.Ws.Id), a => a.IdempotencyKey.EndsWith(":ritual:2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABlacklistedPersonRemovedOnArrival_IsNotGreeted()
    {
        await using var s = await SetupAsync();
        await DbAsync(async db =>
        {
            db.Set<BlacklistEntry>().Add(new BlacklistEntry { WorkspaceId = s.Ws.Id, Platform = ChatPlatform.Sandbox, UserId = "sbx-banned", UserName = "Spammer" });
            await db.SaveChangesWithoutAuditAsync(Ct);
            return 0;
        });
        await IngestAsync(SandboxChat.New(s.Ws.Id, s.Community, EventKind.MemberJoined, "sbx-banned", "Spammer"));
        await s.Chat.JoinAsync(s.Community, "Welcome", null, Ct);
        await DrainAsync(Processor);

        var actions = await ActionsAsync(s.Ws.Id);
        Assert.Contains(actions, a => a.Kind == ActionKind.Remove);
        var text = Text(Assert.Single(Welcomes(actions)));
        Assert.Contains("Welcome", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Spammer", text, StringComparison.Ordinal);
        Assert.Single(actions, a => a.Status == ActionStatus.Task);
    }

    [Fact]
    public async Task QuietHours_HoldTheWelcomeUntilTheyEnd()
    {
        await using var s = await SetupAsync();
        var zone = await factory.Services.GetRequiredService<WorkspaceZones>().GetAsync(s.Ws.Id, Ct);
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, zone);
        var start = local.AddHours(-1);
        var end = local.AddHours(2);
        var saved = await PutAsync(s, new { quietHoursEnabled = true, quietStart = start.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), quietEnd = end.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) });
        Assert.True(saved.QuietHoursEnabled);
        Assert.True(saved.Saved);

        await s.Chat.JoinAsync(s.Community, "Night", null, Ct);
        await DrainAsync(Processor);
        var welcome = Assert.Single(Welcomes(await ActionsAsync(s.Ws.Id)));
        var endLocal = new DateTime(end.Year, end.Month, end.Day, end.Hour, end.Minute, 0, DateTimeKind.Unspecified);
        Assert.Equal(TimeZoneInfo.ConvertTimeToUtc(endLocal, zone), welcome.NextAttemptAt);

        // Pure: a span over midnight ends the next morning.
        var settings = new RitualSettings { QuietHoursEnabled = true, QuietStartMinute = 22 * 60, QuietEndMinute = 8 * 60 };
        var utc8 = TimeZoneInfo.CreateCustomTimeZone("UTC+8", TimeSpan.FromHours(8), "UTC+8", "UTC+8");
        Assert.Equal(new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc), QuietHours.Hold(new DateTime(2026, 12, 3, 15, 30, 0, DateTimeKind.Utc), utc8, settings));
        Assert.Equal(new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc), QuietHours.Hold(new DateTime(2026, 12, 3, 18, 0, 0, DateTimeKind.Utc), utc8, settings));
        Assert.Equal(new DateTime(2026, 12, 4, 1, 0, 0, DateTimeKind.Utc), QuietHours.Hold(new DateTime(2026, 12, 4, 1, 0, 0, DateTimeKind.Utc), utc8, settings));
    }

    [Fact]
    public async Task SwitchingStepsOff_MeansNoWelcomeAndNoTask()
    {
        await using var s = await SetupAsync();
        var saved = await PutAsync(s, new { welcomeEnabled = false, selfIntroEnabled = false, introduceTaskEnabled = false });
        Assert.False(saved.WelcomeEnabled);
        await s.Chat.JoinAsync(s.Community, "Quiet", null, Ct);
        await DrainAsync(Processor);
        Assert.Empty(await ActionsAsync(s.Ws.Id));

        // The prompt alone still goes out when only the welcome is off.
        await PutAsync(s, new { selfIntroEnabled = true });
        await s.Chat.JoinAsync(s.Community, "Prompted", null, Ct);
        await DrainAsync(Processor);
        var text = Text(Assert.Single(Welcomes(await ActionsAsync(s.Ws.Id))));
        Assert.Contains("自我介绍", text, StringComparison.Ordinal);
        Assert.DoesNotContain("欢迎", text, StringComparison.Ordinal);

        // The whole ritual off: nothing at all.
        await PutAsync(s, new { enabled = false, welcomeEnabled = true, introduceTaskEnabled = true });
        await s.Chat.JoinAsync(s.Community, "Nobody", null, Ct);
        await DrainAsync(Processor);
        Assert.Single(await ActionsAsync(s.Ws.Id));
    }

    [Fact]
    public async Task Settings_DefaultsValidationRolesAndPreview()
    {
        await using var s = await SetupAsync();
        var api = s.Ws.Owner.Api;
        var url = $"/api/communities/{s.Community}/ritual";
        var defaults = await api.GetJsonAsync<RitualSettingsDto>(url);
        Assert.False(defaults.Saved);
        Assert.True(defaults.Enabled && defaults.WelcomeEnabled && defaults.SelfIntroEnabled && defaults.IntroduceTaskEnabled && defaults.NicknameCheckEnabled);
        Assert.False(defaults.QuietHoursEnabled);
        Assert.Equal((60, 10, "22:00", "08:00"), (defaults.BurstSeconds, defaults.NicknameReminderMinutes, defaults.QuietStart, defaults.QuietEnd));
        Assert.Contains("{nickname}", defaults.WelcomeText, StringComparison.Ordinal);
        Assert.Null(defaults.NicknameFormat);

        var errors = await (await api.PutJsonAsync(url, new { welcomeText = "欢迎 {name} 加入 {community}" })).ReadValidationErrorsAsync();
        Assert.Contains("{name}", Assert.Single(errors["welcomeText"]), StringComparison.Ordinal);
        errors = await (await api.PutJsonAsync(url, new { burstSeconds = -1, quietStart = "25:99", nicknameReminderText = "{nickname} {oops}" })).ReadValidationErrorsAsync();
        Assert.Equal(new[] { "burstSeconds", "nicknameReminderText", "quietStart" }, errors.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("{oops}", errors["nicknameReminderText"][0], StringComparison.Ordinal);
        errors = await (await api.PostJsonAsync($"{url}/preview", new { settings = new { selfIntroText = "{bad}" } })).ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("selfIntroText"));
        Assert.False((await api.GetJsonAsync<RitualSettingsDto>(url)).Saved); // nothing saved by the refusals

        var saved = await PutAsync(s, new { welcomeText = "你好 {nickname}，这里是{community}！", burstSeconds = 30, nicknameReminderText = "{nickname} 请按 {format} 改名" });
        Assert.Equal(("你好 {nickname}，这里是{community}！", 30), (saved.WelcomeText, saved.BurstSeconds));
        // An empty text goes back to the built-in one.
        Assert.Equal(defaults.WelcomeText, (await PutAsync(s, new { welcomeText = "" })).WelcomeText);

        var preview = await (await api.PostJsonAsync($"{url}/preview", new { settings = new { welcomeText = "嗨 {nickname}，欢迎来到{community}" }, nicknames = new[] { "甲", "乙" } })).ReadAsync<RitualPreviewDto>();
        Assert.StartsWith("嗨 甲、乙，欢迎来到仪式群", preview.Greeting, StringComparison.Ordinal);
        Assert.Null(preview.Reminder); // no nickname format in the rule set
        Assert.Contains("甲、乙", preview.IntroduceTask, StringComparison.Ordinal);

        // KOCs read but do not change; staff of other communities do not see it.
        var koc = await s.Ws.AddStaffAsync(StaffRole.Koc, "KOC", s.Community);
        Assert.Equal(HttpStatusCode.OK, (await koc.Api.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PutJsonAsync(url, new { burstSeconds = 10 })).StatusCode);
        var outsider = await s.Ws.AddStaffAsync(StaffRole.Operator, "Other");
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.Api.GetAsync(url, Ct)).StatusCode);
        var operatorHere = await s.Ws.AddStaffAsync(StaffRole.Operator, "Op", s.Community);
        Assert.Equal(10, (await (await operatorHere.Api.PutJsonAsync(url, new { burstSeconds = 10 })).ReadAsync<RitualSettingsDto>()).BurstSeconds);
    }

    [Fact]
    public async Task ARolledBackBatch_ARestart_AndASecondProcessor_WelcomeOnce()
    {
        await using var s = await SetupAsync();
        await s.Chat.JoinAsync(s.Community, "Alice", null, Ct);

        // The processor's work up to the commit, then a crash: nothing of it may remain.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var checkpoint = await db.Set<EventCheckpoint>().Where(c => c.Name == EventProcessor.CheckpointName).Select(c => c.Seq).SingleAsync(Ct);
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            var events = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.Seq > checkpoint).OrderBy(e => e.Seq).ToListAsync(Ct);
            var effects = new EventEffects(db, factory.Services.GetRequiredService<WorkspaceZones>());
            await effects.ApplyAsync(events, Ct);
            var reaction = factory.Services.GetServices<IBatchReaction>().OfType<RitualReaction>().Single();
            Assert.Equal(1, await reaction.ReactAsync(db, events, effects, Ct));
            await db.SaveChangesWithoutAuditAsync(Ct);
            await tx.RollbackAsync(Ct);
        }
        Assert.Empty(await ActionsAsync(s.Ws.Id));

        Assert.Equal(1, await DrainAsync(Processor));
        Assert.Equal(0, await DrainAsync(Processor));

        // Another node (its own processor and reaction, nothing in memory): the next join joins the same welcome.
        var sp = factory.Services;
        var otherReaction = new RitualReaction(sp.GetRequiredService<RuleSetDirectory>(), sp.GetRequiredService<WorkspaceZones>(),
            sp.GetRequiredService<JsonStringLocalizerFactory>(), TimeProvider.System, sp.GetRequiredService<IOptions<RitualOptions>>(),
            sp.GetRequiredService<IOptions<EnforcementOptions>>(), sp.GetRequiredService<TaskOpener>());
        var other = new EventProcessor(sp.GetRequiredService<IServiceScopeFactory>(), new EventLogSignal(), sp.GetRequiredService<WorkspaceZones>(),
            sp.GetRequiredService<OutboxReactions>(), sp.GetRequiredService<Enforcer>(), [otherReaction], NullLogger<EventProcessor>.Instance);
        Assert.Equal(0, await DrainAsync(other));
        await s.Chat.JoinAsync(s.Community, "Bob", null, Ct);
        Assert.Equal(1, await DrainAsync(other));
        Assert.Equal(0, await DrainAsync(Processor));

        var actions = await ActionsAsync(s.Ws.Id);
        var welcome = Assert.Single(Welcomes(actions));
        Assert.Contains("Alice、Bob", Text(welcome), StringComparison.Ordinal);
        // One introduction task per burst too: the open one now names both.
        var introduce = Assert.Single(actions, a => a.Status == ActionStatus.Task);
        var task = await DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.ActionId == introduce.Id, Ct));
        Assert.Contains("Alice、Bob", task.Text, StringComparison.Ordinal);
        Assert.Contains("Alice、Bob", task.Context, StringComparison.Ordinal);
        Assert.Equal(actions.Count, actions.Select(a => a.IdempotencyKey).Distinct().Count());
        Assert.Equal(2, await DbAsync(db => db.Set<RitualNewcomer>().IgnoreQueryFilters().CountAsync(n => n.WorkspaceId == s.Ws.Id && n.CommunityId == s.Community, Ct)));
    }
}

public sealed class RitualSqliteTests(RitualSqliteFactory factory) : RitualTests(factory), IClassFixture<RitualSqliteFactory>;

public sealed class RitualPostgresTests(RitualPostgresFactory factory) : RitualTests(factory), IClassFixture<RitualPostgresFactory>;
