using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Shequn.Features.Outbox;

namespace Shequn.Connectors.WeCom;

public sealed class WeComOptions
{
    /// <summary>Where WeCom's API is: <c>https://qyapi.weixin.qq.com</c>, or a local fake in tests.</summary>
    public string ApiBaseUrl { get; set; } = "https://qyapi.weixin.qq.com";

    /// <summary>This app's public address as WeCom should call it, for the callback URL shown in the console.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>How often every group of every connection is fetched again (API-made changes give no callbacks).</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often waiting mass-send tasks and groups marked for a re-fetch are looked at.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Off in tests that step the sync themselves.</summary>
    public bool SyncEnabled { get; set; } = true;
}

public sealed record WeComCredentials(string CorpId, string Secret);

/// <summary>A WeCom API error (HTTP 200 with a non-zero errcode, platforms.md A3.6), with the outbox category it falls in.</summary>
public sealed class WeComApiException(int errCode, string errMsg, ErrorCategory category)
    : Exception($"WeCom errcode {errCode}: {errMsg}")
{
    public int ErrCode { get; } = errCode;
    public string ErrMsg { get; } = errMsg;
    public ErrorCategory Category { get; } = category;

    /// <summary>Platforms.md A3.6: -1 busy and 45009/45033 limits are retried; token, secret and corp errors are auth;
    /// permission and visibility are configuration; known request errors are permanent; anything else is transient.</summary>
    public static ErrorCategory Categorize(int errCode) => errCode switch
    {
        -1 => ErrorCategory.Transient,
        45009 or 45033 or 45011 => ErrorCategory.RateLimited,
        40001 or 40013 or 40014 or 41001 or 42001 or 40082 or 40056 => ErrorCategory.Auth,
        48002 or 60011 or 60020 or 81017 or 301002 => ErrorCategory.Configuration,
        40003 or 40050 or 40058 or 40068 or 44004 or 45002 or 47001 or 84061 or 90501 => ErrorCategory.Permanent,
        // Media refused: type, file type, size, empty, unknown media_id.
        40004 or 40005 or 40006 or 40007 or 44001 => ErrorCategory.Permanent,
        >= 41002 and <= 41999 => ErrorCategory.Permanent,
        _ => ErrorCategory.Transient,
    };

    /// <summary>Errors after which a fresh access token is fetched and the call made once more.</summary>
    public static bool IsStaleToken(int errCode) => errCode is 40014 or 42001 or 41001;

    public ConnectorException ToConnectorException() =>
        new(Category, Message, Category == ErrorCategory.RateLimited ? TimeSpan.FromSeconds(60) : null);
}

// The JSON shapes of platforms.md A3, snake_case on the wire.
public sealed record WeComGroupChatRef(string ChatId, int Status);
public sealed record WeComGroupChatPage(IReadOnlyList<WeComGroupChatRef> GroupChatList, string? NextCursor);
public sealed record WeComInvitor(string? Userid);
public sealed record WeComGroupMember(string Userid, int Type, long JoinTime, int JoinScene, WeComInvitor? Invitor, string? GroupNickname, string? Name, string? State);
public sealed record WeComUserRef(string Userid);
public sealed record WeComGroupChat(string ChatId, string? Name, string? Owner, long CreateTime, string? Notice,
    IReadOnlyList<WeComGroupMember>? MemberList, IReadOnlyList<WeComUserRef>? AdminList, string? MemberVersion);
public sealed record WeComMsgTemplateResult(string Msgid, IReadOnlyList<string>? FailList);
public sealed record WeComGroupMsgTask(string Userid, int Status, long? SendTime);
public sealed record WeComGroupMsgSend(string? ChatId, string? ExternalUserid, string Userid, int Status, long? SendTime);
public sealed record WeComJoinWay(int Scene, string? Remark, int? AutoCreateRoom, string? RoomBaseName, int? RoomBaseId,
    IReadOnlyList<string> ChatIdList, string? State, bool? MarkSource = null, string? ConfigId = null, string? QrCode = null);

/// <summary>
/// WeCom's REST API (platforms.md A3) at <see cref="WeComOptions.ApiBaseUrl"/>. Access tokens are cached per corp and
/// secret until shortly before they expire; a call answered with an invalid or expired token (40014, 42001, 41001)
/// fetches a new one and is made once more. Every other errcode becomes a <see cref="WeComApiException"/>.
/// </summary>
public sealed class WeComApi(IHttpClientFactory http, IOptions<WeComOptions> options, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly ConcurrentDictionary<WeComCredentials, (string Token, DateTimeOffset Until)> _tokens = new();

    private HttpClient Client()
    {
        var client = http.CreateClient("wecom");
        client.BaseAddress ??= new Uri(options.Value.ApiBaseUrl.TrimEnd('/') + "/");
        return client;
    }

    /// <summary>The cached access token, or a new one from <c>gettoken</c>.</summary>
    public async Task<string> TokenAsync(WeComCredentials cred, CancellationToken ct, bool fresh = false)
    {
        if (!fresh && _tokens.TryGetValue(cred, out var cached) && cached.Until > time.GetUtcNow())
            return cached.Token;
        var url = $"cgi-bin/gettoken?corpid={Uri.EscapeDataString(cred.CorpId)}&corpsecret={Uri.EscapeDataString(cred.Secret)}";
        var body = await ReadAsync(await Client().GetAsync(url, ct), ct);
        var token = body["access_token"]?.GetValue<string>() ?? throw new WeComApiException(-1, "gettoken returned no access_token", ErrorCategory.Transient);
        var expiresIn = body["expires_in"]?.GetValue<int>() ?? 7200;
        // Renewed a little early so that a token never expires in the middle of a burst of calls.
        var margin = TimeSpan.FromSeconds(Math.Min(300, expiresIn / 10));
        _tokens[cred] = (token, time.GetUtcNow() + TimeSpan.FromSeconds(expiresIn) - margin);
        return token;
    }

    /// <summary>Forgets a cached token (the connection's secret changed).</summary>
    public void Forget(WeComCredentials cred) => _tokens.TryRemove(cred, out _);

    /// <summary>POSTs <paramref name="request"/> to <paramref name="path"/> with the access token; the answer's JSON on errcode 0.</summary>
    public async Task<JsonObject> CallAsync(WeComCredentials cred, string path, object request, CancellationToken ct)
    {
        var token = await TokenAsync(cred, ct);
        try
        {
            return await PostAsync(path, token, request, ct);
        }
        catch (WeComApiException e) when (WeComApiException.IsStaleToken(e.ErrCode))
        {
            // WeCom may invalidate a token early: fetch a new one and try once more.
            token = await TokenAsync(cred, ct, fresh: true);
            return await PostAsync(path, token, request, ct);
        }
    }

    private async Task<JsonObject> PostAsync(string path, string token, object request, CancellationToken ct)
    {
        var response = await Client().PostAsJsonAsync($"cgi-bin/{path}?access_token={Uri.EscapeDataString(token)}", request, Json, ct);
        return await ReadAsync(response, ct);
    }

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new WeComApiException(-1, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", ErrorCategory.Transient);
            JsonObject? body;
            try
            {
                body = await response.Content.ReadFromJsonAsync<JsonObject>(Json, ct);
            }
            catch (JsonException e)
            {
                throw new WeComApiException(-1, "unreadable answer: " + e.Message, ErrorCategory.Transient);
            }
            if (body is null)
                throw new WeComApiException(-1, "empty answer", ErrorCategory.Transient);
            var code = body["errcode"]?.GetValue<int>() ?? 0;
            if (code != 0)
                throw new WeComApiException(code, body["errmsg"]?.GetValue<string>() ?? "", WeComApiException.Categorize(code));
            return body;
        }
    }

    private static T Read<T>(JsonNode? node, string what) =>
        node.Deserialize<T>(Json) ?? throw new WeComApiException(-1, $"the answer has no {what}", ErrorCategory.Transient);

    public async Task<WeComGroupChatPage> ListGroupChatsAsync(WeComCredentials cred, string? cursor, int limit, CancellationToken ct)
    {
        var body = await CallAsync(cred, "externalcontact/groupchat/list", new { status_filter = 0, cursor, limit }, ct);
        return new WeComGroupChatPage(Read<List<WeComGroupChatRef>>(body["group_chat_list"] ?? new JsonArray(), "group_chat_list"),
            body["next_cursor"]?.GetValue<string>());
    }

    public async Task<WeComGroupChat> GetGroupChatAsync(WeComCredentials cred, string chatId, CancellationToken ct)
    {
        var body = await CallAsync(cred, "externalcontact/groupchat/get", new { chat_id = chatId, need_name = 1 }, ct);
        return Read<WeComGroupChat>(body["group_chat"], "group_chat");
    }

    /// <summary>
    /// Creates a mass-send task for groups; WeCom sends nothing until <paramref name="sender"/> confirms it on the phone.
    /// <paramref name="attachments"/> are add_msg_template's (at most 9): <see cref="ImageAttachment"/>, <see cref="MiniProgramAttachment"/>.
    /// </summary>
    public async Task<WeComMsgTemplateResult> AddGroupMsgTemplateAsync(WeComCredentials cred, string sender, IReadOnlyList<string> chatIds, string text,
        CancellationToken ct, IReadOnlyList<object>? attachments = null)
    {
        var body = await CallAsync(cred, "externalcontact/add_msg_template",
            new { chat_type = "group", chat_id_list = chatIds, sender, text = new { content = text }, attachments = attachments is { Count: > 0 } ? attachments : null }, ct);
        return Read<WeComMsgTemplateResult>(body, "msgid");
    }

    public static object ImageAttachment(string mediaId) => new { msgtype = "image", image = new { media_id = mediaId } };

    public static object MiniProgramAttachment(string title, string picMediaId, string appId, string page) =>
        new { msgtype = "miniprogram", miniprogram = new { title, pic_media_id = picMediaId, appid = appId, page } };

    /// <summary>
    /// Uploads temporary media (<c>media/upload</c>, multipart field <c>media</c>); returns its media_id, valid for 3 days.
    /// A stale token is renewed and the upload made once more, as for other calls.
    /// </summary>
    public async Task<string> UploadMediaAsync(WeComCredentials cred, string type, string fileName, string contentType, byte[] bytes, CancellationToken ct)
    {
        async Task<JsonObject> UploadAsync(string token)
        {
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            form.Add(file, "media", fileName);
            var url = $"cgi-bin/media/upload?access_token={Uri.EscapeDataString(token)}&type={Uri.EscapeDataString(type)}";
            return await ReadAsync(await Client().PostAsync(url, form, ct), ct);
        }
        var token = await TokenAsync(cred, ct);
        JsonObject body;
        try
        {
            body = await UploadAsync(token);
        }
        catch (WeComApiException e) when (WeComApiException.IsStaleToken(e.ErrCode))
        {
            body = await UploadAsync(await TokenAsync(cred, ct, fresh: true));
        }
        return body["media_id"]?.GetValue<string>() ?? throw new WeComApiException(-1, "media/upload returned no media_id", ErrorCategory.Transient);
    }

    public async Task<IReadOnlyList<WeComGroupMsgTask>> GetGroupMsgTasksAsync(WeComCredentials cred, string msgId, CancellationToken ct)
    {
        var body = await CallAsync(cred, "externalcontact/get_groupmsg_task", new { msgid = msgId, limit = 1000 }, ct);
        return Read<List<WeComGroupMsgTask>>(body["task_list"] ?? new JsonArray(), "task_list");
    }

    public async Task<IReadOnlyList<WeComGroupMsgSend>> GetGroupMsgSendResultAsync(WeComCredentials cred, string msgId, string userId, CancellationToken ct)
    {
        var result = new List<WeComGroupMsgSend>();
        string? cursor = null;
        do
        {
            var body = await CallAsync(cred, "externalcontact/get_groupmsg_send_result", new { msgid = msgId, userid = userId, limit = 1000, cursor }, ct);
            result.AddRange(Read<List<WeComGroupMsgSend>>(body["send_list"] ?? new JsonArray(), "send_list"));
            cursor = body["next_cursor"]?.GetValue<string>();
        }
        while (!string.IsNullOrEmpty(cursor));
        return result;
    }

    /// <summary>Creates a group live code (≤ 5 groups); returns its config_id.</summary>
    public async Task<string> AddJoinWayAsync(WeComCredentials cred, WeComJoinWay way, CancellationToken ct)
    {
        var body = await CallAsync(cred, "externalcontact/groupchat/add_join_way", way with { ConfigId = null, QrCode = null }, ct);
        return body["config_id"]?.GetValue<string>() ?? throw new WeComApiException(-1, "add_join_way returned no config_id", ErrorCategory.Transient);
    }

    public async Task<WeComJoinWay> GetJoinWayAsync(WeComCredentials cred, string configId, CancellationToken ct)
    {
        var body = await CallAsync(cred, "externalcontact/groupchat/get_join_way", new { config_id = configId }, ct);
        return Read<WeComJoinWay>(body["join_way"], "join_way");
    }

    /// <summary>Replaces the live code's settings (all fields, as add).</summary>
    public Task UpdateJoinWayAsync(WeComCredentials cred, string configId, WeComJoinWay way, CancellationToken ct) =>
        CallAsync(cred, "externalcontact/groupchat/update_join_way", way with { ConfigId = configId, QrCode = null }, ct);

    public Task DeleteJoinWayAsync(WeComCredentials cred, string configId, CancellationToken ct) =>
        CallAsync(cred, "externalcontact/groupchat/del_join_way", new { config_id = configId }, ct);
}
