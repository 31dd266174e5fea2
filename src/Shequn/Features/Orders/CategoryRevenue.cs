using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Orders;

/// <summary>
/// A category community (seed 004's 类目社群) and a product category it serves, by the name the orders' lines give the
/// category ("白藜芦醇", "海豹油"). A community may serve several categories and a category have several communities.
/// </summary>
public sealed class CategoryCommunity : IWorkspaceOwned, IAudited
{
    public const int MaxPerCommunity = 50;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    /// <summary>Trimmed; matched to order lines' categories ignoring case.</summary>
    public required string Category { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class CategoryCommunityConfiguration : IEntityTypeConfiguration<CategoryCommunity>
{
    public void Configure(EntityTypeBuilder<CategoryCommunity> b)
    {
        b.ToTable("CategoryCommunities");
        b.HasKey(c => c.Id);
        b.Property(c => c.Category).HasMaxLength(OrderLine.TextMaxLength);
        b.HasIndex(c => new { c.WorkspaceId, c.CommunityId, c.Category }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(c => c.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Community>().WithMany().HasForeignKey(c => c.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed record CategoryCommunityDto(Guid Id, Guid CommunityId, string CommunityName);

public sealed record CategoryProduct(string Name, int Quantity, decimal Net);

/// <summary>
/// One category's figures (docs/orders.md "By category"); <see cref="Category"/> null gathers lines without a category and
/// orders without lines. <see cref="Members"/>: members of the category's communities at any time in the period;
/// <see cref="MemberBuyers"/> those of them who bought the category while in one; <see cref="Conversion"/> the share.
/// </summary>
public sealed record CategoryRevenue(string? Category, int Orders, int Buyers, decimal Revenue, decimal Refunds, decimal Net, decimal? Share,
    IReadOnlyList<CategoryCommunityDto> Communities, int Members, int MemberBuyers, decimal MemberNet, decimal? Conversion, IReadOnlyList<CategoryProduct> Products);

public sealed record CategorySummary(DateOnly From, DateOnly To, string TimeZone, decimal Net, IReadOnlyList<CategoryRevenue> Categories);

public sealed record CategoryCommunityInput(Guid? CommunityId, string? Category);

/// <summary>
/// Revenue by product category and the category communities that serve each (issue 15, "category communities map to
/// products"): the one class behind <c>/api/orders/categories</c>, <c>/api/orders/category-communities</c> and the
/// Orders page's "by category" table. Read by whoever reads orders, over the orders she sees; a link is made or removed
/// by whoever reads orders and sees the community.
/// </summary>
public sealed class CategoryBoard(AppDbContext db, TimeProvider time)
{
    public const string NotFound = "No such category community link here.";

    private const int TopProducts = 5;

    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    /// <summary>
    /// The figures of the orders placed in the period, by category. An order's amount and refund are shared among its
    /// lines' categories in proportion to the lines' amounts (by quantity when its lines carry no amounts), so the
    /// categories add up to the orders' totals to the fen; the last category of an order takes the rounding remainder.
    /// </summary>
    public async Task<CategorySummary?> SummaryAsync(DayPeriod period, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(period);
        var me = await MeAsync(ct);
        if (!OrderDesk.MayRead(me))
            return null;
        var (start, end) = (period.From, period.To);
        var orders = await OrderDesk.Scope(db, me!).Where(o => o.PlacedAt >= start && o.PlacedAt < end && o.Status != OrderStatus.Cancelled)
            .Select(o => new { o.Id, o.ExternalId, o.MemberId, o.Phone, o.Platform, o.PlatformUserId, o.Status, o.AmountFen, o.RefundedFen, o.PlacedAt })
            .ToListAsync(ct);
        var lines = (await (from o in OrderDesk.Scope(db, me!)
                            where o.PlacedAt >= start && o.PlacedAt < end && o.Status != OrderStatus.Cancelled
                            join l in db.Set<OrderLine>().AsNoTracking() on o.Id equals l.OrderId
                            select new { l.OrderId, l.Position, l.Category, l.ProductName, l.Sku, l.Quantity, l.AmountFen }).ToListAsync(ct))
            .ToLookup(l => l.OrderId);

        var visible = db.Visible(me!).Select(c => c.Id);
        var links = await (from k in db.Set<CategoryCommunity>().AsNoTracking()
                           join c in db.Communities.AsNoTracking() on k.CommunityId equals c.Id
                           where visible.Contains(c.Id)
                           orderby c.Name, k.Id
                           select new { k.Id, k.CommunityId, k.Category, c.Name }).ToListAsync(ct);
        var mapped = links.ToLookup(k => k.Category.Trim(), StringComparer.OrdinalIgnoreCase);
        var communitiesOf = mapped.ToDictionary(g => g.Key, g => g.Select(k => k.CommunityId).ToHashSet(), StringComparer.OrdinalIgnoreCase);
        var mappedCommunities = links.Select(k => k.CommunityId).Distinct().ToList();
        var stints = await db.Memberships.AsNoTracking()
            .Where(m => mappedCommunities.Contains(m.CommunityId) && m.JoinedAt < end && (m.LeftAt == null || m.LeftAt >= start))
            .Select(m => new { m.CommunityId, m.MemberId, m.JoinedAt, m.LeftAt }).ToListAsync(ct);
        var stintsOf = stints.ToLookup(s => s.MemberId);

        var tallies = new Dictionary<string, Tally>(StringComparer.OrdinalIgnoreCase);
        var none = new Tally(null);
        Tally TallyOf(string? category)
        {
            if (category is null)
                return none;
            if (!tallies.TryGetValue(category, out var t))
                tallies[category] = t = new Tally(category);
            return t;
        }

        foreach (var o in orders)
        {
            var buyer = OrderDesk.Buyer(o.MemberId, o.Phone, o.Platform, o.PlatformUserId, o.ExternalId);
            var parts = Shares(lines[o.Id].Select(l => (Category: Clean(l.Category), Product: Clean(l.ProductName) ?? Clean(l.Sku), l.Quantity, l.AmountFen)).ToList(),
                o.AmountFen, o.RefundedFen);
            foreach (var part in parts)
            {
                var t = TallyOf(part.Category);
                (t.Revenue, t.Refunds) = (t.Revenue + part.Amount, t.Refunds + part.Refunded);
                foreach (var (product, quantity, net) in part.Products)
                {
                    var (q, n) = t.Products.GetValueOrDefault(product);
                    t.Products[product] = (q + quantity, n + net);
                }
                if (o.Status == OrderStatus.Paid)
                {
                    t.Orders++;
                    t.Buyers.Add(buyer);
                }
                // Bought while in one of the category's communities: the member's stint there covers the order's time.
                if (part.Category is { } c && o.MemberId is { } member && communitiesOf.TryGetValue(c, out var communities))
                {
                    if (stintsOf[member].Any(s => communities.Contains(s.CommunityId) && s.JoinedAt <= o.PlacedAt && (s.LeftAt == null || s.LeftAt > o.PlacedAt)))
                    {
                        t.MemberNet += part.Amount - part.Refunded;
                        if (o.Status == OrderStatus.Paid)
                            t.MemberBuyers.Add(member);
                    }
                }
            }
        }
        // Categories with communities and no orders in the period are listed too: the team sees a community selling nothing.
        foreach (var c in mapped)
            TallyOf(c.Key);

        var totalNet = tallies.Values.Sum(t => t.Revenue - t.Refunds) + none.Revenue - none.Refunds;
        var rows = tallies.Values.OrderByDescending(t => t.Revenue - t.Refunds).ThenBy(t => t.Category, StringComparer.Ordinal).ToList();
        if (none.Revenue > 0 || none.Orders > 0)
            rows.Add(none);
        return new CategorySummary(period.First, period.Last, period.Zone.Id, OrderDesk.Yuan(totalNet), [.. rows.Select(t =>
        {
            var communityIds = t.Category is { } c && communitiesOf.TryGetValue(c, out var set) ? set : [];
            var ks = communityIds.Count == 0 ? [] : mapped[t.Category!].ToList();
            var members = stints.Where(s => communityIds.Contains(s.CommunityId)).Select(s => s.MemberId).Distinct().Count();
            var net = t.Revenue - t.Refunds;
            return new CategoryRevenue(t.Category, t.Orders, t.Buyers.Count, OrderDesk.Yuan(t.Revenue), OrderDesk.Yuan(t.Refunds), OrderDesk.Yuan(net),
                totalNet == 0 ? null : Math.Round((decimal)net / totalNet, 4),
                [.. ks.Select(k => new CategoryCommunityDto(k.Id, k.CommunityId, k.Name))], members, t.MemberBuyers.Count, OrderDesk.Yuan(t.MemberNet),
                members == 0 ? null : Math.Round((decimal)t.MemberBuyers.Count / members, 4),
                [.. t.Products.OrderByDescending(p => p.Value.Net).ThenBy(p => p.Key, StringComparer.Ordinal).Take(TopProducts)
                    .Select(p => new CategoryProduct(p.Key, p.Value.Quantity, OrderDesk.Yuan(p.Value.Net)))]);
        })]);
    }

    private sealed class Tally(string? category)
    {
        public string? Category { get; } = category;
        public int Orders { get; set; }
        public HashSet<string> Buyers { get; } = new(StringComparer.Ordinal);
        public long Revenue { get; set; }
        public long Refunds { get; set; }
        public long MemberNet { get; set; }
        public HashSet<Guid> MemberBuyers { get; } = [];
        public Dictionary<string, (int Quantity, long Net)> Products { get; } = new(StringComparer.Ordinal);
    }

    public sealed record Share(string? Category, long Amount, long Refunded, IReadOnlyList<(string Product, int Quantity, long Net)> Products);

    /// <summary>
    /// Shares an order's amount and refund among its lines' categories (see <see cref="SummaryAsync"/>); an order
    /// without lines is one share without a category.
    /// </summary>
    public static IReadOnlyList<Share> Shares(IReadOnlyList<(string? Category, string? Product, int Quantity, long AmountFen)> lines, long amountFen, long refundedFen)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (lines.Count == 0)
            return [new Share(null, amountFen, refundedFen, [])];
        var byAmount = lines.Sum(l => l.AmountFen) > 0;
        var weights = lines.Select(l => byAmount ? l.AmountFen : Math.Max(1, l.Quantity)).ToList();
        var total = weights.Sum();
        // Per line first (so products get their part), then gathered by category in the lines' order.
        var amounts = Split(amountFen, weights, total);
        var refunds = Split(refundedFen, weights, total);
        var shares = new List<Share>();
        foreach (var g in lines.Select((l, i) => (l, i)).GroupBy(x => x.l.Category ?? "", StringComparer.OrdinalIgnoreCase))
        {
            var products = g.Where(x => x.l.Product is not null).Select(x => (x.l.Product!, x.l.Quantity, amounts[x.i] - refunds[x.i])).ToList();
            shares.Add(new Share(g.First().l.Category, g.Sum(x => amounts[x.i]), g.Sum(x => refunds[x.i]), products));
        }
        return shares;
    }

    private static long[] Split(long fen, List<long> weights, long total)
    {
        var parts = new long[weights.Count];
        long given = 0;
        for (var i = 0; i < weights.Count - 1; i++)
            given += parts[i] = (long)((decimal)fen * weights[i] / total);
        parts[^1] = fen - given;
        return parts;
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>Links a community to a category (trimmed; the same category again, in any case, is a conflict).</summary>
    public async Task<OrderResult<CategoryCommunityDto>> LinkAsync(CategoryCommunityInput? input, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await MeAsync(ct);
        if (!OrderDesk.MayRead(me))
            return new(OrderOutcome.Forbidden, v, Detail: OrderDesk.NotAllowed);
        var category = Clean(input?.Category);
        v.Required("category", category, OrderLine.TextMaxLength);
        if (category is not null && category.Any(char.IsControl))
            v.Add("category", "CategoryControl", "'category' must not contain control characters (line breaks, tabs).");
        Community? community = null;
        if (input?.CommunityId is not { } communityId)
            v.Add("communityId", "Required", "'communityId' is required.");
        else if ((community = await db.Visible(me!).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct)) is null)
            v.Add("communityId", "CategoryCommunityUnknown", $"'communityId' {communityId} is not a community you see in this workspace.", communityId);
        if (!v.IsValid)
            return new(OrderOutcome.Invalid, v);
        var existing = await db.Set<CategoryCommunity>().AsNoTracking().Where(k => k.CommunityId == community!.Id).Select(k => k.Category).ToListAsync(ct);
        if (existing.Contains(category!, StringComparer.OrdinalIgnoreCase))
            return new(OrderOutcome.Conflict, v, Detail: $"'{community!.Name}' already serves the category '{category}'.");
        if (existing.Count >= CategoryCommunity.MaxPerCommunity)
            return new(OrderOutcome.Invalid, v.Add("category", "CategoryTooMany",
                $"'{community!.Name}' already serves {CategoryCommunity.MaxPerCommunity} categories, the most one community may.", CategoryCommunity.MaxPerCommunity));
        var link = new CategoryCommunity { WorkspaceId = db.CurrentWorkspaceId, CommunityId = community!.Id, Category = category!, CreatedAt = time.GetUtcNow().UtcDateTime };
        db.Add(link);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Linked by someone else at the same moment (the unique index).
            db.ChangeTracker.Clear();
            return new(OrderOutcome.Conflict, v, Detail: $"'{community.Name}' already serves the category '{category}'.");
        }
        return new(OrderOutcome.Done, v, new CategoryCommunityDto(link.Id, community.Id, community.Name));
    }

    /// <summary>Removes a link; false when there is none of that id in a community the caller sees.</summary>
    public async Task<OrderResult<bool>> UnlinkAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await MeAsync(ct);
        if (!OrderDesk.MayRead(me))
            return new(OrderOutcome.Forbidden, v, Detail: OrderDesk.NotAllowed);
        var link = await db.Set<CategoryCommunity>().SingleOrDefaultAsync(k => k.Id == id, ct);
        if (link is null || !me!.Sees(link.CommunityId))
            return new(OrderOutcome.Done, v, false);
        db.Remove(link);
        await db.SaveChangesAsync(ct);
        return new(OrderOutcome.Done, v, true);
    }
}
