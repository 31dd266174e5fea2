using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Orders;
using Shequn.Features.Responses;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Analytics;

/// <summary>
/// What a community did over a period of the workspace's days, from stored rows only: the daily figures, memberships,
/// members' questions (through <see cref="ResponseBoard"/>), moderation cases, orders attributed to it and the
/// achievement of the campaigns aimed at it. <see cref="Days"/> counts the days of the period that have begun.
/// Orders and revenue are null for a reader who may not see orders (<see cref="OrderDesk.MayRead"/>); response figures
/// are null where no question was asked; campaign achievement where no campaign ran.
/// </summary>
public sealed record CommunityPeriodRow(
    Guid CommunityId, string Name, CommunityState State, int Capacity, int Days,
    int MembersAtStart, int MembersAtEnd, int Joins, int Leaves,
    int Messages, int MemberMessages, int StaffMessages, int SpeakerDays, int DaysWithStaffMessages,
    int Questions, int AnsweredWithinTarget, double? ResponseRate, int? MedianFirstAnswerSeconds,
    int ModerationCases, int? Orders, long? NetRevenueFen, int Campaigns, double? CampaignAchievement)
{
    /// <summary>Average distinct speakers a day.</summary>
    public double AverageActive => Days == 0 ? 0 : Math.Round((double)SpeakerDays / Days, 4);

    /// <summary>Average daily speakers ÷ members at the end of the period (0 for an empty group).</summary>
    public double ActivityRate => MembersAtEnd == 0 ? 0 : Math.Round(AverageActive / MembersAtEnd, 4);
}

/// <summary>Reads <see cref="CommunityPeriodRow"/>s for the communities a viewer sees.</summary>
public sealed class CommunityPeriod(AppDbContext db, ResponseBoards responses, WorkspaceZones zones, TimeProvider time,
    Calendar.PostSchedulerSignal signal, Microsoft.Extensions.Options.IOptions<Profiles.ProfilesOptions> profiles)
{
    public const int MaxDays = 366;

    public async Task<TimeZoneInfo> ZoneAsync(CancellationToken ct) => await zones.GetAsync(db.CurrentWorkspaceId, ct);

    public async Task<DateOnly> TodayAsync(CancellationToken ct) => DailyFigures.DayOf(time.GetUtcNow().UtcDateTime, await ZoneAsync(ct));

    /// <summary>
    /// from..to (yyyy-MM-dd, workspace days) or a named period anchored on <paramref name="to"/> (default today):
    /// week = Monday to Sunday, month = the calendar month; nothing named and no from: the <paramref name="defaultDays"/>
    /// days ending on to. Errors name from, to or period.
    /// </summary>
    public async Task<(DateOnly First, DateOnly Last, Validation V)> PeriodAsync(string? period, string? from, string? to, int defaultDays, CancellationToken ct)
    {
        var v = new Validation();
        var zone = await ZoneAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        DayPeriod read;
        var name = string.IsNullOrWhiteSpace(period) ? "custom" : period.Trim().ToLowerInvariant();
        switch (name)
        {
            case "week":
            case "month":
                // A named period is the one holding to: from is checked but plays no part.
                v.ParseDay("from", from);
                read = DayPeriod.Read(v, null, to, zone, now, lastDay => lastDay, PeriodCode, MaxDays, Snap(name), anchorOnLast: true);
                break;
            case "custom":
                read = DayPeriod.Read(v, from, to, zone, now, lastDay => lastDay.AddDays(1 - defaultDays), PeriodCode, MaxDays, anchorOnLast: true);
                break;
            default:
                v.ParseDay("from", from);
                v.ParseDay("to", to);
                v.Add("period", "UnknownPeriod", $"'period' has an unknown value '{period}'. Use week, month or custom.", period!);
                var today = DailyFigures.DayOf(now, zone);
                return (today, today, v);
        }
        return (read.First, read.Last, v);
    }

    /// <summary>The validation code of a bad period (<c>AnalyticsPeriod</c>, <c>AnalyticsPeriodLong</c>); errors name <c>to</c>.</summary>
    public const string PeriodCode = "AnalyticsPeriod";

    /// <summary>Week = Monday to Sunday, month = the calendar month.</summary>
    private static (Func<DateOnly, DateOnly>, Func<DateOnly, DateOnly>) Snap(string period) => period == "week"
        ? (RetentionCohorts.WeekOf, day => RetentionCohorts.WeekOf(day).AddDays(6))
        : (day => new DateOnly(day.Year, day.Month, 1), day => new DateOnly(day.Year, day.Month, 1).AddMonths(1).AddDays(-1));

    /// <summary>
    /// One row per community the viewer sees (limited to <paramref name="only"/> when given), ordered by name;
    /// null when the viewer may not read figures (KOCs, as the response figures).
    /// </summary>
    public async Task<IReadOnlyList<CommunityPeriodRow>?> ReadAsync(StaffProfile? me, DateOnly first, DateOnly last, IReadOnlyCollection<Guid>? only, CancellationToken ct)
    {
        if (!ResponseBoard.MaySeeFigures(me))
            return null;
        var ws = db.CurrentWorkspaceId;
        var zone = await ZoneAsync(ct);
        var today = DailyFigures.DayOf(time.GetUtcNow().UtcDateTime, zone);
        var start = DailyFigures.StartOf(first, zone);
        var end = DailyFigures.StartOf(last.AddDays(1), zone);
        // Days of the period that have begun: averages of a period under way are over the days so far.
        var days = Math.Max(0, Math.Min(last.DayNumber, today.DayNumber) - first.DayNumber + 1);

        var visible = db.Visible(me).Where(c => c.WorkspaceId == ws && c.CreatedAt < end);
        if (only is not null)
            visible = visible.Where(c => only.Contains(c.Id));
        var communities = (await visible.Select(c => new { c.Id, c.Name, c.State, c.Capacity }).ToListAsync(ct))
            .OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        if (communities.Count == 0)
            return [];
        var ids = communities.Select(c => c.Id).ToList();

        var daily = await db.Set<CommunityDailyFigure>().AsNoTracking()
            .Where(f => ids.Contains(f.CommunityId) && f.Day >= first && f.Day <= last)
            .GroupBy(f => f.CommunityId)
            .Select(g => new
            {
                g.Key,
                Joins = g.Sum(f => f.Joins),
                Leaves = g.Sum(f => f.Leaves),
                Messages = g.Sum(f => f.Messages),
                Staff = g.Sum(f => f.StaffMessages),
                Speakers = g.Sum(f => f.Speakers),
                StaffDays = g.Count(f => f.StaffMessages > 0),
            })
            .ToDictionaryAsync(x => x.Key, ct);

        // Members at the first and at the last moment of the period, as DailyFigures counts them (memberships of erased members included).
        var members = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(m => ids.Contains(m.CommunityId) && m.JoinedAt < end && (m.LeftAt == null || m.LeftAt >= start))
            .GroupBy(m => m.CommunityId)
            .Select(g => new
            {
                g.Key,
                AtStart = g.Count(m => m.JoinedAt < start && (m.LeftAt == null || m.LeftAt >= start)),
                AtEnd = g.Count(m => m.LeftAt == null || m.LeftAt >= end),
            })
            .ToDictionaryAsync(x => x.Key, ct);

        var answers = (await responses.For(db).SummaryAsync(Day(first), Day(last), null, ct)).Value?.Communities
            .ToDictionary(c => c.CommunityId, c => c.Figures) ?? [];

        var cases = await db.Set<ModerationCase>().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && ids.Contains(c.CommunityId) && c.OccurredAt >= start && c.OccurredAt < end)
            .GroupBy(c => c.CommunityId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);

        Dictionary<Guid, (int Orders, long Net)>? orders = null;
        if (OrderDesk.MayRead(me))
        {
            orders = (await db.Set<Order>().AsNoTracking()
                .Where(o => o.WorkspaceId == ws && o.CommunityId != null && ids.Contains(o.CommunityId.Value) && o.PlacedAt >= start && o.PlacedAt < end
                    && o.Status != OrderStatus.Cancelled)
                .GroupBy(o => o.CommunityId!.Value)
                .Select(g => new { g.Key, Orders = g.Count(o => o.Status == OrderStatus.Paid), Net = g.Sum(o => o.AmountFen - o.RefundedFen) })
                .ToListAsync(ct)).ToDictionary(x => x.Key, x => (x.Orders, x.Net));
        }

        var achievement = await CampaignAchievementAsync(ids, start, end, ct);

        return [.. communities.Select(c =>
        {
            daily.TryGetValue(c.Id, out var d);
            members.TryGetValue(c.Id, out var m);
            var r = answers.GetValueOrDefault(c.Id);
            var o = orders?.GetValueOrDefault(c.Id);
            var camp = achievement.GetValueOrDefault(c.Id);
            return new CommunityPeriodRow(c.Id, c.Name, c.State, c.Capacity, days,
                m?.AtStart ?? 0, m?.AtEnd ?? 0, d?.Joins ?? 0, d?.Leaves ?? 0,
                d?.Messages ?? 0, (d?.Messages ?? 0) - (d?.Staff ?? 0), d?.Staff ?? 0, d?.Speakers ?? 0, d?.StaffDays ?? 0,
                r?.Questions ?? 0, r?.AnsweredWithinTarget ?? 0, r?.Rate, r?.MedianSeconds,
                cases.GetValueOrDefault(c.Id), orders is null ? null : o?.Orders ?? 0, orders is null ? null : o?.Net ?? 0,
                camp.Count, camp.Count == 0 ? null : Math.Round(camp.Sum / camp.Count, 4));
        })];
    }

    /// <summary>
    /// For each community: the published (not cancelled) campaigns aimed at it that overlap [start, end), and the sum of
    /// their achievement rates as <see cref="CampaignDesk.ResultsAsync"/> computes them (result ÷ goal target, whole campaign).
    /// </summary>
    public async Task<Dictionary<Guid, (int Count, double Sum)>> CampaignAchievementAsync(IReadOnlyCollection<Guid> ids, DateTime start, DateTime end, CancellationToken ct)
    {
        var result = new Dictionary<Guid, (int Count, double Sum)>();
        foreach (var (_, aimed, rate, _) in await CampaignRatesAsync(ids, start, end, ct))
        {
            foreach (var id in aimed)
            {
                var (count, sum) = result.GetValueOrDefault(id);
                result[id] = (count + 1, sum + rate);
            }
        }
        return result;
    }

    /// <summary>
    /// The published, not cancelled campaigns with a goal that overlap [start, end) and are aimed at one of
    /// <paramref name="ids"/>: which of those communities they aim at, their achievement rate
    /// (<see cref="CampaignDesk.ResultsAsync"/>) and when they end.
    /// </summary>
    public async Task<List<(Guid CampaignId, List<Guid> Aimed, double Rate, DateTime EndsAt)>> CampaignRatesAsync(
        IReadOnlyCollection<Guid> ids, DateTime start, DateTime end, CancellationToken ct)
    {
        var result = new List<(Guid, List<Guid>, double, DateTime)>();
        var campaigns = await db.Set<Campaign>().AsNoTracking()
            .Where(c => c.Status != CampaignStatus.Draft && c.Status != CampaignStatus.Cancelled && c.StartsAt < end && c.EndsAt > start && c.GoalTarget > 0)
            .ToListAsync(ct);
        foreach (var campaign in campaigns)
        {
            var aimed = campaign.CommunityIdsValue().Where(ids.Contains).Distinct().ToList();
            if (aimed.Count == 0)
                continue;
            campaignDesk ??= new CampaignDesk(db, zones, time, signal, profiles);
            var rate = (await campaignDesk.ResultsAsync(campaign, ct)).AchievementRate;
            result.Add((campaign.Id, aimed, rate, campaign.EndsAt));
        }
        return result;
    }

    private CampaignDesk? campaignDesk;

    public static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
