using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Features.Events;

public enum IngestStatus
{
    Accepted = 0,
    Duplicate = 1,
}

/// <summary>
/// The one way into the event log (HTTP endpoint, Sandbox, imports, later the connectors). Callers hand over
/// events and get their statuses back only once the batch holding them is committed; a single writer drains
/// whatever has queued up meanwhile into one transaction (group commit), so a busy moment makes bigger batches,
/// not more transactions.
/// </summary>
public sealed partial class EventIngestor(
    IServiceScopeFactory scopes, EventLogSignal signal, Microsoft.Extensions.Options.IOptions<EventOptions> options, ILogger<EventIngestor> log) : BackgroundService
{
    public const int MaxBatchEvents = 8192;

    private readonly Channel<Submission> _queue = Channel.CreateUnbounded<Submission>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Submission(IReadOnlyList<CommunityEvent> Events, TaskCompletionSource<IngestStatus[]> Done);

    /// <summary>Stores the events (WorkspaceId, Platform, PlatformEventId, Kind, OccurredAt set by the caller);
    /// completes after they are durable. ReceivedAt is stamped here.</summary>
    public Task<IngestStatus[]> IngestAsync(IReadOnlyList<CommunityEvent> events, CancellationToken ct = default)
    {
        if (events.Count == 0)
            return Task.FromResult(Array.Empty<IngestStatus>());
        var now = DateTime.UtcNow;
        foreach (var e in events)
            e.ReceivedAt = now;
        var done = new TaskCompletionSource<IngestStatus[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Submission(events, done)))
            throw new EventLogClosedException();
        // The caller may stop waiting; the events are still stored (and a retry is then a harmless duplicate).
        return ct.CanBeCanceled ? done.Task.WaitAsync(ct) : done.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Refuse new work, finish what was accepted into the queue.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var writer = await CreateWriterAsync(stoppingToken);
        var batch = new List<Submission>();
        var rows = new List<CommunityEvent>();
        var firstOf = new Dictionary<(Guid, Shequn.Features.Communities.ChatPlatform, string), int>();
        // Not cancelled by stoppingToken: the queue is completed on stop and drained to the end.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            rows.Clear();
            firstOf.Clear();
            var count = 0;
            while (count < MaxBatchEvents && _queue.Reader.TryRead(out var s))
            {
                batch.Add(s);
                count += s.Events.Count;
            }

            // A repeat inside the batch is a duplicate of its first occurrence.
            var slot = new int[count];
            var k = 0;
            foreach (var s in batch)
            {
                foreach (var e in s.Events)
                {
                    var key = (e.WorkspaceId, e.Platform, e.PlatformEventId);
                    if (firstOf.TryGetValue(key, out var first))
                        slot[k++] = -1 - first;
                    else
                    {
                        firstOf[key] = rows.Count;
                        slot[k++] = rows.Count;
                        rows.Add(e);
                    }
                }
            }

            bool[] inserted;
            try
            {
                inserted = await writer.AppendAsync(rows, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogBatchFailed(log, ex, rows.Count);
                foreach (var s in batch)
                    s.Done.TrySetException(new EventLogUnavailableException(ex));
                await Task.Delay(200, CancellationToken.None);
                continue;
            }

            k = 0;
            foreach (var s in batch)
            {
                var statuses = new IngestStatus[s.Events.Count];
                for (var i = 0; i < statuses.Length; i++)
                {
                    var at = slot[k++];
                    statuses[i] = at >= 0 && inserted[at] ? IngestStatus.Accepted : IngestStatus.Duplicate;
                }
                s.Done.TrySetResult(statuses);
            }
            signal.Notify();
        }
    }

    private async Task<EventLogWriter> CreateWriterAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var cs = db.Database.GetConnectionString() ?? throw new InvalidOperationException("No connection string.");
        ct.ThrowIfCancellationRequested();
        return EventLogWriter.Create(db.Database.IsNpgsql(), cs, options.Value.SqliteSynchronous);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing a batch of {Count} events failed; the callers were told")]
    private static partial void LogBatchFailed(ILogger logger, Exception ex, int count);
}

/// <summary>Wakes the log's readers when a batch has been committed (they also poll, for other nodes' writes).</summary>
public sealed class EventLogSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await Volatile.Read(ref _next).Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
        }
    }
}

public sealed class EventLogClosedException() : InvalidOperationException("The event log is shutting down; retry shortly.");

public sealed class EventLogUnavailableException(Exception inner) : Exception("The event log could not store the events; retry shortly.", inner);
