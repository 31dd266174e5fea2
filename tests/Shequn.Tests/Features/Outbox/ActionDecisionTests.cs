using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Outbox;

/// <summary>Staff decisions on actions the dispatcher could not settle, the workspace-wide list, and /health/details.</summary>
public abstract class ActionDecisionTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TestWorkspace Ws, Guid Community)> CommunityAsync(string platform = "sandbox", string name = "动作群")
    {
        var ws = await factory.NewWorkspaceAsync();
        return (ws, await AddCommunityAsync(ws, platform, name));
    }

    private static async Task<Guid> AddCommunityAsync(TestWorkspace ws, string platform, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform))).ReadAsync<CommunityDto>()).Id;

    /// <summary>An action as the dispatcher would have left it (uncertain after a crash, failed with a category).</summary>
    private async Task<Guid> SettledActionAsync(Guid workspaceId, Guid community, ActionKind kind, ActionPayload payload, ActionStatus status,
        ErrorCategory? category = null, string? error = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(workspaceId);
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var action = OutboundAction.Create(workspaceId, community, kind, payload, "test:" + Guid.NewGuid().ToString("N"));
        action.Status = status;
        action.Attempts = status == ActionStatus.Failed ? 8 : 1;
        action.ErrorCategory = category;
        action.Error = error ?? (status == ActionStatus.Uncertain ? "Interrupted while sending" : null);
        action.CompletedAt = DateTime.UtcNow;
        db.Set<OutboundAction>().Add(action);
        await db.SaveChangesAsync(Ct);
        return action.Id;
    }

    private static async Task<ActionDto> SettledAsync(HttpClient api, Guid actionId)
    {
        while (true)
        {
            var a = await api.GetJsonAsync<ActionDto>($"/api/actions/{actionId}");
            if (a.Status is not (ActionStatus.Queued or ActionStatus.Sending))
                return a;
            await Task.Delay(50, Ct);
        }
    }

    private static Task<HttpResponseMessage> DecideAsync(TestStaff staff, Guid id, object body) =>
        staff.Api.PostJsonAsync($"/api/actions/{id}/decision", body);

    private async Task<List<AuditEntry>> AuditAsync(Guid workspaceId, Guid actionId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(workspaceId);
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<AuditEntry>().Where(a => a.EntityId == actionId.ToString()).OrderBy(a => a.At).ToListAsync(Ct);
    }

    [Fact]
    public async Task Decide_ArrivedOnUncertainSend_MarksItDoneByThatStaffAndAudits()
    {
        var (ws, community) = await CommunityAsync();
        var id = await SettledActionAsync(ws.Id, community, ActionKind.Send, new ActionPayload("今晚八点直播"), ActionStatus.Uncertain);

        var response = await DecideAsync(ws.Owner, id, new { decision = "arrived" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var decided = await response.ReadAsync<DecisionDto>();
        Assert.Null(decided.Resent);
        var now = await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{id}");
        Assert.Equal((ActionStatus.Done, ActionResolution.Arrived, ws.Owner.Id), (now.Status, now.Resolution, now.ResolvedByStaffId));
        var audit = (await AuditAsync(ws.Id, id)).Last();
        Assert.Equal(("updated", ws.Owner.Id), (audit.Action, audit.ActorId));
        Assert.Contains("Arrived", audit.After, StringComparison.Ordinal);
        // Decided once: the second decision finds it done.
        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(ws.Owner, id, new { decision = "arrived" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(ws.Owner, id, new { decision = "sendAgain" })).StatusCode);
    }

    [Fact]
    public async Task Decide_SendAgainOnUncertain_QueuesOneLinkedActionThatTheSandboxChatShows()
    {
        var (ws, community) = await CommunityAsync();
        var id = await SettledActionAsync(ws.Id, community, ActionKind.Send, new ActionPayload("欢迎新朋友！"), ActionStatus.Uncertain);

        var decided = await (await DecideAsync(ws.Owner, id, new { decision = "sendAgain" })).ReadAsync<DecisionDto>();

        var resent = Assert.IsType<ActionDto>(decided.Resent);
        Assert.Equal((id, ws.Owner.Id, ActionKind.Send, "欢迎新朋友！"), (resent.ResendOfId!.Value, resent.CausedByStaffId!.Value, resent.Kind, resent.Payload.Text));
        Assert.Equal((ActionStatus.Uncertain, ActionResolution.SentAgain), (decided.Action.Status, decided.Action.Resolution));
        Assert.Equal(ActionStatus.Done, (await SettledAsync(ws.Owner.Api, resent.Id)).Status);
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        await factory.Services.GetRequiredService<Shequn.Features.Events.EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var line = Assert.Single(await scope.ServiceProvider.GetRequiredService<SandboxChat>().RecentAsync(community, 10, Ct));
        Assert.Equal("欢迎新朋友！", line.Text);
        // A second "send again" (a double click, another staff member) makes no second message.
        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(ws.Owner, id, new { decision = "sendAgain" })).StatusCode);
        Assert.Equal(2, (await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>($"/api/communities/{community}/actions")).Total);
        Assert.Equal("created", Assert.Single(await AuditAsync(ws.Id, resent.Id)).Action);
    }

    [Fact]
    public async Task Decide_RetryFailedTransient_QueuesItAgainWithFreshAttemptsAndItGoes()
    {
        var (ws, community) = await CommunityAsync();
        var id = await SettledActionAsync(ws.Id, community, ActionKind.Send, new ActionPayload("再试一次"), ActionStatus.Failed, ErrorCategory.Transient, "connection reset");

        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(ws.Owner, id, new { decision = "retry" })).StatusCode);

        var done = await SettledAsync(ws.Owner.Api, id);
        Assert.Equal((ActionStatus.Done, 1, null), (done.Status, done.Attempts, done.Error));
        Assert.Equal(ws.Owner.Id, (await AuditAsync(ws.Id, id)).Last().ActorId);
    }

    [Fact]
    public async Task Decide_RetryPermanent_IsAConflictUnlessForced()
    {
        var (ws, community) = await CommunityAsync();
        var id = await SettledActionAsync(ws.Id, community, ActionKind.DeleteMessage, new ActionPayload(MessageId: "gone"), ActionStatus.Failed,
            ErrorCategory.Permanent, "Bad Request: message to delete not found");

        var refused = await DecideAsync(ws.Owner, id, new { decision = "retry" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("force", (await refused.Content.ReadAsStringAsync(Ct)), StringComparison.Ordinal);
        Assert.Equal(ActionStatus.Failed, (await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{id}")).Status);

        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(ws.Owner, id, new { decision = "retry", force = true })).StatusCode);
        // The Sandbox still has no such message: the platform refuses again, once.
        var again = await SettledAsync(ws.Owner.Api, id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Permanent, 1), (again.Status, again.ErrorCategory!.Value, again.Attempts));
    }

    [Fact]
    public async Task Decide_DecisionTheStateDoesNotAllow_IsAConflictAndChangesNothing()
    {
        var (ws, community) = await CommunityAsync("manual");
        var failed = await SettledActionAsync(ws.Id, community, ActionKind.Send, new ActionPayload("x"), ActionStatus.Failed, ErrorCategory.Auth, "Unauthorized");
        var done = await SettledActionAsync(ws.Id, community, ActionKind.Ban, new ActionPayload(UserId: "u1"), ActionStatus.Done);

        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(ws.Owner, failed, new { decision = "arrived" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(ws.Owner, failed, new { decision = "sendAgain" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await DecideAsync(ws.Owner, done, new { decision = "retry" })).StatusCode);
        Assert.Equal(ActionStatus.Failed, (await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{failed}")).Status);
        Assert.Single(await AuditAsync(ws.Id, failed)); // only its creation
    }

    [Fact]
    public async Task Decide_BadInputAndRoles_ProblemsAndNothingChanges()
    {
        var (ws, community) = await CommunityAsync("manual");
        var id = await SettledActionAsync(ws.Id, community, ActionKind.Send, new ActionPayload("x"), ActionStatus.Uncertain);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", community);
        var stranger = await ws.AddStaffAsync(StaffRole.Operator, "别的运营");
        var other = await factory.NewWorkspaceAsync();

        Assert.Equal(["decision"], (await (await DecideAsync(ws.Owner, id, new { decision = "maybe" })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["decision"], (await (await DecideAsync(ws.Owner, id, new { })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(HttpStatusCode.BadRequest, (await DecideAsync(ws.Owner, id, new { decision = "arrived", extra = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await DecideAsync(koc, id, new { decision = "arrived" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await DecideAsync(stranger, id, new { decision = "arrived" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await DecideAsync(other.Owner, id, new { decision = "arrived" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await DecideAsync(ws.Owner, Guid.NewGuid(), new { decision = "arrived" })).StatusCode);
        Assert.Equal((ActionStatus.Uncertain, null), await StatusAsync(ws.Owner, id));
        Assert.Single(await AuditAsync(ws.Id, id));
    }

    private static async Task<(ActionStatus, ActionResolution?)> StatusAsync(TestStaff staff, Guid id)
    {
        var a = await staff.Api.GetJsonAsync<ActionDto>($"/api/actions/{id}");
        return (a.Status, a.Resolution);
    }

    [Fact]
    public async Task ListAll_NeedsAttentionFirst_FiltersAndScopedToVisibleCommunities()
    {
        var (ws, mine) = await CommunityAsync("manual", "甲群");
        var theirs = await AddCommunityAsync(ws, "manual", "乙群");
        var operatorOfMine = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", mine);
        var uncertain = await SettledActionAsync(ws.Id, mine, ActionKind.Send, new ActionPayload("a"), ActionStatus.Uncertain);
        var doneMine = await SettledActionAsync(ws.Id, mine, ActionKind.Ban, new ActionPayload(UserId: "u1"), ActionStatus.Done);
        var failedTheirs = await SettledActionAsync(ws.Id, theirs, ActionKind.Remove, new ActionPayload(UserId: "u2"), ActionStatus.Failed, ErrorCategory.Configuration, "not admin");
        var resolved = await SettledActionAsync(ws.Id, mine, ActionKind.Send, new ActionPayload("b"), ActionStatus.Uncertain);
        await DecideAsync(ws.Owner, resolved, new { decision = "arrived" });

        var all = await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>("/api/actions");
        Assert.Equal(4, all.Total);
        Assert.Equal(new[] { failedTheirs, uncertain }.Order(), all.Items.Take(2).Select(a => a.Id).Order());
        var attention = await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>("/api/actions?attention=true");
        Assert.Equal(new[] { failedTheirs, uncertain }.Order(), attention.Items.Select(a => a.Id).Order());
        Assert.Equal(new[] { doneMine, resolved }.Order(), (await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>("/api/actions?status=done")).Items.Select(a => a.Id).Order());
        Assert.Equal(failedTheirs, Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>($"/api/actions?communityId={theirs}")).Items).Id);
        Assert.Equal(doneMine, Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<ActionDto>>("/api/actions?kind=ban")).Items).Id);

        var scoped = await operatorOfMine.Api.GetJsonAsync<Page<ActionDto>>("/api/actions");
        Assert.Equal(3, scoped.Total);
        Assert.DoesNotContain(scoped.Items, a => a.CommunityId == theirs);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorOfMine.Api.GetAsync($"/api/actions/{failedTheirs}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/actions", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync($"/api/communities/{mine}/actions", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync($"/api/actions/{uncertain}", Ct)).StatusCode);
        Assert.Equal(["kind", "status"], (await (await ws.Owner.Api.GetAsync("/api/actions?status=lost&kind=shout", Ct)).ReadValidationErrorsAsync()).Keys.Order());
    }

    [Fact]
    public async Task HealthDetails_PerPlatformConnectionsAndActionCounts_OwnerOnly_HealthStaysPlain()
    {
        var (ws, sandbox) = await CommunityAsync("sandbox", "沙盒健康群");
        var manual = await AddCommunityAsync(ws, "manual", "手动群");
        await SettledActionAsync(ws.Id, manual, ActionKind.Send, new ActionPayload("a"), ActionStatus.Uncertain);
        await SettledActionAsync(ws.Id, manual, ActionKind.Send, new ActionPayload("b"), ActionStatus.Failed, ErrorCategory.Permanent, "no");
        var other = await factory.NewWorkspaceAsync();
        await SettledActionAsync(other.Id, await AddCommunityAsync(other, "manual", "别家"), ActionKind.Send, new ActionPayload("c"), ActionStatus.Failed, ErrorCategory.Auth, "no");
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管理员", sandbox);

        var details = await ws.Owner.Api.GetJsonAsync<JsonElement>("/health/details");

        Assert.Equal("healthy", details.GetProperty("status").GetString(), ignoreCase: true);
        Assert.Contains(details.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "connectors");
        var connectors = details.GetProperty("connectors").EnumerateArray().ToDictionary(c => c.GetProperty("platform").GetString()!, c => c);
        var sbx = connectors["sandbox"];
        var connection = Assert.Single(sbx.GetProperty("connections").EnumerateArray());
        Assert.Equal(("沙盒健康群", "connected"), (connection.GetProperty("name").GetString(), connection.GetProperty("state").GetString()));
        var man = connectors["manual"];
        // Manual has a connector: it can do nothing itself, so everything becomes a staff task.
        Assert.Equal((1, 1, 0, true), (man.GetProperty("failed").GetInt32(), man.GetProperty("uncertain").GetInt32(), man.GetProperty("queued").GetInt32(),
            man.GetProperty("hasConnector").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, man.GetProperty("oldestQueuedSeconds").ValueKind);

        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.GetAsync("/health/details", Ct)).StatusCode);
        var anonymous = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/health/details", Ct)).StatusCode);
        var plain = await anonymous.GetAsync("/health", Ct);
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (plain.StatusCode, await plain.Content.ReadAsStringAsync(Ct)));
    }

    [Fact]
    public async Task HealthDetails_AnotherConnectorsConnectionDown_ListedForItsWorkspaceAndHealthDegraded()
    {
        var (ws, _) = await CommunityAsync("manual");
        var down = new FixedConnections([
            new ConnectionHealth(ws.Id, ChatPlatform.Telegram, "@shequn_bot", ConnectionState.Down, "Unauthorized: token revoked"),
            new ConnectionHealth(Guid.NewGuid(), ChatPlatform.Telegram, "@someone_elses_bot", ConnectionState.Connected)]);
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();

        var connectors = await ConnectorHealthReport.ConnectorsAsync(db, ws.Id, [down], factory.Services.GetRequiredService<Shequn.Connectors.ConnectorRegistry>(), DateTime.UtcNow, Ct);
        var check = await new ConnectorsHealthCheck([down]).CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext(), Ct);

        var telegram = Assert.Single(connectors, c => c.Platform == ChatPlatform.Telegram);
        Assert.Equal(new ConnectionDto("@shequn_bot", ConnectionState.Down, "Unauthorized: token revoked", null), Assert.Single(telegram.Connections));
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, check.Status);
    }

    [Fact]
    public async Task Enqueue_RestrictOnSandbox_MemberShownMutedUntilTheEnd()
    {
        var (ws, community) = await CommunityAsync();
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();
        var bob = await chat.JoinAsync(community, "Bob", null, Ct);
        var until = DateTimeOffset.UtcNow.AddMinutes(10);

        var mute = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "restrict", userId = bob, until })).ReadAsync<ActionDto>();

        Assert.Equal(ActionStatus.Done, (await SettledAsync(ws.Owner.Api, mute.Id)).Status);
        await factory.Services.GetRequiredService<Shequn.Features.Events.EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var member = Assert.Single(await chat.MembersAsync(community, Ct));
        Assert.Equal(until.UtcDateTime, member.MutedUntil!.Value, TimeSpan.FromMilliseconds(1));
        var line = (await chat.RecentAsync(community, 10, Ct))[^1];
        Assert.Equal((Shequn.Features.Events.EventKind.MemberRestricted, "Bob"), (line.Kind, line.Name));
    }

    [Fact]
    public async Task OutboundAction_WrittenByAnotherMeanwhile_StaleDecisionIsRefused()
    {
        var (ws, community) = await CommunityAsync("manual");
        var id = await SettledActionAsync(ws.Id, community, ActionKind.Send, new ActionPayload("x"), ActionStatus.Uncertain);
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var stale = await db.Set<OutboundAction>().SingleAsync(a => a.Id == id, Ct);

        // Another staff member's decision lands between this one's read and its save.
        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(ws.Owner, id, new { decision = "arrived" })).StatusCode);
        stale.Resolution = ActionResolution.SentAgain;
        stale.UpdatedAt = DateTime.UtcNow;

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync(Ct));
    }

    private sealed class FixedConnections(IReadOnlyList<ConnectionHealth> all) : IConnectorHealth
    {
        public Task<IReadOnlyList<ConnectionHealth>> ConnectionsAsync(Guid? workspaceId, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<ConnectionHealth>>([.. all.Where(c => workspaceId is null || c.WorkspaceId == workspaceId)]);
    }
}

public sealed class ActionDecisionTests_Sqlite(SqliteFactory factory) : ActionDecisionTests(factory), IClassFixture<SqliteFactory>;

public sealed class ActionDecisionTests_Postgres(PostgresFactory factory) : ActionDecisionTests(factory), IClassFixture<PostgresFactory>;
