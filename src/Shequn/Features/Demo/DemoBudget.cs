using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Budget;
using Shequn.Features.Campaigns;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Demo;

/// <summary>
/// Seed 004's first-phase budget: a 5,000-yuan monthly cap and last month's and this month's costs (two phones and their
/// plans, part-time pay, activity funds, sample packs given away at cost), charged to a campaign or community where they
/// belong, so the budget page and ROI have something to show; this month has passed 80 % of the cap, so its alert shows. Runs on every start: a workspace with a cap gets nothing more.
/// </summary>
public static class DemoBudget
{
    public const long CapFen = 500_000;

    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (await db.Set<BudgetCap>().AnyAsync(ct))
            return;
        var zone = WorkspaceZones.Find(await db.Workspaces.Where(w => w.Id == workspaceId).Select(w => w.TimeZone).SingleAsync(ct)) ?? WorkspaceZones.Default;
        var today = DailyFigures.DayOf(DateTime.UtcNow, zone);
        var thisMonth = BudgetBook.MonthOf(today);
        var lastMonth = thisMonth.AddMonths(-1);
        var campaign = await db.Set<Campaign>().OrderBy(c => c.CreatedAt).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        var community = await db.Communities.OrderBy(c => c.Name).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        db.Add(new BudgetCap { WorkspaceId = workspaceId, FromMonth = lastMonth, CapFen = CapFen });

        void Cost(DateOnly day, CostKind kind, CostCategory category, string item, long fen, Guid? campaignId = null, Guid? communityId = null,
            int? quantity = null, long? unitCost = null) =>
            db.Add(new CostEntry
            {
                WorkspaceId = workspaceId, Day = day > today ? today : day, Kind = kind, Category = category, Item = item, AmountFen = fen,
                CampaignId = campaignId, CommunityId = communityId, Quantity = quantity, UnitCostFen = unitCost,
            });

        foreach (var month in new[] { lastMonth, thisMonth })
        {
            Cost(month, CostKind.Fixed, CostCategory.Phones, "运营手机 2 台（分摊）", 30_000);
            Cost(month, CostKind.Fixed, CostCategory.Phones, "手机话费 2 张卡", 17_600);
            Cost(month, CostKind.Fixed, CostCategory.PartTimePay, "兼职群管理员 1 名", 150_000);
        }
        Cost(lastMonth.AddDays(9), CostKind.Floating, CostCategory.ActivityFunds, "晒单红包", 66_600, campaign, community);
        Cost(lastMonth.AddDays(19), CostKind.Floating, CostCategory.ProductRewards, "试用装（成本价）", 60 * 1_250, campaign, quantity: 60, unitCost: 1_250);
        Cost(thisMonth.AddDays(2), CostKind.Floating, CostCategory.ActivityFunds, "新人进群红包", 58_800, communityId: community);
        Cost(thisMonth.AddDays(3), CostKind.Floating, CostCategory.Advertising, "直播间投放", 100_000);
        Cost(thisMonth.AddDays(4), CostKind.Floating, CostCategory.ProductRewards, "试用装（成本价）", 40 * 1_250, campaign, quantity: 40, unitCost: 1_250);
        await db.SaveChangesAsync(ct);
        foreach (var month in new[] { lastMonth, thisMonth })
            await BudgetBook.RaiseAlertsAsync(db, workspaceId, month, DateTime.UtcNow, ct);
    }
}
