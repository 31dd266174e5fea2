using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;

namespace Shequn.Features.Analytics;

public sealed class AnalyticsOptions
{
    /// <summary>How long a member's message id is remembered so that a reply to it finds its sender. Replies to older
    /// messages still count as messages but make no reply edge.</summary>
    public int ReplyMemoryDays { get; set; } = 30;

    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    public bool PruneEnabled { get; set; } = true;

    /// <summary>Whether <see cref="CohortSettle"/> stores the cohorts' settled outcomes (the report computes what is not stored).</summary>
    public bool CohortSettleEnabled { get; set; } = true;

    public TimeSpan CohortSettleInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after a cohort offset's moment its outcome is stored for good: late events arrive within it.</summary>
    public TimeSpan CohortGrace { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Whether <see cref="WorkspaceDaySettle"/> stores complete days for the overview (it counts what is not stored).</summary>
    public bool WorkspaceDaysEnabled { get; set; } = true;

    public TimeSpan WorkspaceDaysInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many complete days back each workspace's days are kept stored (the overview reads 30, the activity
    /// pages up to 90).</summary>
    public int WorkspaceDaysKept { get; set; } = 92;

    /// <summary>The pause after storing a day: at least this, and at least as long as the day took, so that the pass
    /// (which holds SQLite's write lock, or PostgreSQL's share locks, while it counts a day) leaves other writers the
    /// lock at least half the time. Zero: no pause (tests).</summary>
    public TimeSpan WorkspaceDaysPause { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// Forgets <see cref="InteractionMessage"/> rows older than <see cref="AnalyticsOptions.ReplyMemoryDays"/>: the table gains
/// a row per member message and only recent ones are replied to. Deletes in batches by age. On PostgreSQL each batch is
/// claimed with <c>FOR UPDATE SKIP LOCKED</c>, so two nodes running it at once take disjoint batches instead of queueing
/// behind each other's row locks; SQLite has one writer anyway.
/// </summary>
public sealed partial class InteractionPrune(IServiceScopeFactory scopes, IOptions<AnalyticsOptions> options, TimeProvider time, ILogger<InteractionPrune> log)
    : BackgroundService
{
    public const int BatchSize = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.PruneEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.PruneInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(30), time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over every workspace; returns the rows this node deleted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var deleted = await ForgetAsync(scopes, time.GetUtcNow().UtcDateTime.AddDays(-options.Value.ReplyMemoryDays), null, ct);
        if (deleted > 0)
            LogForgotten(log, deleted);
        return deleted;
    }

    /// <summary>
    /// Deletes message ids older than <paramref name="before"/> (of one workspace, or of all), a batch per scope, until
    /// none is left that another node has not claimed; returns the rows this node deleted. The workspaces' retention
    /// (<see cref="Workspaces.MessageRetention"/>) forgets them the same way.
    /// </summary>
    public static async Task<int> ForgetAsync(IServiceScopeFactory scopes, DateTime before, Guid? workspaceId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var deleted = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var (count, more) = db.Database.IsNpgsql()
                ? await DeleteClaimedBatchAsync(db, before, workspaceId, ct)
                : await DeleteBatchAsync(db, before, workspaceId, ct);
            deleted += count;
            if (!more)
                return deleted;
        }
    }

    private static async Task<(int Deleted, bool More)> DeleteClaimedBatchAsync(AppDbContext db, DateTime before, Guid? workspaceId, CancellationToken ct)
    {
        // Rows another node has claimed are skipped, not waited for.
        var sql = $$"""
            DELETE FROM "InteractionMessages" WHERE ("CommunityId", "MessageId") IN (
                SELECT "CommunityId", "MessageId" FROM "InteractionMessages" WHERE "At" < {0}{{(workspaceId is null ? "" : """ AND "WorkspaceId" = {1}""")}}
                ORDER BY "At" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED)
            """;
        var deleted = await db.Database.ExecuteSqlRawAsync(sql, workspaceId is { } ws ? [before, ws] : [before], ct);
        // Fewer than a batch: nothing old is left, or the rest is another node's claim.
        return (deleted, deleted == BatchSize);
    }

    private static async Task<(int Deleted, bool More)> DeleteBatchAsync(AppDbContext db, DateTime before, Guid? workspaceId, CancellationToken ct)
    {
        var old = db.Set<InteractionMessage>().IgnoreQueryFilters().Where(m => m.At < before);
        if (workspaceId is { } ws)
            old = old.Where(m => m.WorkspaceId == ws);
        var batch = await old.OrderBy(m => m.At).Take(BatchSize).Select(m => new { m.CommunityId, m.MessageId }).ToListAsync(ct);
        var deleted = 0;
        foreach (var community in batch.GroupBy(m => m.CommunityId))
        {
            var ids = community.Select(m => m.MessageId).ToList();
            deleted += await db.Set<InteractionMessage>().IgnoreQueryFilters()
                .Where(m => m.CommunityId == community.Key && ids.Contains(m.MessageId) && m.At < before).ExecuteDeleteAsync(ct);
        }
        return (deleted, batch.Count == BatchSize);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} old message ids of the interaction graph")]
    private static partial void LogForgotten(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Forgetting old message ids of the interaction graph failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
