using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;
using Shequn.Platform;

namespace Shequn.Features.Campaigns;

/// <summary>
/// 晒图返现 from the page: a member uploads the day's photo on <c>/c/{slug}</c> (personal token, multipart, at most
/// <see cref="CampaignPhoto.UploadMaxBytes"/>, decoded to prove it is an image) and it becomes the same pending review item
/// a photo posted in the group makes, one per member and day. Staff see it at <c>/api/campaigns/{id}/photos/{photoId}/image</c>.
/// </summary>
public static class PhotoUploadEndpoints
{
    public static void MapPhotoUploadEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        api.MapGroup("/campaigns").WithTags("Campaigns").MapGet("/{id:guid}/photos/{photoId:guid}/image", Image).WithName("GetCampaignPhotoImage")
            .WithDescription("The image of a photo uploaded on the campaign's page (staff who see the campaign and the photo's community); 404 for a photo from the group.");
        app.MapPost("/c/{slug}/photo", Upload).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription()
            .WithBodyLimit(CampaignPhoto.UploadMaxBytes + BodyLimits.FormRoom);
    }

    public static async Task<Results<FileContentHttpResult, NotFound>> Image(CampaignDesk desk, Guid id, Guid photoId, CancellationToken ct) =>
        (await desk.PhotoPicturesAsync(id, [photoId], full: true, ct)).GetValueOrDefault(photoId) is { } picture
            ? TypedResults.File(picture.Bytes, picture.ContentType)
            : TypedResults.NotFound();

    private static async Task<IResult> Upload(HttpContext http, AppDbContext db, CampaignSnapshots snapshots, CampaignLinks links, WorkspaceZones zones, TimeProvider time,
        IStringLocalizer<Strings> l, string slug, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        FlashSaleEndpoints.Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.PhotoShare)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound");
        if (!http.Request.HasFormContentType)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status400BadRequest, "photoMissing");
        var form = await http.Request.ReadFormAsync(ct);
        var c = s.Campaign;
        if (await links.VerifyAsync(c.Id, form["token"].ToString(), ct) is not { } member)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        var now = time.GetUtcNow().UtcDateTime;
        if (c.PhaseAt(now) != CampaignPhase.Running)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "notRunning");
        if (await snapshots.AudienceCommunityAsync(s, member, ct) is not { } community)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "notInAudience");
        if (await snapshots.ExclusionAsync(s, member, ct) is not ExclusionReason.None and var excluded)
            return FlashSaleEndpoints.Excluded(l, excluded);
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status400BadRequest, "photoMissing");
        if (file.Length > CampaignPhoto.UploadMaxBytes)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status413RequestEntityTooLarge, "photoTooLarge");
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        if (PostImages.Read(new Validation(), bytes) is not { } read)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status400BadRequest, "photoNotImage");

        var ws = c.WorkspaceId;
        using var acting = db.Current.ActAsSystemWhile(ws);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(now, await zones.GetAsync(ws, ct)));
        var photos = db.Set<CampaignPhoto>();
        if (await photos.AnyAsync(p => p.CampaignId == c.Id && p.MemberId == member && p.Day == day, ct))
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "photoToday");
        var image = new PostImage
        {
            WorkspaceId = ws, FileName = "photo-" + day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture),
            ContentType = read.ContentType, ByteSize = bytes.Length, Width = read.Width, Height = read.Height, Bytes = bytes, Thumbnail = read.Thumbnail, CreatedAt = now,
        };
        var photo = new CampaignPhoto
        {
            WorkspaceId = ws, CampaignId = c.Id, MemberId = member, CommunityId = community, Day = day, ImageId = image.Id, Status = PhotoStatus.Pending, CreatedAt = now,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Add(image);
        db.Add(photo);
        await Participants.EnsureAsync(db, ws, c.Id, member, community, now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique (campaign, member, day) key: a second upload (or a group photo) won the day at the same moment.
            await tx.RollbackAsync(ct);
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "photoToday");
        }
        return TypedResults.Ok(new { id = photo.Id, status = "pending", message = l["CampaignPage.Photo.Uploaded"].Value });
    }
}
