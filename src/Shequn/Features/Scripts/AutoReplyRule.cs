using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Scripts;

public enum MatchMode
{
    /// <summary>The whole message (trimmed, any case) equals a keyword.</summary>
    Exact = 0,
    /// <summary>The message contains a keyword (any case).</summary>
    Contains = 1,
    /// <summary>Each keyword is a regular expression, checked at save and matched with a timeout.</summary>
    Regex = 2,
}

/// <summary>What happens to a reply due inside the rule's quiet hours.</summary>
public enum QuietHoursMode
{
    /// <summary>Held: the reply is enqueued to go out when the quiet hours end (<c>NextAttemptAt</c>).</summary>
    Hold = 0,
    /// <summary>Skipped: no reply at all.</summary>
    Skip = 1,
}

/// <summary>
/// A keyword auto-reply (or FAQ answer): when a member's message matches, Shequn replies to it with the rule's text
/// or script, at most once per <see cref="CooldownSeconds"/> per community; or, with <see cref="HumanHandoff"/>,
/// opens a staff task to answer by hand instead (complaints).
/// </summary>
public sealed class AutoReplyRule : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int KeywordMaxLength = 200;
    public const int MaxKeywords = 50;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public bool Enabled { get; set; } = true;
    /// <summary>Lower first when several rules match one message (only the first answers).</summary>
    public int Priority { get; set; }
    public MatchMode Mode { get; set; }
    /// <summary>The keywords (or patterns), one per line.</summary>
    public string Keywords { get; set; } = "";
    /// <summary>The reply with variables; null when <see cref="ScriptId"/> gives it.</summary>
    public string? ReplyText { get; set; }
    public Guid? ScriptId { get; set; }
    /// <summary>All the workspace's communities, or only <see cref="CommunityIds"/>.</summary>
    public bool AllCommunities { get; set; } = true;
    /// <summary>Community ids, one per line, when not <see cref="AllCommunities"/>.</summary>
    public string CommunityIds { get; set; } = "";
    public int CooldownSeconds { get; set; } = 60;
    /// <summary>Quiet hours as minutes after midnight in the workspace's time zone; both null: none.</summary>
    public int? QuietFromMinute { get; set; }
    public int? QuietToMinute { get; set; }
    public QuietHoursMode QuietMode { get; set; }
    /// <summary>Let a human answer: a staff task instead of a bot reply.</summary>
    public bool HumanHandoff { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public IReadOnlyList<string> KeywordList => Split(Keywords);

    public IReadOnlyList<Guid> CommunityList => [.. Split(CommunityIds).Select(s => Guid.TryParse(s, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty)];

    internal static IReadOnlyList<string> Split(string text) =>
        [.. text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
}

/// <summary>
/// When a rule last answered in a community (the event's time), written in the processor's transaction so that the
/// cooldown holds across crashes and between app processes.
/// </summary>
public sealed class AutoReplyCooldown : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public Guid RuleId { get; set; }
    public Guid CommunityId { get; set; }
    public DateTime LastReplyAt { get; set; }
}

/// <summary>
/// When a member's message in a community was last handed to staff by a "let a human answer" rule (processing time):
/// within the rule's cooldown the member's further matching messages there make no second task. One row per member and
/// community, written in the processor's transaction; it goes with the member (erasure, merge).
/// </summary>
public sealed class HandoffCooldown : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public Guid MemberId { get; set; }
    public DateTime LastHandoffAt { get; set; }
}

internal sealed class AutoReplyRuleConfiguration : IEntityTypeConfiguration<AutoReplyRule>
{
    public void Configure(EntityTypeBuilder<AutoReplyRule> b)
    {
        b.ToTable("AutoReplyRules");
        b.HasKey(r => r.Id);
        b.Property(r => r.Name).HasMaxLength(AutoReplyRule.NameMaxLength);
        b.Property(r => r.Keywords).HasMaxLength(12_000);
        b.Property(r => r.ReplyText).HasMaxLength(ScriptText.MaxLength);
        b.Property(r => r.CommunityIds).HasMaxLength(40_000);
        b.HasIndex(r => new { r.WorkspaceId, r.Name }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(r => r.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Script>().WithMany().HasForeignKey(r => r.ScriptId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class AutoReplyCooldownConfiguration : IEntityTypeConfiguration<AutoReplyCooldown>
{
    public void Configure(EntityTypeBuilder<AutoReplyCooldown> b)
    {
        b.ToTable("AutoReplyCooldowns");
        b.HasKey(c => new { c.RuleId, c.CommunityId });
        b.HasOne<AutoReplyRule>().WithMany().HasForeignKey(c => c.RuleId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Community>().WithMany().HasForeignKey(c => c.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class HandoffCooldownConfiguration : IEntityTypeConfiguration<HandoffCooldown>
{
    public void Configure(EntityTypeBuilder<HandoffCooldown> b)
    {
        b.ToTable("HandoffCooldowns");
        b.HasKey(c => new { c.CommunityId, c.MemberId });
        b.HasIndex(c => c.MemberId);
        b.HasOne<Community>().WithMany().HasForeignKey(c => c.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(c => c.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}
