using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Calendar;

/// <summary>SOP templates through <c>/api/sop</c>: applied to communities they make posts; edits change what is not sent; deleting asks about the rest.</summary>
public abstract class SopTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8));

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private Task<List<(Post Post, PostDelivery Delivery)>> PostsAsync(Guid templateId) => DbAsync(async db =>
        (await db.Set<Post>().IgnoreQueryFilters().Where(p => p.SopKey != null && p.SopKey.StartsWith(templateId.ToString("N")))
            .Join(db.Set<PostDelivery>().IgnoreQueryFilters(), p => p.Id, d => d.PostId, (p, d) => new { p, d }).ToListAsync(Ct))
        .Select(x => (x.p, x.d)).ToList());

    private static object Weekly(string name, string text = "{community} 周一知识", string time = "20:00", int weeksAhead = 2) => new
    {
        name, trigger = "weekdays", weeksAhead,
        steps = new object[]
        {
            new { title = "周一知识", text, contentType = "knowledge", time, weekdays = new[] { "monday" } },
            new { title = "周四话题", text = "本周话题", contentType = "topic", time = "15:00", weekdays = new[] { "thursday" } },
        },
    };

    [Fact]
    public async Task WeeklyTemplate_AppliedToTwoCommunities_MakesTheirPosts_OnceHoweverOftenItIsApplied()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "SOP 一群");
        var b = await CommunityAsync(ws, "SOP 二群");
        var created = await ws.Owner.Api.PostJsonAsync("/api/sop", Weekly("每周节奏"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var template = await created.ReadAsync<SopDto>();

        var applied = await (await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { a, b } })).ReadAsync<SopDto>();
        var posts = await PostsAsync(template.Id);
        // Two weeks ahead: two Mondays and two Thursdays per community, less any already past today.
        Assert.InRange(posts.Count, 6, 8);
        Assert.Equal(posts.Count, applied.FuturePosts);
        Assert.Equal(posts.Count / 2, posts.Count(p => p.Delivery.CommunityId == a));
        Assert.All(posts, p => Assert.Equal(PostStatus.Approved, p.Post.Status));
        Assert.All(posts.Where(p => p.Post.Title == "周一知识"), p =>
        {
            var local = p.Post.DueAt.AddHours(8);
            Assert.Equal((DayOfWeek.Monday, 20), (local.DayOfWeek, local.Hour));
        });

        await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { a, b } });
        Assert.Equal(posts.Count, (await PostsAsync(template.Id)).Count);
        var calendar = await ws.Owner.Api.GetJsonAsync<List<CalendarEntryDto>>($"/api/posts?from={Today:yyyy-MM-dd}&to={Today.AddDays(14):yyyy-MM-dd}&communityId={a}");
        Assert.Equal(posts.Count / 2, calendar.Count);
    }

    [Fact]
    public async Task ApplyingByTag_AddsTheActiveCommunitiesCarryingIt_AndUnknownTagsAreNamed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tag = await CommunityTagApiTests.TagAsync(ws.Owner, "母婴");
        async Task<Guid> Community(string name, Guid[] tags, string state = "active") =>
            (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityTagApiTests.Community(name, tags, state: state))).ReadAsync<CommunityDto>()).Id;
        var tagged = await Community("母婴一群", [tag.Id]);
        await Community("母婴冻结群", [tag.Id], "frozen");
        var named = await Community("其他群", []);
        var template = await (await ws.Owner.Api.PostJsonAsync("/api/sop", Weekly("母婴节奏"))).ReadAsync<SopDto>();

        var applied = await (await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { named }, tagIds = new[] { tag.Id } }))
            .ReadAsync<SopDto>();

        Assert.Equal(new[] { tagged, named }.Order(), applied.CommunityIds.Order());
        Assert.Equal(new[] { tagged, named }.Order(), (await PostsAsync(template.Id)).Select(p => p.Delivery.CommunityId).Distinct().Order());
        var unknown = await (await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { named }, tagIds = new[] { Guid.NewGuid() } }))
            .ReadValidationErrorsAsync();
        Assert.Equal(["tagIds[0]"], unknown.Keys);
    }

    [Fact]
    public async Task EditingTheTemplate_ChangesWhatIsNotSent_AndDroppingAStepWithdrawsItsPosts()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "SOP 编辑群");
        // Three weeks: two Mondays still to come even on a Monday evening in Shanghai, when today's 20:00 and 21:30 are past
        // (one is marked sent below, the other must follow the edit).
        var template = await (await ws.Owner.Api.PostJsonAsync("/api/sop", Weekly("可编辑节奏", weeksAhead: 3))).ReadAsync<SopDto>();
        await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { a } });
        var before = await PostsAsync(template.Id);
        // One Monday post already went to the outbox: edits leave it alone.
        var sent = before.First(p => p.Post.Title == "周一知识");
        await DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.Id == sent.Delivery.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Enqueued), Ct));

        var edited = await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}", new
        {
            steps = new object[] { new { title = "周一知识", text = "新的 {community} 知识", contentType = "knowledge", time = "21:30", weekdays = new[] { "monday" } } },
        });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var after = await PostsAsync(template.Id);
        Assert.All(after.Where(p => p.Post.Title == "周四话题"), p => Assert.Equal(DeliveryState.Withdrawn, p.Delivery.State));
        var mondays = after.Where(p => p.Post.Title == "周一知识" && p.Post.Id != sent.Post.Id).ToList();
        Assert.NotEmpty(mondays);
        Assert.All(mondays, p =>
        {
            Assert.Equal("新的 {community} 知识", p.Post.Text);
            Assert.Equal((21, 30), (p.Post.DueAt.AddHours(8).Hour, p.Post.DueAt.Minute));
        });
        var untouched = after.Single(p => p.Post.Id == sent.Post.Id);
        Assert.Equal(sent.Post.Text, untouched.Post.Text);
        Assert.Equal(sent.Post.DueAt, untouched.Post.DueAt);
    }

    [Fact]
    public async Task DeletingATemplate_AsksAboutItsFuturePosts_ThenCancelsOrKeepsThem()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "SOP 删除群");
        var cancel = await (await ws.Owner.Api.PostJsonAsync("/api/sop", Weekly("要取消的"))).ReadAsync<SopDto>();
        var keep = await (await ws.Owner.Api.PostJsonAsync("/api/sop", new
        {
            name = "要保留的", trigger = "fixedDates",
            steps = new object[]
            {
                new { title = "店庆", text = "店庆快乐", contentType = "campaign", time = "20:00", date = Today.AddDays(5).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) },
                new { title = "去年", text = "已过", contentType = "campaign", time = "20:00", date = Today.AddDays(-5).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) },
            },
        })).ReadAsync<SopDto>();
        await ws.Owner.Api.PutJsonAsync($"/api/sop/{cancel.Id}/communities", new { communityIds = new[] { a } });
        await ws.Owner.Api.PutJsonAsync($"/api/sop/{keep.Id}/communities", new { communityIds = new[] { a } });
        Assert.Single(await PostsAsync(keep.Id)); // the date in the past makes nothing

        var asked = await (await ws.Owner.Api.DeleteAsync($"/api/sop/{cancel.Id}", Ct)).ReadValidationErrorsAsync();
        Assert.Contains("futurePosts=cancel", Assert.Single(asked["futurePosts"]), StringComparison.Ordinal);
        Assert.NotNull(await DbAsync(db => db.Set<SopTemplate>().IgnoreQueryFilters().SingleOrDefaultAsync(t => t.Id == cancel.Id, Ct)));

        var cancelPosts = await PostsAsync(cancel.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/sop/{cancel.Id}?futurePosts=cancel", Ct)).StatusCode);
        var ids = cancelPosts.Select(p => p.Post.Id).ToList();
        Assert.All(await DbAsync(db => db.Set<Post>().IgnoreQueryFilters().Where(p => ids.Contains(p.Id)).ToListAsync(Ct)), p => Assert.Equal(PostStatus.Cancelled, p.Status));

        var kept = Assert.Single(await PostsAsync(keep.Id)).Post.Id;
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/sop/{keep.Id}?futurePosts=keep", Ct)).StatusCode);
        var post = await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{kept}");
        Assert.Equal(PostStatus.Approved, post.Status);
        Assert.Equal("scheduled", Assert.Single(post.Deliveries).Status);
    }

    [Fact]
    public async Task AfterCommunityCreated_AnOperatorsTemplate_MakesDrafts_AndBadStepsAreNamed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "SOP 新群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", a);
        var template = await (await op.Api.PostJsonAsync("/api/sop", new
        {
            name = "新群七天", trigger = "daysAfterCommunityCreated",
            steps = new object[]
            {
                new { title = "第二天", text = "欢迎来到 {community}", contentType = "knowledge", time = "10:00", day = 1 },
                new { title = "第三天", text = "今日话题", contentType = "topic", time = "15:00", day = 2 },
            },
        })).ReadAsync<SopDto>();
        await op.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { a } });
        var posts = await PostsAsync(template.Id);
        Assert.Equal(2, posts.Count);
        Assert.All(posts, p => Assert.Equal(PostStatus.Draft, p.Post.Status));
        Assert.Equal([Today.AddDays(1), Today.AddDays(2)], posts.Select(p => DateOnly.FromDateTime(p.Post.DueAt.AddHours(8))).Order());

        var bad = await (await ws.Owner.Api.PostJsonAsync("/api/sop", new
        {
            name = "坏模板", trigger = "fixedDates",
            steps = new object[] { new { title = "x", text = "{nickname} 你好", contentType = "knowledge", time = "25:00" } },
        })).ReadValidationErrorsAsync();
        Assert.Contains("steps[0].time", bad.Keys);
        Assert.Contains("steps[0].date", bad.Keys);
        Assert.Contains("{nickname}", Assert.Single(bad["steps[0].text"]), StringComparison.Ordinal);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", a);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/sop", Weekly("KOC 的"))).StatusCode);
    }

    private async Task MemberEventAsync(Guid ws, Guid community, EventKind kind, string userId, string name, DateTime at)
    {
        var e = SandboxChat.New(ws, community, kind, userId, name);
        e.OccurredAt = at;
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([e], Ct);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    private async Task FindNewcomersAsync()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        await SopHorizon.ExtendAsync(scope.ServiceProvider, SopTrigger.DaysAfterMemberJoined, Ct);
    }

    [Fact]
    public async Task AfterMembersJoin_EachDaysNewcomersGetTheSteps_NamedWhenSent_AndNobodyLeftMeansNothingSent()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "SOP 新人群");
        // Joined before the template applies here: not its newcomers.
        await MemberEventAsync(ws.Id, a, EventKind.MemberJoined, "u-old", "老成员", DateTime.UtcNow.AddMinutes(-5));
        var created = await ws.Owner.Api.PostJsonAsync("/api/sop", new
        {
            name = "新人三天", trigger = "daysAfterMemberJoined",
            steps = new object[]
            {
                new { title = "新人第二天", text = "{nickname}，欢迎来到 {community}，有问题随时问", contentType = "knowledge", time = "10:00", day = 1 },
                new { title = "新人第四天", text = "{nickname} 这几天感觉怎么样？", contentType = "topic", time = "20:00", day = 3 },
            },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var template = await created.ReadAsync<SopDto>();
        await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { a } });
        await FindNewcomersAsync();
        Assert.Empty(await PostsAsync(template.Id));

        await MemberEventAsync(ws.Id, a, EventKind.MemberJoined, "u-xin", "阿新", DateTime.UtcNow);
        await MemberEventAsync(ws.Id, a, EventKind.MemberJoined, "u-le", "阿乐", DateTime.UtcNow);
        await FindNewcomersAsync();
        await FindNewcomersAsync(); // one post per step and day, however often it looks
        var posts = await PostsAsync(template.Id);
        Assert.Equal(2, posts.Count);
        var joinedOn = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8));
        Assert.All(posts, p => Assert.Equal(joinedOn, p.Post.JoinedOn));
        Assert.Equal([joinedOn.AddDays(1), joinedOn.AddDays(3)], posts.Select(p => DateOnly.FromDateTime(p.Post.DueAt.AddHours(8))).Order());
        Assert.All(posts, p => Assert.Equal(DeliveryState.Scheduled, p.Delivery.State));

        // 阿乐 left before the second day's post went out: it names 阿新 only.
        await MemberEventAsync(ws.Id, a, EventKind.MemberLeft, "u-le", "阿乐", DateTime.UtcNow);
        var dayTwo = posts.Single(p => p.Post.Title == "新人第二天");
        await DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.Id == dayTwo.Delivery.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.DueAt, DateTime.UtcNow.AddMinutes(-1)), Ct));
        await factory.Services.GetRequiredService<PostScheduler>().RunOnceAsync(Ct);
        var sent = await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().SingleAsync(x => x.CommunityId == a && x.IdempotencyKey.StartsWith("post:"), Ct));
        var text = ActionPayload.FromJson(sent.Payload).Text!;
        Assert.StartsWith("阿新，欢迎来到 SOP 新人群", text, StringComparison.Ordinal);
        Assert.DoesNotContain("阿乐", text, StringComparison.Ordinal);
        Assert.DoesNotContain("老成员", text, StringComparison.Ordinal);

        // Everyone of that day gone: the fourth day's post is withdrawn, never sent.
        await MemberEventAsync(ws.Id, a, EventKind.MemberLeft, "u-xin", "阿新", DateTime.UtcNow);
        await FindNewcomersAsync();
        var dayFour = posts.Single(p => p.Post.Title == "新人第四天").Delivery.Id;
        Assert.Equal(DeliveryState.Withdrawn, await DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.Id == dayFour).Select(d => d.State).SingleAsync(Ct)));

        // {nickname} belongs to steps after members join; the planner's own posts refuse it.
        var post = await (await ws.Owner.Api.PostJsonAsync("/api/posts", new
        {
            title = "普通推送", text = "{nickname} 你好", contentType = "knowledge", dueAt = DateTimeOffset.UtcNow.AddDays(2), targets = new { communityIds = new[] { a } },
        })).ReadValidationErrorsAsync();
        Assert.Contains("{nickname}", Assert.Single(post["text"]), StringComparison.Ordinal);
    }
}

public sealed class SopSqliteTests(PostsSqliteFactory factory) : SopTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class SopPostgresTests(PostsPostgresFactory factory) : SopTests(factory), IClassFixture<PostsPostgresFactory>;
