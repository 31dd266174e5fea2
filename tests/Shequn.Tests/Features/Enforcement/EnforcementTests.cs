using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Enforcement;

/// <summary>Enforcement on, announcements sent at once (no burst wait), the real dispatcher and Sandbox connector.</summary>
public sealed class EnforcingSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Enforcement:Enabled", "true");
        builder.UseSetting("Enforcement:AnnouncementDelay", "00:00:00");
    }
}

public sealed class EnforcingPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Enforcement:Enabled", "true");
        builder.UseSetting("Enforcement:AnnouncementDelay", "00:00:00");
    }
}

/// <summary>Messages posted in Sandbox groups, checked by the processor, acted on through the outbox.</summary>
public abstract class EnforcementTests(ShequnFactory factory)
{
    private const string Ad = EnforcementRulesTests.Ad;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(TestWorkspace Ws, Guid Community, SandboxChat Chat, AsyncServiceScope Scope) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Scope.DisposeAsync();
    }

    private async Task<Setup> SetupAsync(string platform = "sandbox", string tier = "comprehensive")
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("规则群", platform, tier: tier))).ReadAsync<CommunityDto>();
        var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
        return new Setup(ws, c.Id, scope.ServiceProvider.GetRequiredService<SandboxChat>(), scope);
    }

    private static async Task<Guid> AnotherCommunityAsync(TestWorkspace ws, string name, string platform = "sandbox") =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform))).ReadAsync<CommunityDto>()).Id;

    private Task CaughtUpAsync() => factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private Task<List<ModerationCase>> CasesAsync(Guid ws) =>
        DbAsync(db => db.Set<ModerationCase>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws).OrderBy(c => c.EventSeq).ToListAsync(Ct));

    private Task<List<OutboundAction>> ActionsAsync(Guid ws) =>
        DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => a.WorkspaceId == ws).OrderBy(a => a.CreatedAt).ThenBy(a => a.IdempotencyKey).ToListAsync(Ct));

    /// <summary>Processes the log, then waits until the dispatcher settled every action (and the processor applied what they reported).</summary>
    private async Task SettledAsync(Guid ws)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await CaughtUpAsync();
            var open = (await ActionsAsync(ws)).Count(a => a.Status is ActionStatus.Queued or ActionStatus.Sending);
            if (open == 0)
                break;
            Assert.True(DateTime.UtcNow < deadline, $"{open} actions still open");
            await Task.Delay(50, Ct);
        }
        await CaughtUpAsync();
    }

    private async Task SetRuleSetAsync(Guid ws, RuleSetSpec spec) => await DbAsync(async db =>
    {
        db.Set<RuleSet>().Add(new RuleSet { WorkspaceId = ws, Name = "默认", IsDefault = true, Spec = spec.ToJson() });
        await db.SaveChangesWithoutAuditAsync(Ct);
        factory.Services.GetRequiredService<RuleSetDirectory>().Invalidate(ws);
        return 0;
    });

    [Fact]
    public async Task Ad_IsDeletedAndWarned_ThenMuted_ThenRemovedWithOneAnnouncement()
    {
        await using var s = await SetupAsync();
        var alice = await s.Chat.JoinAsync(s.Community, "Alice", null, Ct);
        await s.Chat.PostAsync(s.Community, alice, "Alice", "大家好", fromStaff: false, Ct);
        await s.Chat.PostAsync(s.Community, alice, "Alice", Ad, fromStaff: false, Ct);
        await SettledAsync(s.Ws.Id);

        var first = Assert.Single(await CasesAsync(s.Ws.Id));
        Assert.Equal((CaseDecision.Act, LadderAction.Delete, 1), (first.Decision, first.Action, first.Violations));
        Assert.Contains(first.Rule, new[] { Rules.Ads, Rules.Solicitation });
        Assert.Equal(Ad, first.Text);
        Assert.True(first.Score >= 0.9);
        Assert.Contains("\"rule\":\"WeChatId\"", first.Evidence, StringComparison.Ordinal);
        var actions = (await ActionsAsync(s.Ws.Id)).Where(a => a.CausedByEventSeq == first.EventSeq).ToList();
        Assert.Equal([ActionKind.DeleteMessage, ActionKind.Send], actions.OrderBy(a => a.IdempotencyKey).Select(a => a.Kind));
        Assert.All(actions, a => Assert.Equal(ActionStatus.Done, a.Status));
        Assert.All(actions, a => Assert.StartsWith($"event:{first.EventSeq}:enforce:", a.IdempotencyKey, StringComparison.Ordinal));
        var warning = ActionPayload.FromJson(actions.Single(a => a.Kind == ActionKind.Send).Payload).Text!;
        Assert.Contains("Alice", warning, StringComparison.Ordinal);
        Assert.Contains("请遵守群规", warning, StringComparison.Ordinal);
        var lines = await s.Chat.RecentAsync(s.Community, 20, Ct);
        Assert.Contains(lines, l => l.MessageId == first.MessageId && l.Deleted);

        await s.Chat.PostAsync(s.Community, alice, "Alice", Ad + " 再发一次", fromStaff: false, Ct);
        await SettledAsync(s.Ws.Id);
        var second = (await CasesAsync(s.Ws.Id))[1];
        Assert.Equal((LadderAction.Mute, 2), (second.Action, second.Violations));
        var restrict = (await ActionsAsync(s.Ws.Id)).Single(a => a.CausedByEventSeq == second.EventSeq && a.Kind == ActionKind.Restrict);
        Assert.True(ActionPayload.FromJson(restrict.Payload).Until > DateTimeOffset.UtcNow.AddMinutes(50));

        await s.Chat.PostAsync(s.Community, alice, "Alice", Ad + " 第三次", fromStaff: false, Ct);
        await SettledAsync(s.Ws.Id);
        var third = (await CasesAsync(s.Ws.Id))[2];
        Assert.Equal((LadderAction.Remove, 3), (third.Action, third.Violations));
        var all = await ActionsAsync(s.Ws.Id);
        Assert.Contains(all, a => a.CausedByEventSeq == third.EventSeq && a.Kind == ActionKind.Remove && a.Status == ActionStatus.Done);
        var announcement = Assert.Single(all, a => a.IdempotencyKey.StartsWith(Enforcer.AnnouncementKeyPrefix, StringComparison.Ordinal));
        Assert.Equal(ActionStatus.Done, announcement.Status);
        var text = ActionPayload.FromJson(announcement.Payload).Text!;
        Assert.Contains("Alice", text, StringComparison.Ordinal);
        Assert.Contains("移出", text, StringComparison.Ordinal);
        Assert.Empty(await s.Chat.MembersAsync(s.Community, Ct));
    }

    [Fact]
    public async Task Removals_InOneBurst_AreAnnouncedOnce_NamingEveryone()
    {
        await using var s = await SetupAsync();
        await SetRuleSetAsync(s.Ws.Id, new RuleSetSpec { Ladder = [new(LadderAction.Remove)] });
        var ids = new List<string>();
        foreach (var name in new[] { "Bob", "Carol" })
            ids.Add(await s.Chat.JoinAsync(s.Community, name, null, Ct));
        // Both in one batch: the processor is not woken in between.
        await s.Chat.PostAsync(s.Community, ids[0], "Bob", Ad, fromStaff: false, Ct);
        await s.Chat.PostAsync(s.Community, ids[1], "Carol", Ad + "!", fromStaff: false, Ct);
        await SettledAsync(s.Ws.Id);
        Assert.Equal(2, (await CasesAsync(s.Ws.Id)).Count(c => c.Action == LadderAction.Remove));
        var announcements = (await ActionsAsync(s.Ws.Id)).Where(a => a.IdempotencyKey.StartsWith(Enforcer.AnnouncementKeyPrefix, StringComparison.Ordinal)).ToList();
        var all = string.Join("|", announcements.Select(a => ActionPayload.FromJson(a.Payload).Text));
        Assert.Contains("Bob", all, StringComparison.Ordinal);
        Assert.Contains("Carol", all, StringComparison.Ordinal);
        // When both removals fall in one processor batch they share one announcement; at most one per removal otherwise.
        Assert.InRange(announcements.Count, 1, 2);
    }

    [Fact]
    public async Task Flood_SeventhMessageInTenSeconds_Acts()
    {
        await using var s = await SetupAsync();
        var dan = await s.Chat.JoinAsync(s.Community, "Dan", null, Ct);
        for (var i = 0; i < 7; i++)
            await s.Chat.PostAsync(s.Community, dan, "Dan", "哈哈" + i, fromStaff: false, Ct);
        await SettledAsync(s.Ws.Id);
        var c = Assert.Single(await CasesAsync(s.Ws.Id));
        Assert.Equal((Rules.Flood, CaseDecision.Act, LadderAction.Delete), (c.Rule, c.Decision, c.Action));
        Assert.Equal("哈哈6", c.Text);
    }

    [Fact]
    public async Task SameText_InTwoCommunities_IsCrossCommunitySpam()
    {
        await using var s = await SetupAsync();
        var other = await AnotherCommunityAsync(s.Ws, "另一个群");
        var eve = await s.Chat.JoinAsync(s.Community, "Eve", null, Ct);
        const string text = "今天直播间全场五折优惠快来看看吧";
        await s.Chat.PostAsync(s.Community, eve, "Eve", text, fromStaff: false, Ct);
        await CaughtUpAsync();
        Assert.Empty(await CasesAsync(s.Ws.Id));
        await s.Chat.PostAsync(other, eve, "Eve", "今天直播间 全场五折优惠！快来看看吧～", fromStaff: false, Ct);
        await SettledAsync(s.Ws.Id);
        var c = Assert.Single(await CasesAsync(s.Ws.Id));
        Assert.Equal((Rules.CrossCommunity, other, CaseDecision.Act), (c.Rule, c.CommunityId, c.Decision));
        Assert.Contains("\"rule\":\"cross-community\"", c.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Staff_Kocs_AndNamedMembers_AreExempt()
    {
        await using var s = await SetupAsync();
        var koc = await s.Chat.JoinAsync(s.Community, "Koc", null, Ct);
        var named = await s.Chat.JoinAsync(s.Community, "Named", null, Ct);
        await CaughtUpAsync();
        var members = await DbAsync(async db =>
        {
            var rows = await db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.WorkspaceId == s.Ws.Id).ToDictionaryAsync(i => i.UserId, i => i.MemberId, Ct);
            var kocMember = await db.Members.IgnoreQueryFilters().SingleAsync(m => m.Id == rows[koc], Ct);
            kocMember.Layer = MemberLayer.Koc;
            await db.SaveChangesWithoutAuditAsync(Ct);
            return rows;
        });
        await SetRuleSetAsync(s.Ws.Id, new RuleSetSpec { ExemptMembers = [members[named]] });
        await s.Chat.PostAsync(s.Community, koc, "Koc", Ad, fromStaff: false, Ct);
        await s.Chat.PostAsync(s.Community, named, "Named", Ad, fromStaff: false, Ct);
        await s.Chat.PostAsync(s.Community, "staff-1", "客服", Ad, fromStaff: true, Ct);
        await CaughtUpAsync();
        Assert.Empty(await CasesAsync(s.Ws.Id));

        // Without the exemptions the same posts are acted on.
        await SetRuleSetAsync2(s.Ws.Id, new RuleSetSpec { ExemptKocs = false });
        await s.Chat.PostAsync(s.Community, koc, "Koc", Ad + "。", fromStaff: false, Ct);
        await s.Chat.PostAsync(s.Community, named, "Named", Ad + "。", fromStaff: false, Ct);
        await CaughtUpAsync();
        Assert.Equal(["Koc", "Named"], (await CasesAsync(s.Ws.Id)).Select(c => c.UserName));
    }

    private async Task SetRuleSetAsync2(Guid ws, RuleSetSpec spec) => await DbAsync(async db =>
    {
        var set = await db.Set<RuleSet>().IgnoreQueryFilters().SingleAsync(r => r.WorkspaceId == ws && r.IsDefault, Ct);
        set.Spec = spec.ToJson();
        set.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesWithoutAuditAsync(Ct);
        factory.Services.GetRequiredService<RuleSetDirectory>().Invalidate(ws);
        return 0;
    });

    [Fact]
    public async Task BlacklistStep_KeepsThePersonOut_OfEveryCommunity()
    {
        await using var s = await SetupAsync();
        await SetRuleSetAsync(s.Ws.Id, new RuleSetSpec { Ladder = [new(LadderAction.Blacklist)] });
        var other = await AnotherCommunityAsync(s.Ws, "第二个群");
        var mallory = await s.Chat.JoinAsync(s.Community, "Mallory", null, Ct);
        await s.Chat.PostAsync(s.Community, mallory, "Mallory", Ad, fromStaff: false, Ct);
        await SettledAsync(s.Ws.Id);
        var c = Assert.Single(await CasesAsync(s.Ws.Id));
        Assert.Equal(LadderAction.Blacklist, c.Action);
        var entry = await DbAsync(db => db.Set<BlacklistEntry>().IgnoreQueryFilters().SingleAsync(b => b.WorkspaceId == s.Ws.Id, Ct));
        Assert.Equal((mallory, c.Id, ChatPlatform.Sandbox), (entry.UserId, entry.CaseId, entry.Platform));
        Assert.Contains(await ActionsAsync(s.Ws.Id), a => a.Kind == ActionKind.Ban && a.Status == ActionStatus.Done);

        // They come back in another community: removed on arrival.
        var ingestor = factory.Services.GetRequiredService<EventIngestor>();
        var join = SandboxChat.New(s.Ws.Id, other, EventKind.MemberJoined, mallory, "Mallory2");
        await ingestor.IngestAsync([join], Ct);
        await SettledAsync(s.Ws.Id);
        var arrival = (await CasesAsync(s.Ws.Id)).Single(x => x.Rule == Rules.Blacklist);
        Assert.Equal((other, CaseDecision.Act, LadderAction.Remove), (arrival.CommunityId, arrival.Decision, arrival.Action));
        var remove = (await ActionsAsync(s.Ws.Id)).Single(a => a.CausedByEventSeq == arrival.EventSeq);
        Assert.Equal((ActionKind.Remove, ActionStatus.Done, other), (remove.Kind, remove.Status, remove.CommunityId));
        Assert.Empty(await s.Chat.MembersAsync(other, Ct));
    }

    [Fact]
    public async Task BlacklistedJoinRequest_OnTelegram_IsDeclined()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tg = await AnotherCommunityAsync(ws, "电报群", "telegram");
        await DbAsync(async db =>
        {
            db.Set<BlacklistEntry>().Add(new BlacklistEntry { WorkspaceId = ws.Id, Platform = ChatPlatform.Telegram, UserId = "777", Reason = "spam" });
            await db.SaveChangesWithoutAuditAsync(Ct);
            return 0;
        });
        var request = new CommunityEvent
        {
            WorkspaceId = ws.Id, Platform = ChatPlatform.Telegram, PlatformEventId = "tg-jr-" + Guid.NewGuid().ToString("N"), Kind = EventKind.JoinRequested,
            OccurredAt = DateTime.UtcNow, CommunityId = tg, UserId = "777", UserName = "spammer",
        };
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([request], Ct);
        await CaughtUpAsync();
        var c = Assert.Single(await CasesAsync(ws.Id));
        Assert.Equal((Rules.Blacklist, CaseDecision.Act), (c.Rule, c.Decision));
        var decline = Assert.Single(await ActionsAsync(ws.Id));
        Assert.Equal((ActionKind.DeclineJoin, "777"), (decline.Kind, ActionPayload.FromJson(decline.Payload).UserId));
    }

    [Fact]
    public async Task LateMessages_AreLoggedForReview_NotActedOn()
    {
        await using var s = await SetupAsync();
        var old = SandboxChat.New(s.Ws.Id, s.Community, EventKind.MessagePosted, "sbx-old", "Old");
        old.OccurredAt = DateTime.UtcNow.AddHours(-7);
        old.Text = Ad;
        old.MessageId = old.PlatformEventId;
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([old], Ct);
        await CaughtUpAsync();
        var c = Assert.Single(await CasesAsync(s.Ws.Id));
        Assert.Equal((CaseDecision.Review, (LadderAction?)null), (c.Decision, c.Action));
        Assert.Empty(await ActionsAsync(s.Ws.Id));
    }

    [Fact]
    public async Task AdsTier_AllowsAds()
    {
        await using var s = await SetupAsync(tier: "ads");
        var frank = await s.Chat.JoinAsync(s.Community, "Frank", null, Ct);
        await s.Chat.PostAsync(s.Community, frank, "Frank", "优惠代购 加微信 wxid_abc12345 电话 13812345678", fromStaff: false, Ct);
        await CaughtUpAsync();
        Assert.Empty(await CasesAsync(s.Ws.Id));
    }
}

public sealed class EnforcementSqliteTests(EnforcingSqliteFactory factory) : EnforcementTests(factory), IClassFixture<EnforcingSqliteFactory>;

public sealed class EnforcementPostgresTests(EnforcingPostgresFactory factory) : EnforcementTests(factory), IClassFixture<EnforcingPostgresFactory>;
