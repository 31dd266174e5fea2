using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Sandbox;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Sandbox;

public abstract class SandboxTests(ShequnFactory factory)
{
    private async Task<(TestWorkspace Ws, Guid Community)> SandboxCommunityAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("沙盒群", "sandbox"))).ReadAsync<CommunityDto>();
        return (ws, c.Id);
    }

    private Task CaughtUpAsync() =>
        factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(TestContext.Current.CancellationToken);

    private async Task AssertFiguresEqualRecountAsync(Guid workspaceId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var (expected, actual) = FigureRecount.Compare(await FigureRecount.FromLogAsync(db, workspaceId), await FigureRecount.StoredAsync(db, workspaceId));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Chat_JoinPostLeave_ShowsLinesAndUpdatesMembership()
    {
        var (ws, community) = await SandboxCommunityAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
        var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();

        var alice = await chat.JoinAsync(community, "杭州-IT-Alice", "直播间", ct);
        await chat.PostAsync(community, alice, "杭州-IT-Alice", "大家好", fromStaff: false, ct);
        await chat.PostAsync(community, "staff-1", "客服", "欢迎！", fromStaff: true, ct);
        await CaughtUpAsync();
        Assert.Equal("杭州-IT-Alice", Assert.Single(await chat.MembersAsync(community, ct)).Name);

        await chat.LeaveAsync(community, alice, "杭州-IT-Alice", ct);
        await CaughtUpAsync();

        var lines = await chat.RecentAsync(community, 10, ct);
        Assert.Equal([EventKind.MemberJoined, EventKind.MessagePosted, EventKind.MessagePosted, EventKind.MemberLeft], lines.Select(l => l.Kind));
        Assert.Equal("大家好", lines[1].Text);
        Assert.True(lines[2].FromStaff);
        Assert.Empty(await chat.MembersAsync(community, ct));
        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{community}/figures?from={DailyFigures.DayOf(DateTime.UtcNow, Shequn.Features.Workspaces.WorkspaceZones.Default):yyyy-MM-dd}");
        var today = Assert.Single(figures.Days);
        Assert.Equal((1, 1, 2, 1, 1), (today.NewMembers, today.Leaves, today.Messages, today.StaffMessages, today.ActiveMembers));
    }

    [Fact]
    public async Task Chat_StaffDeleteMessageThroughTheOutbox_StrikesItAndCountsTheDeletion()
    {
        var (ws, community) = await SandboxCommunityAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
        var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();
        var bob = await chat.JoinAsync(community, "Bob", null, ct);
        await chat.PostAsync(community, bob, "Bob", "加微 sx111505 有福利", fromStaff: false, ct);
        await chat.PostAsync(community, bob, "Bob", "谢谢", fromStaff: false, ct);
        var ad = (await chat.RecentAsync(community, 10, ct)).Single(l => l.Text == "加微 sx111505 有福利");

        // Staff delete through the one path for acting; the Sandbox connector reports the deletion back as an event.
        var delete = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "deleteMessage", messageId = ad.MessageId })).ReadAsync<Shequn.Features.Outbox.ActionDto>();
        while ((await ws.Owner.Api.GetJsonAsync<Shequn.Features.Outbox.ActionDto>($"/api/actions/{delete.Id}")).Status is Shequn.Features.Outbox.ActionStatus.Queued or Shequn.Features.Outbox.ActionStatus.Sending)
            await Task.Delay(50, ct);
        await CaughtUpAsync();

        var lines = await chat.RecentAsync(community, 10, ct);
        Assert.True(lines.Single(l => l.MessageId == ad.MessageId).Deleted);
        Assert.False(lines.Single(l => l.Text == "谢谢").Deleted);
        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{community}/figures?from={DailyFigures.DayOf(DateTime.UtcNow, Shequn.Features.Workspaces.WorkspaceZones.Default):yyyy-MM-dd}");
        var today = Assert.Single(figures.Days);
        Assert.Equal((2, 1), (today.Messages, today.DeletedMessages));
        await AssertFiguresEqualRecountAsync(ws.Id);
    }

    [Fact]
    public async Task Chat_NonSandboxCommunity_IsNotFound()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("企微群", "weCom"))).ReadAsync<CommunityDto>();
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);

        Assert.Null(await scope.ServiceProvider.GetRequiredService<SandboxChat>().FindAsync(c.Id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Traffic_FiveDaysThroughIngestor_FiguresEqualRecount()
    {
        var (ws, community) = await SandboxCommunityAsync();
        var ingestor = factory.Services.GetRequiredService<EventIngestor>();
        var traffic = new SandboxTraffic(42, ws.Id, community, "t:", []);
        var first = new DateOnly(2026, 3, 1);
        var events = traffic.Founders(first, 60);
        for (var day = first; day < first.AddDays(5); day = day.AddDays(1))
            events.AddRange(traffic.Day(day, 300, DateTime.MaxValue));

        foreach (var chunk in events.Chunk(250))
            await ingestor.IngestAsync(chunk, TestContext.Current.CancellationToken);
        await CaughtUpAsync();

        Assert.Contains(events, e => e.Kind == EventKind.MemberRemoved);
        Assert.Contains(events, e => e.FromStaff);
        await AssertFiguresEqualRecountAsync(ws.Id);
        var c = await ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{community}");
        Assert.Equal(traffic.MemberCount, c.MemberCount);
    }

    [Fact]
    public async Task Simulator_Running_FeedsThePipeline()
    {
        var (ws, community) = await SandboxCommunityAsync();
        var simulator = factory.Services.GetRequiredService<SandboxSimulator>();
        var ct = TestContext.Current.CancellationToken;

        await simulator.StartAsync(ws.Id, community, 6000, ct);
        while (simulator.Sent(community) < 100)
            await Task.Delay(50, ct);
        simulator.Stop(community);
        await CaughtUpAsync();

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.True(await db.Set<CommunityEvent>().CountAsync(e => e.CommunityId == community, ct) >= 100);
        await AssertFiguresEqualRecountAsync(ws.Id);
    }
}

public sealed class SandboxTests_Sqlite(SqliteFactory factory) : SandboxTests(factory), IClassFixture<SqliteFactory>;

public sealed class SandboxTests_Postgres(PostgresFactory factory) : SandboxTests(factory), IClassFixture<PostgresFactory>;
