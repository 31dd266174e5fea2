using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Shequn.Fakes.Telegram;

/// <summary>A file sent with a call as multipart/form-data (sendPhoto's <c>photo</c>), by its form field.</summary>
public sealed record FakeUpload(string Field, string FileName, string? ContentType, byte[] Bytes);

/// <summary>One request the fake answered: which bot, which method (lower case), with which parameters (and files uploaded with it).</summary>
public sealed record FakeTelegramCall(string Token, string Method, JsonObject Parameters, DateTimeOffset At, int Status, IReadOnlyList<FakeUpload>? Files = null);

/// <summary>A Bot API refusal: answered with HTTP status <see cref="Code"/> and the error envelope of platforms.md B1.</summary>
public sealed class FakeTelegramException(int code, string description, int? retryAfter = null, long? migrateToChatId = null) : Exception(description)
{
    public int Code { get; } = code;
    public int? RetryAfter { get; } = retryAfter;
    public long? MigrateToChatId { get; } = migrateToChatId;

    public static FakeTelegramException BadRequest(string what) => new(400, "Bad Request: " + what);
}

/// <summary>A bot the fake knows, by its token (<c>123456:SECRET</c>; the part before the colon is the bot's user id).</summary>
public sealed class FakeBot(string token, string username, string firstName)
{
    public string Token { get; } = token;
    public long Id { get; } = long.Parse(token[..token.IndexOf(':', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
    public string Username { get; } = username;
    public string FirstName { get; } = firstName;

    /// <summary>A revoked token answers 401 Unauthorized to every call, as Telegram does after /revoke.</summary>
    public bool Revoked { get; set; }

    public JsonObject ToUser() => new() { ["id"] = Id, ["is_bot"] = true, ["first_name"] = FirstName, ["username"] = Username };
}

/// <summary>A group the fake holds: its members by user id and the messages posted in it.</summary>
public sealed class FakeChat(long id, string title, string type)
{
    public long Id { get; set; } = id;
    public string Title { get; set; } = title;
    /// <summary><c>group</c> or <c>supergroup</c>.</summary>
    public string Type { get; set; } = type;
    public ConcurrentDictionary<long, FakeMember> Members { get; } = new();
    public ConcurrentDictionary<long, FakeMessage> Messages { get; } = new();
    private long _nextMessageId;

    public long NextMessageId() => Interlocked.Increment(ref _nextMessageId);

    public JsonObject ToChat() => new() { ["id"] = Id, ["title"] = Title, ["type"] = Type };
}

/// <summary>A member's state in a chat (status as in ChatMember: creator, administrator, member, restricted, left, kicked).</summary>
public sealed class FakeMember(long userId, string firstName)
{
    public long UserId { get; } = userId;
    public string FirstName { get; set; } = firstName;
    public bool IsBot { get; init; }
    public string Status { get; set; } = "member";
    public DateTimeOffset? Until { get; set; }

    public JsonObject ToUser() => new() { ["id"] = UserId, ["is_bot"] = IsBot, ["first_name"] = FirstName };
}

/// <param name="PhotoFileId">For a photo: its largest size's file (the text is then its caption).</param>
public sealed record FakeMessage(long Id, long FromId, string? Text, DateTimeOffset Date, string? PhotoFileId = null);

/// <summary>
/// A local Telegram Bot API server (platforms.md B1 and Part E): <c>/bot{token}/{method}</c> at the root, parameters
/// from the query string, a form or a JSON body, method names case-insensitive; HTTP 200 with <c>{"ok":true,"result":…}</c>
/// on success and a non-200 status with <c>error_code</c>/<c>description</c>/<c>parameters</c> on failure, which is
/// what Telegram.Bot expects (platforms.md C2). Methods are registered per area in the partial files of this class.
/// </summary>
public sealed partial class FakeTelegramServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeBot> _bots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<FakeBot, JsonObject, JsonNode?>> _methods = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every call answered, in order of arrival.</summary>
    public ConcurrentQueue<FakeTelegramCall> Calls { get; } = new();

    /// <summary>Chats by id (all bots of the fake share the one Telegram).</summary>
    public ConcurrentDictionary<long, FakeChat> Chats { get; } = new();

    /// <summary>While set, every call fails as if Telegram were unreachable (HTTP 502 with no Bot API body).</summary>
    public bool Down { get; set; }

    /// <summary>How long each answer is held back after the method took effect (a slow Telegram: calls are in flight).</summary>
    public TimeSpan Latency { get; set; }

    public TimeProvider Time { get; }

    /// <summary>Scheme and authority to give Telegram.Bot as <c>baseUrl</c>, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    private FakeTelegramServer(TimeProvider? time)
    {
        Time = time ?? TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1AndHttp2));
        _app = builder.Build();
        _app.Map("/bot{token}/{method}", HandleAsync);
        _methods["getMe"] = (bot, _) => bot.ToUser();
        RegisterMessageMethods();
        RegisterUpdateMethods();
        RegisterFiles();
    }

    /// <summary>Starts a fake on a free loopback port.</summary>
    public static async Task<FakeTelegramServer> StartAsync(TimeProvider? time = null)
    {
        var server = new FakeTelegramServer(time);
        await server._app.StartAsync();
        var address = server._app.Urls.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    /// <summary>Sending, deleting, restricting, banning, invite links, join requests (FakeTelegramServer.Methods.cs).</summary>
    partial void RegisterMessageMethods();

    /// <summary>getUpdates, setWebhook, deleteWebhook, getWebhookInfo and the webhook pusher (FakeTelegramServer.Updates.cs).</summary>
    partial void RegisterUpdateMethods();

    /// <summary>getFile and the file download URL (FakeTelegramServer.Files.cs).</summary>
    partial void RegisterFiles();

    /// <summary>
    /// A method call changed a member's status (a ban, an unban, a restriction, an approved join request). The updates
    /// side turns it into the <c>chat_member</c> update Telegram would deliver (performed by <paramref name="by"/>).
    /// </summary>
    partial void MemberChanged(FakeBot by, FakeChat chat, FakeMember member, string oldStatus);

    /// <summary>Reports a status change made by a method (see <see cref="MemberChanged"/>).</summary>
    public void ReportMemberChanged(FakeBot by, FakeChat chat, FakeMember member, string oldStatus) => MemberChanged(by, chat, member, oldStatus);

    /// <summary>Adds (or replaces) a method; <paramref name="handler"/> returns the <c>result</c> or throws <see cref="FakeTelegramException"/>.</summary>
    public void Method(string name, Func<FakeBot, JsonObject, JsonNode?> handler) => _methods[name] = handler;

    public FakeBot AddBot(string token, string username, string firstName = "Shequn Bot")
    {
        var bot = new FakeBot(token, username, firstName);
        _bots[token] = bot;
        return bot;
    }

    public FakeBot? Bot(string token) => _bots.GetValueOrDefault(token);

    public FakeChat AddChat(long id, string title, string type = "supergroup") => Chats.GetOrAdd(id, _ => new FakeChat(id, title, type));

    /// <summary>Calls of one method (case-insensitive), in order.</summary>
    public IReadOnlyList<FakeTelegramCall> CallsOf(string method) =>
        [.. Calls.Where(c => string.Equals(c.Method, method, StringComparison.OrdinalIgnoreCase))];

    private async Task HandleAsync(HttpContext http, string token, string method)
    {
        if (Down)
        {
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        JsonObject parameters;
        List<FakeUpload> files = [];
        try
        {
            parameters = await ReadParametersAsync(http.Request, files);
        }
        catch (JsonException)
        {
            await WriteAsync(http, token, method, new JsonObject(), new FakeTelegramException(400, "Bad Request: can't parse JSON"));
            return;
        }
        if (!_bots.TryGetValue(token, out var bot))
        {
            await WriteAsync(http, token, method, parameters, new FakeTelegramException(404, "Not Found"));
            return;
        }
        if (bot.Revoked)
        {
            await WriteAsync(http, token, method, parameters, new FakeTelegramException(401, "Unauthorized"));
            return;
        }
        if (!_methods.TryGetValue(method, out var handler))
        {
            await WriteAsync(http, token, method, parameters, new FakeTelegramException(404, "Not Found: method not found"));
            return;
        }
        try
        {
            _uploads.Value = files;
            var result = handler(bot, parameters);
            Calls.Enqueue(new FakeTelegramCall(token, method.ToLowerInvariant(), parameters, Time.GetUtcNow(), 200, files));
            if (Latency > TimeSpan.Zero)
                await Task.Delay(Latency);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(new JsonObject { ["ok"] = true, ["result"] = result ?? JsonValue.Create(true) }.ToJsonString());
        }
        catch (FakeTelegramException error)
        {
            await WriteAsync(http, token, method, parameters, error);
        }
        finally
        {
            _uploads.Value = null;
        }
    }

    private async Task WriteAsync(HttpContext http, string token, string method, JsonObject parameters, FakeTelegramException error)
    {
        Calls.Enqueue(new FakeTelegramCall(token, method.ToLowerInvariant(), parameters, Time.GetUtcNow(), error.Code));
        var body = new JsonObject { ["ok"] = false, ["error_code"] = error.Code, ["description"] = error.Message };
        if (error.RetryAfter is { } retry)
            body["parameters"] = new JsonObject { ["retry_after"] = retry };
        else if (error.MigrateToChatId is { } migrate)
            body["parameters"] = new JsonObject { ["migrate_to_chat_id"] = migrate };
        http.Response.StatusCode = error.Code;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }

    /// <summary>Query string, then a form or JSON body (platforms.md B1); form and query values stay strings.</summary>
    private static async Task<JsonObject> ReadParametersAsync(HttpRequest request, List<FakeUpload> files)
    {
        var parameters = new JsonObject();
        foreach (var (key, value) in request.Query)
            parameters[key] = value.ToString();
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            foreach (var (key, value) in form)
                parameters[key] = value.ToString();
            foreach (var file in form.Files)
            {
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer);
                files.Add(new FakeUpload(file.Name, file.FileName, file.ContentType, buffer.ToArray()));
            }
        }
        else if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            var node = await JsonNode.ParseAsync(request.Body);
            if (node is JsonObject body)
                foreach (var (key, value) in body)
                    parameters[key] = value?.DeepClone();
        }
        return parameters;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Reading Bot API parameters that may come as JSON numbers, JSON booleans or form strings.</summary>
public static class FakeParameters
{
    public static string? Text(this JsonObject p, string name) => p[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var node => node.ToJsonString(),
    };

    public static long? Number(this JsonObject p, string name) =>
        p.Text(name) is { } s && long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>Telegram.Bot leaves out false booleans (platforms.md C3): missing is false.</summary>
    public static bool Bool(this JsonObject p, string name) => p.Text(name) is { } s && bool.TryParse(s, out var b) && b;

    public static long RequiredLong(this JsonObject p, string name) =>
        p.Number(name) ?? throw FakeTelegramException.BadRequest($"{name} is required");
}
