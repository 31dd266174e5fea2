using System.Data;
using Microsoft.Data.Sqlite;
using Npgsql;
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
public sealed class SqliteEventLogWriter(string connectionString, SqliteSynchronous synchronous) : EventLogWriter
{
    private const int CheckpointEveryRows = 20_000;
    private SqliteConnection? _connection;
    private int _sinceCheckpoint;
    private Task _checkpoint = Task.CompletedTask;
    private SqliteCommand? _insert;
    private readonly SqliteParameter[] _p = new SqliteParameter[24];

    private async Task OpenAsync(CancellationToken ct)
    {
        _connection = new SqliteConnection(connectionString);
        await _connection.OpenAsync(ct);
        await using (var pragma = _connection.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronous == SqliteSynchronous.Normal ? "NORMAL" : "FULL")}; PRAGMA wal_autocheckpoint=0;";
            await pragma.ExecuteNonQueryAsync(ct);
        }
        _insert = _connection.CreateCommand();
        _insert.CommandText = $"INSERT INTO \"CommunityEvents\" ({Columns}) VALUES " +
            "($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12, $p13, $p14, $p15, $p16, $p17, $p18, $p19, $p20, $p21, $p22, $p23) " +
            "ON CONFLICT DO NOTHING";
        for (var i = 0; i < _p.Length; i++)
            _p[i] = _insert.Parameters.Add("$p" + i, i is 1 or 3 or 4 or 5 or 11 or 15 ? SqliteType.Integer : SqliteType.Text);
        _insert.Prepare();
    }

    public override async Task<bool[]> AppendAsync(IReadOnlyList<CommunityEvent> rows, CancellationToken ct)
    {
        if (_connection is null)
            await OpenAsync(ct);
        var inserted = new bool[rows.Count];
        await using var tx = (SqliteTransaction)await _connection!.BeginTransactionAsync(ct);
        _insert!.Transaction = tx;
        for (var i = 0; i < rows.Count; i++)
        {
            Bind(rows[i]);
            inserted[i] = _insert.ExecuteNonQuery() == 1;
        }
        await tx.CommitAsync(ct);
        _sinceCheckpoint += rows.Count;
        if (_sinceCheckpoint >= CheckpointEveryRows && _checkpoint.IsCompleted)
        {
            _sinceCheckpoint = 0;
            _checkpoint = Task.Run(CheckpointAsync, CancellationToken.None);
        }
        return inserted;
    }

    private async Task CheckpointAsync()
    {
        try
        {
            await using var conn = new SqliteConnection(connectionString);
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await cmd.ExecuteNonQueryAsync();
        }
        catch (SqliteException)
        {
            // Busy now; the next one will do. Other connections also checkpoint automatically.
        }
    }

    private void Bind(CommunityEvent e)
    {
        // Guids as EF Core's SQLite provider writes them (upper-case text), so that LINQ queries match.
        _p[0].Value = e.WorkspaceId.ToString().ToUpperInvariant();
        _p[1].Value = (int)e.Platform;
        _p[2].Value = e.PlatformEventId;
        _p[3].Value = (int)e.Kind;
        _p[4].Value = EventTime.ToUnixMs(e.OccurredAt);
        _p[5].Value = EventTime.ToUnixMs(e.ReceivedAt);
        _p[6].Value = e.CommunityId is { } c ? c.ToString().ToUpperInvariant() : DBNull.Value;
        _p[7].Value = (object?)e.ChatId ?? DBNull.Value;
        _p[8].Value = (object?)e.ChatTitle ?? DBNull.Value;
        _p[9].Value = (object?)e.UserId ?? DBNull.Value;
        _p[10].Value = (object?)e.UserName ?? DBNull.Value;
        _p[11].Value = e.FromStaff ? 1 : 0;
        _p[12].Value = (object?)e.ActorId ?? DBNull.Value;
        _p[13].Value = (object?)e.ActorName ?? DBNull.Value;
        _p[14].Value = (object?)e.Channel ?? DBNull.Value;
        _p[15].Value = e.MessageKind is { } k ? (int)k : DBNull.Value;
        _p[16].Value = (object?)e.MessageId ?? DBNull.Value;
        _p[17].Value = (object?)e.ReplyToMessageId ?? DBNull.Value;
        _p[18].Value = (object?)e.Text ?? DBNull.Value;
        _p[19].Value = (object?)e.InviteLink ?? DBNull.Value;
        _p[20].Value = (object?)e.TopicId ?? DBNull.Value;
        _p[21].Value = (object?)e.ForwardedFrom ?? DBNull.Value;
        _p[22].Value = (object?)e.MediaId ?? DBNull.Value;
        _p[23].Value = e.ActionId is { } a ? a.ToString().ToUpperInvariant() : DBNull.Value;
    }

    public override async ValueTask DisposeAsync()
    {
        await _checkpoint;
        if (_insert is not null)
            await _insert.DisposeAsync();
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
