using Microsoft.Extensions.Options;

namespace Shequn.Features.Campaigns;

/// <summary>
/// Releases flash-sale reservations whose payment window passed, every <see cref="FlashSaleOptions.ReleaseInterval"/>,
/// on every node: each release is a conditional update from reserved, so two nodes releasing the same claim (or a
/// release racing the shop's payment) cannot both win. Off with <c>Campaigns:ReleaseEnabled=false</c>.
/// </summary>
public sealed partial class FlashSaleReleaser(IServiceScopeFactory scopes, IOptions<FlashSaleOptions> options, ILogger<FlashSaleReleaser> log) : BackgroundService
{
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ReleaseEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunOnceAsync(stoppingToken) == BatchSize)
                {
                }
                await Task.Delay(options.Value.ReleaseInterval, stoppingToken);
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

    /// <summary>One pass: the expired reservations found, each released in its own transaction; returns how many were found.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var sale = scope.ServiceProvider.GetRequiredService<FlashSale>();
        var expired = await sale.ExpiredAsync(BatchSize, ct);
        foreach (var id in expired)
            await sale.ReleaseAsync(id, ct);
        return expired.Count;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Releasing expired flash-sale reservations failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
