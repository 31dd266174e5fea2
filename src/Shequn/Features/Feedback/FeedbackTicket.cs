using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;

namespace Shequn.Features.Feedback;

public enum FeedbackStatus
{
    New = 0,
    InProgress = 1,
    Resolved = 2,
    WontFix = 3,
}

public enum FeedbackSource
{
    /// <summary>Recognised in a member's message by <see cref="FeedbackReaction"/>.</summary>
    Detected = 0,
    /// <summary>Entered by staff (quoting a logged message or in their own words).</summary>
    Staff = 1,
}

/// <summary>
/// A member's complaint or suggestion (工单) routed to a department and an owner, with its status. A detected ticket is
/// written by <see cref="FeedbackReaction"/> inside the event processor's transaction, one per message (the
/// workspace's detected tickets are unique by <see cref="EventSeq"/>); staff create, route and close them through
/// <see cref="FeedbackDesk"/>, audited. An answer to the member is an outbound action (<see cref="AnswerActionId"/>).
/// </summary>
public sealed class FeedbackTicket : IWorkspaceOwned, IAudited
{
    public const int TextMaxLength = 1000;
    public const int NoteMaxLength = 1000;
    public const int DepartmentMaxLength = 40;
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    /// <summary>The member it is about, when known (a staff ticket in free text may name nobody).</summary>
    public Guid? MemberId { get; set; }
    public FeedbackKind Kind { get; set; }
    public FeedbackSource Source { get; set; }
    /// <summary>The quoted message (or the staff's words), at most <see cref="TextMaxLength"/> characters.</summary>
    public required string Text { get; set; }
    /// <summary>The quoted message's log event and platform message id (what an answer replies to).</summary>
    public long? EventSeq { get; set; }
    public string? MessageId { get; set; }
    /// <summary>The author's platform name as the message carried it.</summary>
    public string? UserName { get; set; }
    /// <summary>What the detector matched (a word or the text a pattern matched); null for staff tickets.</summary>
    public string? Signal { get; set; }
    /// <summary>A department key of the workspace's <see cref="FeedbackRules"/>.</summary>
    public required string Department { get; set; }
    public Guid? AssignedStaffId { get; set; }
    public FeedbackStatus Status { get; set; }
    public string? ResolutionNote { get; set; }
    /// <summary>What was said to the member, and the action that says it (key <c>feedback:{id}:answer</c>).</summary>
    public string? AnswerText { get; set; }
    public Guid? AnswerActionId { get; set; }
    public Guid? CreatedById { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>Moves with every staff change: two people changing one ticket at once cannot both win.</summary>
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? ClosedAt { get; set; }

    public bool IsOpen => Status is FeedbackStatus.New or FeedbackStatus.InProgress;

    /// <summary>A ticket's text as the console quotes it; an empty one was cleared by the retention policy and says so.</summary>
    public static string Quoted(string text, Microsoft.Extensions.Localization.IStringLocalizer l) =>
        text.Length > 0 ? $"「{text}」" : l["Feedback.TextCleared"];

    /// <summary>
    /// The moves staff may make: new → in progress, resolved or won't fix; in progress → resolved or won't fix; a closed
    /// ticket may be reopened (→ in progress). Nothing goes back to new, and a closed ticket is not closed again.
    /// </summary>
    public static bool MayMove(FeedbackStatus from, FeedbackStatus to) => (from, to) switch
    {
        (FeedbackStatus.New, FeedbackStatus.InProgress or FeedbackStatus.Resolved or FeedbackStatus.WontFix) => true,
        (FeedbackStatus.InProgress, FeedbackStatus.Resolved or FeedbackStatus.WontFix) => true,
        (FeedbackStatus.Resolved or FeedbackStatus.WontFix, FeedbackStatus.InProgress) => true,
        _ => false,
    };
}

internal sealed class FeedbackTicketConfiguration : IEntityTypeConfiguration<FeedbackTicket>
{
    public void Configure(EntityTypeBuilder<FeedbackTicket> b)
    {
        b.ToTable("FeedbackTickets");
        b.HasKey(t => t.Id);
        b.Property(t => t.Text).HasMaxLength(FeedbackTicket.TextMaxLength);
        b.Property(t => t.MessageId).HasMaxLength(128);
        b.Property(t => t.UserName).HasMaxLength(FeedbackTicket.NameMaxLength);
        b.Property(t => t.Signal).HasMaxLength(200);
        b.Property(t => t.Department).HasMaxLength(FeedbackTicket.DepartmentMaxLength);
        b.Property(t => t.ResolutionNote).HasMaxLength(FeedbackTicket.NoteMaxLength);
        b.Property(t => t.AnswerText).HasMaxLength(Outbox.OutboundAction.TextMaxLength);
        b.Property(t => t.UpdatedAt).IsConcurrencyToken();
        // One detected ticket per message, so a replayed batch adds nothing; staff may still quote that message again.
        b.HasIndex(t => new { t.WorkspaceId, t.EventSeq }).IsUnique().HasFilter("\"Source\" = 0");
        b.HasIndex(t => new { t.WorkspaceId, t.Status, t.CreatedAt });
        b.HasIndex(t => new { t.CommunityId, t.CreatedAt });
        b.HasIndex(t => t.MemberId);
        b.HasOne<Community>().WithMany().HasForeignKey(t => t.CommunityId).OnDelete(DeleteBehavior.Cascade);
        // An erased member's tickets (they quote the member) go with them.
        b.HasOne<Member>().WithMany().HasForeignKey(t => t.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}
