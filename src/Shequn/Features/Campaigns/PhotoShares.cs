using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Campaigns;

public enum PhotoStatus
{
    Pending = 0,
    Approved = 1,
    Rejected = 2,
}

/// <summary>
/// A photo a member shared (晒图) for a photo-sharing campaign, waiting for staff review. One per (campaign, member,
/// day): the first photo of the day is the one reviewed. Approved days in a row earn the reward (seed 004: 7 days → a
/// coupon), once per full block of days (<see cref="Streaks.BlockDays"/>).
/// </summary>
public sealed class CampaignPhoto : IWorkspaceOwned, IAudited
{
    /// <summary>The most an uploaded photo may weigh.</summary>
    public const int UploadMaxBytes = 5 * 1024 * 1024;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public Guid CommunityId { get; set; }
    public DateOnly Day { get; set; }
    public long? EventSeq { get; set; }
    public string? MessageId { get; set; }
    /// <summary>The picture as its platform names it (a Sandbox upload's id, Telegram's file_id).</summary>
    public string? MediaId { get; set; }
    /// <summary>A photo uploaded on the campaign's page: the stored image (a <see cref="Calendar.PostImage"/> row), shown to staff only.</summary>
    public Guid? ImageId { get; set; }
    public PhotoStatus Status { get; set; }
    public Guid? ReviewedByStaffId { get; set; }
    public DateTime? ReviewedAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class CampaignPhotoConfiguration : IEntityTypeConfiguration<CampaignPhoto>
{
    public void Configure(EntityTypeBuilder<CampaignPhoto> b)
    {
        b.ToTable("CampaignPhotos");
        b.HasKey(p => p.Id);
        b.Property(p => p.MessageId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(p => p.MediaId).HasMaxLength(CommunityEvent.MediaIdMaxLength);
        b.HasIndex(p => new { p.CampaignId, p.MemberId, p.Day }).IsUnique();
        b.HasIndex(p => new { p.CampaignId, p.Status });
        b.HasOne<Campaign>().WithMany().HasForeignKey(p => p.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(p => p.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Calendar.PostImage>().WithMany().HasForeignKey(p => p.ImageId).OnDelete(DeleteBehavior.SetNull);
    }
}

/// <param name="ImageUrl">A photo uploaded on the page: where staff get its image (<c>/api/campaigns/{id}/photos/{photoId}/image</c>); null for a photo from the group.</param>
public sealed record PhotoDto(Guid Id, Guid MemberId, string MemberName, Guid CommunityId, DateOnly Day, string? MediaId, PhotoStatus Status, DateTime CreatedAt, DateTime? ReviewedAt,
    string? ImageUrl = null)
{
    public static string ImagePath(Guid campaignId, Guid photoId) => $"/api/campaigns/{campaignId}/photos/{photoId}/image";
}

/// <summary>An uploaded photo's picture as staff get it: the stored image, or its console thumbnail (a JPEG).</summary>
public sealed record PhotoPicture(byte[] Bytes, string ContentType)
{
    public string DataUrl => $"data:{ContentType};base64,{Convert.ToBase64String(Bytes)}";
}

/// <summary>
/// Photos posted in the group for a running photo-sharing campaign become review items, as a reaction of the event
/// processor (in its transaction; unique per member and day, so a replay adds nothing). A member the campaign's
/// anti-abuse settings leave out (<see cref="CampaignExclusions"/>; the photo itself does not end their silence) shares nothing.
/// </summary>
public sealed class PhotoShareReaction(WorkspaceZones zones) : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        var photos = events.Where(e => e.Kind == EventKind.MessagePosted && e.MessageKind == MessageKind.Image && !e.FromStaff && e.UserId is not null
            && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }).ToList();
        foreach (var group in photos.GroupBy(e => e.WorkspaceId))
        {
            var ws = group.Key;
            var first = group.Min(e => e.OccurredAt);
            var last = group.Max(e => e.OccurredAt);
            var campaigns = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking()
                .Where(c => c.WorkspaceId == ws && c.Kind == CampaignKind.PhotoShare && c.Status == CampaignStatus.Published && c.StartsAt <= last && c.EndsAt > first)
                .ToListAsync(ct);
            if (campaigns.Count == 0)
                continue;
            var zone = await zones.GetAsync(ws, ct);
            foreach (var campaign in campaigns)
            {
                var communities = campaign.CommunityIdsValue().ToHashSet();
                var rules = campaign.RulesValue();
                foreach (var e in group.Where(e => communities.Contains(effects.CommunityOf[e.Seq]!.Id) && campaign.StartsAt <= e.OccurredAt && e.OccurredAt < campaign.EndsAt))
                {
                    if (!effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var member))
                        continue;
                    var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(e.OccurredAt, zone));
                    if (db.ChangeTracker.Entries<CampaignPhoto>().Any(x => x.Entity.CampaignId == campaign.Id && x.Entity.MemberId == member && x.Entity.Day == day)
                        || await db.Set<CampaignPhoto>().IgnoreQueryFilters().AnyAsync(p => p.CampaignId == campaign.Id && p.MemberId == member && p.Day == day, ct))
                        continue;
                    if (await CampaignExclusions.DecideAsync(db, campaign, rules, member, e.OccurredAt, ct) != ExclusionReason.None)
                        continue;
                    var community = effects.CommunityOf[e.Seq]!.Id;
                    db.Add(new CampaignPhoto
                    {
                        WorkspaceId = ws, CampaignId = campaign.Id, MemberId = member, CommunityId = community, Day = day, EventSeq = e.Seq,
                        MessageId = e.MessageId, MediaId = e.MediaId, Status = PhotoStatus.Pending, CreatedAt = e.OccurredAt,
                    });
                    await Participants.EnsureAsync(db, ws, campaign.Id, member, community, e.OccurredAt, ct);
                }
            }
        }
        return 0;
    }
}
