using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform;

namespace Shequn.Features.Calendar;

/// <summary>Images for posts: uploaded once, then named by a post's <c>imageId</c> (or a mini-program card's <c>coverImageId</c>).</summary>
public static class MediaEndpoints
{
    public static RouteGroupBuilder MapMediaEndpoints(this RouteGroupBuilder api)
    {
        var media = api.MapGroup("/media").WithTags("Posts");
        media.MapPost("/", Upload).WithName("UploadPostImage").WithBodyLimit(PostImage.MaxBytes + BodyLimits.FormRoom)
            .WithSummary("Upload an image for posts (multipart: file)")
            .WithDescription("Decodes the image and keeps it (JPG, PNG, WebP or GIF; at most 20 MB and 25 million pixels); anything that does not decode "
                + "as an image is refused. Each platform's own limits (WeCom: JPG/PNG ≤ 10 MB; Telegram: ≤ 10 MB, width + height ≤ 10000, "
                + "sides at most 20 times apart) are checked when a post that uses it is saved.");
        media.MapGet("/{id:guid}", Get).WithName("GetPostImage");
        media.MapGet("/{id:guid}/content", Content).WithName("GetPostImageContent");
        return api;
    }

    public static async Task<Results<Created<PostImageDto>, ValidationProblem, ProblemHttpResult>> Upload(
        HttpRequest request, AppDbContext db, PostImages images, CancellationToken ct)
    {
        if (!PostPlanner.MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return CommunityEndpoints.Forbidden();
        if (!request.HasFormContentType)
            return TypedResults.Problem(statusCode: 400, title: "Bad request", detail: "Send multipart/form-data with the image in 'file'.");
        var form = await request.ReadFormAsync(ct);
        var v = new Validation();
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
            return v.Add("file", "Required", "'file' (the image) is required and must not be empty.").Problem();
        if (file.Length > PostImage.MaxBytes)
            return v.Add("file", "FileTooLarge", $"'file' is {file.Length:N0} bytes; at most {PostImage.MaxBytes:N0}.", PostImage.MaxBytes, file.Length).Problem();
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, ct);
        var made = await images.UploadAsync(v, file.FileName, buffer.ToArray(), ct);
        return made is null ? v.Problem() : TypedResults.Created($"/api/media/{made.Id}", made);
    }

    // A campaign photo a member uploaded is not a post image: served only by the campaign's photo endpoint (PhotoUploads).
    public static async Task<Results<Ok<PostImageDto>, NotFound>> Get(AppDbContext db, Guid id, CancellationToken ct) =>
        (await PostMedia.DescribeAsync(Campaigns.PhotoUploads.Library(db), [id], ct)).GetValueOrDefault(id) is { } image ? TypedResults.Ok(PostImageDto.Of(image)) : TypedResults.NotFound();

    public static async Task<Results<FileContentHttpResult, NotFound>> Content(AppDbContext db, Guid id, CancellationToken ct) =>
        await Campaigns.PhotoUploads.Library(db).AsNoTracking().Where(i => i.Id == id).Select(i => new { i.Bytes, i.ContentType, i.FileName }).SingleOrDefaultAsync(ct) is { } image
            ? TypedResults.File(image.Bytes, image.ContentType, image.FileName)
            : TypedResults.NotFound();
}
