using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Budget;
using Shequn.Features.Demo;
using Shequn.Features.Orders;

namespace Shequn.Tests.Features.Demo;

public abstract partial class DemoWorkspaceTests
{
    /// <summary>Seed 004's 5,000-yuan cap, fixed costs in both months, product rewards at cost, and this month past 80 %.</summary>
    [Fact]
    public async Task EnsureAndPrint_Budget_HasTheCapCostsInTwoMonthsAndThisMonthsAlert()
    {
        await EnsureDemoAsync();
        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var book = scope.ServiceProvider.GetRequiredService<BudgetBook>();
        var ct = TestContext.Current.CancellationToken;
        var thisMonth = BudgetBook.MonthOf(await book.TodayAsync(ct));

        var now = await book.MonthAsync(thisMonth, ct);
        var before = await book.MonthAsync(thisMonth.AddMonths(-1), ct);

        Assert.Equal(DemoBudget.CapFen, now!.CapFen);
        Assert.Equal(DemoBudget.CapFen, before!.CapFen);
        Assert.Equal(197_600, now.FixedFen);
        Assert.Equal(197_600, before.FixedFen);
        Assert.True(now.UsedShare >= 0.8, $"used {now.UsedShare}");
        Assert.Contains(now.Alerts, a => a.Percent == 80);
        var gifts = await db.Set<CostEntry>().AsNoTracking().Where(c => c.Category == CostCategory.ProductRewards).ToListAsync(ct);
        Assert.All(gifts, g => Assert.Equal(g.Quantity!.Value * g.UnitCostFen!.Value, g.AmountFen));
        Assert.Equal(2, gifts.Count);
    }

    /// <summary>A month of orders from recent joiners: every one matched to its member, most attributed, some bought twice.</summary>
    [Fact]
    public async Task EnsureAndPrint_Orders_AreMatchedAttributedAndSomeRepeat()
    {
        await EnsureDemoAsync();
        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ct = TestContext.Current.CancellationToken;

        var orders = await db.Set<Order>().AsNoTracking().Include(o => o.Lines).ToListAsync(ct);

        Assert.True(orders.Count >= 10, $"{orders.Count} orders");
        Assert.All(orders, o => Assert.NotNull(o.MemberId));
        Assert.All(orders, o => Assert.Equal(o.AmountFen, Assert.Single(o.Lines).AmountFen));
        Assert.Contains(orders, o => o.CommunityId is not null && o.Touch is not null);
        Assert.Contains(orders.GroupBy(o => o.MemberId), g => g.Count() >= 2);
        Assert.All(orders, o => Assert.True(o.PlacedAt <= DateTime.UtcNow));
    }
}
