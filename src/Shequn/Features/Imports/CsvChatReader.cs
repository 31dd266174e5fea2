using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Shequn.Features.Communities;
using Shequn.Features.Events;

namespace Shequn.Features.Imports;

/// <summary>
/// Reads Shequn's chat CSV (docs/import.md), for exports from tools without an API (personal WeChat, QQ): UTF-8,
/// comma-separated, RFC 4180 quoting (fields may hold commas, quotes as "" and line breaks), a header row naming
/// the columns in any order. Required: time, event, user_id. Optional: event_id, user_name, text, kind, reply_to,
/// actor_id, actor_name, channel, staff. Without event_id, a row's id is derived from its content (and its
/// occurrence among identical rows), so importing the same file again adds nothing.
/// </summary>
public static class CsvChatReader
{
    public static readonly string[] Columns =
        ["event_id", "time", "event", "user_id", "user_name", "text", "kind", "reply_to", "actor_id", "actor_name", "channel", "staff"];

    private static readonly Dictionary<string, EventKind> Events = new(StringComparer.OrdinalIgnoreCase)
    {
        ["joined"] = EventKind.MemberJoined, ["left"] = EventKind.MemberLeft, ["removed"] = EventKind.MemberRemoved,
        ["message"] = EventKind.MessagePosted, ["nickname"] = EventKind.NicknameChanged, ["deleted"] = EventKind.MessageDeleted,
    };

    private static readonly string[] LocalFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss"];

    public static ParsedChat Read(Stream csv, ChatImportOptions options)
    {
        using var reader = new StreamReader(csv, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        string content;
        try
        {
            content = reader.ReadToEnd();
        }
        catch (DecoderFallbackException)
        {
            return new ParsedChat(null, null, [], [new ImportError("file", "not UTF-8 text (save the CSV as UTF-8)")]);
        }

        var errors = new List<ImportError>();
        var records = Records(content, errors);
        if (errors.Count > 0)
            return new ParsedChat(null, null, [], errors);
        if (records.Count == 0)
            return new ParsedChat(null, null, [], [new ImportError("line 1", "the header row is missing")]);

        var (headerLine, header) = records[0];
        var column = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim();
            if (!Columns.Contains(name, StringComparer.OrdinalIgnoreCase))
                errors.Add(new ImportError($"line {headerLine}, column {i + 1}", $"unknown column \"{name}\" (known: {string.Join(", ", Columns)})"));
            else if (!column.TryAdd(name, i))
                errors.Add(new ImportError($"line {headerLine}, column {i + 1}", $"column \"{name}\" appears twice"));
        }
        foreach (var required in new[] { "time", "event", "user_id" }.Where(r => !column.ContainsKey(r)))
            errors.Add(new ImportError($"line {headerLine}", $"the required column \"{required}\" is missing"));
        if (errors.Count > 0)
            return new ParsedChat(null, null, [], errors);

        var events = new List<CommunityEvent>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, fields) in records.Skip(1))
        {
            if (errors.Count >= ChatImportOptions.MaxErrors)
                break;
            if (fields.Count == 1 && fields[0].Length == 0)
                continue; // blank line
            if (fields.Count != header.Count)
            {
                errors.Add(new ImportError($"line {line}", $"{fields.Count} fields, the header has {header.Count}"));
                continue;
            }
            string? Get(string name) => column.TryGetValue(name, out var i) && fields[i].Trim() is { Length: > 0 } v ? v : null;
            void Error(string name, string reason) => errors.Add(new ImportError($"line {line}, column {name}", reason));

            var time = Get("time");
            if (!TryTime(time, options.LocalZone, out var at))
            {
                Error("time", $"expected ISO 8601 (2025-03-01T10:00:00+08:00) or \"2025-03-01 10:00:00\", got \"{time}\"");
                continue;
            }
            if (Get("event") is not { } eventName || !Events.TryGetValue(eventName, out var kind))
            {
                Error("event", $"expected one of {string.Join(", ", Events.Keys)}, got \"{Get("event")}\"");
                continue;
            }
            if (Get("user_id") is not { } userId)
            {
                Error("user_id", "required");
                continue;
            }
            MessageKind? messageKind = null;
            if (Get("kind") is { } k)
            {
                if (EventInputs.TryParseEnum<MessageKind>(k, out var mk))
                    messageKind = mk;
                else
                {
                    Error("kind", $"expected one of {EventInputs.Spellings<MessageKind>()}, got \"{k}\"");
                    continue;
                }
            }
            var staff = false;
            if (Get("staff") is { } s)
            {
                if (s.ToLowerInvariant() is "true" or "1" or "yes" or "是")
                    staff = true;
                else if (s.ToLowerInvariant() is not ("false" or "0" or "no" or "否"))
                {
                    Error("staff", $"expected true or false, got \"{s}\"");
                    continue;
                }
            }
            var tooLong = new (string Name, int Max)[]
            {
                ("event_id", CommunityEvent.IdMaxLength), ("user_id", CommunityEvent.IdMaxLength), ("user_name", CommunityEvent.NameMaxLength),
                ("text", CommunityEvent.TextMaxLength), ("reply_to", CommunityEvent.IdMaxLength), ("actor_id", CommunityEvent.IdMaxLength),
                ("actor_name", CommunityEvent.NameMaxLength), ("channel", CommunityEvent.ChannelMaxLength),
            }.FirstOrDefault(c => Get(c.Name) is { } v && v.Length > c.Max);
            if (tooLong.Name is not null)
            {
                Error(tooLong.Name, $"at most {tooLong.Max} characters");
                continue;
            }
            if (kind == EventKind.NicknameChanged && Get("user_name") is null)
            {
                Error("user_name", "the new nickname is required for a nickname event");
                continue;
            }

            var id = Get("event_id");
            if (id is null)
            {
                var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{at:O}|{kind}|{userId}|{Get("text")}")))[..20];
                var n = seen[digest] = seen.GetValueOrDefault(digest) + 1;
                id = $"csv:{digest}:{n}";
            }
            events.Add(new CommunityEvent
            {
                WorkspaceId = options.WorkspaceId,
                Platform = ChatPlatform.Manual,
                PlatformEventId = id,
                Kind = kind,
                OccurredAt = at,
                CommunityId = options.CommunityId,
                UserId = userId,
                UserName = Get("user_name"),
                FromStaff = staff,
                ActorId = Get("actor_id"),
                ActorName = Get("actor_name"),
                Channel = Get("channel"),
                MessageKind = kind == EventKind.MessagePosted ? messageKind ?? MessageKind.Text : messageKind,
                MessageId = kind == EventKind.MessagePosted ? id : null,
                ReplyToMessageId = Get("reply_to"),
                Text = Get("text"),
            });
        }
        return new ParsedChat(null, null, errors.Count == 0 ? events : [], errors);
    }

    private static bool TryTime(string? value, TimeZoneInfo zone, out DateTime utc)
    {
        utc = default;
        if (value is null)
            return false;
        if (DateTime.TryParseExact(value, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            utc = ChatImportOptions.ToUtc(local, zone);
            return true;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset)
            && (value.EndsWith('Z') || value.Contains('+', StringComparison.Ordinal) || value.LastIndexOf('-') > 9))
        {
            utc = withOffset.UtcDateTime;
            return true;
        }
        return false;
    }

    /// <summary>RFC 4180 records with the line each starts on.</summary>
    private static List<(int Line, List<string> Fields)> Records(string s, List<ImportError> errors)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var start = 1;
        var i = 0;
        var quoted = false;
        while (i < s.Length)
        {
            var c = s[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < s.Length && s[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }
                    quoted = false;
                    i++;
                    if (i < s.Length && s[i] is not (',' or '\r' or '\n'))
                    {
                        errors.Add(new ImportError($"line {line}", "a closing quote must end the field"));
                        return records;
                    }
                    continue;
                }
                if (c == '\n')
                    line++;
                field.Append(c);
                i++;
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    i++;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    i++;
                    break;
                case '\r' or '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add((start, fields));
                    fields = [];
                    i += c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1;
                    line++;
                    start = line;
                    break;
                default:
                    field.Append(c);
                    i++;
                    break;
            }
        }
        if (quoted)
        {
            errors.Add(new ImportError($"line {start}", "a quoted field is not closed before the end of the file"));
            return records;
        }
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add((start, fields));
        }
        return records;
    }
}
