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
    /// Reads the stored daily rows and the memberships, never the raw messages.</summary>
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
        var stints = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(m => ids.Contains(m.CommunityId) && m.JoinedAt < end && (m.LeftAt == null || m.LeftAt >= start))
            .Select(m => new { m.JoinedAt, m.LeftAt })
            .ToListAsync(ct);

        var result = new List<DayFigures>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var dayEnd = StartOf(day.AddDays(1), zone);
            var members = stints.Count(s => s.JoinedAt < dayEnd && (s.LeftAt is null || s.LeftAt >= dayEnd));
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
}
