using Microsoft.EntityFrameworkCore;
using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

/// <summary>The result of a staff step inside a campaign (a make-up card, a photo review): the outcome and what changed.</summary>
public sealed record MechanicResult<T>(CampaignOutcome Outcome, T? Value, Validation Validation, string? Conflict = null);

public sealed partial class CampaignDesk
{
    /// <summary>A check-in campaign's members: days checked in, make-ups used, current and longest streak, milestones reached.</summary>
    public async Task<IReadOnlyList<CheckInStanding>?> CheckInsAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (me is null || campaign is null || !Sees(me, campaign.CommunityIdsValue()))
            return null;
        var rows = await db.Set<CampaignCheckIn>().AsNoTracking().Where(c => c.CampaignId == id)
            .Join(db.Members, c => c.MemberId, m => m.Id, (c, m) => new { c.MemberId, m.DisplayName, c.Day, c.Source, c.CommunityId, c.Excluded, c.CreatedAt }).ToListAsync(ct);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(Now, await zones.GetAsync(campaign.WorkspaceId, ct)));
        var milestones = campaign.RulesValue().Milestones ?? [];
        return [.. rows.Where(r => r.CommunityId is null || me.Sees(r.CommunityId.Value)).GroupBy(r => (r.MemberId, r.DisplayName)).Select(g =>
        {
            // Check-ins the anti-abuse settings left out are listed with their reason and count toward nothing.
            var counted = g.Where(r => r.Excluded == ExclusionReason.None).ToList();
            var excluded = g.Where(r => r.Excluded != ExclusionReason.None).OrderBy(r => r.CreatedAt).ToList();
            var s = Streaks.Compute(counted.Where(r => r.Source != CheckInSource.MakeUp).Select(r => r.Day), counted.Where(r => r.Source == CheckInSource.MakeUp).Select(r => r.Day), today, milestones);
            return new CheckInStanding(g.Key.MemberId, g.Key.DisplayName, counted.Count, counted.Count(r => r.Source == CheckInSource.MakeUp), s.Current, s.Longest,
                [.. s.Milestones.Select(m => m.Days)], excluded.Count, excluded.Count > 0 ? excluded[^1].Excluded : ExclusionReason.None);
        }).OrderByDescending(s => s.Current).ThenByDescending(s => s.Days).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Uses a make-up card (补签) for a member's missed day: within the last 7 days, never a future day or one already
    /// checked in, at most <see cref="CampaignRules.MakeUpCards"/> a calendar month. Milestones the filled gap completes
    /// are rewarded (once each).
    /// </summary>
    public async Task<MechanicResult<CheckInStanding>> MakeUpAsync(Guid id, Guid memberId, DateOnly? day, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        var (campaign, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return new(refusal.Outcome, null, refusal.Validation, refusal.Conflict);
        if (campaign!.Kind != CampaignKind.CheckIn || campaign.PhaseAt(Now) != CampaignPhase.Running)
            return new(CampaignOutcome.Conflict, null, v, "Make-up cards are for a running check-in campaign.");
        var rules = campaign.RulesValue();
        if (day is null)
            v.Add("day", "Required", "'day' is required.");
        if (!await db.Members.AnyAsync(m => m.Id == memberId, ct))
            v.Add("memberId", "UnknownValue", $"'memberId' has an unknown value '{memberId}'.", memberId);
        if (!v.IsValid)
            return new(CampaignOutcome.Invalid, null, v);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(Now, await zones.GetAsync(campaign.WorkspaceId, ct)));
        var rows = await db.Set<CampaignCheckIn>().AsNoTracking().Where(c => c.CampaignId == id && c.MemberId == memberId && c.Excluded == ExclusionReason.None).ToListAsync(ct);
        var why = Streaks.ValidateMakeUp(day!.Value, today, rows.Where(r => r.Source != CheckInSource.MakeUp).Select(r => r.Day),
            rows.Where(r => r.Source == CheckInSource.MakeUp).Select(r => r.Day), new MakeUpRules(7, rules.MakeUpCards ?? 0, MakeUpPeriod.Month));
        if (why is not null)
            return new(CampaignOutcome.Invalid, null, v.Add("day", "Campaigns.MakeUpRefused", why, why));
        // Staff's card replaces a check-in of that day the anti-abuse settings left out: staff decided the day counts.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Set<CampaignCheckIn>().Where(c => c.CampaignId == id && c.MemberId == memberId && c.Day == day.Value && c.Excluded != ExclusionReason.None).ExecuteDeleteAsync(ct);
        db.Add(new CampaignCheckIn { WorkspaceId = campaign.WorkspaceId, CampaignId = id, MemberId = memberId, Day = day.Value, Source = CheckInSource.MakeUp, ByStaffId = me!.Id, CreatedAt = Now });
        var all = rows.Select(r => (r.Day, r.Source)).Append((Day: day.Value, Source: CheckInSource.MakeUp)).ToList();
        var summary = Streaks.Compute(all.Where(r => r.Source != CheckInSource.MakeUp).Select(r => r.Day), all.Where(r => r.Source == CheckInSource.MakeUp).Select(r => r.Day),
            today, rules.Milestones ?? []);
        foreach (var m in summary.Milestones)
            await CheckInRewards.GrantAsync(db, campaign, memberId, m.Days, Now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException)
        {
            return new(CampaignOutcome.Conflict, null, v, "That day was checked in meanwhile.");
        }
        return new(CampaignOutcome.Saved, (await CheckInsAsync(id, ct))!.Single(s => s.MemberId == memberId), v);
    }

    /// <summary>A photo-sharing campaign's photos (pending first), in the communities the caller sees.</summary>
    public async Task<IReadOnlyList<PhotoDto>?> PhotosAsync(Guid id, PhotoStatus? status, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (me is null || campaign is null || !Sees(me, campaign.CommunityIdsValue()))
            return null;
        var q = db.Set<CampaignPhoto>().AsNoTracking().Where(p => p.CampaignId == id);
        if (status is { } s)
            q = q.Where(p => p.Status == s);
        var rows = await q.Join(db.Members, p => p.MemberId, m => m.Id, (p, m) => new { p, m.DisplayName }).ToListAsync(ct);
        return [.. rows.Where(r => me.Sees(r.p.CommunityId)).OrderBy(r => r.p.Status).ThenBy(r => r.p.Day).ThenBy(r => r.p.CreatedAt)
            .Select(r => new PhotoDto(r.p.Id, r.p.MemberId, r.DisplayName, r.p.CommunityId, r.p.Day, r.p.MediaId, r.p.Status, r.p.CreatedAt, r.p.ReviewedAt,
                r.p.ImageId is null ? null : PhotoDto.ImagePath(id, r.p.Id)))];
    }

    /// <summary>
    /// The pictures of photos uploaded on the page, by photo id: the stored images (<paramref name="full"/>) or their
    /// console thumbnails. Only for staff who see the campaign and each photo's community (the API's image endpoint and
    /// the console's review both come through here); photos from the group have none.
    /// </summary>
    public async Task<Dictionary<Guid, PhotoPicture>> PhotoPicturesAsync(Guid id, IReadOnlyCollection<Guid> photoIds, bool full, CancellationToken ct = default)
    {
        var (campaign, me) = await VisibleAsync(db, id, CampaignKind.PhotoShare, ct);
        if (campaign is null || me is null || photoIds.Count == 0)
            return [];
        var photos = await db.Set<CampaignPhoto>().AsNoTracking().Where(p => p.CampaignId == id && photoIds.Contains(p.Id) && p.ImageId != null)
            .Select(p => new { p.Id, p.CommunityId, ImageId = p.ImageId!.Value }).ToListAsync(ct);
        var seen = photos.Where(p => me.Sees(p.CommunityId)).ToList();
        var imageIds = seen.Select(p => p.ImageId).ToList();
        var images = db.Set<Calendar.PostImage>().AsNoTracking().Where(i => imageIds.Contains(i.Id));
        var pictures = full
            ? await images.Select(i => new { i.Id, i.Bytes, i.ContentType }).ToDictionaryAsync(i => i.Id, i => new PhotoPicture(i.Bytes, i.ContentType), ct)
            : await images.Select(i => new { i.Id, i.Thumbnail }).ToDictionaryAsync(i => i.Id, i => new PhotoPicture(i.Thumbnail, "image/jpeg"), ct);
        return seen.Where(p => pictures.ContainsKey(p.ImageId)).ToDictionary(p => p.Id, p => pictures[p.ImageId]);
    }

    /// <summary>
    /// Approves or rejects a pending photo (staff who see its community; only from pending, so two reviewers cannot both
    /// decide). An approval that completes a block of <see cref="CampaignRules.DaysInRow"/> approved days in a row grants
    /// the campaign's first reward for that block (key <c>photos:{member}:{last day}</c>), in the same transaction.
    /// </summary>
    public async Task<MechanicResult<PhotoDto>> ReviewPhotoAsync(Guid id, Guid photoId, bool approve, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        var photo = await db.Set<CampaignPhoto>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == photoId && p.CampaignId == id, ct);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (photo is null || campaign is null || !me!.Sees(photo.CommunityId))
            return new(CampaignOutcome.NotFound, null, v);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var status = approve ? PhotoStatus.Approved : PhotoStatus.Rejected;
        var moved = await db.Set<CampaignPhoto>().Where(p => p.Id == photoId && p.Status == PhotoStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, status).SetProperty(p => p.ReviewedByStaffId, me.Id).SetProperty(p => p.ReviewedAt, Now), ct);
        if (moved == 0)
            return new(CampaignOutcome.Conflict, null, v, "The photo was already reviewed.");
        db.AddAuditNote(nameof(CampaignPhoto), photoId, "Updated", new Dictionary<string, object?> { ["Status"] = nameof(PhotoStatus.Pending) }, new Dictionary<string, object?> { ["Status"] = status.ToString() });
        if (approve && campaign.RulesValue().DaysInRow is { } n && campaign.RewardsValue().Count > 0)
        {
            var days = await db.Set<CampaignPhoto>().Where(p => p.CampaignId == id && p.MemberId == photo.MemberId && p.Status == PhotoStatus.Approved)
                .Select(p => p.Day).ToListAsync(ct);
            foreach (var end in Streaks.BlockDays(days, n))
            {
                if (!await CampaignGrants.AddOnceAsync(db, campaign, 0, photo.MemberId, FormattableString.Invariant($"photos:{photo.MemberId:N}:{end:yyyy-MM-dd}"), Now, ct))
                    continue;
                var p = await Participants.EnsureAsync(db, campaign.WorkspaceId, id, photo.MemberId, photo.CommunityId, Now, ct);
                p.CompletedAt ??= Now;
            }
        }
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException)
        {
            return new(CampaignOutcome.Conflict, null, v, "Another review of this member's photos was saved meanwhile; try again.");
        }
        return new(CampaignOutcome.Saved, (await PhotosAsync(id, null, ct))!.Single(x => x.Id == photoId), v);
    }
}
