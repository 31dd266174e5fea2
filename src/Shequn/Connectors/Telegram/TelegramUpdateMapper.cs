using System.Globalization;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Shequn.Connectors.Telegram;

/// <summary>The bot's own status changed in a chat (<c>my_chat_member</c>): added, promoted, removed.</summary>
public sealed record TelegramBotStatusChange(long ChatId, string Title, string Type, string Status, long? ById, string? ByName, DateTime At);

/// <summary>A basic group became a supergroup with a new id (<c>migrate_to_chat_id</c> / <c>migrate_from_chat_id</c>).</summary>
public sealed record TelegramMigration(long FromChatId, long ToChatId);

/// <summary>What one update means: events for the log, and facts about chats the connector keeps itself.</summary>
public sealed class TelegramMapped
{
    public List<CommunityEvent> Events { get; } = [];
    public TelegramBotStatusChange? BotStatus { get; set; }
    public TelegramMigration? Migration { get; set; }
    /// <summary>The group the update is about (for groups the connector has not seen yet).</summary>
    public Chat? Chat { get; set; }
    /// <summary>Set when Shequn has no meaning for the update: it is kept raw and skipped.</summary>
    public string? Unknown { get; set; }
}

/// <summary>
/// Turns a Telegram <see cref="Update"/> into Shequn events (docs/events.md, "Telegram"). Pure: no database, no clock.
/// Event ids come from the chat and the message (or user and time), never from <c>update_id</c> alone, so a replayed
/// update, or a join seen both as a service message and as a <c>chat_member</c> change, is stored once.
/// </summary>
public static class TelegramUpdateMapper
{
    /// <summary>Message types that are something a person said or shared (the rest are service messages).</summary>
    private static readonly HashSet<MessageType> Content =
    [
        MessageType.Text, MessageType.Photo, MessageType.Audio, MessageType.Video, MessageType.Voice, MessageType.Document,
        MessageType.Sticker, MessageType.Location, MessageType.Contact, MessageType.Venue, MessageType.Game, MessageType.VideoNote,
        MessageType.Poll, MessageType.Dice, MessageType.Animation, MessageType.Story, MessageType.PaidMedia, MessageType.Checklist,
        MessageType.Giveaway, MessageType.LivePhoto, MessageType.RichMessage,
    ];

    /// <summary>Service messages that are understood and deliberately have no effect.</summary>
    private static readonly HashSet<MessageType> QuietService =
    [
        MessageType.GroupChatCreated, MessageType.SupergroupChatCreated, MessageType.PinnedMessage, MessageType.NewChatPhoto,
        MessageType.DeleteChatPhoto, MessageType.ForumTopicCreated, MessageType.ForumTopicClosed, MessageType.ForumTopicReopened,
        MessageType.ForumTopicEdited, MessageType.GeneralForumTopicHidden, MessageType.GeneralForumTopicUnhidden,
        MessageType.MessageAutoDeleteTimerChanged, MessageType.VideoChatScheduled, MessageType.VideoChatStarted,
        MessageType.VideoChatEnded, MessageType.VideoChatParticipantsInvited, MessageType.ChatBackgroundSet, MessageType.BoostAdded,
    ];

    public static TelegramMapped Map(Update update, long botUserId, Guid workspaceId)
    {
        var mapped = new TelegramMapped();
        switch (update.Type)
        {
            case UpdateType.Message:
                MapMessage(update.Message!, botUserId, workspaceId, edited: false, mapped);
                break;
            case UpdateType.EditedMessage:
                MapMessage(update.EditedMessage!, botUserId, workspaceId, edited: true, mapped);
                break;
            case UpdateType.ChatMember:
                MapMemberChange(update.ChatMember!, botUserId, workspaceId, mapped);
                break;
            case UpdateType.MyChatMember:
                var my = update.MyChatMember!;
                mapped.BotStatus = new TelegramBotStatusChange(my.Chat.Id, TitleOf(my.Chat), Spell(my.Chat.Type), Spell(my.NewChatMember.Status),
                    my.From?.Id, NameOf(my.From), my.Date);
                break;
            case UpdateType.ChatJoinRequest:
                var request = update.ChatJoinRequest!;
                mapped.Chat = request.Chat;
                var e = New(workspaceId, request.Chat, $"{request.From.Id}:request:{Unix(request.Date)}", EventKind.JoinRequested, request.Date);
                Person(e, request.From);
                e.InviteLink = Clip(request.InviteLink?.InviteLink, CommunityEvent.InviteLinkMaxLength);
                e.Channel = Clip(request.InviteLink?.Name, CommunityEvent.ChannelMaxLength);
                e.Text = Clip(request.Bio, CommunityEvent.TextMaxLength);
                mapped.Events.Add(e);
                break;
            default:
                mapped.Unknown = $"update type {update.Type}";
                break;
        }
        return mapped;
    }

    private static void MapMessage(Message m, long botUserId, Guid ws, bool edited, TelegramMapped mapped)
    {
        if (m.Chat.Type is not (ChatType.Group or ChatType.Supergroup))
        {
            mapped.Unknown = $"message in a {Spell(m.Chat.Type)} chat";
            return;
        }
        mapped.Chat = m.Chat;
        var type = m.Type;
        if (Content.Contains(type))
        {
            var e = New(ws, m.Chat, edited ? $"{m.Id}:edit:{Unix(m.EditDate ?? m.Date)}" : m.Id.ToString(CultureInfo.InvariantCulture),
                edited ? EventKind.MessageEdited : EventKind.MessagePosted, edited ? m.EditDate ?? m.Date : m.Date);
            if (m.SenderChat is { } sender)
            {
                // Posted on behalf of a chat: the group itself (an anonymous admin, so staff) or a channel.
                e.UserId = sender.Id.ToString(CultureInfo.InvariantCulture);
                e.UserName = Clip(TitleOf(sender), CommunityEvent.NameMaxLength);
                e.FromStaff = sender.Id == m.Chat.Id;
            }
            else if (m.From is { } from)
            {
                Person(e, from);
                e.FromStaff = from.Id == botUserId;
            }
            e.MessageKind = KindOf(type);
            e.MessageId = m.Id.ToString(CultureInfo.InvariantCulture);
            e.Text = Clip(TextOf(m), CommunityEvent.TextMaxLength);
            e.MediaId = Clip(ImageOf(m), CommunityEvent.MediaIdMaxLength);
            if (m.IsTopicMessage && m.MessageThreadId is { } thread)
                e.TopicId = thread.ToString(CultureInfo.InvariantCulture);
            // In a forum topic every message "replies" to the topic's first message; that is not a reply.
            if (m.ReplyToMessage is { } reply && !(m.IsTopicMessage && reply.Id == m.MessageThreadId))
                e.ReplyToMessageId = reply.Id.ToString(CultureInfo.InvariantCulture);
            if (m.ForwardOrigin is { } origin)
                e.ForwardedFrom = Clip(OriginName(origin), CommunityEvent.NameMaxLength);
            mapped.Events.Add(e);
            return;
        }
        if (edited)
        {
            mapped.Unknown = $"edited {type} message";
            return;
        }
        switch (type)
        {
            case MessageType.NewChatMembers:
                foreach (var user in m.NewChatMembers!.Where(u => u.Id != botUserId))
                {
                    var join = New(ws, m.Chat, JoinId(user.Id, m.Date), EventKind.MemberJoined, m.Date);
                    Person(join, user);
                    if (m.From is { } inviter && inviter.Id != user.Id)
                        Actor(join, inviter);
                    mapped.Events.Add(join);
                }
                break;
            case MessageType.LeftChatMember when m.LeftChatMember!.Id != botUserId:
                var left = m.LeftChatMember!;
                var self = m.From is null || m.From.Id == left.Id;
                var leave = New(ws, m.Chat, LeaveId(left.Id, m.Date), self ? EventKind.MemberLeft : EventKind.MemberRemoved, m.Date);
                Person(leave, left);
                if (!self)
                    Actor(leave, m.From!);
                mapped.Events.Add(leave);
                break;
            case MessageType.LeftChatMember:
                break; // the bot itself: my_chat_member says so too
            case MessageType.NewChatTitle:
                var renamed = New(ws, m.Chat, m.Id.ToString(CultureInfo.InvariantCulture), EventKind.CommunityRenamed, m.Date);
                renamed.Text = Clip(m.NewChatTitle, Shequn.Features.Communities.Community.NameMaxLength);
                mapped.Events.Add(renamed);
                break;
            case MessageType.MigrateToChatId:
                mapped.Migration = new TelegramMigration(m.Chat.Id, m.MigrateToChatId!.Value);
                mapped.Chat = null; // the group lives on under the new id
                break;
            case MessageType.MigrateFromChatId:
                mapped.Migration = new TelegramMigration(m.MigrateFromChatId!.Value, m.Chat.Id);
                mapped.Chat = null;
                break;
            default:
                if (!QuietService.Contains(type))
                    mapped.Unknown = $"message type {type}";
                break;
        }
    }

    private static void MapMemberChange(ChatMemberUpdated change, long botUserId, Guid ws, TelegramMapped mapped)
    {
        mapped.Chat = change.Chat;
        var user = change.NewChatMember.User;
        if (user.Id == botUserId)
            return; // the bot's own status arrives as my_chat_member
        var wasIn = change.OldChatMember.IsInChat;
        var isIn = change.NewChatMember.IsInChat;
        if (!wasIn && isIn)
        {
            var join = New(ws, change.Chat, JoinId(user.Id, change.Date), EventKind.MemberJoined, change.Date);
            Person(join, user);
            if (change.From is { } by && by.Id != user.Id && change.InviteLink is null)
                Actor(join, by);
            if (change.InviteLink is { } link)
            {
                join.InviteLink = Clip(link.InviteLink, CommunityEvent.InviteLinkMaxLength);
                join.Channel = Clip(link.Name ?? link.InviteLink, CommunityEvent.ChannelMaxLength);
                if (link.Creator is { } creator && creator.Id != botUserId)
                    Actor(join, creator);
            }
            mapped.Events.Add(join);
        }
        else if (wasIn && !isIn)
        {
            var self = change.From is null || change.From.Id == user.Id;
            var leave = New(ws, change.Chat, LeaveId(user.Id, change.Date), self ? EventKind.MemberLeft : EventKind.MemberRemoved, change.Date);
            Person(leave, user);
            if (!self)
            {
                Actor(leave, change.From!);
                leave.FromStaff = false;
            }
            mapped.Events.Add(leave);
        }
        // Promotions, restrictions and the like change no membership.
    }

    private static string JoinId(long userId, DateTime at) => $"{userId}:join:{Unix(at)}";

    private static string LeaveId(long userId, DateTime at) => $"{userId}:leave:{Unix(at)}";

    private static CommunityEvent New(Guid ws, Chat chat, string localId, EventKind kind, DateTime at) => new()
    {
        WorkspaceId = ws,
        Platform = ChatPlatform.Telegram,
        // Unique per workspace and platform: chat ids are unique across Telegram.
        PlatformEventId = $"tg:{chat.Id.ToString(CultureInfo.InvariantCulture)}:{localId}",
        Kind = kind,
        OccurredAt = DateTime.SpecifyKind(at, DateTimeKind.Utc),
        ChatId = chat.Id.ToString(CultureInfo.InvariantCulture),
        ChatTitle = Clip(TitleOf(chat), CommunityEvent.NameMaxLength),
    };

    private static void Person(CommunityEvent e, User user)
    {
        e.UserId = user.Id.ToString(CultureInfo.InvariantCulture);
        e.UserName = Clip(NameOf(user), CommunityEvent.NameMaxLength);
    }

    private static void Actor(CommunityEvent e, User user)
    {
        e.ActorId = user.Id.ToString(CultureInfo.InvariantCulture);
        e.ActorName = Clip(NameOf(user), CommunityEvent.NameMaxLength);
    }

    public static MessageKind KindOf(MessageType type) => type switch
    {
        MessageType.Text => MessageKind.Text,
        MessageType.Photo or MessageType.Animation or MessageType.LivePhoto => MessageKind.Image,
        MessageType.Voice or MessageType.Audio or MessageType.VideoNote => MessageKind.Voice,
        MessageType.Document => MessageKind.File,
        MessageType.Sticker => MessageKind.Sticker,
        MessageType.Poll => MessageKind.Poll,
        MessageType.Contact => MessageKind.Contact,
        MessageType.Location or MessageType.Venue => MessageKind.Location,
        MessageType.Video => MessageKind.Video,
        _ => MessageKind.Other,
    };

    private static string? TextOf(Message m) => m.Text ?? m.Caption ?? m.Type switch
    {
        MessageType.Poll => m.Poll!.Question,
        MessageType.Contact => string.Join(' ', new[] { m.Contact!.FirstName, m.Contact.LastName, m.Contact.PhoneNumber }.Where(s => !string.IsNullOrEmpty(s))),
        MessageType.Location => string.Create(CultureInfo.InvariantCulture, $"{m.Location!.Latitude:0.######},{m.Location.Longitude:0.######}"),
        MessageType.Venue => m.Venue!.Title,
        MessageType.Sticker => m.Sticker!.Emoji,
        MessageType.Document => m.Document!.FileName,
        _ => null,
    };

    /// <summary>The picture to look into (for QR codes): a photo's largest size, or a document that is an image.</summary>
    private static string? ImageOf(Message m) => m.Type switch
    {
        MessageType.Photo => m.Photo!.MaxBy(p => (long)p.Width * p.Height)?.FileId,
        MessageType.Document when m.Document!.MimeType?.StartsWith("image/", StringComparison.OrdinalIgnoreCase) == true => m.Document.FileId,
        _ => null,
    };

    private static string OriginName(MessageOrigin origin) => origin switch
    {
        MessageOriginUser u => NameOf(u.SenderUser) ?? "user",
        MessageOriginHiddenUser h => h.SenderUserName,
        MessageOriginChat c => TitleOf(c.SenderChat),
        MessageOriginChannel ch => TitleOf(ch.Chat),
        _ => "forwarded",
    };

    public static string? NameOf(User? user) =>
        user is null ? null : string.IsNullOrEmpty(user.LastName) ? user.FirstName : $"{user.FirstName} {user.LastName}";

    private static string TitleOf(Chat chat) => chat.Title ?? chat.Username ?? chat.Id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Enum values as the Bot API spells them (<c>administrator</c>, <c>supergroup</c>).</summary>
    public static string Spell<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static long Unix(DateTime at) => (long)(DateTime.SpecifyKind(at, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalSeconds;

    private static string? Clip(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
