using System.Data;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using Npgsql;
using Shequn.Data;
using NpgsqlTypes;

namespace Shequn.Features.Events;

/// <summary>
/// Appends a batch of events to the log in one transaction with raw prepared statements (no change tracker on the
/// hot path). Returns, per row, whether it was new (false: the same platform event id was already stored).
/// Rows passed in one call must not repeat a dedupe key; <see cref="EventIngestor"/> removes repeats first.
/// </summary>
public abstract class EventLogWriter : IAsyncDisposable
{
    public const string Columns =
        "\"WorkspaceId\", \"Platform\", \"PlatformEventId\", \"Kind\", \"OccurredAt\", \"ReceivedAt\", \"CommunityId\", \"ChatId\", " +
        "\"ChatTitle\", \"UserId\", \"UserName\", \"FromStaff\", \"ActorId\", \"ActorName\", \"Channel\", \"MessageKind\", " +
        "\"MessageId\", \"ReplyToMessageId\", \"Text\", \"InviteLink\", \"TopicId\", \"ForwardedFrom\", \"MediaId\", \"ActionId\"";

    /// <summary>Writers hold this PostgreSQL advisory lock exclusively while inserting, readers shared while reading:
    /// a reader then never sees a later sequence number committed while an earlier one is still in flight.</summary>
    internal const long PostgresLogLock = 0x5368_6571_756e_4c67;

    public abstract Task<bool[]> AppendAsync(IReadOnlyList<CommunityEvent> rows, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    public static EventLogWriter Create(bool postgres, string connectionString, SqliteSynchronous synchronous = SqliteSynchronous.Full) =>
        postgres ? new PostgresEventLogWriter(connectionString) : new SqliteEventLogWriter(connectionString, synchronous);
}

/// <summary>One connection kept open with a prepared INSERT … ON CONFLICT DO NOTHING; synchronous=FULL so that a
/// commit (one per batch) is on disk before anyone is told their event was stored. The writer does not checkpoint
/// the WAL itself (an automatic checkpoint inside a commit is what makes the slowest acknowledgements slow): a
/// passive checkpoint runs on its own connection after every few megabytes of log.</summary>
/// <remarks>
/// The INSERT is bound and stepped through SQLitePCLRaw (the engine binding under Microsoft.Data.Sqlite) by
/// parameter position, with the text encoded into one reused buffer. Every acknowledgement waits for this one
/// thread, so its cost per row bounds the webhook: through <c>SqliteCommand</c> each row looked its 24 parameters up
/// by name, encoded each string into a new array and re-enumerated the command's statements (docs/benchmarks.md,
/// "Telegram webhook").
/// </remarks>
public sealed class SqliteEventLogWriter(string connectionString, SqliteSynchronous synchronous) : EventLogWriter
{
    private readonly SqliteCheckpointer _checkpoints = new(connectionString, everyRows: 20_000);
    private SqliteConnection? _connection;
    private SQLitePCL.sqlite3_stmt? _insert;
    private readonly SqliteBinder _binder = new();

    private async Task OpenAsync(CancellationToken ct)
    {
        _connection = new SqliteConnection(connectionString);
        await _connection.OpenAsync(ct);
        await using (var pragma = _connection.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronous == SqliteSynchronous.Normal ? "NORMAL" : "FULL")}; {SqliteCheckpointer.AutomaticOff} {SqliteBusyTimeout.Pragma}";
            await pragma.ExecuteNonQueryAsync(ct);
        }
        var sql = $"INSERT INTO \"CommunityEvents\" ({Columns}) VALUES ({string.Join(", ", Enumerable.Repeat("?", 24))}) ON CONFLICT DO NOTHING";
        var rc = SQLitePCL.raw.sqlite3_prepare_v2(_connection.Handle, sql, out var statement);
        SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        _insert = statement;
    }

    public override async Task<bool[]> AppendAsync(IReadOnlyList<CommunityEvent> rows, CancellationToken ct)
    {
        if (_connection is null)
            await OpenAsync(ct);
        var inserted = new bool[rows.Count];
        await using var tx = (SqliteTransaction)await _connection!.BeginTransactionAsync(ct);
        Insert(rows, inserted);
        await tx.CommitAsync(ct);
        _checkpoints.Committed(rows.Count);
        return inserted;
    }

    private void Insert(IReadOnlyList<CommunityEvent> rows, bool[] inserted)
    {
        var db = _connection!.Handle!;
        var statement = _insert!;
        for (var i = 0; i < rows.Count; i++)
        {
            Bind(statement, rows[i]);
            var before = SQLitePCL.raw.sqlite3_total_changes(db);
            SqliteBinder.Execute(db, statement);
            inserted[i] = SQLitePCL.raw.sqlite3_total_changes(db) != before;
        }
    }

    private void Bind(SQLitePCL.sqlite3_stmt s, CommunityEvent e)
    {
        // Guids as EF Core's SQLite provider writes them (upper-case text), so that LINQ queries match.
        BindGuid(s, 1, e.WorkspaceId);
        SQLitePCL.raw.sqlite3_bind_int64(s, 2, (int)e.Platform);
        BindText(s, 3, e.PlatformEventId);
        SQLitePCL.raw.sqlite3_bind_int64(s, 4, (int)e.Kind);
        SQLitePCL.raw.sqlite3_bind_int64(s, 5, EventTime.ToUnixMs(e.OccurredAt));
        SQLitePCL.raw.sqlite3_bind_int64(s, 6, EventTime.ToUnixMs(e.ReceivedAt));
        BindGuid(s, 7, e.CommunityId);
        BindText(s, 8, e.ChatId);
        BindText(s, 9, e.ChatTitle);
        BindText(s, 10, e.UserId);
        BindText(s, 11, e.UserName);
        SQLitePCL.raw.sqlite3_bind_int64(s, 12, e.FromStaff ? 1 : 0);
        BindText(s, 13, e.ActorId);
        BindText(s, 14, e.ActorName);
        BindText(s, 15, e.Channel);
        if (e.MessageKind is { } kind)
            SQLitePCL.raw.sqlite3_bind_int64(s, 16, (int)kind);
        else
            SQLitePCL.raw.sqlite3_bind_null(s, 16);
        BindText(s, 17, e.MessageId);
        BindText(s, 18, e.ReplyToMessageId);
        BindText(s, 19, e.Text);
        BindText(s, 20, e.InviteLink);
        BindText(s, 21, e.TopicId);
        BindText(s, 22, e.ForwardedFrom);
        BindText(s, 23, e.MediaId);
        BindGuid(s, 24, e.ActionId);
    }

    private static void BindGuid(SQLitePCL.sqlite3_stmt s, int index, Guid? value) => SqliteBinder.BindGuid(s, index, value);

    private void BindText(SQLitePCL.sqlite3_stmt s, int index, string? value) => _binder.BindText(s, index, value);

    public override async ValueTask DisposeAsync()
    {
        await _checkpoints.DrainAsync();
        _insert?.Dispose();
        if (_connection is not null)
            await _connection.DisposeAsync();
    }
}

/// <summary>One multi-row INSERT … SELECT FROM unnest(arrays) per batch, under the log's advisory lock.</summary>
public sealed class PostgresEventLogWriter(string connectionString) : EventLogWriter
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    private static readonly string Insert =
        $"INSERT INTO \"CommunityEvents\" ({Columns}) " +
        "SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::bigint[], $6::bigint[], $7::uuid[], $8::text[], " +
        "$9::text[], $10::text[], $11::text[], $12::boolean[], $13::text[], $14::text[], $15::text[], $16::int[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::uuid[]) " +
        "ON CONFLICT (\"WorkspaceId\", \"Platform\", \"PlatformEventId\") DO NOTHING " +
        "RETURNING \"WorkspaceId\", \"Platform\", \"PlatformEventId\"";

    [SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "Both statements are fixed text (a constant lock id and the Insert constant); every value is a parameter.")]
    public override async Task<bool[]> AppendAsync(IReadOnlyList<CommunityEvent> rows, CancellationToken ct)
    {
        await using var conn = await _source.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await using (var lockCmd = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresLogLock})", conn, tx))
            await lockCmd.ExecuteNonQueryAsync(ct);

        var n = rows.Count;
        await using var cmd = new NpgsqlCommand(Insert, conn, tx);
        T[] Col<T>(Func<CommunityEvent, T> f)
        {
            var a = new T[n];
            for (var i = 0; i < n; i++)
                a[i] = f(rows[i]);
            return a;
        }
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => e.WorkspaceId) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => (int)e.Platform) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => e.PlatformEventId) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => (int)e.Kind) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => EventTime.ToUnixMs(e.OccurredAt)) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => EventTime.ToUnixMs(e.ReceivedAt)) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => e.CommunityId), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(Text(Col(e => e.ChatId)));
        cmd.Parameters.Add(Text(Col(e => e.ChatTitle)));
        cmd.Parameters.Add(Text(Col(e => e.UserId)));
        cmd.Parameters.Add(Text(Col(e => e.UserName)));
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => e.FromStaff) });
        cmd.Parameters.Add(Text(Col(e => e.ActorId)));
        cmd.Parameters.Add(Text(Col(e => e.ActorName)));
        cmd.Parameters.Add(Text(Col(e => e.Channel)));
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => e.MessageKind is { } k ? (int?)k : null), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        cmd.Parameters.Add(Text(Col(e => e.MessageId)));
        cmd.Parameters.Add(Text(Col(e => e.ReplyToMessageId)));
        cmd.Parameters.Add(Text(Col(e => e.Text)));
        cmd.Parameters.Add(Text(Col(e => e.InviteLink)));
        cmd.Parameters.Add(Text(Col(e => e.TopicId)));
        cmd.Parameters.Add(Text(Col(e => e.ForwardedFrom)));
        cmd.Parameters.Add(Text(Col(e => e.MediaId)));
        cmd.Parameters.Add(new NpgsqlParameter { Value = Col(e => e.ActionId), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });

        var stored = new HashSet<(Guid, int, string)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                stored.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2)));
        }
        await tx.CommitAsync(ct);

        var inserted = new bool[n];
        for (var i = 0; i < n; i++)
            inserted[i] = stored.Contains((rows[i].WorkspaceId, (int)rows[i].Platform, rows[i].PlatformEventId));
        return inserted;
    }

    private static NpgsqlParameter Text(string?[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    public override ValueTask DisposeAsync() => _source.DisposeAsync();
}
