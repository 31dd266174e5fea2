using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Budget;

public sealed class BudgetOptions
{
    /// <summary>How often every node checks this month's spending against the cap (rewards granted by campaigns count too).</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromMinutes(5);

    public bool WatchEnabled { get; set; } = true;
}

/// <summary>
/// Raises the budget alerts that spending outside a cost save reaches (campaign rewards granted), for the current month
/// of every workspace with a cap. Safe on every node at once: an alert is one row per month and threshold under a
/// unique key, so a second node's insert loses and changes nothing.
/// </summary>
public sealed partial class BudgetWatch(IServiceScopeFactory scopes, IOptions<BudgetOptions> options, TimeProvider time, ILogger<BudgetWatch> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WatchEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.WatchInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over the workspaces with a cap; returns the alerts it raised.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var workspaces = await db.Set<BudgetCap>().IgnoreQueryFilters().Select(c => c.WorkspaceId).Distinct()
            .Join(db.Workspaces, id => id, w => w.Id, (id, w) => new { w.Id, w.TimeZone }).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var raised = 0;
        foreach (var w in workspaces)
        {
            var month = BudgetBook.MonthOf(DailyFigures.DayOf(now, WorkspaceZones.Find(w.TimeZone) ?? WorkspaceZones.Default));
            using (db.Current.ActAsSystemWhile(w.Id))
                raised += await BudgetBook.RaiseAlertsAsync(db, w.Id, month, now, ct);
        }
        return raised;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking budgets against their caps failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
