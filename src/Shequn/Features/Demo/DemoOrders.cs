using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Orders;

namespace Shequn.Features.Demo;

/// <summary>
/// A month of shop orders from members who joined lately (some buying twice, a few refunded), matched to their members
/// and attributed by the workspace's rule (last touch within N days), so that the orders page, the funnel's first
/// purchases and ROI have figures. Runs on every start: a workspace with an order gets nothing more.
/// </summary>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Made-up demo data from a fixed seed; nothing secret or guessable depends on it.")]
[SuppressMessage("Security", "SCS0005:Weak random number generator", Justification = "Made-up demo data from a fixed seed; nothing secret or guessable depends on it.")]
public static class DemoOrders
{
    // The brand of seed 004 sells health foods; each category has its category community (DemoCatalog's Category).
    private static readonly (string Sku, string Product, string Category, long Fen)[] Catalog =
    [
        ("SKU-FO-01", "深海鱼油软胶囊 100 粒", "深海鱼油", 19_900),
        ("SKU-VE-01", "天然维生素E 60 粒", "维生素E", 12_800),
        ("SKU-CR-01", "蔓越莓精华片 60 片", "蔓越莓", 15_800),
        ("SKU-RV-01", "白藜芦醇胶囊 30 粒", "白藜芦醇", 29_900),
        ("SKU-SO-01", "海豹油软胶囊 100 粒", "海豹油", 25_800),
        ("SKU-GIFT-01", "营养年货礼盒", "礼盒", 39_900),
    ];

    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        var categoryOf = await LinkCategoriesAsync(db, workspaceId, ct);
        if (await db.Set<Order>().AnyAsync(ct))
            return;
        var now = DateTime.UtcNow;
        var joins = await db.Memberships.AsNoTracking().Where(m => m.JoinedAt >= now.AddDays(-40) && m.JoinedAt <= now.AddDays(-2))
            .OrderBy(m => m.JoinedAt).Select(m => new { m.MemberId, m.CommunityId, m.JoinedAt, m.Member!.Phone }).ToListAsync(ct);
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
                // Most members of a category community buy its category; the others anything.
                var item = categoryOf.TryGetValue(b.CommunityId, out var category) && random.Next(10) < 7
                    ? Catalog.First(c => c.Category == category)
                    : Catalog[random.Next(Catalog.Length)];
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

    /// <summary>Links each category community of the demo to its product category (once); the communities' categories by id.</summary>
    private static async Task<Dictionary<Guid, string>> LinkCategoriesAsync(AppDbContext db, Guid workspaceId, CancellationToken ct)
    {
        var specs = DemoCatalog.Communities.Where(s => s.Category is not null).ToDictionary(s => s.Name, s => s.Category!);
        var names = specs.Keys.ToList();
        var communities = await db.Communities.AsNoTracking().Where(c => names.Contains(c.Name)).Select(c => new { c.Id, c.Name }).ToListAsync(ct);
        var categoryOf = communities.ToDictionary(c => c.Id, c => specs[c.Name]);
        if (categoryOf.Count > 0 && !await db.Set<CategoryCommunity>().AnyAsync(ct))
        {
            db.AddRange(categoryOf.Select(c => new CategoryCommunity { WorkspaceId = workspaceId, CommunityId = c.Key, Category = c.Value }));
            await db.SaveChangesAsync(ct);
        }
        return categoryOf;
    }
}
