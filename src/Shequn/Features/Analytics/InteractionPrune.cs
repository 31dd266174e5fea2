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
}

/// <summary>
/// Forgets <see cref="InteractionMessage"/> rows older than <see cref="AnalyticsOptions.ReplyMemoryDays"/>: the table gains
/// a row per member message and only recent ones are replied to. Deletes in batches by age; two nodes running it at
/// once delete disjoint or already-gone rows, which changes nothing.
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

    /// <summary>One pass over every workspace; returns the rows deleted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var before = time.GetUtcNow().UtcDateTime.AddDays(-options.Value.ReplyMemoryDays);
        var deleted = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var batch = await db.Set<InteractionMessage>().IgnoreQueryFilters().Where(m => m.At < before)
                .OrderBy(m => m.At).Take(BatchSize).Select(m => new { m.CommunityId, m.MessageId }).ToListAsync(ct);
            if (batch.Count == 0)
                return deleted;
            foreach (var community in batch.GroupBy(m => m.CommunityId))
            {
                var ids = community.Select(m => m.MessageId).ToList();
                deleted += await db.Set<InteractionMessage>().IgnoreQueryFilters()
                    .Where(m => m.CommunityId == community.Key && ids.Contains(m.MessageId) && m.At < before).ExecuteDeleteAsync(ct);
            }
            if (batch.Count < BatchSize)
                return deleted;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Forgetting old message ids of the interaction graph failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
