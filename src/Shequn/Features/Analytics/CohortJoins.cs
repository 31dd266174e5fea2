using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Analytics;

/// <summary>
/// One join (membership) of the retention cohorts with its settled outcomes, so that the cohort table reads one narrow
/// row a join instead of every stay and speaking day (<see cref="RetentionCohorts"/>). Written by <see cref="CohortSettle"/>.
/// Offset i (of <see cref="RetentionCohorts.Offsets"/>) is stored for i &lt; <see cref="Settled"/>: bit i of
/// <see cref="Stayed"/> and <see cref="Spoke"/> then holds its outcome. An offset is stored as soon as its moment has
/// passed, provisionally, and stored again as final once the moment is <see cref="AnalyticsOptions.CohortGrace"/> past
/// (<see cref="Final"/>), when late events have arrived. A late event that could change a provisional outcome (a
/// speaking day in its window, a stay that begins, ends or moves before its moment) takes the provisional offsets back
/// by trigger (<see cref="CohortJoinTriggers"/>): the report computes them until the job stores them again. So the
/// report reads stored outcomes for every offset reached, also just after a week ends, when five weeks' offsets are
/// reached at once.
/// Deleted with its membership (erasure, a community's deletion), and by a member merge or unmerge for both members;
/// a row that no longer matches its membership (a late join moved the start, another zone) is dropped by the job.
/// </summary>
public sealed class CohortJoin : IWorkspaceOwned
{
    public Guid MembershipId { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public Guid MemberId { get; set; }
    public DateTime JoinedAt { get; set; }

    /// <summary>The Monday of the join's week in <see cref="TimeZone"/>.</summary>
    public DateOnly JoinWeek { get; set; }

    /// <summary>The workspace zone the week and the speaking windows were counted in; rows of another zone are not used.</summary>
    public string TimeZone { get; set; } = "";

    public string? Channel { get; set; }

    /// <summary>How many offsets, from the first, are stored (0 to 5), provisionally or finally.</summary>
    public int Settled { get; set; }

    /// <summary>How many offsets, from the first, are final (at most <see cref="Settled"/>); the ones between are provisional.</summary>
    public int Final { get; set; }

    /// <summary>While an offset is provisional: the last provisional offset's moment (join + N weeks). A stay of the
    /// member in the community that begins, ends or moves at or before it takes the provisional offsets back.</summary>
    public DateTime? ProvisionalAt { get; set; }

    /// <summary>While an offset is provisional: the day its speaking window ends (join day + N weeks, not in the window).
    /// A speaking day of the member in the community before it takes the provisional offsets back.</summary>
    public DateOnly? ProvisionalDay { get; set; }

    public int Stayed { get; set; }
    public int Spoke { get; set; }
}

internal sealed class CohortJoinConfiguration : IEntityTypeConfiguration<CohortJoin>
{
    public void Configure(EntityTypeBuilder<CohortJoin> b)
    {
        b.ToTable("CohortJoins");
        b.HasKey(e => e.MembershipId);
        b.Property(e => e.TimeZone).HasMaxLength(Workspace.TimeZoneMaxLength);
        b.Property(e => e.Channel).HasMaxLength(Member.FieldMaxLength);
        b.HasOne<Membership>().WithMany().HasForeignKey(e => e.MembershipId).OnDelete(DeleteBehavior.Cascade);
        // The report's read: a period of join weeks, grouped by week, channel and outcome, in index order (covering).
        b.HasIndex(e => new { e.WorkspaceId, e.TimeZone, e.JoinWeek, e.Channel, e.Settled, e.Stayed, e.Spoke, e.CommunityId });
        // A merge drops both members' rows; the triggers take back a member's provisional offsets.
        b.HasIndex(e => e.MemberId);
        // The settle job's rows due: for each stored count, those joined before that offset's moment, in join order; and for
        // each final count, those whose next offset's grace is over.
        b.HasIndex(e => new { e.WorkspaceId, e.Settled, e.JoinedAt });
        b.HasIndex(e => new { e.WorkspaceId, e.Final, e.JoinedAt });
    }
}

/// <summary>
/// The triggers that take back provisional offsets of <see cref="CohortJoin"/> rows (migration <c>CohortProvisional</c>)
/// when a late change could alter them: a speaking day of the member in the community before the last provisional
/// window's end, or a stay of the member in the community that begins, ends or moves at or before the last provisional
/// moment (a change at T changes "in the community at T'" only for T' at or after T). The row goes back to its final
/// offsets; the report computes the others until the job stores them again. Changes as they happen (a join or a leave
/// now, today's first message) are after every provisional moment and window, so they take nothing back.
/// </summary>
public static class CohortJoinTriggers
{
    private const string Reset = """
        UPDATE "CohortJoins" SET "Settled" = "Final", "Stayed" = "Stayed" & ((1 << "Final") - 1), "Spoke" = "Spoke" & ((1 << "Final") - 1),
            "ProvisionalAt" = NULL, "ProvisionalDay" = NULL
        """;

    /// <summary>SQLite's, idempotent: also run after every migration (<c>DatabaseSetup.MigrateAsync</c>), because EF
    /// rebuilds a SQLite table to alter it and a rebuild drops the table's triggers.</summary>
    public const string SqliteUp = $$"""
        CREATE TRIGGER IF NOT EXISTS "CohortJoins_Speakers_Insert" AFTER INSERT ON "DailySpeakers" BEGIN
            {{Reset}} WHERE "MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId" AND "ProvisionalDay" > NEW."Day";
        END;
        CREATE TRIGGER IF NOT EXISTS "CohortJoins_Speakers_Delete" AFTER DELETE ON "DailySpeakers" BEGIN
            {{Reset}} WHERE "MemberId" = OLD."MemberId" AND "CommunityId" = OLD."CommunityId" AND "ProvisionalDay" > OLD."Day";
        END;
        CREATE TRIGGER IF NOT EXISTS "CohortJoins_Speakers_Update" AFTER UPDATE ON "DailySpeakers" BEGIN
            {{Reset}} WHERE ("MemberId" = OLD."MemberId" AND "CommunityId" = OLD."CommunityId" AND "ProvisionalDay" > OLD."Day")
                OR ("MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId" AND "ProvisionalDay" > NEW."Day");
        END;
        CREATE TRIGGER IF NOT EXISTS "CohortJoins_Memberships_Insert" AFTER INSERT ON "Memberships" BEGIN
            {{Reset}} WHERE "MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId" AND "ProvisionalAt" >= NEW."JoinedAt";
        END;
        CREATE TRIGGER IF NOT EXISTS "CohortJoins_Memberships_Delete" AFTER DELETE ON "Memberships" BEGIN
            {{Reset}} WHERE "MemberId" = OLD."MemberId" AND "CommunityId" = OLD."CommunityId" AND "ProvisionalAt" >= OLD."JoinedAt";
        END;
        CREATE TRIGGER IF NOT EXISTS "CohortJoins_Memberships_Update"
        AFTER UPDATE OF "JoinedAt", "LeftAt", "MemberId", "CommunityId" ON "Memberships" BEGIN
            {{Reset}} WHERE (("MemberId" = OLD."MemberId" AND "CommunityId" = OLD."CommunityId")
                    OR ("MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId"))
                AND "ProvisionalAt" IS NOT NULL AND (
                    ((NEW."JoinedAt" IS NOT OLD."JoinedAt" OR NEW."MemberId" IS NOT OLD."MemberId" OR NEW."CommunityId" IS NOT OLD."CommunityId")
                        AND "ProvisionalAt" >= min(OLD."JoinedAt", NEW."JoinedAt"))
                    OR (NEW."LeftAt" IS NOT OLD."LeftAt"
                        AND "ProvisionalAt" >= min(coalesce(OLD."LeftAt", NEW."LeftAt"), coalesce(NEW."LeftAt", OLD."LeftAt"))));
        END;
        """;

    public const string SqliteDown = """
        DROP TRIGGER IF EXISTS "CohortJoins_Speakers_Insert";
        DROP TRIGGER IF EXISTS "CohortJoins_Speakers_Delete";
        DROP TRIGGER IF EXISTS "CohortJoins_Speakers_Update";
        DROP TRIGGER IF EXISTS "CohortJoins_Memberships_Insert";
        DROP TRIGGER IF EXISTS "CohortJoins_Memberships_Delete";
        DROP TRIGGER IF EXISTS "CohortJoins_Memberships_Update";
        """;

    public const string PostgresUp = $$"""
        CREATE FUNCTION "CohortJoins_Speakers"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') THEN
                {{Reset}} WHERE "MemberId" = OLD."MemberId" AND "CommunityId" = OLD."CommunityId" AND "ProvisionalDay" > OLD."Day";
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                {{Reset}} WHERE "MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId" AND "ProvisionalDay" > NEW."Day";
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER "CohortJoins_Speakers" AFTER INSERT OR DELETE OR UPDATE
            ON "DailySpeakers" FOR EACH ROW EXECUTE FUNCTION "CohortJoins_Speakers"();

        CREATE FUNCTION "CohortJoins_Memberships"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {{Reset}} WHERE "MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId" AND "ProvisionalAt" >= NEW."JoinedAt";
            ELSIF TG_OP = 'DELETE' THEN
                {{Reset}} WHERE "MemberId" = OLD."MemberId" AND "CommunityId" = OLD."CommunityId" AND "ProvisionalAt" >= OLD."JoinedAt";
            ELSIF NEW."JoinedAt" IS DISTINCT FROM OLD."JoinedAt" OR NEW."MemberId" IS DISTINCT FROM OLD."MemberId"
                OR NEW."CommunityId" IS DISTINCT FROM OLD."CommunityId" THEN
                {{Reset}} WHERE (("MemberId" = OLD."MemberId" AND "CommunityId" = OLD."CommunityId")
                        OR ("MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId"))
                    AND "ProvisionalAt" >= LEAST(OLD."JoinedAt", NEW."JoinedAt");
            ELSIF NEW."LeftAt" IS DISTINCT FROM OLD."LeftAt" THEN
                {{Reset}} WHERE "MemberId" = NEW."MemberId" AND "CommunityId" = NEW."CommunityId"
                    AND "ProvisionalAt" >= LEAST(OLD."LeftAt", NEW."LeftAt");
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER "CohortJoins_Memberships" AFTER INSERT OR DELETE OR UPDATE OF "JoinedAt", "LeftAt", "MemberId", "CommunityId"
            ON "Memberships" FOR EACH ROW EXECUTE FUNCTION "CohortJoins_Memberships"();
        """;

    public const string PostgresDown = """
        DROP TRIGGER IF EXISTS "CohortJoins_Speakers" ON "DailySpeakers";
        DROP TRIGGER IF EXISTS "CohortJoins_Memberships" ON "Memberships";
        DROP FUNCTION IF EXISTS "CohortJoins_Speakers"();
        DROP FUNCTION IF EXISTS "CohortJoins_Memberships"();
        """;
}

/// <summary>
/// Whether a join was still in its community and still speaking N weeks on (the rules in <see cref="RetentionCohorts"/>'s
/// summary): the one place both the report and <see cref="CohortSettle"/> compute it.
/// </summary>
public sealed class CohortEvidence
{
    private readonly ILookup<(Guid, Guid), (DateTime JoinedAt, DateTime? LeftAt)> _stays;
    private readonly Dictionary<(Guid, Guid), List<DateOnly>> _days;

    private CohortEvidence(ILookup<(Guid, Guid), (DateTime, DateTime?)> stays, Dictionary<(Guid, Guid), List<DateOnly>> days) =>
        (_stays, _days) = (stays, days);

    /// <summary>Members per query: a list of ids is sent as one parameter, kept short.</summary>
    private const int Chunk = 1_000;

    /// <summary>A join whose outcomes at offsets <see cref="First"/> to <see cref="Last"/> (indexes into
    /// <see cref="RetentionCohorts.Offsets"/>, inclusive) are wanted.</summary>
    public readonly record struct Need(Guid CommunityId, Guid MemberId, DateTime JoinedAt, int First, int Last);

    /// <summary>
    /// The stays and speaking days the outcomes of <paramref name="joins"/> at the offsets each names depend on, read in
    /// the acting workspace: for a join, the stays around its offsets' moments and its speaking days in those offsets'
    /// windows only. Members are read a chunk at a time in the order of their first window, so that a chunk's read spans
    /// the windows of joins of about the same weeks (the cohort table's newly reached offsets are one week each, and
    /// reading every join's twelve weeks made it read half a year of speaking days for thousands of members).
    /// </summary>
    public static async Task<CohortEvidence> LoadAsync(AppDbContext db, IReadOnlyCollection<Need> joins, TimeZoneInfo zone, CancellationToken ct)
    {
        var stays = new List<(Guid, Guid, DateTime, DateTime?)>();
        var days = new Dictionary<(Guid, Guid), List<DateOnly>>();
        var wanted = joins.Where(j => j.First <= j.Last && j.First >= 0 && j.Last < RetentionCohorts.Offsets.Count).ToList();
        if (wanted.Count == 0)
            return new CohortEvidence(stays.ToLookup(s => (s.Item1, s.Item2), s => (s.Item3, s.Item4)), days);
        var pairs = wanted.Select(j => (j.CommunityId, j.MemberId)).ToHashSet();
        // Per member: the moments its stays must cover and the days its speaking must be read over.
        var spans = wanted.GroupBy(j => j.MemberId).Select(g =>
        {
            return new
            {
                MemberId = g.Key,
                FromMoment = g.Min(j => j.JoinedAt.AddDays(7 * RetentionCohorts.Offsets[j.First])),
                ToMoment = g.Max(j => j.JoinedAt.AddDays(7 * RetentionCohorts.Offsets[j.Last])),
                FromDay = g.Min(j => DailyFigures.DayOf(j.JoinedAt, zone).AddDays(7 * (RetentionCohorts.Offsets[j.First] - 1))),
                ToDay = g.Max(j => DailyFigures.DayOf(j.JoinedAt, zone).AddDays(7 * RetentionCohorts.Offsets[j.Last])),
            };
        }).OrderBy(m => m.FromDay).ToList();
        foreach (var chunk in spans.Chunk(Chunk))
        {
            var ids = chunk.Select(m => m.MemberId).ToList();
            var (fromMoment, toMoment) = (chunk.Min(m => m.FromMoment), chunk.Max(m => m.ToMoment));
            var (fromDay, toDay) = (chunk.Min(m => m.FromDay), chunk.Max(m => m.ToDay));
            // By member, not by workspace: without statistics SQLite would take a workspace index and read all of its
            // stays for each chunk. Member ids are the acting workspace's, so its filter has nothing left to remove.
            var found = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
                .Where(m => ids.Contains(m.MemberId) && m.JoinedAt <= toMoment && (m.LeftAt == null || m.LeftAt > fromMoment))
                .Select(m => new { m.CommunityId, m.MemberId, m.JoinedAt, m.LeftAt })
                .ToListAsync(ct);
            stays.AddRange(found.Where(m => pairs.Contains((m.CommunityId, m.MemberId))).Select(m => (m.CommunityId, m.MemberId, m.JoinedAt, m.LeftAt)));
            var spoke = db.Set<DailySpeaker>().AsNoTracking()
                .Where(d => ids.Contains(d.MemberId) && d.Day >= fromDay && d.Day < toDay)
                .Select(d => new { d.CommunityId, d.MemberId, d.Day })
                .AsAsyncEnumerable();
            await foreach (var d in spoke.WithCancellation(ct))
            {
                if (!pairs.Contains((d.CommunityId, d.MemberId)))
                    continue;
                if (!days.TryGetValue((d.CommunityId, d.MemberId), out var list))
                    days[(d.CommunityId, d.MemberId)] = list = [];
                list.Add(d.Day);
            }
        }
        return new CohortEvidence(stays.ToLookup(s => (s.Item1, s.Item2), s => (s.Item3, s.Item4)), days);
    }

    /// <summary>
    /// The outcome at <paramref name="weeks"/> weeks of the join at <paramref name="joinedAt"/> on <paramref name="joinDay"/>
    /// (its workspace day): in the community at that moment through any stay; spoke on one of the 7 days ending before
    /// the day of join + N weeks.
    /// </summary>
    public (bool Stayed, bool Spoke) At(Guid communityId, Guid memberId, DateTime joinedAt, DateOnly joinDay, int weeks)
    {
        var at = joinedAt.AddDays(7 * weeks);
        var stayed = _stays[(communityId, memberId)].Any(s => s.JoinedAt <= at && (s.LeftAt is null || s.LeftAt > at));
        var windowStart = joinDay.AddDays(7 * (weeks - 1));
        var windowEnd = joinDay.AddDays(7 * weeks);
        var spoke = _days.GetValueOrDefault((communityId, memberId))?.Any(d => d >= windowStart && d < windowEnd) == true;
        return (stayed, spoke);
    }

    /// <summary>How many offsets of a join at <paramref name="joinedAt"/> are settled at <paramref name="now"/>: their
    /// moment (after which its speaking window has also ended) is <paramref name="grace"/> past.</summary>
    public static int SettledAt(DateTime joinedAt, DateTime now, TimeSpan grace)
    {
        var settled = 0;
        while (settled < RetentionCohorts.Offsets.Count && joinedAt.AddDays(7 * RetentionCohorts.Offsets[settled]) + grace <= now)
            settled++;
        return settled;
    }
}

/// <summary>
/// Keeps <see cref="CohortJoin"/> up to date, workspace by workspace: drops rows that no longer match their membership
/// or the workspace's zone, adds a row for every join with the offsets reached by then, stores further offsets of the
/// rows as their moments pass (provisionally) and again once their grace is over (finally), in batches. It wakes at
/// least hourly and just after each week ends in a workspace's zone, when the report's newest weeks reach their next
/// offsets. Safe on two nodes: a row is inserted once by its key (a batch that meets another node's rows is retried
/// without them), and offsets are only written by an update conditioned on the row's stored and final counts being
/// what was read, with the same values whoever computes them.
/// </summary>
public sealed partial class CohortSettle(IServiceScopeFactory scopes, IOptions<AnalyticsOptions> options, TimeProvider time, ILogger<CohortSettle> log)
    : BackgroundService
{
    public const int BatchSize = 1_000;

    /// <summary>How long after a week's end the pass that stores its newly reached offsets runs.</summary>
    public static readonly TimeSpan AfterWeekEnd = TimeSpan.FromMinutes(1);

    private DateTime? _nextWeekStart;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.CohortSettleEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(NextDelay(time.GetUtcNow().UtcDateTime), time, stoppingToken);
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

    /// <summary>The wait before the next pass: the interval, or less when a week ends sooner in a workspace's zone.</summary>
    public TimeSpan NextDelay(DateTime now)
    {
        var interval = options.Value.CohortSettleInterval;
        if (_nextWeekStart is not { } next)
            return interval;
        var untilWeek = next + AfterWeekEnd - now;
        return untilWeek < interval ? TimeSpan.FromTicks(Math.Max(untilWeek.Ticks, TimeSpan.FromSeconds(1).Ticks)) : interval;
    }

    /// <summary>What a pass did: rows dropped, inserted, and rows with offsets newly stored or made final.</summary>
    public sealed record Pass(int Dropped, int Inserted, int Settled);

    /// <summary>One pass over every workspace.</summary>
    public async Task<Pass> RunOnceAsync(CancellationToken ct)
    {
        List<Guid> workspaces;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            workspaces = await db.Workspaces.AsNoTracking().OrderBy(w => w.Id).Select(w => w.Id).ToListAsync(ct);
        }
        var total = new Pass(0, 0, 0);
        DateTime? nextWeekStart = null;
        foreach (var ws in workspaces)
        {
            var p = await RunWorkspaceAsync(ws, ct);
            total = new Pass(total.Dropped + p.Dropped, total.Inserted + p.Inserted, total.Settled + p.Settled);
            await using var scope = scopes.CreateAsyncScope();
            var zone = await scope.ServiceProvider.GetRequiredService<WorkspaceZones>().GetAsync(ws, ct);
            var weekStart = NextWeekStart(time.GetUtcNow().UtcDateTime, zone);
            nextWeekStart = nextWeekStart is { } n && n < weekStart ? n : weekStart;
        }
        _nextWeekStart = nextWeekStart;
        return total;
    }

    /// <summary>The next Monday 00:00 in <paramref name="zone"/> after <paramref name="now"/>, in UTC.</summary>
    public static DateTime NextWeekStart(DateTime now, TimeZoneInfo zone) =>
        DailyFigures.StartOf(RetentionCohorts.WeekOf(DailyFigures.DayOf(now, zone)).AddDays(7), zone);

    /// <summary>One pass over one workspace.</summary>
    public async Task<Pass> RunWorkspaceAsync(Guid workspaceId, CancellationToken ct)
    {
        var grace = options.Value.CohortGrace;
        var now = time.GetUtcNow().UtcDateTime;
        TimeZoneInfo zone;
        int dropped;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(workspaceId);
            zone = await scope.ServiceProvider.GetRequiredService<WorkspaceZones>().GetAsync(workspaceId, ct);
            var zoneId = zone.Id;
            dropped = await db.Set<CohortJoin>()
                .Where(r => r.TimeZone != zoneId || !db.Memberships.Any(m => m.Id == r.MembershipId && m.JoinedAt == r.JoinedAt
                    && m.MemberId == r.MemberId && m.CommunityId == r.CommunityId && m.Channel == r.Channel))
                .ExecuteDeleteAsync(ct);
        }

        // Joins without a row, in join order: each batch goes on from the last one's moment (an index range), so a pass
        // looks at each membership once however many rows are done, and a batch's joins lie close in time, so their
        // evidence is a few weeks of their members' stays and speaking days.
        var inserted = 0;
        var after = new Cursor();
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(workspaceId);
            var query = db.Memberships.AsNoTracking().Where(m => m.JoinedAt <= now);
            if (after.At is { } at)
            {
                var seen = after.Seen;
                query = query.Where(m => m.JoinedAt >= at && !seen.Contains(m.Id));
            }
            var batch = await query
                .Where(m => !db.Set<CohortJoin>().Any(r => r.MembershipId == m.Id))
                .OrderBy(m => m.JoinedAt).Take(BatchSize)
                .Select(m => new { m.Id, m.CommunityId, m.MemberId, m.JoinedAt, m.Channel })
                .ToListAsync(ct);
            if (batch.Count == 0)
                break;
            after = after.Past(batch.Select(m => (m.JoinedAt, m.Id)));
            var rows = batch.Select(m => new CohortJoin
            {
                MembershipId = m.Id, WorkspaceId = workspaceId, CommunityId = m.CommunityId, MemberId = m.MemberId, JoinedAt = m.JoinedAt,
                JoinWeek = RetentionCohorts.WeekOf(DailyFigures.DayOf(m.JoinedAt, zone)), TimeZone = zone.Id, Channel = m.Channel,
            }).ToList();
            await StoreAsync(db, rows, zone, now, grace, ct);
            inserted += await InsertOnceAsync(db, rows, ct);
            if (batch.Count < BatchSize)
                break;
        }

        // Offsets come due one by one: a row waits for offset i to be stored while Settled == i, and for it to be final
        // while Final == i, so the rows due are, for each i, those at that count that joined before the offset's moment
        // (less the grace for the final one): an index range each, walked in join order as above.
        var settled = 0;
        var counted = zone.Id;
        for (var i = 0; i < RetentionCohorts.Offsets.Count; i++)
        {
            var (waiting, reachedBefore) = (i, now - TimeSpan.FromDays(7 * RetentionCohorts.Offsets[i]));
            settled += await WalkAsync(workspaceId, q => q.Where(r => r.Settled == waiting && r.JoinedAt <= reachedBefore && r.TimeZone == counted),
                zone, now, grace, ct);
        }
        for (var i = 0; i < RetentionCohorts.Offsets.Count; i++)
        {
            var (waiting, dueBefore) = (i, now - grace - TimeSpan.FromDays(7 * RetentionCohorts.Offsets[i]));
            settled += await WalkAsync(workspaceId, q => q.Where(r => r.Final == waiting && r.Settled > waiting && r.JoinedAt <= dueBefore && r.TimeZone == counted),
                zone, now, grace, ct);
        }
        return new Pass(dropped, inserted, settled);
    }

    /// <summary>Stores the offsets due of the rows <paramref name="due"/> picks, in batches in join order; how many rows changed.</summary>
    private async Task<int> WalkAsync(Guid workspaceId, Func<IQueryable<CohortJoin>, IQueryable<CohortJoin>> due, TimeZoneInfo zone,
        DateTime now, TimeSpan grace, CancellationToken ct)
    {
        var changed = 0;
        var after = new Cursor();
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(workspaceId);
            var query = due(db.Set<CohortJoin>().AsNoTracking());
            if (after.At is { } at)
            {
                var seen = after.Seen;
                query = query.Where(r => r.JoinedAt >= at && !seen.Contains(r.MembershipId));
            }
            var batch = await query.OrderBy(r => r.JoinedAt).Take(BatchSize).ToListAsync(ct);
            if (batch.Count == 0)
                break;
            after = after.Past(batch.Select(r => (r.JoinedAt, r.MembershipId)));
            var read = batch.ToDictionary(r => r.MembershipId, r => (r.Settled, r.Final));
            await StoreAsync(db, batch, zone, now, grace, ct);
            // One update per outcome, each only over rows still at the counts that were read: another node's write of the
            // same row, or a trigger's taking back, is left as it is (the next pass looks again).
            foreach (var same in batch.GroupBy(r => (Read: read[r.MembershipId], r.Settled, r.Final, r.Stayed, r.Spoke, r.ProvisionalAt, r.ProvisionalDay)))
            {
                var ((readSettled, readFinal), s, f, stayed, spoke, provisionalAt, provisionalDay) = same.Key;
                var ids = same.Select(r => r.MembershipId).ToList();
                // By key (the ids were read in this workspace): with the workspace filter SQLite would walk the workspace's rows.
                changed += await db.Set<CohortJoin>().IgnoreQueryFilters()
                    .Where(r => ids.Contains(r.MembershipId) && r.Settled == readSettled && r.Final == readFinal)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.Settled, s).SetProperty(r => r.Final, f)
                        .SetProperty(r => r.Stayed, stayed).SetProperty(r => r.Spoke, spoke)
                        .SetProperty(r => r.ProvisionalAt, provisionalAt).SetProperty(r => r.ProvisionalDay, provisionalDay), ct);
            }
            if (batch.Count < BatchSize)
                break;
        }
        return changed;
    }

    /// <summary>
    /// Computes the rows' offsets from their first not final one up to the last whose moment has passed: those whose
    /// grace is over become final, the others provisional (with the moment and window end the triggers compare).
    /// </summary>
    private static async Task StoreAsync(AppDbContext db, List<CohortJoin> rows, TimeZoneInfo zone, DateTime now, TimeSpan grace, CancellationToken ct)
    {
        var evidence = await CohortEvidence.LoadAsync(db,
            [.. rows.Select(r => new CohortEvidence.Need(r.CommunityId, r.MemberId, r.JoinedAt, r.Final, CohortEvidence.SettledAt(r.JoinedAt, now, TimeSpan.Zero) - 1))], zone, ct);
        foreach (var row in rows)
        {
            var day = DailyFigures.DayOf(row.JoinedAt, zone);
            var reached = CohortEvidence.SettledAt(row.JoinedAt, now, TimeSpan.Zero);
            var final = CohortEvidence.SettledAt(row.JoinedAt, now, grace);
            var kept = (1 << row.Final) - 1;
            (row.Stayed, row.Spoke) = (row.Stayed & kept, row.Spoke & kept);
            for (var i = row.Final; i < reached; i++)
            {
                var (stayed, spoke) = evidence.At(row.CommunityId, row.MemberId, row.JoinedAt, day, RetentionCohorts.Offsets[i]);
                row.Stayed |= stayed ? 1 << i : 0;
                row.Spoke |= spoke ? 1 << i : 0;
            }
            (row.Settled, row.Final) = (reached, final);
            var last = reached > final ? RetentionCohorts.Offsets[reached - 1] : (int?)null;
            row.ProvisionalAt = last is { } n ? row.JoinedAt.AddDays(7 * n) : null;
            row.ProvisionalDay = last is { } m ? day.AddDays(7 * m) : null;
        }
    }

    /// <summary>
    /// Where a walk in join order stands: the last batch's latest moment and the ids seen at that moment, so that the next
    /// batch starts there (an index range, not a scan of everything done) without skipping or repeating joins of the
    /// same moment.
    /// </summary>
    private readonly record struct Cursor(DateTime? At, List<Guid> Seen)
    {
        public Cursor Past(IEnumerable<(DateTime At, Guid Id)> batch)
        {
            var last = batch.Max(b => b.At);
            var seen = batch.Where(b => b.At == last).Select(b => b.Id);
            return new Cursor(last, At == last ? [.. Seen, .. seen] : [.. seen]);
        }
    }

    /// <summary>Inserts the rows no node has inserted yet; a batch that meets another node's rows is retried without them.</summary>
    private static async Task<int> InsertOnceAsync(AppDbContext db, List<CohortJoin> rows, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var ids = rows.Select(r => r.MembershipId).ToList();
            // By key, as the updates below: the ids are the workspace's own, and with its filter SQLite would read a workspace index instead.
            var present = (await db.Set<CohortJoin>().IgnoreQueryFilters().Where(r => ids.Contains(r.MembershipId)).Select(r => r.MembershipId).ToListAsync(ct)).ToHashSet();
            // A membership deleted meanwhile (an erasure) has no row to get.
            var alive = (await db.Memberships.IgnoreQueryFilters().Where(m => ids.Contains(m.Id)).Select(m => m.Id).ToListAsync(ct)).ToHashSet();
            var missing = rows.Where(r => !present.Contains(r.MembershipId) && alive.Contains(r.MembershipId)).ToList();
            if (missing.Count == 0)
                return 0;
            db.ChangeTracker.Clear();
            db.AddRange(missing);
            try
            {
                await db.SaveChangesWithoutAuditAsync(ct);
                return missing.Count;
            }
            catch (DbUpdateException) when (attempt < 5)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Settling the retention cohorts' joins failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
