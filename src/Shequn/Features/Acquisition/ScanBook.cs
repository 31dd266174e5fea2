using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Shequn.Data;

namespace Shequn.Features.Acquisition;

/// <summary>One scan to store: the code, what kind, who (a hash of the address), the visitor's answer that picks routes.</summary>
public sealed record ScanRequest(LiveCodeSnapshot Code, ScanKind Kind, string Visitor, string? Choice, DateTime At);

/// <summary>
/// <paramref name="Counted"/>: a new scan (false: the visitor already counted in this window; a repeat keeps the route
/// it was given). <paramref name="RouteId"/>: where to send the visitor; null when every community is full.
/// </summary>
public sealed record ScanOutcome(bool Counted, Guid? RouteId);

/// <summary>
/// Stores scans before anyone is answered, and routes joining visitors, by group commit: one writer per node drains the
/// scans that queued up meanwhile into one transaction. In it the routes of the codes being joined are locked (in id
/// order, so two nodes' batches never deadlock), each visitor is given a seat against the counts the database holds,
/// and the counts and the scans are written together: a crash loses neither half, and concurrent scans on any number of
/// nodes never route a community past its cap. Seats are picked before the insert says who is new (one statement a scan,
/// not a look-up and an insert); a repeat gives its seat back in the same transaction, so at the very moment a code fills
/// up a visitor of the same batch may be told it is full while a seat is still free. A busy moment makes bigger batches,
/// not more transactions.
/// </summary>
public sealed partial class ScanBook(IServiceScopeFactory scopes, IOptions<LiveCodeOptions> options, ILogger<ScanBook> log) : BackgroundService
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    internal sealed class Pending(ScanRequest request, long window)
    {
        public ScanRequest Request { get; } = request;
        public long Window { get; } = window;
        public TaskCompletionSource<ScanOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Counted { get; set; }
        public Guid? RouteId { get; set; }
        public Guid? CommunityId { get; set; }
        public (Guid, ScanKind, string, long) Key => (Request.Code.Code.Id, Request.Kind, Request.Visitor, Window);
    }

    /// <summary>Completes once the scan (and the seat it took) is committed.</summary>
    public Task<ScanOutcome> RecordAsync(ScanRequest request, CancellationToken ct = default)
    {
        var window = new DateTimeOffset(request.At, TimeSpan.Zero).ToUnixTimeSeconds() / Math.Max(1, (long)options.Value.BurstWindow.TotalSeconds);
        var pending = new Pending(request, window);
        if (!_queue.Writer.TryWrite(pending))
            throw new InvalidOperationException("The scan book is closed.");
        return ct.CanBeCanceled ? pending.Done.Task.WaitAsync(ct) : pending.Done.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var store = await CreateStoreAsync(stoppingToken);
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < options.Value.MaxBatch && _queue.Reader.TryRead(out var p))
                batch.Add(p);
            try
            {
                await store.WriteAsync(batch, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogBatchFailed(log, ex, batch.Count);
                foreach (var p in batch)
                    p.Done.TrySetException(new InvalidOperationException("The scan could not be stored.", ex));
                await store.ResetAsync();
                await Task.Delay(100, CancellationToken.None);
                continue;
            }
            foreach (var p in batch)
                p.Done.TrySetResult(new ScanOutcome(p.Counted, p.RouteId));
        }
    }

    private async Task<ScanStore> CreateStoreAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var cs = db.Database.GetConnectionString() ?? throw new InvalidOperationException("No connection string.");
        ct.ThrowIfCancellationRequested();
        return db.Database.IsNpgsql() ? new PostgresScanStore(cs) : new SqliteScanStore(cs);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing a batch of {Count} live-code scans failed; the visitors were told")]
    private static partial void LogBatchFailed(ILogger logger, Exception ex, int count);

    /// <summary>The provider's statements around the one routing procedure.</summary>
    internal abstract class ScanStore : IAsyncDisposable
    {
        private readonly Dictionary<(Guid, ScanKind, string, long), Pending> _first = [];

        protected DbConnection? Connection { get; set; }

        protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

        protected abstract Task<DbTransaction> BeginAsync(DbConnection c, CancellationToken ct);

        /// <summary>Locks the codes' routes (id order) and returns how full each is counted.</summary>
        protected abstract Task<Dictionary<Guid, int>> LockRoutesAsync(DbConnection c, DbTransaction tx, IReadOnlyCollection<Guid> codes, CancellationToken ct);

        protected abstract Task<Dictionary<Guid, int>> NextPositionsAsync(DbConnection c, DbTransaction tx, IReadOnlyCollection<Guid> codes, CancellationToken ct);

        /// <summary>The routes given to scans already stored with these keys (repeats: the insert found them).</summary>
        protected abstract Task<Dictionary<(Guid, ScanKind, string, long), Guid?>> StoredAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Pending> scans, CancellationToken ct);

        protected abstract Task WriteRoutesAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(Guid Id, int Filled, int Added)> routes, CancellationToken ct);

        protected abstract Task WritePositionsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(Guid Code, int Next)> positions, CancellationToken ct);

        /// <summary>After each commit, with the number of scans written.</summary>
        protected virtual void Committed(int scans)
        {
        }

        /// <summary>Inserts the scans whose key is not stored yet; returns the keys inserted.</summary>
        protected abstract Task<HashSet<(Guid, ScanKind, string, long)>> InsertAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Pending> scans, CancellationToken ct);

        public async Task WriteAsync(List<Pending> batch, CancellationToken ct)
        {
            // A repeat within the batch shares its first occurrence's outcome.
            _first.Clear();
            var primaries = new List<Pending>(batch.Count);
            foreach (var p in batch)
            {
                if (!_first.TryAdd(p.Key, p))
                    continue;
                primaries.Add(p);
            }

            var c = Connection ??= await OpenAsync(ct);
            await using var tx = await BeginAsync(c, ct);
            var routing = primaries.Where(p => p.Request.Kind != ScanKind.Visit).ToList();
            var codes = routing.Select(p => p.Request.Code.Code.Id).Distinct().ToList();
            var filled = codes.Count == 0 ? [] : await LockRoutesAsync(c, tx, codes, ct);

            // Seats first, for every joining visitor; the insert then says who is new. A repeat (the same visitor already
            // stored this window, by this node or another) gives its seat back and keeps the route it was given before.
            var seats = new Dictionary<Guid, RouteSeat>();
            var added = new Dictionary<Guid, int>();
            var positions = new List<(Guid, int)>();
            if (codes.Count > 0)
            {
                // Only round robin keeps a position.
                var rounds = routing.Where(p => p.Request.Code.Code.Policy == RoutingPolicy.RoundRobin).Select(p => p.Request.Code.Code.Id).Distinct().ToList();
                var next = rounds.Count == 0 ? [] : await NextPositionsAsync(c, tx, rounds, ct);
                foreach (var group in routing.GroupBy(p => p.Request.Code.Code.Id))
                {
                    // The newest snapshot of the code this batch holds: its caps and ways in; the counts are the database's.
                    var snapshot = group.MaxBy(p => p.Request.Code.LoadedAt)!.Request.Code;
                    var mine = snapshot.Routes.Where(r => filled.ContainsKey(r.Id))
                        .Select(r => new RouteSeat { Id = r.Id, Position = r.Position, Choice = r.Choice, Filled = filled[r.Id], Cap = r.Cap, Open = r.Open })
                        .ToList();
                    foreach (var seat in mine)
                        seats[seat.Id] = seat;
                    var position = next.GetValueOrDefault(group.Key);
                    var before = position;
                    foreach (var p in group)
                    {
                        if (RoutePicker.Pick(mine, snapshot.Code.Policy, snapshot.Code.Target, p.Request.Choice, ref position) is not { } seat)
                            continue;
                        p.RouteId = seat.Id;
                        p.CommunityId = snapshot.Route(seat.Id)?.CommunityId;
                        added[seat.Id] = added.GetValueOrDefault(seat.Id) + 1;
                    }
                    if (position != before)
                        positions.Add((group.Key, position));
                }
            }

            // Inserted in one order on every node: two nodes' batches holding the same visitors (a crowd's reloads spread by a
            // load balancer) wait on each other's unique keys in that order and never deadlock. Landing-page visits lock no
            // route, so nothing else orders them.
            var inserted = await InsertAsync(c, tx, [.. primaries.OrderBy(p => p.Request.Code.Code.Id).ThenBy(p => p.Request.Kind)
                .ThenBy(p => p.Request.Visitor, StringComparer.Ordinal).ThenBy(p => p.Window)], ct);
            var repeats = new List<Pending>();
            foreach (var p in primaries)
            {
                p.Counted = inserted.Contains(p.Key);
                if (p.Counted || p.Request.Kind == ScanKind.Visit)
                    continue;
                if (p.RouteId is { } taken)
                {
                    seats[taken].Filled--;
                    added[taken]--;
                }
                p.RouteId = null;
                p.CommunityId = null;
                repeats.Add(p);
            }
            if (repeats.Count > 0)
            {
                var stored = await StoredAsync(c, tx, repeats, ct);
                foreach (var p in repeats)
                    p.RouteId = stored.GetValueOrDefault(p.Key);
            }

            var changed = added.Where(kv => kv.Value > 0).Select(kv => (kv.Key, seats[kv.Key].Filled, kv.Value)).ToList();
            if (changed.Count > 0)
                await WriteRoutesAsync(c, tx, changed, ct);
            if (positions.Count > 0)
                await WritePositionsAsync(c, tx, positions, ct);
            await tx.CommitAsync(ct);
            Committed(primaries.Count);

            foreach (var p in batch)
            {
                var first = _first[p.Key];
                if (ReferenceEquals(first, p))
                    continue;
                p.Counted = false;
                p.RouteId = first.RouteId;
            }
        }

        public async Task ResetAsync()
        {
            if (Connection is not null)
                await Connection.DisposeAsync();
            Connection = null;
        }

        public ValueTask DisposeAsync() => new(ResetAsync());
    }

    internal sealed class SqliteScanStore(string connectionString) : ScanStore
    {
        private const string Time = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF";

        // Each scan lands on a random page of the visitor index: checkpointed every so many scans off the answering path,
        // each page is copied into the database file once however many scans it took meanwhile.
        private readonly SqliteCheckpointer _checkpoints = new(connectionString, everyRows: 10_000);

        protected override void Committed(int scans) => _checkpoints.Committed(scans);

        protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
        {
            var c = new SqliteConnection(connectionString);
            await c.OpenAsync(ct);
            await using var pragma = c.CreateCommand();
            // A page cache big enough for the scans' visitor index (its inserts land on random pages), so a busy code's
            // batches are not read back from the file.
            pragma.CommandText = $"PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; {SqliteCheckpointer.AutomaticOff} {SqliteBusyTimeout.Pragma}";
            await pragma.ExecuteNonQueryAsync(ct);
            return c;
        }

        // Microsoft.Data.Sqlite begins IMMEDIATE unless asked for deferred: the write lock is taken at the start, so the
        // counts read are the ones the batch writes over.
        protected override async Task<DbTransaction> BeginAsync(DbConnection c, CancellationToken ct) => await c.BeginTransactionAsync(ct);

        private static string G(Guid g) => g.ToString().ToUpperInvariant();

        private static string InList(IReadOnlyCollection<Guid> ids) => string.Join(", ", ids.Select(g => $"'{G(g)}'"));

        // Guids formatted by us, not by a visitor: no injection path.
        protected override Task<Dictionary<Guid, int>> LockRoutesAsync(DbConnection c, DbTransaction tx, IReadOnlyCollection<Guid> codes, CancellationToken ct) =>
            IdsToNumbersAsync(c, tx, $"""SELECT "Id", "Filled" FROM "LiveCodeRoutes" WHERE "LiveCodeId" IN ({InList(codes)})""", ct);

        protected override Task<Dictionary<Guid, int>> NextPositionsAsync(DbConnection c, DbTransaction tx, IReadOnlyCollection<Guid> codes, CancellationToken ct) =>
            IdsToNumbersAsync(c, tx, $"""SELECT "Id", "NextPosition" FROM "LiveCodes" WHERE "Id" IN ({InList(codes)})""", ct);

        [SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "The IN list holds Guids formatted by us (InList), never a visitor's text.")]
        private static async Task<Dictionary<Guid, int>> IdsToNumbersAsync(DbConnection c, DbTransaction tx, string sql, CancellationToken ct)
        {
            await using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            var result = new Dictionary<Guid, int>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                result[Guid.Parse(r.GetString(0))] = r.GetInt32(1);
            return result;
        }

        protected override async Task<Dictionary<(Guid, ScanKind, string, long), Guid?>> StoredAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Pending> scans, CancellationToken ct)
        {
            var result = new Dictionary<(Guid, ScanKind, string, long), Guid?>();
            await using var cmd = (SqliteCommand)c.CreateCommand();
            cmd.Transaction = (SqliteTransaction)tx;
            cmd.CommandText = """SELECT "RouteId" FROM "LiveCodeScans" WHERE "LiveCodeId" = $c AND "Kind" = $k AND "Visitor" = $v AND "Window" = $w""";
            var pc = cmd.Parameters.Add("$c", SqliteType.Text);
            var pk = cmd.Parameters.Add("$k", SqliteType.Integer);
            var pv = cmd.Parameters.Add("$v", SqliteType.Text);
            var pw = cmd.Parameters.Add("$w", SqliteType.Integer);
            cmd.Prepare();
            foreach (var p in scans)
            {
                pc.Value = G(p.Request.Code.Code.Id);
                pk.Value = (int)p.Request.Kind;
                pv.Value = p.Request.Visitor;
                pw.Value = p.Window;
                await using var r = await cmd.ExecuteReaderAsync(ct);
                if (await r.ReadAsync(ct))
                    result[p.Key] = r.IsDBNull(0) ? null : Guid.Parse(r.GetString(0));
            }
            return result;
        }

        protected override async Task WriteRoutesAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(Guid Id, int Filled, int Added)> routes, CancellationToken ct)
        {
            await using var cmd = (SqliteCommand)c.CreateCommand();
            cmd.Transaction = (SqliteTransaction)tx;
            cmd.CommandText = """UPDATE "LiveCodeRoutes" SET "Filled" = $f, "Routed" = "Routed" + $n WHERE "Id" = $id""";
            var pf = cmd.Parameters.Add("$f", SqliteType.Integer);
            var pn = cmd.Parameters.Add("$n", SqliteType.Integer);
            var pid = cmd.Parameters.Add("$id", SqliteType.Text);
            foreach (var (id, filled, added) in routes)
            {
                (pf.Value, pn.Value, pid.Value) = (filled, added, G(id));
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }

        protected override async Task WritePositionsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(Guid Code, int Next)> positions, CancellationToken ct)
        {
            await using var cmd = (SqliteCommand)c.CreateCommand();
            cmd.Transaction = (SqliteTransaction)tx;
            cmd.CommandText = """UPDATE "LiveCodes" SET "NextPosition" = $n WHERE "Id" = $id""";
            var pn = cmd.Parameters.Add("$n", SqliteType.Integer);
            var pid = cmd.Parameters.Add("$id", SqliteType.Text);
            foreach (var (code, next) in positions)
            {
                (pn.Value, pid.Value) = (next, G(code));
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }

        protected override async Task<HashSet<(Guid, ScanKind, string, long)>> InsertAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Pending> scans, CancellationToken ct)
        {
            var inserted = new HashSet<(Guid, ScanKind, string, long)>(scans.Count);
            await using var cmd = (SqliteCommand)c.CreateCommand();
            cmd.Transaction = (SqliteTransaction)tx;
            cmd.CommandText = """
                INSERT INTO "LiveCodeScans" ("WorkspaceId", "LiveCodeId", "Kind", "At", "Visitor", "Window", "RouteId", "CommunityId", "Choice")
                VALUES ($ws, $c, $k, $at, $v, $w, $r, $cm, $ch) ON CONFLICT DO NOTHING
                """;
            var pws = cmd.Parameters.Add("$ws", SqliteType.Text);
            var pc = cmd.Parameters.Add("$c", SqliteType.Text);
            var pk = cmd.Parameters.Add("$k", SqliteType.Integer);
            var pat = cmd.Parameters.Add("$at", SqliteType.Text);
            var pv = cmd.Parameters.Add("$v", SqliteType.Text);
            var pw = cmd.Parameters.Add("$w", SqliteType.Integer);
            var pr = cmd.Parameters.Add("$r", SqliteType.Text);
            var pcm = cmd.Parameters.Add("$cm", SqliteType.Text);
            var pch = cmd.Parameters.Add("$ch", SqliteType.Text);
            cmd.Prepare();
            foreach (var p in scans)
            {
                var q = p.Request;
                pws.Value = G(q.Code.Code.WorkspaceId);
                pc.Value = G(q.Code.Code.Id);
                pk.Value = (int)q.Kind;
                pat.Value = q.At.ToString(Time, CultureInfo.InvariantCulture);
                pv.Value = q.Visitor;
                pw.Value = p.Window;
                pr.Value = p.RouteId is { } r ? G(r) : DBNull.Value;
                pcm.Value = p.CommunityId is { } cm ? G(cm) : DBNull.Value;
                pch.Value = (object?)q.Choice ?? DBNull.Value;
                if (await cmd.ExecuteNonQueryAsync(ct) == 1)
                    inserted.Add(p.Key);
            }
            return inserted;
        }
    }

    internal sealed class PostgresScanStore(string connectionString) : ScanStore
    {
        protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
        {
            var c = new NpgsqlConnection(connectionString);
            await c.OpenAsync(ct);
            return c;
        }

        protected override async Task<DbTransaction> BeginAsync(DbConnection c, CancellationToken ct) => await c.BeginTransactionAsync(ct);

        [SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "Callers pass fixed statements or the Guid IN list of InList; values are parameters.")]
        private static NpgsqlCommand Command(DbConnection c, DbTransaction tx, string sql) => new(sql, (NpgsqlConnection)c, (NpgsqlTransaction)tx);

        protected override Task<Dictionary<Guid, int>> LockRoutesAsync(DbConnection c, DbTransaction tx, IReadOnlyCollection<Guid> codes, CancellationToken ct) =>
            IdsToNumbersAsync(c, tx, """SELECT "Id", "Filled" FROM "LiveCodeRoutes" WHERE "LiveCodeId" = ANY($1) ORDER BY "Id" FOR UPDATE""", codes, ct);

        protected override Task<Dictionary<Guid, int>> NextPositionsAsync(DbConnection c, DbTransaction tx, IReadOnlyCollection<Guid> codes, CancellationToken ct) =>
            IdsToNumbersAsync(c, tx, """SELECT "Id", "NextPosition" FROM "LiveCodes" WHERE "Id" = ANY($1)""", codes, ct);

        private static async Task<Dictionary<Guid, int>> IdsToNumbersAsync(DbConnection c, DbTransaction tx, string sql, IReadOnlyCollection<Guid> codes, CancellationToken ct)
        {
            await using var cmd = Command(c, tx, sql);
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. codes] });
            var result = new Dictionary<Guid, int>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                result[r.GetGuid(0)] = r.GetInt32(1);
            return result;
        }

        protected override async Task<Dictionary<(Guid, ScanKind, string, long), Guid?>> StoredAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Pending> scans, CancellationToken ct)
        {
            await using var cmd = Command(c, tx, """
                SELECT s."LiveCodeId", s."Kind", s."Visitor", s."Window", s."RouteId"
                FROM "LiveCodeScans" s JOIN unnest($1, $2, $3, $4) AS k(c, k, v, w)
                  ON s."LiveCodeId" = k.c AND s."Kind" = k.k AND s."Visitor" = k.v AND s."Window" = k.w
                """);
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. scans.Select(p => p.Request.Code.Code.Id)] });
            cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. scans.Select(p => (int)p.Request.Kind)] });
            cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scans.Select(p => p.Request.Visitor)] });
            cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. scans.Select(p => p.Window)] });
            var result = new Dictionary<(Guid, ScanKind, string, long), Guid?>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                result[(r.GetGuid(0), (ScanKind)r.GetInt32(1), r.GetString(2), r.GetInt64(3))] = r.IsDBNull(4) ? null : r.GetGuid(4);
            return result;
        }

        protected override async Task WriteRoutesAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(Guid Id, int Filled, int Added)> routes, CancellationToken ct)
        {
            await using var cmd = Command(c, tx, """
                UPDATE "LiveCodeRoutes" r SET "Filled" = v.f, "Routed" = r."Routed" + v.n
                FROM unnest($1, $2, $3) AS v(id, f, n) WHERE r."Id" = v.id
                """);
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. routes.Select(r => r.Id)] });
            cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. routes.Select(r => r.Filled)] });
            cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. routes.Select(r => r.Added)] });
            await cmd.ExecuteNonQueryAsync(ct);
        }

        protected override async Task WritePositionsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<(Guid Code, int Next)> positions, CancellationToken ct)
        {
            await using var cmd = Command(c, tx, """
                UPDATE "LiveCodes" l SET "NextPosition" = v.n FROM unnest($1, $2) AS v(id, n) WHERE l."Id" = v.id
                """);
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. positions.Select(p => p.Code)] });
            cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. positions.Select(p => p.Next)] });
            await cmd.ExecuteNonQueryAsync(ct);
        }

        protected override async Task<HashSet<(Guid, ScanKind, string, long)>> InsertAsync(DbConnection c, DbTransaction tx, IReadOnlyList<Pending> scans, CancellationToken ct)
        {
            await using var cmd = Command(c, tx, """
                INSERT INTO "LiveCodeScans" ("WorkspaceId", "LiveCodeId", "Kind", "At", "Visitor", "Window", "RouteId", "CommunityId", "Choice")
                SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
                RETURNING "LiveCodeId", "Kind", "Visitor", "Window"
                """);
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. scans.Select(p => p.Request.Code.Code.WorkspaceId)] });
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. scans.Select(p => p.Request.Code.Code.Id)] });
            cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. scans.Select(p => (int)p.Request.Kind)] });
            cmd.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. scans.Select(p => DateTime.SpecifyKind(p.Request.At, DateTimeKind.Utc))], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scans.Select(p => p.Request.Visitor)] });
            cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. scans.Select(p => p.Window)] });
            cmd.Parameters.Add(new NpgsqlParameter { Value = scans.Select(p => p.RouteId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = scans.Select(p => p.CommunityId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = scans.Select(p => p.Request.Choice).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            var inserted = new HashSet<(Guid, ScanKind, string, long)>(scans.Count);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                inserted.Add((r.GetGuid(0), (ScanKind)r.GetInt32(1), r.GetString(2), r.GetInt64(3)));
            return inserted;
        }
    }
}
