using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Scripts;

/// <summary>What a script is for: the seed's categories (seed 001 §3) plus the two parts of seed 004's rules.</summary>
public enum ScriptCategory
{
    Welcome = 0,
    Announcement = 1,
    Complaint = 2,
    Praise = 3,
    /// <summary>催单: reminding a member of an unpaid or unfinished order.</summary>
    OrderUrging = 4,
    /// <summary>无关信息: answering content unrelated to the group.</summary>
    Irrelevant = 5,
    Faq = 6,
    /// <summary>群简介: who we are, what you get, who runs it (seed 004).</summary>
    Intro = 7,
    /// <summary>具体群规 (seed 004).</summary>
    Rules = 8,
    /// <summary>快捷回复: short texts staff insert with one click where they answer (the Sandbox chat, the task inbox).</summary>
    QuickReply = 9,
    /// <summary>加好友: the greeting sent with a friend request; the planner varies it between neighbouring adds (seed 000 E).</summary>
    FriendGreeting = 10,
}

/// <summary>
/// A script (话术) of the workspace's library: a text with variables (<see cref="ScriptText"/>) staff reuse, the joining
/// ritual sends and auto-replies answer with. A community may have its own text for it (<see cref="ScriptOverride"/>).
/// <see cref="UsageCount"/> goes up each time Shequn sends it (in the transaction that enqueues the message).
/// </summary>
public sealed class Script : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public ScriptCategory Category { get; set; }
    public required string Name { get; set; }
    public required string Text { get; set; }

    /// <summary>The built-in template it was made from (<see cref="ScriptTemplates"/>), for display only.</summary>
    public string? Template { get; set; }

    /// <summary>How many times Shequn has sent it (any community, override or not).</summary>
    public int UsageCount { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>A community's own text for a script; wins over <see cref="Script.Text"/> in that community.</summary>
public sealed class ScriptOverride : IWorkspaceOwned, IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid ScriptId { get; set; }
    public Guid CommunityId { get; set; }
    public required string Text { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class ScriptConfiguration : IEntityTypeConfiguration<Script>
{
    public void Configure(EntityTypeBuilder<Script> b)
    {
        b.ToTable("Scripts");
        b.HasKey(s => s.Id);
        b.Property(s => s.Name).HasMaxLength(Script.NameMaxLength);
        b.Property(s => s.Text).HasMaxLength(ScriptText.MaxLength);
        b.Property(s => s.Template).HasMaxLength(50);
        // Names are unique per workspace: two nodes seeding the templates at once make them once.
        b.HasIndex(s => new { s.WorkspaceId, s.Name }).IsUnique();
        b.HasIndex(s => new { s.WorkspaceId, s.Category });
        b.HasOne<Workspace>().WithMany().HasForeignKey(s => s.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ScriptOverrideConfiguration : IEntityTypeConfiguration<ScriptOverride>
{
    public void Configure(EntityTypeBuilder<ScriptOverride> b)
    {
        b.ToTable("ScriptOverrides");
        b.HasKey(s => s.Id);
        b.Property(s => s.Text).HasMaxLength(ScriptText.MaxLength);
        b.HasIndex(s => new { s.ScriptId, s.CommunityId }).IsUnique();
        b.HasIndex(s => new { s.CommunityId });
        b.HasOne<Script>().WithMany().HasForeignKey(s => s.ScriptId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Community>().WithMany().HasForeignKey(s => s.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}
