using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Shequn.Data;

/// <summary>
/// Lets SQLite itself wait for the write lock (<c>PRAGMA busy_timeout</c>), set each time EF opens a connection.
/// Without it Microsoft.Data.Sqlite retries a busy statement after sleeping 150 ms each time: under a steady stream of
/// webhook writes the processor's <c>BEGIN IMMEDIATE</c> slept 150 ms again and again (600 ms in one batch, the enforce
/// bench's p99), while the lock was free most of that time. SQLite's own handler polls every few milliseconds.
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    /// <summary>As long as a command may take (Microsoft.Data.Sqlite's default command timeout).</summary>
    public const string Pragma = "PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
