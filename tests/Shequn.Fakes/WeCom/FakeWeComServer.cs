using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Shequn.Fakes.WeCom;

/// <summary>A corp (self-built app) the fake knows: what its admin configured in WeCom.</summary>
public sealed class FakeWeComCorp(string corpId, string secret, string token, string encodingAesKey)
{
    public string CorpId { get; } = corpId;
    public string Secret { get; set; } = secret;
    public string Token { get; } = token;
    public string EncodingAesKey { get; } = encodingAesKey;
    public string AgentId { get; } = "1000002";

    /// <summary>The app's callback URL as this corp's admin saved it.</summary>
    public Uri? CallbackUrl { get; set; }
}

public sealed class FakeGroupMember(string userId, int type, long joinTime)
{
    public string UserId { get; } = userId;
    /// <summary>1 企业成员, 2 外部联系人.</summary>
    public int Type { get; } = type;
    public long JoinTime { get; } = joinTime;
    public int JoinScene { get; init; } = 1;
    public string? Invitor { get; init; }
    public string? GroupNickname { get; set; }
    public string? Name { get; set; }
    public string? State { get; init; }
}

/// <summary>A customer group: its details as groupchat/get returns them, and the mass messages it received.</summary>
public sealed class FakeGroupChat(string corpId, string chatId, string name, string owner, long createTime)
{
    public string CorpId { get; } = corpId;
    public string ChatId { get; } = chatId;
    public string Name { get; set; } = name;
    public string Owner { get; set; } = owner;
    public string? Notice { get; set; }
    public long CreateTime { get; } = createTime;
    public List<FakeGroupMember> Members { get; } = [];
    public string MemberVersion { get; set; } = NewVersion();
    public bool Dismissed { get; set; }
    /// <summary>Texts delivered by confirmed mass-send tasks.</summary>
    public ConcurrentQueue<string> MassMessages { get; } = new();
    public DateOnly? LastMassDay { get; set; }

    public static string NewVersion() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

/// <summary>An add_msg_template task: nothing is sent until its sender (the owner) confirms it.</summary>
public sealed class FakeMassMessage(string msgId, string corpId, string sender, IReadOnlyList<string> chatIds, string? text, JsonArray? attachments = null)
{
    /// <summary>The task's attachments as sent (image, link, miniprogram, video).</summary>
    public JsonArray Attachments { get; } = attachments ?? [];
    public string MsgId { get; } = msgId;
    public string CorpId { get; } = corpId;
    public string Sender { get; } = sender;
    public IReadOnlyList<string> ChatIds { get; } = chatIds;
    public string? Text { get; } = text;
    public bool Confirmed { get; set; }
    public long? SendTime { get; set; }
    /// <summary>Per group, as get_groupmsg_send_result: 0 unsent, 1 sent, 3 the group already had its mass message today.</summary>
    public ConcurrentDictionary<string, int> Status { get; } = new();
}

/// <summary>One API call the fake answered, with the errcode it answered.</summary>
/// <summary>Temporary media uploaded with media/upload: valid for 3 days from <see cref="CreatedAt"/>.</summary>
public sealed record FakeWeComMedia(string MediaId, string CorpId, string Type, string FileName, string? ContentType, byte[] Bytes, DateTimeOffset CreatedAt);

public sealed record FakeWeComCall(string Path, JsonObject Body, int ErrCode, DateTimeOffset At, string? CorpId);

/// <summary>One callback pushed to the app: the plaintext, how many POSTs it took and the last HTTP status (null: no answer in time).</summary>
public sealed record FakeWeComDelivery(string Xml, int Attempts, int? Status)
{
    public bool Delivered => Status == 200;
}

/// <summary>A WeCom API refusal, answered as HTTP 200 with errcode/errmsg (platforms.md A3).</summary>
public sealed class FakeWeComException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;

    public static FakeWeComException Param(string what) => new(40058, "invalid Request Parameter: " + what);
}

/// <summary>
/// A local WeCom server following platforms.md Part E: <c>gettoken</c> (7200 s, the same token until it expires),
/// customer groups (<c>groupchat/list|get</c>), mass-send tasks that wait for a simulated owner confirmation
/// (<c>add_msg_template</c>, <c>get_groupmsg_task</c>, <c>get_groupmsg_send_result</c>), group live codes with WeCom's
/// limits (<c>add|get|update|del_join_way</c>), every error as HTTP 200 with errcode, injectable errors. Changes made
/// "in the WeCom client" (<see cref="AddMembersAsync"/> …) push encrypted, signed callbacks to the app, retried up to 3
/// times when it does not answer 200 within <see cref="CallbackTimeout"/>; API calls never cause callbacks, and there
/// is no endpoint to remove a member (WeCom has none).
/// </summary>
public sealed partial class FakeWeComServer : IAsyncDisposable
{
    public const int TokenSeconds = 7200;

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeWeComCorp> _corps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string CorpId, DateTimeOffset Until)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _currentToken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Code, string Message)>> _injected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<FakeWeComCorp, JsonObject, JsonObject>> _methods = new(StringComparer.Ordinal);
    private int _next;

    public TimeProvider Time { get; }

    /// <summary>Base URL to give the app as <c>WeCom:ApiBaseUrl</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<FakeWeComCall> Calls { get; } = new();
    public ConcurrentDictionary<string, FakeGroupChat> Chats { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, FakeMassMessage> MassMessages { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, JsonObject> JoinWays { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<FakeWeComDelivery> Deliveries { get; } = new();
    /// <summary>Temporary media by media_id (media/upload).</summary>
    public ConcurrentDictionary<string, FakeWeComMedia> Media { get; } = new(StringComparer.Ordinal);

    /// <summary>How long each business call takes (to make calls of two app processes overlap).</summary>
    public TimeSpan CallDelay { get; set; }

    /// <summary>The most business calls for one corp that were in progress at the same time.</summary>
    public int MaxConcurrentCalls => _maxConcurrent;

    private readonly ConcurrentDictionary<string, int> _inProgress = new(StringComparer.Ordinal);
    private int _maxConcurrent;

    /// <summary>The client that reaches the app's callback URLs (<see cref="FakeWeComCorp.CallbackUrl"/>; a test server's client works).</summary>
    public HttpClient? CallbackClient { get; set; }
    public TimeSpan CallbackTimeout { get; set; } = TimeSpan.FromSeconds(5);
    public int CallbackRetries { get; set; } = 3;

    private FakeWeComServer(TimeProvider? time)
    {
        Time = time ?? TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/cgi-bin/gettoken", GetToken);
        _app.MapPost("/cgi-bin/{**path}", HandleAsync);
        _methods["externalcontact/groupchat/list"] = ListChats;
        _methods["externalcontact/groupchat/get"] = GetChat;
        _methods["externalcontact/add_msg_template"] = AddMsgTemplate;
        _methods["externalcontact/get_groupmsg_task"] = GetGroupMsgTask;
        _methods["externalcontact/get_groupmsg_send_result"] = GetGroupMsgSendResult;
        _methods["externalcontact/groupchat/add_join_way"] = (corp, body) => new JsonObject { ["config_id"] = SaveJoinWay(corp, null, body) };
        _methods["externalcontact/groupchat/get_join_way"] = GetJoinWay;
        _methods["externalcontact/groupchat/update_join_way"] = (corp, body) =>
        {
            SaveJoinWay(corp, body["config_id"]?.GetValue<string>() ?? throw FakeWeComException.Param("config_id"), body);
            return [];
        };
        _methods["externalcontact/groupchat/del_join_way"] = (corp, body) =>
        {
            var id = body["config_id"]?.GetValue<string>() ?? throw FakeWeComException.Param("config_id");
            return JoinWays.TryRemove(id, out _) ? [] : throw FakeWeComException.Param("config_id not found");
        };
    }

    public static async Task<FakeWeComServer> StartAsync(TimeProvider? time = null)
    {
        var server = new FakeWeComServer(time);
        await server._app.StartAsync();
        server.BaseUrl = server._app.Urls.First().TrimEnd('/');
        return server;
    }

    public FakeWeComCorp AddCorp(string corpId, string secret, string token, string encodingAesKey) =>
        _corps[corpId] = new FakeWeComCorp(corpId, secret, token, encodingAesKey);

    public IReadOnlyList<FakeWeComCall> CallsOf(string path) => [.. Calls.Where(c => c.Path == path)];

    /// <summary>The next call of <paramref name="path"/> (<c>gettoken</c> or e.g. <c>externalcontact/groupchat/get</c>)
    /// answers this errcode. An injected 40014 or 42001 also invalidates the token used, as WeCom does.</summary>
    public void InjectError(string path, int code, string message) =>
        _injected.GetOrAdd(path, _ => new()).Enqueue((code, message));

    /// <summary>Ends every issued token now: the next call with one gets 42001.</summary>
    public void ExpireTokens()
    {
        foreach (var (token, value) in _tokens)
            _tokens[token] = (value.CorpId, Time.GetUtcNow().AddSeconds(-1));
    }

    private long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    private string NewId(string prefix) => $"{prefix}{Interlocked.Increment(ref _next):D4}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    private IResult GetToken(HttpRequest request)
    {
        var corpId = request.Query["corpid"].ToString();
        var secret = request.Query["corpsecret"].ToString();
        var body = new JsonObject { ["corpid"] = corpId };
        try
        {
            Injected("gettoken");
            if (!_corps.TryGetValue(corpId, out var corp))
                throw new FakeWeComException(40013, "invalid corpid");
            if (corp.Secret != secret)
                throw new FakeWeComException(40001, "invalid credential, hint: [fake]");
            // Within its validity the same token is returned; after it, a new one.
            if (!_currentToken.TryGetValue(corpId, out var token) || !_tokens.TryGetValue(token, out var t) || t.Until <= Time.GetUtcNow())
            {
                token = "fake-token-" + NewId("");
                _tokens[token] = (corpId, Time.GetUtcNow().AddSeconds(TokenSeconds));
                _currentToken[corpId] = token;
            }
            Calls.Enqueue(new FakeWeComCall("gettoken", body, 0, Time.GetUtcNow(), corpId));
            return Json(new JsonObject { ["errcode"] = 0, ["errmsg"] = "ok", ["access_token"] = token, ["expires_in"] = TokenSeconds });
        }
        catch (FakeWeComException e)
        {
            Calls.Enqueue(new FakeWeComCall("gettoken", body, e.Code, Time.GetUtcNow(), corpId));
            return Error(e);
        }
    }

    private async Task<IResult> HandleAsync(string path, HttpRequest request)
    {
        JsonObject body;
        FakeUploadedMedia? upload = null;
        try
        {
            if (path == MediaUploadPath)
                (body, upload) = await ReadUploadAsync(request);
            else
                body = await JsonSerializer.DeserializeAsync<JsonObject>(request.Body) ?? [];
        }
        catch (JsonException)
        {
            Calls.Enqueue(new FakeWeComCall(path, [], 47001, Time.GetUtcNow(), null));
            return Error(new FakeWeComException(47001, "data format error"));
        }
        string? corpId = null;
        try
        {
            var token = request.Query["access_token"].ToString();
            if (token.Length == 0)
                throw new FakeWeComException(41001, "access_token missing");
            if (!_tokens.TryGetValue(token, out var t))
                throw new FakeWeComException(40014, "invalid access_token");
            corpId = t.CorpId;
            if (t.Until <= Time.GetUtcNow())
                throw new FakeWeComException(42001, "access_token expired, more info at https://open.work.weixin.qq.com/devtool/query?e=42001");
            try
            {
                Injected(path);
            }
            catch (FakeWeComException e) when (e.Code is 40014 or 42001)
            {
                _tokens.TryRemove(token, out _);
                _currentToken.TryRemove(t.CorpId, out _);
                throw;
            }
            var running = _inProgress.AddOrUpdate(t.CorpId, 1, (_, n) => n + 1);
            InterlockedMax(ref _maxConcurrent, running);
            try
            {
                if (CallDelay > TimeSpan.Zero)
                    await Task.Delay(CallDelay);
            }
            finally
            {
                _inProgress.AddOrUpdate(t.CorpId, 0, (_, n) => n - 1);
            }
            Func<FakeWeComCorp, JsonObject, JsonObject>? method = null;
            if (path != MediaUploadPath && !_methods.TryGetValue(path, out method))
                throw new FakeWeComException(60011, "no privilege to access/modify contact/party/agent (fake: unknown path)");
            var result = method is null ? UploadMedia(_corps[t.CorpId], body, upload) : method(_corps[t.CorpId], body);
            result["errcode"] = 0;
            result["errmsg"] = "ok";
            Calls.Enqueue(new FakeWeComCall(path, body, 0, Time.GetUtcNow(), corpId));
            return Json(result);
        }
        catch (FakeWeComException e)
        {
            Calls.Enqueue(new FakeWeComCall(path, body, e.Code, Time.GetUtcNow(), corpId));
            return Error(e);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private void Injected(string path)
    {
        if (_injected.TryGetValue(path, out var q) && q.TryDequeue(out var error))
            throw new FakeWeComException(error.Code, error.Message);
    }

    private static IResult Json(JsonObject o) => Results.Text(o.ToJsonString(), "application/json", Encoding.UTF8);

    private static IResult Error(FakeWeComException e) => Json(new JsonObject { ["errcode"] = e.Code, ["errmsg"] = e.Message });

    private FakeGroupChat Chat(FakeWeComCorp corp, JsonObject body)
    {
        var id = body["chat_id"]?.GetValue<string>() ?? throw FakeWeComException.Param("chat_id");
        return Chats.TryGetValue(id, out var chat) && chat.CorpId == corp.CorpId && !chat.Dismissed ? chat : throw new FakeWeComException(40050, "chatid not found");
    }

    private JsonObject ListChats(FakeWeComCorp corp, JsonObject body)
    {
        var limit = body["limit"]?.GetValue<int>() ?? throw FakeWeComException.Param("limit is required");
        if (limit is < 1 or > 1000)
            throw FakeWeComException.Param("limit must be 1..1000");
        var owners = body["owner_filter"]?["userid_list"]?.AsArray().Select(n => n!.GetValue<string>()).ToHashSet();
        var all = Chats.Values.Where(c => c.CorpId == corp.CorpId && !c.Dismissed && (owners is null || owners.Contains(c.Owner)))
            .OrderBy(c => c.ChatId, StringComparer.Ordinal).ToList();
        var start = int.TryParse(body["cursor"]?.GetValue<string>(), CultureInfo.InvariantCulture, out var s) ? s : 0;
        var page = all.Skip(start).Take(limit).ToList();
        var next = start + page.Count < all.Count ? (start + page.Count).ToString(CultureInfo.InvariantCulture) : "";
        return new JsonObject
        {
            ["group_chat_list"] = new JsonArray([.. page.Select(c => (JsonNode)new JsonObject { ["chat_id"] = c.ChatId, ["status"] = 0 })]),
            ["next_cursor"] = next,
        };
    }

    private JsonObject GetChat(FakeWeComCorp corp, JsonObject body)
    {
        var chat = Chat(corp, body);
        var needName = body["need_name"]?.GetValue<int>() == 1;
        lock (chat)
        {
            return new JsonObject
            {
                ["group_chat"] = new JsonObject
                {
                    ["chat_id"] = chat.ChatId,
                    ["name"] = chat.Name,
                    ["owner"] = chat.Owner,
                    ["create_time"] = chat.CreateTime,
                    ["notice"] = chat.Notice,
                    ["member_list"] = new JsonArray([.. chat.Members.Select(m =>
                    {
                        var o = new JsonObject { ["userid"] = m.UserId, ["type"] = m.Type, ["join_time"] = m.JoinTime, ["join_scene"] = m.JoinScene };
                        if (m.Invitor is not null)
                            o["invitor"] = new JsonObject { ["userid"] = m.Invitor };
                        if (m.GroupNickname is not null)
                            o["group_nickname"] = m.GroupNickname;
                        if (needName && m.Name is not null)
                            o["name"] = m.Name;
                        if (m.State is not null)
                            o["state"] = m.State;
                        return (JsonNode)o;
                    })]),
                    ["admin_list"] = new JsonArray(),
                    ["member_version"] = chat.MemberVersion,
                },
            };
        }
    }

    private JsonObject AddMsgTemplate(FakeWeComCorp corp, JsonObject body)
    {
        var chatType = body["chat_type"]?.GetValue<string>() ?? "single";
        if (chatType != "group")
            throw FakeWeComException.Param("the fake serves chat_type group only");
        var sender = body["sender"]?.GetValue<string>();
        if (string.IsNullOrEmpty(sender))
            throw FakeWeComException.Param("sender is required for chat_type group");
        var chatIds = body["chat_id_list"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
        if (chatIds.Count > 2000)
            throw FakeWeComException.Param("chat_id_list exceeds 2000");
        var text = body["text"]?["content"]?.GetValue<string>();
        var attachments = body["attachments"]?.AsArray().Count ?? 0;
        if (string.IsNullOrEmpty(text) && attachments == 0)
            throw new FakeWeComException(44004, "empty content");
        if (text is not null && Encoding.UTF8.GetByteCount(text) > 4000)
            throw new FakeWeComException(45002, "content size out of limit");
        if (attachments > 9)
            throw FakeWeComException.Param("attachments exceed 9");
        var list = body["attachments"]?.AsArray() ?? [];
        foreach (var attachment in list)
            CheckAttachment(corp, attachment as JsonObject ?? throw FakeWeComException.Param("attachments"));
        // Groups that are not the sender's go to fail_list.
        var ok = chatIds.Where(id => Chats.TryGetValue(id, out var c) && c.CorpId == corp.CorpId && !c.Dismissed && c.Owner == sender).ToList();
        var msgId = NewId("msg");
        var message = new FakeMassMessage(msgId, corp.CorpId, sender, ok, text, (JsonArray)list.DeepClone());
        foreach (var id in ok)
            message.Status[id] = 0;
        MassMessages[msgId] = message;
        return new JsonObject { ["fail_list"] = new JsonArray([.. chatIds.Except(ok).Select(id => (JsonNode)id)]), ["msgid"] = msgId };
    }

    /// <summary>The owner confirms the task in the WeCom client: each group gets the message unless it already had one today.</summary>
    public void ConfirmMassMessage(string msgId)
    {
        var message = MassMessages[msgId];
        var now = Time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        message.Confirmed = true;
        message.SendTime = now.ToUnixTimeSeconds();
        foreach (var id in message.ChatIds)
        {
            var chat = Chats[id];
            if (chat.LastMassDay == today)
            {
                message.Status[id] = 3;
                continue;
            }
            chat.LastMassDay = today;
            chat.MassMessages.Enqueue(message.Text ?? "");
            message.Status[id] = 1;
        }
    }

    private FakeMassMessage Message(FakeWeComCorp corp, JsonObject body)
    {
        var id = body["msgid"]?.GetValue<string>() ?? throw FakeWeComException.Param("msgid");
        return MassMessages.TryGetValue(id, out var m) && m.CorpId == corp.CorpId ? m : throw FakeWeComException.Param("msgid not found");
    }

    private JsonObject GetGroupMsgTask(FakeWeComCorp corp, JsonObject body)
    {
        var m = Message(corp, body);
        var task = new JsonObject { ["userid"] = m.Sender, ["status"] = m.Confirmed ? 2 : 0 };
        if (m.SendTime is { } t)
            task["send_time"] = t;
        return new JsonObject { ["next_cursor"] = "", ["task_list"] = new JsonArray(task) };
    }

    private JsonObject GetGroupMsgSendResult(FakeWeComCorp corp, JsonObject body)
    {
        var m = Message(corp, body);
        var userId = body["userid"]?.GetValue<string>() ?? throw FakeWeComException.Param("userid");
        var list = userId != m.Sender ? [] : m.ChatIds.Select(id =>
        {
            var o = new JsonObject { ["chat_id"] = id, ["userid"] = m.Sender, ["status"] = m.Status[id] };
            if (m.Status[id] == 1 && m.SendTime is { } t)
                o["send_time"] = t;
            return (JsonNode)o;
        });
        return new JsonObject { ["next_cursor"] = "", ["send_list"] = new JsonArray([.. list]) };
    }

    private string SaveJoinWay(FakeWeComCorp corp, string? configId, JsonObject body)
    {
        var scene = body["scene"]?.GetValue<int>() ?? throw FakeWeComException.Param("scene is required");
        if (scene is not (1 or 2))
            throw FakeWeComException.Param("scene must be 1 or 2");
        var chatIds = body["chat_id_list"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
        if (chatIds.Count == 0)
            throw FakeWeComException.Param("chat_id_list is required");
        if (chatIds.Count > 5)
            throw FakeWeComException.Param("chat_id_list exceeds 5");
        if (chatIds.Any(id => !Chats.TryGetValue(id, out var c) || c.CorpId != corp.CorpId || c.Dismissed))
            throw new FakeWeComException(40050, "chatid not found");
        if (body["remark"]?.GetValue<string>() is { Length: > 30 })
            throw FakeWeComException.Param("remark exceeds 30 characters");
        if (body["state"]?.GetValue<string>() is { Length: > 30 })
            throw FakeWeComException.Param("state exceeds 30 characters");
        if (body["room_base_name"]?.GetValue<string>() is { Length: > 40 })
            throw FakeWeComException.Param("room_base_name exceeds 40 characters");
        if (configId is not null && !JoinWays.ContainsKey(configId))
            throw FakeWeComException.Param("config_id not found");
        var id = configId ?? NewId("cfg");
        var way = new JsonObject
        {
            ["config_id"] = id,
            ["scene"] = scene,
            ["remark"] = body["remark"]?.GetValue<string>(),
            ["auto_create_room"] = body["auto_create_room"]?.GetValue<int>() ?? 1,
            ["room_base_name"] = body["room_base_name"]?.GetValue<string>(),
            ["room_base_id"] = body["room_base_id"]?.GetValue<int>(),
            ["chat_id_list"] = new JsonArray([.. chatIds.Select(c => (JsonNode)c)]),
            ["qr_code"] = $"https://wework.qpic.cn/fake/{id}/0",
            ["state"] = body["state"]?.GetValue<string>(),
            ["mark_source"] = body["mark_source"]?.GetValue<bool>() ?? true,
            ["corp"] = corp.CorpId,
        };
        JoinWays[id] = way;
        return id;
    }

    private JsonObject GetJoinWay(FakeWeComCorp corp, JsonObject body)
    {
        var id = body["config_id"]?.GetValue<string>() ?? throw FakeWeComException.Param("config_id");
        if (!JoinWays.TryGetValue(id, out var way) || way["corp"]?.GetValue<string>() != corp.CorpId)
            throw FakeWeComException.Param("config_id not found");
        var copy = (JsonObject)way.DeepClone();
        copy.Remove("corp");
        return new JsonObject { ["join_way"] = copy };
    }

    // ---- Changes made in the WeCom client: they change the group and push the callback WeCom would send. ----

    /// <summary>A new customer group (created in the client).</summary>
    public async Task<FakeGroupChat> CreateChatAsync(FakeWeComCorp corp, string chatId, string name, string owner, bool push = true)
    {
        var chat = new FakeGroupChat(corp.CorpId, chatId, name, owner, Now);
        chat.Members.Add(new FakeGroupMember(owner, 1, Now) { Name = owner });
        Chats[chatId] = chat;
        if (push)
            await PushAsync(corp, ChatXml(corp, chat, "create", null));
        return chat;
    }

    /// <summary>Members join; pushes <c>update/add_member</c> with the member versions before and after (unless <paramref name="push"/> is false: a lost callback).</summary>
    public async Task<FakeWeComDelivery?> AddMembersAsync(FakeWeComCorp corp, string chatId, IEnumerable<FakeGroupMember> members, int joinScene = 1, bool push = true)
    {
        var chat = Chats[chatId];
        string last, cur;
        List<string> ids;
        lock (chat)
        {
            var added = members.Where(m => chat.Members.All(x => x.UserId != m.UserId)).ToList();
            chat.Members.AddRange(added);
            ids = [.. added.Select(m => m.UserId)];
            last = chat.MemberVersion;
            cur = chat.MemberVersion = FakeGroupChat.NewVersion();
        }
        return push ? await PushAsync(corp, ChatXml(corp, chat, "update", "add_member", ids, last, cur, joinScene: joinScene)) : null;
    }

    /// <summary>Members leave (quitScene 0) or are removed by the owner in the client (1); pushes <c>update/del_member</c>.</summary>
    public async Task<FakeWeComDelivery?> RemoveMembersAsync(FakeWeComCorp corp, string chatId, IEnumerable<string> userIds, int quitScene = 0, bool push = true)
    {
        var chat = Chats[chatId];
        string last, cur;
        List<string> ids;
        lock (chat)
        {
            var set = userIds.ToHashSet();
            ids = [.. chat.Members.Where(m => set.Contains(m.UserId)).Select(m => m.UserId)];
            chat.Members.RemoveAll(m => set.Contains(m.UserId));
            last = chat.MemberVersion;
            cur = chat.MemberVersion = FakeGroupChat.NewVersion();
        }
        return push ? await PushAsync(corp, ChatXml(corp, chat, "update", "del_member", ids, last, cur, quitScene: quitScene)) : null;
    }

    public async Task<FakeWeComDelivery> RenameChatAsync(FakeWeComCorp corp, string chatId, string name)
    {
        var chat = Chats[chatId];
        chat.Name = name;
        return await PushAsync(corp, ChatXml(corp, chat, "update", "change_name"));
    }

    public async Task<FakeWeComDelivery> DismissChatAsync(FakeWeComCorp corp, string chatId)
    {
        var chat = Chats[chatId];
        chat.Dismissed = true;
        return await PushAsync(corp, ChatXml(corp, chat, "dismiss", null));
    }

    /// <summary>A staff member's customer relation changed (<c>change_external_contact</c>).</summary>
    public Task<FakeWeComDelivery> PushContactChangeAsync(FakeWeComCorp corp, string changeType, string userId, string externalUserId, string? state = null)
    {
        var xml = Envelope(corp, "change_external_contact");
        xml.Add(Cdata("ChangeType", changeType), Cdata("UserID", userId), Cdata("ExternalUserID", externalUserId));
        if (state is not null)
            xml.Add(Cdata("State", state));
        return PushAsync(corp, xml.ToString(SaveOptions.DisableFormatting));
    }

    private XElement Envelope(FakeWeComCorp corp, string eventType) => new("xml",
        Cdata("ToUserName", corp.CorpId), Cdata("FromUserName", "sys"), new XElement("CreateTime", Now),
        Cdata("MsgType", "event"), Cdata("Event", eventType));

    private static XElement Cdata(string name, string value) => new(name, new XCData(value));

    /// <summary>The decrypted XML of a <c>change_external_chat</c> callback, self-built app envelope (platforms.md A2).</summary>
    public string ChatXml(FakeWeComCorp corp, FakeGroupChat chat, string changeType, string? detail, IReadOnlyList<string>? ids = null,
        string? lastVersion = null, string? currentVersion = null, int? joinScene = null, int? quitScene = null)
    {
        var xml = Envelope(corp, "change_external_chat");
        xml.Add(Cdata("ChatId", chat.ChatId), Cdata("ChangeType", changeType));
        if (detail is not null)
            xml.Add(Cdata("UpdateDetail", detail));
        if (joinScene is { } j)
            xml.Add(new XElement("JoinScene", j));
        if (quitScene is { } q)
            xml.Add(new XElement("QuitScene", q));
        if (ids is not null)
        {
            xml.Add(new XElement("MemChangeCnt", ids.Count), new XElement("MemChangeList", ids.Select(i => new XElement("Item", i))));
            xml.Add(new XElement("LastMemVer", lastVersion), new XElement("CurMemVer", currentVersion));
        }
        return xml.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>Encrypts, signs and POSTs a callback; retries up to <see cref="CallbackRetries"/> times while the app does not answer 200 in time.</summary>
    public async Task<FakeWeComDelivery> PushAsync(FakeWeComCorp corp, string xml)
    {
        var (url, client) = (corp.CallbackUrl ?? throw new InvalidOperationException("Set the corp's CallbackUrl first."), CallbackClient ?? throw new InvalidOperationException("Set CallbackClient first."));
        var encrypt = FakeWeComCrypto.Encrypt(corp.EncodingAesKey, corp.CorpId, xml);
        var timestamp = Now.ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        var signature = FakeWeComCrypto.Sign(corp.Token, timestamp, nonce, encrypt);
        var body = new XElement("xml", Cdata("ToUserName", corp.CorpId), Cdata("AgentID", corp.AgentId), Cdata("Encrypt", encrypt))
            .ToString(SaveOptions.DisableFormatting);
        var target = $"{url}?msg_signature={signature}&timestamp={timestamp}&nonce={nonce}";
        int? status = null;
        var attempts = 0;
        while (attempts <= CallbackRetries)
        {
            attempts++;
            using var cts = new CancellationTokenSource(CallbackTimeout);
            try
            {
                using var response = await client.PostAsync(target, new StringContent(body, Encoding.UTF8, "text/xml"), cts.Token);
                status = (int)response.StatusCode;
                if (status == 200)
                    break;
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
                status = null;
            }
        }
        var delivery = new FakeWeComDelivery(xml, attempts, status);
        Deliveries.Enqueue(delivery);
        return delivery;
    }

    /// <summary>WeCom's URL verification: GET with a URL-encoded encrypted echostr; returns the status and body, and the plaintext expected back.</summary>
    public async Task<(int Status, string Body, string Expected)> VerifyUrlAsync(FakeWeComCorp corp)
    {
        var (url, client) = (corp.CallbackUrl ?? throw new InvalidOperationException("Set the corp's CallbackUrl first."), CallbackClient ?? throw new InvalidOperationException("Set CallbackClient first."));
        var expected = RandomNumberGenerator.GetInt32(1, int.MaxValue).ToString(CultureInfo.InvariantCulture) + "42";
        var echo = FakeWeComCrypto.Encrypt(corp.EncodingAesKey, corp.CorpId, expected);
        var timestamp = Now.ToString(CultureInfo.InvariantCulture);
        var nonce = "5551234";
        var signature = FakeWeComCrypto.Sign(corp.Token, timestamp, nonce, echo);
        using var response = await client.GetAsync($"{url}?msg_signature={signature}&timestamp={timestamp}&nonce={nonce}&echostr={Uri.EscapeDataString(echo)}");
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), expected);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
