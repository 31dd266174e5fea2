using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Events;

/// <summary>One day's figures for a community (or the sum over several). Members are counted at the end of the day.</summary>
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
    int DeletedMessages = 0);

public static class DailyFigures
{
    /// <summary>Days are China days (UTC+8, no daylight saving): what an operator in China calls "today".</summary>
    public static readonly TimeSpan DayOffset = TimeSpan.FromHours(8);

    public static DateOnly DayOf(DateTime utc) => DateOnly.FromDateTime(utc + DayOffset);

    public static DateTime StartOf(DateOnly day) => DateTime.SpecifyKind(day.ToDateTime(TimeOnly.MinValue) - DayOffset, DateTimeKind.Utc);

    /// <summary>Figures for every day in [from, to] over the given communities, days without events included.
    /// Reads the stored daily rows and the memberships, never the raw messages.</summary>
    public static async Task<IReadOnlyList<DayFigures>> ReadAsync(
        AppDbContext db, IQueryable<Community> communities, DateOnly from, DateOnly to, CancellationToken ct)
    {
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
        var end = StartOf(to.AddDays(1));
        var stints = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(m => ids.Contains(m.CommunityId) && m.JoinedAt < end && (m.LeftAt == null || m.LeftAt >= StartOf(from)))
            .Select(m => new { m.JoinedAt, m.LeftAt })
            .ToListAsync(ct);

        var result = new List<DayFigures>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var dayEnd = StartOf(day.AddDays(1));
            var members = stints.Count(s => s.JoinedAt < dayEnd && (s.LeftAt is null || s.LeftAt >= dayEnd));
            rows.TryGetValue(day, out var r);
            var speakers = r?.Speakers ?? 0;
            result.Add(new DayFigures(
                day, r?.Joins ?? 0, r?.Leaves ?? 0, (r?.Joins ?? 0) - (r?.Leaves ?? 0), r?.Messages ?? 0,
                (r?.Messages ?? 0) - (r?.Staff ?? 0), r?.Staff ?? 0, speakers, members,
                members == 0 ? 0 : Math.Round((double)speakers / members, 4),
                r?.Deleted ?? 0));
        }
        return result;
    }
}
