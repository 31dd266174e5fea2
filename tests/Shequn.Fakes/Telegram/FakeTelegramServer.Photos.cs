using System.Text.Json.Nodes;
using SkiaSharp;

namespace Shequn.Fakes.Telegram;

/// <summary>
/// sendPhoto as the Bot API takes it: <c>photo</c> is a file uploaded as multipart/form-data (in the field <c>photo</c>,
/// or named by <c>attach://name</c>) or the <c>file_id</c> of a file Telegram holds; the caption (at most 1024
/// characters) is the text under it. An upload must be an image of at most 10 MB whose width and height add up to at
/// most 10000 and differ at most 20 times. The photo is stored as a file (getFile serves it) and answered as PhotoSizes.
/// </summary>
public sealed partial class FakeTelegramServer
{
    public const int PhotoMaxBytes = 10 * 1024 * 1024;
    public const int CaptionMax = 1024;

    private readonly AsyncLocal<IReadOnlyList<FakeUpload>?> _uploads = new();

    /// <summary>The photos bots sent, in order: chat, the uploaded bytes (or the file reused), the caption.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(long ChatId, FakeFile File, string? Caption)> SentPhotos { get; } = new();

    private JsonObject SendPhoto(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        var me = BotIn(bot, chat);
        if (me.Status is "restricted")
            throw FakeTelegramException.BadRequest("not enough rights to send photos to the chat");
        var caption = p.Text("caption");
        if (caption is { Length: > CaptionMax })
            throw FakeTelegramException.BadRequest("message caption is too long");
        var file = PhotoOf(p);
        Flood(chat.Id, sending: true);

        var now = Time.GetUtcNow();
        var message = new FakeMessage(chat.NextMessageId(), bot.Id, caption, now, file.File.FileId);
        chat.Messages[message.Id] = message;
        SentPhotos.Enqueue((chat.Id, file.File, caption));
        var result = new JsonObject
        {
            ["message_id"] = message.Id,
            ["from"] = bot.ToUser(),
            ["chat"] = chat.ToChat(),
            ["date"] = now.ToUnixTimeSeconds(),
            ["photo"] = new JsonArray(new JsonObject
            {
                ["file_id"] = file.File.FileId, ["file_unique_id"] = file.File.UniqueId, ["file_size"] = file.File.Bytes.Length,
                ["width"] = file.Width, ["height"] = file.Height,
            }),
        };
        if (caption is not null)
            result["caption"] = caption;
        return result;
    }

    /// <summary>The photo named by <c>photo</c>: an upload (checked as Telegram checks photos) or a known file_id.</summary>
    private (FakeFile File, int Width, int Height) PhotoOf(JsonObject p)
    {
        var uploads = _uploads.Value ?? [];
        var named = p.Text("photo");
        var field = named is null ? "photo" : named.StartsWith("attach://", StringComparison.Ordinal) ? named["attach://".Length..] : null;
        if (field is null)
        {
            // A file_id of a file Telegram already holds (URLs are not fetched by the fake).
            if (!_files.TryGetValue(named!, out var known))
                throw FakeTelegramException.BadRequest("wrong file identifier/HTTP URL specified");
            var (w, h) = Dimensions(known.Bytes) ?? (1, 1);
            return (known, w, h);
        }
        var upload = uploads.FirstOrDefault(u => u.Field == field) ?? throw FakeTelegramException.BadRequest("there is no photo in the request");
        if (upload.Bytes.Length > PhotoMaxBytes)
            throw FakeTelegramException.BadRequest("file is too big");
        var (width, height) = Dimensions(upload.Bytes) ?? throw FakeTelegramException.BadRequest("IMAGE_PROCESS_FAILED");
        if (width + height > 10_000 || Math.Max(width, height) > 20 * Math.Min(width, height))
            throw FakeTelegramException.BadRequest("PHOTO_INVALID_DIMENSIONS");
        return (AddFile(upload.Bytes), width, height);
    }

    private static (int Width, int Height)? Dimensions(byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        return codec is null ? null : (codec.Info.Width, codec.Info.Height);
    }
}
