using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Analytics;

public enum CohortBy
{
    Week = 0,
    Channel = 1,
}

/// <summary>
/// One offset of a cohort row. <see cref="Base"/> is the denominator: the row's joins whose join week ended at least
/// <see cref="Weeks"/> weeks ago. <see cref="Stayed"/> and <see cref="Spoke"/> are null while none of the row's joins has
/// reached the offset (not yet known, not zero); the shares are null when <see cref="Base"/> is 0.
/// </summary>
public sealed record CohortCell(int Weeks, int Base, int? Stayed, int? Spoke, double? StayedShare, double? SpokeShare);

/// <summary>A cohort: the joins of one week (<see cref="Week"/>, its Monday) or of one channel over the period.
/// <see cref="ChannelId"/> is null for a channel text no registered channel claims and for joins without a channel
/// (then <see cref="Channel"/> is null too).</summary>
public sealed record CohortRow(string Key, DateOnly? Week, Guid? ChannelId, string? Channel, int Joins, IReadOnlyList<CohortCell> Cells);

public sealed record CohortReport(CohortBy By, DateOnly From, DateOnly To, string TimeZone, IReadOnlyList<int> Offsets, IReadOnlyList<CohortRow> Rows, CohortRow Total);

/// <summary>
/// Retention cohorts (product.md §3.8, issue 15), read from stored rows only (memberships and <see cref="DailySpeaker"/>),
/// never from the event log, in the workspace's zone with weeks starting on Monday.
/// <list type="bullet">
/// <item>A join is a membership that started in the period; a member who leaves and comes back makes a second join, in
/// the cohort of the week (or channel) of that return.</item>
/// <item>Still in the community at join + N weeks (the join's moment plus N×7 days): the member is in that community at
/// that moment through any of their memberships there, so someone who left and rejoined before then counts as
/// stayed, and someone who left before then and had not come back does not (leaving exactly then counts as gone).</item>
/// <item>Still speaking at N weeks: spoke in that community on one of the 7 workspace days ending before the day of
/// join + N weeks (days J+7(N−1) … J+7N−1, J the join's day), so week 1 is the join day and the six after it, as the
/// funnel's "active in the first 7 days".</item>
/// <item>Denominator: a join counts towards offset N once its whole join week is N weeks past (the Monday after the
/// join week plus N weeks has begun), so both measures are complete for every join counted; a week's cohort is
/// therefore all or nothing, and a channel's base grows as its weeks mature. Not yet reached: null.</item>
/// </list>
/// Scoped to the communities the caller sees (<c>db.Visible</c>); KOCs read nothing.
/// Each join's outcomes, once settled, are stored by <see cref="CohortSettle"/> (<see cref="CohortJoin"/>) and read
/// from there, counted by week in the database; offsets not settled yet and joins with no row are computed here with the
/// same code (<see cref="CohortEvidence"/>), so the table is the same whether the job has run or not.
/// </summary>
public sealed class RetentionCohorts(AppDbContext db, WorkspaceZones zones, TimeProvider time)
{
    public static readonly IReadOnlyList<int> Offsets = [1, 2, 4, 8, 12];

    /// <summary>The longest period, in weeks, one report covers.</summary>
    public const int MaxWeeks = 53;

    /// <summary>How many complete weeks before the current one the default period holds.</summary>
    public const int DefaultWeeks = 12;

    /// <summary>A join whose offsets from <see cref="FromOffset"/> on are computed here; <see cref="Unstored"/> when no
    /// stored row counted it already.</summary>
    private sealed record LiveJoin(Guid CommunityId, Guid MemberId, DateTime JoinedAt, string? Channel, int FromOffset, bool Unstored);

    private sealed class Tally(int weeks)
    {
        public int Weeks { get; } = weeks;
        public bool Reached { get; set; }
        public int Base { get; set; }
        public int Stayed { get; set; }
        public int Spoke { get; set; }

        public CohortCell Cell() => new(Weeks, Base, Reached ? Stayed : null, Reached ? Spoke : null,
            Base == 0 ? null : (double)Stayed / Base, Base == 0 ? null : (double)Spoke / Base);
    }

    public static bool MayRead(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    /// <summary>The Monday of the week holding <paramref name="day"/>.</summary>
    public static DateOnly WeekOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    /// <summary>
    /// The period from the query: whole weeks, from the Monday of <paramref name="from"/>'s week to the Sunday of
    /// <paramref name="to"/>'s; by default the last <see cref="DefaultWeeks"/> complete weeks and the current one.
    /// </summary>
    public async Task<(DateOnly From, DateOnly To, Validation V)> PeriodAsync(string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var period = DayPeriod.Read(v, from, to, zone, time.GetUtcNow().UtcDateTime, today => WeekOf(today).AddDays(-7 * DefaultWeeks),
            "CohortPeriod", 7 * MaxWeeks, (WeekOf, day => WeekOf(day).AddDays(6)), MaxWeeks);
        return (period.First, period.Last, v);
    }

    /// <summary>Checks a community filter: a GUID of a community the caller sees (else an error naming the field).</summary>
    public async Task<Guid?> CommunityAsync(string? text, Validation v, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (!Guid.TryParse(text.Trim(), out var id))
        {
            v.Add("communityId", "Malformed", $"'communityId' must be a community id (got '{text}').", text);
            return null;
        }
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!await db.Visible(me).AnyAsync(c => c.Id == id, ct))
            v.Add("communityId", "UnknownCommunity", $"Unknown community, or one you may not see: {id}.", id);
        return id;
    }

    /// <summary>The cohorts of the period (Monday <paramref name="from"/> to Sunday <paramref name="to"/>); null for a caller who may not read them.</summary>
    public async Task<CohortReport?> ReportAsync(CohortBy by, DateOnly from, DateOnly to, Guid? communityId, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayRead(me))
            return null;
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var start = DailyFigures.StartOf(from, zone);
        var end = DailyFigures.StartOf(to.AddDays(1), zone);

        var communities = db.Visible(me).Select(c => c.Id);
        if (communityId is { } only)
            communities = communities.Where(c => c == only);
        // A membership is always of a community of its workspace: one who sees them all needs no community filter.
        var scoped = communityId is not null || !me!.SeesAllCommunities;
        var zoneId = zone.Id;
        var memberships = db.Memberships.Where(m => m.JoinedAt >= start && m.JoinedAt < end);
        // The period is whole weeks, so "joined in the period" is "join week in the period" in the zone the row was counted in.
        var stored = db.Set<CohortJoin>().Where(r => r.TimeZone == zoneId && r.JoinWeek >= from && r.JoinWeek <= to);
        if (scoped)
        {
            memberships = memberships.Where(m => communities.Contains(m.CommunityId));
            stored = stored.Where(r => communities.Contains(r.CommunityId));
        }

        // Offset n of a join week is reached once the Monday n weeks after the week's end has begun (cached: one zone conversion per week and offset).
        var reachedAt = new Dictionary<(DateOnly, int), bool>();
        bool Reached(DateOnly week, int n)
        {
            if (!reachedAt.TryGetValue((week, n), out var yes))
                reachedAt[(week, n)] = yes = DailyFigures.StartOf(week.AddDays(7 + 7 * n), zone) <= now;
            return yes;
        }
        // The last week of the period that has reached each offset (later offsets are reached by fewer weeks).
        var lastReached = Offsets.Select(n =>
        {
            var last = DateOnly.MinValue;
            for (var w = from; w <= to; w = w.AddDays(7))
                last = Reached(w, n) ? w : last;
            return last;
        }).ToArray();
        var (r0, r1, r2, r3, r4) = (lastReached[0], lastReached[1], lastReached[2], lastReached[3], lastReached[4]);

        // Stored joins, counted by week, channel and settled outcome: a few rows per week however many joins.
        var settledGroups = await stored.AsNoTracking()
            .GroupBy(r => new { r.JoinWeek, r.Channel, r.Settled, r.Stayed, r.Spoke })
            .Select(g => new { g.Key.JoinWeek, g.Key.Channel, g.Key.Settled, g.Key.Stayed, g.Key.Spoke, Count = g.Count() })
            .ToListAsync(ct);
        // Stored joins with an offset reached but not settled yet (its grace not over): those offsets are computed here.
        // The groups name the weeks that have such joins (a few recent ones), so only those weeks' rows are read.
        bool Due(DateOnly week, int settled) => settled < Offsets.Count && week <= lastReached[settled];
        var dueWeeks = settledGroups.Where(g => Due(g.JoinWeek, g.Settled)).Select(g => g.JoinWeek).Distinct().ToList();
        var unsettled = dueWeeks.Count == 0 ? [] : await stored.AsNoTracking()
            .Where(r => dueWeeks.Contains(r.JoinWeek) && r.Settled < Offsets.Count)
            .Where(r => (r.Settled == 0 && r.JoinWeek <= r0) || (r.Settled == 1 && r.JoinWeek <= r1) || (r.Settled == 2 && r.JoinWeek <= r2)
                || (r.Settled == 3 && r.JoinWeek <= r3) || (r.Settled == 4 && r.JoinWeek <= r4))
            .Select(r => new LiveJoin(r.CommunityId, r.MemberId, r.JoinedAt, r.Channel, r.Settled, false))
            .ToListAsync(ct);
        // Joins without a row (younger than the grace, or the job has not run yet): every offset computed here, as if none
        // were stored. Rows are of memberships in the period, so the difference of the counts is how many lack one; they
        // are mostly the latest, so they are looked for from the end of the period and the search stops when all are found.
        var live = unsettled;
        var unstored = await memberships.CountAsync(ct) - settledGroups.Sum(g => g.Count);
        if (unstored > 0)
        {
            live.AddRange(await memberships.AsNoTracking()
                .Where(m => !db.Set<CohortJoin>().Any(r => r.MembershipId == m.Id && r.TimeZone == zoneId))
                .OrderByDescending(m => m.JoinedAt).Take(unstored)
                .Select(m => new LiveJoin(m.CommunityId, m.MemberId, m.JoinedAt, m.Channel, 0, true))
                .ToListAsync(ct));
        }
        // Stays and speaking days only for the joins with an offset to compute: most unstored joins are of the current
        // week, which has reached none (offsets are reached in order, so the first one to compute decides).
        // Each join's evidence only for its offsets to compute: from the first not stored to the last its week has reached.
        int LastReached(DateOnly week)
        {
            var last = -1;
            while (last + 1 < Offsets.Count && Reached(week, Offsets[last + 1]))
                last++;
            return last;
        }
        var toCompute = live.Where(j => j.FromOffset < Offsets.Count && Reached(WeekOf(DailyFigures.DayOf(j.JoinedAt, zone)), Offsets[j.FromOffset]));
        var evidence = await CohortEvidence.LoadAsync(db, [.. toCompute.Select(j => new CohortEvidence.Need(
            j.CommunityId, j.MemberId, j.JoinedAt, j.FromOffset, LastReached(WeekOf(DailyFigures.DayOf(j.JoinedAt, zone)))))], zone, ct);

        var groups = by == CohortBy.Channel ? await ChannelGroupsAsync(ct) : null;
        var rows = new Dictionary<string, (CohortRow Head, Tally[] Tallies)>();
        if (by == CohortBy.Week)
        {
            for (var w = from; w <= to; w = w.AddDays(7))
                rows[Key(w)] = (new CohortRow(Key(w), w, null, null, 0, []), NewTallies());
        }
        var total = NewTallies();
        var totalJoins = 0;
        (CohortRow Head, Tally[] Tallies) RowOf(DateOnly week, string? channel, int joins)
        {
            var head = by == CohortBy.Week ? rows[Key(week)].Head : ChannelHead(channel, groups!);
            if (!rows.TryGetValue(head.Key, out var row))
                rows[head.Key] = row = (head, NewTallies());
            rows[head.Key] = row = row with { Head = row.Head with { Joins = row.Head.Joins + joins } };
            totalJoins += joins;
            return row;
        }
        void Count(Tally[] tallies, int i, int joins, bool stayed, bool spoke)
        {
            foreach (var t in new[] { tallies[i], total[i] })
            {
                t.Base += joins;
                t.Stayed += stayed ? joins : 0;
                t.Spoke += spoke ? joins : 0;
            }
        }

        foreach (var g in settledGroups)
        {
            var row = RowOf(g.JoinWeek, g.Channel, g.Count);
            for (var i = 0; i < Math.Min(g.Settled, Offsets.Count); i++)
            {
                if (Reached(g.JoinWeek, Offsets[i]))
                    Count(row.Tallies, i, g.Count, (g.Stayed & (1 << i)) != 0, (g.Spoke & (1 << i)) != 0);
            }
        }
        foreach (var j in live)
        {
            var day = DailyFigures.DayOf(j.JoinedAt, zone);
            var week = WeekOf(day);
            var row = RowOf(week, j.Channel, j.Unstored ? 1 : 0);
            for (var i = j.FromOffset; i < Offsets.Count; i++)
            {
                if (!Reached(week, Offsets[i]))
                    continue;
                var (stayed, spoke) = evidence.At(j.CommunityId, j.MemberId, j.JoinedAt, day, Offsets[i]);
                Count(row.Tallies, i, 1, stayed, spoke);
            }
        }

        // A week's offset is reached when its last possible join's is, joins or not; a channel row has reached it when one of its joins has.
        foreach (var (_, row) in rows)
        {
            for (var i = 0; i < Offsets.Count; i++)
                row.Tallies[i].Reached = row.Tallies[i].Base > 0
                    || (row.Head.Week is { } w && Reached(w, Offsets[i]));
        }
        for (var i = 0; i < Offsets.Count; i++)
            total[i].Reached = total[i].Base > 0 || Reached(from, Offsets[i]);

        var shown = rows.Values.Select(r => r.Head with { Cells = [.. r.Tallies.Select(t => t.Cell())] });
        shown = by == CohortBy.Week
            ? shown.OrderBy(r => r.Week)
            : shown.OrderByDescending(r => r.Joins).ThenBy(r => r.Channel is null).ThenBy(r => r.Channel, StringComparer.Ordinal);
        return new CohortReport(by, from, to, zone.Id, Offsets, [.. shown],
            new CohortRow("all", null, null, null, totalJoins, [.. total.Select(t => t.Cell())]));
    }

    private static string Key(DateOnly week) => week.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static Tally[] NewTallies() => [.. Offsets.Select(n => new Tally(n))];

    /// <summary>A join's channel row: the registered channel whose name or one of whose live codes' keys the membership
    /// names (as the funnel groups them), else the text itself, else "no channel".</summary>
    private static CohortRow ChannelHead(string? channel, Dictionary<string, (Guid Id, string Name)> groups) =>
        channel is null ? new CohortRow("none", null, null, null, 0, [])
        : groups.TryGetValue(channel, out var g) ? new CohortRow(g.Id.ToString(), null, g.Id, g.Name, 0, [])
        : new CohortRow("text:" + channel, null, null, channel, 0, []);

    private async Task<Dictionary<string, (Guid Id, string Name)>> ChannelGroupsAsync(CancellationToken ct)
    {
        var channels = await db.Set<AcquisitionChannel>().AsNoTracking().Select(c => new { c.Id, c.Name }).ToListAsync(ct);
        var codes = await db.Set<LiveCode>().AsNoTracking().Select(c => new { c.ChannelId, c.Code }).ToListAsync(ct);
        var map = new Dictionary<string, (Guid, string)>(StringComparer.Ordinal);
        // Names first: a channel's own name wins over a code key that happens to spell it.
        foreach (var c in channels)
            map.TryAdd(c.Name, (c.Id, c.Name));
        foreach (var code in codes)
        {
            if (channels.FirstOrDefault(x => x.Id == code.ChannelId) is { } owner)
                map.TryAdd(LiveCode.KeyOf(code.Code), (owner.Id, owner.Name));
        }
        return map;
    }
}
