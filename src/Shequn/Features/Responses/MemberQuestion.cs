using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Responses;

/// <summary>Who gave a question its first answer.</summary>
public enum AnswererKind
{
    /// <summary>A staff member: a message marked <c>FromStaff</c>, or one staff sent through Shequn (named by them).</summary>
    Staff = 0,
    /// <summary>A member whose layer is KOC.</summary>
    Koc = 1,
    /// <summary>Shequn on its own (an auto-reply): answers only the question it replies to.</summary>
    Bot = 2,
}

/// <summary>
/// A question a member asked in a group (recognised by <see cref="QuestionDetector"/>), and its first answer by staff
/// or a KOC: a reply to it, or else the first staff/KOC message in the same group within the window after it (the
/// oldest waiting question is answered first). Written only by <see cref="ResponseTracker"/> inside the event
/// processor's transaction (one row per message event: <see cref="EventSeq"/> is unique), so crashes and two app
/// processes neither lose nor double a question or its answer. Staff may dismiss one that is not a question.
/// </summary>
public sealed class MemberQuestion : IWorkspaceOwned, IAudited
{
    public const int TextMaxLength = 500;
    public const int IdMaxLength = 128;
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public Guid MemberId { get; set; }
    public ChatPlatform Platform { get; set; }
    /// <summary>The asker's platform user id and name as the message carried them.</summary>
    public required string UserId { get; set; }
    public string? UserName { get; set; }

    /// <summary>The log event of the question (unique: one question per message).</summary>
    public long EventSeq { get; set; }
    public string? MessageId { get; set; }
    /// <summary>The start of the question's text (at most <see cref="TextMaxLength"/> characters).</summary>
    public required string Text { get; set; }
    public DateTime AskedAt { get; set; }

    public DateTime? AnsweredAt { get; set; }
    /// <summary>Seconds from the question to its first answer.</summary>
    public int? AnswerSeconds { get; set; }
    public long? AnsweredBySeq { get; set; }
    public AnswererKind? AnsweredByKind { get; set; }
    /// <summary>The answerer's platform user id (staff are counted by it) and name.</summary>
    public string? AnsweredByUserId { get; set; }
    public string? AnsweredByName { get; set; }
    /// <summary>The KOC member who answered.</summary>
    public Guid? AnsweredByMemberId { get; set; }
    /// <summary>True when the answer replied to the question; false when it came within the window.</summary>
    public bool AnsweredByReply { get; set; }

    /// <summary>Staff said this is not a question: out of the queue and of the figures.</summary>
    public DateTime? DismissedAt { get; set; }
    public Guid? DismissedById { get; set; }

    public bool IsWaiting => AnsweredAt is null && DismissedAt is null;
}

internal sealed class MemberQuestionConfiguration : IEntityTypeConfiguration<MemberQuestion>
{
    public void Configure(EntityTypeBuilder<MemberQuestion> b)
    {
        b.ToTable("MemberQuestions");
        b.HasKey(q => q.Id);
        b.Property(q => q.UserId).HasMaxLength(MemberQuestion.IdMaxLength);
        b.Property(q => q.UserName).HasMaxLength(MemberQuestion.NameMaxLength);
        b.Property(q => q.MessageId).HasMaxLength(MemberQuestion.IdMaxLength);
        b.Property(q => q.Text).HasMaxLength(MemberQuestion.TextMaxLength);
        b.Property(q => q.AnsweredByUserId).HasMaxLength(MemberQuestion.IdMaxLength);
        b.Property(q => q.AnsweredByName).HasMaxLength(MemberQuestion.NameMaxLength);
        b.HasIndex(q => q.EventSeq).IsUnique();
        // The tracker's lookups: waiting questions of a group in log order (asked time, then sequence: a page of the
        // oldest reads no further than the page), and a reply's target by message id.
        b.HasIndex(q => new { q.CommunityId, q.AnsweredAt, q.AskedAt, q.EventSeq });
        b.HasIndex(q => new { q.CommunityId, q.MessageId });
        // Figures over a date range.
        b.HasIndex(q => new { q.WorkspaceId, q.AskedAt });
        b.HasOne<Community>().WithMany().HasForeignKey(q => q.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}
