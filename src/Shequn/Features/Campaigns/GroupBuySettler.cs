using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;

namespace Shequn.Features.Campaigns;

/// <summary>
/// The group-buy job, every <see cref="GroupBuyOptions.GroupSettleInterval"/> on every node: releases unpaid seats whose
/// window passed, closes groups whose deadline passed (or whose campaign was cancelled), and attempts due refunds. Each
/// step is a conditional update (or a claimed attempt), so two nodes doing the same pass cannot both act on one row.
/// Off with <c>Campaigns:GroupSettleEnabled=false</c>.
/// </summary>
public sealed partial class GroupBuySettler(IServiceScopeFactory scopes, TimeProvider time, IOptions<GroupBuyOptions> options, ILogger<GroupBuySettler> log) : BackgroundService
{
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.GroupSettleEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.GroupSettleInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass; returns what it did (seats released, groups closed, refunds done).</summary>
    public async Task<(int Released, int Closed, int Refunded)> RunOnceAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var buys = scope.ServiceProvider.GetRequiredService<GroupBuys>();
        var refunds = scope.ServiceProvider.GetRequiredService<GroupRefunds>();
        var (released, closed, refunded) = (0, 0, 0);

        var seats = await db.Set<CampaignGroupSeat>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.Status == SeatStatus.Reserved && x.ExpiresAt <= now).OrderBy(x => x.ExpiresAt).Take(BatchSize).Select(x => x.Id).ToListAsync(ct);
        foreach (var id in seats)
            released += await buys.ReleaseSeatAsync(id, ct) ? 1 : 0;

        var cancelled = db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Status == CampaignStatus.Cancelled).Select(c => c.Id);
        var groups = await db.Set<CampaignGroup>().IgnoreQueryFilters().AsNoTracking()
            .Where(g => g.Status == GroupStatus.Open && (g.ExpiresAt <= now || cancelled.Contains(g.CampaignId)))
            .OrderBy(g => g.ExpiresAt).Take(BatchSize).Select(g => g.Id).ToListAsync(ct);
        foreach (var id in groups)
            closed += await buys.SettleAsync(id, ct) ? 1 : 0;

        foreach (var id in await refunds.DueAsync(BatchSize, ct))
            refunded += await refunds.AttemptAsync(id, ct) ? 1 : 0;
        return (released, closed, refunded);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A group-buy pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
