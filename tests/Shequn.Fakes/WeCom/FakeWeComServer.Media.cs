using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkiaSharp;

namespace Shequn.Fakes.WeCom;

/// <summary>A file sent to media/upload in the multipart field <c>media</c>.</summary>
internal sealed record FakeUploadedMedia(string FileName, string? ContentType, byte[] Bytes);

/// <summary>
/// Temporary media (<c>POST /cgi-bin/media/upload?access_token=…&amp;type=image</c>, multipart field <c>media</c> with a
/// filename): <c>type</c> is image, voice, video or file (else 40004 invalid media type); an image is JPG or PNG
/// (else 40005 invalid file type) of 5 bytes to 10 MB (else 40006 invalid media size). The answer is
/// <c>{"type","media_id","created_at"}</c> (created_at a string); a media_id is valid for 3 days. add_msg_template's
/// attachments name media by it: an image's <c>media_id</c> (or <c>pic_url</c>), a mini-program's <c>pic_media_id</c>
/// (unknown or expired: 40007 invalid media_id), with the mini-program's title (≤ 64 bytes), appid and page.
/// </summary>
public sealed partial class FakeWeComServer
{
    public const string MediaUploadPath = "media/upload";
    public const int ImageMaxBytes = 10 * 1024 * 1024;
    public static readonly TimeSpan MediaLifetime = TimeSpan.FromDays(3);

    private static async Task<(JsonObject Body, FakeUploadedMedia? Upload)> ReadUploadAsync(HttpRequest request)
    {
        var body = new JsonObject { ["type"] = request.Query["type"].ToString() };
        if (!request.HasFormContentType)
            return (body, null);
        var form = await request.ReadFormAsync();
        var file = form.Files.GetFile("media");
        if (file is null)
            return (body, null);
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer);
        body["filename"] = file.FileName;
        body["content_type"] = file.ContentType;
        body["size"] = buffer.Length;
        return (body, new FakeUploadedMedia(file.FileName, file.ContentType, buffer.ToArray()));
    }

    private JsonObject UploadMedia(FakeWeComCorp corp, JsonObject body, FakeUploadedMedia? upload)
    {
        var type = body["type"]?.GetValue<string>() ?? "";
        if (type is not ("image" or "voice" or "video" or "file"))
            throw new FakeWeComException(40004, "invalid media type");
        if (upload is null || string.IsNullOrEmpty(upload.FileName))
            throw new FakeWeComException(44001, "empty media data");
        if (type == "image")
        {
            if (upload.Bytes.Length < 5 || upload.Bytes.Length > ImageMaxBytes)
                throw new FakeWeComException(40006, "invalid media size");
            using var data = SKData.CreateCopy(upload.Bytes);
            using var codec = SKCodec.Create(data);
            if (codec?.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png))
                throw new FakeWeComException(40005, "invalid file type");
        }
        var id = "3" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var now = Time.GetUtcNow();
        Media[id] = new FakeWeComMedia(id, corp.CorpId, type, upload.FileName, upload.ContentType, upload.Bytes, now);
        return new JsonObject { ["type"] = type, ["media_id"] = id, ["created_at"] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
    }

    private void CheckMedia(FakeWeComCorp corp, string? mediaId)
    {
        if (string.IsNullOrEmpty(mediaId) || !Media.TryGetValue(mediaId, out var media) || media.CorpId != corp.CorpId
            || Time.GetUtcNow() - media.CreatedAt > MediaLifetime)
            throw new FakeWeComException(40007, "invalid media_id");
    }

    private void CheckAttachment(FakeWeComCorp corp, JsonObject attachment)
    {
        var type = attachment["msgtype"]?.GetValue<string>();
        switch (type)
        {
            case "image":
                var image = attachment["image"] as JsonObject ?? throw FakeWeComException.Param("image");
                var mediaId = image["media_id"]?.GetValue<string>();
                if (mediaId is null && image["pic_url"] is null)
                    throw FakeWeComException.Param("image.media_id or image.pic_url");
                if (mediaId is not null)
                    CheckMedia(corp, mediaId);
                break;
            case "miniprogram":
                var mp = attachment["miniprogram"] as JsonObject ?? throw FakeWeComException.Param("miniprogram");
                var title = mp["title"]?.GetValue<string>();
                if (string.IsNullOrEmpty(title) || Encoding.UTF8.GetByteCount(title) > 64)
                    throw FakeWeComException.Param("miniprogram.title");
                if (string.IsNullOrEmpty(mp["appid"]?.GetValue<string>()))
                    throw FakeWeComException.Param("miniprogram.appid");
                if (string.IsNullOrEmpty(mp["page"]?.GetValue<string>()))
                    throw FakeWeComException.Param("miniprogram.page");
                CheckMedia(corp, mp["pic_media_id"]?.GetValue<string>());
                break;
            case "link" or "video":
                break;
            default:
                throw FakeWeComException.Param("attachments.msgtype");
        }
    }
}
