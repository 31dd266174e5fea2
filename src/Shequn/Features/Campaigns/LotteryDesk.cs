using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

/// <summary>A member's entry: its number and the line published for it.</summary>
public sealed record LotteryEntryDto(Guid MemberId, int Number, string Entry, DateTime EnteredAt, Guid? CommunityId);

/// <summary>A winner as staff see it: the draw's public facts and the member behind the entry.</summary>
public sealed record LotteryWinnerDto(string Prize, int PrizeIndex, int Draw, int EntryIndex, string Entry, Guid MemberId, string MemberName);

/// <summary>
/// A lottery for staff (<c>GET /api/campaigns/{id}/lottery</c>): the commitment from publishing on; after the draw the
/// seed, the entries hash, the prizes as drawn and the winners. <see cref="Seed"/> is null until then.
/// </summary>
public sealed record LotteryDto(
    Guid CampaignId, string Commitment, int EntryCount, DateTime? DrawnAt, string? Seed, string? EntriesHash, IReadOnlyList<LotteryPrize> Prizes,
    IReadOnlyList<LotteryEntryDto> Entries, IReadOnlyList<LotteryWinnerDto> Winners, string? Warning, string DrawUrl);

/// <summary>What the campaign itself shows of its lottery.</summary>
public sealed record CampaignLotteryInfo(string Commitment, int EntryCount, DateTime? DrawnAt, string? Warning, string DrawUrl);

/// <summary>The public facts of a draw (<c>/c/{slug}/draw</c>): all anyone needs to check it with docs/lottery.md.</summary>
public sealed record PublicLotteryDto(
    string Name, DateTime StartsAt, DateTime EndsAt, string Commitment, int EntryCount, DateTime? DrawnAt, string? Seed, string? EntriesHash,
    IReadOnlyList<LotteryPrize> Prizes, IReadOnlyList<LotteryWinner> Winners, string? Warning);

public sealed record LotteryEntryInput(Guid? MemberId = null);

/// <summary>
/// Lotteries as staff and the brand's systems use them: entering members (any staff but KOCs, for campaigns they see),
/// drawing after the end (owners and sub-owners), and reading the draw. Public reads go through <see cref="PublicAsync"/>.
/// </summary>
public sealed class LotteryDesk(AppDbContext db, TimeProvider time, LotteryWork work)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Enters a member; (entry, created) or the refusal. A replay returns the first entry with created false.</summary>
    public async Task<(CampaignOutcome Outcome, LotteryEntryDto? Entry, bool Created, Validation Validation, string? Conflict)> EnterAsync(
        Guid id, LotteryEntryInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!CampaignDesk.MayEdit(me))
            return (CampaignOutcome.Forbidden, null, false, v, null);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null || !CampaignDesk.Sees(me!, campaign.CommunityIdsValue()))
            return (CampaignOutcome.NotFound, null, false, v, null);
        if (campaign.Kind != CampaignKind.Lottery)
            return (CampaignOutcome.Conflict, null, false, v, "The campaign is not a lottery.");
        if (input.MemberId is not { } memberId)
        {
            v.Add("memberId", "Required", "'memberId' is required.");
            return (CampaignOutcome.Invalid, null, false, v, null);
        }
        var member = await db.Members.AsNoTracking().Where(m => m.Id == memberId).Select(m => (Guid?)m.Id).SingleOrDefaultAsync(ct);
        if (member is null)
        {
            v.Add("memberId", "Lottery.UnknownMember", "'memberId' is not a member of this workspace.");
            return (CampaignOutcome.Invalid, null, false, v, null);
        }
        for (var attempt = 0; ; attempt++)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // Whole milliseconds: what both providers store, so a replay returns the same time.
            var now = Now;
            var (entry, created, refusal) = await Lotteries.EnterAsync(db, campaign, memberId, null, null, now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond)), ct);
            if (refusal != LotteryRefusal.None)
                return (CampaignOutcome.Conflict, null, false, v, Refusal(refusal));
            try
            {
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return (CampaignOutcome.Saved, Dto(entry!), created, v, null);
            }
            catch (DbUpdateException) when (attempt < 2)
            {
                // The same member entered at the same moment (a double click): the next round finds that entry.
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
            }
        }
    }

    private static string Refusal(LotteryRefusal refusal) => refusal switch
    {
        LotteryRefusal.NotRunning => "Entries are taken only while the campaign runs.",
        LotteryRefusal.Drawn => "The draw has been made: entries are closed.",
        LotteryRefusal.JoinedAfterStart => "The rules leave out members who joined after the campaign started.",
        LotteryRefusal.Silent => "The rules leave out members who never spoke in the campaign's communities.",
        _ => "The entry was not taken.",
    };

    /// <summary>Draws now (owner or sub-owner): a conflict before the end or once drawn.</summary>
    public async Task<(CampaignOutcome Outcome, string? Conflict)> DrawAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!CampaignDesk.MayEdit(me))
            return (CampaignOutcome.Forbidden, null);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null || !CampaignDesk.Sees(me!, campaign.CommunityIdsValue()))
            return (CampaignOutcome.NotFound, null);
        if (!CampaignDesk.MayPublish(me))
            return (CampaignOutcome.Forbidden, "Only an owner or a sub-owner draws a lottery.");
        if (campaign.Kind != CampaignKind.Lottery || campaign.Status != CampaignStatus.Published)
            return (CampaignOutcome.Conflict, "Only a published lottery is drawn.");
        if (campaign.EndsAt > Now)
            return (CampaignOutcome.Conflict, "The lottery has not ended yet: the draw comes after the end.");
        var outcome = await work.DrawAsync(id, audited: true, ct);
        return outcome == DrawOutcome.NotDrawn ? (CampaignOutcome.Conflict, "The lottery has been drawn already.") : (CampaignOutcome.Saved, null);
    }

    public async Task<LotteryDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null || campaign.Kind != CampaignKind.Lottery || !CampaignDesk.Sees(me, campaign.CommunityIdsValue()))
            return null;
        var lottery = await db.Set<CampaignLottery>().AsNoTracking().SingleOrDefaultAsync(l => l.CampaignId == id, ct);
        if (lottery is null)
            return null;
        var entries = await Lotteries.EntriesAsync(db, id, ct);
        var names = await db.Members.AsNoTracking().Where(m => entries.Select(e => e.MemberId).Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        var winners = lottery.WinnersValue().Select(w =>
        {
            var member = entries[w.EntryIndex].MemberId;
            return new LotteryWinnerDto(w.Prize, w.PrizeIndex, w.Draw, w.EntryIndex, w.Entry, member, names.GetValueOrDefault(member, ""));
        }).ToList();
        return new LotteryDto(id, lottery.Commitment, lottery.EntryCount, lottery.DrawnAt, lottery.DrawnAt is null ? null : Convert.ToHexStringLower(lottery.Seed),
            lottery.EntriesHash, PrizesOf(campaign, lottery, entries.Count), [.. entries.Select(Dto)], winners, lottery.Warning, work.DrawUrl(campaign.Slug));
    }

    /// <summary>The lottery part of a campaign's DTO, or null for another kind or before publishing.</summary>
    public static async Task<CampaignLotteryInfo?> InfoAsync(AppDbContext db, Campaign campaign, Func<string, string> drawUrl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(drawUrl);
        if (campaign.Kind != CampaignKind.Lottery)
            return null;
        var lottery = await db.Set<CampaignLottery>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(l => l.CampaignId == campaign.Id, ct);
        return lottery is null ? null : new CampaignLotteryInfo(lottery.Commitment, lottery.EntryCount, lottery.DrawnAt, lottery.Warning, drawUrl(campaign.Slug));
    }

    /// <summary>The public facts of a published lottery by its page's slug, or null (unknown, not a lottery, a draft).</summary>
    public static async Task<(PublicLotteryDto Dto, IReadOnlyList<string> Entries, Guid WorkspaceId)?> PublicAsync(AppDbContext db, string slug, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(c => c.Slug == slug && c.Kind == CampaignKind.Lottery && c.Status != CampaignStatus.Draft, ct);
        if (campaign is null)
            return null;
        var lottery = await db.Set<CampaignLottery>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(l => l.CampaignId == campaign.Id, ct);
        if (lottery is null)
            return null;
        // The list is published when entries close: before that, only the count.
        IReadOnlyList<string> entries = lottery.DrawnAt is null ? [] : [.. (await Lotteries.EntriesAsync(db, campaign.Id, ct)).Select(e => e.Entry)];
        var dto = new PublicLotteryDto(campaign.Name, campaign.StartsAt, campaign.EndsAt, lottery.Commitment, lottery.EntryCount, lottery.DrawnAt,
            lottery.DrawnAt is null ? null : Convert.ToHexStringLower(lottery.Seed), lottery.EntriesHash, PrizesOf(campaign, lottery, entries.Count),
            lottery.WinnersValue(), lottery.Warning);
        return (dto, entries, campaign.WorkspaceId);
    }

    /// <summary>The prizes: the rewards as promised before the draw, as drawn after it (cut to the entrants).</summary>
    private static List<LotteryPrize> PrizesOf(Campaign campaign, CampaignLottery lottery, int entrants)
    {
        var rewards = campaign.RewardsValue();
        return lottery.DrawnAt is null || entrants == 0
            ? [.. rewards.Select(r => new LotteryPrize(r.Name, r.Quantity))]
            : LotteryWork.Prizes(rewards, entrants).Prizes;
    }

    private static LotteryEntryDto Dto(LotteryEntry e) => new(e.MemberId, e.Number, e.Entry, e.EnteredAt, e.CommunityId);
}
