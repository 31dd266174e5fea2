using Microsoft.Extensions.Options;

namespace Shequn.Features.Orders;

/// <summary>
/// Retries unmatched orders every <see cref="OrderOptions.MatchInterval"/> on every node (members gain platform
/// identities and phones after they buy). Each match is a conditional update, so two nodes in the same pass match an
/// order once. Off with <c>Orders:MatchEnabled=false</c>.
/// </summary>
public sealed partial class OrderMatchJob(IServiceScopeFactory scopes, TimeProvider time, IOptions<OrderOptions> options, ILogger<OrderMatchJob> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.MatchEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.MatchInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass; returns the orders matched.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var matching = scope.ServiceProvider.GetRequiredService<OrderMatching>();
        return await matching.MatchPendingAsync(options.Value.MatchBatch, time.GetUtcNow().UtcDateTime, ct);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "An order matching pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
