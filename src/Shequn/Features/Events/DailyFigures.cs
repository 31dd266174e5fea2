using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;

namespace Shequn.Features.Events;

/// <summary>
/// One day's figures for a community (or the sum over several). Members are counted at the end of the day.
/// <paramref name="Complete"/> is false for today (and later days): the day has not ended in the workspace's zone,
/// so its counts are still growing and must not be read as a whole day's.
/// </summary>
public sealed record DayFigures(
    DateOnly Day,
    int NewMembers,
    int Leaves,
    int NetGrowth,
    int Messages,
    int MemberMessages,
    int StaffMessages,
    int ActiveMembers,
    int Members,
    double ActivityRate,
    int DeletedMessages = 0,
    bool Complete = true);

public static class DailyFigures
{
    /// <summary>The day a moment falls on in the workspace's zone: what its staff call that day.</summary>
    public static DateOnly DayOf(DateTime utc, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone));

    /// <summary>The first moment (UTC) of a day in the zone. Where daylight saving skips midnight the day starts at
    /// the first local time that exists; where midnight happens twice, at the first of them.</summary>
    public static DateTime StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        while (zone.IsInvalidTime(local))
            local = local.AddMinutes(15);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
    }

    /// <summary>Figures for every day in [from, to] over the given communities, days without events included;
    /// days from today (in the zone, at <paramref name="now"/>) on are marked incomplete.
    /// Reads the stored daily rows and the memberships (only those that begin or end in the range, and a count), never the raw messages.</summary>
    public static async Task<IReadOnlyList<DayFigures>> ReadAsync(
        AppDbContext db, IQueryable<Community> communities, DateOnly from, DateOnly to, TimeZoneInfo zone, DateTime now, CancellationToken ct)
    {
        var today = DayOf(now, zone);
        var ids = await communities.Select(c => c.Id).ToListAsync(ct);
        // Every community of the workspace (the owner's overview): the rows are read by workspace and day, on the
        // workspace-first indexes, rather than through a list of a thousand ids.
        var ws = await WholeWorkspaceAsync(db, ids, ct);
        if (ws is { } whole && await StoredAsync(db, whole, from, to, zone, today, ct) is { } stored)
            return stored;
        var figures = db.Set<CommunityDailyFigure>().IgnoreQueryFilters().AsNoTracking();
        figures = ws is { } w ? figures.Where(f => f.WorkspaceId == w) : figures.Where(f => ids.Contains(f.CommunityId));
        var rows = await SumsAsync(figures.Where(f => f.Day >= from && f.Day <= to), ct);
        var end = StartOf(to.AddDays(1), zone);
        var start = StartOf(from, zone);
        var stints = db.Memberships.IgnoreQueryFilters().AsNoTracking();
        stints = ws is { } v ? stints.Where(m => m.WorkspaceId == v) : stints.Where(m => ids.Contains(m.CommunityId));
        var membersAt = await MembersAtDayEndsAsync(stints, from, to, zone, start, end, null, ct);

        var result = new List<DayFigures>();
        var i = 0;
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            rows.TryGetValue(day, out var r);
            result.Add(Figures(day, r?.Joins ?? 0, r?.Leaves ?? 0, r?.Messages ?? 0, r?.Staff ?? 0, r?.Speakers ?? 0, r?.Deleted ?? 0, membersAt[i++], today));
        }
        return result;
    }

    /// <summary>The daily rows' counts summed per day.</summary>
    public sealed record DaySums(int Joins, int Leaves, int Messages, int Staff, int Speakers, int Deleted);

    /// <summary>The rows' counts summed by day, in the database.</summary>
    public static Task<Dictionary<DateOnly, DaySums>> SumsAsync(IQueryable<CommunityDailyFigure> rows, CancellationToken ct) =>
        rows.GroupBy(f => f.Day)
            .Select(g => new
            {
                Day = g.Key,
                Joins = g.Sum(f => f.Joins),
                Leaves = g.Sum(f => f.Leaves),
                Messages = g.Sum(f => f.Messages),
                Staff = g.Sum(f => f.StaffMessages),
                Speakers = g.Sum(f => f.Speakers),
                Deleted = g.Sum(f => f.DeletedMessages),
            })
            .ToDictionaryAsync(r => r.Day, r => new DaySums(r.Joins, r.Leaves, r.Messages, r.Staff, r.Speakers, r.Deleted), ct);

    private static DayFigures Figures(DateOnly day, int joins, int leaves, int messages, int staff, int speakers, int deleted, int members, DateOnly today) =>
        new(day, joins, leaves, joins - leaves, messages, messages - staff, staff, speakers, members,
            members == 0 ? 0 : Math.Round((double)speakers / members, 4), deleted, Complete: day < today);

    /// <summary>
    /// The whole workspace's figures from its stored days (<see cref="WorkspaceDay"/>): one row a complete day, and for
    /// today its daily rows and the stints begun or ended today, counted on from yesterday's stored end. Null when a day
    /// the range needs is not stored (then the caller counts from the stints), or for a range past today.
    /// </summary>
    private static async Task<IReadOnlyList<DayFigures>?> StoredAsync(
        AppDbContext db, Guid ws, DateOnly from, DateOnly to, TimeZoneInfo zone, DateOnly today, CancellationToken ct)
    {
        if (to > today || to < from)
            return null;
        var yesterday = today.AddDays(-1);
        var last = to < today ? to : yesterday;
        var first = to == today && from > yesterday ? yesterday : from;
        if (await WorkspaceDays.StoredAsync(db, ws, first, last, zone, ct) is not { } days)
            return null;
        var result = new List<DayFigures>();
        for (var day = from; day <= last; day = day.AddDays(1))
        {
            var d = days[day];
            result.Add(Figures(day, d.Joins, d.Leaves, d.Messages, d.StaffMessages, d.Speakers, d.DeletedMessages, d.Members, today));
        }
        if (to == today)
        {
            var r = (await SumsAsync(db.Set<CommunityDailyFigure>().IgnoreQueryFilters().AsNoTracking()
                .Where(f => f.WorkspaceId == ws && f.Day == today), ct)).GetValueOrDefault(today);
            var start = StartOf(today, zone);
            var stints = db.Memberships.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == ws);
            var members = await MembersAtDayEndsAsync(stints, today, today, zone, start, StartOf(today.AddDays(1), zone), days[yesterday].Members, ct);
            result.Add(Figures(today, r?.Joins ?? 0, r?.Leaves ?? 0, r?.Messages ?? 0, r?.Staff ?? 0, r?.Speakers ?? 0, r?.Deleted ?? 0, members[0], today));
        }
        return result;
    }

    /// <summary>Stints in at moment <paramref name="at"/>: begun before it and not ended before it (two counts, each a
    /// range of one covering index).</summary>
    public static async Task<int> InAtAsync(IQueryable<Membership> stints, DateTime at, CancellationToken ct) =>
        await stints.CountAsync(m => m.JoinedAt < at, ct) - await stints.CountAsync(m => m.LeftAt < at && m.JoinedAt < at, ct);

    /// <summary>The workspace when <paramref name="ids"/> are exactly its communities (acting in it), else null.</summary>
    private static async Task<Guid?> WholeWorkspaceAsync(AppDbContext db, List<Guid> ids, CancellationToken ct)
    {
        if (db.Current.WorkspaceId is not { } ws || ids.Count == 0)
            return null;
        var all = await db.Communities.IgnoreQueryFilters().Where(c => c.WorkspaceId == ws).Select(c => c.Id).ToListAsync(ct);
        return all.Count == ids.Count && all.ToHashSet().SetEquals(ids) ? ws : null;
    }

    /// <summary>
    /// Members at the end of each day of [from, to]: a stint counts at a moment T when it began before T and had not
    /// ended before T. Counted in the database at the range's start, then moved along by the stints that begin or end
    /// inside the range, so the rows read grow with the range's joins and leaves, not with the communities' size
    /// (reading every stint made the workspace overview load all memberships on each view). The stints inside the
    /// range are counted in the database too, grouped by the moments they enter and leave the count at (a handful of
    /// groups, not a row a stint).
    /// </summary>
    private static async Task<int[]> MembersAtDayEndsAsync(
        IQueryable<Membership> stints, DateOnly from, DateOnly to, TimeZoneInfo zone, DateTime start, DateTime end, int? knownAtStart, CancellationToken ct)
    {
        if (to < from)
            return [];
        // Given (a stored day's end), or counted: begun before the start, minus ended before it too.
        var atStart = knownAtStart ?? await InAtAsync(stints, start, ct);

        // moments[0] is the range's start, moments[k] the end of its k-th day (1-based). A stint is in at moments[k]
        // for a ≤ k < b (a: the first moment after it began; b: the first moment after it ended, as LeftAt = T still
        // counts at T). What it adds to the count at the start (already in atStart) is taken off again.
        var moments = new DateTime[to.DayNumber - from.DayNumber + 2];
        moments[0] = start;
        for (var k = 1; k < moments.Length; k++)
            moments[k] = StartOf(from.AddDays(k), zone);
        var span = SpanKey(moments);
        var width = moments.Length + 1;
        // Two range reads (each on its own index) rather than one OR: stints begun inside the range, and stints begun
        // before it that ended inside it.
        var begun = await stints.Where(m => m.JoinedAt >= start && m.JoinedAt < end)
            .Select(span).GroupBy(k => k).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var ended = await stints.Where(m => m.JoinedAt < start && m.LeftAt >= start && m.LeftAt < end)
            .Select(span).GroupBy(k => k).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);

        var delta = new int[moments.Length + 1];
        foreach (var s in begun.Concat(ended))
        {
            var (a, b) = (s.Key / width, s.Key % width);
            if (a < b)
            {
                delta[a] += s.Count;
                delta[b] -= s.Count;
            }
            if (a == 0 && b > 0)
                delta[0] -= s.Count;
        }
        var result = new int[moments.Length - 1];
        var running = atStart;
        for (var k = 0; k < moments.Length; k++)
        {
            running += delta[k];
            if (k > 0)
                result[k - 1] = running;
        }
        return result;
    }

    /// <summary>
    /// A stint's (a, b) as one number, a × (moments + 1) + b, computed by the database: a is
    /// the index of the first moment after JoinedAt, b that after LeftAt (the number of moments when it has not ended), each a
    /// binary search written as nested CASEs over the moments (passed as parameters).
    /// </summary>
    private static Expression<Func<Membership, int>> SpanKey(DateTime[] moments)
    {
        var m = Expression.Parameter(typeof(Membership), "m");
        var joined = Expression.Property(m, nameof(Membership.JoinedAt));
        var left = Expression.Property(m, nameof(Membership.LeftAt));
        Expression Search(Expression t, int lo, int hi)
        {
            if (lo == hi)
                return Expression.Constant(lo);
            var mid = (lo + hi) / 2;
            // A property of a closure-like object, so that EF makes the moment a parameter rather than a literal.
            Expression moment = Expression.Property(Expression.Constant(new Moment(moments[mid])), nameof(Moment.At));
            if (t.Type != moment.Type)
                moment = Expression.Convert(moment, t.Type);
            return Expression.Condition(Expression.LessThan(t, moment), Search(t, lo, mid), Search(t, mid + 1, hi));
        }
        var n = moments.Length;
        var a = Search(joined, 0, n);
        var b = Expression.Condition(Expression.Equal(left, Expression.Constant(null, typeof(DateTime?))), Expression.Constant(n), Search(left, 0, n));
        var key = Expression.Add(Expression.Multiply(a, Expression.Constant(n + 1)), b);
        return Expression.Lambda<Func<Membership, int>>(key, m);
    }

    private sealed class Moment(DateTime at)
    {
        public DateTime At { get; } = at;
    }
}
