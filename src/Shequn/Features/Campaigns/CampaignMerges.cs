using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Features.Campaigns;

/// <summary>A row of one member dropped by a merge because the other held the one allowed (kept whole for an unmerge).</summary>
public sealed record DroppedCampaignRow(string Table, string Row);

/// <summary>A flash-sale or coupon participant holding more units than the per-person limit after a merge (both bought).</summary>
public sealed record MergedOverLimit(Guid CampaignId, int Units, int Limit);

/// <summary>
/// A reward grant a merge withdrew: <c>duplicate</c> (the person held the same once-per-person reward under both
/// records; an unmerge gives it back) or <c>selfInvite</c> (earned by an invitation between the two; stays void), with the
/// status it had and the coupon voided with it.
/// </summary>
public sealed record VoidedCampaignGrant(Guid Id, GrantStatus Was, string Why, Guid? CouponId);

/// <summary>
/// What a member merge did to campaign rows: the ids moved per table and column (<c>Table.Column</c>), rows dropped
/// where the survivor held the one allowed, the participant and points-account counters folded in, invitations that
/// became self-invites, open swap offers declined, where the person now holds more than a limit, a friend's cut or help
/// on what became the person's own bargain or request (taken off), the grants withdrawn, and the grants that would have
/// been withdrawn but were already delivered, redeemed or spent (kept, for staff to see).
/// </summary>
public sealed record CampaignMoves(
    Dictionary<string, List<Guid>> Moved,
    List<DroppedCampaignRow> Dropped,
    List<DroppedCampaignRow> Folded,
    List<Guid> SelfInvites,
    List<Guid> DeclinedOffers,
    List<MergedOverLimit> OverLimit,
    List<DroppedCampaignRow>? SelfHelps = null,
    List<VoidedCampaignGrant>? VoidedGrants = null,
    List<Guid>? KeptGrants = null);

/// <summary>
/// Campaign rows follow a member merge (B into A) in the merge's transaction; see docs/campaign-merges.md for the rules.
/// Every table with a member column is handled here, so the merge's delete of B (which cascades) never takes a campaign
/// row with it. Sold rows (claims, paid bargains, paid seats) are never dropped: a merge that would have to is refused.
/// </summary>
public static class CampaignMerges
{
    /// <summary>Why merging B into A would lose a sold row, one line per case (empty: the merge may go ahead).</summary>
    public static async Task<List<string>> ConflictsAsync(AppDbContext db, Guid ws, Guid a, Guid b, CancellationToken ct)
    {
        var conflicts = new List<string>();
        var paid = await db.Set<CampaignBargain>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && (x.MemberId == a || x.MemberId == b) && x.Status == BargainStatus.Paid)
            .GroupBy(x => x.CampaignId).Where(g => g.Count() > 1).Select(g => g.Key).ToListAsync(ct);
        conflicts.AddRange(paid.Select(c => $"Both members paid a bargain in campaign {c}."));
        // A seat is a sold row while it is held, paid or refunding, and whenever a refund was recorded for it.
        var refunded = db.Set<CampaignRefund>().IgnoreQueryFilters().Where(r => r.WorkspaceId == ws).Select(r => r.SeatId);
        var seats = await db.Set<CampaignGroupSeat>().IgnoreQueryFilters()
            .Where(x => x.WorkspaceId == ws && (x.MemberId == a || x.MemberId == b) && (x.Status != SeatStatus.Released || refunded.Contains(x.Id)))
            .GroupBy(x => x.GroupId).Where(g => g.Count() > 1).Select(g => g.Key).ToListAsync(ct);
        conflicts.AddRange(seats.Select(g => $"Both members hold a seat in group-buy group {g}."));
        var drawn = await db.Set<LotteryEntry>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && (x.MemberId == a || x.MemberId == b))
            .GroupBy(x => x.CampaignId).Where(g => g.Count() > 1).Select(g => g.Key).ToListAsync(ct);
        var drawnIds = await db.Set<CampaignLottery>().IgnoreQueryFilters().Where(l => drawn.Contains(l.CampaignId) && l.DrawnAt != null).Select(l => l.CampaignId).ToListAsync(ct);
        conflicts.AddRange(drawnIds.Select(c => $"Both members entered lottery {c}, which is drawn: its published entry list cannot change."));
        return conflicts;
    }

    /// <summary>Moves every campaign row of B to A (call <see cref="ConflictsAsync"/> first, in the same transaction).</summary>
    public static async Task<CampaignMoves> MergeAsync(AppDbContext db, Guid ws, Guid a, Guid b, CancellationToken ct)
    {
        var moves = new CampaignMoves([], [], [], [], [], [], [], [], []);
        // Invitations between the two, before they move: what they earned is withdrawn below.
        var between = await db.Set<CampaignInvitation>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.WorkspaceId == ws && ((x.InviterMemberId == a && x.InviteeMemberId == b) || (x.InviterMemberId == b && x.InviteeMemberId == a)))
            .Select(x => new { x.CampaignId, x.InviteeMemberId }).ToListAsync(ct);

        // Participants: one per campaign; where both took part, A's row takes B's units and the earliest dates.
        var aParts = await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == a).ToDictionaryAsync(x => x.CampaignId, ct);
        var bParts = await db.Set<CampaignParticipant>().IgnoreQueryFilters().AsNoTracking().Where(x => x.WorkspaceId == ws && x.MemberId == b).ToListAsync(ct);
        foreach (var p in bParts.Where(p => aParts.ContainsKey(p.CampaignId)))
        {
            var into = aParts[p.CampaignId];
            into.Units += p.Units;
            into.JoinedAt = into.JoinedAt < p.JoinedAt ? into.JoinedAt : p.JoinedAt;
            into.CompletedAt = (into.CompletedAt, p.CompletedAt) switch { (null, var x) => x, (var x, null) => x, var (x, y) => x < y ? x : y };
            into.CommunityId ??= p.CommunityId;
            if (into.InvitedByMemberId is null && p.InvitedByMemberId != a)
                into.InvitedByMemberId = p.InvitedByMemberId;
            into.IsNewMember |= p.IsNewMember;
            moves.Folded.Add(Row(p));
        }
        var folded = bParts.Where(p => aParts.ContainsKey(p.CampaignId)).Select(p => p.Id).ToList();
        await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(x => folded.Contains(x.Id)).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        await MoveAsync<CampaignParticipant>(db, moves, ws, "MemberId", a, b, ct);
        var brought = await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.InvitedByMemberId == b).Select(x => x.Id).ToListAsync(ct);
        await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(x => brought.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.InvitedByMemberId, x => x.MemberId == a ? (Guid?)null : a), ct);
        if (brought.Count > 0)
            moves.Moved[$"{nameof(CampaignParticipant)}.{nameof(CampaignParticipant.InvitedByMemberId)}"] = brought;
        var limited = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && (c.Kind == CampaignKind.FlashSale || c.Kind == CampaignKind.Coupon || c.Kind == CampaignKind.GroupBuy) && aParts.Keys.Contains(c.Id)).ToListAsync(ct);
        foreach (var c in limited)
        {
            var limit = c.RulesValue().PerPersonLimit ?? (c.Kind == CampaignKind.FlashSale ? int.MaxValue : 1);
            if (aParts[c.Id].Units > limit)
                moves.OverLimit.Add(new(c.Id, aParts[c.Id].Units, limit));
        }

        // Rows with no one-per-person key move whole: what was sold, issued or asked for stays with the person.
        await MoveAsync<CampaignClaim>(db, moves, ws, nameof(CampaignClaim.MemberId), a, b, ct);
        await MoveAsync<CampaignRewardGrant>(db, moves, ws, nameof(CampaignRewardGrant.MemberId), a, b, ct);
        await MoveAsync<CampaignCoupon>(db, moves, ws, nameof(CampaignCoupon.MemberId), a, b, ct);
        await MoveAsync<CampaignRedemption>(db, moves, ws, nameof(CampaignRedemption.MemberId), a, b, ct);
        await MoveAsync<CampaignGroup>(db, moves, ws, nameof(CampaignGroup.LeaderMemberId), a, b, ct);
        await MoveAsync<CampaignRefund>(db, moves, ws, nameof(CampaignRefund.MemberId), a, b, ct);
        await MoveAsync<SwapItem>(db, moves, ws, nameof(SwapItem.OwnerMemberId), a, b, ct);

        // Group seats: one per group; where both held one, the released one goes (ConflictsAsync refused two live ones).
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignGroupSeat x) => x.GroupId, "MemberId", x => x.Status == SeatStatus.Released ? 0 : 1, ct);
        await MoveAsync<CampaignGroupSeat>(db, moves, ws, nameof(CampaignGroupSeat.MemberId), a, b, ct);

        // Points spent: one account per member; A's takes B's spending.
        if (await db.Set<CampaignPointsAccount>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(x => x.WorkspaceId == ws && x.MemberId == b, ct) is { } bAccount)
        {
            if (await db.Set<CampaignPointsAccount>().IgnoreQueryFilters().AnyAsync(x => x.WorkspaceId == ws && x.MemberId == a, ct))
            {
                await db.Set<CampaignPointsAccount>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == a)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Spent, x => x.Spent + bAccount.Spent), ct);
                await db.Set<CampaignPointsAccount>().IgnoreQueryFilters().Where(x => x.Id == bAccount.Id).ExecuteDeleteAsync(ct);
                moves.Folded.Add(Row(bAccount));
            }
            else
                await MoveAsync<CampaignPointsAccount>(db, moves, ws, nameof(CampaignPointsAccount.MemberId), a, b, ct);
        }

        // One a day (check-ins, photos, card draws): A's day stands; B's row of the same day goes (an approved photo beats a pending
        // one, a counted check-in one the anti-abuse settings left out, a real check-in a make-up card).
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignCheckIn x) => new { x.CampaignId, x.Day }, "MemberId",
            x => x.Excluded != ExclusionReason.None ? -1 : x.Source == CheckInSource.MakeUp ? 0 : 1, ct);
        await MoveAsync<CampaignCheckIn>(db, moves, ws, nameof(CampaignCheckIn.MemberId), a, b, ct);
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignPhoto x) => new { x.CampaignId, x.Day }, nameof(CampaignPhoto.MemberId),
            x => x.Status switch { PhotoStatus.Approved => 2, PhotoStatus.Pending => 1, _ => 0 }, ct);
        await MoveAsync<CampaignPhoto>(db, moves, ws, nameof(CampaignPhoto.MemberId), a, b, ct);
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignCardDraw x) => new { x.CampaignId, x.Day }, "MemberId", _ => 0, ct);
        await MoveAsync<CampaignCardDraw>(db, moves, ws, nameof(CampaignCardDraw.MemberId), a, b, ct);

        // One per campaign: the row further along stays (a paid bargain, a completed assist, the earlier entry, the first answers).
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignBargain x) => x.CampaignId, "MemberId", x => (int)x.Status * 10_000 + x.Cuts,
            dropped => db.Set<CampaignBargainCut>().IgnoreQueryFilters().AsNoTracking().Where(x => dropped.Contains(x.BargainId)).ToListAsync(ct), ct);
        await MoveAsync<CampaignBargain>(db, moves, ws, nameof(CampaignBargain.MemberId), a, b, ct);
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignAssist x) => x.CampaignId, "MemberId", x => (int)x.Status * 10_000 + x.Helps,
            dropped => db.Set<CampaignAssistHelp>().IgnoreQueryFilters().AsNoTracking().Where(x => dropped.Contains(x.AssistId)).ToListAsync(ct), ct);
        await MoveAsync<CampaignAssist>(db, moves, ws, nameof(CampaignAssist.MemberId), a, b, ct);
        await DropCollidingAsync(db, moves, ws, a, b, (LotteryEntry x) => x.CampaignId, "MemberId", x => -x.Number, ct);
        await MoveAsync<LotteryEntry>(db, moves, ws, nameof(LotteryEntry.MemberId), a, b, ct);
        await DropCollidingAsync(db, moves, ws, a, b, (QuizSubmission x) => x.CampaignId, "MemberId", x => -x.CreatedAt.Ticks, ct);
        await MoveAsync<QuizSubmission>(db, moves, ws, nameof(QuizSubmission.MemberId), a, b, ct);
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignLead x) => x.CampaignId, "MemberId", x => -x.ConsentedAt.Ticks, ct);
        await MoveAsync<CampaignLead>(db, moves, ws, nameof(CampaignLead.MemberId), a, b, ct);

        // A friend's cut or help: once per request; the person cut twice under two accounts, so the second row goes
        // (the bargain keeps its price: the money was cut and shown).
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignBargainCut x) => x.BargainId, "HelperMemberId", x => -x.Position, ct);
        await MoveAsync<CampaignBargainCut>(db, moves, ws, "HelperMemberId", a, b, ct);
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignAssistHelp x) => x.AssistId, "HelperMemberId", x => -x.Position, ct);
        await MoveAsync<CampaignAssistHelp>(db, moves, ws, nameof(CampaignAssistHelp.HelperMemberId), a, b, ct);
        await TakeOffSelfHelpsAsync(db, moves, ws, a, ct);

        // Swap offers: one open offer per item and offerer; B's second open offer, and any open offer on the person's own item, are declined.
        var now = DateTime.UtcNow;
        var aOpen = await db.Set<SwapOffer>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.OffererMemberId == a && x.Status == SwapOfferStatus.Open && x.HiddenAt == null)
            .Select(x => x.ItemId).ToListAsync(ct);
        var mine = await db.Set<SwapItem>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.OwnerMemberId == a).Select(x => x.Id).ToListAsync(ct);
        var decline = await db.Set<SwapOffer>().IgnoreQueryFilters()
            .Where(x => x.WorkspaceId == ws && x.Status == SwapOfferStatus.Open && x.HiddenAt == null
                && ((x.OffererMemberId == b && (aOpen.Contains(x.ItemId) || mine.Contains(x.ItemId))) || (x.OffererMemberId == a && mine.Contains(x.ItemId))))
            .Select(x => x.Id).ToListAsync(ct);
        await db.Set<SwapOffer>().IgnoreQueryFilters().Where(x => decline.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SwapOfferStatus.Declined).SetProperty(x => x.DecidedAt, now), ct);
        moves.DeclinedOffers.AddRange(decline);
        await MoveAsync<SwapOffer>(db, moves, ws, nameof(SwapOffer.OffererMemberId), a, b, ct);

        // Invitations: one edge per invitee; an edge between the two is now a self-invite and never counts.
        await DropCollidingAsync(db, moves, ws, a, b, (CampaignInvitation x) => x.CampaignId, "InviteeMemberId", x => (x.Status == InvitationStatus.Counted ? 2 : x.Status == InvitationStatus.Pending ? 1 : 0) * 1_000_000_000L - x.EventSeq, ct);
        await MoveAsync<CampaignInvitation>(db, moves, ws, nameof(CampaignInvitation.InviteeMemberId), a, b, ct);
        await MoveAsync<CampaignInvitation>(db, moves, ws, nameof(CampaignInvitation.InviterMemberId), a, b, ct);
        var selfInvites = await db.Set<CampaignInvitation>().IgnoreQueryFilters()
            .Where(x => x.WorkspaceId == ws && x.InviterMemberId == a && x.InviteeMemberId == a && !(x.Status == InvitationStatus.Refused && x.Reason == "selfInvite"))
            .Select(x => x.Id).ToListAsync(ct);
        await db.Set<CampaignInvitation>().IgnoreQueryFilters().Where(x => selfInvites.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, InvitationStatus.Refused).SetProperty(x => x.Reason, "selfInvite").SetProperty(x => x.SettledAt, now), ct);
        moves.SelfInvites.AddRange(selfInvites);

        await VoidGrantsAsync(db, moves, ws, a, b, [.. between.Select(x => (x.CampaignId, x.InviteeMemberId))], now, ct);
        return moves;
    }

    /// <summary>
    /// A cut or help by one record on the other's bargain or request is now the person's own, which the page refuses. While
    /// the bargain or request is open it is taken off (the price goes back up by the cut, the later positions close up, so
    /// the remaining friends still land on the floor exactly); once the floor was reached or the request completed it stays
    /// (the price was shown or paid, the reward given). Taken-off rows are kept whole in <see cref="CampaignMoves.SelfHelps"/>.
    /// </summary>
    private static async Task TakeOffSelfHelpsAsync(AppDbContext db, CampaignMoves moves, Guid ws, Guid a, CancellationToken ct)
    {
        var cuts = await db.Set<CampaignBargainCut>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.WorkspaceId == ws && x.HelperMemberId == a
                && db.Set<CampaignBargain>().IgnoreQueryFilters().Any(g => g.Id == x.BargainId && g.MemberId == a && g.Status == BargainStatus.Open))
            .ToListAsync(ct);
        foreach (var cut in cuts)
        {
            await db.Set<CampaignBargainCut>().IgnoreQueryFilters().Where(x => x.Id == cut.Id).ExecuteDeleteAsync(ct);
            await db.Set<CampaignBargain>().IgnoreQueryFilters().Where(x => x.Id == cut.BargainId && x.Status == BargainStatus.Open)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.PriceFen, x => x.PriceFen + cut.AmountFen).SetProperty(x => x.Cuts, x => x.Cuts - 1), ct);
            await CloseUpAsync(db.Set<CampaignBargainCut>().IgnoreQueryFilters().Where(x => x.BargainId == cut.BargainId), cut.Position, ct);
            moves.SelfHelps!.Add(Row(cut));
        }
        var helps = await db.Set<CampaignAssistHelp>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.WorkspaceId == ws && x.HelperMemberId == a
                && db.Set<CampaignAssist>().IgnoreQueryFilters().Any(r => r.Id == x.AssistId && r.MemberId == a && r.Status == AssistStatus.Open))
            .ToListAsync(ct);
        foreach (var help in helps)
        {
            await db.Set<CampaignAssistHelp>().IgnoreQueryFilters().Where(x => x.Id == help.Id).ExecuteDeleteAsync(ct);
            await db.Set<CampaignAssist>().IgnoreQueryFilters().Where(x => x.Id == help.AssistId && x.Status == AssistStatus.Open)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Helps, x => x.Helps - 1), ct);
            await CloseUpAsync(db.Set<CampaignAssistHelp>().IgnoreQueryFilters().Where(x => x.AssistId == help.AssistId), help.Position, ct);
            moves.SelfHelps!.Add(Row(help));
        }
    }

    /// <summary>
    /// The positions after a removed one move up by one. Two steps through negative numbers: (bargain or request, position)
    /// is unique and checked row by row.
    /// </summary>
    private static async Task CloseUpAsync<T>(IQueryable<T> rows, int removed, CancellationToken ct) where T : class
    {
        await rows.Where(x => EF.Property<int>(x, "Position") > removed)
            .ExecuteUpdateAsync(s => s.SetProperty(x => EF.Property<int>(x, "Position"), x => -EF.Property<int>(x, "Position")), ct);
        await rows.Where(x => EF.Property<int>(x, "Position") < 0)
            .ExecuteUpdateAsync(s => s.SetProperty(x => EF.Property<int>(x, "Position"), x => -EF.Property<int>(x, "Position") - 1), ct);
    }

    /// <summary>
    /// Rewards a person earns once (<c>quiz:</c>, <c>cards:</c>, <c>streak:</c>, <c>invite:</c>, <c>invitee:</c> name the
    /// member; <c>assist:</c> the one request per campaign) held under both records: one stays — one already delivered,
    /// redeemed or spent first, then the one belonging to the row the merge kept (the first quiz answers, the assist further
    /// along, the invitation edge that stayed), then A's — and the others are voided (<c>duplicate</c>). Then what an
    /// invitation between the two earned is voided (<c>selfInvite</c>): the invitee's reward of that edge, and the
    /// inviter's reward when the person's other counted invitees no longer reach the target. A grant already delivered,
    /// whose coupon was used, or whose points were spent is kept and listed in <see cref="CampaignMoves.KeptGrants"/>.
    /// </summary>
    private static async Task VoidGrantsAsync(AppDbContext db, CampaignMoves moves, Guid ws, Guid a, Guid b, List<(Guid Campaign, Guid Invitee)> between,
        DateTime now, CancellationToken ct)
    {
        var grants = await db.Set<CampaignRewardGrant>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.WorkspaceId == ws && x.MemberId == a && x.Status != GrantStatus.Void).ToListAsync(ct);
        if (grants.Count == 0)
            return;
        var ids = grants.Select(g => g.Id).ToList();
        var coupons = await db.Set<CampaignCoupon>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.GrantId != null && ids.Contains(x.GrantId.Value)).ToDictionaryAsync(x => x.GrantId!.Value, ct);
        var campaignIds = grants.Select(g => g.CampaignId).Distinct().ToList();
        var campaigns = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().Where(c => campaignIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        long PointsOf(CampaignRewardGrant g) => campaigns[g.CampaignId].RewardsValue() is var r && g.RewardIndex >= 0 && g.RewardIndex < r.Count
            && r[g.RewardIndex].Kind == RewardKind.Points && g.Status != GrantStatus.Held ? Math.Max(0, r[g.RewardIndex].ValueFen) : 0;
        var spare = await PointsBalances.EarnedAsync(db, ws, a, ct)
            - await db.Set<CampaignPointsAccount>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == a).Select(x => x.Spent).FirstOrDefaultAsync(ct);
        bool Spent(CampaignRewardGrant g) => g.Status == GrantStatus.Delivered || (coupons.TryGetValue(g.Id, out var c) && c.Status == CouponStatus.Used) || PointsOf(g) > spare;

        var voided = new HashSet<Guid>();
        async Task VoidAsync(CampaignRewardGrant g, string why)
        {
            if (!voided.Add(g.Id))
                return;
            if (Spent(g))
            {
                moves.KeptGrants!.Add(g.Id);
                return;
            }
            spare -= PointsOf(g);
            await db.Set<CampaignRewardGrant>().IgnoreQueryFilters().Where(x => x.Id == g.Id && x.Status == g.Status)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, GrantStatus.Void).SetProperty(x => x.UpdatedAt, now), ct);
            Guid? coupon = null;
            if (coupons.TryGetValue(g.Id, out var c) && c.Status == CouponStatus.Unused)
            {
                await db.Set<CampaignCoupon>().IgnoreQueryFilters().Where(x => x.Id == c.Id && x.Status == CouponStatus.Unused)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, CouponStatus.Void).SetProperty(x => x.VoidedAt, now), ct);
                coupon = c.Id;
            }
            moves.VoidedGrants!.Add(new(g.Id, g.Status, why, coupon));
        }

        // Whose rows the merge dropped: their once-per-person grants are the ones to go.
        var (an, bn) = (a.ToString("N"), b.ToString("N"));
        var losing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in moves.Dropped)
        {
            switch (row.Table)
            {
                case nameof(QuizSubmission):
                    losing.Add($"quiz:{JsonSerializer.Deserialize<QuizSubmission>(row.Row)!.MemberId:N}");
                    break;
                case nameof(CampaignAssist):
                    losing.Add($"assist:{JsonSerializer.Deserialize<CampaignAssist>(row.Row)!.Id:N}");
                    break;
                case nameof(CampaignInvitation):
                    losing.Add($"invitee:{JsonSerializer.Deserialize<CampaignInvitation>(row.Row)!.InviteeMemberId:N}");
                    break;
            }
        }
        string Once(CampaignRewardGrant g) => g.Key.StartsWith("assist:", StringComparison.Ordinal) ? "assist:" : g.Key.Replace(bn, an, StringComparison.Ordinal);
        foreach (var same in grants.GroupBy(g => (g.CampaignId, Key: Once(g))).Where(x => x.Count() > 1))
        {
            var keep = same.OrderByDescending(g => Spent(g)).ThenBy(g => losing.Contains(g.Key)).ThenByDescending(g => g.Key.Contains(an, StringComparison.Ordinal))
                .ThenByDescending(g => g.Status == GrantStatus.Issued).ThenBy(g => g.CreatedAt).First();
            foreach (var g in same.Where(g => g.Id != keep.Id))
                await VoidAsync(g, "duplicate");
        }

        foreach (var campaign in between.Select(x => x.Campaign).Distinct())
        {
            foreach (var invitee in between.Where(x => x.Campaign == campaign).Select(x => x.Invitee))
            {
                if (grants.FirstOrDefault(g => g.CampaignId == campaign && g.Key == $"invitee:{invitee:N}") is { } theirs)
                    await VoidAsync(theirs, "selfInvite");
            }
            var inviterGrants = grants.Where(g => g.CampaignId == campaign && g.Key.StartsWith("invite:", StringComparison.Ordinal) && !voided.Contains(g.Id)).ToList();
            if (inviterGrants.Count == 0 || !campaigns.TryGetValue(campaign, out var c))
                continue;
            var counted = await db.Set<CampaignInvitation>().IgnoreQueryFilters()
                .CountAsync(x => x.CampaignId == campaign && x.InviterMemberId == a && x.InviteeMemberId != a && x.Status == InvitationStatus.Counted, ct);
            if (counted < (c.RulesValue().InviteesNeeded ?? 1))
            {
                foreach (var g in inviterGrants)
                    await VoidAsync(g, "selfInvite");
            }
        }
    }

    /// <summary>Moves back what <see cref="MergeAsync"/> moved (the rows still on A) and restores the rows it dropped or folded.</summary>
    public static async Task UnmergeAsync(AppDbContext db, Guid ws, Guid a, Guid b, CampaignMoves moves, CancellationToken ct)
    {
        // Children after their parents, so moved rows first, then dropped rows in the order they were recorded.
        foreach (var (key, ids) in moves.Moved)
        {
            var (table, column) = (key[..key.IndexOf('.', StringComparison.Ordinal)], key[(key.IndexOf('.', StringComparison.Ordinal) + 1)..]);
            if (key == $"{nameof(CampaignParticipant)}.{nameof(CampaignParticipant.InvitedByMemberId)}")
            {
                await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && ids.Contains(x.Id) && (x.InvitedByMemberId == a || x.InvitedByMemberId == null))
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.InvitedByMemberId, b), ct);
                continue;
            }
            await (table switch
            {
                nameof(CampaignParticipant) => MoveBackAsync<CampaignParticipant>(db, ws, column, a, b, ids, ct),
                nameof(CampaignClaim) => MoveBackAsync<CampaignClaim>(db, ws, column, a, b, ids, ct),
                nameof(CampaignRewardGrant) => MoveBackAsync<CampaignRewardGrant>(db, ws, column, a, b, ids, ct),
                nameof(CampaignCoupon) => MoveBackAsync<CampaignCoupon>(db, ws, column, a, b, ids, ct),
                nameof(CampaignRedemption) => MoveBackAsync<CampaignRedemption>(db, ws, column, a, b, ids, ct),
                nameof(CampaignGroup) => MoveBackAsync<CampaignGroup>(db, ws, column, a, b, ids, ct),
                nameof(CampaignRefund) => MoveBackAsync<CampaignRefund>(db, ws, column, a, b, ids, ct),
                nameof(SwapItem) => MoveBackAsync<SwapItem>(db, ws, column, a, b, ids, ct),
                nameof(SwapOffer) => MoveBackAsync<SwapOffer>(db, ws, column, a, b, ids, ct),
                nameof(CampaignGroupSeat) => MoveBackAsync<CampaignGroupSeat>(db, ws, column, a, b, ids, ct),
                nameof(CampaignPointsAccount) => MoveBackAsync<CampaignPointsAccount>(db, ws, column, a, b, ids, ct),
                nameof(CampaignCheckIn) => MoveBackAsync<CampaignCheckIn>(db, ws, column, a, b, ids, ct),
                nameof(CampaignPhoto) => MoveBackAsync<CampaignPhoto>(db, ws, column, a, b, ids, ct),
                nameof(CampaignCardDraw) => MoveBackAsync<CampaignCardDraw>(db, ws, column, a, b, ids, ct),
                nameof(CampaignBargain) => MoveBackAsync<CampaignBargain>(db, ws, column, a, b, ids, ct),
                nameof(CampaignAssist) => MoveBackAsync<CampaignAssist>(db, ws, column, a, b, ids, ct),
                nameof(LotteryEntry) => MoveBackAsync<LotteryEntry>(db, ws, column, a, b, ids, ct),
                nameof(QuizSubmission) => MoveBackAsync<QuizSubmission>(db, ws, column, a, b, ids, ct),
                nameof(CampaignLead) => MoveBackAsync<CampaignLead>(db, ws, column, a, b, ids, ct),
                nameof(CampaignBargainCut) => MoveBackAsync<CampaignBargainCut>(db, ws, column, a, b, ids, ct),
                nameof(CampaignAssistHelp) => MoveBackAsync<CampaignAssistHelp>(db, ws, column, a, b, ids, ct),
                nameof(CampaignInvitation) => MoveBackAsync<CampaignInvitation>(db, ws, column, a, b, ids, ct),
                _ => Task.FromResult(0),
            });
        }
        foreach (var folded in moves.Folded)
        {
            switch (folded.Table)
            {
                case nameof(CampaignParticipant):
                    var p = JsonSerializer.Deserialize<CampaignParticipant>(folded.Row)!;
                    await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(x => x.CampaignId == p.CampaignId && x.MemberId == a)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.Units, x => x.Units >= p.Units ? x.Units - p.Units : 0), ct);
                    db.Add(p);
                    break;
                case nameof(CampaignPointsAccount):
                    var account = JsonSerializer.Deserialize<CampaignPointsAccount>(folded.Row)!;
                    await db.Set<CampaignPointsAccount>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == a)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.Spent, x => x.Spent - account.Spent), ct);
                    db.Add(account);
                    break;
            }
        }
        foreach (var dropped in moves.Dropped)
            db.Add(Restore(dropped));
        // A reward voided as a duplicate is the other record's again; one voided for a self-invite stays void (the two were one person then).
        foreach (var grant in (moves.VoidedGrants ?? []).Where(x => x.Why == "duplicate"))
        {
            await db.Set<CampaignRewardGrant>().IgnoreQueryFilters().Where(x => x.Id == grant.Id && x.Status == GrantStatus.Void)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, grant.Was).SetProperty(x => x.UpdatedAt, DateTime.UtcNow), ct);
            if (grant.CouponId is { } coupon)
                await db.Set<CampaignCoupon>().IgnoreQueryFilters().Where(x => x.Id == coupon && x.Status == CouponStatus.Void)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, CouponStatus.Unused).SetProperty(x => x.VoidedAt, (DateTime?)null), ct);
        }
        await db.SaveChangesAsync(ct);
    }

    private static object Restore(DroppedCampaignRow row) => row.Table switch
    {
        nameof(CampaignGroupSeat) => JsonSerializer.Deserialize<CampaignGroupSeat>(row.Row)!,
        nameof(CampaignCheckIn) => JsonSerializer.Deserialize<CampaignCheckIn>(row.Row)!,
        nameof(CampaignPhoto) => JsonSerializer.Deserialize<CampaignPhoto>(row.Row)!,
        nameof(CampaignCardDraw) => JsonSerializer.Deserialize<CampaignCardDraw>(row.Row)!,
        nameof(CampaignBargain) => JsonSerializer.Deserialize<CampaignBargain>(row.Row)!,
        nameof(CampaignAssist) => JsonSerializer.Deserialize<CampaignAssist>(row.Row)!,
        nameof(LotteryEntry) => JsonSerializer.Deserialize<LotteryEntry>(row.Row)!,
        nameof(QuizSubmission) => JsonSerializer.Deserialize<QuizSubmission>(row.Row)!,
        nameof(CampaignLead) => JsonSerializer.Deserialize<CampaignLead>(row.Row)!,
        nameof(CampaignBargainCut) => JsonSerializer.Deserialize<CampaignBargainCut>(row.Row)!,
        nameof(CampaignAssistHelp) => JsonSerializer.Deserialize<CampaignAssistHelp>(row.Row)!,
        nameof(CampaignInvitation) => JsonSerializer.Deserialize<CampaignInvitation>(row.Row)!,
        _ => throw new InvalidOperationException($"No restore for {row.Table}."),
    };

    private static DroppedCampaignRow Row<T>(T row) => new(typeof(T).Name, JsonSerializer.Serialize(row));

    private static async Task MoveAsync<T>(AppDbContext db, CampaignMoves moves, Guid ws, string column, Guid a, Guid b, CancellationToken ct)
        where T : class, IWorkspaceOwned
    {
        var rows = db.Set<T>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && EF.Property<Guid>(x, column) == b);
        var ids = await rows.Select(x => EF.Property<Guid>(x, "Id")).ToListAsync(ct);
        if (ids.Count == 0)
            return;
        await rows.ExecuteUpdateAsync(s => s.SetProperty(x => EF.Property<Guid>(x, column), a), ct);
        var key = $"{typeof(T).Name}.{column}";
        if (moves.Moved.TryGetValue(key, out var list))
            list.AddRange(ids);
        else
            moves.Moved[key] = ids;
    }

    private static Task<int> MoveBackAsync<T>(AppDbContext db, Guid ws, string column, Guid a, Guid b, List<Guid> ids, CancellationToken ct)
        where T : class, IWorkspaceOwned =>
        db.Set<T>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && EF.Property<Guid>(x, column) == a && ids.Contains(EF.Property<Guid>(x, "Id")))
            .ExecuteUpdateAsync(s => s.SetProperty(x => EF.Property<Guid>(x, column), b), ct);

    /// <summary>
    /// Where A and B each hold the one row allowed under <paramref name="key"/>, the one ranked lower goes (A's on a tie)
    /// and is kept whole in <see cref="CampaignMoves.Dropped"/>, with its <paramref name="children"/> (deleted with it).
    /// </summary>
    private static async Task DropCollidingAsync<T, TKey, TChild>(AppDbContext db, CampaignMoves moves, Guid ws, Guid a, Guid b,
        Func<T, TKey> key, string column, Func<T, long> rank, Func<List<Guid>, Task<List<TChild>>>? children, CancellationToken ct)
        where T : class, IWorkspaceOwned
        where TKey : notnull
    {
        var rows = await db.Set<T>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.WorkspaceId == ws && (EF.Property<Guid>(x, column) == a || EF.Property<Guid>(x, column) == b)).ToListAsync(ct);
        var property = typeof(T).GetProperty(column)!;
        Guid member(T x) => (Guid)property.GetValue(x)!;
        var drop = new List<T>();
        foreach (var pair in rows.GroupBy(key).Where(g => g.Count() > 1))
        {
            var mineA = pair.First(x => member(x) == a);
            var mineB = pair.First(x => member(x) == b);
            drop.Add(rank(mineB) > rank(mineA) ? mineA : mineB);
        }
        if (drop.Count == 0)
            return;
        var ids = drop.Select(x => (Guid)typeof(T).GetProperty("Id")!.GetValue(x)!).ToList();
        var kids = children is null ? [] : await children(ids);
        moves.Dropped.AddRange(drop.Select(Row));
        moves.Dropped.AddRange(kids.Select(Row));
        await db.Set<T>().IgnoreQueryFilters().Where(x => ids.Contains(EF.Property<Guid>(x, "Id"))).ExecuteDeleteAsync(ct);
    }

    private static Task DropCollidingAsync<T, TKey>(AppDbContext db, CampaignMoves moves, Guid ws, Guid a, Guid b,
        Func<T, TKey> key, string column, Func<T, long> rank, CancellationToken ct)
        where T : class, IWorkspaceOwned
        where TKey : notnull =>
        DropCollidingAsync<T, TKey, T>(db, moves, ws, a, b, key, column, rank, null, ct);
}
