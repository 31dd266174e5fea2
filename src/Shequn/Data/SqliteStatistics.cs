using Microsoft.EntityFrameworkCore;

namespace Shequn.Data;

/// <summary>
/// Keeps SQLite's query planner told how the tables' values spread (<c>PRAGMA optimize</c>, which runs <c>ANALYZE</c> on
/// tables whose size changed a lot since it last looked): at start and every <see cref="Every"/>. Without statistics SQLite
/// guesses, and a query on <c>WorkspaceId = ? AND MemberId IN (…)</c> walks every row of the workspace by its
/// (WorkspaceId, …) index instead of the member's few by the member index: every query the workspace filter narrows is
/// slower the bigger the workspace. PostgreSQL keeps its own statistics (autovacuum): the service is registered for SQLite only. Safe on several
/// app processes: each one's run is a short write, and a second run finds nothing changed.
/// </summary>
public sealed partial class SqliteStatistics(IServiceScopeFactory scopes, ILogger<SqliteStatistics> log) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromHours(1);

    /// <summary>Brings the statistics up to date (SQLite only; rows sampled per index are capped, so it stays quick).</summary>
    public static async Task UpdateAsync(AppDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!db.Database.IsSqlite())
            return;
        // 0x10002: look at every table, not only those this connection used; analysis_limit samples an index's rows.
        await db.Database.ExecuteSqlRawAsync("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;", ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await UpdateAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
            await Task.Delay(Every, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Updating SQLite's statistics failed; the next try is in an hour")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
