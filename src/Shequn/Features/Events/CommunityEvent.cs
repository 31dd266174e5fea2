using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Events;

/// <summary>What happened in a chat group; one vocabulary for every platform.</summary>
public enum EventKind
{
    MemberJoined = 0,
    MemberLeft = 1,
    MemberRemoved = 2,
    MessagePosted = 3,
    MessageDeleted = 4,
    NicknameChanged = 5,
    CommunityCreated = 6,
    CommunityRenamed = 7,
    CommunityDismissed = 8,
    /// <summary>A member may not post until <see cref="CommunityEvent.Text"/> (ISO 8601, UTC; none: until lifted).</summary>
    MemberRestricted = 9,
    /// <summary>A platform's customer relation changed (WeCom change_external_contact); no group, so it takes no effect.</summary>
    ContactChanged = 10,
    /// <summary>A platform callback kept in the log that changes nothing by itself (a group's owner or notice changed, an unknown callback).</summary>
    PlatformNotice = 11,
    /// <summary>A message was edited (Telegram <c>edited_message</c>); text is the new text. No effect on figures.</summary>
    MessageEdited = 12,
    /// <summary>Someone asked to join (Telegram <c>chat_join_request</c>); text is their bio. No effect until approved.</summary>
    JoinRequested = 13,
    /// <summary>
    /// Shequn looked inside a message's image (Features/Enforcement): <see cref="CommunityEvent.MessageId"/> is the
    /// message, <see cref="CommunityEvent.Text"/> what QR codes in it say (one per line; empty: none found). No effect
    /// on figures; the enforcement checks it like a message.
    /// </summary>
    MessageInspected = 14,
}

public enum MessageKind
{
    Text = 0,
    Image = 1,
    Link = 2,
    File = 3,
    MiniProgram = 4,
    RedPacket = 5,
    Voice = 6,
    System = 7,
    Sticker = 8,
    Poll = 9,
    Contact = 10,
    Location = 11,
    Video = 12,
    /// <summary>Content Shequn has no kind for (a dice, a game, a story…): still a message someone posted.</summary>
    Other = 13,
}

/// <summary>
/// One row of the durable event log. Written only by <see cref="EventIngestor"/> (group commit), read in
/// <see cref="Seq"/> order by <see cref="EventProcessor"/>. Never updated, never audited: the log is the audit.
/// (Platform, PlatformEventId) is unique per workspace, which is what makes redelivery harmless.
/// </summary>
public sealed class CommunityEvent
{
    public const int IdMaxLength = 128;
    public const int NameMaxLength = 100;
    public const int ChannelMaxLength = 200;
    public const int TextMaxLength = 8000;

    public long Seq { get; set; }
    public Guid WorkspaceId { get; set; }
    public ChatPlatform Platform { get; set; }
    public required string PlatformEventId { get; set; }
    public EventKind Kind { get; set; }
    public DateTime OccurredAt { get; set; }
    public DateTime ReceivedAt { get; set; }

    /// <summary>Shequn's community, when the sender knows it (Sandbox, the HTTP API).</summary>
    public Guid? CommunityId { get; set; }
    /// <summary>The platform's chat id, when the sender only knows that (connectors, imports).</summary>
    public string? ChatId { get; set; }
    public string? ChatTitle { get; set; }

    /// <summary>The person the event is about (who joined, left, spoke, was renamed).</summary>
    public string? UserId { get; set; }
    public string? UserName { get; set; }
    public bool FromStaff { get; set; }
    /// <summary>Who caused it: the inviter of a join, the remover of a removal.</summary>
    public string? ActorId { get; set; }
    public string? ActorName { get; set; }
    public string? Channel { get; set; }

    public MessageKind? MessageKind { get; set; }
    public string? MessageId { get; set; }
    public string? ReplyToMessageId { get; set; }
    /// <summary>Message text, the new title of a renamed community, or the end of a restriction (ISO 8601).</summary>
    public string? Text { get; set; }

    public const int InviteLinkMaxLength = 500;

    /// <summary>The invite link a joiner used (or a join request came through), so joins are attributed to links.</summary>
    public string? InviteLink { get; set; }
    /// <summary>The forum topic (Telegram <c>message_thread_id</c>) a message was posted in.</summary>
    public string? TopicId { get; set; }
    /// <summary>Set when a message was forwarded: the original sender's name (or "hidden").</summary>
    public string? ForwardedFrom { get; set; }

    public const int MediaIdMaxLength = 200;

    /// <summary>
    /// The picture of an image message, as its platform names it (Telegram's <c>file_id</c>, a Sandbox upload's id), so
    /// that <see cref="Images.ImageInspector"/> can fetch it later through the community's connector.
    /// </summary>
    public string? MediaId { get; set; }

    /// <summary>
    /// Set on what Shequn itself did in the group (the bot's messages, its deletions): the outbound action that did it,
    /// so readers of the log can tell a reaction's automatic message from one staff sent through Shequn.
    /// </summary>
    public Guid? ActionId { get; set; }
}

/// <summary>How far a reader of the log has got; advanced in the same transaction as the reader's effects.</summary>
public sealed class EventCheckpoint
{
    public required string Name { get; set; }
    public long Seq { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>
    /// How many times the log was rewritten under this reader (an erasure scrubbing a member's events). The processor
    /// reads a batch before it locks its checkpoint; a batch read before a rewrite that committed in between is read again.
    /// </summary>
    public long Rewrites { get; set; }

    /// <summary>A reader that works outside the processor's transaction (the image inspector) holds the row by a lease,
    /// so that one app process at a time does its slow work; the processor does not use these.</summary>
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
}

/// <summary>An event the processor passed over (no community it may act on); kept so that nothing is dropped silently.</summary>
public sealed class SkippedEvent
{
    public long Seq { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Reason { get; set; }
    public DateTime At { get; set; } = DateTime.UtcNow;
}

/// <summary>Which community a platform's chat id stands for.</summary>
public sealed class PlatformChat : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public ChatPlatform Platform { get; set; }
    public required string ChatId { get; set; }
    public Guid CommunityId { get; set; }
}

/// <summary>Which member a platform's user id stands for (one member may have several identities).</summary>
public sealed class MemberIdentity : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public ChatPlatform Platform { get; set; }
    public required string UserId { get; set; }
    public Guid MemberId { get; set; }
}

/// <summary>A member's speaking in one community.</summary>
public sealed class MemberActivity : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public Guid MemberId { get; set; }
    public int Messages { get; set; }
    public DateTime FirstSpokeAt { get; set; }
    public DateTime LastSpokeAt { get; set; }
}

/// <summary>
/// Per community per day (China time), kept up to date by the processor. Counts are of processed events:
/// joins, leaves (left or removed), messages posted (all, and those by staff), distinct member speakers,
/// messages deleted.
/// Member counts are not stored: they are derived from memberships when read (see <see cref="DailyFigures"/>).
/// </summary>
public sealed class CommunityDailyFigure : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public DateOnly Day { get; set; }
    public int Joins { get; set; }
    public int Leaves { get; set; }
    public int Messages { get; set; }
    public int StaffMessages { get; set; }
    public int Speakers { get; set; }

    /// <summary>Messages deleted that day (by staff, a rule or the sender), counted on the day of the deletion.</summary>
    public int DeletedMessages { get; set; }
}

/// <summary>Who spoke on a day, so that distinct speakers can be counted as events arrive.</summary>
public sealed class DailySpeaker
{
    public Guid CommunityId { get; set; }
    public DateOnly Day { get; set; }
    public Guid MemberId { get; set; }
}
