using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Shequn.Fakes.Telegram;

/// <summary>
/// The fake's flood control (platforms.md B5), as token buckets: messages in one chat at <see cref="PerChatPerSecond"/>
/// with a burst of <see cref="PerChatBurst"/>, <see cref="PerGroupPerMinute"/> a minute in one group (a burst of as
/// many, then one every 60/n s), and <see cref="GlobalPerSecond"/> calls a second over all chats. Exceeding any is a
/// 429 with <c>retry_after</c>. Telegram does not publish its algorithm; buckets are the most permissive reading.
/// Tests and the benchmark may change them (the benchmark raises the global one so a run fits a few minutes).
/// </summary>
public sealed class FakeTelegramLimits
{
    public bool Enabled { get; set; } = true;
    public double PerChatPerSecond { get; set; } = 1;
    public int PerChatBurst { get; set; } = 3;
    public int PerGroupPerMinute { get; set; } = 20;
    public double GlobalPerSecond { get; set; } = 30;
}

/// <summary>An invite link the fake made (createChatInviteLink).</summary>
public sealed record FakeInviteLink(long ChatId, string Link, long CreatorId, string? Name, DateTimeOffset? ExpireDate, int? MemberLimit, bool CreatesJoinRequest)
{
    public bool IsRevoked { get; set; }
}

/// <summary>
/// The methods through which a bot acts in a group (platforms.md B4 and Part E): sendMessage, deleteMessage,
/// banChatMember, unbanChatMember, restrictChatMember, createChatInviteLink, revokeChatInviteLink,
/// approveChatJoinRequest, declineChatJoinRequest, getChatMember; with Telegram's rules and flood control.
/// A change of a member's status is reported to the updates side (<see cref="ReportMemberChanged"/>).
/// </summary>
public sealed partial class FakeTelegramServer
{
    private const int TextMax = 4096;
    private static readonly TimeSpan DeleteWindow = TimeSpan.FromHours(48);
    private static readonly string[] SendingMethods = ["sendMessage", "sendPhoto"];

    private readonly Lock _floodLock = new();
    private readonly Dictionary<long, (double Tokens, DateTimeOffset At)> _chatBuckets = [];
    private readonly Dictionary<long, (double Tokens, DateTimeOffset At)> _groupBuckets = [];
    private (double Tokens, DateTimeOffset At)? _globalBucket;

    public FakeTelegramLimits Limits { get; } = new();

    /// <summary>Invite links by their URL.</summary>
    public ConcurrentDictionary<string, FakeInviteLink> InviteLinks { get; } = new(StringComparer.Ordinal);

    /// <summary>Pending join requests: chat id and applicant.</summary>
    public ConcurrentDictionary<(long ChatId, long UserId), FakeMember> JoinRequests { get; } = new();

    /// <summary>Basic groups that became supergroups: old id → new id (calls to the old id fail with migrate_to_chat_id).</summary>
    public ConcurrentDictionary<long, long> Upgrades { get; } = new();

    /// <summary>
    /// Private chats with bots, by (bot, user): <c>true</c> after the user pressed Start (sent /start), <c>false</c> after
    /// they blocked the bot. A bot cannot write first: without a conversation, <c>sendMessage</c> to the user answers 403
    /// "Forbidden: bot can't initiate conversation with a user"; once blocked, 403 "Forbidden: bot was blocked by the user".
    /// </summary>
    public ConcurrentDictionary<(long BotId, long UserId), bool> PrivateChats { get; } = new();

    /// <summary>Private messages the bots sent, in order: (bot, user, text).</summary>
    public ConcurrentQueue<(long BotId, long UserId, string Text)> PrivateMessages { get; } = new();

    /// <summary>Puts the bot into the chat, by default as an administrator (who may delete, restrict, ban and invite).</summary>
    public static FakeMember SeatBot(FakeBot bot, FakeChat chat, string status = "administrator")
    {
        var member = chat.Members.GetOrAdd(bot.Id, _ => new FakeMember(bot.Id, bot.FirstName) { IsBot = true });
        member.Status = status;
        return member;
    }

    /// <summary>A person asks to join through a link that needs approval.</summary>
    public FakeMember AddJoinRequest(FakeChat chat, long userId, string firstName) =>
        JoinRequests[(chat.Id, userId)] = new FakeMember(userId, firstName) { Status = "left" };

    /// <summary>The basic group becomes a supergroup with a new id (platforms.md B2).</summary>
    public FakeChat UpgradeChat(long oldId, long newId)
    {
        if (!Chats.TryRemove(oldId, out var chat))
            throw new InvalidOperationException($"no chat {oldId}");
        chat.Id = newId;
        chat.Type = "supergroup";
        Chats[newId] = chat;
        Upgrades[oldId] = newId;
        return chat;
    }

    partial void RegisterMessageMethods()
    {
        _methods["sendMessage"] = SendMessage;
        _methods["sendPhoto"] = SendPhoto;
        _methods["deleteMessage"] = DeleteMessage;
        _methods["banChatMember"] = BanChatMember;
        _methods["unbanChatMember"] = UnbanChatMember;
        _methods["restrictChatMember"] = RestrictChatMember;
        _methods["createChatInviteLink"] = CreateChatInviteLink;
        _methods["revokeChatInviteLink"] = RevokeChatInviteLink;
        _methods["approveChatJoinRequest"] = (bot, p) => AnswerJoinRequest(bot, p, approve: true);
        _methods["declineChatJoinRequest"] = (bot, p) => AnswerJoinRequest(bot, p, approve: false);
        _methods["getChatMember"] = GetChatMember;
    }

    private JsonObject SendMessage(FakeBot bot, JsonObject p)
    {
        // A positive chat id is a user: a private chat, which only the user can open (Telegram's words below).
        if (p.Number("chat_id") is { } userId && userId > 0)
            return SendPrivate(bot, userId, p);
        var chat = ChatOf(p);
        var me = BotIn(bot, chat);
        if (me.Status is "restricted")
            throw FakeTelegramException.BadRequest("not enough rights to send text messages to the chat");
        var text = p.Text("text") ?? "";
        if (text.Length == 0)
            throw FakeTelegramException.BadRequest("message text is empty");
        if (text.Length > TextMax)
            throw FakeTelegramException.BadRequest("message is too long");
        FakeMessage? replyTo = null;
        if (p["reply_parameters"] is JsonObject reply)
        {
            var id = reply.Number("message_id") ?? throw FakeTelegramException.BadRequest("message to be replied not found");
            if (!chat.Messages.TryGetValue(id, out replyTo) && !reply.Bool("allow_sending_without_reply"))
                throw FakeTelegramException.BadRequest("message to be replied not found");
        }
        Flood(chat.Id, sending: true);

        var now = Time.GetUtcNow();
        var message = new FakeMessage(chat.NextMessageId(), bot.Id, text, now);
        chat.Messages[message.Id] = message;
        var result = new JsonObject
        {
            ["message_id"] = message.Id,
            ["from"] = bot.ToUser(),
            ["chat"] = chat.ToChat(),
            ["date"] = now.ToUnixTimeSeconds(),
            ["text"] = text,
        };
        if (p.Number("message_thread_id") is { } thread)
        {
            result["message_thread_id"] = thread;
            result["is_topic_message"] = true;
        }
        if (replyTo is not null)
            result["reply_to_message"] = new JsonObject { ["message_id"] = replyTo.Id, ["chat"] = chat.ToChat(), ["date"] = replyTo.Date.ToUnixTimeSeconds(), ["text"] = replyTo.Text };
        return result;
    }

    private JsonNode? DeleteMessage(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        var me = BotIn(bot, chat);
        var id = p.RequiredLong("message_id");
        Flood(chat.Id, sending: false);
        if (!chat.Messages.TryGetValue(id, out var message))
            throw FakeTelegramException.BadRequest("message to delete not found");
        // Own messages always (within 48 h); others' only as an administrator.
        if (Time.GetUtcNow() - message.Date > DeleteWindow || (message.FromId != bot.Id && !IsAdmin(me)))
            throw FakeTelegramException.BadRequest("message can't be deleted");
        chat.Messages.TryRemove(id, out _);
        return true;
    }

    private JsonNode? BanChatMember(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        Admin(bot, chat, "restrict/unrestrict chat member");
        var member = Target(chat, p.RequiredLong("user_id"));
        Flood(chat.Id, sending: false);
        var old = member.Status;
        member.Status = "kicked";
        member.Until = Until(p);
        if (old != "kicked")
            ReportMemberChanged(bot, chat, member, old);
        return true;
    }

    private JsonNode? UnbanChatMember(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        if (chat.Type != "supergroup")
            throw FakeTelegramException.BadRequest("method is available for supergroup and channel chats only");
        Admin(bot, chat, "restrict/unrestrict chat member");
        var userId = p.RequiredLong("user_id");
        Flood(chat.Id, sending: false);
        if (!chat.Members.TryGetValue(userId, out var member))
            return true; // not in the chat and not banned: nothing to do
        var old = member.Status;
        // Unbanned, and (unless only_if_banned) removed if they are in the chat: either way able to come back (B4).
        if (old == "kicked" || (!p.Bool("only_if_banned") && old is "member" or "restricted"))
        {
            if (old != "kicked")
                Target(chat, userId); // owners and administrators cannot be removed
            member.Status = "left";
            member.Until = null;
            ReportMemberChanged(bot, chat, member, old);
        }
        return true;
    }

    private JsonNode? RestrictChatMember(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        if (chat.Type != "supergroup")
            throw FakeTelegramException.BadRequest("method is available only for supergroups");
        Admin(bot, chat, "restrict/unrestrict chat member");
        if (p["permissions"] is not JsonObject permissions)
            throw FakeTelegramException.BadRequest("object expected as permissions");
        var member = Target(chat, p.RequiredLong("user_id"));
        if (member.Status is "left" or "kicked")
            throw FakeTelegramException.BadRequest("user is not a member of the chat");
        Flood(chat.Id, sending: false);
        var old = member.Status;
        // All permissions granted lifts the restriction.
        var lifted = permissions.Count > 0 && permissions.All(kv => kv.Value?.GetValueKind() == System.Text.Json.JsonValueKind.True);
        member.Status = lifted ? "member" : "restricted";
        member.Until = lifted ? null : Until(p);
        if (old != member.Status || !lifted)
            ReportMemberChanged(bot, chat, member, old);
        return true;
    }

    private JsonObject CreateChatInviteLink(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        Admin(bot, chat, "manage invite links");
        var name = p.Text("name");
        if (name is { Length: > 32 })
            throw FakeTelegramException.BadRequest("invite link name is too long");
        var limit = p.Number("member_limit");
        var joinRequest = p.Bool("creates_join_request");
        if (limit is not null && joinRequest)
            throw FakeTelegramException.BadRequest("member_limit can't be specified for links requiring administrator approval");
        if (limit is < 1 or > 99_999)
            throw FakeTelegramException.BadRequest("MEMBER_LIMIT_INVALID");
        DateTimeOffset? expires = p.Number("expire_date") is { } unix ? DateTimeOffset.FromUnixTimeSeconds(unix) : null;
        if (expires <= Time.GetUtcNow())
            throw FakeTelegramException.BadRequest("EXPIRE_DATE_INVALID");
        Flood(chat.Id, sending: false);
        var link = new FakeInviteLink(chat.Id, "https://t.me/+" + Guid.NewGuid().ToString("N")[..16], bot.Id, name, expires, (int?)limit, joinRequest);
        InviteLinks[link.Link] = link;
        return InviteLinkJson(link, bot);
    }

    private JsonObject RevokeChatInviteLink(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        Admin(bot, chat, "manage invite links");
        var url = p.Text("invite_link") ?? "";
        if (!InviteLinks.TryGetValue(url, out var link) || link.ChatId != chat.Id)
            throw FakeTelegramException.BadRequest("INVITE_HASH_EXPIRED");
        Flood(chat.Id, sending: false);
        link.IsRevoked = true; // revoking again answers the revoked link again
        return InviteLinkJson(link, bot);
    }

    private JsonNode? AnswerJoinRequest(FakeBot bot, JsonObject p, bool approve)
    {
        var chat = ChatOf(p);
        Admin(bot, chat, "invite users");
        var userId = p.RequiredLong("user_id");
        if (chat.Members.TryGetValue(userId, out var present) && present.Status is "member" or "administrator" or "creator" or "restricted")
            throw FakeTelegramException.BadRequest("USER_ALREADY_PARTICIPANT");
        if (!JoinRequests.TryRemove((chat.Id, userId), out var applicant))
            throw FakeTelegramException.BadRequest("HIDE_REQUESTER_MISSING");
        Flood(chat.Id, sending: false);
        if (approve)
        {
            var member = chat.Members.GetOrAdd(userId, _ => applicant);
            var old = member.Status;
            member.Status = "member";
            member.Until = null;
            ReportMemberChanged(bot, chat, member, old);
        }
        return true;
    }

    private JsonObject GetChatMember(FakeBot bot, JsonObject p)
    {
        var chat = ChatOf(p);
        BotIn(bot, chat);
        var userId = p.RequiredLong("user_id");
        var member = chat.Members.GetValueOrDefault(userId) ?? new FakeMember(userId, "user" + userId) { Status = "left" };
        var result = new JsonObject { ["status"] = member.Status, ["user"] = member.ToUser() };
        if (member.Status is "kicked" or "restricted")
            result["until_date"] = member.Until?.ToUnixTimeSeconds() ?? 0;
        if (member.Status == "restricted")
            result["is_member"] = true;
        return result;
    }

    private JsonObject SendPrivate(FakeBot bot, long userId, JsonObject p)
    {
        if (!PrivateChats.TryGetValue((bot.Id, userId), out var open))
            throw new FakeTelegramException(403, "Forbidden: bot can't initiate conversation with a user");
        if (!open)
            throw new FakeTelegramException(403, "Forbidden: bot was blocked by the user");
        var text = p.Text("text") ?? "";
        if (text.Length == 0)
            throw FakeTelegramException.BadRequest("message text is empty");
        if (text.Length > TextMax)
            throw FakeTelegramException.BadRequest("message is too long");
        Flood(userId, sending: true);
        PrivateMessages.Enqueue((bot.Id, userId, text));
        var now = Time.GetUtcNow();
        return new JsonObject
        {
            ["message_id"] = PrivateMessages.Count,
            ["from"] = bot.ToUser(),
            ["chat"] = new JsonObject { ["id"] = userId, ["type"] = "private", ["first_name"] = "user" },
            ["date"] = now.ToUnixTimeSeconds(),
            ["text"] = text,
        };
    }

    private FakeChat ChatOf(JsonObject p)
    {
        var raw = p.Text("chat_id") ?? throw FakeTelegramException.BadRequest("chat_id is empty");
        if (!long.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out var id))
            throw FakeTelegramException.BadRequest("chat not found");
        if (Upgrades.TryGetValue(id, out var newId))
            throw new FakeTelegramException(400, "Bad Request: group chat was upgraded to a supergroup chat", migrateToChatId: newId);
        return Chats.TryGetValue(id, out var chat) ? chat : throw FakeTelegramException.BadRequest("chat not found");
    }

    private static FakeMember BotIn(FakeBot bot, FakeChat chat)
    {
        if (!chat.Members.TryGetValue(bot.Id, out var me) || me.Status is "left" or "kicked")
            throw new FakeTelegramException(403, chat.Type == "supergroup"
                ? "Forbidden: bot was kicked from the supergroup chat"
                : "Forbidden: bot was kicked from the group chat");
        return me;
    }

    private static bool IsAdmin(FakeMember me) => me.Status is "administrator" or "creator";

    private static void Admin(FakeBot bot, FakeChat chat, string what)
    {
        if (!IsAdmin(BotIn(bot, chat)))
            throw FakeTelegramException.BadRequest("not enough rights to " + what);
    }

    /// <summary>The member to act on; owners and administrators cannot be banned, restricted or removed.</summary>
    private static FakeMember Target(FakeChat chat, long userId)
    {
        var member = chat.Members.GetOrAdd(userId, id => new FakeMember(id, "user" + id) { Status = "left" });
        return member.Status switch
        {
            "creator" => throw FakeTelegramException.BadRequest("can't remove chat owner"),
            "administrator" => throw FakeTelegramException.BadRequest("user is an administrator of the chat"),
            _ => member,
        };
    }

    /// <summary><c>until_date</c>: less than 30 s or more than 366 days from now (or none) means forever (null).</summary>
    private DateTimeOffset? Until(JsonObject p)
    {
        if (p.Number("until_date") is not { } unix || unix == 0)
            return null;
        var until = DateTimeOffset.FromUnixTimeSeconds(unix);
        var ahead = until - Time.GetUtcNow();
        return ahead < TimeSpan.FromSeconds(30) || ahead > TimeSpan.FromDays(366) ? null : until;
    }

    private static JsonObject InviteLinkJson(FakeInviteLink link, FakeBot creator)
    {
        var json = new JsonObject
        {
            ["invite_link"] = link.Link,
            ["creator"] = creator.ToUser(),
            ["creates_join_request"] = link.CreatesJoinRequest,
            ["is_primary"] = false,
            ["is_revoked"] = link.IsRevoked,
        };
        if (link.Name is not null)
            json["name"] = link.Name;
        if (link.ExpireDate is { } expires)
            json["expire_date"] = expires.ToUnixTimeSeconds();
        if (link.MemberLimit is { } limit)
            json["member_limit"] = limit;
        return json;
    }

    /// <summary>
    /// Flood control: every acting call counts against the global budget; a message also against its chat's bucket
    /// and the group's minute. A refusal takes nothing and says how long to wait (whole seconds, at least 1).
    /// </summary>
    private void Flood(long chatId, bool sending)
    {
        if (!Limits.Enabled)
            return;
        var now = Time.GetUtcNow();
        lock (_floodLock)
        {
            var wait = TimeSpan.Zero;
            var global = Refill(_globalBucket, Limits.GlobalPerSecond, Limits.GlobalPerSecond, now);
            if (global.Tokens < 1)
                wait = TimeSpan.FromSeconds((1 - global.Tokens) / Limits.GlobalPerSecond);
            (double Tokens, DateTimeOffset At) chat = default, group = default;
            if (sending)
            {
                chat = Refill(_chatBuckets.TryGetValue(chatId, out var c) ? c : null, Limits.PerChatBurst, Limits.PerChatPerSecond, now);
                if (chat.Tokens < 1)
                    wait = Max(wait, TimeSpan.FromSeconds((1 - chat.Tokens) / Limits.PerChatPerSecond));
                var perSecond = Limits.PerGroupPerMinute / 60.0;
                group = Refill(_groupBuckets.TryGetValue(chatId, out var g) ? g : null, Limits.PerGroupPerMinute, perSecond, now);
                if (group.Tokens < 1)
                    wait = Max(wait, TimeSpan.FromSeconds((1 - group.Tokens) / perSecond));
            }
            if (wait > TimeSpan.Zero)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                throw new FakeTelegramException(429, $"Too Many Requests: retry after {seconds}", retryAfter: seconds);
            }
            _globalBucket = (global.Tokens - 1, now);
            if (sending)
            {
                _chatBuckets[chatId] = (chat.Tokens - 1, now);
                _groupBuckets[chatId] = (group.Tokens - 1, now);
            }
        }
    }

    private static (double Tokens, DateTimeOffset At) Refill((double Tokens, DateTimeOffset At)? bucket, double capacity, double perSecond, DateTimeOffset now) =>
        bucket is not { } b ? (capacity, now) : (Math.Min(capacity, b.Tokens + Math.Max(0, (now - b.At).TotalSeconds) * perSecond), now);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>How many calls of <paramref name="method"/> succeeded for <paramref name="chatId"/>.</summary>
    public int Succeeded(string method, long chatId) =>
        CallsOf(method).Count(c => c.Status == 200 && c.Parameters.Number("chat_id") == chatId);

    /// <summary>Messages the fake accepted, as (chat, text) pairs, in order of arrival.</summary>
    public IReadOnlyList<(long ChatId, string Text)> SentTexts() =>
        [.. Calls.Where(c => c.Status == 200 && SendingMethods.Contains(c.Method, StringComparer.OrdinalIgnoreCase))
            .Select(c => (c.Parameters.Number("chat_id") ?? 0, c.Parameters.Text("text") ?? c.Parameters.Text("caption") ?? ""))];
}
