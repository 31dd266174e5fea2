using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Shequn.Data;

namespace Shequn.Features.Campaigns;

/// <summary>
/// The request ids of a flash sale's claims as this node knows them, so that a claim which cannot be a replay is refused
/// without reading the database (a sold-out burst is almost all such refusals).
/// <para>
/// A request id enters the book before its claim's transaction starts and stays when a claim was made (a claim row is
/// never deleted); it leaves when the attempt ended without a claim. A second request with an id already in the book
/// waits for the first attempt on this node to end, then reads the claim row: a double click on one node is answered
/// with the first result even when the first took the last unit. On first use the book is filled with the request ids
/// already stored, before any answer is given from it.
/// </para>
/// <para>
/// The book is complete only when this node is the only one writing claims, which is how SQLite is deployed (one
/// process owns the file). On PostgreSQL, where other nodes claim too, an id missing from the book may be another node's
/// claim, so every request still asks whether any node stored its id (<see cref="Complete"/> is false; the questions of
/// one moment share a read, <see cref="StoredAsync"/>), and so does a sale whose claims outnumber <see cref="FlashSaleOptions.ClaimBookLimit"/>; attempts with the same id on one node still wait for each other.
/// </para>
/// </summary>
public sealed class ClaimBook(IServiceScopeFactory scopes, IOptions<DatabaseOptions> database, IOptions<FlashSaleOptions> options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, Page> _pages = new();
    private readonly ConcurrentDictionary<Guid, Lookups> _lookups = new();
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _writers = new();
    // A small pool of its own: the reads are short, and the context's pool keeps the server's connections for the writes.
    // Its connections only ever run the one read, so they skip the reset on return (a round trip per read otherwise) and
    // keep the read prepared.
    private readonly Lazy<NpgsqlDataSource> _postgres = new(() => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.Value.ConnectionString)
    {
        MaxPoolSize = 16, NoResetOnClose = true, MaxAutoPrepare = 4, AutoPrepareMinUsages = 2,
    }.ConnectionString));

    /// <summary>Whether an id missing from the book is known to have no claim (one writer: SQLite).</summary>
    public bool Complete => database.Value.Provider == DatabaseProvider.Sqlite;

    private int Limit => options.Value.ClaimBookLimit;

    /// <summary>
    /// Enters a request id for an attempt about to be made. The answer says whether a claim with this id may exist (then
    /// read it), having first waited for an attempt with the same id on this node to end.
    /// </summary>
    public async Task<Entry> EnterAsync(Guid campaignId, string requestId, CancellationToken ct)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var page = _pages.GetOrAdd(campaignId, id => new Page(this, id));
        bool trusted;
        try
        {
            trusted = await page.Loaded.WaitAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // The read failed: the next request starts another.
            _pages.TryRemove(new KeyValuePair<Guid, Page>(campaignId, page));
            throw;
        }
        var waited = false;
        while (true)
        {
            if (page.Ids.TryAdd(requestId, mine.Task))
                return new Entry(this, page, requestId, mine, mayExist: waited || !trusted);
            if (!page.Ids.TryGetValue(requestId, out var before))
                continue;
            // A claim was made with this id: the row says which.
            if (before.IsCompleted)
                return new Entry(this, null, requestId, mine, mayExist: true);
            // An attempt on this node holds the id: wait for it to end, then look again (it leaves the book if it made no claim).
            await before.WaitAsync(ct);
            waited = true;
        }
    }

    /// <summary>
    /// On PostgreSQL, whether any node stored a claim with this request id. The requests waiting at one moment share one
    /// indexed read on the unique (campaign, request id) key (<see cref="Lookups"/>): a read starts only after every id it
    /// answers for was asked, so a claim committed before the question is always seen, while a burst of refusals costs
    /// the server a read per batch instead of a read per request. On SQLite the book itself knows, so this is true (read
    /// the row).
    /// </summary>
    public Task<bool> StoredAsync(Guid campaignId, string requestId, CancellationToken ct)
    {
        if (Complete)
            return Task.FromResult(true);
        return _lookups.GetOrAdd(campaignId, id => new Lookups(this, id)).StoredAsync(requestId, ct);
    }

    /// <summary>The ids among <paramref name="requestIds"/> with a stored claim: one plain command, without a context.</summary>
    private async Task<HashSet<string>> StoredAmongAsync(Guid campaignId, string[] requestIds)
    {
        await using var command = _postgres.Value.CreateCommand(
            """SELECT "RequestId" FROM "CampaignClaims" WHERE "CampaignId" = $1 AND "RequestId" = ANY($2)""");
        command.Parameters.Add(new NpgsqlParameter { Value = campaignId });
        command.Parameters.Add(new NpgsqlParameter { Value = requestIds });
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            stored.Add(reader.GetString(0));
        return stored;
    }

    /// <summary>
    /// A turn at the sale's stock row: at most <see cref="FlashSaleOptions.WritersPerSale"/> of this node's claims of one
    /// sale are in their transaction at once. Dispose the turn when the transaction ended.
    /// </summary>
    public async Task<IDisposable> WriteTurnAsync(Guid campaignId, CancellationToken ct)
    {
        var gate = _writers.GetOrAdd(campaignId, _ => new SemaphoreSlim(Math.Max(1, options.Value.WritersPerSale)));
        await gate.WaitAsync(ct);
        return new Turn(gate);
    }

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres.IsValueCreated)
            await _postgres.Value.DisposeAsync();
    }

    private async Task<bool> LoadAsync(Guid campaignId, Page page)
    {
        // Other nodes claim too: the book only lines up this node's attempts with the same id.
        if (!Complete)
            return false;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var limit = Limit;
        var ids = await db.Set<CampaignClaim>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.CampaignId == campaignId).Select(c => c.RequestId).Take(limit + 1).ToListAsync();
        foreach (var id in ids)
            page.Ids.TryAdd(id, Task.CompletedTask);
        return ids.Count <= limit;
    }

    /// <summary>An attempt's place in the book; disposing it without <see cref="Claimed"/> takes the id out again.</summary>
    public sealed class Entry(ClaimBook book, Page? page, string requestId, TaskCompletionSource done, bool mayExist) : IDisposable
    {
        private bool _claimed;

        /// <summary>Whether a claim with this request id may already exist: read it before deciding.</summary>
        public bool MayExist { get; } = mayExist;

        /// <summary>The attempt made (or found) a claim: the id stays in the book.</summary>
        public void Claimed() => _claimed = true;

        public void Dispose()
        {
            if (page is not null && !_claimed)
                page.Ids.TryRemove(new KeyValuePair<string, Task>(requestId, done.Task));
            // Counted only when an id stays (a claim, so rare): the count takes every lock of the dictionary.
            if (page is not null && _claimed && page.Ids.Count > book.Limit)
                page.Overflowed();
            done.TrySetResult();
        }
    }

    /// <summary>One campaign's request ids: a task per id that ends when the attempt holding it ends.</summary>
    public sealed class Page
    {
        private Task<bool> _loaded;

        public Page(ClaimBook book, Guid campaignId) => _loaded = book.LoadAsync(campaignId, this);

        public ConcurrentDictionary<string, Task> Ids { get; } = new(StringComparer.Ordinal);

        /// <summary>True when the book holds every stored id; false once it stopped being kept (too many claims).</summary>
        public Task<bool> Loaded => _loaded;

        public void Overflowed() => _loaded = Task.FromResult(false);
    }

    /// <summary>
    /// One campaign's questions "was this id stored?" on this node, answered in batches: the questions asked while a read
    /// is out wait for the next one, and at most <see cref="Readers"/> reads are out at once.
    /// </summary>
    private sealed class Lookups(ClaimBook book, Guid campaignId)
    {
        /// <summary>Two: while one read is out the next batch already gathers on the other connection.</summary>
        private const int Readers = 2;

        /// <summary>Bounds one read's array; a larger queue is taken in several reads.</summary>
        private const int BatchLimit = 2_000;

        private readonly Lock _gate = new();
        private List<(string Id, TaskCompletionSource<bool> Answer)> _waiting = [];
        private int _reading;

        public Task<bool> StoredAsync(string requestId, CancellationToken ct)
        {
            var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            bool start;
            lock (_gate)
            {
                _waiting.Add((requestId, answer));
                start = _reading < Readers;
                if (start)
                    _reading++;
            }
            if (start)
                _ = Task.Run(ReadAsync, CancellationToken.None);
            return answer.Task.WaitAsync(ct);
        }

        private async Task ReadAsync()
        {
            while (true)
            {
                List<(string Id, TaskCompletionSource<bool> Answer)> batch;
                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        _reading--;
                        return;
                    }
                    if (_waiting.Count <= BatchLimit)
                    {
                        batch = _waiting;
                        _waiting = [];
                    }
                    else
                    {
                        batch = _waiting[..BatchLimit];
                        _waiting.RemoveRange(0, BatchLimit);
                    }
                }
                try
                {
                    var stored = await book.StoredAmongAsync(campaignId, [.. batch.Select(q => q.Id).Distinct(StringComparer.Ordinal)]);
                    foreach (var (id, answer) in batch)
                        answer.TrySetResult(stored.Contains(id));
                }
                catch (Exception e)
                {
                    // Each waiting request fails as its own read would have; the next questions start a new read.
                    foreach (var (_, answer) in batch)
                        answer.TrySetException(e);
                }
            }
        }
    }
}
