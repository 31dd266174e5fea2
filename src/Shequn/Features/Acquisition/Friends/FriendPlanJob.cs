using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;

namespace Shequn.Features.Acquisition;

/// <summary>
/// Plans each workspace's day on its own: every <see cref="FriendPlanOptions.CheckEvery"/>, for each workspace with an
/// active account and leads waiting (or planned leads of a day that has ended), it returns the unfinished ones to the
/// queue and plans today (<see cref="FriendPlanner.PlanAsync"/>), so the morning's plan is there when the window opens
/// and leads queued during the day fill the slots still ahead. Two nodes may run it at once: the planner fills only
/// free slots, and a slot is unique per account and day, so no lease is needed.
/// </summary>
public sealed partial class FriendPlanJob(IServiceScopeFactory scopes, IOptions<FriendPlanOptions> options, TimeProvider time, ILogger<FriendPlanJob> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
            await Task.Delay(options.Value.CheckEvery, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>One pass over the workspaces; returns how many leads it planned.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        List<Guid> workspaces;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            workspaces = await db.Set<FriendAccount>().IgnoreQueryFilters().Where(a => a.Active).Select(a => a.WorkspaceId).Distinct().ToListAsync(ct);
        }
        var planned = 0;
        foreach (var ws in workspaces)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws);
            if (!await db.Set<FriendLead>().AnyAsync(l => l.Status == FriendLeadStatus.Queued || l.Status == FriendLeadStatus.Planned, ct))
                continue;
            var planner = scope.ServiceProvider.GetRequiredService<FriendPlanner>();
            var result = await planner.PlanAsync(await planner.TodayAsync(ct), ct);
            if (result.Planned > 0 || result.Released > 0)
                LogPlanned(log, ws, result.Day, result.Planned, result.Released);
            planned += result.Planned;
        }
        return planned;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Friend adds in workspace {Workspace} for {Day}: {Planned} planned, {Released} back in the queue")]
    private static partial void LogPlanned(ILogger logger, Guid workspace, DateOnly day, int planned, int released);

    [LoggerMessage(Level = LogLevel.Error, Message = "Planning friend adds failed")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
