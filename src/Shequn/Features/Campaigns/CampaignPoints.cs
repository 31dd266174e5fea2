using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

/// <summary>积分兑换: one item a points-redemption campaign offers, kept in its rules (<see cref="CampaignRules.Catalog"/>).</summary>
public sealed record PointsCatalogItem(string Name, int Points, int Stock);

public enum RedemptionStatus
{
    /// <summary>Points spent, the item owed: staff hand it over.</summary>
    Redeemed = 0,
    /// <summary>Staff handed it over.</summary>
    Delivered = 1,
}

/// <summary>
/// One item redeemed by one member, under the page's request id (unique per campaign): a replay or a double click finds
/// the first row and is answered with it. <see cref="Points"/> and <see cref="ItemName"/> are copied from the catalog
/// when redeemed, so later edits of the catalog do not change what was spent.
/// </summary>
public sealed class CampaignRedemption : IWorkspaceOwned
{
    public const int RequestIdMaxLength = 64;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public int ItemIndex { get; set; }
    public required string ItemName { get; set; }
    public int Points { get; set; }
    public required string RequestId { get; set; }
    public RedemptionStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public Guid? DeliveredByStaffId { get; set; }
}

/// <summary>
/// How many units of one catalog item were taken (unique per campaign and item position). Made on the first redemption
/// of the item; <see cref="Taken"/> only moves by a conditional update against the item's stock in the rules, so raising
/// the stock in the editor makes more available and an item is never taken more times than its stock.
/// </summary>
public sealed class CampaignItemStock : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public int ItemIndex { get; set; }
    public int Taken { get; set; }
}

/// <summary>
/// A member's points spent in the workspace (unique per workspace and member): the row every redemption of the member
/// updates, so two redemptions of one member are serialized on it.
/// <para>
/// Why the balance never goes negative: points are earned only by reward grants (<see cref="RewardKind.Points"/>, issued or
/// delivered), which are only ever added. A redemption first reads what the member earned (a lower bound of what they
/// will have earned when it commits), then raises <see cref="Spent"/> by the cost only
/// <c>WHERE Spent + cost &lt;= earned</c> — one conditional statement on one row, which the database applies atomically
/// (PostgreSQL re-checks the condition on the latest row after waiting for a concurrent writer; SQLite has one writer
/// at a time). So Spent never exceeds Earned whatever runs at once. The one way it can: staff voiding a points grant
/// after the points were spent; the balance then shows negative and nothing more can be redeemed until earned again.
/// </para>
/// </summary>
public sealed class CampaignPointsAccount : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid MemberId { get; set; }
    public long Spent { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// 集卡: the card a member drew on one day in a card-collecting campaign (unique per campaign, member and day: one draw a
/// day, and a replayed event batch adds nothing). The card is <see cref="CardDraws.Draw"/> of campaign, member and day, so
/// processing the log again gives the same card.
/// </summary>
public sealed class CampaignCardDraw : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public Guid? CommunityId { get; set; }
    public DateOnly Day { get; set; }
    public int CardIndex { get; set; }
    public long? EventSeq { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class CampaignRedemptionConfiguration : IEntityTypeConfiguration<CampaignRedemption>
{
    public void Configure(EntityTypeBuilder<CampaignRedemption> b)
    {
        b.ToTable("CampaignRedemptions");
        b.HasKey(r => r.Id);
        b.Property(r => r.ItemName).HasMaxLength(CampaignRulesCheck.RewardNameMaxLength);
        b.Property(r => r.RequestId).HasMaxLength(CampaignRedemption.RequestIdMaxLength);
        b.HasIndex(r => new { r.CampaignId, r.RequestId }).IsUnique();
        b.HasIndex(r => new { r.WorkspaceId, r.MemberId });
        b.HasOne<Campaign>().WithMany().HasForeignKey(r => r.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(r => r.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignItemStockConfiguration : IEntityTypeConfiguration<CampaignItemStock>
{
    public void Configure(EntityTypeBuilder<CampaignItemStock> b)
    {
        b.ToTable("CampaignItemStocks");
        b.HasKey(s => s.Id);
        b.HasIndex(s => new { s.CampaignId, s.ItemIndex }).IsUnique();
        b.HasOne<Campaign>().WithMany().HasForeignKey(s => s.CampaignId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignPointsAccountConfiguration : IEntityTypeConfiguration<CampaignPointsAccount>
{
    public void Configure(EntityTypeBuilder<CampaignPointsAccount> b)
    {
        b.ToTable("CampaignPointsAccounts");
        b.HasKey(a => a.Id);
        b.HasIndex(a => new { a.WorkspaceId, a.MemberId }).IsUnique();
        b.HasOne<Workspaces.Workspace>().WithMany().HasForeignKey(a => a.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(a => a.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignCardDrawConfiguration : IEntityTypeConfiguration<CampaignCardDraw>
{
    public void Configure(EntityTypeBuilder<CampaignCardDraw> b)
    {
        b.ToTable("CampaignCardDraws");
        b.HasKey(d => d.Id);
        b.HasIndex(d => new { d.CampaignId, d.MemberId, d.Day }).IsUnique();
        b.HasOne<Campaign>().WithMany().HasForeignKey(d => d.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(d => d.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>A redemption as the page, the API and the console show it.</summary>
public sealed record RedemptionDto(Guid Id, Guid CampaignId, Guid MemberId, string MemberName, int ItemIndex, string ItemName, int Points, string RequestId,
    RedemptionStatus Status, DateTime CreatedAt, DateTime? DeliveredAt, bool Replayed = false);

/// <summary>A catalog item on the page: its position, what it costs and how many are left.</summary>
public sealed record CatalogItemView(int Index, string Name, int Points, int Stock, int Left);

/// <summary>A member's points across the workspace's campaigns.</summary>
public sealed record PointsBalance(long Earned, long Spent)
{
    public long Balance => Earned - Spent;
}

/// <summary>One member's cards in a card-collecting campaign: how many of each card (by position in the rules).</summary>
public sealed record CardHolding(Guid MemberId, string Name, IReadOnlyList<int> Counts, int Draws, bool Complete);

/// <summary>What the points page shows: the catalog with what is left, and for the member (token present) the balance and cards.</summary>
public sealed record PointsPageData(IReadOnlyList<CatalogItemView> Catalog, PointsBalance? Balance, CardHolding? Cards);

public enum RedeemOutcome
{
    Done,
    Invalid,
    NotRunning,
    NotInAudience,
    /// <summary>The campaign's anti-abuse settings leave the member out (<see cref="RedeemResult.Excluded"/>).</summary>
    Excluded,
    SoldOut,
    NotEnoughPoints,
    /// <summary>The request id belongs to another member's redemption.</summary>
    Conflict,
}

public sealed record RedeemResult(RedeemOutcome Outcome, RedemptionDto? Redemption = null, Validation? Validation = null, PointsBalance? Balance = null,
    ExclusionReason Excluded = ExclusionReason.None);

/// <summary>Points earned and spent: what the page shows and what a redemption is checked against.</summary>
public static class PointsBalances
{
    /// <summary>
    /// Points a member earned in the workspace: the value of every issued or delivered grant of a points reward, in any
    /// campaign. The reward's value is read from the campaign's rewards at the grant's position.
    /// </summary>
    public static async Task<long> EarnedAsync(AppDbContext db, Guid ws, Guid member, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var grants = await db.Set<CampaignRewardGrant>().IgnoreQueryFilters().AsNoTracking()
            .Where(g => g.WorkspaceId == ws && g.MemberId == member && (g.Status == GrantStatus.Issued || g.Status == GrantStatus.Delivered))
            .Select(g => new { g.CampaignId, g.RewardIndex }).ToListAsync(ct);
        if (grants.Count == 0)
            return 0;
        var ids = grants.Select(g => g.CampaignId).Distinct().ToList();
        var rewards = (await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Rewards }).ToListAsync(ct))
            .ToDictionary(c => c.Id, c => new Campaign { Name = "", Slug = "", Rewards = c.Rewards }.RewardsValue());
        long earned = 0;
        foreach (var g in grants)
        {
            if (rewards.GetValueOrDefault(g.CampaignId) is { } list && g.RewardIndex >= 0 && g.RewardIndex < list.Count && list[g.RewardIndex].Kind == RewardKind.Points)
                earned += Math.Max(0, list[g.RewardIndex].ValueFen);
        }
        return earned;
    }

    public static async Task<PointsBalance> ForAsync(AppDbContext db, Guid ws, Guid member, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var earned = await EarnedAsync(db, ws, member, ct);
        var spent = await db.Set<CampaignPointsAccount>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == ws && a.MemberId == member).Select(a => a.Spent).SingleOrDefaultAsync(ct);
        return new PointsBalance(earned, spent);
    }
}

/// <summary>集卡: which card a member draws on a day, the same every time it is computed.</summary>
public static class CardDraws
{
    /// <summary>
    /// The card (a position among <paramref name="cards"/>) drawn by the member on the day: the first 8 bytes of
    /// SHA-256("{campaign}:{member}:{yyyy-MM-dd}") modulo the number of cards. Deterministic so replays agree; not
    /// guessable from outside without the ids.
    /// </summary>
    public static int Draw(Guid campaign, Guid member, DateOnly day, int cards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cards, 1);
        var seed = FormattableString.Invariant($"{campaign:N}:{member:N}:{day:yyyy-MM-dd}");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        return (int)(BitConverter.ToUInt64(hash, 0) % (ulong)cards);
    }
}

/// <summary>
/// 积分兑换 and 集卡 for staff and members: the save-time check of the catalog and the cards, a member's redemption, what
/// the page shows, and staff's lists and delivery.
/// <para>
/// A redemption, in one transaction and this order (the hot item row last, so it is locked for the shortest time): the
/// redemption row under its unique (campaign, request id) — a replay inserts nothing and is answered with the first
/// redemption; the member's participant row; the member's <see cref="CampaignPointsAccount"/> raised only
/// <c>WHERE Spent + cost &lt;= earned</c>; the item's <see cref="CampaignItemStock"/> raised only
/// <c>WHERE Taken + 1 &lt;= stock</c>. Any refusal rolls the whole transaction back.
/// </para>
/// </summary>
public sealed class CampaignPoints(AppDbContext db, CampaignSnapshots snapshots, TimeProvider time)
{
    public const int MaxCatalog = 50;
    public const int MaxPoints = 1_000_000;
    public const int MinCards = 2;
    public const int MaxCards = 20;
    public const int CardNameMaxLength = 20;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>A points campaign offers a catalog, cards to collect, or both; each item named with its points and stock.</summary>
    public static void Check(Validation v, CampaignRules r)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(r);
        var catalog = r.Catalog ?? [];
        var cards = r.Cards ?? [];
        if (catalog.Count == 0 && cards.Count == 0)
            v.Add("rules.catalog", "Campaigns.PointsNothingOffered", "'rules.catalog' or 'rules.cards' is required: a points campaign offers items to redeem, cards to collect, or both.");
        if (catalog.Count > MaxCatalog)
            v.Add("rules.catalog", "TooMany", $"A catalog has at most {MaxCatalog} items.", MaxCatalog, catalog.Count);
        for (var i = 0; i < Math.Min(catalog.Count, MaxCatalog); i++)
        {
            var at = $"rules.catalog[{i}]";
            if (catalog[i] is not { } item)
            {
                v.Add(at, "Required", $"'{at}' is required.");
                continue;
            }
            v.Required($"{at}.name", item.Name?.Trim(), CampaignRulesCheck.RewardNameMaxLength);
            if (item.Points < 1 || item.Points > MaxPoints)
                v.Add($"{at}.points", "OutOfRange", $"'{at}.points' must be between 1 and {MaxPoints} (got {item.Points}).", 1, MaxPoints);
            if (item.Stock < 1 || item.Stock > CampaignRulesCheck.MaxStock)
                v.Add($"{at}.stock", "OutOfRange", $"'{at}.stock' must be between 1 and {CampaignRulesCheck.MaxStock} (got {item.Stock}).", 1, CampaignRulesCheck.MaxStock);
        }
        if (cards.Count == 0)
            return;
        if (cards.Count is < MinCards or > MaxCards)
            v.Add("rules.cards", "OutOfRange", $"'rules.cards' must have between {MinCards} and {MaxCards} cards (got {cards.Count}).", MinCards, MaxCards);
        for (var i = 0; i < Math.Min(cards.Count, MaxCards); i++)
            v.Required($"rules.cards[{i}]", cards[i]?.Trim(), CardNameMaxLength);
        if (cards.Select(c => c?.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).Count() != cards.Count)
            v.Add("rules.cards", "Campaigns.CardsNotDistinct", "'rules.cards' must name each card once.");
        v.Required("rules.cardKeyword", r.CardKeyword?.Trim(), CampaignRulesCheck.KeywordMaxLength);
    }

    /// <summary>Collecting every card earns the campaign's first reward: with cards, a reward is needed.</summary>
    public static void CheckCardReward(Validation v, CampaignRules r, IReadOnlyList<CampaignReward> rewards)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(rewards);
        if ((r.Cards ?? []).Count > 0 && rewards.Count == 0)
            v.Add("rewards", "Campaigns.CardsNeedReward", "Collecting every card earns the first reward in 'rewards': add one.");
    }

    /// <summary>Redeems catalog item <paramref name="itemIndex"/> for the member (the caller verified the token).</summary>
    public async Task<RedeemResult> RedeemAsync(CampaignSnapshot s, Guid memberId, int? itemIndex, string? requestId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var campaign = s.Campaign;
        var catalog = s.Rules.Catalog ?? [];
        var v = new Validation();
        v.Required("requestId", requestId?.Trim(), CampaignRedemption.RequestIdMaxLength);
        if (itemIndex is null)
            v.Add("itemIndex", "Required", "'itemIndex' is required.");
        else if (itemIndex < 0 || itemIndex >= catalog.Count)
            v.Add("itemIndex", "OutOfRange", $"'itemIndex' must be between 0 and {catalog.Count - 1} (got {itemIndex}).", 0, Math.Max(0, catalog.Count - 1));
        if (!v.IsValid)
            return new(RedeemOutcome.Invalid, Validation: v);
        var rid = requestId!.Trim();
        using var acting = db.Current.ActAsSystemWhile(campaign.WorkspaceId);
        if (await FirstAsync(campaign.Id, rid, memberId, ct) is { } first)
            return first;
        var now = Now;
        if (campaign.Kind != CampaignKind.PointsRedemption || campaign.PhaseAt(now) != CampaignPhase.Running)
            return new(RedeemOutcome.NotRunning);
        var community = await snapshots.AudienceCommunityAsync(s, memberId, ct);
        if (community is null)
            return new(RedeemOutcome.NotInAudience);
        if (await snapshots.ExclusionAsync(s, memberId, ct) is not ExclusionReason.None and var excluded)
            return new(RedeemOutcome.Excluded, Excluded: excluded);
        var index = itemIndex!.Value;
        var item = catalog[index];
        var ws = campaign.WorkspaceId;
        // Read before the transaction: a lower bound of the points the member has by the time it commits (grants are only added).
        var earned = await PointsBalances.EarnedAsync(db, ws, memberId, ct);
        var redemption = new CampaignRedemption
        {
            WorkspaceId = ws, CampaignId = campaign.Id, MemberId = memberId, ItemIndex = index, ItemName = item.Name.Trim(), Points = item.Points, RequestId = rid,
            Status = RedemptionStatus.Redeemed, CreatedAt = now,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var inserted = await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignRedemptions" ("Id", "WorkspaceId", "CampaignId", "MemberId", "ItemIndex", "ItemName", "Points", "RequestId", "Status", "CreatedAt")""",
            [[redemption.Id, ws, campaign.Id, memberId, index, redemption.ItemName, item.Points, rid, (int)RedemptionStatus.Redeemed, now]],
            """ON CONFLICT ("CampaignId", "RequestId") DO NOTHING""", ct);
        if (inserted == 0)
        {
            await tx.RollbackAsync(ct);
            return await FirstAsync(campaign.Id, rid, memberId, ct) ?? new(RedeemOutcome.Conflict);
        }
        await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignParticipants" ("Id", "WorkspaceId", "CampaignId", "MemberId", "CommunityId", "IsNewMember", "JoinedAt", "Units")""",
            [[Guid.CreateVersion7(), ws, campaign.Id, memberId, community.Value, false, now, 0]],
            """ON CONFLICT ("CampaignId", "MemberId") DO NOTHING""", ct);
        await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignPointsAccounts" ("Id", "WorkspaceId", "MemberId", "Spent", "UpdatedAt")""",
            [[Guid.CreateVersion7(), ws, memberId, 0L, now]],
            """ON CONFLICT ("WorkspaceId", "MemberId") DO NOTHING""", ct);
        long cost = item.Points;
        var paid = await db.Set<CampaignPointsAccount>().IgnoreQueryFilters()
            .Where(a => a.WorkspaceId == ws && a.MemberId == memberId && a.Spent + cost <= earned)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Spent, a => a.Spent + cost).SetProperty(a => a.UpdatedAt, now), ct);
        if (paid == 0)
        {
            await tx.RollbackAsync(ct);
            return new(RedeemOutcome.NotEnoughPoints, Balance: await PointsBalances.ForAsync(db, ws, memberId, ct));
        }
        await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignItemStocks" ("Id", "WorkspaceId", "CampaignId", "ItemIndex", "Taken")""",
            [[Guid.CreateVersion7(), ws, campaign.Id, index, 0]],
            """ON CONFLICT ("CampaignId", "ItemIndex") DO NOTHING""", ct);
        var stock = item.Stock;
        var taken = await db.Set<CampaignItemStock>().IgnoreQueryFilters()
            .Where(x => x.CampaignId == campaign.Id && x.ItemIndex == index && x.Taken + 1 <= stock)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Taken, x => x.Taken + 1), ct);
        if (taken == 0)
        {
            await tx.RollbackAsync(ct);
            return new(RedeemOutcome.SoldOut);
        }
        await tx.CommitAsync(ct);
        var name = await db.Members.IgnoreQueryFilters().Where(m => m.Id == memberId).Select(m => m.DisplayName).SingleOrDefaultAsync(ct) ?? "";
        return new(RedeemOutcome.Done, Dto(redemption, name), Balance: await PointsBalances.ForAsync(db, ws, memberId, ct));
    }

    private async Task<RedeemResult?> FirstAsync(Guid campaignId, string requestId, Guid memberId, CancellationToken ct)
    {
        var first = await db.Set<CampaignRedemption>().AsNoTracking().SingleOrDefaultAsync(r => r.CampaignId == campaignId && r.RequestId == requestId, ct);
        if (first is null)
            return null;
        if (first.MemberId != memberId)
            return new(RedeemOutcome.Conflict);
        var name = await db.Members.Where(m => m.Id == memberId).Select(m => m.DisplayName).SingleOrDefaultAsync(ct) ?? "";
        return new(RedeemOutcome.Done, Dto(first, name, replayed: true), Balance: await PointsBalances.ForAsync(db, first.WorkspaceId, memberId, ct));
    }

    private static RedemptionDto Dto(CampaignRedemption r, string name, bool replayed = false) =>
        new(r.Id, r.CampaignId, r.MemberId, name, r.ItemIndex, r.ItemName, r.Points, r.RequestId, r.Status, r.CreatedAt, r.DeliveredAt, replayed);

    /// <summary>The page's data: the catalog with what is left, and the member's balance and cards when the token named one.</summary>
    public async Task<PointsPageData> PageAsync(CampaignSnapshot s, Guid? memberId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var campaign = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(campaign.WorkspaceId);
        var catalog = await CatalogAsync(campaign.Id, s.Rules, ct);
        if (memberId is not { } member)
            return new(catalog, null, null);
        var balance = await PointsBalances.ForAsync(db, campaign.WorkspaceId, member, ct);
        var cards = (s.Rules.Cards ?? []).Count > 0 ? (await HoldingsAsync(campaign.Id, s.Rules, member, ct)).SingleOrDefault() : null;
        return new(catalog, balance, cards);
    }

    private async Task<IReadOnlyList<CatalogItemView>> CatalogAsync(Guid campaignId, CampaignRules rules, CancellationToken ct)
    {
        var taken = await db.Set<CampaignItemStock>().AsNoTracking().Where(x => x.CampaignId == campaignId).ToDictionaryAsync(x => x.ItemIndex, x => x.Taken, ct);
        return [.. (rules.Catalog ?? []).Select((item, i) => new CatalogItemView(i, item.Name, item.Points, item.Stock, Math.Max(0, item.Stock - taken.GetValueOrDefault(i))))];
    }

    private async Task<IReadOnlyList<CardHolding>> HoldingsAsync(Guid campaignId, CampaignRules rules, Guid? member, CancellationToken ct)
    {
        var cards = rules.Cards ?? [];
        var draws = await db.Set<CampaignCardDraw>().AsNoTracking().Where(d => d.CampaignId == campaignId && (member == null || d.MemberId == member))
            .Join(db.Members, d => d.MemberId, m => m.Id, (d, m) => new { d.MemberId, m.DisplayName, d.CardIndex }).ToListAsync(ct);
        var holdings = draws.GroupBy(d => (d.MemberId, d.DisplayName)).Select(g =>
        {
            var counts = new int[cards.Count];
            foreach (var d in g.Where(d => d.CardIndex >= 0 && d.CardIndex < counts.Length))
                counts[d.CardIndex]++;
            return new CardHolding(g.Key.MemberId, g.Key.DisplayName, counts, g.Count(), counts.Length > 0 && counts.All(c => c > 0));
        }).OrderByDescending(h => h.Complete).ThenByDescending(h => h.Counts.Count(c => c > 0)).ThenBy(h => h.Name, StringComparer.Ordinal).ToList();
        if (member is { } m2 && holdings.Count == 0)
            holdings.Add(new CardHolding(m2, "", new int[cards.Count], 0, false));
        return holdings;
    }

    /// <summary>Staff: a points campaign's redemptions, newest first (null when the campaign is not one they see).</summary>
    public async Task<IReadOnlyList<RedemptionDto>?> RedemptionsAsync(Guid id, CancellationToken ct = default)
    {
        if (await VisibleAsync(id, ct) is null)
            return null;
        var rows = await db.Set<CampaignRedemption>().AsNoTracking().Where(r => r.CampaignId == id)
            .Join(db.Members, r => r.MemberId, m => m.Id, (r, m) => new { r, m.DisplayName }).ToListAsync(ct);
        return [.. rows.OrderByDescending(x => x.r.CreatedAt).ThenByDescending(x => x.r.Id).Select(x => Dto(x.r, x.DisplayName))];
    }

    /// <summary>Staff: every member's cards in a card-collecting campaign (null when not one they see).</summary>
    public async Task<IReadOnlyList<CardHolding>?> CardsAsync(Guid id, CancellationToken ct = default)
    {
        var campaign = await VisibleAsync(id, ct);
        return campaign is null ? null : await HoldingsAsync(id, campaign.RulesValue(), null, ct);
    }

    /// <summary>Staff hand the item over: redeemed → delivered, once; delivering again answers it as it stands.</summary>
    public async Task<MechanicResult<RedemptionDto>> DeliverAsync(Guid id, Guid redemptionId, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!CampaignDesk.MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        if (await VisibleAsync(id, ct) is null || !await db.Set<CampaignRedemption>().AnyAsync(r => r.Id == redemptionId && r.CampaignId == id, ct))
            return new(CampaignOutcome.NotFound, null, v);
        var now = Now;
        if (await db.Set<CampaignRedemption>().Where(r => r.Id == redemptionId && r.Status == RedemptionStatus.Redeemed)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RedemptionStatus.Delivered).SetProperty(r => r.DeliveredAt, now).SetProperty(r => r.DeliveredByStaffId, me!.Id), ct) == 1)
        {
            db.AddAuditNote(nameof(CampaignRedemption), redemptionId, "Delivered", null, null);
            await db.SaveChangesAsync(ct);
        }
        var row = await db.Set<CampaignRedemption>().AsNoTracking().Where(r => r.Id == redemptionId)
            .Join(db.Members, r => r.MemberId, m => m.Id, (r, m) => new { r, m.DisplayName }).SingleAsync(ct);
        return new(CampaignOutcome.Saved, Dto(row.r, row.DisplayName), v);
    }

    private async Task<Campaign?> VisibleAsync(Guid id, CancellationToken ct) =>
        (await CampaignDesk.VisibleAsync(db, id, CampaignKind.PointsRedemption, ct)).Campaign;
}
