using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using System.Text.Json.Serialization;
using Shequn.Data;

namespace Shequn.Features.Outbox;

/// <summary>What Shequn can ask a platform to do in a group.</summary>
public enum ActionKind
{
    Send = 0,
    Reply = 1,
    DeleteMessage = 2,
    Restrict = 3,
    Remove = 4,
    Ban = 5,
    Unban = 6,
    CreateInviteLink = 7,
    RevokeInviteLink = 8,
    ApproveJoin = 9,
    DeclineJoin = 10,
    MassSend = 11,
    /// <summary>Lifts a restriction (a mute): the member may post again.</summary>
    Unrestrict = 12,
    /// <summary>
    /// Makes a one-person invite link to the community's chat and sends it to the member (<see cref="ActionPayload.UserId"/>)
    /// in a private message (<see cref="ActionPayload.Text"/> above the link). Telegram only; a member who cannot be
    /// written to becomes a staff task carrying the link.
    /// </summary>
    SendInvite = 13,
}

public enum ActionStatus
{
    Queued = 0,
    /// <summary>Claimed by a dispatcher (see <see cref="OutboundAction.LeaseUntil"/>); the platform may be being called.</summary>
    Sending = 1,
    Done = 2,
    Failed = 3,
    /// <summary>A non-idempotent call was interrupted: it may or may not have happened. Not resent; staff decide.</summary>
    Uncertain = 4,
    /// <summary>The platform cannot do it: staff do it by hand with <see cref="ActionPayload.TaskText"/>.</summary>
    Task = 5,
    /// <summary>
    /// Withdrawn while still queued, because what caused it no longer holds (a newcomer who left, or fixed their
    /// nickname, before the reminder went out). Never sent; <see cref="OutboundAction.ErrorReason"/> says why.
    /// </summary>
    Cancelled = 6,
}

/// <summary>How staff settled an uncertain action (see <see cref="OutboundAction.Resolution"/>).</summary>
public enum ActionResolution
{
    /// <summary>Staff saw it in the group: the action is done.</summary>
    Arrived = 0,
    /// <summary>Staff had it sent again as a new action (<see cref="OutboundAction.ResendOfId"/> on the new one).</summary>
    SentAgain = 1,
}

/// <summary>Why a platform call failed; an error nobody recognised is transient.</summary>
public enum ErrorCategory
{
    Transient = 0,
    RateLimited = 1,
    Auth = 2,
    Configuration = 3,
    Permanent = 4,
}

/// <summary>A WeChat mini-program card: its title (≤ 64 bytes), appid, page path and cover image (a post image's id).</summary>
public sealed record MiniProgramCard(string Title, string AppId, string Page, Guid CoverImageId);

/// <summary>The details of an action; which fields matter depends on the kind (see <see cref="OutboxInputs"/>).</summary>
public sealed record ActionPayload(
    string? Text = null,
    string? MessageId = null,
    string? UserId = null,
    DateTimeOffset? Until = null,
    string? Name = null,
    string? InviteLink = null,
    int? MemberLimit = null,
    bool? JoinRequest = null)
{
    /// <summary>Ready-to-paste instructions, set when the action became a staff task.</summary>
    public string? TaskText { get; init; }

    /// <summary>
    /// An image (a post's <c>PostImage</c>) sent with <see cref="Text"/>: on Telegram a photo with the text as its caption,
    /// on WeCom an image attachment, in the Sandbox an image message.
    /// </summary>
    public Guid? ImageId { get; init; }

    /// <summary>A WeChat mini-program card (WeCom only), sent as an attachment.</summary>
    public MiniProgramCard? MiniProgram { get; init; }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ActionPayload FromJson(string json) => JsonSerializer.Deserialize<ActionPayload>(json, Json) ?? new ActionPayload();
}

/// <summary>
/// One thing to do in a group, written durably before anything is sent (the outbox): by a staff action through the
/// API, or by a reaction in the same transaction as the event processor's checkpoint. The dispatcher claims due
/// actions with a lease, calls the community's connector and records a final status. See ADR-006.
/// </summary>
public sealed class OutboundAction : IWorkspaceOwned, IAudited
{
    public const int KeyMaxLength = 200;
    public const int ErrorMaxLength = 1000;
    public const int TextMaxLength = 4096;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public ActionKind Kind { get; set; }
    /// <summary><see cref="ActionPayload"/> as JSON.</summary>
    public required string Payload { get; set; }
    public ActionStatus Status { get; set; }
    /// <summary>Calls made to the platform (a rate-limit wait before calling is not an attempt).</summary>
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; } = DateTime.UtcNow;
    /// <summary>Which dispatcher holds the action while <see cref="ActionStatus.Sending"/>, and until when.</summary>
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    /// <summary>The platform's ids of what was made (a message id, an invite link), on success.</summary>
    public string? PlatformIds { get; set; }
    public ErrorCategory? ErrorCategory { get; set; }
    /// <summary>The platform's own words for the last failure (or Shequn's, in English).</summary>
    public string? Error { get; set; }
    /// <summary>When the words are Shequn's own: the reason the console translates (<see cref="ActionError"/>).</summary>
    public string? ErrorReason { get; set; }
    /// <summary>The log event whose reaction this is, or null.</summary>
    public long? CausedByEventSeq { get; set; }
    /// <summary>The staff member who asked for it, or null.</summary>
    public Guid? CausedByStaffId { get; set; }
    /// <summary>Unique per workspace: asking twice with the same key makes one action.</summary>
    public required string IdempotencyKey { get; set; }
    /// <summary>How staff settled it when it was uncertain, by whom and when; null while nobody has.</summary>
    public ActionResolution? Resolution { get; set; }
    public Guid? ResolvedByStaffId { get; set; }
    public DateTime? ResolvedAt { get; set; }
    /// <summary>The uncertain action this one sends again, or null.</summary>
    public Guid? ResendOfId { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? CompletedAt { get; set; }

    /// <summary>Doing it twice has the same effect as once, so an interrupted call may simply be made again.</summary>
    public static bool IsIdempotent(ActionKind kind) =>
        kind is ActionKind.DeleteMessage or ActionKind.Restrict or ActionKind.Remove or ActionKind.Ban or ActionKind.Unban or ActionKind.Unrestrict
            or ActionKind.RevokeInviteLink or ActionKind.ApproveJoin or ActionKind.DeclineJoin;

    /// <summary>Failed, or uncertain with no decision yet: staff should look at it.</summary>
    public static readonly System.Linq.Expressions.Expression<Func<OutboundAction, bool>> NeedsAttention =
        a => (a.Status == ActionStatus.Failed || a.Status == ActionStatus.Uncertain) && a.Resolution == null;

    /// <summary>Puts a message in the group, so the per-chat message limits apply.</summary>
    public static bool PostsMessage(ActionKind kind) => kind is ActionKind.Send or ActionKind.Reply or ActionKind.MassSend;

    public static OutboundAction Create(Guid workspaceId, Guid communityId, ActionKind kind, ActionPayload payload, string idempotencyKey) => new()
    {
        WorkspaceId = workspaceId,
        CommunityId = communityId,
        Kind = kind,
        Payload = payload.ToJson(),
        Status = ActionStatus.Queued,
        IdempotencyKey = idempotencyKey,
    };
}

internal sealed class OutboundActionConfiguration : IEntityTypeConfiguration<OutboundAction>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<OutboundAction> b)
    {
        b.ToTable("OutboundActions");
        b.HasKey(a => a.Id);
        b.Property(a => a.Payload).HasMaxLength(16000);
        b.Property(a => a.LeaseOwner).HasMaxLength(100);
        b.Property(a => a.PlatformIds).HasMaxLength(1000);
        b.Property(a => a.Error).HasMaxLength(OutboundAction.ErrorMaxLength);
        b.Property(a => a.ErrorReason).HasMaxLength(OutboundAction.ErrorMaxLength);
        b.Property(a => a.IdempotencyKey).HasMaxLength(OutboundAction.KeyMaxLength);
        b.HasIndex(a => new { a.WorkspaceId, a.IdempotencyKey }).IsUnique();
        // What the dispatcher asks: due queued actions, and sending ones whose lease ran out.
        b.HasIndex(a => new { a.Status, a.NextAttemptAt });
        b.HasIndex(a => new { a.CommunityId, a.CreatedAt });
        b.HasIndex(a => new { a.WorkspaceId, a.Status, a.CreatedAt });
        // Every write moves UpdatedAt (the dispatcher's too), so two staff decisions on one action cannot both win.
        b.Property(a => a.UpdatedAt).IsConcurrencyToken();
        b.HasOne<Communities.Community>().WithMany().HasForeignKey(a => a.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}
