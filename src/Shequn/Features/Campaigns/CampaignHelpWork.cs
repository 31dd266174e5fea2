using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

/// <summary>How a start, a cut, a help, a coupon claim, a payment or a redemption ended.</summary>
public enum HelpOutcome
{
    /// <summary>Done (new, or a replay answered with the first result: <see cref="HelpResult{T}.Replayed"/>).</summary>
    Done,
    Invalid,
    NotFound,
    /// <summary>Draft, upcoming, ended or cancelled, or not of this mechanic.</summary>
    NotRunning,
    NotInAudience,
    /// <summary>The campaign's anti-abuse settings leave the member (or the helper) out (<see cref="HelpResult{T}.Excluded"/>).</summary>
    Excluded,
    /// <summary>A member cannot cut their own bargain or help their own request.</summary>
    SelfHelp,
    /// <summary>The bargain reached its floor, or the request has all the help it needs (or was paid).</summary>
    Finished,
    SoldOut,
    OverLimit,
    /// <summary>The state does not allow it (another order id, a void coupon, a request id of someone else).</summary>
    Conflict,
    /// <summary>The staff member's role may not do this (a KOC voiding a code).</summary>
    Forbidden,
}

public sealed record HelpResult<T>(HelpOutcome Outcome, T? Value = default, Validation? Validation = null, bool Replayed = false, string? Detail = null,
    ExclusionReason Excluded = ExclusionReason.None);

public sealed record BargainCutDto(Guid HelperMemberId, string HelperName, int Position, long AmountFen, DateTime CreatedAt);

public sealed record BargainDto(Guid Id, Guid CampaignId, Guid MemberId, string MemberName, long StartPriceFen, long FloorPriceFen, long PriceFen, int Cuts, int Helpers,
    BargainStatus Status, DateTime CreatedAt, DateTime? ReachedAt, DateTime? PaidAt, string? OrderId, long? PaidPriceFen, IReadOnlyList<BargainCutDto> CutList);

public sealed record AssistHelpDto(Guid HelperMemberId, string HelperName, int Position, DateTime CreatedAt);

public sealed record AssistDto(Guid Id, Guid CampaignId, Guid MemberId, string MemberName, int Needed, int Helps, AssistStatus Status, DateTime CreatedAt, DateTime? CompletedAt,
    IReadOnlyList<AssistHelpDto> HelpList);

public sealed record CouponDto(Guid Id, Guid CampaignId, Guid MemberId, string MemberName, string Code, long FaceValueFen, CouponStatus Status, DateTime IssuedAt, DateTime? UsedAt,
    string? OrderId, Guid? GrantId, DateTime? ValidUntil = null, DateTime? VoidedAt = null);

/// <summary>
/// 砍 bargains, 帮 assists and 券 coupons at run time (campaigns.md). Each write is one transaction that first takes the
/// row it changes (a no-op update, so two friends of one bargain queue instead of racing), reads the state under that
/// lock, inserts the helper's row under its unique key (a replay inserts nothing and is answered with the first result)
/// and moves the counters by an update conditional on the count it read. Coupons follow the flash sale: a claim row
/// under its unique request id, the member's count raised only within the limit, the stock lowered only while some is
/// left; a code moves from unused to used only once.
/// </summary>
public sealed class CampaignHelpWork(AppDbContext db, CampaignSnapshots snapshots, TimeProvider time)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public static Validation CheckRequest(string? requestId) => new Validation().Required("requestId", requestId?.Trim(), CampaignBargain.RequestIdMaxLength);

    // ---- 砍 bargains ----

    /// <summary>Starts the member's bargain at the campaign's price; a second start (any request id) answers the first bargain.</summary>
    public async Task<HelpResult<BargainDto>> StartBargainAsync(CampaignSnapshot s, Guid memberId, string? requestId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var v = CheckRequest(requestId);
        if (!v.IsValid)
            return new(HelpOutcome.Invalid, Validation: v);
        var c = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(c.WorkspaceId);
        if (await db.Set<CampaignBargain>().AsNoTracking().SingleOrDefaultAsync(b => b.CampaignId == c.Id && b.MemberId == memberId, ct) is { } first)
            return new(HelpOutcome.Done, await BargainDtoAsync(first, ct), Replayed: true);
        var now = Now;
        if (c.Kind != CampaignKind.Bargain || c.PhaseAt(now) != CampaignPhase.Running || s.Rules is not { PriceFen: { } price, FloorPriceFen: { } floor, Helpers: { } helpers })
            return new(HelpOutcome.NotRunning);
        if (await snapshots.AudienceCommunityAsync(s, memberId, ct) is not { } community)
            return new(HelpOutcome.NotInAudience);
        if (await snapshots.ExclusionAsync(s, memberId, ct) is not ExclusionReason.None and var excluded)
            return new(HelpOutcome.Excluded, Excluded: excluded);
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var inserted = await SetWrites.ExecuteAsync(db,
                """INSERT INTO "CampaignBargains" ("Id", "WorkspaceId", "CampaignId", "MemberId", "CommunityId", "RequestId", "StartPriceFen", "FloorPriceFen", "Helpers", "PriceFen", "Cuts", "Status", "CreatedAt")""",
                [[Guid.CreateVersion7(), c.WorkspaceId, c.Id, memberId, community, requestId!.Trim(), price, floor, helpers, price, 0, (int)BargainStatus.Open, now]],
                """ON CONFLICT ("CampaignId", "MemberId") DO NOTHING""", ct);
            if (inserted == 1)
                await JoinAsync(c, memberId, community, now, ct);
            await tx.CommitAsync(ct);
            var stored = await db.Set<CampaignBargain>().AsNoTracking().SingleAsync(b => b.CampaignId == c.Id && b.MemberId == memberId, ct);
            return new(HelpOutcome.Done, await BargainDtoAsync(stored, ct), Replayed: inserted == 0);
        }
    }

    /// <summary>
    /// A friend's cut (<see cref="BargainPlan.NextCut"/> of what is left above the floor for the helpers still to come): once
    /// per friend and bargain, never the member's own; the last cut lands on the floor exactly.
    /// </summary>
    public async Task<HelpResult<BargainDto>> CutAsync(CampaignSnapshot s, Guid bargainId, Guid helperId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var c = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(c.WorkspaceId);
        var bargains = db.Set<CampaignBargain>();
        var bargain = await bargains.AsNoTracking().SingleOrDefaultAsync(b => b.Id == bargainId && b.CampaignId == c.Id, ct);
        if (bargain is null)
            return new(HelpOutcome.NotFound);
        if (await CutOfAsync(bargainId, helperId, ct))
            return new(HelpOutcome.Done, await BargainDtoAsync(bargain, ct), Replayed: true);
        if (bargain.MemberId == helperId)
            return new(HelpOutcome.SelfHelp);
        var now = Now;
        if (c.PhaseAt(now) != CampaignPhase.Running)
            return new(HelpOutcome.NotRunning);
        if (await snapshots.AudienceCommunityAsync(s, helperId, ct) is null)
            return new(HelpOutcome.NotInAudience);
        if (await snapshots.ExclusionAsync(s, helperId, ct) is not ExclusionReason.None and var excluded)
            return new(HelpOutcome.Excluded, Excluded: excluded);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The bargain's row lock: the read and the writes below see no other cut in between.
        await bargains.Where(b => b.Id == bargainId).ExecuteUpdateAsync(u => u.SetProperty(b => b.Cuts, b => b.Cuts), ct);
        var state = await bargains.AsNoTracking().SingleAsync(b => b.Id == bargainId, ct);
        if (await CutOfAsync(bargainId, helperId, ct))
        {
            await tx.RollbackAsync(ct);
            return new(HelpOutcome.Done, await BargainDtoAsync(state, ct), Replayed: true);
        }
        if (state.Status != BargainStatus.Open || state.Cuts >= state.Helpers)
        {
            await tx.RollbackAsync(ct);
            return new(HelpOutcome.Finished, await BargainDtoAsync(state, ct));
        }
        var amount = BargainPlan.NextCut(state.PlanRules(), state.PriceFen - state.FloorPriceFen, state.Helpers - state.Cuts);
        var position = state.Cuts + 1;
        var inserted = await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignBargainCuts" ("Id", "WorkspaceId", "BargainId", "HelperMemberId", "Position", "AmountFen", "CreatedAt")""",
            [[Guid.CreateVersion7(), c.WorkspaceId, bargainId, helperId, position, amount, now]],
            "ON CONFLICT DO NOTHING", ct);
        var last = position == state.Helpers;
        var expected = state.Cuts;
        var moved = inserted == 0 ? 0 : await bargains
            .Where(b => b.Id == bargainId && b.Cuts == expected && b.Status == BargainStatus.Open && b.PriceFen - amount >= b.FloorPriceFen)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.PriceFen, b => b.PriceFen - amount).SetProperty(b => b.Cuts, b => b.Cuts + 1)
                .SetProperty(b => b.Status, last ? BargainStatus.Reached : BargainStatus.Open).SetProperty(b => b.ReachedAt, last ? now : (DateTime?)null), ct);
        if (moved == 0)
        {
            await tx.RollbackAsync(ct);
            return new(HelpOutcome.Conflict, Detail: "Another cut was counted meanwhile; try again.");
        }
        await tx.CommitAsync(ct);
        return new(HelpOutcome.Done, await BargainDtoAsync(await bargains.AsNoTracking().SingleAsync(b => b.Id == bargainId, ct), ct));
    }

    /// <summary>
    /// The shop's order confirmation: the bargain is bought at the price it reached (open or at the floor), the participant
    /// completed. Idempotent by order id: the same id again answers the same bargain, another is a conflict.
    /// </summary>
    public async Task<HelpResult<BargainDto>> PayBargainAsync(Guid campaignId, Guid bargainId, string? orderId, CancellationToken ct = default)
    {
        var v = new Validation().Required("orderId", orderId?.Trim(), CampaignClaim.OrderIdMaxLength);
        if (!v.IsValid)
            return new(HelpOutcome.Invalid, Validation: v);
        var order = orderId!.Trim();
        var bargains = db.Set<CampaignBargain>();
        var bargain = await bargains.AsNoTracking().SingleOrDefaultAsync(b => b.Id == bargainId && b.CampaignId == campaignId, ct);
        if (bargain is null)
            return new(HelpOutcome.NotFound);
        var now = Now;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var paid = await bargains.Where(b => b.Id == bargainId && b.Status != BargainStatus.Paid)
                .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, BargainStatus.Paid).SetProperty(b => b.PaidAt, now).SetProperty(b => b.OrderId, order)
                    .SetProperty(b => b.PaidPriceFen, b => b.PriceFen), ct);
            if (paid == 1)
            {
                await CompleteAsync(campaignId, bargain.MemberId, now, ct);
                await tx.CommitAsync(ct);
            }
        }
        var after = await bargains.AsNoTracking().SingleAsync(b => b.Id == bargainId, ct);
        return after.OrderId == order
            ? new(HelpOutcome.Done, await BargainDtoAsync(after, ct))
            : new(HelpOutcome.Conflict, await BargainDtoAsync(after, ct), Detail: "The bargain was paid with another order.");
    }

    /// <summary>A bargain as the page shows it, or null when it is not of this campaign.</summary>
    public async Task<BargainDto?> BargainAsync(Guid campaignId, Guid bargainId, CancellationToken ct = default) =>
        await db.Set<CampaignBargain>().AsNoTracking().SingleOrDefaultAsync(b => b.Id == bargainId && b.CampaignId == campaignId, ct) is { } b
            ? await BargainDtoAsync(b, ct) : null;

    /// <summary>A campaign's bargains with their cuts, newest first (at most 500).</summary>
    public async Task<IReadOnlyList<BargainDto>> BargainsAsync(Guid campaignId, CancellationToken ct = default)
    {
        var rows = await db.Set<CampaignBargain>().AsNoTracking().Where(b => b.CampaignId == campaignId)
            .OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id).Take(500).ToListAsync(ct);
        var ids = rows.Select(b => b.Id).ToList();
        var cuts = await db.Set<CampaignBargainCut>().AsNoTracking().Where(x => ids.Contains(x.BargainId)).ToListAsync(ct);
        var names = await NamesAsync(rows.Select(b => b.MemberId).Concat(cuts.Select(x => x.HelperMemberId)), ct);
        return [.. rows.Select(b => BargainDtoOf(b, cuts.Where(x => x.BargainId == b.Id), names))];
    }

    private Task<bool> CutOfAsync(Guid bargainId, Guid helperId, CancellationToken ct) =>
        db.Set<CampaignBargainCut>().AnyAsync(x => x.BargainId == bargainId && x.HelperMemberId == helperId, ct);

    private async Task<BargainDto> BargainDtoAsync(CampaignBargain b, CancellationToken ct)
    {
        var cuts = await db.Set<CampaignBargainCut>().AsNoTracking().Where(x => x.BargainId == b.Id).ToListAsync(ct);
        var names = await NamesAsync(cuts.Select(x => x.HelperMemberId).Append(b.MemberId), ct);
        return BargainDtoOf(b, cuts, names);
    }

    private static BargainDto BargainDtoOf(CampaignBargain b, IEnumerable<CampaignBargainCut> cuts, Dictionary<Guid, string> names) =>
        new(b.Id, b.CampaignId, b.MemberId, names.GetValueOrDefault(b.MemberId) ?? "", b.StartPriceFen, b.FloorPriceFen, b.PriceFen, b.Cuts, b.Helpers, b.Status, b.CreatedAt,
            b.ReachedAt, b.PaidAt, b.OrderId, b.PaidPriceFen,
            [.. cuts.OrderBy(x => x.Position).Select(x => new BargainCutDto(x.HelperMemberId, names.GetValueOrDefault(x.HelperMemberId) ?? "", x.Position, x.AmountFen, x.CreatedAt))]);

    // ---- 帮 assists ----

    /// <summary>Opens the member's assist request; a second open answers the first request.</summary>
    public async Task<HelpResult<AssistDto>> StartAssistAsync(CampaignSnapshot s, Guid memberId, string? requestId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var v = CheckRequest(requestId);
        if (!v.IsValid)
            return new(HelpOutcome.Invalid, Validation: v);
        var c = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(c.WorkspaceId);
        if (await db.Set<CampaignAssist>().AsNoTracking().SingleOrDefaultAsync(a => a.CampaignId == c.Id && a.MemberId == memberId, ct) is { } first)
            return new(HelpOutcome.Done, await AssistDtoAsync(first, ct), Replayed: true);
        var now = Now;
        if (c.Kind != CampaignKind.Assist || c.PhaseAt(now) != CampaignPhase.Running)
            return new(HelpOutcome.NotRunning);
        if (await snapshots.AudienceCommunityAsync(s, memberId, ct) is not { } community)
            return new(HelpOutcome.NotInAudience);
        if (await snapshots.ExclusionAsync(s, memberId, ct) is not ExclusionReason.None and var excluded)
            return new(HelpOutcome.Excluded, Excluded: excluded);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var inserted = await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignAssists" ("Id", "WorkspaceId", "CampaignId", "MemberId", "CommunityId", "RequestId", "Needed", "Helps", "Status", "CreatedAt")""",
            [[Guid.CreateVersion7(), c.WorkspaceId, c.Id, memberId, community, requestId!.Trim(), s.Rules.InviteesNeeded ?? 1, 0, (int)AssistStatus.Open, now]],
            """ON CONFLICT ("CampaignId", "MemberId") DO NOTHING""", ct);
        if (inserted == 1)
            await JoinAsync(c, memberId, community, now, ct);
        await tx.CommitAsync(ct);
        var stored = await db.Set<CampaignAssist>().AsNoTracking().SingleAsync(a => a.CampaignId == c.Id && a.MemberId == memberId, ct);
        return new(HelpOutcome.Done, await AssistDtoAsync(stored, ct), Replayed: inserted == 0);
    }

    /// <summary>
    /// A friend's help, once per friend and request, never the member's own. The help that reaches
    /// <see cref="CampaignRules.InviteesNeeded"/> completes the participant and grants the first reward once
    /// (key <c>assist:{request}</c>) while its quantity lasts, in the same transaction.
    /// </summary>
    public async Task<HelpResult<AssistDto>> HelpAsync(CampaignSnapshot s, Guid assistId, Guid helperId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var c = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(c.WorkspaceId);
        var assists = db.Set<CampaignAssist>();
        var assist = await assists.AsNoTracking().SingleOrDefaultAsync(a => a.Id == assistId && a.CampaignId == c.Id, ct);
        if (assist is null)
            return new(HelpOutcome.NotFound);
        if (await HelpOfAsync(assistId, helperId, ct))
            return new(HelpOutcome.Done, await AssistDtoAsync(assist, ct), Replayed: true);
        if (assist.MemberId == helperId)
            return new(HelpOutcome.SelfHelp);
        var now = Now;
        if (c.PhaseAt(now) != CampaignPhase.Running)
            return new(HelpOutcome.NotRunning);
        if (await snapshots.AudienceCommunityAsync(s, helperId, ct) is null)
            return new(HelpOutcome.NotInAudience);
        if (await snapshots.ExclusionAsync(s, helperId, ct) is not ExclusionReason.None and var excluded)
            return new(HelpOutcome.Excluded, Excluded: excluded);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await assists.Where(a => a.Id == assistId).ExecuteUpdateAsync(u => u.SetProperty(a => a.Helps, a => a.Helps), ct);
        var state = await assists.AsNoTracking().SingleAsync(a => a.Id == assistId, ct);
        if (await HelpOfAsync(assistId, helperId, ct))
        {
            await tx.RollbackAsync(ct);
            return new(HelpOutcome.Done, await AssistDtoAsync(state, ct), Replayed: true);
        }
        if (state.Status != AssistStatus.Open || state.Helps >= state.Needed)
        {
            await tx.RollbackAsync(ct);
            return new(HelpOutcome.Finished, await AssistDtoAsync(state, ct));
        }
        var position = state.Helps + 1;
        var inserted = await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignAssistHelps" ("Id", "WorkspaceId", "AssistId", "HelperMemberId", "Position", "CreatedAt")""",
            [[Guid.CreateVersion7(), c.WorkspaceId, assistId, helperId, position, now]], "ON CONFLICT DO NOTHING", ct);
        var done = position == state.Needed;
        var expected = state.Helps;
        var moved = inserted == 0 ? 0 : await assists.Where(a => a.Id == assistId && a.Helps == expected && a.Status == AssistStatus.Open)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Helps, a => a.Helps + 1)
                .SetProperty(a => a.Status, done ? AssistStatus.Completed : AssistStatus.Open).SetProperty(a => a.CompletedAt, done ? now : (DateTime?)null), ct);
        if (moved == 0)
        {
            await tx.RollbackAsync(ct);
            return new(HelpOutcome.Conflict, Detail: "Another help was counted meanwhile; try again.");
        }
        if (done)
        {
            await CompleteAsync(c.Id, state.MemberId, now, ct);
            // The campaign's row lock: two requests completing at once cannot both take the last of the reward's quantity.
            await db.Set<Campaign>().Where(x => x.Id == c.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.StockLeft, x => x.StockLeft), ct);
            var campaign = await db.Set<Campaign>().AsNoTracking().SingleAsync(x => x.Id == c.Id, ct);
            var rewards = campaign.RewardsValue();
            var given = rewards.Count == 0 ? 0
                : await db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == c.Id && g.RewardIndex == 0 && g.Status != GrantStatus.Void, ct);
            if (rewards.Count > 0 && given < rewards[0].Quantity && await CampaignGrants.AddOnceAsync(db, campaign, 0, state.MemberId, $"assist:{assistId:N}", now, ct))
                await db.SaveChangesWithoutAuditAsync(ct);
        }
        await tx.CommitAsync(ct);
        return new(HelpOutcome.Done, await AssistDtoAsync(await assists.AsNoTracking().SingleAsync(a => a.Id == assistId, ct), ct));
    }

    public async Task<AssistDto?> AssistAsync(Guid campaignId, Guid assistId, CancellationToken ct = default) =>
        await db.Set<CampaignAssist>().AsNoTracking().SingleOrDefaultAsync(a => a.Id == assistId && a.CampaignId == campaignId, ct) is { } a
            ? await AssistDtoAsync(a, ct) : null;

    /// <summary>A campaign's assist requests with their helpers, newest first (at most 500).</summary>
    public async Task<IReadOnlyList<AssistDto>> AssistsAsync(Guid campaignId, CancellationToken ct = default)
    {
        var rows = await db.Set<CampaignAssist>().AsNoTracking().Where(a => a.CampaignId == campaignId)
            .OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id).Take(500).ToListAsync(ct);
        var ids = rows.Select(a => a.Id).ToList();
        var helps = await db.Set<CampaignAssistHelp>().AsNoTracking().Where(h => ids.Contains(h.AssistId)).ToListAsync(ct);
        var names = await NamesAsync(rows.Select(a => a.MemberId).Concat(helps.Select(h => h.HelperMemberId)), ct);
        return [.. rows.Select(a => AssistDtoOf(a, helps.Where(h => h.AssistId == a.Id), names))];
    }

    private Task<bool> HelpOfAsync(Guid assistId, Guid helperId, CancellationToken ct) =>
        db.Set<CampaignAssistHelp>().AnyAsync(h => h.AssistId == assistId && h.HelperMemberId == helperId, ct);

    private async Task<AssistDto> AssistDtoAsync(CampaignAssist a, CancellationToken ct)
    {
        var helps = await db.Set<CampaignAssistHelp>().AsNoTracking().Where(h => h.AssistId == a.Id).ToListAsync(ct);
        var names = await NamesAsync(helps.Select(h => h.HelperMemberId).Append(a.MemberId), ct);
        return AssistDtoOf(a, helps, names);
    }

    private static AssistDto AssistDtoOf(CampaignAssist a, IEnumerable<CampaignAssistHelp> helps, Dictionary<Guid, string> names) =>
        new(a.Id, a.CampaignId, a.MemberId, names.GetValueOrDefault(a.MemberId) ?? "", a.Needed, a.Helps, a.Status, a.CreatedAt, a.CompletedAt,
            [.. helps.OrderBy(h => h.Position).Select(h => new AssistHelpDto(h.HelperMemberId, names.GetValueOrDefault(h.HelperMemberId) ?? "", h.Position, h.CreatedAt))]);

    // ---- 券 coupons ----

    /// <summary>
    /// Claims one coupon of a coupon campaign for the member: at most <see cref="CampaignRules.PerPersonLimit"/> (default 1)
    /// each and <see cref="CampaignRules.Stock"/> in all; the face value is the campaign's first coupon reward's.
    /// </summary>
    public async Task<HelpResult<CouponDto>> ClaimCouponAsync(CampaignSnapshot s, Guid memberId, string? requestId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var v = CheckRequest(requestId);
        if (!v.IsValid)
            return new(HelpOutcome.Invalid, Validation: v);
        var rid = requestId!.Trim();
        var c = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(c.WorkspaceId);
        var coupons = db.Set<CampaignCoupon>();
        if (await coupons.AsNoTracking().SingleOrDefaultAsync(x => x.CampaignId == c.Id && x.RequestId == rid, ct) is { } first)
            return first.MemberId == memberId
                ? new(HelpOutcome.Done, await CouponDtoAsync(first, ct), Replayed: true)
                : new(HelpOutcome.Conflict, Detail: "This request id belongs to another claim.");
        var now = Now;
        var reward = c.RewardsValue().FirstOrDefault(r => r.Kind == RewardKind.Coupon);
        if (c.Kind != CampaignKind.Coupon || c.PhaseAt(now) != CampaignPhase.Running || reward is null)
            return new(HelpOutcome.NotRunning);
        if (await snapshots.AudienceCommunityAsync(s, memberId, ct) is not { } community)
            return new(HelpOutcome.NotInAudience);
        if (await snapshots.ExclusionAsync(s, memberId, ct) is not ExclusionReason.None and var excluded)
            return new(HelpOutcome.Excluded, Excluded: excluded);
        if (s.SoldOutSeen)
            return new(HelpOutcome.SoldOut);
        var limit = s.Rules.PerPersonLimit ?? 1;
        var coupon = new CampaignCoupon
        {
            WorkspaceId = c.WorkspaceId, CampaignId = c.Id, MemberId = memberId, Code = CampaignCoupon.NewCode(), FaceValueFen = reward.ValueFen,
            Status = CouponStatus.Unused, IssuedAt = now, ValidUntil = s.Rules.CouponValidUntil(now), RequestId = rid,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var inserted = await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignCoupons" ("Id", "WorkspaceId", "CampaignId", "MemberId", "Code", "FaceValueFen", "Status", "IssuedAt", "RequestId")""",
            [[coupon.Id, coupon.WorkspaceId, coupon.CampaignId, memberId, coupon.Code, coupon.FaceValueFen, (int)CouponStatus.Unused, now, rid]],
            """ON CONFLICT ("CampaignId", "RequestId") DO NOTHING""", ct);
        if (inserted == 0)
        {
            await tx.RollbackAsync(ct);
            return await coupons.AsNoTracking().SingleOrDefaultAsync(x => x.CampaignId == c.Id && x.RequestId == rid, ct) is { } raced && raced.MemberId == memberId
                ? new(HelpOutcome.Done, await CouponDtoAsync(raced, ct), Replayed: true)
                : new(HelpOutcome.Conflict, Detail: "This request id belongs to another claim.");
        }
        if (coupon.ValidUntil is { } until)
            await coupons.Where(x => x.Id == coupon.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.ValidUntil, until), ct);
        await JoinAsync(c, memberId, community, now, ct);
        var within = await db.Set<CampaignParticipant>().Where(p => p.CampaignId == c.Id && p.MemberId == memberId && p.Units + 1 <= limit)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Units, p => p.Units + 1), ct);
        if (within == 0)
        {
            await tx.RollbackAsync(ct);
            return new(HelpOutcome.OverLimit);
        }
        var taken = await db.Set<Campaign>().Where(x => x.Id == c.Id && x.Status == CampaignStatus.Published && x.StockLeft >= 1)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.StockLeft, x => x.StockLeft - 1), ct);
        if (taken == 0)
        {
            await tx.RollbackAsync(ct);
            s.SoldOutSeen = true;
            return new(HelpOutcome.SoldOut);
        }
        await tx.CommitAsync(ct);
        return new(HelpOutcome.Done, await CouponDtoAsync(coupon, ct));
    }

    /// <summary>
    /// The shop redeems a code for an order: unused → used once. The same order again answers the same coupon; another
    /// order, or a void coupon, is a conflict. A coupon campaign's participant completes on redemption.
    /// </summary>
    public async Task<HelpResult<CouponDto>> RedeemAsync(string? code, string? orderId, Func<Campaign, bool> sees, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sees);
        var v = new Validation().Required("code", code?.Trim(), 40).Required("orderId", orderId?.Trim(), CampaignClaim.OrderIdMaxLength);
        if (!v.IsValid)
            return new(HelpOutcome.Invalid, Validation: v);
        var order = orderId!.Trim();
        var coupons = db.Set<CampaignCoupon>();
        if (await VisibleCouponAsync(code!, sees, ct) is not { } found)
            return new(HelpOutcome.NotFound);
        var (coupon, campaign) = found;
        var now = Now;
        var used = 0;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            used = await coupons.Where(x => x.Id == coupon.Id && x.Status == CouponStatus.Unused && (x.ValidUntil == null || x.ValidUntil > now))
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, CouponStatus.Used).SetProperty(x => x.UsedAt, now).SetProperty(x => x.OrderId, order), ct);
            if (used == 1 && campaign.Kind == CampaignKind.Coupon)
                await CompleteAsync(campaign.Id, coupon.MemberId, now, ct);
            await tx.CommitAsync(ct);
        }
        var after = await coupons.AsNoTracking().SingleAsync(x => x.Id == coupon.Id, ct);
        return after switch
        {
            { Status: CouponStatus.Used } when after.OrderId == order => new(HelpOutcome.Done, await CouponDtoAsync(after, ct), Replayed: used == 0),
            { Status: CouponStatus.Used } => new(HelpOutcome.Conflict, await CouponDtoAsync(after, ct), Detail: "The coupon was already used for another order."),
            { Status: CouponStatus.Unused, ValidUntil: { } until } => new(HelpOutcome.Conflict, await CouponDtoAsync(after, ct),
                Detail: $"The coupon expired: it was valid until {until:yyyy-MM-dd HH:mm} UTC."),
            _ => new(HelpOutcome.Conflict, await CouponDtoAsync(after, ct), Detail: "The coupon is void."),
        };
    }

    /// <summary>The coupon a code names and its campaign, when the caller sees the campaign; otherwise null.</summary>
    private async Task<(CampaignCoupon Coupon, Campaign Campaign)?> VisibleCouponAsync(string code, Func<Campaign, bool> sees, CancellationToken ct)
    {
        var normalized = CampaignCoupon.Normalize(code);
        var coupon = await db.Set<CampaignCoupon>().AsNoTracking().SingleOrDefaultAsync(x => x.Code == normalized, ct);
        var campaign = coupon is null ? null : await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(x => x.Id == coupon.CampaignId, ct);
        return coupon is null || campaign is null || !sees(campaign) ? null : (coupon, campaign);
    }

    /// <summary>
    /// Staff void an unused code: unused → void once, by an update conditional on unused, so a void and a redemption racing
    /// cannot both win. A used code, or one void already, is a conflict.
    /// </summary>
    public async Task<HelpResult<CouponDto>> VoidCouponAsync(string? code, Guid? staffId, Func<Campaign, bool> sees, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sees);
        var v = new Validation().Required("code", code?.Trim(), 40);
        if (!v.IsValid)
            return new(HelpOutcome.Invalid, Validation: v);
        var coupons = db.Set<CampaignCoupon>();
        if (await VisibleCouponAsync(code!, sees, ct) is not { Coupon: var coupon })
            return new(HelpOutcome.NotFound);
        var now = Now;
        var voided = await coupons.Where(x => x.Id == coupon.Id && x.Status == CouponStatus.Unused)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, CouponStatus.Void).SetProperty(x => x.VoidedAt, now).SetProperty(x => x.VoidedByStaffId, staffId), ct);
        var after = await coupons.AsNoTracking().SingleAsync(x => x.Id == coupon.Id, ct);
        return (voided, after.Status) switch
        {
            (1, _) => new(HelpOutcome.Done, await CouponDtoAsync(after, ct)),
            (_, CouponStatus.Used) => new(HelpOutcome.Conflict, await CouponDtoAsync(after, ct), Detail: $"The coupon was already used for order {after.OrderId}."),
            _ => new(HelpOutcome.Conflict, await CouponDtoAsync(after, ct), Detail: "The coupon is void already."),
        };
    }

    /// <summary>
    /// The signed-in staff member voids a code: the API's void and the console's button. KOCs cannot
    /// (<see cref="CampaignDesk.MayEdit"/>); a code of a campaign they do not see is not found.
    /// </summary>
    public async Task<HelpResult<CouponDto>> VoidByStaffAsync(string? code, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(HelpOutcome.NotFound);
        if (!CampaignDesk.MayEdit(me))
            return new(HelpOutcome.Forbidden, Detail: "KOCs cannot void coupons.");
        return await VoidCouponAsync(code, me.Id, c => CampaignDesk.Sees(me, c.CommunityIdsValue()), ct);
    }

    /// <summary>A campaign's coupons (claimed or issued for rewards), newest first (at most 1000).</summary>
    public async Task<IReadOnlyList<CouponDto>> CouponsAsync(Guid campaignId, CancellationToken ct = default)
    {
        var rows = await db.Set<CampaignCoupon>().AsNoTracking().Where(x => x.CampaignId == campaignId)
            .OrderByDescending(x => x.IssuedAt).ThenByDescending(x => x.Id).Take(1000).ToListAsync(ct);
        var names = await NamesAsync(rows.Select(x => x.MemberId), ct);
        return [.. rows.Select(x => CouponDtoOf(x, names))];
    }

    private async Task<CouponDto> CouponDtoAsync(CampaignCoupon x, CancellationToken ct) => CouponDtoOf(x, await NamesAsync([x.MemberId], ct));

    private static CouponDto CouponDtoOf(CampaignCoupon x, Dictionary<Guid, string> names) =>
        new(x.Id, x.CampaignId, x.MemberId, names.GetValueOrDefault(x.MemberId) ?? "", x.Code, x.FaceValueFen, x.Status, x.IssuedAt, x.UsedAt, x.OrderId, x.GrantId, x.ValidUntil, x.VoidedAt);

    // ---- shared ----

    /// <summary>The bargain (<c>?b=</c>) or assist request (<c>?a=</c>) a shared link names, when it is of this campaign.</summary>
    public async Task<SharedHelp?> SharedAsync(CampaignSnapshot s, IQueryCollection query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(query);
        var c = s.Campaign;
        var key = c.Kind switch { CampaignKind.Bargain => "b", CampaignKind.Assist => "a", _ => null };
        if (key is null || !Guid.TryParse(query[key].ToString(), out var id))
            return null;
        using var acting = db.Current.ActAsSystemWhile(c.WorkspaceId);
        return c.Kind == CampaignKind.Bargain
            ? await BargainAsync(c.Id, id, ct) is { } b ? new SharedHelp(Bargain: b) : null
            : await AssistAsync(c.Id, id, ct) is { } a ? new SharedHelp(Assist: a) : null;
    }

    /// <summary>The member's participant row, made on first need without an error on a race.</summary>
    private Task<int> JoinAsync(Campaign c, Guid memberId, Guid community, DateTime now, CancellationToken ct) =>
        SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignParticipants" ("Id", "WorkspaceId", "CampaignId", "MemberId", "CommunityId", "IsNewMember", "JoinedAt", "Units")""",
            [[Guid.CreateVersion7(), c.WorkspaceId, c.Id, memberId, community, false, now, 0]],
            """ON CONFLICT ("CampaignId", "MemberId") DO NOTHING""", ct);

    private Task<int> CompleteAsync(Guid campaignId, Guid memberId, DateTime now, CancellationToken ct) =>
        db.Set<CampaignParticipant>().Where(p => p.CampaignId == campaignId && p.MemberId == memberId && p.CompletedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.CompletedAt, now), ct);

    private async Task<Dictionary<Guid, string>> NamesAsync(IEnumerable<Guid> members, CancellationToken ct)
    {
        var ids = members.Distinct().ToList();
        return await db.Members.IgnoreQueryFilters().AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
    }
}
