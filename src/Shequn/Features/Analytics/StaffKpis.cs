using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Feedback;
using Shequn.Features.Orders;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Analytics;

/// <summary>One KPI: its key (labels are <c>StaffKpis.Kpi.{key}</c>) and value; null where there is nothing to measure.</summary>
public sealed record KpiDto(string Key, double? Value);

public sealed record StaffKpiRowDto(Guid StaffId, string Name, StaffRole Role, int Communities, IReadOnlyList<KpiDto> Kpis);

public sealed record StaffKpiReport(DateOnly From, DateOnly To, string TimeZone, IReadOnlyList<StaffKpiRowDto> Items);

/// <summary>
/// Staff KPIs per role (product.md §1, seed 001): for each staff member the figures their role is judged by, over a
/// period of workspace days (default this month), read from the existing boards: <see cref="CommunityPeriod"/> (daily
/// figures, memberships, campaign achievement), <see cref="ResponseBoard"/> (response rate and who answered),
/// <see cref="CommunityHealth"/> and the feedback tickets they handled. A staff member's communities are those assigned
/// to them (an owner's: every community). Owners see everyone; sub-owners themselves and the staff of their communities;
/// admins and operators themselves; KOCs nothing (as the other figures).
/// </summary>
public sealed class StaffKpis(AppDbContext db, CommunityPeriod period, ResponseBoards responses)
{
    public static bool MayRead(StaffProfile? me) => ResponseBoard.MaySeeFigures(me);

    public static readonly IReadOnlyDictionary<StaffRole, string[]> KeysByRole = new Dictionary<StaffRole, string[]>
    {
        [StaffRole.Owner] = ["communities", "members", "newMembers", "campaignAchievement", "responseRate", "netRevenueYuan"],
        [StaffRole.SubOwner] = ["communities", "members", "newMembers", "activityRate", "health", "responseRate", "orders"],
        [StaffRole.Admin] = ["communities", "responseRate", "answers", "medianFirstAnswerSeconds", "activityRate", "ticketsHandled"],
        [StaffRole.Operator] = ["communities", "responseRate", "answers", "medianFirstAnswerSeconds", "activityRate", "ticketsHandled"],
        // product.md §1: a KOC's own messages, the distinct speakers reached and the interactions (their member's, from
        // the interaction graph; null while the account has no member), beside their communities' member messages.
        [StaffRole.Koc] = ["communities", "ownMessages", "speakersReached", "interactions", "answers", "memberMessages"],
    };

    public async Task<RankingResult<StaffKpiReport>> ReportAsync(string? periodName, string? from, string? to, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var (first, last, v) = await period.PeriodAsync(string.IsNullOrWhiteSpace(periodName) && from is null ? "month" : periodName, from, to, 30, ct);
        if (!MayRead(me))
            return new(EditOutcome.Forbidden, null, v);
        if (!v.IsValid)
            return new(EditOutcome.Invalid, null, v);
        var rows = (await period.ReadAsync(me, first, last, null, ct) ?? []).ToDictionary(r => r.CommunityId);
        var ids = rows.Keys.ToList();
        var summary = (await responses.For(db).SummaryAsync(CommunityPeriod.Day(first), CommunityPeriod.Day(last), null, ct)).Value;
        var zone = await period.ZoneAsync(ct);
        var (start, end) = (Events.DailyFigures.StartOf(first, zone), Events.DailyFigures.StartOf(last.AddDays(1), zone));
        var campaigns = await period.CampaignRatesAsync(ids, start, end, ct);

        var ws = db.CurrentWorkspaceId;
        var assignments = await db.CommunityStaff.AsNoTracking().Where(s => ids.Contains(s.CommunityId))
            .Select(s => new { s.StaffUserId, s.CommunityId }).ToListAsync(ct);
        var shared = assignments.Select(a => a.StaffUserId).Append(me!.Id).ToHashSet();
        var staff = (await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && u.IsActive)
            .Select(u => new { u.Id, u.DisplayName, u.Role, u.MemberId }).ToListAsync(ct))
            .Where(u => me.Role == StaffRole.Owner || (me.Role == StaffRole.SubOwner ? shared.Contains(u.Id) : u.Id == me.Id))
            .OrderBy(u => u.Role).ThenBy(u => u.DisplayName, StringComparer.Ordinal).ToList();
        var handled = await db.Set<FeedbackTicket>().AsNoTracking()
            .Where(t => t.WorkspaceId == ws && ids.Contains(t.CommunityId) && t.AssignedStaffId != null && t.ClosedAt >= start && t.ClosedAt < end
                && (t.Status == FeedbackStatus.Resolved || t.Status == FeedbackStatus.WontFix))
            .GroupBy(t => t.AssignedStaffId!.Value).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var health = rows.ToDictionary(r => r.Key, r => CommunityHealth.Score(r.Value).Score);
        var seesOrders = OrderDesk.MayRead(me);
        var kocMembers = staff.Where(u => u.Role == StaffRole.Koc && u.MemberId != null).Select(u => u.MemberId!.Value).ToList();
        var kocEdges = await db.Set<InteractionEdge>().AsNoTracking()
            .Where(e => e.WorkspaceId == ws && ids.Contains(e.CommunityId) && e.Day >= first && e.Day <= last
                && (kocMembers.Contains(e.FromMemberId) || kocMembers.Contains(e.ToMemberId)))
            .Select(e => new { e.CommunityId, e.FromMemberId, e.ToMemberId, e.Replies, e.Mentions, e.Messages }).ToListAsync(ct);

        var items = new List<StaffKpiRowDto>();
        foreach (var u in staff)
        {
            var mine = u.Role == StaffRole.Owner ? ids
                : assignments.Where(a => a.StaffUserId == u.Id).Select(a => a.CommunityId).Distinct().ToList();
            var theirs = mine.Select(id => rows[id]).ToList();
            var answerer = summary?.Answerers.FirstOrDefault(a => a.Kind == AnswererKind.Staff && a.UserId == ResponseTracker.StaffAnswerer(u.Id));
            var questions = theirs.Sum(r => r.Questions);
            var membersAtEnd = theirs.Sum(r => r.MembersAtEnd);
            var rates = campaigns.Where(c => c.Aimed.Any(mine.Contains)).Select(c => c.Rate).ToList();
            var scores = mine.Select(id => health[id]).Where(s => s is not null).Select(s => s!.Value).ToList();
            // The KOC's edges in their communities: a self-edge holds their own messages; others, replies and mentions either way.
            var own = u.MemberId is { } km ? kocEdges.Where(e => mine.Contains(e.CommunityId) && (e.FromMemberId == km || e.ToMemberId == km)).ToList() : null;
            var ties = own?.Where(e => e.FromMemberId != e.ToMemberId && e.Replies + e.Mentions > 0).ToList();
            double? Kpi(string key) => key switch
            {
                "communities" => mine.Count,
                "members" => membersAtEnd,
                "newMembers" => theirs.Sum(r => r.Joins),
                "campaignAchievement" => rates.Count == 0 ? null : Math.Round(rates.Average(), 4),
                "responseRate" => questions == 0 ? null : Math.Round((double)theirs.Sum(r => r.AnsweredWithinTarget) / questions, 4),
                "netRevenueYuan" => seesOrders ? (double)OrderDesk.Yuan(theirs.Sum(r => r.NetRevenueFen ?? 0)) : null,
                "orders" => seesOrders ? theirs.Sum(r => r.Orders ?? 0) : null,
                "activityRate" => membersAtEnd == 0 ? null : Math.Round(theirs.Sum(r => r.AverageActive) / membersAtEnd, 4),
                "health" => scores.Count == 0 ? null : Math.Round(scores.Average(), 1),
                "answers" => answerer?.Answered ?? 0,
                "medianFirstAnswerSeconds" => answerer?.MedianSeconds,
                "ticketsHandled" => handled.GetValueOrDefault(u.Id),
                "memberMessages" => theirs.Sum(r => r.MemberMessages),
                "averageActive" => Math.Round(theirs.Sum(r => r.AverageActive), 2),
                "ownMessages" => own?.Where(e => e.FromMemberId == e.ToMemberId).Sum(e => e.Messages),
                "speakersReached" => ties?.Select(e => e.FromMemberId == u.MemberId ? e.ToMemberId : e.FromMemberId).Distinct().Count(),
                "interactions" => ties?.Sum(e => e.Replies + e.Mentions),
                _ => null,
            };
            items.Add(new StaffKpiRowDto(u.Id, u.DisplayName, u.Role, mine.Count, [.. KeysByRole[u.Role].Select(k => new KpiDto(k, Kpi(k)))]));
        }
        return new(EditOutcome.Saved, new StaffKpiReport(first, last, zone.Id, items), v);
    }
}
