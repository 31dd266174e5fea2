using System.Globalization;
using System.Text;
using System.Text.Json;
using Shequn.Features.Communities;
using Shequn.Features.Events;

namespace Shequn.Features.Imports;

/// <summary>
/// Reads a Telegram Desktop single-chat export (result.json), new and old formats: date_unixtime when present,
/// otherwise the offset-less local "date" read at the given offset; from_id/actor_id as "user123" or a bare number;
/// text as a string or an array of strings and entity objects; service actions for group creation, invitations,
/// joins by link or request, removals and leaving (remove_members with the actor as member). Telegram names service
/// members by display name only: a name is matched to the id it has elsewhere in the same file, else it stands for
/// itself ("name:Alice"). Renames, pins, migrations and other actions take no effect in Shequn.
/// Event ids are "tg:{chat}:{message}[:{n}]", so importing the same export twice adds nothing.
/// </summary>
public static class TelegramExportReader
{
    public static ParsedChat Read(Stream json, ChatImportOptions options)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return Fail($"line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}", "not valid JSON: " + FirstSentence(ex.Message));
        }
        using var owned = doc;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            return Fail("$", "expected the export's top-level object");
        if (root.TryGetProperty("chats", out _) && !root.TryGetProperty("messages", out _))
            return Fail("$.chats", "this is a full-account export; export the one group instead (chat menu → Export chat history)");
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            return Fail("$.messages", "an array of messages is required");

        var chatId = root.TryGetProperty("id", out var idElement) && idElement.ValueKind is JsonValueKind.Number or JsonValueKind.String
            ? idElement.ToString() : null;
        if (chatId is null)
            return Fail("$.id", "the chat id is required");
        var title = root.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String ? nameElement.GetString() : null;

        var errors = new List<ImportError>();
        var names = NameIndex(messages);
        var events = new List<CommunityEvent>();
        var index = -1;
        foreach (var m in messages.EnumerateArray())
        {
            index++;
            if (errors.Count >= ChatImportOptions.MaxErrors)
                break;
            var path = $"$.messages[{index}]";
            if (m.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ImportError(path, "a message must be an object"));
                continue;
            }
            if (!m.TryGetProperty("id", out var mid) || mid.ValueKind != JsonValueKind.Number || !mid.TryGetInt64(out var messageId))
            {
                errors.Add(new ImportError(path + ".id", "an integer message id is required"));
                continue;
            }
            var type = m.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "unsupported")
                continue;
            if (type is not ("message" or "service"))
            {
                errors.Add(new ImportError(path + ".type", $"expected \"message\", \"service\" or \"unsupported\", got {Show(t)}"));
                continue;
            }
            if (!TryDate(m, path, options.LocalZone, errors, out var at))
                continue;

            CommunityEvent New(EventKind kind, int part, string userId, string? userName)
            {
                var e = new CommunityEvent
                {
                    WorkspaceId = options.WorkspaceId,
                    Platform = ChatPlatform.Telegram,
                    PlatformEventId = part == 0 ? $"tg:{chatId}:{messageId}" : $"tg:{chatId}:{messageId}:{part}",
                    Kind = kind,
                    OccurredAt = at,
                    CommunityId = options.CommunityId,
                    ChatId = chatId,
                    ChatTitle = EventEffects.Clip(title, CommunityEvent.NameMaxLength),
                    UserId = EventEffects.Clip(userId, CommunityEvent.IdMaxLength),
                    UserName = EventEffects.Clip(userName, CommunityEvent.NameMaxLength),
                };
                events.Add(e);
                return e;
            }

            if (type == "message")
            {
                if (!TryPeer(m, "from_id", path, errors, out var from))
                    continue;
                var name = m.TryGetProperty("from", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                var text = Text(m, path, errors);
                if (text is null)
                    continue;
                var e = New(EventKind.MessagePosted, 0, from ?? "unknown", name);
                e.MessageId = messageId.ToString(CultureInfo.InvariantCulture);
                e.MessageKind = KindOf(m, text);
                e.Text = EventEffects.Clip(text.Length == 0 ? Placeholder(e.MessageKind.Value) : text, CommunityEvent.TextMaxLength);
                if (m.TryGetProperty("reply_to_message_id", out var reply) && reply.ValueKind == JsonValueKind.Number)
                    e.ReplyToMessageId = reply.ToString();
                continue;
            }

            // Service messages.
            if (!TryPeer(m, "actor_id", path, errors, out var actor))
                continue;
            var actorName = m.TryGetProperty("actor", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            var action = m.TryGetProperty("action", out var act) && act.ValueKind == JsonValueKind.String ? act.GetString() : null;
            var members = Members(m, path, errors);
            if (members is null)
                continue;
            switch (action)
            {
                case "create_group" or "invite_members":
                    for (var i = 0; i < members.Count; i++)
                    {
                        var e = New(EventKind.MemberJoined, i + 1, names.IdOf(members[i]), members[i]);
                        if (actor is not null && actor != e.UserId)
                        {
                            e.ActorId = actor;
                            e.ActorName = EventEffects.Clip(actorName, CommunityEvent.NameMaxLength);
                        }
                        e.Channel = action == "create_group" ? "create_group" : "invite";
                    }
                    break;
                case "join_group_by_link" or "join_group_by_request":
                    {
                        var e = New(EventKind.MemberJoined, 0, actor ?? names.IdOf(actorName ?? "?"), actorName);
                        e.Channel = action == "join_group_by_link" ? "link" : "request";
                        if (action == "join_group_by_link" && m.TryGetProperty("inviter", out var inviter) && inviter.ValueKind == JsonValueKind.String)
                        {
                            e.ActorId = names.IdOf(inviter.GetString()!);
                            e.ActorName = EventEffects.Clip(inviter.GetString(), CommunityEvent.NameMaxLength);
                        }
                        break;
                    }
                case "remove_members":
                    for (var i = 0; i < members.Count; i++)
                    {
                        var member = names.IdOf(members[i]);
                        var self = member == actor || members[i] == actorName;
                        var e = New(self ? EventKind.MemberLeft : EventKind.MemberRemoved, i + 1, member, members[i]);
                        if (!self)
                        {
                            e.ActorId = actor;
                            e.ActorName = EventEffects.Clip(actorName, CommunityEvent.NameMaxLength);
                        }
                    }
                    break;
            }
        }
        return new ParsedChat(chatId, title, errors.Count == 0 ? events : [], errors);
    }

    private static ParsedChat Fail(string where, string reason) => new(null, null, [], [new ImportError(where, reason)]);

    private static string FirstSentence(string message) => message.Split(" Path:", 2)[0];

    private static string Show(JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? "nothing" : e.GetRawText();

    private static bool TryDate(JsonElement m, string path, TimeZoneInfo zone, List<ImportError> errors, out DateTime at)
    {
        at = default;
        if (m.TryGetProperty("date_unixtime", out var unix))
        {
            if (unix.ValueKind == JsonValueKind.String && long.TryParse(unix.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                || unix.ValueKind == JsonValueKind.Number && unix.TryGetInt64(out seconds))
            {
                at = DateTime.UnixEpoch.AddSeconds(seconds);
                return true;
            }
            errors.Add(new ImportError(path + ".date_unixtime", $"expected a string of Unix seconds, got {Show(unix)}"));
            return false;
        }
        if (m.TryGetProperty("date", out var date) && date.ValueKind == JsonValueKind.String
            && DateTime.TryParseExact(date.GetString(), "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            at = ChatImportOptions.ToUtc(local, zone);
            return true;
        }
        errors.Add(new ImportError(path + ".date", $"expected date_unixtime, or a date like 2025-03-01T10:00:00; got {Show(date)}"));
        return false;
    }

    /// <summary>"user123" → "123"; a bare number (old exports) → itself; "channel…"/"chat…" kept whole. Null when absent.</summary>
    private static bool TryPeer(JsonElement m, string property, string path, List<ImportError> errors, out string? id)
    {
        id = null;
        if (!m.TryGetProperty(property, out var v) || v.ValueKind == JsonValueKind.Null)
            return true;
        if (v.ValueKind == JsonValueKind.Number)
        {
            id = v.GetRawText();
            return true;
        }
        if (v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s)
        {
            id = s.StartsWith("user", StringComparison.Ordinal) && s.Length > 4 && s[4..].All(char.IsAsciiDigit) ? s[4..] : s;
            return true;
        }
        errors.Add(new ImportError($"{path}.{property}", $"expected \"user123\" or a number, got {Show(v)}"));
        return false;
    }

    private static string? Text(JsonElement m, string path, List<ImportError> errors)
    {
        if (!m.TryGetProperty("text", out var text))
            return "";
        switch (text.ValueKind)
        {
            case JsonValueKind.String:
                return text.GetString();
            case JsonValueKind.Array:
                var sb = new StringBuilder();
                var i = 0;
                foreach (var part in text.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.String)
                        sb.Append(part.GetString());
                    else if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var pt) && pt.ValueKind == JsonValueKind.String)
                        sb.Append(pt.GetString());
                    else
                    {
                        errors.Add(new ImportError($"{path}.text[{i}]", "expected a string or an object with \"text\""));
                        return null;
                    }
                    i++;
                }
                return sb.ToString();
            default:
                errors.Add(new ImportError(path + ".text", $"expected a string or an array, got {Show(text)}"));
                return null;
        }
    }

    private static List<string>? Members(JsonElement m, string path, List<ImportError> errors)
    {
        if (!m.TryGetProperty("members", out var members) || members.ValueKind == JsonValueKind.Null)
            return [];
        if (members.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new ImportError(path + ".members", "expected an array of names"));
            return null;
        }
        // Deleted accounts appear as null.
        return members.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : "Deleted Account").ToList();
    }

    private static MessageKind KindOf(JsonElement m, string text)
    {
        var media = m.TryGetProperty("media_type", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
        if (media == "voice_message")
            return MessageKind.Voice;
        if (m.TryGetProperty("photo", out _) || media is "sticker" or "animation")
            return MessageKind.Image;
        if (m.TryGetProperty("file", out _))
            return MessageKind.File;
        if (m.TryGetProperty("text_entities", out var entities) && entities.ValueKind == JsonValueKind.Array
            && entities.EnumerateArray().Any(e => e.TryGetProperty("type", out var et) && et.GetString() is "link" or "text_link"))
            return MessageKind.Link;
        return text.Contains("http://", StringComparison.OrdinalIgnoreCase) || text.Contains("https://", StringComparison.OrdinalIgnoreCase)
            ? MessageKind.Link : MessageKind.Text;
    }

    private static string Placeholder(MessageKind kind) => kind switch
    {
        MessageKind.Image => "[image]",
        MessageKind.Voice => "[voice]",
        MessageKind.File => "[file]",
        _ => "",
    };

    /// <summary>Display name → the one id it goes with in this file (from/from_id, actor/actor_id).</summary>
    private sealed class Names(Dictionary<string, string?> ids)
    {
        public string IdOf(string name) => ids.TryGetValue(name, out var id) && id is not null ? id : "name:" + name;
    }

    private static Names NameIndex(JsonElement messages)
    {
        var ids = new Dictionary<string, string?>(StringComparer.Ordinal);
        void Note(JsonElement m, string nameKey, string idKey)
        {
            if (!m.TryGetProperty(nameKey, out var n) || n.ValueKind != JsonValueKind.String || !m.TryGetProperty(idKey, out var idv))
                return;
            var id = idv.ValueKind == JsonValueKind.Number ? idv.GetRawText()
                : idv.ValueKind == JsonValueKind.String && idv.GetString() is { } s ? (s.StartsWith("user", StringComparison.Ordinal) && s.Length > 4 && s[4..].All(char.IsAsciiDigit) ? s[4..] : s)
                : null;
            if (id is null)
                return;
            var name = n.GetString()!;
            // A name worn by two different ids is ambiguous: it then stands for itself.
            ids[name] = ids.TryGetValue(name, out var known) && known != id ? null : id;
        }
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
                continue;
            Note(m, "from", "from_id");
            Note(m, "actor", "actor_id");
        }
        return new Names(ids);
    }
}
