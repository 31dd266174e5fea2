using Microsoft.Data.Sqlite;

namespace Shequn.Data;

/// <summary>
/// Checkpoints the WAL of a busy writer off its own path. A writer that turns its automatic checkpoint off
/// (<c>PRAGMA wal_autocheckpoint=0</c>) counts its rows here; every so many rows a PASSIVE checkpoint runs on a
/// connection of its own, so no batch waits for the copy into the database file, and a page written many times between
/// checkpoints is copied once.
/// </summary>
internal sealed class SqliteCheckpointer(string connectionString, int everyRows)
{
    /// <summary>The pragma for the writer's connection.</summary>
    public const string AutomaticOff = "PRAGMA wal_autocheckpoint=0;";

    private int _since;
    private Task _running = Task.CompletedTask;

    /// <summary>Counts rows committed; starts a checkpoint when due and none is running.</summary>
    public void Committed(int rows)
    {
        _since += rows;
        if (_since < everyRows || !_running.IsCompleted)
            return;
        _since = 0;
        _running = Task.Run(CheckpointAsync, CancellationToken.None);
    }

    /// <summary>Waits for a checkpoint in progress (when the writer closes).</summary>
    public Task DrainAsync() => _running;

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
}
