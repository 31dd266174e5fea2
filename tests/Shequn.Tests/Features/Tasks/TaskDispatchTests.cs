using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shequn.Connectors;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Features.Outbox;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Tasks;

/// <summary>The dispatcher's task branch, stepped by hand: a task exists exactly when its action is a task.</summary>
public abstract class TaskDispatchTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid Ws, Guid Community, Guid Action)> QueuedAsync(string platform, ActionKind kind)
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("派发群", platform))).ReadAsync<CommunityDto>();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        var a = OutboundAction.Create(ws.Id, c.Id, kind, new ActionPayload(Text: "全体通知：周六停发货"), "t:" + Guid.NewGuid().ToString("N"));
        a.NextAttemptAt = DateTime.UtcNow.AddSeconds(-1);
        db.Set<OutboundAction>().Add(a);
        await db.SaveChangesWithoutAuditAsync(Ct);
        return (ws.Id, c.Id, a.Id);
    }

    private async Task<(ActionStatus Status, List<StaffTask> Tasks)> ReadAsync(Guid actionId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var status = await db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.Id == actionId).Select(a => a.Status).SingleAsync(Ct);
        return (status, await db.Set<StaffTask>().IgnoreQueryFilters().Where(t => t.ActionId == actionId).ToListAsync(Ct));
    }

    [Fact]
    public async Task Dispatch_KindTheTelegramConnectorLacks_BecomesOneTaskAndNoCall()
    {
        var (_, _, action) = await QueuedAsync("telegram", ActionKind.MassSend);
        var connector = new ScriptedConnector(ChatPlatform.Telegram, RateLimits.None); // can do everything but mass-send
        var dispatcher = new OutboxDispatcher(factory.Services.GetRequiredService<IServiceScopeFactory>(), new ConnectorRegistry([connector]),
            new OutboxRateLimiter(TimeProvider.System), TimeProvider.System, new OutboxSignal(), Options.Create(new OutboxOptions()), NullLogger<OutboxDispatcher>.Instance);

        await dispatcher.DispatchOnceAsync(Ct);
        await dispatcher.DispatchOnceAsync(Ct);

        var (status, tasks) = await ReadAsync(action);
        Assert.Equal(ActionStatus.Task, status);
        var task = Assert.Single(tasks);
        Assert.Equal((ActionKind.MassSend, "全体通知：周六停发货", StaffTaskStatus.Open), (task.Kind, task.Text, task.Status));
        Assert.Empty(connector.Calls);
    }

    [Fact]
    public async Task Dispatch_TaskCannotBeOpened_ActionIsQueuedAgainNotUncertain()
    {
        var (ws, _, action) = await QueuedAsync("manual", ActionKind.Send);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            // A workspace whose only owner was deactivated has nobody to give the task to.
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.Users.Where(u => u.WorkspaceId == ws).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsActive, false), Ct);
        }
        var dispatcher = new OutboxDispatcher(factory.Services.GetRequiredService<IServiceScopeFactory>(), new ConnectorRegistry([]),
            new OutboxRateLimiter(TimeProvider.System), TimeProvider.System, new OutboxSignal(), Options.Create(new OutboxOptions()), NullLogger<OutboxDispatcher>.Instance);

        await dispatcher.DispatchOnceAsync(Ct);

        await using var read = factory.Services.CreateAsyncScope();
        var a = await read.ServiceProvider.GetRequiredService<AppDbContext>().Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().SingleAsync(x => x.Id == action, Ct);
        Assert.Equal((ActionStatus.Queued, 1, ErrorCategory.Transient), (a.Status, a.Attempts, a.ErrorCategory));
        Assert.StartsWith("Could not open a staff task", a.Error, StringComparison.Ordinal);
        Assert.Empty((await ReadAsync(action)).Tasks);
    }

    [Fact]
    public async Task Open_FailsAfterTheStatusChange_ActionStaysAsItWasAndNoTask()
    {
        var (ws, _, actionId) = await QueuedAsync("manual", ActionKind.Send);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        var action = await db.Set<OutboundAction>().AsNoTracking().SingleAsync(a => a.Id == actionId, Ct);
        async Task<int> MarkTaskThenCrash(string text)
        {
            await db.Set<OutboundAction>().Where(a => a.Id == actionId).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, ActionStatus.Task), Ct);
            throw new IOException("the process died before the task was saved");
        }

        await Assert.ThrowsAsync<IOException>(() => scope.ServiceProvider.GetRequiredService<TaskOpener>()
            .OpenAsync(db, action, new ActionPayload(Text: "x"), DateTime.UtcNow, MarkTaskThenCrash, Ct));

        var (status, tasks) = await ReadAsync(actionId);
        Assert.Equal((ActionStatus.Queued, 0), (status, tasks.Count));
    }

    [Fact]
    public async Task Open_Twice_KeepsOneTask()
    {
        var (ws, _, actionId) = await QueuedAsync("manual", ActionKind.Send);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        var action = await db.Set<OutboundAction>().AsNoTracking().SingleAsync(a => a.Id == actionId, Ct);
        var opener = scope.ServiceProvider.GetRequiredService<TaskOpener>();

        var first = await opener.OpenAsync(db, action, new ActionPayload(Text: "x"), DateTime.UtcNow, _ => Task.FromResult(1), Ct);
        db.ChangeTracker.Clear();
        var second = await opener.OpenAsync(db, action, new ActionPayload(Text: "x"), DateTime.UtcNow, _ => Task.FromResult(1), Ct);

        Assert.Equal(first!.Id, second!.Id);
        Assert.Single((await ReadAsync(actionId)).Tasks);
    }

    [Fact]
    public async Task Open_ActionNoLongerHeld_WritesNoTask()
    {
        var (ws, _, actionId) = await QueuedAsync("manual", ActionKind.Send);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var action = await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == actionId, Ct);

        var task = await scope.ServiceProvider.GetRequiredService<TaskOpener>().OpenAsync(db, action, new ActionPayload(Text: "x"), DateTime.UtcNow, _ => Task.FromResult(0), Ct);

        Assert.Null(task);
        Assert.Empty((await ReadAsync(actionId)).Tasks);
        Assert.Equal(ws, db.Current.WorkspaceId);
    }
}

public sealed class TaskDispatchTests_Sqlite(QuietOutboxSqliteFactory factory) : TaskDispatchTests(factory), IClassFixture<QuietOutboxSqliteFactory>;

public sealed class TaskDispatchTests_Postgres(QuietOutboxPostgresFactory factory) : TaskDispatchTests(factory), IClassFixture<QuietOutboxPostgresFactory>;
