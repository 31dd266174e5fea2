using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Campaigns;

/// <summary>How a claim or a payment ended.</summary>
public enum ClaimOutcome
{
    /// <summary>The claim (new or replayed) is in <see cref="ClaimResult.Claim"/>.</summary>
    Done,
    Invalid,
    NotFound,
    /// <summary>Draft, upcoming, ended or cancelled, or not a flash sale.</summary>
    NotRunning,
    SoldOut,
    /// <summary>The person's limit would be passed; <see cref="ClaimResult.Remaining"/> says how many they may still take.</summary>
    OverLimit,
    /// <summary>The token is not one Shequn issued for this campaign.</summary>
    UnknownMember,
    /// <summary>The member is in none of the campaign's communities (or not of a layer it names).</summary>
    NotInAudience,
    /// <summary>The campaign's anti-abuse settings leave the member out; <see cref="ClaimResult.Excluded"/> says which.</summary>
    Excluded,
    /// <summary>The state does not allow it (paid with another order, released, a request id of someone else).</summary>
    Conflict,
}

/// <summary>A claim as the page and the API show it.</summary>
public sealed record ClaimDto(Guid Id, Guid CampaignId, Guid MemberId, int Quantity, string RequestId, ClaimStatus Status, DateTime CreatedAt, DateTime ExpiresAt,
    DateTime? PaidAt, string? OrderId, DateTime? ReleasedAt)
{
    public static ClaimDto Of(CampaignClaim c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.Id, c.CampaignId, c.MemberId, c.Quantity, c.RequestId, c.Status, c.CreatedAt, c.ExpiresAt, c.PaidAt, c.OrderId, c.ReleasedAt);
    }
}

public sealed record ClaimResult(ClaimOutcome Outcome, ClaimDto? Claim = null, Validation? Validation = null, int? Remaining = null, bool Replayed = false, string? Detail = null,
    ExclusionReason Excluded = ExclusionReason.None);

/// <summary>
/// 秒杀 / 限购 (campaigns.md "oversell", "one-per-person rules"): a member's claim of units of a running flash sale. In one
/// transaction, in this order (the hot stock row last, so it is locked for the shortest time; the release takes rows
/// in the same order, so the two cannot deadlock): the claim row under its unique (campaign, request id) — a replay
/// inserts nothing and is answered with the first claim; the member's participant row (inserted on first claim under
/// its unique key, without an error on a race) and its units raised only <c>WHERE Units + n &lt;= limit</c>; the stock
/// lowered only <c>WHERE StockLeft &gt;= n</c>. Any refusal rolls the whole transaction back. A reservation becomes paid
/// by the shop's order confirmation or is released when the payment window passes; both move it only from reserved.
/// </summary>
public sealed class FlashSale(IServiceProvider services, CurrentStaff current, CampaignSnapshots snapshots, ClaimBook book, TimeProvider time, IOptions<FlashSaleOptions> options)
{
    private AppDbContext? _db;

    /// <summary>The request's context, made on first use: a refusal the book and the snapshot decide makes none.</summary>
    private AppDbContext Db => _db ??= services.GetRequiredService<AppDbContext>();

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Checks the claim's fields; the limit is the campaign's per-person limit (null: none).</summary>
    public static Validation Check(int? quantity, string? requestId, int? limit)
    {
        var v = new Validation();
        if (quantity is null)
            v.Add("quantity", "Required", "'quantity' is required.");
        else if (quantity < 1)
            v.Add("quantity", "Campaigns.QuantityTooSmall", "'quantity' must be at least 1.");
        else if (limit is { } l && quantity > l)
            v.Add("quantity", "Campaigns.QuantityAboveLimit", $"'quantity' is above the limit of {l} per person.", l);
        v.Required("requestId", requestId, CampaignClaim.RequestIdMaxLength);
        return v;
    }

    /// <summary>Claims for the member; the caller verified the token (<see cref="CampaignLinks"/>).</summary>
    public async Task<ClaimResult> ClaimAsync(CampaignSnapshot s, Guid memberId, int? quantity, string? requestId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var campaign = s.Campaign;
        var limit = s.Rules.PerPersonLimit;
        var v = Check(quantity, requestId, limit);
        if (!v.IsValid)
            return new(ClaimOutcome.Invalid, Validation: v);
        var n = quantity!.Value;
        var rid = requestId!.Trim();
        using var acting = current.ActAsSystemWhile(campaign.WorkspaceId);

        // A replay (or a double click) is answered with the first result, whatever happened since. The book knows
        // when no claim has this id, so most refusals read nothing.
        using var entry = await book.EnterAsync(campaign.Id, rid, ct);
        return await DecideAsync(s, entry, memberId, n, rid, ct);
    }

    private async Task<ClaimResult> DecideAsync(CampaignSnapshot s, ClaimBook.Entry entry, Guid memberId, int n, string rid, CancellationToken ct)
    {
        var campaign = s.Campaign;
        var limit = s.Rules.PerPersonLimit;
        if (entry.MayExist && await book.StoredAsync(campaign.Id, rid, ct) && await FirstAsync(campaign.Id, rid, memberId, ct) is { } first)
        {
            entry.Claimed();
            return first;
        }
        var now = Now;
        if (campaign.Kind != CampaignKind.FlashSale || campaign.PhaseAt(now) != CampaignPhase.Running)
            return new(ClaimOutcome.NotRunning);
        var community = await snapshots.AudienceCommunityAsync(s, memberId, ct);
        if (community is null)
            return new(ClaimOutcome.NotInAudience);
        if (s.SoldOutSeen)
            return new(ClaimOutcome.SoldOut);
        // After the cheap refusals, and remembered per member by the snapshots: a burst reads the database once per member.
        if (await snapshots.ExclusionAsync(s, memberId, ct) is not ExclusionReason.None and var excluded)
            return new(ClaimOutcome.Excluded, Excluded: excluded);

        // The stock row takes one write at a time anyway: a few of this node's claims go to it at once and the others
        // wait their turn, so once one finds the stock gone the waiting ones are refused without a transaction each.
        using var turn = await book.WriteTurnAsync(campaign.Id, ct);
        if (s.SoldOutSeen)
            return new(ClaimOutcome.SoldOut);
        var claim = new CampaignClaim
        {
            WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, MemberId = memberId, Quantity = n, RequestId = rid,
            Status = ClaimStatus.Reserved, CreatedAt = now, ExpiresAt = now + options.Value.PaymentWindow,
        };
        var max = limit ?? int.MaxValue - n;
        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        var inserted = await SetWrites.ExecuteAsync(Db,
            """INSERT INTO "CampaignClaims" ("Id", "WorkspaceId", "CampaignId", "MemberId", "Quantity", "RequestId", "Status", "CreatedAt", "ExpiresAt")""",
            [[claim.Id, claim.WorkspaceId, claim.CampaignId, claim.MemberId, n, rid, (int)ClaimStatus.Reserved, now, claim.ExpiresAt]],
            """ON CONFLICT ("CampaignId", "RequestId") DO NOTHING""", ct);
        if (inserted == 0)
        {
            await tx.RollbackAsync(ct);
            entry.Claimed();
            return await FirstAsync(campaign.Id, rid, memberId, ct) ?? new(ClaimOutcome.Conflict, Detail: "The request id was used meanwhile.");
        }
        await SetWrites.ExecuteAsync(Db,
            """INSERT INTO "CampaignParticipants" ("Id", "WorkspaceId", "CampaignId", "MemberId", "CommunityId", "IsNewMember", "JoinedAt", "Units")""",
            [[Guid.CreateVersion7(), campaign.WorkspaceId, campaign.Id, memberId, community.Value, false, now, 0]],
            """ON CONFLICT ("CampaignId", "MemberId") DO NOTHING""", ct);
        var within = await Db.Set<CampaignParticipant>()
            .Where(p => p.CampaignId == campaign.Id && p.MemberId == memberId && p.Units + n <= max)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Units, p => p.Units + n), ct);
        if (within == 0)
        {
            await tx.RollbackAsync(ct);
            var held = await Db.Set<CampaignParticipant>().AsNoTracking()
                .Where(p => p.CampaignId == campaign.Id && p.MemberId == memberId).Select(p => p.Units).SingleOrDefaultAsync(ct);
            return new(ClaimOutcome.OverLimit, Remaining: Math.Max(0, max - held));
        }
        var taken = await Db.Set<Campaign>()
            .Where(c => c.Id == campaign.Id && c.Status == CampaignStatus.Published && c.StockLeft >= n)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.StockLeft, c => c.StockLeft - n), ct);
        if (taken == 0)
        {
            await tx.RollbackAsync(ct);
            var left = await Db.Set<Campaign>().AsNoTracking().Where(c => c.Id == campaign.Id).Select(c => c.StockLeft).SingleAsync(ct);
            if (left == 0)
                s.SoldOutSeen = true;
            return new(ClaimOutcome.SoldOut, Remaining: left);
        }
        await tx.CommitAsync(ct);
        entry.Claimed();
        return new(ClaimOutcome.Done, ClaimDto.Of(claim));
    }

    private async Task<ClaimResult?> FirstAsync(Guid campaignId, string requestId, Guid memberId, CancellationToken ct)
    {
        var first = await Db.Set<CampaignClaim>().AsNoTracking().SingleOrDefaultAsync(c => c.CampaignId == campaignId && c.RequestId == requestId, ct);
        if (first is null)
            return null;
        return first.MemberId == memberId
            ? new(ClaimOutcome.Done, ClaimDto.Of(first), Replayed: true)
            : new(ClaimOutcome.Conflict, Detail: "This request id belongs to another claim.");
    }

    /// <summary>
    /// The shop's order confirmation: reserved → paid with the order id, and the participant completed, in one transaction.
    /// Idempotent by order id: the same confirmation again answers the same claim; another order id for a paid claim, or
    /// any for a released one, is a conflict.
    /// </summary>
    public async Task<ClaimResult> PayAsync(Guid campaignId, Guid claimId, string? orderId, CancellationToken ct = default)
    {
        var v = new Validation().Required("orderId", orderId?.Trim(), CampaignClaim.OrderIdMaxLength);
        if (!v.IsValid)
            return new(ClaimOutcome.Invalid, Validation: v);
        var order = orderId!.Trim();
        var claims = Db.Set<CampaignClaim>();
        var claim = await claims.AsNoTracking().SingleOrDefaultAsync(c => c.Id == claimId && c.CampaignId == campaignId, ct);
        if (claim is null)
            return new(ClaimOutcome.NotFound);
        var now = Now;
        await using (var tx = await Db.Database.BeginTransactionAsync(ct))
        {
            var paid = await claims.Where(c => c.Id == claimId && c.Status == ClaimStatus.Reserved)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.Status, ClaimStatus.Paid).SetProperty(c => c.PaidAt, now).SetProperty(c => c.OrderId, order), ct);
            if (paid == 1)
            {
                await Db.Set<CampaignParticipant>().Where(p => p.CampaignId == campaignId && p.MemberId == claim.MemberId && p.CompletedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(p => p.CompletedAt, now), ct);
                await tx.CommitAsync(ct);
            }
        }
        var after = await claims.AsNoTracking().SingleAsync(c => c.Id == claimId, ct);
        return after switch
        {
            { Status: ClaimStatus.Paid } when after.OrderId == order => new(ClaimOutcome.Done, ClaimDto.Of(after)),
            { Status: ClaimStatus.Paid } => new(ClaimOutcome.Conflict, ClaimDto.Of(after), Detail: "The claim was paid with another order."),
            _ => new(ClaimOutcome.Conflict, ClaimDto.Of(after), Detail: "The payment window passed: the claim was released and its units went back to the stock."),
        };
    }

    /// <summary>
    /// Releases a reservation whose payment window passed: reserved → released, the member's units and the stock given
    /// back, in one transaction; false when it was paid or released meanwhile (by another node, or a payment).
    /// </summary>
    public async Task<bool> ReleaseAsync(Guid claimId, CancellationToken ct = default)
    {
        var now = Now;
        var claims = Db.Set<CampaignClaim>().IgnoreQueryFilters();
        var claim = await claims.AsNoTracking().SingleOrDefaultAsync(c => c.Id == claimId, ct);
        if (claim is null || claim.Status != ClaimStatus.Reserved)
            return false;
        var n = claim.Quantity;
        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        var moved = await claims.Where(c => c.Id == claimId && c.Status == ClaimStatus.Reserved && c.ExpiresAt <= now)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Status, ClaimStatus.Released).SetProperty(c => c.ReleasedAt, now), ct);
        if (moved == 0)
            return false;
        await Db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == claim.CampaignId && p.MemberId == claim.MemberId)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Units, p => p.Units - n), ct);
        await Db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == claim.CampaignId)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.StockLeft, c => c.StockLeft + n), ct);
        await tx.CommitAsync(ct);
        var slug = await Db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == claim.CampaignId).Select(c => c.Slug).SingleAsync(ct);
        snapshots.Invalidate(slug);
        return true;
    }

    /// <summary>Up to <paramref name="max"/> reservations whose window passed, oldest first.</summary>
    public async Task<IReadOnlyList<Guid>> ExpiredAsync(int max, CancellationToken ct = default) =>
        await Db.Set<CampaignClaim>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.Status == ClaimStatus.Reserved && c.ExpiresAt <= Now)
            .OrderBy(c => c.ExpiresAt).Take(max).Select(c => c.Id).ToListAsync(ct);
}
