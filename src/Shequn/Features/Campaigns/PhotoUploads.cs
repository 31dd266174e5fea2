using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Calendar;

namespace Shequn.Features.Campaigns;

/// <summary>
/// Photos members upload on a photo-sharing campaign's page are stored as <see cref="PostImage"/> rows but are not the
/// workspace's post images: they are the member's personal data, seen only by staff who see the photo's community
/// (<c>/api/campaigns/{id}/photos/{photoId}/image</c>, the console's review). The media endpoints, posts and page blocks
/// take their images from <see cref="Library"/>, which leaves them out; an erasure deletes them with the member.
/// </summary>
public static class PhotoUploads
{
    /// <summary>The workspace's post images: every <see cref="PostImage"/> but a campaign photo upload.</summary>
    public static IQueryable<PostImage> Library(AppDbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        // Not IgnoreQueryFilters on the inner set: EF applies it to the whole query, and the images of every workspace would show.
        return db.Set<PostImage>().Where(i => !db.Set<CampaignPhoto>().Any(p => p.ImageId == i.Id));
    }

    /// <summary>Deletes the images of every photo the member uploaded (their photo rows go with the member).</summary>
    public static Task<int> DeleteOfMemberAsync(AppDbContext db, Guid workspaceId, Guid memberId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var uploads = db.Set<CampaignPhoto>().IgnoreQueryFilters().Where(p => p.WorkspaceId == workspaceId && p.MemberId == memberId && p.ImageId != null)
            .Select(p => p.ImageId!.Value);
        return db.Set<PostImage>().IgnoreQueryFilters().Where(i => i.WorkspaceId == workspaceId && uploads.Contains(i.Id)).ExecuteDeleteAsync(ct);
    }
}
