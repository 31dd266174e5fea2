using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Enforcement;

/// <summary>What the enforcement decided for one message or join.</summary>
public enum CaseDecision
{
    /// <summary>Between the review and act thresholds (or a rule in <see cref="RuleMode.Flag"/>): waits for staff.</summary>
    Review = 0,
    /// <summary>Acted on by the ladder.</summary>
    Act = 1,
    /// <summary>Staff reported a message the engine let through (a false negative).</summary>
    Reported = 2,
}

/// <summary>Staff's verdict on a case.</summary>
public enum CaseVerdict
{
    None = 0,
    Spam = 1,
    NotSpam = 2,
}

/// <summary>
/// One row of the moderation log: a decision with its evidence, score, the rule broken, the ladder step and the
/// actions taken (<see cref="Outbox.OutboundAction.CausedByEventSeq"/> = <see cref="EventSeq"/>). Written by the
/// processor in the same transaction as the actions, so it is neither lost nor made twice. Staff review it
/// (<see cref="Verdict"/>) and may undo it (<see cref="UndoneAt"/>): an undone act is a false positive.
/// </summary>
public sealed class ModerationCase : IWorkspaceOwned
{
    public const int TextMaxLength = 2000;
    public const int RuleMaxLength = 50;
    public const int EvidenceMaxLength = 8000;
    public const int NoteMaxLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }

    /// <summary>The event that was checked (a message, a join, an inspected image).</summary>
    public long EventSeq { get; set; }

    public ChatPlatform Platform { get; set; }
    public string? MessageId { get; set; }
    public string? UserId { get; set; }
    public string? UserName { get; set; }
    public Guid? MemberId { get; set; }

    /// <summary>The message (clipped), or what a QR code in its image said.</summary>
    public string? Text { get; set; }

    public CaseDecision Decision { get; set; }

    /// <summary>Which rule: <c>ads</c>, <c>solicitation</c>, <c>vote-link</c>, <c>flood</c>, <c>cross-community</c>, <c>qr-code</c>, <c>blacklist</c>, …</summary>
    public required string Rule { get; set; }

    public double Score { get; set; }
    public double? ModelScore { get; set; }

    /// <summary>The engine's evidence as JSON (source, rule, term, span, weight).</summary>
    public string Evidence { get; set; } = "[]";

    /// <summary>The ladder step taken (null for review and reports).</summary>
    public LadderAction? Action { get; set; }

    /// <summary>How many violations of the sender within the rule set's window, this one included.</summary>
    public int Violations { get; set; }

    public CaseVerdict Verdict { get; set; }
    public Guid? ReviewedById { get; set; }
    public DateTime? ReviewedAt { get; set; }

    public DateTime? UndoneAt { get; set; }
    public Guid? UndoneById { get; set; }
    public string? UndoNote { get; set; }

    public DateTime OccurredAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public Community? Community { get; set; }
}

internal sealed class ModerationCaseConfiguration : IEntityTypeConfiguration<ModerationCase>
{
    public void Configure(EntityTypeBuilder<ModerationCase> b)
    {
        b.ToTable("ModerationCases");
        b.Property(e => e.MessageId).HasMaxLength(128);
        b.Property(e => e.UserId).HasMaxLength(128);
        b.Property(e => e.UserName).HasMaxLength(100);
        b.Property(e => e.Text).HasMaxLength(ModerationCase.TextMaxLength);
        b.Property(e => e.Rule).HasMaxLength(ModerationCase.RuleMaxLength);
        b.Property(e => e.Evidence).HasMaxLength(ModerationCase.EvidenceMaxLength);
        b.Property(e => e.UndoNote).HasMaxLength(ModerationCase.NoteMaxLength);
        b.HasIndex(e => new { e.WorkspaceId, e.CreatedAt });
        b.HasIndex(e => new { e.WorkspaceId, e.Decision, e.Verdict });
        b.HasIndex(e => new { e.WorkspaceId, e.Platform, e.UserId, e.OccurredAt });
        b.HasIndex(e => new { e.EventSeq, e.Rule }).IsUnique();
        b.HasOne(e => e.Community).WithMany().HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}
