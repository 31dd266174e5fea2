using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Shequn.Fakes.Telegram;

/// <summary>A file the fake holds: what <c>getFile</c> says about it and the bytes its path serves.</summary>
public sealed record FakeFile(string FileId, string UniqueId, string Path, byte[] Bytes);

/// <summary>
/// Files (platforms.md C1; the Bot API's getFile): <c>getFile</c> with a <c>file_id</c> answers a File object
/// (<c>file_id</c>, <c>file_unique_id</c>, <c>file_size</c>, <c>file_path</c>), and the bytes are then served at
/// <c>{base}/file/bot{token}/{file_path}</c>. As on Telegram, bots may get files of at most 20 MB ("file is too big"),
/// and an unknown id is a 400.
/// </summary>
public sealed partial class FakeTelegramServer
{
    public const long MaxDownloadBytes = 20 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, FakeFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeFile> _paths = new(StringComparer.Ordinal);
    private long _nextFile;

    /// <summary>Every file path downloaded, in order.</summary>
    public ConcurrentQueue<string> Downloads { get; } = new();

    private int _getFileFailures;

    /// <summary>How many of the next getFile calls answer 500 (a Telegram hiccup), whatever their file.</summary>
    public int GetFileFailures
    {
        get => Volatile.Read(ref _getFileFailures);
        set => Volatile.Write(ref _getFileFailures, value);
    }

    partial void RegisterFiles()
    {
        _app.MapGet("/file/bot{token}/{**path}", DownloadAsync);
        _methods["getFile"] = (_, p) =>
        {
            if (Interlocked.Decrement(ref _getFileFailures) >= 0)
                throw new FakeTelegramException(500, "Internal Server Error");
            Interlocked.CompareExchange(ref _getFileFailures, 0, -1);
            var id = p.Text("file_id") ?? throw FakeTelegramException.BadRequest("file_id is required");
            if (!_files.TryGetValue(id, out var file))
                throw FakeTelegramException.BadRequest("invalid file_id");
            if (file.Bytes.Length > MaxDownloadBytes)
                throw FakeTelegramException.BadRequest("file is too big");
            return new JsonObject { ["file_id"] = file.FileId, ["file_unique_id"] = file.UniqueId, ["file_size"] = file.Bytes.Length, ["file_path"] = file.Path };
        };
    }

    /// <summary>Stores bytes as a file anyone may fetch by its id (what an upload to Telegram does); returns it.</summary>
    public FakeFile AddFile(byte[] bytes, string folder = "photos", string extension = "jpg")
    {
        var n = Interlocked.Increment(ref _nextFile);
        var file = new FakeFile($"AgACAgIAAxkBAAI{n:D6}fake", $"AQAD{n:D6}", $"{folder}/file_{n}.{extension}", bytes);
        _files[file.FileId] = file;
        _paths[file.Path] = file;
        return file;
    }

    /// <summary>
    /// A user posts a photo: Telegram sends several sizes (a small thumbnail first, the largest last), each its own file.
    /// Returns the update_id, the message id and the largest size's file.
    /// </summary>
    public (long? UpdateId, long MessageId, FakeFile Largest) PostPhoto(FakeBot bot, FakeChat chat, long userId, string firstName, byte[] image, string? caption = null)
    {
        var thumbnail = AddFile(image);
        var largest = AddFile(image);
        JsonObject Size(FakeFile f, int side) => new()
        {
            ["file_id"] = f.FileId, ["file_unique_id"] = f.UniqueId, ["file_size"] = f.Bytes.Length, ["width"] = side, ["height"] = side,
        };
        var content = new JsonObject { ["photo"] = new JsonArray(Size(thumbnail, 90), Size(largest, 1280)) };
        if (caption is not null)
            content["caption"] = caption;
        var (update, message) = Post(bot, chat, userId, firstName, content);
        return (update, message, largest);
    }

    /// <summary>A user sends an image as a file (a document with an image MIME type). Returns the update_id and the file.</summary>
    public (long? UpdateId, FakeFile File) PostImageDocument(FakeBot bot, FakeChat chat, long userId, string firstName, byte[] image, string fileName = "scan.png")
    {
        var file = AddFile(image, "documents", Path.GetExtension(fileName).TrimStart('.'));
        var content = new JsonObject
        {
            ["document"] = new JsonObject
            {
                ["file_id"] = file.FileId, ["file_unique_id"] = file.UniqueId, ["file_name"] = fileName, ["mime_type"] = "image/png", ["file_size"] = image.Length,
            },
        };
        return (Post(bot, chat, userId, firstName, content).UpdateId, file);
    }

    private async Task DownloadAsync(HttpContext http, string token, string path)
    {
        if (Down)
        {
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        if (!_bots.TryGetValue(token, out var bot) || bot.Revoked)
        {
            http.Response.StatusCode = bot is null ? StatusCodes.Status404NotFound : StatusCodes.Status401Unauthorized;
            return;
        }
        if (!_paths.TryGetValue(path, out var file))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        Downloads.Enqueue(path);
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = file.Bytes.Length;
        await http.Response.Body.WriteAsync(file.Bytes);
    }
}
