using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Outbox = Shequn.Tests.Features.Outbox;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Calendar;

/// <summary>The scheduler and the dispatcher are stepped by the tests (<see cref="PostScheduler.RunOnceAsync"/>, <see cref="OutboxDispatcher.DispatchOnceAsync"/>).</summary>
public sealed class PostsSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Posts:SchedulerEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

public sealed class PostsPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Posts:SchedulerEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

/// <summary>
/// Posts end to end: planned through <c>/api/posts</c> with the approval flow, handed to the outbox once by the
/// scheduler at their time (late within the grace period, else missed), sent by the dispatcher through the Sandbox
/// connector, and their per-community status read back.
/// </summary>
public abstract class PostTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Soon => DateTimeOffset.UtcNow.AddHours(2);

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name, string platform = "sandbox", string tier = "comprehensive") =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform, tier: tier))).ReadAsync<CommunityDto>()).Id;

    /// <summary>Moves a post's copies to a time in the past, as if the clock had reached it (or the app had been down).</summary>
    private Task<int> MakeDueAsync(Guid postId, TimeSpan ago) => DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.PostId == postId)
        .ExecuteUpdateAsync(s => s.SetProperty(d => d.DueAt, DateTime.UtcNow - ago), Ct));

    private Task<SchedulerPass> RunSchedulerAsync() => factory.Services.GetRequiredService<PostScheduler>().RunOnceAsync(Ct);

    private Task<List<OutboundAction>> ActionsAsync(Guid ws) => DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
        .Where(a => a.WorkspaceId == ws && a.IdempotencyKey.StartsWith("post:")).ToListAsync(Ct));

    private static object NewPost(string title, DateTimeOffset due, Guid[] communities, string type = "knowledge", string text = "今天的知识：{community} 的朋友们好") => new
    {
        title, text, contentType = type, dueAt = due, targets = new { communityIds = communities },
    };

    [Fact]
    public async Task OperatorsPost_WaitsForApproval_ThenEachCommunityGetsItOnceAtItsTime()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "鱼油一群");
        var b = await CommunityAsync(ws, "鱼油二群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", a, b);

        var created = await op.Api.PostJsonAsync("/api/posts", NewPost("每日知识", Soon, [a, b]));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var draft = await created.ReadAsync<PostDto>();
        Assert.Equal(PostStatus.Draft, draft.Status);
        Assert.All(draft.Deliveries, d => Assert.Equal("draft", d.Status));
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostAsync($"/api/posts/{draft.Id}/approve", null, Ct)).StatusCode);

        await MakeDueAsync(draft.Id, TimeSpan.FromSeconds(1));
        await RunSchedulerAsync();
        Assert.Empty(await ActionsAsync(ws.Id)); // a draft is never sent
        await DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.PostId == draft.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.DueAt, Soon.UtcDateTime), Ct));

        var approved = await (await ws.Owner.Api.PostAsync($"/api/posts/{draft.Id}/approve", null, Ct)).ReadAsync<PostDto>();
        Assert.Equal(PostStatus.Approved, approved.Status);
        Assert.Equal(ws.Owner.Id, approved.ApprovedByStaffId);
        Assert.All(approved.Deliveries, d => Assert.Equal("scheduled", d.Status));
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/posts/{draft.Id}/approve", null, Ct)).StatusCode);

        await RunSchedulerAsync();
        Assert.Empty(await ActionsAsync(ws.Id)); // not due yet
        await MakeDueAsync(draft.Id, TimeSpan.FromSeconds(1));
        await RunSchedulerAsync();
        await RunSchedulerAsync(); // a second pass hands over nothing more

        var actions = await ActionsAsync(ws.Id);
        Assert.Equal(2, actions.Count);
        Assert.Equal([a, b], actions.Select(x => x.CommunityId).Order());
        Assert.All(actions, x => Assert.Null(x.CausedByStaffId)); // a scheduled post answers nobody's question
        Assert.Contains("鱼油一群 的朋友们好", ActionPayload.FromJson(actions.Single(x => x.CommunityId == a).Payload).Text, StringComparison.Ordinal);

        Assert.All((await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{draft.Id}")).Deliveries, d => Assert.Equal("queued", d.Status));
        await factory.Services.GetRequiredService<OutboxDispatcher>().DispatchOnceAsync(Ct);
        Assert.All((await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{draft.Id}")).Deliveries, d => Assert.Equal("sent", d.Status));
        Assert.Equal(2, (await ActionsAsync(ws.Id)).Count(x => x.Status == ActionStatus.Done));

        // The calendar lists each community's copy on its day.
        var day = DateTime.UtcNow.AddHours(8).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var entries = await ws.Owner.Api.GetJsonAsync<List<CalendarEntryDto>>($"/api/posts?from={day}&to={day}");
        Assert.Equal(2, entries.Count(e => e.PostId == draft.Id));
        Assert.Single(await op.Api.GetJsonAsync<List<CalendarEntryDto>>($"/api/posts?from={day}&to={day}&communityId={a}"));
    }

    [Fact]
    public async Task BadPosts_AreRefusedWithTheReason()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "正常群");
        var gone = await CommunityAsync(ws, "已解散群");
        await DbAsync(db => db.Communities.IgnoreQueryFilters().Where(c => c.Id == gone).ExecuteUpdateAsync(u => u.SetProperty(c => c.State, CommunityState.Dissolved), Ct));

        var past = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("昨天", DateTimeOffset.UtcNow.AddMinutes(-5), [a]))).ReadValidationErrorsAsync();
        Assert.Contains("in the past", Assert.Single(past["dueAt"]), StringComparison.Ordinal);

        var variable = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("变量", Soon, [a], text: "{nickname} 你好"))).ReadValidationErrorsAsync();
        Assert.Contains("{nickname}", Assert.Single(variable["text"]), StringComparison.Ordinal);

        var archived = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("解散", Soon, [a, gone]))).ReadValidationErrorsAsync();
        Assert.Contains("已解散群", Assert.Single(archived["targets.communityIds[1]"]), StringComparison.Ordinal);

        var link = await (await ws.Owner.Api.PostJsonAsync("/api/posts", new { title = "链接", text = "看这里", contentType = "knowledge", dueAt = Soon, link = "javascript:alert(1)", targets = new { communityIds = new[] { a } } }))
            .ReadValidationErrorsAsync();
        Assert.Contains("https://", Assert.Single(link["link"]), StringComparison.Ordinal);

        var nobody = await (await ws.Owner.Api.PostJsonAsync("/api/posts", new { title = "无人", text = "x", contentType = "knowledge", dueAt = Soon, targets = new { tiers = new[] { "vipCore" } } }))
            .ReadValidationErrorsAsync();
        Assert.Contains("no active community", Assert.Single(nobody["targets"]), StringComparison.Ordinal);

        Assert.Empty(await DbAsync(db => db.Set<Post>().IgnoreQueryFilters().Where(p => p.WorkspaceId == ws.Id).ToListAsync(Ct))); // nothing half-written
    }

    [Fact]
    public async Task SecondWeComPostOnOneDay_IsFlaggedBeforeItIsScheduled()
    {
        var ws = await factory.NewWorkspaceAsync();
        var wecom = await CommunityAsync(ws, "企微群", "weCom");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", wecom);
        var morning = new DateTimeOffset(DateTime.UtcNow.AddDays(2).Date, TimeSpan.Zero).AddHours(2); // 10:00 in Shanghai
        await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("早上的知识", morning, [wecom]))).ReadAsync<PostDto>();

        var second = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("晚上的爆品", morning.AddHours(10), [wecom], "productOfTheDay"))).ReadValidationErrorsAsync();
        Assert.Contains("one mass message per group a day", Assert.Single(second["dueAt"]), StringComparison.Ordinal);

        // As a draft it may be written, and the lint says why it cannot be approved as it is.
        var draft = await (await op.Api.PostJsonAsync("/api/posts", NewPost("晚上的爆品", morning.AddHours(10), [wecom], "productOfTheDay"))).ReadAsync<PostDto>();
        Assert.Contains(draft.Findings, f => f.Rule == LintRule.WeComSecondMassSend);
        var refused = await (await ws.Owner.Api.PostAsync($"/api/posts/{draft.Id}/approve", null, Ct)).ReadValidationErrorsAsync();
        Assert.Contains("one mass message per group a day", Assert.Single(refused["dueAt"]), StringComparison.Ordinal);

        // Moved to the next day it is approved.
        var moved = await (await ws.Owner.Api.PutJsonAsync($"/api/posts/{draft.Id}", new { dueAt = morning.AddHours(34) })).ReadAsync<PostDto>();
        Assert.DoesNotContain(moved.Findings, f => f.Rule == LintRule.WeComSecondMassSend);
        Assert.Equal(PostStatus.Approved, (await (await ws.Owner.Api.PostAsync($"/api/posts/{draft.Id}/approve", null, Ct)).ReadAsync<PostDto>()).Status);
        var day = DateOnly.FromDateTime(morning.UtcDateTime.AddHours(8)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.DoesNotContain(await ws.Owner.Api.GetJsonAsync<List<LintFinding>>($"/api/calendar/lint?from={day}&to={day}"), f => f.Rule == LintRule.WeComSecondMassSend);
    }

    [Fact]
    public async Task PostDueWhileTheAppWasDown_IsSentWithinTheGracePeriod_ElseMissed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "恢复群");
        var late = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("晚了一点", Soon, [c]))).ReadAsync<PostDto>();
        var gone = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("晚太久了", Soon.AddMinutes(1), [c]))).ReadAsync<PostDto>();
        await MakeDueAsync(late.Id, TimeSpan.FromMinutes(20));
        await MakeDueAsync(gone.Id, TimeSpan.FromHours(3));

        await RunSchedulerAsync();
        Assert.Equal("missed", Assert.Single((await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{gone.Id}")).Deliveries).Status);
        Assert.Single(await ActionsAsync(ws.Id));

        // Moved to a later time, the missed copy goes again under a new key.
        var moved = await (await ws.Owner.Api.PutJsonAsync($"/api/posts/{gone.Id}", new { dueAt = Soon })).ReadAsync<PostDto>();
        Assert.Equal("scheduled", Assert.Single(moved.Deliveries).Status);
        await MakeDueAsync(gone.Id, TimeSpan.FromSeconds(1));
        await RunSchedulerAsync();
        Assert.Equal(2, (await ActionsAsync(ws.Id)).Count);
        Assert.Contains(await ActionsAsync(ws.Id), x => x.IdempotencyKey.EndsWith(":1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CopyAlreadyInTheOutbox_IsLinked_NotHandedOverTwice()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "唯一群");
        var post = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("只发一次", Soon, [c]))).ReadAsync<PostDto>();
        // The copy's action exists already (a pass committed it, then the delivery row was restored from a backup):
        // the next pass links it instead of writing a second one.
        var first = await DbAsync(async db =>
        {
            db.Current.ActAsSystem(ws.Id);
            var action = OutboundAction.Create(ws.Id, c, ActionKind.Send, new ActionPayload(Text: "已在发件箱"), PostDelivery.KeyOf(post.Id, c, 0));
            db.Add(action);
            await db.SaveChangesWithoutAuditAsync(Ct);
            return action.Id;
        });
        await MakeDueAsync(post.Id, TimeSpan.FromSeconds(1));
        await RunSchedulerAsync();
        Assert.Equal(first, Assert.Single(await ActionsAsync(ws.Id)).Id);
        Assert.Equal(first, Assert.Single((await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{post.Id}")).Deliveries).ActionId);
    }

    [Fact]
    public async Task OperatorsEditOfAnApprovedPost_SendsItBackToDraft_AndCancellingWithdrawsWhatIsQueued()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "编辑群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", c);
        var post = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("老板写的", Soon, [c]))).ReadAsync<PostDto>();
        Assert.Equal(PostStatus.Approved, post.Status);
        var edited = await (await op.Api.PutJsonAsync($"/api/posts/{post.Id}", new { text = "运营改过的 {community}" })).ReadAsync<PostDto>();
        Assert.Equal(PostStatus.Draft, edited.Status);
        Assert.Equal("draft", Assert.Single(edited.Deliveries).Status);

        await ws.Owner.Api.PostAsync($"/api/posts/{post.Id}/approve", null, Ct);
        await MakeDueAsync(post.Id, TimeSpan.FromSeconds(1));
        await RunSchedulerAsync();
        Assert.Equal(ActionStatus.Queued, Assert.Single(await ActionsAsync(ws.Id)).Status);
        var cancelled = await (await ws.Owner.Api.PostAsync($"/api/posts/{post.Id}/cancel", null, Ct)).ReadAsync<PostDto>();
        Assert.Equal(PostStatus.Cancelled, cancelled.Status);
        var action = Assert.Single(await ActionsAsync(ws.Id));
        Assert.Equal(ActionStatus.Cancelled, action.Status); // withdrawn from the outbox while still queued
        Assert.Equal("withdrawn", Assert.Single(cancelled.Deliveries).Status);
        await factory.Services.GetRequiredService<OutboxDispatcher>().DispatchOnceAsync(Ct);
        Assert.Equal(ActionStatus.Cancelled, Assert.Single(await ActionsAsync(ws.Id)).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/posts/{post.Id}/cancel", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task TierTargets_ReachEveryActiveCommunityOfTheTier_AndKocsMayNotPlan()
    {
        var ws = await factory.NewWorkspaceAsync();
        var vip1 = await CommunityAsync(ws, "VIP 一群", tier: "vipPaying");
        var vip2 = await CommunityAsync(ws, "VIP 二群", tier: "vipPaying");
        await CommunityAsync(ws, "普通群");
        var post = await (await ws.Owner.Api.PostJsonAsync("/api/posts", new { title = "会员日", text = "会员专享", contentType = "campaign", dueAt = Soon, targets = new { tiers = new[] { "vipPaying" } } }))
            .ReadAsync<PostDto>();
        Assert.Equal([vip1, vip2], post.Deliveries.Select(d => d.CommunityId).Order());
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", vip1);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/posts", NewPost("KOC", Soon, [vip1]))).StatusCode);
    }

    [Fact]
    public async Task TagTargets_ReachOnlyTheTaggedActiveCommunities_NarrowedByTiers_AndUnknownTagsAreNamed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var trial = await CommunityTagApiTests.TagAsync(ws.Owner, "新品试用");
        var east = await CommunityTagApiTests.TagAsync(ws.Owner, "华东");
        async Task<Guid> Tagged(string name, Guid[] tags, string tier = "comprehensive") =>
            (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityTagApiTests.Community(name, tags, tier))).ReadAsync<CommunityDto>()).Id;
        var a = await Tagged("试用一群", [trial.Id]);
        var vip = await Tagged("试用会员群", [trial.Id, east.Id], "vipPaying");
        var frozen = await Tagged("试用冻结群", [trial.Id]);
        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{frozen}", CommunityTagApiTests.Community("试用冻结群", [trial.Id], state: "frozen"))).ReadAsync<CommunityDto>();
        var plain = await Tagged("普通群", []);
        var shanghai = await Tagged("上海群", [east.Id]);

        object Post(string title, object targets) => new { title, text = "{community} 新品试用开始", contentType = "campaign", dueAt = Soon, targets };
        var byTag = await (await ws.Owner.Api.PostJsonAsync("/api/posts", Post("试用", new { tagIds = new[] { trial.Id } }))).ReadAsync<PostDto>();
        Assert.Equal([a, vip], byTag.Deliveries.Select(d => d.CommunityId).Order()); // not the frozen one, not the untagged one
        Assert.Equal([trial.Id], byTag.Targets.TagIds);

        // Any of the tags; the kinds narrow one another as tiers and platforms do; communities named are added.
        var anyTag = await (await ws.Owner.Api.PostJsonAsync("/api/posts", Post("两个标签", new { tagIds = new[] { trial.Id, east.Id } }))).ReadAsync<PostDto>();
        Assert.Equal(new[] { a, vip, shanghai }.Order(), anyTag.Deliveries.Select(d => d.CommunityId).Order());
        var narrowed = await (await ws.Owner.Api.PostJsonAsync("/api/posts", Post("会员试用", new { tagIds = new[] { trial.Id }, tiers = new[] { "vipPaying" }, communityIds = new[] { plain } })))
            .ReadAsync<PostDto>();
        Assert.Equal(new[] { vip, plain }.Order(), narrowed.Deliveries.Select(d => d.CommunityId).Order());

        var unknown = await (await ws.Owner.Api.PostJsonAsync("/api/posts", Post("未知", new { tagIds = new[] { trial.Id, Guid.NewGuid() } }))).ReadValidationErrorsAsync();
        Assert.Equal(["targets.tagIds[1]"], unknown.Keys);

        // Resolved at save: a community tagged afterwards gets no copy until the post's targets are saved again.
        var late = await Tagged("后来的试用群", [trial.Id]);
        await MakeDueAsync(byTag.Id, TimeSpan.FromSeconds(1));
        await RunSchedulerAsync();
        Assert.Equal([a, vip], (await ActionsAsync(ws.Id)).Where(x => x.IdempotencyKey.Contains(byTag.Id.ToString("N"), StringComparison.Ordinal))
            .Select(x => x.CommunityId).Order());
        var resaved = await (await ws.Owner.Api.PutJsonAsync($"/api/posts/{anyTag.Id}", new { targets = new { tagIds = new[] { trial.Id } } })).ReadAsync<PostDto>();
        Assert.Equal(new[] { a, vip, late }.Order(), resaved.Deliveries.Select(d => d.CommunityId).Order());
    }

    [Fact]
    public async Task BrandDates_OwnersKeepThem_OthersReadThem_AndBadDaysAreNamed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "品牌群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", c);
        var yearly = await ws.Owner.Api.PostJsonAsync("/api/calendar/brand-dates", new { name = "品牌周年庆", month = 6, day = 18, theme = "老客回馈、周年故事征集" });
        Assert.Equal(HttpStatusCode.Created, yearly.StatusCode);
        await (await ws.Owner.Api.PostJsonAsync("/api/calendar/brand-dates", new { name = "新品发布", month = 3, day = 1, year = 2027 })).ReadAsync<BrandDateDto>();
        var bad = await (await ws.Owner.Api.PostJsonAsync("/api/calendar/brand-dates", new { name = "不存在", month = 2, day = 30 })).ReadValidationErrorsAsync();
        Assert.Contains("day", bad.Keys);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync("/api/calendar/brand-dates", new { name = "运营的", month = 1, day = 2 })).StatusCode);
        var list = await op.Api.GetJsonAsync<List<BrandDateDto>>("/api/calendar/brand-dates");
        Assert.Equal(["新品发布", "品牌周年庆"], list.Select(d => d.Name));
        Assert.Null(list[1].Year);
    }

    [Fact]
    public async Task PlaybookSettings_ChangeWhatTheLintFlags_AndHoursOutOfOrderAreRefused()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "规范群");
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(3);
        var iso = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var hour in new[] { 10, 21 })
            await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost($"{hour} 点", new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, 0)), TimeSpan.FromHours(8)), [c]))).ReadAsync<PostDto>();
        Assert.DoesNotContain(await ws.Owner.Api.GetJsonAsync<List<LintFinding>>($"/api/calendar/lint?from={iso}&to={iso}&communityId={c}"), f => f.Rule == LintRule.TooManyPosts);

        var refused = await (await ws.Owner.Api.PutJsonAsync("/api/calendar/playbook", new { eveningStart = "23:00", nightStart = "22:00" })).ReadValidationErrorsAsync();
        Assert.Contains("eveningStart", refused.Keys);
        var saved = await (await ws.Owner.Api.PutJsonAsync("/api/calendar/playbook", new { maxPostsPerDay = 1 })).ReadAsync<PlaybookSettingsDto>();
        Assert.Equal((1, "18:00"), (saved.MaxPostsPerDay, saved.EveningStart));
        var finding = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<LintFinding>>($"/api/calendar/lint?from={iso}&to={iso}&communityId={c}"), f => f.Rule == LintRule.TooManyPosts);
        Assert.Equal(2, finding.PostIds.Count);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", c);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PutJsonAsync("/api/calendar/playbook", new { maxPostsPerDay = 9 })).StatusCode);
        var malformed = await (await ws.Owner.Api.GetAsync($"/api/calendar/lint?from={iso}&to=tomorrow", Ct)).ReadValidationErrorsAsync();
        Assert.Contains("to", malformed.Keys);
    }

    [Fact]
    public async Task CopyingAWeek_ToAnotherCommunity_MakesItsOwnPosts_MovedByTheShift()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "来源群");
        var b = await CommunityAsync(ws, "目标群");
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(2);
        var due = new DateTimeOffset(day.ToDateTime(new TimeOnly(20, 0)), TimeSpan.FromHours(8));
        await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("来源的知识", due, [a]))).ReadAsync<PostDto>();
        var copied = await (await ws.Owner.Api.PostJsonAsync("/api/posts/copy", new
        {
            from = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), to = day.AddDays(6).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            sourceCommunityId = a, targetCommunityIds = new[] { b }, shiftDays = 7,
        })).ReadAsync<CopyDto>();
        var made = Assert.Single(copied.Made);
        Assert.Empty(copied.Skipped);
        Assert.Equal(due.AddDays(7), new DateTimeOffset(made.DueAt, TimeSpan.Zero));
        Assert.Equal((b, PostStatus.Approved), (Assert.Single(made.Deliveries).CommunityId, made.Status));
        var bad = await (await ws.Owner.Api.PostJsonAsync("/api/posts/copy", new { from = "2026-01-01", to = "2026-01-02", sourceCommunityId = Guid.NewGuid(), targetCommunityIds = new[] { b } }))
            .ReadValidationErrorsAsync();
        Assert.Contains("sourceCommunityId", bad.Keys);
    }

    [Fact]
    public async Task CopyingToATag_MakesPostsForTheCommunitiesCarryingIt_AndUnknownTagsAreNamed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tag = await CommunityTagApiTests.TagAsync(ws.Owner, "华东");
        var source = await CommunityAsync(ws, "来源群");
        var east = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityTagApiTests.Community("杭州群", [tag.Id]))).ReadAsync<CommunityDto>()).Id;
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(2);
        var due = new DateTimeOffset(day.ToDateTime(new TimeOnly(20, 0)), TimeSpan.FromHours(8));
        await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("来源的知识", due, [source]))).ReadAsync<PostDto>();
        var iso = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var copied = await (await ws.Owner.Api.PostJsonAsync("/api/posts/copy", new { from = iso, to = iso, sourceCommunityId = source, targetTagIds = new[] { tag.Id } }))
            .ReadAsync<CopyDto>();

        var made = Assert.Single(copied.Made);
        Assert.Equal(east, Assert.Single(made.Deliveries).CommunityId);
        Assert.Equal([tag.Id], made.Targets.TagIds);
        var unknown = await (await ws.Owner.Api.PostJsonAsync("/api/posts/copy", new { from = iso, to = iso, sourceCommunityId = source, targetTagIds = new[] { Guid.NewGuid() } }))
            .ReadValidationErrorsAsync();
        Assert.Equal(["targetTagIds[0]"], unknown.Keys);
    }
}

public sealed class PostSqliteTests(PostsSqliteFactory factory) : PostTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class PostPostgresTests(PostsPostgresFactory factory) : PostTests(factory), IClassFixture<PostsPostgresFactory>;

/// <summary>Two app hosts on one PostgreSQL: every copy handed to the outbox once and sent once.</summary>
public sealed class PostTwoHostsTests
{
    private sealed class Host(string database, Shequn.Connectors.IConnector connector, bool scheduler = false, bool dispatcher = true) : Outbox.SharedPostgresHost(database, connector)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Outbox:DispatcherEnabled", dispatcher ? "true" : "false");
            // The test runs the passes itself, side by side, unless it wants the background scheduler.
            builder.UseSetting("Posts:SchedulerEnabled", scheduler ? "true" : "false");
            builder.UseSetting("Posts:BatchSize", "7");
        }
    }

    [Fact]
    public async Task TwoHostsOnOnePostgres_300DueCopies_EachHandedOverAndSentExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        var counter = new Outbox.TwoHostCounter();
        var first = new Host(database, counter.For(0));
        var second = new Host(database, counter.For(1));
        try
        {
            var ws = await first.NewWorkspaceAsync();
            _ = second.Services;
            var communities = new List<Guid>();
            for (var i = 0; i < 5; i++)
                communities.Add((await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity($"双机推送群{i}", "sandbox"))).ReadAsync<CommunityDto>()).Id);
            for (var i = 0; i < 60; i++)
            {
                await (await ws.Owner.Api.PostJsonAsync("/api/posts", new
                {
                    title = $"第{i}条", text = "{community} 今日知识", contentType = "knowledge", dueAt = DateTimeOffset.UtcNow.AddHours(1), targets = new { communityIds = communities },
                })).ReadAsync<PostDto>();
            }
            await using (var scope = first.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                Assert.Equal(300, await db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.WorkspaceId == ws.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.DueAt, DateTime.UtcNow.AddSeconds(-1)), ct));
            }

            var handed = new int[2];
            await Task.WhenAll(new[] { first, second }.Select((host, i) => Task.Run(async () =>
            {
                var scheduler = host.Services.GetRequiredService<PostScheduler>();
                while (await scheduler.RunOnceAsync(ct) is { Total: > 0 } pass)
                    handed[i] += pass.Enqueued;
            }, ct)));
            Assert.Equal(300, handed.Sum());
            Assert.All(handed, n => Assert.True(n > 0, $"both hosts hand over copies ({handed[0]} and {handed[1]})"));

            await using (var scope = second.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                var actions = db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.WorkspaceId == ws.Id);
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await actions.CountAsync(a => a.Status == ActionStatus.Done, ct) < 300)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the dispatchers did not send every copy");
                    await Task.Delay(100, ct);
                }
                Assert.Equal(300, await actions.CountAsync(ct));
                Assert.Equal(300, await actions.Select(a => a.IdempotencyKey).Distinct().CountAsync(ct));
                var deliveries = await db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.WorkspaceId == ws.Id).ToListAsync(ct);
                Assert.All(deliveries, d => Assert.Equal(DeliveryState.Enqueued, d.State));
                Assert.Equal(300, deliveries.Select(d => d.ActionId).Distinct().Count());
            }
            Assert.Equal(300, counter.Calls.Count);
            Assert.All(counter.Calls.Values, n => Assert.Equal(1, n));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            if (Outbox.SharedPostgresHost.PgServer is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await using var conn = new Npgsql.NpgsqlConnection(Outbox.SharedPostgresHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    [Fact]
    public async Task AHostStoppedMidway_TheRestartedOneHandsOverTheRest_AndNothingTwice()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        var calls = new Outbox.TwoHostCounter();
        // The first host only hands over (a send it claimed while stopping would rightly become uncertain: the outbox's
        // own crash tests cover that); the restarted host sends.
        var before = new Host(database, new CountingConnector(calls), dispatcher: false);
        Host? after = null;
        try
        {
            var ws = await before.NewWorkspaceAsync();
            var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("重启群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
            for (var i = 0; i < 20; i++)
            {
                await (await ws.Owner.Api.PostJsonAsync("/api/posts", new
                {
                    title = $"第{i}条", text = "今日知识", contentType = "knowledge", dueAt = DateTimeOffset.UtcNow.AddHours(1), targets = new { communityIds = new[] { community } },
                })).ReadAsync<PostDto>();
            }
            await using (var scope = before.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.WorkspaceId == ws.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.DueAt, DateTime.UtcNow.AddMinutes(-5)), ct);
            }
            Assert.Equal(7, (await before.Services.GetRequiredService<PostScheduler>().RunOnceAsync(ct)).Enqueued);
            await before.DisposeAsync(); // stopped after one batch

            after = new Host(database, new CountingConnector(calls), scheduler: true); // comes back with the background scheduler
            await using var check = after.Services.CreateAsyncScope();
            var db = check.ServiceProvider.GetRequiredService<AppDbContext>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.Set<OutboundAction>().IgnoreQueryFilters().CountAsync(a => a.WorkspaceId == ws.Id && a.Status == ActionStatus.Done, ct) < 20)
            {
                Assert.True(DateTime.UtcNow < deadline, "the restarted host did not send the rest");
                await Task.Delay(100, ct);
            }
            Assert.Equal(20, await db.Set<OutboundAction>().IgnoreQueryFilters().CountAsync(a => a.WorkspaceId == ws.Id, ct));
            Assert.Equal(20, calls.Calls.Count);
            Assert.All(calls.Calls.Values, n => Assert.Equal(1, n));
        }
        finally
        {
            await before.DisposeAsync();
            if (after is not null)
                await after.DisposeAsync();
            if (Outbox.SharedPostgresHost.PgServer is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await using var conn = new Npgsql.NpgsqlConnection(Outbox.SharedPostgresHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>Counts sends per action (across hosts), without making hosts wait for each other.</summary>
    private sealed class CountingConnector(Outbox.TwoHostCounter counter) : Shequn.Connectors.IConnector
    {
        public ChatPlatform Platform => ChatPlatform.Sandbox;
        public IReadOnlySet<ActionKind> Capabilities { get; } = new HashSet<ActionKind> { ActionKind.Send };
        public Shequn.Connectors.RateLimits Limits => Shequn.Connectors.RateLimits.None;
        public bool DeduplicatesSends => false;

        public Task<string?> ExecuteAsync(Shequn.Connectors.ConnectorCall call, CancellationToken ct)
        {
            counter.Calls.AddOrUpdate(call.ActionId, 1, (_, n) => n + 1);
            return Task.FromResult<string?>("m-" + call.ActionId.ToString("N"));
        }
    }
}
