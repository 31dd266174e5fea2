using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.Sandbox;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Outbox;

/// <summary>Staff actions through the API, dispatched by the running dispatcher through the Sandbox connector.</summary>
public abstract class OutboxApiTests(ShequnFactory factory)
{
    private async Task<(TestWorkspace Ws, Guid Community)> CommunityAsync(string platform = "sandbox")
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("动作群-" + platform, platform))).ReadAsync<CommunityDto>();
        return (ws, c.Id);
    }

    private static async Task<ActionDto> SettledAsync(HttpClient api, Guid actionId)
    {
        // Polls until the dispatcher settles it; the test's own timeout bounds the wait.
        while (true)
        {
            var a = await api.GetJsonAsync<ActionDto>($"/api/actions/{actionId}");
            if (a.Status is not (ActionStatus.Queued or ActionStatus.Sending))
                return a;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private async Task<(AsyncServiceScope Scope, SandboxChat Chat)> ChatAsync(Guid workspaceId)
    {
        var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(workspaceId);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(TestContext.Current.CancellationToken);
        return (scope, scope.ServiceProvider.GetRequiredService<SandboxChat>());
    }

    [Fact]
    public async Task Enqueue_SendOnSandbox_ChatShowsBotMessageAndFiguresCountIt()
    {
        var (ws, community) = await CommunityAsync();

        var response = await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "send", text = "欢迎新朋友！" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var queued = await response.ReadAsync<ActionDto>();
        var done = await SettledAsync(ws.Owner.Api, queued.Id);

        Assert.Equal((ActionStatus.Done, 1, ws.Owner.Id), (done.Status, done.Attempts, done.CausedByStaffId));
        Assert.NotNull(done.PlatformIds);
        var (scope, chat) = await ChatAsync(ws.Id);
        await using var _ = scope;
        var line = Assert.Single(await chat.RecentAsync(community, 10, TestContext.Current.CancellationToken));
        Assert.Equal((EventKind.MessagePosted, "欢迎新朋友！", true, SandboxConnector.BotName, done.PlatformIds), (line.Kind, line.Text, line.FromStaff, line.Name, line.MessageId));
        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{community}/figures?from={DailyFigures.DayOf(DateTime.UtcNow, Shequn.Features.Workspaces.WorkspaceZones.Default):yyyy-MM-dd}");
        Assert.Equal((1, 1), (figures.Days.Single().Messages, figures.Days.Single().StaffMessages));
        var listed = await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>($"/api/communities/{community}/actions");
        Assert.Equal(queued.Id, Assert.Single(listed.Items).Id);
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var audit = await db.Set<AuditEntry>().SingleAsync(a => a.EntityId == queued.Id.ToString(), TestContext.Current.CancellationToken);
        Assert.Equal((nameof(OutboundAction), "created", ws.Owner.Id), (audit.EntityType, audit.Action, audit.ActorId));
        var filtered = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit?entityType=outboundAction");
        Assert.Equal(queued.Id.ToString(), Assert.Single(filtered.Items).EntityId);
    }

    [Fact]
    public async Task Enqueue_DeleteAndRemoveOnSandbox_StrikesMessageAndMemberLeaves()
    {
        var (ws, community) = await CommunityAsync();
        var ct = TestContext.Current.CancellationToken;
        var (scope, chat) = await ChatAsync(ws.Id);
        await using var _ = scope;
        var bob = await chat.JoinAsync(community, "Bob", null, ct);
        await chat.PostAsync(community, bob, "Bob", "加微 sx111505 有福利", fromStaff: false, ct);
        var ad = (await chat.RecentAsync(community, 10, ct)).Single(l => l.Kind == EventKind.MessagePosted);

        var delete = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "deleteMessage", messageId = ad.MessageId })).ReadAsync<ActionDto>();
        var remove = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "remove", userId = bob })).ReadAsync<ActionDto>();
        Assert.Equal(ActionStatus.Done, (await SettledAsync(ws.Owner.Api, delete.Id)).Status);
        Assert.Equal(ActionStatus.Done, (await SettledAsync(ws.Owner.Api, remove.Id)).Status);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(ct);

        var lines = await chat.RecentAsync(community, 10, ct);
        Assert.True(lines.Single(l => l.MessageId == ad.MessageId).Deleted);
        Assert.Equal((EventKind.MemberRemoved, "Bob"), (lines[^1].Kind, lines[^1].Name));
        Assert.Empty(await chat.MembersAsync(community, ct));
    }

    [Fact]
    public async Task Enqueue_KindTheSandboxCannotDo_BecomesTaskWithText()
    {
        var (ws, community) = await CommunityAsync();

        var queued = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "revokeInviteLink", inviteLink = "https://t.me/+abc" })).ReadAsync<ActionDto>();
        var settled = await SettledAsync(ws.Owner.Api, queued.Id);

        Assert.Equal(ActionStatus.Task, settled.Status);
        Assert.Contains("https://t.me/+abc", settled.Payload.TaskText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_OnPlatformWithoutConnector_BecomesTaskWithTheTextToPaste()
    {
        var (ws, community) = await CommunityAsync("manual");

        var queued = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "send", text = "今晚八点直播" })).ReadAsync<ActionDto>();
        var settled = await SettledAsync(ws.Owner.Api, queued.Id);

        Assert.Equal((ActionStatus.Task, "今晚八点直播"), (settled.Status, settled.Payload.TaskText));
    }

    [Fact]
    public async Task Enqueue_BadFields_ValidationProblemNamesThem()
    {
        var (ws, community) = await CommunityAsync();
        var url = $"/api/communities/{community}/actions";

        Assert.Contains("kind", (await (await ws.Owner.Api.PostJsonAsync(url, new { kind = "shout" })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["text"], (await (await ws.Owner.Api.PostJsonAsync(url, new { kind = "send" })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["messageId", "text"], (await (await ws.Owner.Api.PostJsonAsync(url, new { kind = "reply" })).ReadValidationErrorsAsync()).Keys.Order());
        Assert.Equal(["userId"], (await (await ws.Owner.Api.PostJsonAsync(url, new { kind = "ban" })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["until"], (await (await ws.Owner.Api.PostJsonAsync(url, new { kind = "restrict", userId = "u1", until = DateTimeOffset.UtcNow.AddHours(-1) })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["text"], (await (await ws.Owner.Api.PostJsonAsync(url, new { kind = "send", text = new string('x', OutboundAction.TextMaxLength + 1) })).ReadValidationErrorsAsync()).Keys);
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>(url)).Items);
    }

    [Fact]
    public async Task Enqueue_KocOrUnassignedOperator_IsRefusedAndWritesNothing()
    {
        var (ws, community) = await CommunityAsync("manual");
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", community);
        var stranger = await ws.AddStaffAsync(StaffRole.Operator, "别的运营");
        var url = $"/api/communities/{community}/actions";

        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync(url, new { kind = "send", text = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Api.PostJsonAsync(url, new { kind = "send", text = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Api.GetAsync(url, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>(url)).Items);
    }

    [Fact]
    public async Task Get_AnotherWorkspacesAction_IsNotFound()
    {
        var (ws, community) = await CommunityAsync("manual");
        var other = await factory.NewWorkspaceAsync();
        var queued = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "ban", userId = "u-1" })).ReadAsync<ActionDto>();

        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.GetAsync($"/api/actions/{queued.Id}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "ban", userId = "u-1" })).StatusCode);
        Assert.Equal(queued.Id, (await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{queued.Id}")).Id);
    }

    [Fact]
    public async Task Enqueue_SameIdempotencyKeyTwice_MakesOneAction()
    {
        var (ws, community) = await CommunityAsync("manual");
        var url = $"/api/communities/{community}/actions";

        var first = await (await ws.Owner.Api.PostJsonAsync(url, new { kind = "send", text = "一次", idempotencyKey = "k-1" })).ReadAsync<ActionDto>();
        var again = await ws.Owner.Api.PostJsonAsync(url, new { kind = "send", text = "一次", idempotencyKey = "k-1" });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.Id, (await again.ReadAsync<ActionDto>()).Id);
        Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>(url)).Items);
    }
}

public sealed class OutboxApiTests_Sqlite(SqliteFactory factory) : OutboxApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class OutboxApiTests_Postgres(PostgresFactory factory) : OutboxApiTests(factory), IClassFixture<PostgresFactory>;
