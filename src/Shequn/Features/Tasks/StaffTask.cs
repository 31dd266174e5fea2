using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;

namespace Shequn.Features.Tasks;

public enum StaffTaskStatus
{
    Open = 0,
    Done = 1,
    /// <summary>Staff tried and could not (the member had already left, the group owner refused): the note says why.</summary>
    CouldNot = 2,
}

/// <summary>
/// Work a staff member does by hand because the platform cannot (a Manual group, a WeCom external member to remove):
/// one per <see cref="OutboundAction"/> that became <see cref="ActionStatus.Task"/>, written in the same transaction as
/// that status (<see cref="TaskOpener"/>). Closing it settles the action. The outcome fields (<see cref="Status"/>,
/// <see cref="ClosedById"/>, <see cref="ClosedAt"/> against <see cref="DueAt"/>) are what staff figures count.
/// </summary>
public sealed class StaffTask : IWorkspaceOwned, IAudited
{
    public const int TextMaxLength = OutboundAction.TextMaxLength + 500;
    public const int NoteMaxLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    /// <summary>The action this task does by hand; unique, so an action never makes two tasks.</summary>
    public Guid ActionId { get; set; }
    public ActionKind Kind { get; set; }
    /// <summary>Ready to paste, in the assignee's language: a send's exact message, otherwise what to do ("将 X 移出群「Y」").</summary>
    public required string Text { get; set; }
    /// <summary>What the task is about, when there is something to find first (the message to reply to or to delete).</summary>
    public string? Context { get; set; }
    /// <summary>The community role the assignee was chosen for; null when the community had nobody fit and the workspace's owner got it.</summary>
    public CommunityRole? AssignedRole { get; set; }
    public Guid AssignedStaffId { get; set; }
    public DateTime DueAt { get; set; }
    public StaffTaskStatus Status { get; set; }
    /// <summary>What staff said when closing it (required for "could not").</summary>
    public string? Note { get; set; }
    public Guid? ClosedById { get; set; }
    public DateTime? ClosedAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public bool IsOverdue(DateTime now) => Status == StaffTaskStatus.Open && DueAt < now;
}

internal sealed class StaffTaskConfiguration : IEntityTypeConfiguration<StaffTask>
{
    public void Configure(EntityTypeBuilder<StaffTask> b)
    {
        b.ToTable("StaffTasks");
        b.HasKey(t => t.Id);
        b.Property(t => t.Text).HasMaxLength(StaffTask.TextMaxLength);
        b.Property(t => t.Context).HasMaxLength(1000);
        b.Property(t => t.Note).HasMaxLength(StaffTask.NoteMaxLength);
        // Two people closing the same task at once: the second save finds the status moved and gets a 409.
        b.Property(t => t.Status).IsConcurrencyToken();
        b.HasIndex(t => t.ActionId).IsUnique();
        b.HasIndex(t => new { t.WorkspaceId, t.Status, t.DueAt });
        b.HasIndex(t => new { t.AssignedStaffId, t.Status });
        b.HasIndex(t => new { t.CommunityId, t.Status });
        b.HasOne<Community>().WithMany().HasForeignKey(t => t.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<OutboundAction>().WithMany().HasForeignKey(t => t.ActionId).OnDelete(DeleteBehavior.Cascade);
    }
}
