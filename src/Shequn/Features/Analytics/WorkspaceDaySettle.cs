using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Analytics;

/// <summary>
/// Stores each workspace's complete days (<see cref="WorkspaceDay"/>) for the overview: the last
/// <see cref="AnalyticsOptions.WorkspaceDaysKept"/> days that are not stored (new days, days a change dropped), older
/// ones and those of another zone deleted. A day is counted and stored in one transaction that no write to what it counts
/// can interleave with, so a change either comes before the count or drops the row after it (the triggers): on SQLite
/// the transaction writes first and so holds the one write lock; on PostgreSQL it takes SHARE locks on the counted tables
/// (writers wait a moment; a wait over half a second gives up the day until the next pass, never a writer's transaction).
/// Two nodes may count the same day; the row's key keeps one.
/// </summary>
public sealed partial class WorkspaceDaySettle(IServiceScopeFactory scopes, IOptions<AnalyticsOptions> options, WorkspaceZones zones, TimeProvider time,
    ILogger<WorkspaceDaySettle> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WorkspaceDaysEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.WorkspaceDaysInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(30), time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>What a pass did: days stored, days another node stored first or a lock wait gave up, rows deleted.</summary>
    public sealed record Pass(int Stored, int Skipped, int Deleted);

    public async Task<Pass> RunOnceAsync(CancellationToken ct)
    {
        List<Guid> workspaces;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            workspaces = await db.Workspaces.AsNoTracking().OrderBy(w => w.Id).Select(w => w.Id).ToListAsync(ct);
        }
        var total = new Pass(0, 0, 0);
        foreach (var ws in workspaces)
        {
            var p = await RunWorkspaceAsync(ws, ct);
            total = new Pass(total.Stored + p.Stored, total.Skipped + p.Skipped, total.Deleted + p.Deleted);
        }
        return total;
    }

    public async Task<Pass> RunWorkspaceAsync(Guid workspaceId, CancellationToken ct)
    {
        var zone = await zones.GetAsync(workspaceId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var today = DailyFigures.DayOf(now, zone);
        var first = today.AddDays(-options.Value.WorkspaceDaysKept);
        var zoneId = zone.Id;
        List<DateOnly> stored;
        int deleted;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var rows = db.Set<WorkspaceDay>().IgnoreQueryFilters().Where(d => d.WorkspaceId == workspaceId);
            deleted = await rows.Where(d => d.Day < first || d.TimeZone != zoneId).ExecuteDeleteAsync(ct);
            stored = await rows.Where(d => d.Day >= first).Select(d => d.Day).ToListAsync(ct);
        }
        var (done, skipped) = (0, 0);
        // Newest first: yesterday is what the overview needs most.
        for (var day = today.AddDays(-1); day >= first; day = day.AddDays(-1))
        {
            if (stored.Contains(day))
                continue;
            var started = time.GetTimestamp();
            if (await StoreAsync(workspaceId, day, zone, now, ct))
                done++;
            else
                skipped++;
            // A first pass or a late change can leave many days to store: back to back, their transactions would keep
            // other writers (the processor, a staff member's save) waiting for the lock for as long as the pass lasts.
            var pause = options.Value.WorkspaceDaysPause;
            if (pause > TimeSpan.Zero)
            {
                var took = time.GetElapsedTime(started);
                await Task.Delay(took > pause ? took : pause, time, ct);
            }
        }
        return new Pass(done, skipped, deleted);
    }

    private async Task<bool> StoreAsync(Guid workspaceId, DateOnly day, TimeZoneInfo zone, DateTime now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(2));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
        {
            try
            {
                // Shorter than the deadlock timeout (1 s), so that this transaction, not a writer's, is the one that gives up.
                await db.Database.ExecuteSqlRawAsync("SET LOCAL lock_timeout = '500ms'", ct);
                await db.Database.ExecuteSqlRawAsync(
                    """LOCK TABLE "Memberships", "Members", "CommunityDailyFigures" IN SHARE MODE""", ct);
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.LockNotAvailable)
            {
                return false;
            }
        }
        else
        {
            // The transaction's first statement writes, so it holds SQLite's one write lock from before the count on.
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = {workspaceId} AND "Day" = {day}""", ct);
        }
        var d = await WorkspaceDays.CountAsync(db, workspaceId, day, zone, now, ct);
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "WorkspaceDays" ("WorkspaceId", "Day", "TimeZone", "EndsAt", "Joins", "Leaves", "Messages", "StaffMessages",
                "Speakers", "DeletedMessages", "Members", "DistinctMembers", "MembersListed", "ComputedAt")
            VALUES ({d.WorkspaceId}, {d.Day}, {d.TimeZone}, {d.EndsAt}, {d.Joins}, {d.Leaves}, {d.Messages}, {d.StaffMessages},
                {d.Speakers}, {d.DeletedMessages}, {d.Members}, {d.DistinctMembers}, {d.MembersListed}, {d.ComputedAt})
            ON CONFLICT ("WorkspaceId", "Day") DO NOTHING
            """, ct);
        await tx.CommitAsync(ct);
        return inserted == 1;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing the workspaces' days failed; retrying in 30 s")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
