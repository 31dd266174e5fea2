using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;

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
        var rows = await db.Set<CommunityDailyFigure>().AsNoTracking()
            .Where(f => ids.Contains(f.CommunityId) && f.Day >= from && f.Day <= to)
            .GroupBy(f => f.Day)
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
            .ToDictionaryAsync(r => r.Day, ct);
        var end = StartOf(to.AddDays(1), zone);
        var start = StartOf(from, zone);
        var membersAt = await MembersAtDayEndsAsync(db, ids, from, to, zone, start, end, ct);

        var result = new List<DayFigures>();
        var i = 0;
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var members = membersAt[i++];
            rows.TryGetValue(day, out var r);
            var speakers = r?.Speakers ?? 0;
            result.Add(new DayFigures(
                day, r?.Joins ?? 0, r?.Leaves ?? 0, (r?.Joins ?? 0) - (r?.Leaves ?? 0), r?.Messages ?? 0,
                (r?.Messages ?? 0) - (r?.Staff ?? 0), r?.Staff ?? 0, speakers, members,
                members == 0 ? 0 : Math.Round((double)speakers / members, 4),
                r?.Deleted ?? 0,
                Complete: day < today));
        }
        return result;
    }

    /// <summary>
    /// Members at the end of each day of [from, to]: a stint counts at a moment T when it began before T and had not
    /// ended before T. Counted in the database at the range's start, then moved along by the stints that begin or end
    /// inside the range, so the rows read grow with the range's joins and leaves, not with the communities' size
    /// (reading every stint made the workspace overview load all memberships on each view).
    /// </summary>
    private static async Task<int[]> MembersAtDayEndsAsync(
        AppDbContext db, List<Guid> ids, DateOnly from, DateOnly to, TimeZoneInfo zone, DateTime start, DateTime end, CancellationToken ct)
    {
        if (to < from)
            return [];
        var stints = db.Memberships.IgnoreQueryFilters().AsNoTracking().Where(m => ids.Contains(m.CommunityId));
        var atStart = await stints.CountAsync(m => m.JoinedAt < start && (m.LeftAt == null || m.LeftAt >= start), ct);
        // Two range reads (each on its own index) rather than one OR: stints begun inside the range, and stints begun
        // before it that ended inside it.
        var begun = await stints.Where(m => m.JoinedAt >= start && m.JoinedAt < end)
            .Select(m => new { m.JoinedAt, m.LeftAt }).ToListAsync(ct);
        var ended = await stints.Where(m => m.JoinedAt < start && m.LeftAt >= start && m.LeftAt < end)
            .Select(m => new { m.JoinedAt, m.LeftAt }).ToListAsync(ct);

        // moments[0] is the range's start, moments[k] the end of its k-th day (1-based). A stint is in at moments[k]
        // for a ≤ k < b (a: the first moment after it began; b: the first moment after it ended, as LeftAt = T still
        // counts at T). What it adds to the count at the start (already in atStart) is taken off again.
        var moments = new DateTime[to.DayNumber - from.DayNumber + 2];
        moments[0] = start;
        for (var k = 1; k < moments.Length; k++)
            moments[k] = StartOf(from.AddDays(k), zone);
        var delta = new int[moments.Length + 1];
        foreach (var s in begun.Concat(ended))
        {
            var a = FirstAfter(moments, s.JoinedAt);
            var b = s.LeftAt is { } left ? FirstAfter(moments, left) : moments.Length;
            if (a < b)
            {
                delta[a]++;
                delta[b]--;
            }
            if (a == 0 && b > 0)
                delta[0]--;
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

    /// <summary>The index of the first moment strictly after <paramref name="t"/> (moments ascending).</summary>
    private static int FirstAfter(DateTime[] moments, DateTime t)
    {
        int lo = 0, hi = moments.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (moments[mid] > t)
                hi = mid;
            else
                lo = mid + 1;
        }
        return lo;
    }
}
