using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Shequn.Fakes.Telegram;

/// <summary>One POST of the webhook pusher: which update, the HTTP status it got (0: no answer).</summary>
public sealed record FakeWebhookDelivery(long BotId, long UpdateId, int Status, DateTimeOffset At);

/// <summary>
/// The updates side of the fake (platforms.md B2, B3, Part E): a queue of updates per bot, served by <c>getUpdates</c>
/// (offset confirmation, limit, timeout, allowed_updates; 409 while a webhook is set) or pushed to the webhook with the
/// secret header, retried until a 2xx. Helpers produce what Telegram would send when people act in a group.
/// </summary>
public sealed partial class FakeTelegramServer
{
    /// <summary>What Telegram sends when allowed_updates was never set (or set empty): everything but these.</summary>
    public static readonly string[] NotSentByDefault = ["chat_member", "message_reaction", "message_reaction_count"];

    private sealed class UpdateQueue
    {
        public readonly object Gate = new();
        public readonly List<JsonObject> Pending = [];
        public string? WebhookUrl;
        public string? SecretToken;
        public string[]? AllowedUpdates;
        public string? LastError;
        public CancellationTokenSource? Pusher;
        public TaskCompletionSource Arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly ConcurrentDictionary<long, UpdateQueue> _queues = new();
    private long _nextUpdateId = 100_000;
    /// <summary>What the pusher POSTs with; tests may hand in a client for an in-memory server.</summary>
    public HttpClient WebhookClient { get; set; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>How many times getUpdates has handed out each update (one poller confirming by offset: once each).</summary>
    public ConcurrentDictionary<long, int> TimesPolled { get; } = new();

    /// <summary>Every webhook POST, in order.</summary>
    public ConcurrentQueue<FakeWebhookDelivery> WebhookDeliveries { get; } = new();

    /// <summary>Pause between webhook retries after a non-2xx answer.</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    private UpdateQueue QueueOf(FakeBot bot) => _queues.GetOrAdd(bot.Id, _ => new UpdateQueue());

    partial void RegisterUpdateMethods()
    {
        _methods["setWebhook"] = SetWebhook;
        _methods["deleteWebhook"] = (bot, p) =>
        {
            var q = QueueOf(bot);
            lock (q.Gate)
            {
                q.WebhookUrl = null;
                q.SecretToken = null;
                q.Pusher?.Cancel();
                q.Pusher = null;
                if (p.Bool("drop_pending_updates"))
                    q.Pending.Clear();
            }
            return true;
        };
        _methods["getWebhookInfo"] = (bot, _) =>
        {
            var q = QueueOf(bot);
            lock (q.Gate)
            {
                var info = new JsonObject { ["url"] = q.WebhookUrl ?? "", ["has_custom_certificate"] = false, ["pending_update_count"] = q.Pending.Count };
                if (q.AllowedUpdates is { } allowed)
                    info["allowed_updates"] = new JsonArray([.. allowed.Select(a => (JsonNode)a)]);
                if (q.LastError is { } error)
                    info["last_error_message"] = error;
                return info;
            }
        };
        _methods["getUpdates"] = GetUpdates;
    }

    private static readonly Regex SecretShape = new("^[A-Za-z0-9_-]{1,256}$", RegexOptions.CultureInvariant);

    private JsonNode? SetWebhook(FakeBot bot, JsonObject p)
    {
        var url = p.Text("url") ?? throw FakeTelegramException.BadRequest("url is required");
        var secret = p.Text("secret_token");
        if (secret is not null && !SecretShape.IsMatch(secret))
            throw FakeTelegramException.BadRequest("secret token contains unallowed characters");
        if (url.Length > 0 && !Uri.TryCreate(url, UriKind.Absolute, out _))
            throw FakeTelegramException.BadRequest("bad webhook: Failed to resolve host");
        var q = QueueOf(bot);
        lock (q.Gate)
        {
            if (ParseAllowed(p) is { } allowed)
                q.AllowedUpdates = allowed;
            if (p.Bool("drop_pending_updates"))
                q.Pending.Clear();
            q.Pusher?.Cancel();
            q.Pusher = null;
            if (url.Length == 0)
            {
                q.WebhookUrl = null;
                q.SecretToken = null;
                return true;
            }
            q.WebhookUrl = url;
            q.SecretToken = secret;
            q.Pusher = new CancellationTokenSource();
            var token = q.Pusher.Token;
            _ = Task.Run(() => PushAsync(bot, q, url, secret, token), CancellationToken.None);
        }
        return true;
    }

    /// <summary>Empty list = the default; absent = keep the previous setting (platforms.md B2).</summary>
    private static string[]? ParseAllowed(JsonObject p)
    {
        var node = p["allowed_updates"];
        if (node is null)
            return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var text))
            node = JsonNode.Parse(text);
        return node is JsonArray array ? [.. array.Select(a => a!.GetValue<string>())] : null;
    }

    private JsonArray GetUpdates(FakeBot bot, JsonObject p)
    {
        var q = QueueOf(bot);
        var limit = (int)Math.Clamp(p.Number("limit") ?? 100, 1, 100);
        var timeout = Math.Max(0, p.Number("timeout") ?? 0);
        Task arrived;
        lock (q.Gate)
        {
            if (q.WebhookUrl is not null)
                throw new FakeTelegramException(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
            if (ParseAllowed(p) is { } allowed)
                q.AllowedUpdates = allowed;
            if (p.Number("offset") is { } offset)
            {
                if (offset < 0)
                    q.Pending.RemoveRange(0, Math.Max(0, q.Pending.Count - (int)Math.Min(-offset, int.MaxValue)));
                else
                    q.Pending.RemoveAll(u => u["update_id"]!.GetValue<long>() < offset); // confirmed
            }
            if (q.Pending.Count > 0 || timeout == 0)
                return HandOut(q, limit);
            arrived = q.Arrived.Task;
        }
        // Long poll: hold the call until an update arrives or the timeout passes.
        arrived.Wait(TimeSpan.FromSeconds(Math.Min(timeout, 50)));
        lock (q.Gate)
            return HandOut(q, limit);
    }

    private JsonArray HandOut(UpdateQueue q, int limit)
    {
        var batch = q.Pending.Take(limit).ToList();
        foreach (var u in batch)
            TimesPolled.AddOrUpdate(u["update_id"]!.GetValue<long>(), 1, (_, n) => n + 1);
        return new JsonArray([.. batch.Select(u => (JsonNode)u.DeepClone())]);
    }

    private async Task PushAsync(FakeBot bot, UpdateQueue q, string url, string? secret, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            JsonObject? next;
            Task arrived;
            lock (q.Gate)
            {
                next = q.Pending.Count > 0 ? q.Pending[0] : null;
                arrived = q.Arrived.Task;
            }
            if (next is null)
            {
                await Task.WhenAny(arrived, Task.Delay(TimeSpan.FromSeconds(1), ct)).ConfigureAwait(false);
                continue;
            }
            var id = next["update_id"]!.GetValue<long>();
            int status;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(next.ToJsonString(), Encoding.UTF8, "application/json") };
                if (secret is not null)
                    request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
                using var response = await WebhookClient.SendAsync(request, ct).ConfigureAwait(false);
                status = (int)response.StatusCode;
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                status = 0;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            WebhookDeliveries.Enqueue(new FakeWebhookDelivery(bot.Id, id, status, Time.GetUtcNow()));
            if (status is >= 200 and < 300)
            {
                lock (q.Gate)
                {
                    q.Pending.Remove(next);
                    q.LastError = null;
                }
            }
            else
            {
                lock (q.Gate)
                    q.LastError = status == 0 ? "Connection refused" : $"Wrong response from the webhook: {status}";
                await Task.Delay(WebhookRetryDelay, ct).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Queues an update for the bot (numbered here) unless the bot's allowed_updates exclude its type; returns its update_id, or null when not sent.</summary>
    public long? Enqueue(FakeBot bot, string type, JsonNode payload)
    {
        var q = QueueOf(bot);
        lock (q.Gate)
        {
            var allowed = q.AllowedUpdates is { Length: > 0 } list ? list.Contains(type) : !NotSentByDefault.Contains(type);
            if (!allowed)
                return null;
            var id = Interlocked.Increment(ref _nextUpdateId);
            q.Pending.Add(new JsonObject { ["update_id"] = id, [type] = payload });
            var arrived = q.Arrived;
            q.Arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            arrived.TrySetResult();
            return id;
        }
    }

    /// <summary>Updates queued for the bot and not yet confirmed or delivered.</summary>
    public int PendingUpdates(FakeBot bot)
    {
        var q = QueueOf(bot);
        lock (q.Gate)
            return q.Pending.Count;
    }

    /// <summary>The webhook URL and secret the bot set, or nulls.</summary>
    public (string? Url, string? Secret, string[]? AllowedUpdates) Webhook(FakeBot bot)
    {
        var q = QueueOf(bot);
        lock (q.Gate)
            return (q.WebhookUrl, q.SecretToken, q.AllowedUpdates);
    }

    partial void MemberChanged(FakeBot by, FakeChat chat, FakeMember member, string oldStatus) =>
        Enqueue(by, "chat_member", MemberUpdate(chat, by.ToUser(), member.ToUser(), oldStatus, member.Status, null));

    private long Now() => Time.GetUtcNow().ToUnixTimeSeconds();

    private JsonObject MemberUpdate(FakeChat chat, JsonObject from, JsonObject user, string oldStatus, string newStatus, JsonObject? inviteLink)
    {
        var update = new JsonObject
        {
            ["chat"] = chat.ToChat(),
            ["from"] = from,
            ["date"] = Now(),
            ["old_chat_member"] = new JsonObject { ["status"] = oldStatus, ["user"] = user.DeepClone() },
            ["new_chat_member"] = new JsonObject { ["status"] = newStatus, ["user"] = user.DeepClone() },
        };
        if (newStatus == "kicked")
            update["new_chat_member"]!["until_date"] = 0;
        if (inviteLink is not null)
            update["invite_link"] = inviteLink;
        return update;
    }

    private JsonObject Message(FakeChat chat, JsonObject? from, long? id = null)
    {
        var message = new JsonObject { ["message_id"] = id ?? chat.NextMessageId(), ["chat"] = chat.ToChat(), ["date"] = Now() };
        if (from is not null)
            message["from"] = from;
        return message;
    }

    public static JsonObject User(long id, string firstName, bool isBot = false) => new() { ["id"] = id, ["is_bot"] = isBot, ["first_name"] = firstName };

    /// <summary>Someone (<paramref name="byUserId"/>) adds the bot to the group, as an administrator unless said otherwise (my_chat_member).</summary>
    public long? AddBotToGroup(FakeBot bot, FakeChat chat, long byUserId, string byName, bool admin = true)
    {
        chat.Members[bot.Id] = new FakeMember(bot.Id, bot.FirstName) { IsBot = true, Status = admin ? "administrator" : "member" };
        var update = MemberUpdate(chat, User(byUserId, byName), bot.ToUser(), "left", admin ? "administrator" : "member", null);
        if (admin)
        {
            var rights = (JsonObject)update["new_chat_member"]!;
            foreach (var right in new[] { "can_be_edited", "can_manage_chat", "can_delete_messages", "can_restrict_members", "can_invite_users", "can_pin_messages" })
                rights[right] = right != "can_be_edited";
        }
        return Enqueue(bot, "my_chat_member", update);
    }

    /// <summary>The bot is removed from the group (my_chat_member: kicked).</summary>
    public long? RemoveBotFromGroup(FakeBot bot, FakeChat chat, long byUserId, string byName)
    {
        chat.Members.TryRemove(bot.Id, out _);
        return Enqueue(bot, "my_chat_member", MemberUpdate(chat, User(byUserId, byName), bot.ToUser(), "administrator", "kicked", null));
    }

    /// <summary>
    /// A user joins through an invite link: the <c>chat_member</c> update (with the link) and the service message
    /// (<c>new_chat_members</c>), as Telegram sends both to an admin bot.
    /// </summary>
    public (long? MemberUpdate, long? ServiceMessage) JoinViaLink(FakeBot bot, FakeChat chat, long userId, string firstName, string inviteLink, string? linkName = null)
    {
        chat.Members[userId] = new FakeMember(userId, firstName);
        var link = new JsonObject
        {
            ["invite_link"] = inviteLink, ["creator"] = bot.ToUser(), ["creates_join_request"] = false, ["is_primary"] = false, ["is_revoked"] = false,
        };
        if (linkName is not null)
            link["name"] = linkName;
        var user = User(userId, firstName);
        var update = MemberUpdate(chat, user, user, "left", "member", link);
        var first = Enqueue(bot, "chat_member", update);
        // One event seen twice: both carry the same date (read from the clock once, not twice across a second's edge).
        var service = Message(chat, user.DeepClone().AsObject());
        service["date"] = update["date"]!.DeepClone();
        service["new_chat_members"] = new JsonArray(user.DeepClone());
        return (first, Enqueue(bot, "message", service));
    }

    /// <summary>A user leaves by themselves: the chat_member update and the service message.</summary>
    public (long? MemberUpdate, long? ServiceMessage) Leave(FakeBot bot, FakeChat chat, long userId, string firstName)
    {
        if (chat.Members.TryGetValue(userId, out var member))
            member.Status = "left";
        var user = User(userId, firstName);
        var update = MemberUpdate(chat, user, user, "member", "left", null);
        var first = Enqueue(bot, "chat_member", update);
        var service = Message(chat, user.DeepClone().AsObject());
        service["date"] = update["date"]!.DeepClone();
        service["left_chat_member"] = user.DeepClone();
        return (first, Enqueue(bot, "message", service));
    }

    /// <summary>A user posts a message; <paramref name="content"/> holds the kind's fields (see <see cref="FakeContent"/>).
    /// Returns the update_id and the message id.</summary>
    public (long? UpdateId, long MessageId) Post(FakeBot bot, FakeChat chat, long userId, string firstName, JsonObject content)
    {
        var message = Message(chat, User(userId, firstName));
        foreach (var (key, value) in content)
            message[key] = value?.DeepClone();
        var id = message["message_id"]!.GetValue<long>();
        chat.Messages[id] = new FakeMessage(id, userId, content["text"]?.GetValue<string>(), Time.GetUtcNow());
        return (Enqueue(bot, "message", message), id);
    }

    /// <summary>A message sent on behalf of a chat (<c>sender_chat</c>): the group itself (anonymous admin) or a channel.</summary>
    public long? PostAsChat(FakeBot bot, FakeChat chat, long senderChatId, string senderTitle, string text)
    {
        var message = Message(chat, User(1087968824, "Group", isBot: true));
        message["sender_chat"] = new JsonObject { ["id"] = senderChatId, ["title"] = senderTitle, ["type"] = senderChatId == chat.Id ? chat.Type : "channel" };
        message["text"] = text;
        return Enqueue(bot, "message", message);
    }

    /// <summary>A user edits an earlier message (edited_message).</summary>
    public long? Edit(FakeBot bot, FakeChat chat, long messageId, long userId, string firstName, string newText)
    {
        var message = Message(chat, User(userId, firstName), messageId);
        message["date"] = Now() - 60;
        message["edit_date"] = Now();
        message["text"] = newText;
        return Enqueue(bot, "edited_message", message);
    }

    /// <summary>A user asks to join through a link that needs approval (chat_join_request).</summary>
    public long? RequestToJoin(FakeBot bot, FakeChat chat, long userId, string firstName, string inviteLink, string? bio = null)
    {
        var request = new JsonObject
        {
            ["chat"] = chat.ToChat(), ["from"] = User(userId, firstName), ["user_chat_id"] = userId, ["date"] = Now(),
            ["invite_link"] = new JsonObject { ["invite_link"] = inviteLink, ["creator"] = bot.ToUser(), ["creates_join_request"] = true, ["is_primary"] = false, ["is_revoked"] = false },
        };
        if (bio is not null)
            request["bio"] = bio;
        // Telegram names the link (its name, when it has one) and keeps the request until an admin answers it.
        if (InviteLinks.TryGetValue(inviteLink, out var link) && link.Name is not null)
            ((JsonObject)request["invite_link"]!)["name"] = link.Name;
        JoinRequests.TryAdd((chat.Id, userId), new FakeMember(userId, firstName) { Status = "left" });
        return Enqueue(bot, "chat_join_request", request);
    }

    /// <summary>
    /// A basic group becomes a supergroup with a new id: a service message in the old group (<c>migrate_to_chat_id</c>)
    /// and one in the new (<c>migrate_from_chat_id</c>). The fake's chat moves to the new id.
    /// </summary>
    public (long? To, long? From) MigrateToSupergroup(FakeBot bot, FakeChat chat, long newChatId, long byUserId, string byName)
    {
        var oldId = chat.Id;
        var to = Message(chat, User(byUserId, byName));
        to["migrate_to_chat_id"] = newChatId;
        var first = Enqueue(bot, "message", to);
        Chats.TryRemove(oldId, out _);
        chat.Id = newChatId;
        chat.Type = "supergroup";
        Chats[newChatId] = chat;
        var from = Message(chat, User(1087968824, "Group", isBot: true));
        from["sender_chat"] = chat.ToChat();
        from["migrate_from_chat_id"] = oldId;
        return (first, Enqueue(bot, "message", from));
    }
}

/// <summary>The fields of each message kind, for <see cref="FakeTelegramServer.Post"/> (values as Telegram sends them).</summary>
public static class FakeContent
{
    private static JsonObject File(string id) => new() { ["file_id"] = id, ["file_unique_id"] = id + "u" };

    public static JsonObject Text(string text) => new() { ["text"] = text };

    public static JsonObject Photo(string? caption = null)
    {
        var photo = File("photo");
        photo["width"] = 90;
        photo["height"] = 90;
        var content = new JsonObject { ["photo"] = new JsonArray(photo) };
        if (caption is not null)
            content["caption"] = caption;
        return content;
    }

    public static JsonObject Sticker(string emoji = "👍")
    {
        var sticker = File("sticker");
        sticker["type"] = "regular";
        sticker["width"] = 512;
        sticker["height"] = 512;
        sticker["is_animated"] = false;
        sticker["is_video"] = false;
        sticker["emoji"] = emoji;
        return new JsonObject { ["sticker"] = sticker };
    }

    public static JsonObject Voice(int seconds = 3)
    {
        var voice = File("voice");
        voice["duration"] = seconds;
        return new JsonObject { ["voice"] = voice };
    }

    public static JsonObject Document(string fileName)
    {
        var document = File("doc");
        document["file_name"] = fileName;
        return new JsonObject { ["document"] = document };
    }

    public static JsonObject Poll(string question, params string[] options) => new()
    {
        ["poll"] = new JsonObject
        {
            ["id"] = "poll-1", ["question"] = question,
            ["options"] = new JsonArray([.. options.Select(o => (JsonNode)new JsonObject { ["text"] = o, ["voter_count"] = 0 })]),
            ["total_voter_count"] = 0, ["is_closed"] = false, ["is_anonymous"] = true, ["type"] = "regular", ["allows_multiple_answers"] = false,
        },
    };

    public static JsonObject Contact(string phone, string firstName) => new() { ["contact"] = new JsonObject { ["phone_number"] = phone, ["first_name"] = firstName } };

    public static JsonObject Location(double latitude, double longitude) => new() { ["location"] = new JsonObject { ["latitude"] = latitude, ["longitude"] = longitude } };

    /// <summary>Marks content as forwarded from a user (forward_origin of type user).</summary>
    public static JsonObject Forwarded(this JsonObject content, long fromUserId, string fromName)
    {
        content["forward_origin"] = new JsonObject { ["type"] = "user", ["date"] = 1760000000, ["sender_user"] = FakeTelegramServer.User(fromUserId, fromName) };
        return content;
    }

    /// <summary>Places content in a forum topic (message_thread_id, is_topic_message).</summary>
    public static JsonObject InTopic(this JsonObject content, long threadId)
    {
        content["message_thread_id"] = threadId;
        content["is_topic_message"] = true;
        return content;
    }
}
