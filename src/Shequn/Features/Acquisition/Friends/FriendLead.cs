using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Acquisition;

/// <summary>Where a person to add came from.</summary>
public enum FriendLeadSource
{
    Order = 0,
    PhoneInvitation = 1,
    CampaignLead = 2,
    Manual = 3,
    Other = 4,
}

public enum FriendLeadStatus
{
    /// <summary>Waiting for a day's plan.</summary>
    Queued = 0,
    /// <summary>On an account's plan for a day (<see cref="FriendLead.PlanDay"/>, <see cref="FriendLead.PlannedAt"/>).</summary>
    Planned = 1,
    Added = 2,
    Refused = 3,
    NoAnswer = 4,
    /// <summary>Staff chose not to add (wrong number, already a friend, asked not to be contacted).</summary>
    Skipped = 5,
}

/// <summary>
/// A person to add as a friend: from an order, a phone invitation, a campaign's phone leads or typed in. The planner
/// (<see cref="FriendPlanner"/>) puts it on one account's day at a time slot with a greeting; staff record the outcome.
/// A planned lead whose day ends without an outcome goes back to the queue (keeping its place: oldest first), so it is
/// never silently lost. A phone (or member) is in the workspace's queue once while it is queued, planned or added.
/// </summary>
public sealed class FriendLead : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int SourceRefMaxLength = 100;
    public const int NoteMaxLength = 500;
    public const int GreetingMaxLength = 300;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid? MemberId { get; set; }
    public required string Name { get; set; }
    /// <summary>Normalised (<see cref="Campaigns.CampaignLead.NormalizePhone"/>): 11 digits for mainland China, else + and the country code.</summary>
    public string? Phone { get; set; }
    public FriendLeadSource Source { get; set; }
    /// <summary>Order number, campaign id …</summary>
    public string? SourceRef { get; set; }
    public string? Note { get; set; }
    public FriendLeadStatus Status { get; set; }
    /// <summary>Place in the queue: kept when a lead comes back unfinished, so it is planned first next time.</summary>
    public DateTime QueuedAt { get; set; } = DateTime.UtcNow;
    /// <summary>How many days it was planned and came back without an outcome.</summary>
    public int CarriedOver { get; set; }

    public Guid? AccountId { get; set; }
    /// <summary>The workspace-local day it is planned for (and done on).</summary>
    public DateOnly? PlanDay { get; set; }
    /// <summary>Its slot on the account's day (0 … DailyLimit−1): unique per account and day, which bounds a day's adds.</summary>
    public int? PlanSlot { get; set; }
    public DateTime? PlannedAt { get; set; }
    public string? Greeting { get; set; }
    /// <summary>Which greeting (a script id, or <c>builtin:n</c>), so neighbouring adds on one account differ.</summary>
    public string? GreetingKey { get; set; }

    public DateTime? OutcomeAt { get; set; }
    public Guid? OutcomeById { get; set; }
    public string? OutcomeNote { get; set; }

    public Guid? CreatedById { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>Statuses that hold the phone: a second lead with it is a duplicate.</summary>
    public static readonly FriendLeadStatus[] Holding = [FriendLeadStatus.Queued, FriendLeadStatus.Planned, FriendLeadStatus.Added];

    /// <summary>Back to the queue, its plan forgotten (not its place).</summary>
    public void Unplan()
    {
        Status = FriendLeadStatus.Queued;
        AccountId = null;
        PlanDay = null;
        PlanSlot = null;
        PlannedAt = null;
        Greeting = null;
        GreetingKey = null;
    }
}

internal sealed class FriendLeadConfiguration : IEntityTypeConfiguration<FriendLead>
{
    // Queued, planned or added: the statuses of FriendLead.Holding.
    private const string Holding = "\"Status\" IN (0, 1, 2)";

    public void Configure(EntityTypeBuilder<FriendLead> b)
    {
        b.ToTable("FriendLeads");
        b.HasKey(l => l.Id);
        b.Property(l => l.Name).HasMaxLength(FriendLead.NameMaxLength);
        b.Property(l => l.Phone).HasMaxLength(Campaigns.CampaignLead.PhoneMaxLength);
        b.Property(l => l.SourceRef).HasMaxLength(FriendLead.SourceRefMaxLength);
        b.Property(l => l.Note).HasMaxLength(FriendLead.NoteMaxLength);
        b.Property(l => l.OutcomeNote).HasMaxLength(FriendLead.NoteMaxLength);
        b.Property(l => l.Greeting).HasMaxLength(FriendLead.GreetingMaxLength);
        b.Property(l => l.GreetingKey).HasMaxLength(50);
        // Two planners (two nodes, or a double press) moving one lead: the second save finds the status moved.
        b.Property(l => l.Status).IsConcurrencyToken();
        // One slot of an account's day holds one lead, so however many planners run, a day never has more than the
        // limit's slots (planned and done together). Null slots (queued leads) never collide.
        b.HasIndex(l => new { l.AccountId, l.PlanDay, l.PlanSlot }).IsUnique();
        // A phone or member is queued once while it is waiting, planned or added (two imports at once included).
        b.HasIndex(l => new { l.WorkspaceId, l.Phone }).IsUnique().HasFilter(Holding + " AND \"Phone\" IS NOT NULL");
        b.HasIndex(l => new { l.WorkspaceId, l.MemberId }).IsUnique().HasFilter(Holding + " AND \"MemberId\" IS NOT NULL");
        b.HasIndex(l => new { l.WorkspaceId, l.Status, l.QueuedAt });
        b.HasOne<Workspace>().WithMany().HasForeignKey(l => l.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(l => l.MemberId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<FriendAccount>().WithMany().HasForeignKey(l => l.AccountId).OnDelete(DeleteBehavior.SetNull);
    }
}
