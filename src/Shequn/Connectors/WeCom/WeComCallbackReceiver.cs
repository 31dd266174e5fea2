using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;

namespace Shequn.Connectors.WeCom;

/// <summary>
/// The callback endpoint <c>/wecom/callback/{connectionId}</c> (platforms.md A1.1). GET answers URL verification with
/// the bare plaintext. POST is verified, decrypted and parsed, and what it says is stored in the event log (and the
/// group's stored state) before the 200, so WeCom's 5-second budget is spent on one group commit. Anything that needs
/// the group's details (a new group, a new name, a lost callback) marks the group for a re-fetch by the sync.
/// </summary>
public sealed partial class WeComCallbackReceiver(
    IServiceScopeFactory scopes, WeComSecrets secrets, EventIngestor ingestor, WeComSyncSignal signal, TimeProvider time,
    ILogger<WeComCallbackReceiver> log)
{
    public const int MaxBodyBytes = 256 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/wecom/callback").AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        group.MapGet("/{connectionId:guid}", VerifyAsync);
        group.MapPost("/{connectionId:guid}", ReceiveAsync);
    }

    private static async Task<IResult> VerifyAsync(Guid connectionId, HttpRequest request, WeComCallbackReceiver receiver, CancellationToken ct)
    {
        var crypto = await receiver.CryptoAsync(connectionId, ct);
        if (crypto is null)
            return TypedResults.NotFound();
        var q = request.Query;
        return WeComCallbackResponses.VerifyUrl(crypto, q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"]);
    }

    private static Task<IResult> ReceiveAsync(Guid connectionId, HttpRequest request, WeComCallbackReceiver receiver, CancellationToken ct) =>
        receiver.HandleAsync(connectionId, request, ct);

    private async Task<IResult> HandleAsync(Guid connectionId, HttpRequest request, CancellationToken ct)
    {
        var connection = await ConnectionAsync(connectionId, ct);
        if (connection is null)
            return TypedResults.NotFound();
        var q = request.Query;
        try
        {
            // Unsigned requests are refused before their body is read.
            if (string.IsNullOrEmpty(q["msg_signature"]) || string.IsNullOrEmpty(q["timestamp"]) || string.IsNullOrEmpty(q["nonce"]))
                throw new WeComCallbackException(WeComCallbackError.MissingField, "The callback has no msg_signature, timestamp or nonce.");
            var body = await ReadBodyAsync(request, ct);
            var envelope = WeComCallbackXml.ReadEnvelope(body);
            var xml = secrets.Crypto(connection).VerifyAndDecrypt(q["msg_signature"], q["timestamp"], q["nonce"], envelope.Encrypt);
            var callback = WeComCallbackXml.ReadCallback(xml);
            await ApplyAsync(connection, callback, xml, ct);
            return TypedResults.Text("", "text/plain");
        }
        catch (WeComCallbackException e)
        {
            LogRefused(log, connectionId, e.Error, e.Message);
            return WeComCallbackResponses.Problem(e);
        }
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
            throw new WeComCallbackException(WeComCallbackError.MalformedXml, $"The callback body is larger than {MaxBodyBytes} bytes.");
        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
            if (length > MaxBodyBytes)
                throw new WeComCallbackException(WeComCallbackError.MalformedXml, $"The callback body is larger than {MaxBodyBytes} bytes.");
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw new WeComCallbackException(WeComCallbackError.MalformedXml, "The callback body is not UTF-8.");
        }
    }

    private async Task<WeComConnection?> ConnectionAsync(Guid id, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<WeComConnection>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
    }

    private async Task<WeComCrypto?> CryptoAsync(Guid id, CancellationToken ct) =>
        await ConnectionAsync(id, ct) is { } c ? secrets.Crypto(c) : null;

    /// <summary>Turns a decrypted callback into log events and the group's stored state; returns the events.</summary>
    public async Task<IReadOnlyList<CommunityEvent>> ApplyAsync(WeComConnection connection, WeComCallback callback, string xml, CancellationToken ct)
    {
        var at = callback.CreatedAt?.UtcDateTime ?? time.GetUtcNow().UtcDateTime;
        switch (callback.Kind)
        {
            case WeComCallbackKind.ExternalChat:
                return await ApplyChatAsync(connection, callback.Chat!, at, ct);
            case WeComCallbackKind.ExternalContact:
                var contact = callback.Contact!;
                var e = Event(connection, $"contact:{contact.ChangeTypeRaw}:{contact.UserId}:{contact.ExternalUserId}:{Unix(at)}", EventKind.ContactChanged, at, chatId: null);
                e.UserId = Clip(contact.ExternalUserId, CommunityEvent.IdMaxLength);
                e.ActorId = Clip(contact.UserId, CommunityEvent.IdMaxLength);
                e.Channel = Clip(contact.State, CommunityEvent.ChannelMaxLength);
                e.Text = contact.FailReason is null ? contact.ChangeTypeRaw : $"{contact.ChangeTypeRaw}: {contact.FailReason}";
                await ingestor.IngestAsync([e], ct);
                return [e];
            default:
                // Kept whole (its fields as JSON) and passed over: the processor finds no group in it.
                var raw = Event(connection, "raw:" + Hash(xml), EventKind.PlatformNotice, at, chatId: null);
                raw.Text = Clip(JsonSerializer.Serialize(callback.Fields), CommunityEvent.TextMaxLength);
                await ingestor.IngestAsync([raw], ct);
                LogUnknown(log, connection.Id, callback.EventType);
                return [raw];
        }
    }

    private async Task<IReadOnlyList<CommunityEvent>> ApplyChatAsync(WeComConnection connection, WeComChatChange c, DateTime at, CancellationToken ct)
    {
        var baseId = $"{c.ChatId}:{c.ChangeTypeRaw}:{c.UpdateRaw}:{Unix(at)}";
        for (var attempt = 1; ; attempt++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var chat = await db.Set<WeComChat>().IgnoreQueryFilters().SingleOrDefaultAsync(x => x.ConnectionId == connection.Id && x.ChatId == c.ChatId, ct);
            if (chat is null)
            {
                // A group we have not fetched yet: its details come from the re-fetch.
                chat = new WeComChat { WorkspaceId = connection.WorkspaceId, ConnectionId = connection.Id, ChatId = c.ChatId, NeedsRefresh = true };
                db.Add(chat);
            }
            var members = WeComMembers.Read(chat.Members);
            var events = new List<CommunityEvent>();
            CommunityEvent Add(string id, EventKind kind)
            {
                var e = Event(connection, id, kind, at, c.ChatId);
                e.ChatTitle = chat.Name;
                events.Add(e);
                return e;
            }

            // A repeat of the change the stored version already includes (WeCom retries, or a replay) changes nothing.
            var replay = c.CurrentMemberVersion is { Length: > 0 } cur && cur == chat.MemberVersion;
            switch (c.ChangeType)
            {
                case WeComChatChangeType.Create:
                    Add(baseId, EventKind.CommunityCreated);
                    chat.NeedsRefresh = true;
                    break;
                case WeComChatChangeType.Dismiss:
                    Add(baseId, EventKind.CommunityDismissed);
                    chat.Dismissed = true;
                    chat.NeedsRefresh = false;
                    break;
                case WeComChatChangeType.Update when c.Update is WeComChatUpdate.AddMember:
                    foreach (var id in c.MemberIds.Where(id => !replay && !members.ContainsKey(id)))
                    {
                        Add($"{baseId}:{id}", EventKind.MemberJoined).UserId = Clip(id, CommunityEvent.IdMaxLength);
                        members[id] = null;
                    }
                    TrackVersion(chat, c, replay);
                    // A QR scan (a live code's join_way among them) says its state only in groupchat/get: fetch the group for it.
                    if (!replay && c.JoinScene == WeComJoinScene.QrCode)
                        chat.NeedsRefresh = true;
                    break;
                case WeComChatChangeType.Update when c.Update is WeComChatUpdate.DelMember:
                    foreach (var id in c.MemberIds.Where(_ => !replay))
                    {
                        Add($"{baseId}:{id}", c.QuitScene == WeComQuitScene.Removed ? EventKind.MemberRemoved : EventKind.MemberLeft).UserId = Clip(id, CommunityEvent.IdMaxLength);
                        members.Remove(id);
                    }
                    TrackVersion(chat, c, replay);
                    break;
                default:
                    // change_name, change_owner, change_notice and anything newer: the callback carries no values, the group does.
                    Add(baseId, EventKind.PlatformNotice).Text = c.UpdateRaw ?? c.ChangeTypeRaw;
                    chat.NeedsRefresh = true;
                    break;
            }
            await ingestor.IngestAsync(events, ct);
            chat.Members = WeComMembers.Write(members);
            chat.Revision++;
            try
            {
                await db.SaveChangesWithoutAuditAsync(ct);
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // A re-fetch or another callback changed the group meanwhile: apply again on its state (event ids repeat).
                continue;
            }
            if (chat.NeedsRefresh)
                signal.Notify();
            return events;
        }
    }

    /// <summary>In order (our version is the one the change started from, and the count matches): take the new version.
    /// Otherwise a callback was lost or came out of order: fetch the whole group.</summary>
    private static void TrackVersion(WeComChat chat, WeComChatChange c, bool replay)
    {
        if (replay)
            return;
        var inOrder = c.LastMemberVersion is { Length: > 0 } last && last == chat.MemberVersion
            && (c.MemberChangeCount is null || c.MemberChangeCount == c.MemberIds.Count);
        if (inOrder)
            chat.MemberVersion = c.CurrentMemberVersion;
        else
            chat.NeedsRefresh = true;
    }

    internal static CommunityEvent Event(WeComConnection connection, string id, EventKind kind, DateTime at, string? chatId) => new()
    {
        WorkspaceId = connection.WorkspaceId,
        Platform = ChatPlatform.WeCom,
        PlatformEventId = EventId(id),
        Kind = kind,
        OccurredAt = at,
        ChatId = chatId,
    };

    /// <summary>Event ids are derived from content (platforms.md A1.1), so a repeated callback is a duplicate in the log.</summary>
    internal static string EventId(string content)
    {
        var id = "wecom:" + content;
        return id.Length <= CommunityEvent.IdMaxLength ? id : "wecom:h:" + Hash(content);
    }

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static long Unix(DateTime at) => new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeSeconds();

    private static string? Clip(string? s, int max) => EventEffects.Clip(s, max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "WeCom callback for connection {ConnectionId} refused: {Error} {Reason}")]
    private static partial void LogRefused(ILogger logger, Guid connectionId, WeComCallbackError error, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "WeCom callback of unknown type '{EventType}' for connection {ConnectionId} kept and skipped")]
    private static partial void LogUnknown(ILogger logger, Guid connectionId, string eventType);
}

/// <summary>A group's member ids and names as stored in <see cref="WeComChat.Members"/>.</summary>
public static class WeComMembers
{
    public static Dictionary<string, string?> Read(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string?>>(string.IsNullOrEmpty(json) ? "{}" : json) ?? [];

    public static string Write(Dictionary<string, string?> members) => JsonSerializer.Serialize(members);
}
