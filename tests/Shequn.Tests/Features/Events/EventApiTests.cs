using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Events;

public abstract class EventApiTests(ShequnFactory factory)
{
    private async Task<(TestWorkspace Ws, Guid Community)> WorkspaceWithCommunityAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("活动群", "sandbox"))).ReadAsync<CommunityDto>();
        return (ws, c.Id);
    }

    private Task CaughtUpAsync() =>
        factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(TestContext.Current.CancellationToken);

    private async Task<T> QueryAsync<T>(Guid workspaceId, Func<AppDbContext, Task<T>> query)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        return await query(db);
    }

    [Fact]
    public async Task Post_SingleEvent_Returns202AndAppliesIt()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();

        var response = await ws.Owner.Api.PostJsonAsync("/api/events", Join(community, "e1", "u1", Noon, inviter: "u0", channel: "直播间"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.ReadAsync<IngestResponse>();
        Assert.Equal(IngestStatus.Accepted, Assert.Single(body.Events).Status);
        await CaughtUpAsync();
        var membership = await QueryAsync(ws.Id, db => db.Memberships.Include(m => m.Member).Include(m => m.Inviter).SingleAsync(m => m.Member!.DisplayName == "用户u1"));
        Assert.Equal(community, membership.CommunityId);
        Assert.Equal(Noon.UtcDateTime, membership.JoinedAt);
        Assert.Null(membership.LeftAt);
        Assert.Equal("直播间", membership.Channel);
        Assert.Equal("邀请人u0", membership.Inviter!.DisplayName);
    }

    [Fact]
    public async Task Post_SameEventTwice_StoredAndCountedOnce()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();
        var message = Message(community, "dup-1", "u1", Noon);

        var first = await ws.Owner.Api.PostJsonAsync("/api/events", message);
        var second = await ws.Owner.Api.PostJsonAsync("/api/events", new[] { message, Message(community, "dup-2", "u1", Noon.AddMinutes(1)), message });

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var body = await second.ReadAsync<IngestResponse>();
        Assert.Equal([IngestStatus.Duplicate, IngestStatus.Accepted, IngestStatus.Duplicate], body.Events.Select(e => e.Status));
        var again = await ws.Owner.Api.PostJsonAsync("/api/events", message);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await CaughtUpAsync();
        Assert.Equal(2, await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id)));
        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{community}/figures?from=2026-03-02&to=2026-03-02");
        var day = Assert.Single(figures.Days);
        Assert.Equal(2, day.Messages);
        Assert.Equal(1, day.ActiveMembers);
        Assert.Equal(2, await QueryAsync(ws.Id, db => db.Set<MemberActivity>().Where(a => a.CommunityId == community).Select(a => a.Messages).SingleAsync()));
    }

    [Fact]
    public async Task Post_MalformedEventInBatch_Returns400NamingIndexAndField_AndStoresNothing()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();
        var bad = Message(community, "bad", "u1", Noon);
        bad["kind"] = "messageSent";
        var noTime = Message(community, "no-time", "u1", Noon);
        noTime.Remove("occurredAt");

        var response = await ws.Owner.Api.PostJsonAsync("/api/events", new[] { Message(community, "good", "u1", Noon), bad, noTime });

        var errors = await response.ReadValidationErrorsAsync();
        Assert.Equal(["events[1].kind", "events[2].occurredAt"], errors.Keys.Order());
        Assert.Contains("messagePosted", errors["events[1].kind"][0], StringComparison.Ordinal);
        Assert.Equal(0, await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id)));
    }

    [Fact]
    public async Task Post_WrongJsonType_Returns400NamingIndexAndField()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();
        var bad = Message(community, "x", "u1", Noon);
        bad["occurredAt"] = 12345;

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/events", new[] { Message(community, "y", "u1", Noon), bad })).ReadValidationErrorsAsync();

        Assert.Equal("events[1].occurredAt", Assert.Single(errors.Keys));
        Assert.Contains("ISO 8601 time with offset", errors["events[1].occurredAt"][0], StringComparison.Ordinal);
        Assert.DoesNotContain("System.", errors["events[1].occurredAt"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-03-02T12:00:00")]
    [InlineData("2026-03-02 12:00")]
    [InlineData("2026-03-02")]
    public async Task Post_OccurredAtWithoutOffset_Returns400NamingTheField(string occurredAt)
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();
        var bad = Message(community, "local", "u1", Noon);
        bad["occurredAt"] = occurredAt;

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/events", new[] { bad })).ReadValidationErrorsAsync();

        Assert.Contains("offset", Assert.Single(errors["events[0].occurredAt"]), StringComparison.Ordinal);
        Assert.Equal(0, await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id)));
    }

    [Theory]
    [InlineData("2026-03-02T12:00:00Z")]
    [InlineData("2026-03-02T20:00:00+08:00")]
    [InlineData("2026-03-02T20:00:00.123+08:00")]
    public async Task Post_OccurredAtWithOffset_IsAccepted(string occurredAt)
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();
        var good = Message(community, "tz-" + occurredAt, "u1", Noon);
        good["occurredAt"] = occurredAt;

        var response = await ws.Owner.Api.PostJsonAsync("/api/events", new[] { good });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Post_EventThatIsNotAnObject_NamesTheExpectedFieldsNotATypeName()
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/events", new object[] { "hello" })).ReadValidationErrorsAsync();

        var message = Assert.Single(errors["events[0]"]);
        Assert.Contains("expected a JSON object with fields platform, id, kind, occurredAt", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Shequn.", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_NotJson_Returns400ProblemWithPosition()
    {
        var ws = await factory.NewWorkspaceAsync();
        using var content = new StringContent("[{\"platform\": \"sandbox\",", System.Text.Encoding.UTF8, "application/json");

        var response = await ws.Owner.Api.PostAsync("/api/events", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("line 1", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_CommunityOfAnotherWorkspace_Returns400()
    {
        var (_, foreign) = await WorkspaceWithCommunityAsync();
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/events", Message(foreign, "f1", "u1", Noon))).ReadValidationErrorsAsync();

        Assert.True(errors.ContainsKey("events[0].communityId"));
    }

    [Fact]
    public async Task Post_KocToken_Returns403()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "koc", community);

        var response = await koc.Api.PostJsonAsync("/api/events", Message(community, "k1", "u1", Noon));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Post_UnknownPlatformChat_CreatesCommunityNamedAfterChat()
    {
        var ws = await factory.NewWorkspaceAsync();
        var join = new Dictionary<string, object?>
        {
            ["platform"] = "telegram", ["id"] = "tg-1", ["kind"] = "memberJoined", ["occurredAt"] = Noon,
            ["chatId"] = "-1001234", ["chatTitle"] = "鱼油交流群", ["user"] = new { id = "777", name = "Alice" },
        };
        var message = new Dictionary<string, object?>
        {
            ["platform"] = "telegram", ["id"] = "tg-2", ["kind"] = "messagePosted", ["occurredAt"] = Noon.AddMinutes(1),
            ["chatId"] = "-1001234", ["user"] = new { id = "777" }, ["message"] = new { text = "hi" },
        };

        await (await ws.Owner.Api.PostJsonAsync("/api/events", new[] { join, message })).ReadAsync<IngestResponse>();
        await CaughtUpAsync();

        var list = await ws.Owner.Api.GetJsonAsync<Shequn.Platform.Api.Page<CommunityDto>>("/api/communities");
        var created = Assert.Single(list.Items);
        Assert.Equal("鱼油交流群", created.Name);
        Assert.Equal(ChatPlatform.Telegram, created.Platform);
        Assert.Equal(1, created.MemberCount);
        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{created.Id}/figures?from=2026-03-02&to=2026-03-02");
        Assert.Equal((1, 1, 1), (figures.Days[0].NewMembers, figures.Days[0].Messages, figures.Days[0].Members));
    }

    [Fact]
    public async Task Post_LeaveBeforeItsJoin_EndsWithClosedMembershipFromJoinToLeave()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();

        await (await ws.Owner.Api.PostJsonAsync("/api/events", Leave(community, "l1", "u1", Noon.AddHours(2)))).ReadAsync<IngestResponse>();
        await CaughtUpAsync();
        await (await ws.Owner.Api.PostJsonAsync("/api/events", Join(community, "j1", "u1", Noon))).ReadAsync<IngestResponse>();
        await CaughtUpAsync();

        var stint = await QueryAsync(ws.Id, db => db.Memberships.SingleAsync(m => m.CommunityId == community));
        Assert.Equal(Noon.UtcDateTime, stint.JoinedAt);
        Assert.Equal(Noon.AddHours(2).UtcDateTime, stint.LeftAt);
        var c = await ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{community}");
        Assert.Equal(0, c.MemberCount);
    }

    [Fact]
    public async Task Post_RejoinAfterLeave_OpensSecondMembership()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();

        await (await ws.Owner.Api.PostJsonAsync("/api/events", new[]
        {
            Join(community, "a", "u1", Noon), Leave(community, "b", "u1", Noon.AddHours(1)), Join(community, "c", "u1", Noon.AddHours(3)),
        })).ReadAsync<IngestResponse>();
        await CaughtUpAsync();

        var stints = await QueryAsync(ws.Id, db => db.Memberships.Where(m => m.CommunityId == community).OrderBy(m => m.JoinedAt).ToListAsync());
        Assert.Equal(2, stints.Count);
        Assert.Equal(Noon.AddHours(1).UtcDateTime, stints[0].LeftAt);
        Assert.Null(stints[1].LeftAt);
    }

    [Fact]
    public async Task Ingest_UnknownCommunityId_IsSkippedAndLaterEventsStillApply()
    {
        var (ws, community) = await WorkspaceWithCommunityAsync();
        var ingestor = factory.Services.GetRequiredService<EventIngestor>();
        var stray = new CommunityEvent
        {
            WorkspaceId = ws.Id, Platform = ChatPlatform.Sandbox, PlatformEventId = "stray", Kind = EventKind.MessagePosted,
            OccurredAt = Noon.UtcDateTime, CommunityId = Guid.NewGuid(), UserId = "u1", MessageKind = MessageKind.Text, Text = "?",
        };

        await ingestor.IngestAsync([stray], TestContext.Current.CancellationToken);
        await (await ws.Owner.Api.PostJsonAsync("/api/events", Message(community, "after", "u1", Noon))).ReadAsync<IngestResponse>();
        await CaughtUpAsync();

        var skipped = await QueryAsync(ws.Id, db => db.Set<SkippedEvent>().SingleAsync(s => s.WorkspaceId == ws.Id));
        Assert.Equal("unknown community", skipped.Reason);
        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{community}/figures?from=2026-03-02&to=2026-03-02");
        Assert.Equal(1, figures.Days[0].Messages);
    }

    [Fact]
    public async Task Figures_AfterMixedOutOfOrderTraffic_EqualRecountFromLog()
    {
        var (ws, a) = await WorkspaceWithCommunityAsync();
        var b = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("第二群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var random = new Random(7);
        var events = new List<Dictionary<string, object?>>();
        for (var i = 0; i < 600; i++)
        {
            var community = random.Next(2) == 0 ? a : b;
            var user = "u" + random.Next(40);
            var at = Noon.AddHours(random.Next(-72, 72)).AddMinutes(random.Next(60));
            events.Add(random.Next(10) switch
            {
                0 => Join(community, $"e{i}", user, at),
                1 => Leave(community, $"e{i}", user, at),
                2 => Message(community, $"e{i}", "staff" + random.Next(2), at, staff: true),
                _ => Message(community, $"e{i}", user, at),
            });
        }
        // Every event twice, in shuffled batches: the duplicates must change nothing.
        var deliveries = events.Concat(events.Take(200)).OrderBy(_ => random.Next()).ToList();
        foreach (var chunk in deliveries.Chunk(97))
            await (await ws.Owner.Api.PostJsonAsync("/api/events", chunk)).ReadAsync<IngestResponse>();
        await CaughtUpAsync();

        var (expected, actual) = await QueryAsync(ws.Id, async db =>
            FigureRecount.Compare(await FigureRecount.FromLogAsync(db, ws.Id), await FigureRecount.StoredAsync(db, ws.Id)));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
        var totals = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>("/api/figures?from=2026-02-20&to=2026-03-10");
        Assert.Equal(events.Count(e => (string)e["kind"]! == "messagePosted"), totals.Days.Sum(d => d.Messages));
    }
}

public sealed class EventApiTests_Sqlite(SqliteFactory factory) : EventApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class EventApiTests_Postgres(PostgresFactory factory) : EventApiTests(factory), IClassFixture<PostgresFactory>;
