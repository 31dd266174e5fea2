using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;
using Shequn.Connectors;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Features.Outbox;

public sealed class OutboxOptions
{
    /// <summary>Off in tests that step the dispatcher themselves.</summary>
    public bool DispatcherEnabled { get; set; } = true;
    public int BatchSize { get; set; } = 64;
    public int Concurrency { get; set; } = 8;
    /// <summary>How long a claim holds; must exceed <see cref="CallTimeout"/> so that a live call never loses its lease.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Calls before a transiently failing action is given up as failed.</summary>
    public int MaxAttempts { get; set; } = 8;
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Wakes the dispatcher when an action was enqueued on this node (it also polls, for other nodes').</summary>
public sealed class OutboxSignal
{
    private readonly EventLogSignal _inner = new();

    public void Notify() => _inner.Notify();

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _inner.WaitAsync(timeout, ct);
}

/// <summary>
/// Sends queued actions through their community's connector. Due actions are claimed with a lease (on PostgreSQL
/// under <c>FOR UPDATE SKIP LOCKED</c>, so several nodes share the queue without taking the same row); results are
/// written only by the lease holder. An action whose lease ran out while sending was interrupted: an idempotent one
/// is queued again, a non-idempotent one becomes <see cref="ActionStatus.Uncertain"/> (ADR-006).
/// </summary>
public sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes, ConnectorRegistry connectors, OutboxRateLimiter limiter, TimeProvider time,
    OutboxSignal signal, IOptions<OutboxOptions> options, ILogger<OutboxDispatcher> log) : BackgroundService
{
    private static readonly ActionKind[] IdempotentKinds = [.. Enum.GetValues<ActionKind>().Where(OutboundAction.IsIdempotent)];

    /// <summary>This node's name on the leases it holds.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    private static readonly TimeSpan RecoveryInterval = TimeSpan.FromSeconds(5);
    private static readonly Reason Interrupted = new("ActionError.Interrupted", "Interrupted while sending: it may or may not have reached the group, so it is not sent again.");
    private static readonly string? InterruptedReason = ActionError.Store(Interrupted);

    // After a batch that the rate limits held back, the next claim takes about as many as could go (so waiting rows
    // are not claimed and put back over and over), and a batch in which nothing could go is followed by a pause
    // until the first token. Without this, a low global limit (Telegram's 30/s) kept the loop claiming and
    // re-queueing the whole due queue.
    private int _claimSize;
    private TimeSpan _pause;
    private DateTime _nextRecovery = DateTime.MinValue;

    private OutboxOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.DispatcherEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DispatchOnceAsync(stoppingToken) == 0)
                    await signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                else if (_pause > TimeSpan.Zero)
                    await Task.Delay(_pause, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogDispatchFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Recovers expired leases, claims one batch of due actions and settles each; returns how many were claimed.</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        List<Guid> ids;
        Dictionary<Guid, (ChatPlatform Platform, string? ChatId)> chats;
        List<OutboundAction> claimed;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            // Leases last a minute: looking for expired ones every few seconds is soon enough.
            if (now >= _nextRecovery)
            {
                await RecoverExpiredLeasesAsync(db, now, ct);
                _nextRecovery = now + RecoveryInterval;
            }
            // A read first: an idle node then takes no write lock (SQLite has only one).
            if (!await db.Set<OutboundAction>().IgnoreQueryFilters().AnyAsync(a => a.Status == ActionStatus.Queued && a.NextAttemptAt <= now, ct))
                return 0;
            ids = await ClaimAsync(db, now, ct);
            LogClaimed(log, ids.Count, Owner);
            if (ids.Count == 0)
                return 0;
            // Settled in the order they fell due (a group's messages go out in their order): the database returns the claimed
            // rows in whatever order its plan reads them, which changes with its statistics.
            claimed = await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => ids.Contains(a.Id))
                .OrderBy(a => a.NextAttemptAt).ThenBy(a => a.CreatedAt).ThenBy(a => a.Id).ToListAsync(ct);
            var cids = claimed.Select(a => a.CommunityId).Distinct().ToList();
            var platforms = await db.Communities.IgnoreQueryFilters().Where(c => cids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Platform, ct);
            var chatIds = await db.Set<PlatformChat>().IgnoreQueryFilters().Where(p => cids.Contains(p.CommunityId))
                .Select(p => new { p.CommunityId, p.Platform, p.ChatId }).ToListAsync(ct);
            chats = platforms.ToDictionary(p => p.Key, p => (p.Value, chatIds.FirstOrDefault(c => c.CommunityId == p.Key && c.Platform == p.Value)?.ChatId));
        }
        // The outcomes are written together, in one transaction after the batch: per action it would be a commit each
        // (on SQLite an fsync each), which is what limited the dispatch benchmark. Even when shutting down, what was
        // settled is written, so a call that did happen is not left to recovery (which would make a send uncertain).
        var outcomes = new Outcomes();
        try
        {
            await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = Options.Concurrency, CancellationToken = ct },
                async (action, token) => await SettleAsync(action, chats[action.CommunityId], outcomes, token));
        }
        finally
        {
            await WriteAsync(outcomes, CancellationToken.None);
        }
        var paced = outcomes.Paced;
        _claimSize = paced == 0 ? Options.BatchSize : Math.Clamp(claimed.Count - paced + 1, 1, Options.BatchSize);
        _pause = paced == claimed.Count ? TimeSpan.FromTicks(Math.Min(outcomes.FirstToken.Ticks, TimeSpan.TicksPerSecond)) : TimeSpan.Zero;
        return claimed.Count;
    }

    private async Task RecoverExpiredLeasesAsync(AppDbContext db, DateTime now, CancellationToken ct)
    {
        var expired = db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.Status == ActionStatus.Sending && a.LeaseUntil < now);
        var deduplicating = connectors.DeduplicatingSends.ToList();
        var retried = await expired.Where(a => IdempotentKinds.Contains(a.Kind)
                || db.Communities.IgnoreQueryFilters().Any(c => c.Id == a.CommunityId && deduplicating.Contains(c.Platform)))
            .ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Status, ActionStatus.Queued).SetProperty(a => a.LeaseOwner, (string?)null).SetProperty(a => a.LeaseUntil, (DateTime?)null)
            .SetProperty(a => a.NextAttemptAt, now).SetProperty(a => a.UpdatedAt, now), ct);
        var uncertain = await expired.Where(a => !IdempotentKinds.Contains(a.Kind)).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Status, ActionStatus.Uncertain).SetProperty(a => a.LeaseOwner, (string?)null).SetProperty(a => a.LeaseUntil, (DateTime?)null)
            .SetProperty(a => a.Error, Interrupted.English).SetProperty(a => a.ErrorReason, InterruptedReason)
            .SetProperty(a => a.CompletedAt, now).SetProperty(a => a.UpdatedAt, now), ct);
        if (retried + uncertain > 0)
            LogRecovered(log, retried, uncertain);
    }

    private async Task<List<Guid>> ClaimAsync(AppDbContext db, DateTime now, CancellationToken ct)
    {
        var until = now + Options.Lease;
        var size = _claimSize > 0 ? _claimSize : Options.BatchSize;
        // PostgreSQL: rows another node is claiming are skipped, not waited for. The due rows are picked once in a CTE:
        // as an IN (subquery) the planner may run the subquery again per row and claim far more than the batch.
        // SQLite: one writer at a time, so the plain statement is already exclusive. The unary + keeps SQLite from
        // using the status index for the outer filter: it then scanned every queued row per claim (100,000 queued sends
        // cost a core at 30 sends a second) instead of looking up the batch's ids by key.
        var sql = db.Database.IsNpgsql()
            ? $$"""
                WITH due AS (
                    SELECT "Id" FROM "OutboundActions" WHERE "Status" = {{(int)ActionStatus.Queued}} AND "NextAttemptAt" <= {2}
                    ORDER BY "NextAttemptAt" LIMIT {{size}} FOR UPDATE SKIP LOCKED)
                UPDATE "OutboundActions" AS a SET "Status" = {{(int)ActionStatus.Sending}}, "LeaseOwner" = {0}, "LeaseUntil" = {1}, "UpdatedAt" = {2}
                FROM due WHERE a."Id" = due."Id"
                RETURNING a."Id" AS "Value"
                """
            : $$"""
                UPDATE "OutboundActions" SET "Status" = {{(int)ActionStatus.Sending}}, "LeaseOwner" = {0}, "LeaseUntil" = {1}, "UpdatedAt" = {2}
                WHERE +"Status" = {{(int)ActionStatus.Queued}} AND "Id" IN (
                    SELECT "Id" FROM "OutboundActions" WHERE "Status" = {{(int)ActionStatus.Queued}} AND "NextAttemptAt" <= {2}
                    ORDER BY "NextAttemptAt" LIMIT {{size}})
                RETURNING "Id" AS "Value"
                """;
        return await db.Database.SqlQueryRaw<Guid>(sql, Owner, until, now).ToListAsync(ct);
    }

    private async Task SettleAsync(OutboundAction action, (ChatPlatform Platform, string? ChatId) chat, Outcomes outcomes, CancellationToken ct)
    {
        var payload = ActionPayload.FromJson(action.Payload);
        var connector = connectors.For(chat.Platform);
        if (connector is null || !connector.Capabilities.Contains(action.Kind))
        {
            await BecomeTaskAsync(action, payload, outcomes, ct);
            return;
        }
        // Platforms pace what the bot posts per chat; moderation (deleting, removing) only counts against the global budget.
        var limits = OutboundAction.PostsMessage(action.Kind) ? connector.Limits : connector.Limits with { PerChatPerSecond = null, PerChatPerMinute = null };
        var wait = limiter.TryAcquire(chat.Platform.ToString(), action.CommunityId.ToString("N"), limits);
        if (wait > TimeSpan.Zero)
        {
            outcomes.Held(wait);
            Requeue(outcomes, action.Id, wait, action.Attempts, failure: null);
            return;
        }

        var attempts = action.Attempts + 1;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Options.CallTimeout);
            var call = new ConnectorCall(action.Id, action.WorkspaceId, action.CommunityId, chat.ChatId, action.Kind, payload);
            var platformIds = await connector.ExecuteAsync(call, timeout.Token);
            Finish(outcomes, action.Id, ActionStatus.Done, s => s
                .SetProperty(a => a.Attempts, attempts).SetProperty(a => a.PlatformIds, platformIds)
                .SetProperty(a => a.ErrorCategory, (ErrorCategory?)null).SetProperty(a => a.Error, (string?)null).SetProperty(a => a.ErrorReason, (string?)null));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down mid-call: the lease runs out and recovery decides (retry or uncertain).
            throw;
        }
        catch (OperationCanceledException) when (!OutboundAction.IsIdempotent(action.Kind) && !connector.DeduplicatesSends)
        {
            // No answer in time: the platform may have acted. A send is not repeated blindly (ADR-006).
            var seconds = Options.CallTimeout.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
            var reason = new Reason("ActionError.NoAnswer", $"No answer within {seconds} s: it may or may not have reached the group, so it is not sent again.", seconds);
            var stored = ActionError.Store(reason);
            Finish(outcomes, action.Id, ActionStatus.Uncertain, s => s
                .SetProperty(a => a.Attempts, attempts).SetProperty(a => a.ErrorCategory, ErrorCategory.Transient)
                .SetProperty(a => a.Error, reason.English).SetProperty(a => a.ErrorReason, stored));
        }
        catch (Exception ex)
        {
            var (category, retryAfter) = ex is ConnectorException c ? (c.Category, c.RetryAfter) : (ErrorCategory.Transient, null);
            var failure = new Failure(category, EventEffects.Clip(ex.Message, OutboundAction.ErrorMaxLength), ActionError.Store((ex as ConnectorException)?.Reason));
            var words = failure.Words;
            LogCallFailed(log, action.Id, action.Kind, category, words);
            if (ex is ConnectorException { HandOver: { } handOver })
            {
                // Trying again cannot help and staff can do it by hand: a task, with the platform's refusal kept on the action.
                action.Attempts = attempts;
                await BecomeTaskAsync(action, handOver, outcomes, ct, failure);
                return;
            }
            switch (category)
            {
                case ErrorCategory.RateLimited:
                    // Obeyed, never dropped, and not counted against the attempts.
                    Requeue(outcomes, action.Id, retryAfter ?? Options.BackoffBase, action.Attempts, failure);
                    break;
                case ErrorCategory.Transient when attempts < Options.MaxAttempts:
                    Requeue(outcomes, action.Id, Backoff(attempts), attempts, failure);
                    break;
                default:
                    Finish(outcomes, action.Id, ActionStatus.Failed, s => s
                        .SetProperty(a => a.Attempts, attempts).SetProperty(a => a.ErrorCategory, category).SetProperty(a => a.Error, words)
                        .SetProperty(a => a.ErrorReason, failure.Reason));
                    break;
            }
        }
    }

    /// <summary>What the platform cannot do becomes a staff task, committed with the action's status (Features/Tasks).</summary>
    private async Task BecomeTaskAsync(OutboundAction action, ActionPayload payload, Outcomes outcomes, CancellationToken ct, Failure? refused = null)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var (refusedCategory, refusedWords, refusedReason) = (refused?.Category, refused?.Words, refused?.Reason);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await scope.ServiceProvider.GetRequiredService<Tasks.TaskOpener>().OpenAsync(db, action, payload, now, text => Held(db, action.Id).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Status, ActionStatus.Task).SetProperty(a => a.LeaseOwner, (string?)null).SetProperty(a => a.LeaseUntil, (DateTime?)null)
                .SetProperty(a => a.Attempts, action.Attempts)
                .SetProperty(a => a.ErrorCategory, refusedCategory).SetProperty(a => a.Error, refusedWords).SetProperty(a => a.ErrorReason, refusedReason)
                .SetProperty(a => a.Payload, (payload with { TaskText = text }).ToJson()).SetProperty(a => a.CompletedAt, now).SetProperty(a => a.UpdatedAt, now), ct), ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Nothing reached the platform, so trying again is safe (left to the lease, a send would turn uncertain).
            var attempts = action.Attempts + 1;
            var reason = new Reason("ActionError.NoTask", "Could not open a staff task: " + ex.Message, ex.Message);
            var stored = ActionError.Store(reason);
            var words = EventEffects.Clip(reason.English, OutboundAction.ErrorMaxLength);
            LogCallFailed(log, action.Id, action.Kind, ErrorCategory.Transient, words);
            if (attempts < Options.MaxAttempts)
                Requeue(outcomes, action.Id, Backoff(attempts), attempts, new Failure(ErrorCategory.Transient, words, stored));
            else
                Finish(outcomes, action.Id, ActionStatus.Failed, s => s
                    .SetProperty(a => a.Attempts, attempts).SetProperty(a => a.ErrorCategory, ErrorCategory.Configuration).SetProperty(a => a.Error, words)
                    .SetProperty(a => a.ErrorReason, stored));
        }
    }

    /// <summary>Exponential: base, 2×base, 4×base, … up to the maximum.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(Options.BackoffMax.Ticks, Options.BackoffBase.Ticks * factor));
    }

    /// <summary>What to write for each settled action of a batch; collected from the parallel calls.</summary>
    private sealed class Outcomes
    {
        public System.Collections.Concurrent.ConcurrentQueue<(Guid Id, Action<UpdateSettersBuilder<OutboundAction>> Set)> Writes { get; } = new();
        public volatile bool Soon;
        private int _paced;
        private long _firstToken = long.MaxValue;

        /// <summary>How many of the batch the rate limits held back.</summary>
        public int Paced => Volatile.Read(ref _paced);

        /// <summary>The shortest of their waits.</summary>
        public TimeSpan FirstToken => TimeSpan.FromTicks(Interlocked.Read(ref _firstToken));

        public void Held(TimeSpan wait)
        {
            Interlocked.Increment(ref _paced);
            long seen;
            while (wait.Ticks < (seen = Interlocked.Read(ref _firstToken)) && Interlocked.CompareExchange(ref _firstToken, wait.Ticks, seen) != seen)
            {
            }
        }
    }

    /// <summary>A failed call's category, words and (for Shequn's own words) stored reason.</summary>
    private sealed record Failure(ErrorCategory Category, string? Words, string? Reason);

    /// <summary>Puts the action back for later; <paramref name="failure"/> null (a pacing wait) keeps the last failure's words.</summary>
    private void Requeue(Outcomes outcomes, Guid id, TimeSpan wait, int attempts, Failure? failure)
    {
        var now = time.GetUtcNow().UtcDateTime;
        outcomes.Writes.Enqueue((id, s =>
        {
            s.SetProperty(a => a.Status, ActionStatus.Queued).SetProperty(a => a.LeaseOwner, (string?)null).SetProperty(a => a.LeaseUntil, (DateTime?)null)
                .SetProperty(a => a.NextAttemptAt, now + wait).SetProperty(a => a.Attempts, attempts).SetProperty(a => a.UpdatedAt, now);
            if (failure is { } f)
                s.SetProperty(a => a.ErrorCategory, f.Category).SetProperty(a => a.Error, f.Words).SetProperty(a => a.ErrorReason, f.Reason);
        }
        ));
        if (wait <= TimeSpan.FromSeconds(1))
            outcomes.Soon = true;
    }

    private void Finish(Outcomes outcomes, Guid id, ActionStatus status, Action<UpdateSettersBuilder<OutboundAction>> more)
    {
        var now = time.GetUtcNow().UtcDateTime;
        outcomes.Writes.Enqueue((id, s =>
        {
            s.SetProperty(a => a.Status, status).SetProperty(a => a.LeaseOwner, (string?)null).SetProperty(a => a.LeaseUntil, (DateTime?)null)
                .SetProperty(a => a.CompletedAt, now).SetProperty(a => a.UpdatedAt, now);
            more(s);
        }
        ));
    }

    /// <summary>Writes a batch's outcomes in one transaction (each only if this node still holds the action).</summary>
    private async Task WriteAsync(Outcomes outcomes, CancellationToken ct)
    {
        if (outcomes.Writes.IsEmpty)
            return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var (id, set) in outcomes.Writes)
            await Held(db, id).ExecuteUpdateAsync(set, ct);
        await tx.CommitAsync(ct);
        if (outcomes.Soon)
            signal.Notify();
    }

    /// <summary>The action, only while this node still holds it: a node whose lease ran out writes nothing.</summary>
    private IQueryable<OutboundAction> Held(AppDbContext db, Guid id) =>
        db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.Id == id && a.Status == ActionStatus.Sending && a.LeaseOwner == Owner);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Claimed {Count} due actions as {Owner}")]
    private static partial void LogClaimed(ILogger logger, int count, string owner);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatching outbound actions failed; retrying")]
    private static partial void LogDispatchFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expired leases: {Retried} idempotent actions queued again, {Uncertain} sends marked uncertain")]
    private static partial void LogRecovered(ILogger logger, int retried, int uncertain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Action {ActionId} ({Kind}) failed: {Category} {Error}")]
    private static partial void LogCallFailed(ILogger logger, Guid actionId, ActionKind kind, ErrorCategory category, string? error);
}
