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
/// claim, so every request still reads the claim row (<see cref="Complete"/> is false), and so does a sale whose claims
/// outnumber <see cref="FlashSaleOptions.ClaimBookLimit"/>; attempts with the same id on one node still wait for each other.
/// </para>
/// </summary>
public sealed class ClaimBook(IServiceScopeFactory scopes, IOptions<DatabaseOptions> database, IOptions<FlashSaleOptions> options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, Page> _pages = new();
    // A small pool of its own: the reads are short, and the context's pool keeps the server's connections for the writes.
    private readonly Lazy<NpgsqlDataSource> _postgres = new(() =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.Value.ConnectionString) { MaxPoolSize = 16 }.ConnectionString));

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
    /// On PostgreSQL, whether any node stored a claim with this request id: one indexed read on the unique (campaign,
    /// request id) key through a plain command, without a context, so that the common answer (none) stays cheap. On
    /// SQLite the book itself knows, so this is true (read the row).
    /// </summary>
    public async Task<bool> StoredAsync(Guid campaignId, string requestId, CancellationToken ct)
    {
        if (Complete)
            return true;
        await using var command = _postgres.Value.CreateCommand(
            """SELECT 1 FROM "CampaignClaims" WHERE "CampaignId" = $1 AND "RequestId" = $2""");
        command.Parameters.Add(new NpgsqlParameter { Value = campaignId });
        command.Parameters.Add(new NpgsqlParameter { Value = requestId });
        return await command.ExecuteScalarAsync(ct) is not null;
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
}
