using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Enforcement;

/// <summary>
/// A person the workspace keeps out of all its communities, by platform user id (they need not have joined
/// yet). Joining any community gets them removed on arrival, or declined at the join request. Taking someone off
/// the list deletes the row (audited).
/// </summary>
public sealed class BlacklistEntry : IWorkspaceOwned, IAudited
{
    public const int ReasonMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public ChatPlatform Platform { get; set; }
    public required string UserId { get; set; }
    public string? UserName { get; set; }
    public string? Reason { get; set; }

    /// <summary>The moderation case that put them here (null when staff added them by hand).</summary>
    public Guid? CaseId { get; set; }

    /// <summary>The staff member who added them (null when the ladder did).</summary>
    public Guid? AddedById { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class BlacklistEntryConfiguration : IEntityTypeConfiguration<BlacklistEntry>
{
    public void Configure(EntityTypeBuilder<BlacklistEntry> b)
    {
        b.ToTable("BlacklistEntries");
        b.Property(e => e.UserId).HasMaxLength(128);
        b.Property(e => e.UserName).HasMaxLength(100);
        b.Property(e => e.Reason).HasMaxLength(BlacklistEntry.ReasonMaxLength);
        b.HasIndex(e => new { e.WorkspaceId, e.Platform, e.UserId }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}
