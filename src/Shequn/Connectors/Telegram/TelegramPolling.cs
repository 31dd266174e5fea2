using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Shequn.Connectors.Telegram;

/// <summary>
/// Long polling for bots in polling mode. Each bot is polled by one app process at a time: a process takes a bot by a
/// row lease on <see cref="TelegramBot"/> (an UPDATE that succeeds only when the lease is free, expired or its own;
/// atomic on SQLite and PostgreSQL) and renews it before every <c>getUpdates</c>. Updates are stored durably first; only
/// then is the next offset written (under the lease), and the next <c>getUpdates</c> with it confirms them to Telegram.
/// A crash in between means a redelivery, which the log stores once.
/// </summary>
public sealed partial class TelegramPoller(
    IServiceScopeFactory scopes, TelegramClients clients, TelegramSecrets secrets, TelegramBotDirectory directory, TelegramUpdates updates,
    IOptions<TelegramOptions> options, ILogger<TelegramPoller> log) : BackgroundService
{
    /// <summary>This process, as lease owner.</summary>
    public string Owner { get; } = $"{Guid.NewGuid():N}:{Environment.ProcessId}:{Environment.MachineName}" is var o && o.Length > 100 ? o[..100] : o;

    private readonly Dictionary<Guid, Task> _running = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var done in _running.Where(r => r.Value.IsCompleted).Select(r => r.Key).ToList())
                    _running.Remove(done);
                foreach (var id in await PollingBotsAsync(stoppingToken))
                {
                    if (!_running.ContainsKey(id) && await ClaimAsync(id, stoppingToken))
                        _running[id] = Task.Run(() => PollAsync(id, stoppingToken), stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(log, ex);
            }
            await Task.Delay(options.Value.PollScanInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        await Task.WhenAll(_running.Values).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task<List<Guid>> PollingBotsAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = DateTime.UtcNow;
        return await db.Set<TelegramBot>().IgnoreQueryFilters()
            .Where(b => b.Mode == TelegramUpdateMode.Polling && b.Status != TelegramBotStatus.Unauthorized
                && (b.PollLeaseUntil == null || b.PollLeaseUntil < now || b.PollLeaseOwner == Owner))
            .Select(b => b.Id).ToListAsync(ct);
    }

    /// <summary>Takes or renews the bot's lease; false when another process holds it (or the bot is gone).</summary>
    private async Task<bool> ClaimAsync(Guid id, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = DateTime.UtcNow;
        var until = now + options.Value.PollLease;
        var owner = Owner;
        return await db.Set<TelegramBot>().IgnoreQueryFilters()
            .Where(b => b.Id == id && b.Mode == TelegramUpdateMode.Polling && (b.PollLeaseUntil == null || b.PollLeaseUntil < now || b.PollLeaseOwner == owner))
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.PollLeaseOwner, owner).SetProperty(b => b.PollLeaseUntil, until), ct) == 1;
    }

    private async Task PollAsync(Guid id, CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested && await ClaimAsync(id, ct))
        {
            TelegramBot? bot;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                bot = await db.Set<TelegramBot>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct);
            }
            if (bot is null || bot.Mode != TelegramUpdateMode.Polling || bot.Status == TelegramBotStatus.Unauthorized)
                break;
            try
            {
                await PollOnceAsync(bot, ct);
                failures = 0;
            }
            catch (ApiRequestException e) when (e.ErrorCode is 401 or 404)
            {
                await SetStatusAsync(id, TelegramBotStatus.Unauthorized, $"Telegram {e.ErrorCode}: {e.Message}", ct);
                break;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failures++;
                LogPollFailed(log, e, bot.BotUserId);
                await SetStatusAsync(id, TelegramBotStatus.Error, e.Message, ct);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * Math.Min(failures, 20)), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        await ReleaseAsync(id);
    }

    private async Task PollOnceAsync(TelegramBot bot, CancellationToken ct)
    {
        var client = clients.For(secrets.Unprotect(bot.ProtectedToken));
        var batch = await client.GetUpdates((int)Math.Min(bot.PollOffset, int.MaxValue), limit: 100, timeout: options.Value.PollTimeoutSeconds,
            allowedUpdates: TelegramConnections.AllowedUpdates, cancellationToken: ct);
        if (bot.Status != TelegramBotStatus.Connected)
            await SetStatusAsync(bot.Id, TelegramBotStatus.Connected, null, ct);
        if (batch.Length == 0)
            return;
        var connected = directory.ToConnected(bot);
        foreach (var update in batch)
            await updates.HandleAsync(connected, update, null, ct);
        var next = (long)batch.Max(u => u.Id) + 1;
        var owner = Owner;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await db.Set<TelegramBot>().IgnoreQueryFilters().Where(b => b.Id == bot.Id && b.PollLeaseOwner == owner && b.PollOffset < next)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.PollOffset, next), ct);
    }

    private async Task SetStatusAsync(Guid id, TelegramBotStatus status, string? detail, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await TelegramStatusCheck.SaveAsync(db.Set<TelegramBot>().IgnoreQueryFilters().Where(b => b.Id == id), status, detail, ct);
    }

    private async Task ReleaseAsync(Guid id)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var owner = Owner;
            await db.Set<TelegramBot>().IgnoreQueryFilters().Where(b => b.Id == id && b.PollLeaseOwner == owner)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.PollLeaseOwner, (string?)null).SetProperty(b => b.PollLeaseUntil, (DateTime?)null));
        }
        catch (Exception ex)
        {
            LogLoopFailed(log, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Telegram polling: looking for bots to poll failed")]
    private static partial void LogLoopFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram polling for bot {BotUserId} failed; retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception ex, long botUserId);
}

/// <summary>
/// Every few minutes asks Telegram (getMe) about each connected bot, so a revoked token shows without waiting for a
/// failure. <see cref="TelegramBot.StatusAt"/> is when the status was last established: a node first moves it forward
/// for a bot not checked within the interval, and only the node whose update took the row asks, so nodes sharing a
/// database do not each call Telegram for every bot.
/// </summary>
public sealed class TelegramStatusMonitor(IServiceScopeFactory scopes, TelegramClients clients, TelegramSecrets secrets, IOptions<TelegramOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(options.Value.StatusCheckInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            if (stoppingToken.IsCancellationRequested)
                break;
            try
            {
                await CheckDueAsync(stoppingToken);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The next round tries again; a failing database shows in the database health check.
            }
        }
    }

    /// <summary>One round: checks the bots not checked within the interval that this node claims; returns how many.</summary>
    public async Task<int> CheckDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = DateTime.UtcNow;
        var due = now - options.Value.StatusCheckInterval;
        var bots = db.Set<TelegramBot>().IgnoreQueryFilters();
        var checkedBots = 0;
        foreach (var id in await bots.Where(b => b.StatusAt <= due).Select(b => b.Id).ToListAsync(ct))
        {
            if (await bots.Where(b => b.Id == id && b.StatusAt <= due).ExecuteUpdateAsync(s => s.SetProperty(b => b.StatusAt, now), ct) == 0)
                continue; // another node is checking it this round
            var bot = await bots.SingleAsync(b => b.Id == id, ct);
            await TelegramStatusCheck.CheckAsync(bot, clients, secrets, ct);
            await db.SaveChangesWithoutAuditAsync(ct);
            checkedBots++;
        }
        return checkedBots;
    }
}

/// <summary>
/// Each bot as a connection for <c>/health/details</c> (its workspace's owner only) and the anonymous <c>/health</c>
/// summary, which turns Degraded while a token is refused; names and Telegram's words never reach another workspace.
/// </summary>
public sealed class TelegramConnectorHealth(IServiceScopeFactory scopes) : IConnectorHealth
{
    public async Task<IReadOnlyList<ConnectionHealth>> ConnectionsAsync(Guid? workspaceId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var bots = await db.Set<TelegramBot>().IgnoreQueryFilters().AsNoTracking()
            .Where(b => workspaceId == null || b.WorkspaceId == workspaceId)
            .Select(b => new { b.WorkspaceId, b.Username, b.Status, b.StatusDetail, b.StatusAt }).ToListAsync(ct);
        return [.. bots.Select(b => new ConnectionHealth(b.WorkspaceId, ChatPlatform.Telegram, "@" + b.Username, b.Status switch
        {
            TelegramBotStatus.Connected => ConnectionState.Connected,
            TelegramBotStatus.Unauthorized => ConnectionState.Down,
            _ => ConnectionState.Degraded,
        }, b.StatusDetail, b.StatusAt))];
    }
}
