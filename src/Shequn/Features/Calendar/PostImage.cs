using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using SkiaSharp;

namespace Shequn.Features.Calendar;

/// <summary>
/// An image staff uploaded for posts (<c>POST /api/media</c> or the post dialog): the bytes as uploaded, what they are
/// (read by decoding them, never from the name or the browser's content type), and a small JPEG for the console. A post
/// names it by <see cref="Post.ImageId"/> (or as a mini-program card's cover); the connectors send the stored bytes.
/// </summary>
public sealed class PostImage : IWorkspaceOwned
{
    /// <summary>The largest upload kept; each platform's own limit is checked when a post uses it (WeCom and Telegram: 10 MB).</summary>
    public const int MaxBytes = 20 * 1024 * 1024;

    /// <summary>Larger images are refused at upload: decoding them takes too much memory, and no platform shows them.</summary>
    public const long MaxPixels = 25_000_000;

    public const int ThumbnailSide = 320;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string FileName { get; set; }
    /// <summary><c>image/jpeg</c>, <c>image/png</c>, <c>image/webp</c> or <c>image/gif</c>, from the decoded format.</summary>
    public required string ContentType { get; set; }
    public int ByteSize { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }
    public required byte[] Bytes { get; set; }
    /// <summary>A JPEG at most <see cref="ThumbnailSide"/> on its longest side, for the console.</summary>
    public required byte[] Thumbnail { get; set; }
    public Guid? CreatedByStaffId { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public bool IsJpegOrPng => ContentType is "image/jpeg" or "image/png";

    public string ThumbnailDataUrl => "data:image/jpeg;base64," + Convert.ToBase64String(Thumbnail);
}

/// <summary>An uploaded image as the API shows it.</summary>
public sealed record PostImageDto(Guid Id, string FileName, string ContentType, int ByteSize, int Width, int Height, DateTime CreatedAt)
{
    public static PostImageDto Of(PostImage i) => new(i.Id, i.FileName, i.ContentType, i.ByteSize, i.Width, i.Height, i.CreatedAt);
}

/// <summary>A WeChat mini-program card attached to a WeCom post (add_msg_template's <c>miniprogram</c> attachment).</summary>
public sealed record MiniProgramInput(string? Title = null, string? AppId = null, string? Page = null, Guid? CoverImageId = null)
{
    public bool IsBlank => string.IsNullOrWhiteSpace(Title) && string.IsNullOrWhiteSpace(AppId) && string.IsNullOrWhiteSpace(Page) && CoverImageId is null;

    /// <summary>A post's stored card as input again (a copy, or an edit that leaves the card alone).</summary>
    public static MiniProgramInput? Of(MiniProgramCard? card) => card is null ? null : new(card.Title, card.AppId, card.Page, card.CoverImageId);
}

/// <summary>What an image (or a mini-program card) must be on each platform a post goes to (platforms.md A3.4, Telegram's sendPhoto).</summary>
public static partial class PostMedia
{
    /// <summary>WeCom's temporary media (media/upload, type image) and Telegram's sendPhoto both take at most 10 MB.</summary>
    public const int PlatformMaxBytes = 10 * 1024 * 1024;
    /// <summary>WeCom refuses media under 5 bytes.</summary>
    public const int WeComMinBytes = 5;
    public const int TelegramMaxSides = 10_000;
    public const int TelegramMaxRatio = 20;
    /// <summary>A photo's caption on Telegram (the text under an image), in characters.</summary>
    public const int TelegramCaptionMax = 1024;
    /// <summary>add_msg_template's miniprogram title, in bytes of UTF-8.</summary>
    public const int MiniProgramTitleMaxBytes = 64;
    public const int MiniProgramPageMaxLength = 500;

    [GeneratedRegex("^wx[0-9a-f]{16}$")]
    private static partial Regex AppIdShape();

    public static bool IsAppId(string? appId) => appId is not null && AppIdShape().IsMatch(appId);

    /// <summary>The post's mini-program card, when it has one.</summary>
    public static MiniProgramCard? CardOf(Post post) =>
        post.MiniProgramAppId is { } appId && post.MiniProgramCoverId is { } cover
            ? new MiniProgramCard(post.MiniProgramTitle ?? "", appId, post.MiniProgramPage ?? "", cover)
            : null;

    /// <summary>An image with its bytes, for a connector sending it (no workspace is current there); null when it is gone.</summary>
    public static Task<PostImage?> LoadAsync(AppDbContext db, Guid workspaceId, Guid id, CancellationToken ct) =>
        db.Set<PostImage>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(i => i.Id == id && i.WorkspaceId == workspaceId, ct);

    /// <summary>What the images are (without their bytes), by id.</summary>
    public static async Task<Dictionary<Guid, PostImage>> DescribeAsync(IQueryable<PostImage> images, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
            return [];
        var rows = await images.AsNoTracking().Where(i => ids.Contains(i.Id))
            .Select(i => new { i.Id, i.WorkspaceId, i.FileName, i.ContentType, i.ByteSize, i.Width, i.Height, i.CreatedAt })
            .ToListAsync(ct);
        return rows.ToDictionary(r => r.Id, r => new PostImage
        {
            Id = r.Id, WorkspaceId = r.WorkspaceId, FileName = r.FileName, ContentType = r.ContentType, ByteSize = r.ByteSize,
            Width = r.Width, Height = r.Height, CreatedAt = r.CreatedAt, Bytes = [], Thumbnail = [],
        });
    }

    /// <summary>The platform's name in a message, translated by the console (<c>Platform.{name}</c>).</summary>
    public static Reason PlatformName(ChatPlatform p) => new("Platform." + p, p.ToString());

    /// <summary>
    /// The image against each platform among <paramref name="platforms"/>: format and size on WeCom; size, sides and
    /// aspect ratio on Telegram. Errors name <paramref name="field"/> and the platform.
    /// </summary>
    public static void CheckImage(Validation v, string field, PostImage image, IEnumerable<ChatPlatform> platforms)
    {
        foreach (var platform in platforms.Distinct())
        {
            var name = PlatformName(platform);
            switch (platform)
            {
                case ChatPlatform.WeCom:
                    if (!image.IsJpegOrPng)
                        v.Add(field, "ImageFormatNotTaken", $"'{field}': WeCom takes JPG or PNG images only (this one is {image.ContentType}).", name, image.ContentType);
                    if (image.ByteSize > PlatformMaxBytes || image.ByteSize < WeComMinBytes)
                        v.Add(field, "ImageTooLargeFor", $"'{field}': WeCom takes images of at most {PlatformMaxBytes:N0} bytes (this one has {image.ByteSize:N0}).", name, PlatformMaxBytes, image.ByteSize);
                    break;
                case ChatPlatform.Telegram:
                    if (image.ByteSize > PlatformMaxBytes)
                        v.Add(field, "ImageTooLargeFor", $"'{field}': Telegram takes photos of at most {PlatformMaxBytes:N0} bytes (this one has {image.ByteSize:N0}).", name, PlatformMaxBytes, image.ByteSize);
                    if (image.Width + image.Height > TelegramMaxSides)
                        v.Add(field, "ImageSidesTooLong", $"'{field}': on Telegram a photo's width and height add up to at most {TelegramMaxSides} (this one is {image.Width}×{image.Height}).", name, TelegramMaxSides, image.Width, image.Height);
                    var ratio = (double)Math.Max(image.Width, image.Height) / Math.Max(1, Math.Min(image.Width, image.Height));
                    if (ratio > TelegramMaxRatio)
                        v.Add(field, "ImageAspectTooLong", $"'{field}': on Telegram a photo's sides differ at most {TelegramMaxRatio} times (this one is {image.Width}×{image.Height}).", name, TelegramMaxRatio, image.Width, image.Height);
                    break;
            }
        }
    }

    /// <summary>A mini-program card's own fields (title, appid, page, cover); the cover must be a WeCom image.</summary>
    public static void CheckMiniProgram(Validation v, string field, MiniProgramInput card, PostImage? cover)
    {
        var title = card.Title?.Trim();
        if (string.IsNullOrEmpty(title))
            v.Add($"{field}.title", "Required", $"'{field}.title' is required.");
        else if (Encoding.UTF8.GetByteCount(title) is var bytes && bytes > MiniProgramTitleMaxBytes)
            v.Add($"{field}.title", "TooManyBytes", $"'{field}.title' is {bytes} bytes of UTF-8; WeCom takes at most {MiniProgramTitleMaxBytes}.", MiniProgramTitleMaxBytes, bytes);
        var appId = card.AppId?.Trim();
        if (string.IsNullOrEmpty(appId))
            v.Add($"{field}.appId", "Required", $"'{field}.appId' is required.");
        else if (!IsAppId(appId))
            v.Add($"{field}.appId", "BadAppId", $"'{field}.appId' must be a mini-program's appid: wx and 16 hex digits (got '{appId}').", appId);
        v.Required($"{field}.page", card.Page?.Trim(), MiniProgramPageMaxLength);
        if (card.CoverImageId is null)
            v.Add($"{field}.coverImageId", "Required", $"'{field}.coverImageId' (an uploaded image) is required.");
        else if (cover is null)
            v.Add($"{field}.coverImageId", "UnknownValue", $"'{field}.coverImageId' has an unknown value '{card.CoverImageId}'.", card.CoverImageId);
        else
            CheckImage(v, $"{field}.coverImageId", cover, [ChatPlatform.WeCom]);
    }
}

/// <summary>Uploading images for posts: decoded with SkiaSharp, so only real images are kept.</summary>
public sealed class PostImages(AppDbContext db)
{
    /// <summary>Reads and stores an image; null with the reason in <paramref name="v"/> (field <c>file</c>) when it is not one.</summary>
    public async Task<PostImageDto?> UploadAsync(Validation v, string? fileName, byte[] bytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (bytes.Length == 0)
            v.Add("file", "Required", "'file' (the image) is required and must not be empty.");
        else if (bytes.Length > PostImage.MaxBytes)
            v.Add("file", "FileTooLarge", $"'file' is {bytes.Length:N0} bytes; at most {PostImage.MaxBytes:N0}.", PostImage.MaxBytes, bytes.Length);
        if (!v.IsValid)
            return null;
        var read = Read(v, bytes);
        if (read is null)
            return null;
        var image = new PostImage
        {
            WorkspaceId = db.CurrentWorkspaceId,
            FileName = Clip(string.IsNullOrWhiteSpace(fileName) ? "image" : Path.GetFileName(fileName.Trim()), 200),
            ContentType = read.Value.ContentType,
            ByteSize = bytes.Length,
            Width = read.Value.Width,
            Height = read.Value.Height,
            Bytes = bytes,
            Thumbnail = read.Value.Thumbnail,
            CreatedByStaffId = me?.Id,
        };
        db.Add(image);
        await db.SaveChangesAsync(ct);
        return PostImageDto.Of(image);
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];

    /// <summary>What the bytes are, decoded: the format, the size and a thumbnail; null (with the reason) when they are no image.</summary>
    internal static (string ContentType, int Width, int Height, byte[] Thumbnail)? Read(Validation v, byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            v.Add("file", "NotAnImage", "'file' is not an image (it could not be decoded).");
            return null;
        }
        var type = codec.EncodedFormat switch
        {
            SKEncodedImageFormat.Jpeg => "image/jpeg",
            SKEncodedImageFormat.Png => "image/png",
            SKEncodedImageFormat.Webp => "image/webp",
            SKEncodedImageFormat.Gif => "image/gif",
            _ => null,
        };
        if (type is null)
        {
            v.Add("file", "ImageFormatUnsupported", $"'file' is a {codec.EncodedFormat} image; JPG, PNG, WebP or GIF are taken.", codec.EncodedFormat.ToString());
            return null;
        }
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if ((long)width * height > PostImage.MaxPixels)
        {
            v.Add("file", "ImageTooManyPixels", $"'file' is {width}×{height} pixels; at most {PostImage.MaxPixels:N0} pixels are taken.", width, height, PostImage.MaxPixels);
            return null;
        }
        using var bitmap = SKBitmap.Decode(codec, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        if (bitmap is null)
        {
            v.Add("file", "NotAnImage", "'file' is not an image (it could not be decoded).");
            return null;
        }
        return (type, width, height, Thumbnail(bitmap));
    }

    /// <summary>A JPEG at most <see cref="PostImage.ThumbnailSide"/> on its longest side, transparency on white.</summary>
    private static byte[] Thumbnail(SKBitmap bitmap)
    {
        var scale = Math.Min(1f, (float)PostImage.ThumbnailSide / Math.Max(bitmap.Width, bitmap.Height));
        var w = Math.Max(1, (int)Math.Round(bitmap.Width * scale));
        var h = Math.Max(1, (int)Math.Round(bitmap.Height * scale));
        using var surface = SKSurface.Create(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.White);
        using var source = SKImage.FromBitmap(bitmap);
        surface.Canvas.DrawImage(source, new SKRect(0, 0, w, h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        using var snapshot = surface.Snapshot();
        using var jpeg = snapshot.Encode(SKEncodedImageFormat.Jpeg, 80);
        return jpeg.ToArray();
    }
}

internal sealed class PostImageConfiguration : IEntityTypeConfiguration<PostImage>
{
    public void Configure(EntityTypeBuilder<PostImage> b)
    {
        b.ToTable("PostImages");
        b.HasKey(i => i.Id);
        b.Property(i => i.FileName).HasMaxLength(200);
        b.Property(i => i.ContentType).HasMaxLength(50);
        b.HasIndex(i => new { i.WorkspaceId, i.CreatedAt });
        b.HasOne<Workspace>().WithMany().HasForeignKey(i => i.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}
