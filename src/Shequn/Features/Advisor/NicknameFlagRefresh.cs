using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Enforcement;

namespace Shequn.Features.Advisor;

public sealed class AdvisorOptions
{
    /// <summary>How often every node rechecks the nickname flags of communities whose format changed (at start: the
    /// backfill of rows made before the flags existed).</summary>
    public TimeSpan NicknameRefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    public bool NicknameRefreshEnabled { get; set; } = true;
}

/// <summary>
/// <see cref="NicknameFlags.RefreshAsync"/> over every workspace, at start and then every
/// <see cref="AdvisorOptions.NicknameRefreshInterval"/>: fills the flags of existing memberships and follows format
/// changes saved on another node. A rule set change on this node (<see cref="RuleSetChanges"/>: saved, made default,
/// deleted, assigned) wakes it at once for that workspace, so the recheck, minutes for a rule set followed by hundreds
/// of large communities, runs here and not in the editor's request. Until it is done the advisor checks those
/// communities' nicknames itself. Safe on every node at once: each community is rechecked by one pass.
/// </summary>
public sealed partial class NicknameFlagRefresh : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly IOptions<AdvisorOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<NicknameFlagRefresh> _log;
    private readonly ConcurrentDictionary<Guid, bool> _changed = new();
    private TaskCompletionSource _wake = NewWake();

    public NicknameFlagRefresh(IServiceScopeFactory scopes, IOptions<AdvisorOptions> options, TimeProvider time, ILogger<NicknameFlagRefresh> log, RuleSetChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        (_scopes, _options, _time, _log) = (scopes, options, time, log);
        // A singleton like the changes: subscribed for the app's life.
        if (options.Value.NicknameRefreshEnabled)
            changes.Changed += Wake;
    }

    // Continuations run elsewhere: the editor's request that notifies must not run the pass.
    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Asks for a pass over a workspace soon (its rule sets or their use changed).</summary>
    public void Wake(Guid workspaceId)
    {
        _changed[workspaceId] = true;
        Volatile.Read(ref _wake).TrySetResult();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Value.NicknameRefreshEnabled)
            return;
        var next = _time.GetUtcNow(); // the first pass, over every workspace, at start
        while (!stoppingToken.IsCancellationRequested)
        {
            // Reset before the pass: a change made during it wakes the next one.
            Interlocked.Exchange(ref _wake, NewWake());
            var changed = _changed.Keys.ToList();
            foreach (var ws in changed)
                _changed.TryRemove(ws, out _);
            try
            {
                if (_time.GetUtcNow() >= next)
                {
                    var started = _time.GetUtcNow();
                    await RunOnceAsync(stoppingToken);
                    next = started + _options.Value.NicknameRefreshInterval;
                }
                else if (changed.Count > 0)
                    await RunOnceAsync(changed, stoppingToken);
                using var sleep = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = next - _time.GetUtcNow();
                if (delay > TimeSpan.Zero)
                    await Task.WhenAny(Task.Delay(delay, _time, sleep.Token), Volatile.Read(ref _wake).Task);
                await sleep.CancelAsync(); // the timer of a delay cut short by a wake-up
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(_log, ex);
                // Tried again after the pause (a failed full pass left `next` due).
                foreach (var ws in changed)
                    _changed[ws] = true;
                await Task.Delay(TimeSpan.FromSeconds(30), _time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over every workspace; returns the communities rechecked.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<Guid> workspaces;
        await using (var scope = _scopes.CreateAsyncScope())
            workspaces = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Workspaces.Select(w => w.Id).ToListAsync(ct);
        return await RunOnceAsync(workspaces, ct);
    }

    /// <summary>One pass over the given workspaces; returns the communities rechecked.</summary>
    public async Task<int> RunOnceAsync(IReadOnlyCollection<Guid> workspaces, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workspaces);
        var rechecked = 0;
        foreach (var ws in workspaces)
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            using (db.Current.ActAsSystemWhile(ws))
                rechecked += await NicknameFlags.RefreshAsync(db, ct);
        }
        if (rechecked > 0)
            LogRechecked(_log, rechecked);
        return rechecked;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rechecked the members' nicknames of {Count} communities against their formats")]
    private static partial void LogRechecked(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rechecking the members' nicknames against their communities' formats failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
