using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Events;
using Shequn.Features.Orders;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Budget;

public enum RoiBy
{
    Campaign = 0,
    Channel = 1,
    Community = 2,
}

/// <summary>
/// One campaign's, channel's or community's return over a period: <see cref="Orders"/> paid orders attributed to it and
/// their net revenue (paid and refunded orders' amounts less refunds; cancelled ones count nothing), its cost split into the costs charged to it,
/// the campaign rewards it granted (at cost) and, for a channel, the cost stated on the channel; and
/// <see cref="Roi"/> = revenue ÷ cost (投入产出比), null without a cost.
/// </summary>
public sealed record RoiRow(RoiBy By, Guid Id, string Name, int Orders, long RevenueFen, long CostFen, long ChargedFen, long RewardsFen, long StatedFen, decimal? Roi);

/// <summary>The whole workspace over the period: all orders' net revenue over all spending (costs entered and rewards granted).</summary>
public sealed record RoiReport(DateOnly From, DateOnly To, RoiBy By, int AttributionDays, IReadOnlyList<RoiRow> Rows, long RevenueFen, long CostFen, decimal? Roi,
    long UnattributedRevenueFen);

/// <summary>
/// ROI (投入产出比) per campaign, channel and community (issue 15, product.md §3.10): attributed net revenue ÷ cost over a
/// period of workspace days. Orders carry their attribution (docs/orders.md: last touch within N days); costs come from
/// <see cref="CostEntry"/> rows charged to the row, <see cref="CampaignRewardGrant"/> costs for campaigns, and a channel's
/// own stated cost (per month: pro rata over the period's days ÷ 30; per join: × the joins through it; in total: whole),
/// the same rule the acquisition funnel spends by. The owner reads it: it spans every community's money.
/// </summary>
public sealed class RoiBoard(AppDbContext db, WorkspaceZones zones, TimeProvider time)
{
    public static bool MayRead(StaffProfile? me) => me?.Role is Staff.StaffRole.Owner;

    /// <summary>The period's days (default this month so far) and their UTC bounds; errors name <c>from</c> or <c>to</c>.</summary>
    public async Task<(DayPeriod Period, Validation V)> PeriodAsync(string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        return (DayPeriod.Read(v, from, to, zone, time.GetUtcNow().UtcDateTime, BudgetBook.MonthOf, "RoiPeriod"), v);
    }

    public async Task<RoiReport?> ReportAsync(RoiBy by, DayPeriod period, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(period);
        var (first, last, from, to) = (period.First, period.Last, period.From, period.To);
        if (!MayRead(await db.Current.GetProfileAsync(db, ct)))
            return null;
        var orders = await db.Set<Order>().AsNoTracking().Where(o => o.PlacedAt >= from && o.PlacedAt < to && o.Status != OrderStatus.Cancelled)
            .Select(o => new { o.CampaignId, o.Channel, o.LiveCodeId, o.CommunityId, Paid = o.Status == OrderStatus.Paid, Net = o.AmountFen - o.RefundedFen }).ToListAsync(ct);
        var costs = await db.Set<CostEntry>().AsNoTracking().Where(c => c.Day >= first && c.Day <= last)
            .Select(c => new { c.CampaignId, c.ChannelId, c.CommunityId, c.AmountFen }).ToListAsync(ct);
        var grants = await db.Set<CampaignRewardGrant>().AsNoTracking()
            .Where(g => g.CreatedAt >= from && g.CreatedAt < to && (g.Status == GrantStatus.Issued || g.Status == GrantStatus.Delivered))
            .GroupBy(g => g.CampaignId).Select(g => new { g.Key, Sum = g.Sum(x => x.CostFen) }).ToDictionaryAsync(g => g.Key, g => g.Sum, ct);
        var days = (decimal)(last.DayNumber - first.DayNumber + 1);

        var rows = new List<RoiRow>();
        switch (by)
        {
            case RoiBy.Campaign:
                var campaignIds = orders.Where(o => o.CampaignId != null).Select(o => o.CampaignId!.Value)
                    .Concat(costs.Where(c => c.CampaignId != null).Select(c => c.CampaignId!.Value)).Concat(grants.Keys).Distinct().ToList();
                var campaigns = await db.Set<Campaign>().AsNoTracking().Where(c => campaignIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
                foreach (var (id, name) in campaigns)
                {
                    var mine = orders.Where(o => o.CampaignId == id).ToList();
                    rows.Add(Row(by, id, name, mine.Count(o => o.Paid), mine.Sum(o => o.Net), costs.Where(c => c.CampaignId == id).Sum(c => c.AmountFen), grants.GetValueOrDefault(id), 0));
                }
                break;
            case RoiBy.Channel:
                var channels = await db.Set<AcquisitionChannel>().AsNoTracking().Where(c => c.ArchivedAt == null || c.ArchivedAt >= from).ToListAsync(ct);
                var codes = await db.Set<LiveCode>().AsNoTracking().Select(c => new { c.Id, c.ChannelId, c.Code }).ToListAsync(ct);
                // Joins in the period per channel key, read once for every per-join channel.
                var joinsByKey = channels.Any(c => c.Cost is not null && c.CostUnit == CostUnit.Join)
                    ? await db.Memberships.Where(m => m.Channel != null && m.JoinedAt >= from && m.JoinedAt < to)
                        .GroupBy(m => m.Channel!).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, StringComparer.Ordinal, ct)
                    : [];
                foreach (var ch in channels)
                {
                    var mineCodes = codes.Where(c => c.ChannelId == ch.Id).ToList();
                    var ids = mineCodes.Select(c => c.Id).ToHashSet();
                    var keys = mineCodes.Select(c => LiveCode.KeyOf(c.Code)).Append(ch.Name).ToHashSet(StringComparer.Ordinal);
                    var mine = orders.Where(o => (o.LiveCodeId is { } lc && ids.Contains(lc)) || (o.Channel is { } n && keys.Contains(n))).ToList();
                    long stated = 0;
                    if (ch.Cost is { } cost)
                    {
                        var yuan = ch.CostUnit switch
                        {
                            CostUnit.Month => cost * days / 30m,
                            CostUnit.Join => cost * keys.Sum(k => joinsByKey.GetValueOrDefault(k)),
                            _ => cost,
                        };
                        stated = (long)Math.Round(yuan * 100m, MidpointRounding.AwayFromZero);
                    }
                    var charged = costs.Where(c => c.ChannelId == ch.Id).Sum(c => c.AmountFen);
                    if (mine.Count == 0 && charged == 0 && stated == 0)
                        continue;
                    rows.Add(Row(by, ch.Id, ch.Name, mine.Count(o => o.Paid), mine.Sum(o => o.Net), charged, 0, stated));
                }
                break;
            default:
                var communityIds = orders.Where(o => o.CommunityId != null).Select(o => o.CommunityId!.Value)
                    .Concat(costs.Where(c => c.CommunityId != null).Select(c => c.CommunityId!.Value)).Distinct().ToList();
                var communities = await db.Communities.AsNoTracking().Where(c => communityIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
                foreach (var (id, name) in communities)
                {
                    var mine = orders.Where(o => o.CommunityId == id).ToList();
                    rows.Add(Row(by, id, name, mine.Count(o => o.Paid), mine.Sum(o => o.Net), costs.Where(c => c.CommunityId == id).Sum(c => c.AmountFen), 0, 0));
                }
                break;
        }

        var revenue = orders.Sum(o => o.Net);
        var spent = costs.Sum(c => c.AmountFen) + grants.Values.Sum();
        var unattributed = orders.Where(o => o.CampaignId == null && o.Channel == null && o.LiveCodeId == null && o.CommunityId == null).Sum(o => o.Net);
        var window = await OrderMatching.DaysAsync(db, db.CurrentWorkspaceId, ct);
        return new RoiReport(first, last, by, window,
            [.. rows.OrderByDescending(r => r.Roi ?? decimal.MinValue).ThenByDescending(r => r.RevenueFen).ThenBy(r => r.Name, StringComparer.Ordinal)],
            revenue, spent, Ratio(revenue, spent), unattributed);
    }

    private static RoiRow Row(RoiBy by, Guid id, string name, int orders, long revenue, long charged, long rewards, long stated)
    {
        var cost = charged + rewards + stated;
        return new RoiRow(by, id, name, orders, revenue, cost, charged, rewards, stated, Ratio(revenue, cost));
    }

    /// <summary>Revenue ÷ cost to two decimals; none without a cost (a free channel has no ratio, not an infinite one).</summary>
    public static decimal? Ratio(long revenueFen, long costFen) => costFen > 0 ? Math.Round((decimal)revenueFen / costFen, 2) : null;
}
