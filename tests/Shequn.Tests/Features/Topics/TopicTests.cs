using System.Globalization;
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
using Shequn.Features.Topics;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Topics;

/// <summary>
/// Topics end to end: the library through <c>/api/topics</c>, sessions whose announcements are calendar posts, the
/// summary computed from members' messages in a Sandbox group during the session, posted once through the outbox, and
/// the topic volume. The post scheduler and the dispatcher are off (<see cref="PostsSqliteFactory"/>): nothing is sent.
/// </summary>
public abstract class TopicTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset InDays(int days) => new DateTimeOffset(DateTime.UtcNow.Date.AddDays(days).AddHours(12), TimeSpan.Zero);

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private async Task ProcessedAsync(Guid ws)
    {
        var last = await DbAsync(db => db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws).MaxAsync(e => e.Seq, Ct));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await DbAsync(db => db.Set<EventCheckpoint>().Where(c => c.Name == EventProcessor.CheckpointName).Select(c => c.Seq).SingleAsync(Ct)) < last)
        {
            Assert.True(DateTime.UtcNow < deadline, "processing did not happen in time");
            factory.Services.GetRequiredService<EventLogSignal>().Notify();
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private static async Task<TopicDto> AnyTopicAsync(TestWorkspace ws) =>
        (await ws.Owner.Api.GetJsonAsync<List<TopicDto>>("/api/topics?kind=professional"))[0];

    private static object NewSession(Guid topic, Guid community, DateTimeOffset starts, int[]? leads = null, object? host = null) => new
    {
        topicId = topic, communityId = community, startsAt = starts, durationMinutes = 90,
        host = host ?? new { kind = "guest", name = "营养师小林" }, announceLeadMinutes = leads ?? [1440, 60],
    };

    [Fact]
    public async Task Library_StartsWithTopicsOfEachKind_AndBadInputNamesTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var library = await ws.Owner.Api.GetJsonAsync<List<TopicDto>>("/api/topics");
        Assert.Equal(TopicTemplates.All.Count, library.Count);
        Assert.Equal(Enum.GetValues<TopicKind>().Order(), library.Select(t => t.Kind).Distinct().Order());
        Assert.All(library, t => Assert.NotEmpty(t.Questions));
        Assert.Single(await ws.Owner.Api.GetJsonAsync<List<TopicDto>>("/api/topics?tag=鱼油"));

        var bad = await (await ws.Owner.Api.PostJsonAsync("/api/topics", new { title = "", tags = new[] { new string('标', 21) }, questions = new[] { "好问题？" } }))
            .ReadValidationErrorsAsync();
        Assert.Contains("'title' is required", Assert.Single(bad["title"]), StringComparison.Ordinal);
        Assert.Contains("kind", Assert.Single(bad["kind"]), StringComparison.Ordinal);
        Assert.Contains("at most 20", Assert.Single(bad["tags[0]"]), StringComparison.Ordinal);
        var duplicate = await (await ws.Owner.Api.PostJsonAsync("/api/topics", new { title = library[0].Title, kind = "universal" })).ReadValidationErrorsAsync();
        Assert.Contains(library[0].Title, Assert.Single(duplicate["title"]), StringComparison.Ordinal);
        var tooMany = await (await ws.Owner.Api.PostJsonAsync("/api/topics", new { title = "问题太多", kind = "personal", questions = Enumerable.Range(1, 21).Select(i => $"第{i}问") }))
            .ReadValidationErrorsAsync();
        Assert.Contains("at most 20", Assert.Single(tooMany["questions"]), StringComparison.Ordinal);

        var made = await (await ws.Owner.Api.PostJsonAsync("/api/topics", new { title = "夏天喝什么", kind = "universal", tags = new[] { "饮品", "饮品", " 夏天 " }, questions = new[] { "你最爱喝什么？", " " } }))
            .ReadAsync<TopicDto>();
        Assert.Equal(["饮品", "夏天"], made.Tags);
        Assert.Equal(["你最爱喝什么？"], made.Questions);
        var changed = await (await ws.Owner.Api.PutJsonAsync($"/api/topics/{made.Id}", new { kind = "personal" })).ReadAsync<TopicDto>();
        Assert.Equal(TopicKind.Personal, changed.Kind);
        Assert.Equal("夏天喝什么", changed.Title);

        // A KOC reads the library but changes nothing.
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "达人");
        Assert.NotEmpty(await koc.Api.GetJsonAsync<List<TopicDto>>("/api/topics"));
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/topics", new { title = "达人话题", kind = "universal" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PutJsonAsync($"/api/topics/{made.Id}", new { title = "改名" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.DeleteAsync($"/api/topics/{made.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/topics/{made.Id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Session_PutsItsAnnouncementsOnTheCalendar_MovingMovesThem_CancellingWithdrawsThem()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "鱼油交流群");
        var topic = await AnyTopicAsync(ws);
        var starts = InDays(3);

        var created = await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, community, starts));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = await created.ReadAsync<TopicSessionDto>();
        Assert.Equal(TopicSessionStatus.Planned, session.Status);
        Assert.Equal(topic.Questions, session.Questions);
        Assert.Equal(starts.UtcDateTime.AddMinutes(90), session.EndsAt);
        Assert.Equal([starts.UtcDateTime.AddDays(-1), starts.UtcDateTime.AddHours(-1)], session.Announcements.Select(a => a.DueAt));
        Assert.All(session.Announcements, a => Assert.Equal("scheduled", a.Delivery));
        foreach (var a in session.Announcements)
        {
            var post = await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{a.PostId}");
            Assert.Equal(ContentType.Topic, post.ContentType);
            Assert.Equal(PostStatus.Approved, post.Status);
            Assert.Equal(community, Assert.Single(post.Deliveries).CommunityId);
            Assert.Contains(topic.Title, post.Text, StringComparison.Ordinal);
            Assert.Contains("营养师小林", post.Text, StringComparison.Ordinal);
        }
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<TopicDto>($"/api/topics/{topic.Id}")).UsageCount);

        // Moved a day later: the same posts at the new times.
        var moved = await (await ws.Owner.Api.PutJsonAsync($"/api/topics/sessions/{session.Id}", new { startsAt = starts.AddDays(1) })).ReadAsync<TopicSessionDto>();
        Assert.Equal(session.Announcements.Select(a => a.PostId), moved.Announcements.Select(a => a.PostId));
        Assert.Equal([starts.UtcDateTime, starts.UtcDateTime.AddHours(23)], moved.Announcements.Select(a => a.DueAt));
        // One announcement fewer: the extra post is withdrawn.
        var fewer = await (await ws.Owner.Api.PutJsonAsync($"/api/topics/sessions/{session.Id}", new { announceLeadMinutes = new[] { 120 } })).ReadAsync<TopicSessionDto>();
        Assert.Equal(session.Announcements[0].PostId, Assert.Single(fewer.Announcements).PostId);
        Assert.Equal(PostStatus.Cancelled, (await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{session.Announcements[1].PostId}")).Status);

        var cancelled = await (await ws.Owner.Api.PostAsync($"/api/topics/sessions/{session.Id}/cancel", null, Ct)).ReadAsync<TopicSessionDto>();
        Assert.Equal(TopicSessionStatus.Cancelled, cancelled.Status);
        Assert.Equal("withdrawn", Assert.Single(cancelled.Announcements).Delivery);
        Assert.Equal(PostStatus.Cancelled, (await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{session.Announcements[0].PostId}")).Status);
        var days = $"from={starts.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}&to={starts.AddDays(2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<CalendarEntryDto>>("/api/posts?" + days));
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/topics/sessions/{session.Id}/cancel", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PutJsonAsync($"/api/topics/sessions/{session.Id}", new { durationMinutes = 60 })).StatusCode);
        Assert.Single(await ws.Owner.Api.GetJsonAsync<List<TopicSessionDto>>("/api/topics/sessions?status=cancelled"));
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<TopicSessionDto>>("/api/topics/sessions?status=planned"));
    }

    [Fact]
    public async Task Summary_ListsTheWindowsTopSpeakersAndQuestions_AndIsPostedOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "健康早餐群");
        var topic = await AnyTopicAsync(ws);
        var session = await (await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, community, InDays(2)))).ReadAsync<TopicSessionDto>();
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostJsonAsync($"/api/topics/sessions/{session.Id}/summary", new { })).StatusCode);

        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();
        var amy = await chat.JoinAsync(community, "Amy", null, Ct);
        var bob = await chat.JoinAsync(community, "Bob", null, Ct);
        var cat = await chat.JoinAsync(community, "Cat", null, Ct);
        await chat.PostAsync(community, cat, "Cat", "开始前的问题：几点开始？", fromStaff: false, Ct);
        await chat.PostAsync(community, cat, "Cat", "我先来占个座", fromStaff: false, Ct);
        await Task.Delay(50, Ct);
        var from = DateTime.UtcNow;
        await Task.Delay(50, Ct);
        await chat.PostAsync(community, amy, "Amy", "我早餐一般吃燕麦和鸡蛋", fromStaff: false, Ct);
        await chat.PostAsync(community, bob, "Bob", "鱼油饭前吃还是饭后吃？", fromStaff: false, Ct);
        await chat.PostAsync(community, amy, "Amy", "请问燕麦需要煮多久？", fromStaff: false, Ct);
        await chat.PostAsync(community, amy, "Amy", "谢谢老师", fromStaff: false, Ct);
        await chat.PostAsync(community, "staff-1", "小林老师", "大家有什么问题吗？", fromStaff: true, Ct);
        await Task.Delay(50, Ct);
        var to = DateTime.UtcNow;
        await Task.Delay(50, Ct);
        await chat.PostAsync(community, cat, "Cat", "结束后：下次什么时候？", fromStaff: false, Ct);
        await ProcessedAsync(ws.Id);
        await DbAsync(db => db.Set<TopicSession>().IgnoreQueryFilters().Where(s => s.Id == session.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.StartsAt, from).SetProperty(s => s.EndsAt, to), Ct));

        var summary = await ws.Owner.Api.GetJsonAsync<TopicSummaryDto>($"/api/topics/sessions/{session.Id}/summary");
        Assert.Equal(TopicSessionStatus.Done, summary.Status);
        Assert.Equal(4, summary.Messages);
        Assert.Equal(2, summary.Speakers);
        Assert.Equal([("Amy", 3), ("Bob", 1)], summary.TopSpeakers.Select(s => (s.Name, s.Messages)));
        Assert.All(summary.TopSpeakers, s => Assert.NotNull(s.MemberId));
        Assert.Equal(["鱼油饭前吃还是饭后吃？", "请问燕麦需要煮多久？"], summary.Questions.Select(q => q.Text));
        Assert.Contains("Amy（3 条）", summary.Draft, StringComparison.Ordinal);
        Assert.Contains("请问燕麦需要煮多久？", summary.Draft, StringComparison.Ordinal);
        Assert.DoesNotContain("下次什么时候", summary.Draft, StringComparison.Ordinal);
        Assert.False(summary.Posted);

        // Staff edit the draft, then post it: one action; asking again makes none.
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/topics/sessions/{session.Id}", new { summaryDraft = "感谢参与！今晚的小结" })).StatusCode);
        var first = await ws.Owner.Api.PostJsonAsync($"/api/topics/sessions/{session.Id}/summary", new { });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var posted = await first.ReadAsync<TopicSummaryPosted>();
        var again = await ws.Owner.Api.PostJsonAsync($"/api/topics/sessions/{session.Id}/summary", new { text = "另一段文字" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(posted.ActionId, (await again.ReadAsync<TopicSummaryPosted>()).ActionId);
        var action = Assert.Single(await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == ws.Id && a.IdempotencyKey.StartsWith("topic:")).ToListAsync(Ct)));
        Assert.Equal(TopicSession.SummaryKey(session.Id), action.IdempotencyKey);
        Assert.Equal(ActionKind.Send, action.Kind);
        Assert.Equal(community, action.CommunityId);
        Assert.Equal("感谢参与！今晚的小结", ActionPayload.FromJson(action.Payload).Text);
        Assert.True((await ws.Owner.Api.GetJsonAsync<TopicSummaryDto>($"/api/topics/sessions/{session.Id}/summary")).Posted);

        // Topic volume: one session held here with four members' messages.
        var volume = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<TopicVolumeDto>>("/api/topics/volume"));
        Assert.Equal((community, 1, 0, 0, 4, 2), (volume.CommunityId, volume.SessionsHeld, volume.SessionsUpcoming, volume.SessionsCancelled, volume.Messages, volume.Speakers));
        Assert.Single(await ws.Owner.Api.GetJsonAsync<List<TopicSessionDto>>("/api/topics/sessions?status=done"));
    }

    [Fact]
    public async Task Roles_KocReadsOnly_StaffSeeOnlyTheirCommunitiesSessions_OperatorsAnnouncementsAreDrafts()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws, "运营的群");
        var other = await CommunityAsync(ws, "别人的群");
        var topic = await AnyTopicAsync(ws);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "达人", mine);

        var theirs = await (await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, other, InDays(4)))).ReadAsync<TopicSessionDto>();
        var created = await op.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, mine, InDays(4), host: new { staffId = op.Id }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var ours = await created.ReadAsync<TopicSessionDto>();
        Assert.Equal((TopicHostKind.Staff, "运营"), (ours.Host.Kind, ours.Host.Name));
        Assert.All(ours.Announcements, a => Assert.Equal("draft", a.Delivery));

        Assert.Equal([ours.Id], (await op.Api.GetJsonAsync<List<TopicSessionDto>>("/api/topics/sessions")).Select(s => s.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/topics/sessions/{theirs.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/topics/sessions/{theirs.Id}/summary", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.PostAsync($"/api/topics/sessions/{theirs.Id}/cancel", null, Ct)).StatusCode);
        var elsewhere = await (await op.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, other, InDays(4)))).ReadValidationErrorsAsync();
        Assert.Contains(other.ToString(), Assert.Single(elsewhere["communityId"]), StringComparison.Ordinal);
        Assert.Equal(2, (await ws.Owner.Api.GetJsonAsync<List<TopicSessionDto>>("/api/topics/sessions")).Count);
        Assert.Equal([theirs.Id], (await ws.Owner.Api.GetJsonAsync<List<TopicSessionDto>>($"/api/topics/sessions?communityId={other}")).Select(s => s.Id));

        Assert.Equal([ours.Id], (await koc.Api.GetJsonAsync<List<TopicSessionDto>>("/api/topics/sessions")).Select(s => s.Id));
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, mine, InDays(5)))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PutJsonAsync($"/api/topics/sessions/{ours.Id}", new { durationMinutes = 30 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostAsync($"/api/topics/sessions/{ours.Id}/cancel", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync($"/api/topics/sessions/{ours.Id}/summary", new { })).StatusCode);
        var range = $"from={InDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}&to={InDays(10).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        var opVolume = Assert.Single(await op.Api.GetJsonAsync<List<TopicVolumeDto>>("/api/topics/volume?" + range));
        Assert.Equal((mine, 0, 1), (opVolume.CommunityId, opVolume.SessionsHeld, opVolume.SessionsUpcoming));
        Assert.Equal(2, (await ws.Owner.Api.GetJsonAsync<List<TopicVolumeDto>>("/api/topics/volume?" + range)).Count);
    }

    [Fact]
    public async Task BadSessionInput_NamesTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "校验群");
        var topic = await AnyTopicAsync(ws);

        var missing = await (await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", new { })).ReadValidationErrorsAsync();
        Assert.Equal(["communityId", "host", "startsAt", "topicId"], missing.Keys.Order(StringComparer.Ordinal));

        var bad = await (await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", new
        {
            topicId = Guid.NewGuid(), communityId = community, startsAt = DateTimeOffset.UtcNow.AddHours(-1), durationMinutes = 5,
            host = new { kind = "guest", name = " " }, announceLeadMinutes = new[] { 0, 60 }, announcementText = "{nickname} 今晚见",
        })).ReadValidationErrorsAsync();
        Assert.Equal(["announceLeadMinutes[0]", "announcementText", "durationMinutes", "host.name", "startsAt", "topicId"], bad.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("{nickname}", Assert.Single(bad["announcementText"]), StringComparison.Ordinal);
        Assert.Contains("in the past", Assert.Single(bad["startsAt"]), StringComparison.Ordinal);

        var host = await (await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, community, InDays(2), host: new { memberId = Guid.NewGuid() })))
            .ReadValidationErrorsAsync();
        Assert.Single(host["host.memberId"]);
        var staff = await (await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, community, InDays(2), host: new { staffId = Guid.NewGuid() })))
            .ReadValidationErrorsAsync();
        Assert.Single(staff["host.staffId"]);
        var status = await (await ws.Owner.Api.GetAsync("/api/topics/sessions?status=someday&from=yesterday", Ct)).ReadValidationErrorsAsync();
        Assert.Equal(["from", "status"], status.Keys.Order(StringComparer.Ordinal));

        // On WeCom two announcements the same day would be two mass sends: the second is refused, and the first is not left behind.
        var wecom = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("企微校验群", "wecom"))).ReadAsync<CommunityDto>()).Id;
        var quota = await ws.Owner.Api.PostJsonAsync("/api/topics/sessions", NewSession(topic.Id, wecom, InDays(2), leads: [120, 60]));
        Assert.Equal(HttpStatusCode.BadRequest, quota.StatusCode);

        // Nothing was planned by the refusals.
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<TopicSessionDto>>("/api/topics/sessions"));
        Assert.Equal(0, await DbAsync(db => db.Set<Post>().IgnoreQueryFilters().CountAsync(p => p.WorkspaceId == ws.Id, Ct)));
    }
}

public sealed class TopicSqliteTests(PostsSqliteFactory factory) : TopicTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class TopicPostgresTests(PostsPostgresFactory factory) : TopicTests(factory), IClassFixture<PostsPostgresFactory>;
