using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Events;

/// <summary>
/// Reads the log in sequence order and applies <see cref="EventEffects"/>. The checkpoint moves in the same
/// transaction as the effects, so after a crash a batch is either wholly applied (and not read again) or not at
/// all (and read again): every event takes effect exactly once. Two nodes may run this at once: the checkpoint row
/// is locked and re-checked inside the transaction, and the loser of a race simply reads again.
/// A batch that fails is retried one event at a time; an event that fails on its own is recorded in
/// <see cref="SkippedEvent"/> and passed, so one bad event never stops the pipeline.
/// </summary>
public sealed partial class EventProcessor(IServiceScopeFactory scopes, EventLogSignal signal, WorkspaceZones zones, OutboxReactions reactions, Enforcement.Enforcer enforcer,
    IEnumerable<IBatchReaction> batchReactions, ILogger<EventProcessor> log) : BackgroundService
{
    public const string CheckpointName = "processor";
    /// <summary>
    /// Events a batch applies at most. A batch's fixed costs (its look-ups a community, the commit's sync to disk) are
    /// shared by more events as it grows; at a steady arrival rate batches stay small (what has arrived since the last),
    /// so only a backlog fills them, and a full batch commits in about a tenth of a second (docs/benchmarks.md).
    /// </summary>
    public const int BatchSize = 2000;

    /// <summary>
    /// The meter that times each batch's phases (histogram <see cref="PhaseInstrument"/>, seconds, tagged
    /// <c>phase</c> = read, effects, rules, the reaction's type name, save, counts, commit): where processing time goes,
    /// for benchmarks and operators' metrics.
    /// </summary>
    public const string MeterName = "Shequn.Events";
    public const string PhaseInstrument = "shequn.events.batch.phase";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> PhaseSeconds = Meter.CreateHistogram<double>(PhaseInstrument, "s", "Time a processor batch spends in each phase");

    private readonly IBatchReaction[] _batchReactions = [.. batchReactions];
    private readonly string[] _reactionNames = [.. batchReactions.Select(r => r.GetType().Name)];
    private long _processedThrough;
    private readonly EventLogSignal _progress = new();

    /// <summary>The highest sequence number this process knows to be applied.</summary>
    public long ProcessedThrough => Interlocked.Read(ref _processedThrough);

    /// <summary>Waits until every event stored so far has been applied (tests, imports, the demo).</summary>
    public async Task WaitUntilCaughtUpAsync(CancellationToken ct)
    {
        long target;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            target = await db.Set<CommunityEvent>().MaxAsync(e => (long?)e.Seq, ct) ?? 0;
        }
        while (ProcessedThrough < target)
        {
            signal.Notify();
            await _progress.WaitAsync(TimeSpan.FromMilliseconds(200), ct);
            await RefreshAsync(ct);
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var seq = await db.Set<EventCheckpoint>().Where(c => c.Name == CheckpointName).Select(c => c.Seq).SingleAsync(ct);
        Advance(seq);
    }

    private void Advance(long seq)
    {
        long seen;
        while ((seen = Interlocked.Read(ref _processedThrough)) < seq && Interlocked.CompareExchange(ref _processedThrough, seq, seen) != seen)
        {
        }
        _progress.Notify();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var applied = await ProcessBatchAsync(BatchSize, oneByOne: failures >= 2, stoppingToken);
                failures = 0;
                if (applied == 0)
                    await signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                LogBatchFailed(log, ex, failures);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(failures, 10)), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Applies up to <paramref name="max"/> events after the checkpoint; returns how many were read.</summary>
    public async Task<int> ProcessBatchAsync(int max, bool oneByOne, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var postgres = db.Database.IsNpgsql();
        var state = await db.Set<EventCheckpoint>().AsNoTracking().Where(c => c.Name == CheckpointName)
            .Select(c => new CheckpointState(c.Seq, c.Rewrites)).SingleAsync(ct);
        var checkpoint = state.Seq;
        Advance(checkpoint);

        var clock = Stopwatch.GetTimestamp();
        void Phase(string name)
        {
            var now = Stopwatch.GetTimestamp();
            if (PhaseSeconds.Enabled)
                PhaseSeconds.Record(Stopwatch.GetElapsedTime(clock, now).TotalSeconds, new KeyValuePair<string, object?>("phase", name));
            clock = now;
        }

        List<CommunityEvent> events;
        if (postgres)
        {
            // Under the writers' lock (shared): no insert is in flight, so no lower sequence number can still appear.
            await using var read = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock_shared({EventLogWriter.PostgresLogLock})", ct);
            events = await ReadAsync(db, checkpoint, oneByOne ? 1 : max, ct);
            await read.CommitAsync(ct);
        }
        else
        {
            // SQLite has one writer at a time and assigns max+1: a reader never sees a gap that fills later.
            events = await ReadAsync(db, checkpoint, oneByOne ? 1 : max, ct);
        }
        if (events.Count == 0)
            return 0;
        Phase("read");
        if (AfterRead is { } afterRead)
            await afterRead(events, ct);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var sql = postgres
            ? $"SELECT \"Seq\", \"Rewrites\" FROM \"EventCheckpoints\" WHERE \"Name\" = '{CheckpointName}' FOR UPDATE"
            : $"SELECT \"Seq\", \"Rewrites\" FROM \"EventCheckpoints\" WHERE \"Name\" = '{CheckpointName}'";
        var locked = await db.Database.SqlQueryRaw<CheckpointState>(sql).SingleAsync(ct);
        // Another node got there first, or an erasure rewrote the log since the batch was read: read again.
        if (locked != state)
            return 0;
        // A workspace being purged takes no more effects: its events are passed (the purge's mark is set under this
        // checkpoint's lock, so it is either seen here or set after this batch commits).
        var readCount = events.Count;
        var last = events[^1].Seq;
        var purging = await db.Workspaces.IgnoreQueryFilters().Where(w => w.PurgeStartedAt != null).Select(w => w.Id).ToListAsync(ct);
        if (purging.Count > 0)
        {
            events = [.. events.Where(e => !purging.Contains(e.WorkspaceId))];
            if (events.Count == 0)
            {
                await MoveCheckpointAsync(db, last, ct);
                await tx.CommitAsync(ct);
                Advance(last);
                return readCount;
            }
        }

        var effects = new EventEffects(db, zones);
        int reacted;
        try
        {
            await effects.ApplyAsync(events, ct);
            Phase("effects");
            // What reactions want done in groups is written here, so it commits (or not) with the checkpoint.
            reacted = reactions.Append(db, events, effects.CommunityOf);
            // The group rules: cases and actions in the same transaction, so each is made once.
            reacted += await enforcer.EnforceAsync(db, checkpoint, events, effects, ct);
            Phase("rules");
            // The rest of what Shequn does on events (the joining ritual, auto-replies, questions awaiting answers).
            for (var i = 0; i < _batchReactions.Length; i++)
            {
                reacted += await _batchReactions[i].ReactAsync(db, events, effects, ct);
                Phase(_reactionNames[i]);
            }
            // Members and communities that platforms announce are not staff changes: no audit rows for them.
            await db.SaveChangesSetWiseAsync(ct);
            Phase("save");
            await effects.WriteCountsAsync(ct);
            Phase("counts");
        }
        catch (Exception ex) when (oneByOne && ex is not OperationCanceledException)
        {
            // This event fails on its own: record it and move past, in a clean transaction.
            await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            LogEventSkipped(log, ex, events[0].Seq);
            await using var skip = await db.Database.BeginTransactionAsync(ct);
            db.Set<SkippedEvent>().Add(new SkippedEvent { Seq = events[0].Seq, WorkspaceId = events[0].WorkspaceId, Reason = EventEffects.Clip("error: " + ex.GetBaseException().Message, 200)! });
            await db.SaveChangesAsync(ct);
            await MoveCheckpointAsync(db, last, ct);
            await skip.CommitAsync(ct);
            Advance(last);
            return readCount;
        }
        await MoveCheckpointAsync(db, last, ct);
        await tx.CommitAsync(ct);
        Phase("commit");
        Advance(last);
        reactions.Committed(reacted);
        if (effects.Skipped.Count > 0)
            LogSkipped(log, effects.Skipped.Count, effects.Skipped[0].Reason);
        return readCount;
    }

    private static async Task<List<CommunityEvent>> ReadAsync(AppDbContext db, long after, int max, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            return await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.Seq > after).OrderBy(e => e.Seq).Take(max).ToListAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return SqliteEventLogReader.ReadAfter((Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection(), after, max);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Tells the processor that the log was rewritten (call inside the rewriting transaction, before reading what it
    /// rewrites). It takes the processor's checkpoint row: on PostgreSQL it waits for a batch being applied to commit, and a
    /// batch read before this commits is read again instead of applied, so no event is applied as it was before the rewrite.
    /// </summary>
    public static Task<int> MarkLogRewrittenAsync(AppDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Set<EventCheckpoint>().Where(c => c.Name == CheckpointName)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Rewrites, c => c.Rewrites + 1), ct);
    }

    /// <summary>For tests: runs between reading a batch and locking the checkpoint, the gap a rewrite of the log can fall in.</summary>
    internal Func<IReadOnlyList<CommunityEvent>, CancellationToken, Task>? AfterRead { get; set; }

    private sealed record CheckpointState(long Seq, long Rewrites);

    private static Task<int> MoveCheckpointAsync(AppDbContext db, long seq, CancellationToken ct) =>
        db.Set<EventCheckpoint>().Where(c => c.Name == CheckpointName)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Seq, seq).SetProperty(c => c.UpdatedAt, DateTime.UtcNow), ct);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying events failed ({Failures} in a row); retrying")]
    private static partial void LogBatchFailed(ILogger logger, Exception ex, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {Seq} could not be applied and was skipped")]
    private static partial void LogEventSkipped(ILogger logger, Exception ex, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} events were skipped ({Reason})")]
    private static partial void LogSkipped(ILogger logger, int count, string reason);
}
