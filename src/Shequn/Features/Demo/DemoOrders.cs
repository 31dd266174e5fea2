using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Orders;

namespace Shequn.Features.Demo;

/// <summary>
/// A month of shop orders from members who joined lately (some buying twice, a few refunded), matched to their members
/// and attributed by the workspace's rule (last touch within N days), so that the orders page, the funnel's first
/// purchases and ROI have figures. Runs on every start: a workspace with an order gets nothing more.
/// </summary>
public static class DemoOrders
{
    private static readonly (string Sku, string Product, string Category, long Fen)[] Catalog =
    [
        ("SKU-OAT-01", "燕麦早餐杯 12 杯", "早餐", 5_990),
        ("SKU-NUT-02", "每日坚果 30 袋", "零食", 12_900),
        ("SKU-TEA-03", "红豆薏米茶 2 盒", "冲饮", 6_800),
        ("SKU-FISH-04", "深海鳕鱼 1 kg", "生鲜", 19_900),
        ("SKU-GIFT-05", "年货礼盒", "礼盒", 39_900),
    ];

    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (await db.Set<Order>().AnyAsync(ct))
            return;
        var now = DateTime.UtcNow;
        var joins = await db.Memberships.AsNoTracking().Where(m => m.JoinedAt >= now.AddDays(-40) && m.JoinedAt <= now.AddDays(-2))
            .OrderBy(m => m.JoinedAt).Select(m => new { m.MemberId, m.JoinedAt, m.Member!.Phone }).ToListAsync(ct);
        if (joins.Count == 0)
            return;
        var random = new Random(15);
        var days = await OrderMatching.DaysAsync(db, workspaceId, ct);
        var matching = new OrderMatching(db, null);
        var buyers = joins.Where((_, i) => i % 9 == 0).Take(80).ToList();
        var n = 0;
        foreach (var b in buyers)
        {
            // A third buy again a week or so later: the repurchase rate has something to count.
            var count = random.Next(3) == 0 ? 2 : 1;
            for (var k = 0; k < count; k++)
            {
                var placed = b.JoinedAt.AddHours(random.Next(6, 24 * 12) + k * 24 * 7);
                if (placed > now.AddHours(-1))
                    continue;
                var item = Catalog[random.Next(Catalog.Length)];
                var quantity = random.Next(1, 3);
                var amount = item.Fen * quantity;
                var refunded = random.Next(12) == 0 ? amount / 2 : 0;
                var order = new Order
                {
                    WorkspaceId = workspaceId, ExternalId = $"DEMO-{++n:0000}", PlacedAt = placed, AmountFen = amount, RefundedFen = refunded,
                    Status = OrderStatus.Paid, Source = OrderSource.Import, Phone = b.Phone, CreatedAt = placed, UpdatedAt = placed,
                    Lines = [new OrderLine { WorkspaceId = workspaceId, Sku = item.Sku, ProductName = item.Product, Category = item.Category, Quantity = quantity, AmountFen = amount }],
                };
                var touch = await matching.AttributeAsync(workspaceId, b.MemberId, placed, days, null, null, ct);
                OrderMatching.Apply(order, new OrderBuyer(b.MemberId, OrderMatch.Phone, null, null), touch, days, placed);
                db.Add(order);
            }
        }
        await db.SaveChangesAsync(ct);
    }
}
