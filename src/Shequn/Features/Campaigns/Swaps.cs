using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

public enum SwapItemStatus
{
    /// <summary>Listed: others may offer.</summary>
    Open = 0,
    /// <summary>The owner accepted one offer.</summary>
    Swapped = 1,
}

public enum SwapOfferStatus
{
    Open = 0,
    Accepted = 1,
    /// <summary>The owner accepted another offer.</summary>
    Declined = 2,
}

/// <summary>换: a second-hand item a member listed on a swap campaign's page (text only). Hidden by staff, it leaves the page.</summary>
public sealed class SwapItem : IWorkspaceOwned
{
    public const int TitleMaxLength = 60;
    public const int DescriptionMaxLength = 500;
    public const int ReasonMaxLength = 200;
    public const int RequestIdMaxLength = 64;
    /// <summary>Open items one member may have listed at a time.</summary>
    public const int MaxOpenPerMember = 10;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid OwnerMemberId { get; set; }
    public required string RequestId { get; set; }
    public required string Title { get; set; }
    public string? Description { get; set; }
    public SwapItemStatus Status { get; set; }
    public Guid? AcceptedOfferId { get; set; }
    public DateTime? SwappedAt { get; set; }
    public DateTime? HiddenAt { get; set; }
    public string? HiddenReason { get; set; }
    public Guid? HiddenByStaffId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>What another member offers in exchange for an item; one open offer per offerer and item (a filtered unique index).</summary>
public sealed class SwapOffer : IWorkspaceOwned
{
    public const int TextMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid ItemId { get; set; }
    public Guid OffererMemberId { get; set; }
    public required string Text { get; set; }
    public SwapOfferStatus Status { get; set; }
    public DateTime? DecidedAt { get; set; }
    public DateTime? HiddenAt { get; set; }
    public string? HiddenReason { get; set; }
    public Guid? HiddenByStaffId { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class SwapItemConfiguration : IEntityTypeConfiguration<SwapItem>
{
    public void Configure(EntityTypeBuilder<SwapItem> b)
    {
        b.ToTable("SwapItems");
        b.HasKey(i => i.Id);
        b.Property(i => i.RequestId).HasMaxLength(SwapItem.RequestIdMaxLength);
        b.Property(i => i.Title).HasMaxLength(SwapItem.TitleMaxLength);
        b.Property(i => i.Description).HasMaxLength(SwapItem.DescriptionMaxLength);
        b.Property(i => i.HiddenReason).HasMaxLength(SwapItem.ReasonMaxLength);
        b.HasIndex(i => new { i.CampaignId, i.RequestId }).IsUnique();
        b.HasIndex(i => new { i.CampaignId, i.OwnerMemberId });
        b.HasOne<Campaign>().WithMany().HasForeignKey(i => i.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(i => i.OwnerMemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SwapOfferConfiguration : IEntityTypeConfiguration<SwapOffer>
{
    public void Configure(EntityTypeBuilder<SwapOffer> b)
    {
        b.ToTable("SwapOffers");
        b.HasKey(o => o.Id);
        b.Property(o => o.Text).HasMaxLength(SwapOffer.TextMaxLength);
        b.Property(o => o.HiddenReason).HasMaxLength(SwapItem.ReasonMaxLength);
        // One open, visible offer per offerer and item: a second click finds the first.
        b.HasIndex(o => new { o.ItemId, o.OffererMemberId }).IsUnique().HasFilter("\"Status\" = 0 AND \"HiddenAt\" IS NULL");
        b.HasIndex(o => o.CampaignId);
        b.HasOne<SwapItem>().WithMany().HasForeignKey(o => o.ItemId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(o => o.OffererMemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed record SwapOfferDto(Guid Id, Guid ItemId, Guid OffererId, string OffererName, string Text, SwapOfferStatus Status, DateTime CreatedAt,
    DateTime? HiddenAt, string? HiddenReason);

public sealed record SwapItemDto(Guid Id, Guid OwnerId, string OwnerName, string Title, string? Description, SwapItemStatus Status, Guid? AcceptedOfferId,
    DateTime CreatedAt, DateTime? HiddenAt, string? HiddenReason, IReadOnlyList<SwapOfferDto> Offers);

// Inviter: the invite token of a share link the page was opened through (?i=); recorded after the action succeeds.

public sealed record SwapItemInput(string? Token = null, string? RequestId = null, string? Title = null, string? Description = null, string? Inviter = null);

public sealed record SwapOfferInput(string? Token = null, string? Text = null, string? Inviter = null);

public sealed record SwapAcceptInput(string? Token = null, Guid? OfferId = null, string? Inviter = null);

public sealed record SwapHideInput(string? Reason = null);

public enum SwapOutcome
{
    Done,
    Invalid,
    NotFound,
    NotRunning,
    NotInAudience,
    /// <summary>The item is swapped or hidden, the offer is not open, or the member may not do this (their own item).</summary>
    Conflict,
}

public sealed record SwapResult<T>(SwapOutcome Outcome, T? Value = default, Validation? Validation = null, string? Code = null);

/// <summary>
/// 换 the swap board. Members list items and offer swaps through the public page with their personal token; the owner
/// accepts one offer; staff hide items or offers with a reason. The database decides every race: an item's unique
/// (campaign, request id) answers a repeated listing with the first; the filtered unique (item, offerer) of open offers
/// answers a second offer with the first; acceptance is one transaction of conditional updates — the item
/// <c>Open → Swapped WHERE Status = Open</c>, the chosen offer <c>Open → Accepted</c>, the others declined — so of two
/// accepts exactly one wins, and the same accept again is answered with the item as it stands.
/// </summary>
public sealed class Swaps(AppDbContext db, CampaignSnapshots snapshots, TimeProvider time)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private async Task<SwapOutcome?> RefusalAsync(CampaignSnapshot s, Guid member, CancellationToken ct)
    {
        if (s.Campaign.Kind != CampaignKind.Swap || s.Campaign.PhaseAt(Now) != CampaignPhase.Running)
            return SwapOutcome.NotRunning;
        return await snapshots.AudienceCommunityAsync(s, member, ct) is null ? SwapOutcome.NotInAudience : null;
    }

    public async Task<SwapResult<SwapItemDto>> ListAsync(CampaignSnapshot s, Guid member, SwapItemInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        v.Required("requestId", input.RequestId?.Trim(), SwapItem.RequestIdMaxLength);
        v.Required("title", input.Title?.Trim(), SwapItem.TitleMaxLength);
        v.MaxLength("description", input.Description?.Trim(), SwapItem.DescriptionMaxLength);
        if (!v.IsValid)
            return new(SwapOutcome.Invalid, Validation: v);
        var campaign = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(campaign.WorkspaceId);
        var rid = input.RequestId!.Trim();
        if (await db.Set<SwapItem>().AsNoTracking().SingleOrDefaultAsync(i => i.CampaignId == campaign.Id && i.RequestId == rid, ct) is { } first)
            return first.OwnerMemberId == member ? new(SwapOutcome.Done, (await ItemsAsync(campaign.Id, first.Id, true, ct)).Single()) : new(SwapOutcome.Conflict, Code: "conflict");
        if (await RefusalAsync(s, member, ct) is { } refused)
            return new(refused);
        if (await db.Set<SwapItem>().CountAsync(i => i.CampaignId == campaign.Id && i.OwnerMemberId == member && i.Status == SwapItemStatus.Open && i.HiddenAt == null, ct)
            >= SwapItem.MaxOpenPerMember)
            return new(SwapOutcome.Invalid, Validation: v.Add("title", "Campaigns.SwapTooManyItems", $"At most {SwapItem.MaxOpenPerMember} open items per member.", SwapItem.MaxOpenPerMember));
        var item = new SwapItem
        {
            WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, OwnerMemberId = member, RequestId = rid, Title = input.Title!.Trim(),
            Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim(), CreatedAt = Now,
        };
        db.Add(item);
        await Participants.EnsureAsync(db, campaign.WorkspaceId, campaign.Id, member, null, Now, ct);
        try
        {
            await db.SaveChangesWithoutAuditAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return await db.Set<SwapItem>().AsNoTracking().SingleOrDefaultAsync(i => i.CampaignId == campaign.Id && i.RequestId == rid && i.OwnerMemberId == member, ct) is { } won
                ? new(SwapOutcome.Done, (await ItemsAsync(campaign.Id, won.Id, true, ct)).Single())
                : new(SwapOutcome.Conflict, Code: "conflict");
        }
        return new(SwapOutcome.Done, (await ItemsAsync(campaign.Id, item.Id, true, ct)).Single());
    }

    public async Task<SwapResult<SwapOfferDto>> OfferAsync(CampaignSnapshot s, Guid member, Guid itemId, SwapOfferInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation().Required("text", input.Text?.Trim(), SwapOffer.TextMaxLength);
        if (!v.IsValid)
            return new(SwapOutcome.Invalid, Validation: v);
        var campaign = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(campaign.WorkspaceId);
        var item = await db.Set<SwapItem>().AsNoTracking().SingleOrDefaultAsync(i => i.Id == itemId && i.CampaignId == campaign.Id && i.HiddenAt == null, ct);
        if (item is null)
            return new(SwapOutcome.NotFound);
        if (await OpenOfferAsync(itemId, member, ct) is { } first)
            return new(SwapOutcome.Done, first);
        if (await RefusalAsync(s, member, ct) is { } refused)
            return new(refused);
        if (item.OwnerMemberId == member)
            return new(SwapOutcome.Conflict, Code: "ownItem");
        if (item.Status != SwapItemStatus.Open)
            return new(SwapOutcome.Conflict, Code: "swapped");
        db.Add(new SwapOffer { WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, ItemId = itemId, OffererMemberId = member, Text = input.Text!.Trim(), CreatedAt = Now });
        await Participants.EnsureAsync(db, campaign.WorkspaceId, campaign.Id, member, null, Now, ct);
        try
        {
            await db.SaveChangesWithoutAuditAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The member's other click saved first.
            db.ChangeTracker.Clear();
        }
        return await OpenOfferAsync(itemId, member, ct) is { } made ? new(SwapOutcome.Done, made) : new(SwapOutcome.Conflict, Code: "conflict");
    }

    private async Task<SwapOfferDto?> OpenOfferAsync(Guid itemId, Guid member, CancellationToken ct) =>
        await db.Set<SwapOffer>().AsNoTracking().Where(o => o.ItemId == itemId && o.OffererMemberId == member && o.Status == SwapOfferStatus.Open && o.HiddenAt == null)
            .Join(db.Members, o => o.OffererMemberId, m => m.Id, (o, m) => new SwapOfferDto(o.Id, o.ItemId, o.OffererMemberId, m.DisplayName, o.Text, o.Status, o.CreatedAt, o.HiddenAt, o.HiddenReason))
            .SingleOrDefaultAsync(ct);

    /// <summary>The owner accepts one open, visible offer of their open, visible item (see the class summary).</summary>
    public async Task<SwapResult<SwapItemDto>> AcceptAsync(CampaignSnapshot s, Guid member, Guid itemId, Guid? offerId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (offerId is null)
            return new(SwapOutcome.Invalid, Validation: new Validation().Add("offerId", "Required", "'offerId' is required."));
        var campaign = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(campaign.WorkspaceId);
        var item = await db.Set<SwapItem>().AsNoTracking().SingleOrDefaultAsync(i => i.Id == itemId && i.CampaignId == campaign.Id && i.OwnerMemberId == member, ct);
        if (item is null || !await db.Set<SwapOffer>().AnyAsync(o => o.Id == offerId && o.ItemId == itemId, ct))
            return new(SwapOutcome.NotFound);
        if (item.AcceptedOfferId == offerId)
            return new(SwapOutcome.Done, (await ItemsAsync(campaign.Id, itemId, false, ct)).Single());
        if (campaign.PhaseAt(Now) != CampaignPhase.Running)
            return new(SwapOutcome.NotRunning);
        var now = Now;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var taken = await db.Set<SwapItem>().Where(i => i.Id == itemId && i.Status == SwapItemStatus.Open && i.HiddenAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(i => i.Status, SwapItemStatus.Swapped).SetProperty(i => i.AcceptedOfferId, offerId).SetProperty(i => i.SwappedAt, now), ct);
            var accepted = taken == 1 && await db.Set<SwapOffer>().Where(o => o.Id == offerId && o.Status == SwapOfferStatus.Open && o.HiddenAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(o => o.Status, SwapOfferStatus.Accepted).SetProperty(o => o.DecidedAt, now), ct) == 1;
            if (!accepted)
            {
                await tx.RollbackAsync(ct);
                var after = await db.Set<SwapItem>().AsNoTracking().SingleAsync(i => i.Id == itemId, ct);
                return after.AcceptedOfferId == offerId
                    ? new(SwapOutcome.Done, (await ItemsAsync(campaign.Id, itemId, false, ct)).Single())
                    : new(SwapOutcome.Conflict, Code: after.HiddenAt is not null ? "hidden" : after.Status == SwapItemStatus.Swapped ? "swapped" : "offerClosed");
            }
            await db.Set<SwapOffer>().Where(o => o.ItemId == itemId && o.Id != offerId && o.Status == SwapOfferStatus.Open)
                .ExecuteUpdateAsync(u => u.SetProperty(o => o.Status, SwapOfferStatus.Declined).SetProperty(o => o.DecidedAt, now), ct);
            var offerer = await db.Set<SwapOffer>().Where(o => o.Id == offerId).Select(o => o.OffererMemberId).SingleAsync(ct);
            await db.Set<CampaignParticipant>().Where(p => p.CampaignId == campaign.Id && (p.MemberId == member || p.MemberId == offerer) && p.CompletedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.CompletedAt, now), ct);
            await tx.CommitAsync(ct);
        }
        return new(SwapOutcome.Done, (await ItemsAsync(campaign.Id, itemId, false, ct)).Single());
    }

    /// <summary>Items with their offers; <paramref name="visibleOnly"/> leaves out what staff hid (the page's view).</summary>
    public async Task<IReadOnlyList<SwapItemDto>> ItemsAsync(Guid campaignId, Guid? itemId, bool visibleOnly, CancellationToken ct = default)
    {
        var items = db.Set<SwapItem>().AsNoTracking().Where(i => i.CampaignId == campaignId && (itemId == null || i.Id == itemId));
        if (visibleOnly && itemId is null)
            items = items.Where(i => i.HiddenAt == null);
        var rows = await items.Join(db.Members, i => i.OwnerMemberId, m => m.Id, (i, m) => new { i, m.DisplayName })
            .OrderByDescending(x => x.i.CreatedAt).Take(500).ToListAsync(ct);
        var ids = rows.Select(r => r.i.Id).ToList();
        var offers = await db.Set<SwapOffer>().AsNoTracking().Where(o => ids.Contains(o.ItemId) && (!visibleOnly || o.HiddenAt == null))
            .Join(db.Members, o => o.OffererMemberId, m => m.Id, (o, m) => new SwapOfferDto(o.Id, o.ItemId, o.OffererMemberId, m.DisplayName, o.Text, o.Status, o.CreatedAt, o.HiddenAt, o.HiddenReason))
            .ToListAsync(ct);
        return [.. rows.Select(r => new SwapItemDto(r.i.Id, r.i.OwnerMemberId, r.DisplayName, r.i.Title, r.i.Description, r.i.Status, r.i.AcceptedOfferId, r.i.CreatedAt,
            r.i.HiddenAt, r.i.HiddenReason, [.. offers.Where(o => o.ItemId == r.i.Id).OrderBy(o => o.CreatedAt).ThenBy(o => o.Id)]))];
    }

    /// <summary>The public page's view of a campaign (acting for its workspace).</summary>
    public async Task<IReadOnlyList<SwapItemDto>> PublicItemsAsync(CampaignSnapshot s, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var acting = db.Current.ActAsSystemWhile(s.Campaign.WorkspaceId);
        return await ItemsAsync(s.Campaign.Id, null, true, ct);
    }

    /// <summary>Staff's list of a swap campaign they see (hidden rows included, flagged).</summary>
    public async Task<IReadOnlyList<SwapItemDto>?> StaffItemsAsync(Guid id, CancellationToken ct = default)
    {
        if ((await CampaignDesk.VisibleAsync(db, id, CampaignKind.Swap, ct)).Campaign is null)
            return null;
        return await ItemsAsync(id, null, false, ct);
    }

    /// <summary>Staff hide an item or an offer with a reason; hiding what is hidden answers it as it stands.</summary>
    public async Task<MechanicResult<SwapItemDto>> HideAsync(Guid id, Guid? itemId, Guid? offerId, string? reason, CancellationToken ct = default)
    {
        var v = new Validation().Required("reason", reason?.Trim(), SwapItem.ReasonMaxLength);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!CampaignDesk.MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is not { Kind: CampaignKind.Swap } || !CampaignDesk.Sees(me!, campaign.CommunityIdsValue()))
            return new(CampaignOutcome.NotFound, null, v);
        if (!v.IsValid)
            return new(CampaignOutcome.Invalid, null, v);
        var why = reason!.Trim();
        var now = Now;
        Guid? target = itemId;
        if (offerId is { } o)
        {
            target = await db.Set<SwapOffer>().Where(x => x.Id == o && x.CampaignId == id).Select(x => (Guid?)x.ItemId).SingleOrDefaultAsync(ct);
            if (target is null)
                return new(CampaignOutcome.NotFound, null, v);
            if (await db.Set<SwapOffer>().Where(x => x.Id == o && x.HiddenAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.HiddenAt, now).SetProperty(x => x.HiddenReason, why).SetProperty(x => x.HiddenByStaffId, me!.Id), ct) == 1)
                db.AddAuditNote(nameof(SwapOffer), o, "Hidden", null, new Dictionary<string, object?> { ["Reason"] = why });
        }
        else if (itemId is { } i)
        {
            if (!await db.Set<SwapItem>().AnyAsync(x => x.Id == i && x.CampaignId == id, ct))
                return new(CampaignOutcome.NotFound, null, v);
            if (await db.Set<SwapItem>().Where(x => x.Id == i && x.HiddenAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.HiddenAt, now).SetProperty(x => x.HiddenReason, why).SetProperty(x => x.HiddenByStaffId, me!.Id), ct) == 1)
                db.AddAuditNote(nameof(SwapItem), i, "Hidden", null, new Dictionary<string, object?> { ["Reason"] = why });
        }
        await db.SaveChangesAsync(ct);
        return new(CampaignOutcome.Saved, (await ItemsAsync(id, target, false, ct)).Single(), v);
    }
}
