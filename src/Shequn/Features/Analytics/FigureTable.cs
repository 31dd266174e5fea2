using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Budget;
using Shequn.Features.Campaigns;
using Shequn.Features.Events;
using Shequn.Features.Orders;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Features.Topics;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Analytics;

public enum FigureScope
{
    Workspace,
    Community,
    Staff,
}

public enum FigureBy
{
    Day,
    Week,
    Month,
}

/// <summary>
/// One period's figures (docs/figures.md). Active members is the average of the days' distinct speakers; member share
/// is member messages ÷ messages. Response rate and first-answer median as <see cref="ResponseBoard"/> counts them for
/// questions asked in the period. Tags: tags given to the scope's members in the period and still standing (confirmed
/// or waiting for review); accuracy = auto-tags staff confirmed ÷ (confirmed + rejected) among those reviewed in the
/// period. Key customers: VIP candidates invited to the VIP community in the period (<see cref="Vip.VipInvitation"/>,
/// one per member, whether staff or the auto-invite did it). Campaign achievement: mean achievement rate of the campaigns that end in the period. Orders, revenue (net of
/// refunds, fen) and cost (fen) are null for readers who may not see them; answers is the staff member's own (staff scope).
/// Cost is the costs entered for the period's days (a community's: those charged to it) and, for the whole workspace,
/// the campaign rewards granted at cost, as the budget spends them; ROI (投入产出比) = net revenue ÷ cost, as
/// <see cref="Budget.RoiBoard"/> states it, null without cost or for readers who see neither.
/// </summary>
public sealed record FigureRowDto(
    DateOnly From, DateOnly To, bool Complete,
    int NewCommunities, int NewMembers, int Leaves, double ActiveMembers, int Messages, int MemberMessages, int StaffMessages, double? MemberShare,
    int TopicSessions, int Questions, double? ResponseRate, int? MedianFirstAnswerSeconds, int? Answers,
    int TagsAdded, int AutoTagsReviewed, double? TagAccuracy, int KeyCustomers,
    int? Orders, long? NetRevenueFen, int Campaigns, double? CampaignAchievement, long? CostFen, double? Roi = null);

public sealed record FigureTableDto(FigureScope Scope, Guid? Id, string Name, FigureBy By, DateOnly From, DateOnly To, string TimeZone, IReadOnlyList<FigureRowDto> Rows);

/// <summary>
/// Figures by day, week (Monday to Sunday) or month in the workspace's zone, for the workspace (the communities the
/// reader sees), one community, or a staff member's communities; shared by <c>GET /api/analytics/figures</c> and
/// <c>/analytics/figures</c>. Reads stored rows only (daily figures, memberships, questions, topic sessions, tags,
/// orders, costs, campaigns), never the event log.
/// </summary>
public sealed class FigureTable(AppDbContext db, CommunityPeriod period, ResponseBoards responses, TimeProvider time)
{
    public const int MaxRows = 120;

    public static bool MayRead(StaffProfile? me) => ResponseBoard.MaySeeFigures(me);

    public static DateOnly BucketOf(DateOnly day, FigureBy by) => by switch
    {
        FigureBy.Week => RetentionCohorts.WeekOf(day),
        FigureBy.Month => new DateOnly(day.Year, day.Month, 1),
        _ => day,
    };

    public static DateOnly NextBucket(DateOnly bucket, FigureBy by) => by switch
    {
        FigureBy.Week => bucket.AddDays(7),
        FigureBy.Month => bucket.AddMonths(1),
        _ => bucket.AddDays(1),
    };

    public async Task<RankingResult<FigureTableDto>> ReadAsync(string? scope, string? id, string? by, string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        var s = v.ParseEnum<FigureScope>("scope", scope) ?? FigureScope.Workspace;
        var b = v.ParseEnum<FigureBy>("by", by) ?? FigureBy.Day;
        Guid? target = null;
        if (s != FigureScope.Workspace)
        {
            if (string.IsNullOrWhiteSpace(id))
                v.Add("id", "Required", $"'id' is required for scope {s.ToString().ToLowerInvariant()}.");
            else if (Guid.TryParse(id.Trim(), out var g))
                target = g;
            else
                v.Add("id", "Malformed", "'id' must be a GUID.");
        }
        if (!MayRead(me))
            return new(EditOutcome.Forbidden, null, v);

        // Whole buckets; by default the 30 days, 12 weeks or 6 months ending with to's. Its length is bounded by rows below.
        var read = DayPeriod.Read(v, from, to, await period.ZoneAsync(ct), time.GetUtcNow().UtcDateTime, lastDay => b switch
        {
            FigureBy.Week => RetentionCohorts.WeekOf(lastDay).AddDays(-7 * 11),
            FigureBy.Month => new DateOnly(lastDay.Year, lastDay.Month, 1).AddMonths(-5),
            _ => lastDay.AddDays(-29),
        }, CommunityPeriod.PeriodCode, int.MaxValue, (day => BucketOf(day, b), day => NextBucket(BucketOf(day, b), b).AddDays(-1)), anchorOnLast: true);
        if (!v.IsValid)
            return new(EditOutcome.Invalid, null, v);
        var (first, last) = (read.First, read.Last);
        var buckets = new List<DateOnly>();
        for (var d = first; d <= last && buckets.Count <= MaxRows; d = NextBucket(d, b))
            buckets.Add(d);
        if (v.IsValid && buckets.Count > MaxRows)
            v.Add("to", "OutOfRange", $"The table holds at most {MaxRows} rows; choose a shorter range or a longer period.", MaxRows);
        if (!v.IsValid)
            return new(EditOutcome.Invalid, null, v);

        var ws = db.CurrentWorkspaceId;
        var visible = db.Visible(me).Where(c => c.WorkspaceId == ws);
        string name;
        Guid? answerer = null;
        switch (s)
        {
            case FigureScope.Community:
                var community = await visible.Where(c => c.Id == target).Select(c => new { c.Id, c.Name }).SingleOrDefaultAsync(ct);
                if (community is null)
                    return new(EditOutcome.NotFound, null, v);
                name = community.Name;
                visible = visible.Where(c => c.Id == target);
                break;
            case FigureScope.Staff:
                var user = await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && u.Id == target).Select(u => new { u.Id, u.DisplayName, u.Role }).SingleOrDefaultAsync(ct);
                var theirs = await db.CommunityStaff.AsNoTracking().Where(x => x.StaffUserId == target).Select(x => x.CommunityId).ToListAsync(ct);
                // As the KPIs: owners see everyone, sub-owners those sharing a community with them, others themselves.
                var allowed = user is not null && (me!.Role == StaffRole.Owner || user.Id == me.Id
                    || (me.Role == StaffRole.SubOwner && theirs.Any(me.Sees)));
                if (!allowed)
                    return new(EditOutcome.NotFound, null, v);
                name = user!.DisplayName;
                answerer = user.Id;
                if (user.Role != StaffRole.Owner)
                    visible = visible.Where(c => theirs.Contains(c.Id));
                break;
            default:
                name = "";
                break;
        }
        var ids = await visible.Select(c => c.Id).ToListAsync(ct);
        var zone = await period.ZoneAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var (start, end) = (DailyFigures.StartOf(first, zone), DailyFigures.StartOf(last.AddDays(1), zone));
        DateOnly Bucket(DateTime utc) => BucketOf(DailyFigures.DayOf(utc, zone), b);

        var days = await DailyFigures.ReadAsync(db, visible, first, last, zone, now, ct);
        var created = (await visible.Where(c => c.CreatedAt >= start && c.CreatedAt < end).Select(c => c.CreatedAt).ToListAsync(ct)).Select(Bucket).ToList();
        var topics = (await db.Set<TopicSession>().AsNoTracking()
            .Where(x => ids.Contains(x.CommunityId) && x.CancelledAt == null && x.StartsAt >= start && x.StartsAt < end)
            .Select(x => x.StartsAt).ToListAsync(ct)).Select(Bucket).ToList();
        var questions = (await db.Set<MemberQuestion>().AsNoTracking()
            .Where(q => q.WorkspaceId == ws && ids.Contains(q.CommunityId) && q.DismissedAt == null && q.AskedAt >= start && q.AskedAt < end)
            .Select(q => new { q.AskedAt, q.AnswerSeconds, q.AnsweredByKind, q.AnsweredByUserId }).ToListAsync(ct))
            .Select(q => (Bucket: Bucket(q.AskedAt), q.AnswerSeconds, Mine: answerer is { } a && q.AnsweredByKind == AnswererKind.Staff
                && q.AnsweredByUserId == ResponseTracker.StaffAnswerer(a))).ToList();
        var targetSeconds = (int)responses.For(db).Target.TotalSeconds;

        // Tags of the scope's members: the workspace's members, or those with a stint in the scope's communities.
        var tags = db.MemberTags.IgnoreQueryFilters().AsNoTracking().Where(x => x.Tag!.WorkspaceId == ws);
        if (s != FigureScope.Workspace)
            tags = tags.Where(x => db.Memberships.Any(m => m.MemberId == x.MemberId && ids.Contains(m.CommunityId)));
        var added = (await tags.Where(x => x.State != MemberTagState.Rejected && x.AssignedAt >= start && x.AssignedAt < end)
            .Select(x => x.AssignedAt).ToListAsync(ct)).Select(Bucket).ToList();
        var reviewed = (await tags.Where(x => x.Source == TagSource.Auto && x.State != MemberTagState.Suggested && x.ReviewedAt != null
                && x.ReviewedAt >= start && x.ReviewedAt < end)
            .Select(x => new { x.ReviewedAt, x.State }).ToListAsync(ct)).Select(x => (Bucket: Bucket(x.ReviewedAt!.Value), Confirmed: x.State == MemberTagState.Confirmed)).ToList();

        // Key customers found: VIP candidates invited (once per member), among the scope's members as for tags.
        var vip = db.Set<Vip.VipInvitation>().AsNoTracking().Where(x => x.WorkspaceId == ws && x.InvitedAt >= start && x.InvitedAt < end);
        if (s != FigureScope.Workspace)
            vip = vip.Where(x => db.Memberships.Any(m => m.MemberId == x.MemberId && ids.Contains(m.CommunityId)));
        var invited = (await vip.Select(x => x.InvitedAt).ToListAsync(ct)).Select(Bucket).ToList();

        List<(DateOnly Bucket, bool Paid, long Net)>? orders = null;
        if (OrderDesk.MayRead(me))
        {
            var query = db.Set<Order>().AsNoTracking().Where(o => o.WorkspaceId == ws && o.PlacedAt >= start && o.PlacedAt < end && o.Status != OrderStatus.Cancelled);
            // The workspace's figures include orders no community is credited with; a community's only its own.
            if (s != FigureScope.Workspace || !me!.SeesAllCommunities)
                query = query.Where(o => o.CommunityId != null && ids.Contains(o.CommunityId.Value));
            orders = [.. (await query.Select(o => new { o.PlacedAt, o.Status, o.AmountFen, o.RefundedFen }).ToListAsync(ct))
                .Select(o => (Bucket(o.PlacedAt), o.Status == OrderStatus.Paid, o.AmountFen - o.RefundedFen))];
        }
        List<(DateOnly Bucket, long Fen)>? costs = null;
        if (BudgetBook.MayRead(me))
        {
            var query = db.Set<CostEntry>().AsNoTracking().Where(c => c.WorkspaceId == ws && c.Day >= first && c.Day <= last);
            if (s != FigureScope.Workspace || !me!.SeesAllCommunities)
                query = query.Where(c => c.CommunityId != null && ids.Contains(c.CommunityId.Value));
            costs = [.. (await query.Select(c => new { c.Day, c.AmountFen }).ToListAsync(ct)).Select(c => (BucketOf(c.Day, b), c.AmountFen))];
            // Rewards granted are spending too (seed 004: products given away count at cost); they belong to a campaign,
            // not a community, so only the whole workspace's figures carry them (as the budget's month and ROI's total).
            if (s == FigureScope.Workspace && me!.SeesAllCommunities)
            {
                var granted = await db.Set<CampaignRewardGrant>().AsNoTracking()
                    .Where(g => g.WorkspaceId == ws && g.CreatedAt >= start && g.CreatedAt < end && (g.Status == GrantStatus.Issued || g.Status == GrantStatus.Delivered) && g.CostFen != 0)
                    .Select(g => new { g.CreatedAt, g.CostFen }).ToListAsync(ct);
                costs.AddRange(granted.Select(g => (Bucket(g.CreatedAt), g.CostFen)));
            }
        }
        var campaigns = (await period.CampaignRatesAsync(ids, start, end, ct))
            .Where(c => c.EndsAt >= start && c.EndsAt <= end).Select(c => (Bucket: Bucket(c.EndsAt.AddTicks(-1)), c.Rate)).ToList();

        var today2 = DailyFigures.DayOf(now, zone);
        var rows = new List<FigureRowDto>();
        foreach (var bucket in buckets)
        {
            var bucketEnd = NextBucket(bucket, b).AddDays(-1);
            var inDays = days.Where(d => d.Day >= bucket && d.Day <= bucketEnd).ToList();
            var begun = inDays.Count(d => d.Day <= today2);
            var messages = inDays.Sum(d => d.Messages);
            var asked = questions.Where(q => q.Bucket == bucket).ToList();
            var seconds = asked.Where(q => q.AnswerSeconds is not null).Select(q => q.AnswerSeconds!.Value).Order().ToList();
            var review = reviewed.Where(r => r.Bucket == bucket).ToList();
            var sold = orders?.Where(o => o.Bucket == bucket).ToList();
            var rates = campaigns.Where(c => c.Bucket == bucket).Select(c => c.Rate).ToList();
            var spent = costs?.Where(c => c.Bucket == bucket).Sum(c => c.Fen);
            rows.Add(new FigureRowDto(bucket, bucketEnd, bucketEnd < today2,
                created.Count(c => c == bucket), inDays.Sum(d => d.NewMembers), inDays.Sum(d => d.Leaves),
                begun == 0 ? 0 : Math.Round((double)inDays.Sum(d => d.ActiveMembers) / begun, 2),
                messages, inDays.Sum(d => d.MemberMessages), inDays.Sum(d => d.StaffMessages),
                messages == 0 ? null : Math.Round((double)inDays.Sum(d => d.MemberMessages) / messages, 4),
                topics.Count(x => x == bucket), asked.Count,
                asked.Count == 0 ? null : Math.Round((double)seconds.Count(x => x <= targetSeconds) / asked.Count, 4),
                ResponseBoard.Percentile(seconds, 0.5), answerer is null ? null : asked.Count(q => q.Mine),
                added.Count(x => x == bucket), review.Count, review.Count == 0 ? null : Math.Round((double)review.Count(r => r.Confirmed) / review.Count, 4),
                invited.Count(x => x == bucket),
                sold is null ? null : sold.Count(o => o.Paid), sold?.Sum(o => o.Net),
                rates.Count, rates.Count == 0 ? null : Math.Round(rates.Average(), 4),
                spent, sold is null || spent is null ? null : (double?)RoiBoard.Ratio(sold.Sum(o => o.Net), spent.Value)));
        }
        return new(EditOutcome.Saved, new FigureTableDto(s, target, name, b, first, last, zone.Id, rows), v);
    }
}
