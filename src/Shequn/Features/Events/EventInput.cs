using System.Text.Json;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Events;

/// <summary>Shequn's own event format (see docs/events.md). Field spellings are the JSON ones.</summary>
public sealed record EventInput(
    string? Platform,
    string? Id,
    string? Kind,
    DateTimeOffset? OccurredAt,
    Guid? CommunityId,
    string? ChatId,
    string? ChatTitle,
    EventPersonInput? User,
    EventPersonInput? Actor,
    string? Channel,
    EventMessageInput? Message,
    string? Title);

public sealed record EventPersonInput(string? Id, string? Name, bool Staff = false);

public sealed record EventMessageInput(string? Id, string? Kind, string? Text, string? ReplyTo);

public static class EventInputs
{
    public const int MaxEventsPerRequest = 1000;

    /// <summary>The largest body of <c>POST /api/events</c>: a full array of events with long texts.</summary>
    public const long MaxRequestBytes = 16 * 1024 * 1024;

    private static readonly JsonNamingPolicy Camel = JsonNamingPolicy.CamelCase;

    public static bool TryParseEnum<T>(string? value, out T result) where T : struct, Enum
    {
        result = default;
        // Names only ("memberJoined"); numbers are not a spelling of ours.
        return value is not null && !value.Any(char.IsDigit) && Enum.TryParse(value, ignoreCase: true, out result) && Enum.IsDefined(result);
    }

    public static string Spellings<T>() where T : struct, Enum => string.Join(", ", Enum.GetNames<T>().Select(Camel.ConvertName));

    /// <summary>Checks one event and, when valid, turns it into a log row for the workspace.</summary>
    public static CommunityEvent? ToLogRow(EventInput input, Guid workspaceId, string prefix, DateTime now, out Validation errors)
    {
        errors = new Validation();
        if (!TryParseEnum<ChatPlatform>(input.Platform, out var platform))
            errors.Add($"{prefix}.platform", "UnknownValue", $"'platform' must be one of {Spellings<ChatPlatform>()}.");
        if (string.IsNullOrWhiteSpace(input.Id))
            errors.Add($"{prefix}.id", "Required", "'id' (the platform's own event id) is required.");
        else
            errors.MaxLength($"{prefix}.id", input.Id, CommunityEvent.IdMaxLength);
        if (!TryParseEnum<EventKind>(input.Kind, out var kind))
            errors.Add($"{prefix}.kind", "UnknownValue", $"'kind' must be one of {Spellings<EventKind>()}.");
        if (input.OccurredAt is not { } at)
            errors.Add($"{prefix}.occurredAt", "Required", "'occurredAt' is required (ISO 8601 with offset).");
        else if (at.UtcDateTime > now.AddDays(1) || at.Year < 2000)
            errors.Add($"{prefix}.occurredAt", "OutOfRange", "'occurredAt' must be after 2000 and not more than a day in the future.");
        if (input.CommunityId is null && string.IsNullOrWhiteSpace(input.ChatId))
            errors.Add($"{prefix}.communityId", "Required", "Either 'communityId' (Shequn's) or 'chatId' (the platform's) is required.");
        errors.MaxLength($"{prefix}.chatId", input.ChatId, CommunityEvent.IdMaxLength);
        errors.MaxLength($"{prefix}.chatTitle", input.ChatTitle, CommunityEvent.NameMaxLength);
        errors.MaxLength($"{prefix}.channel", input.Channel, CommunityEvent.ChannelMaxLength);
        Person(input.User, $"{prefix}.user", errors);
        Person(input.Actor, $"{prefix}.actor", errors);

        var needsUser = kind is EventKind.MemberJoined or EventKind.MemberLeft or EventKind.MemberRemoved
            or EventKind.MessagePosted or EventKind.NicknameChanged;
        if (needsUser && string.IsNullOrWhiteSpace(input.User?.Id) && errors.IsValid)
            errors.Add($"{prefix}.user.id", "Required", $"'user.id' is required for {Camel.ConvertName(kind.ToString())}.");
        if (kind == EventKind.NicknameChanged && string.IsNullOrWhiteSpace(input.User?.Name) && errors.IsValid)
            errors.Add($"{prefix}.user.name", "Required", "'user.name' (the new nickname) is required for nicknameChanged.");
        if (kind == EventKind.CommunityRenamed)
            errors.Required($"{prefix}.title", input.Title, Community.NameMaxLength);
        else
            errors.MaxLength($"{prefix}.title", input.Title, Community.NameMaxLength);

        MessageKind? messageKind = null;
        if (input.Message is { } m)
        {
            if (m.Kind is not null)
            {
                if (TryParseEnum<MessageKind>(m.Kind, out var mk))
                    messageKind = mk;
                else
                    errors.Add($"{prefix}.message.kind", "UnknownValue", $"'message.kind' must be one of {Spellings<MessageKind>()}.");
            }
            errors.MaxLength($"{prefix}.message.id", m.Id, CommunityEvent.IdMaxLength);
            errors.MaxLength($"{prefix}.message.replyTo", m.ReplyTo, CommunityEvent.IdMaxLength);
            errors.MaxLength($"{prefix}.message.text", m.Text, CommunityEvent.TextMaxLength);
        }
        if (kind == EventKind.MessagePosted && input.Message is null)
            errors.Add($"{prefix}.message", "Required", "'message' is required for messagePosted.");
        if (kind == EventKind.MessageDeleted && string.IsNullOrWhiteSpace(input.Message?.Id))
            errors.Add($"{prefix}.message.id", "Required", "'message.id' is required for messageDeleted.");

        if (!errors.IsValid)
            return null;
        return new CommunityEvent
        {
            WorkspaceId = workspaceId,
            Platform = platform,
            PlatformEventId = input.Id!.Trim(),
            Kind = kind,
            OccurredAt = input.OccurredAt!.Value.UtcDateTime,
            CommunityId = input.CommunityId,
            ChatId = string.IsNullOrWhiteSpace(input.ChatId) ? null : input.ChatId.Trim(),
            ChatTitle = input.ChatTitle,
            UserId = input.User?.Id?.Trim(),
            UserName = input.User?.Name,
            FromStaff = input.User?.Staff ?? false,
            ActorId = input.Actor?.Id?.Trim(),
            ActorName = input.Actor?.Name,
            Channel = input.Channel,
            MessageKind = kind == EventKind.MessagePosted ? messageKind ?? MessageKind.Text : messageKind,
            MessageId = input.Message?.Id,
            ReplyToMessageId = input.Message?.ReplyTo,
            Text = kind == EventKind.CommunityRenamed ? input.Title : input.Message?.Text,
        };
    }

    private static void Person(EventPersonInput? p, string field, Validation v)
    {
        if (p is null)
            return;
        v.MaxLength($"{field}.id", p.Id, CommunityEvent.IdMaxLength);
        v.MaxLength($"{field}.name", p.Name, CommunityEvent.NameMaxLength);
    }
}
