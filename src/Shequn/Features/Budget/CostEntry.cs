using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;

namespace Shequn.Features.Budget;

/// <summary>Seed 004's split: fixed costs come every month whatever happens; floating ones follow the month's work.</summary>
public enum CostKind
{
    Fixed = 0,
    Floating = 1,
}

/// <summary>What a cost paid for (seed 004: phones, part-time pay, activity funds; rewards in product counted at cost).</summary>
public enum CostCategory
{
    Phones = 0,
    PartTimePay = 1,
    ActivityFunds = 2,
    /// <summary>Products given away, entered as quantity × unit cost (what the brand paid, not the shelf price).</summary>
    ProductRewards = 3,
    Advertising = 4,
    Tools = 5,
    Other = 6,
}

/// <summary>
/// One cost, on the workspace day it was incurred, in fen. It may be charged to a campaign, a channel and a community;
/// ROI reads those. Rewards campaigns grant are costed from their grants (<see cref="Campaigns.CampaignRewardGrant.CostFen"/>)
/// and are not entered again here.
/// </summary>
public sealed class CostEntry : IWorkspaceOwned, IAudited
{
    public const int ItemMaxLength = 100;
    public const int NoteMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>The day it was incurred, in the workspace's zone.</summary>
    public DateOnly Day { get; set; }
    public CostKind Kind { get; set; }
    public CostCategory Category { get; set; }
    /// <summary>What was bought or given (a phone plan, 30 sample packs).</summary>
    public required string Item { get; set; }
    public long AmountFen { get; set; }
    /// <summary>For product rewards: how many were given and what one cost; the amount is their product.</summary>
    public int? Quantity { get; set; }
    public long? UnitCostFen { get; set; }
    public Guid? CampaignId { get; set; }
    public Guid? ChannelId { get; set; }
    public Guid? CommunityId { get; set; }
    public string? Note { get; set; }
    public Guid? CreatedById { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>
/// The monthly spending cap from a month on: a month's cap is the row with the latest <see cref="FromMonth"/> not after
/// it, so a change applies from its month and earlier months keep theirs.
/// </summary>
public sealed class BudgetCap : IWorkspaceOwned, IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>The first day of the month it applies from.</summary>
    public DateOnly FromMonth { get; set; }
    public long CapFen { get; set; }
    public Guid? SetById { get; set; }
    public DateTime SetAt { get; set; } = DateTime.UtcNow;
}

/// <summary>
/// A month's spending crossed a share of its cap (80 or 100 %). One row per month and threshold, whoever saw it first:
/// the unique key makes it once across hosts. Owners and admins see it until one of them acknowledges it.
/// </summary>
public sealed class BudgetAlert : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public DateOnly Month { get; set; }
    public int Percent { get; set; }
    public long SpentFen { get; set; }
    public long CapFen { get; set; }
    public DateTime RaisedAt { get; set; } = DateTime.UtcNow;
    public Guid? AcknowledgedById { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
}

internal sealed class BudgetConfiguration : IEntityTypeConfiguration<CostEntry>, IEntityTypeConfiguration<BudgetCap>, IEntityTypeConfiguration<BudgetAlert>
{
    public void Configure(EntityTypeBuilder<CostEntry> b)
    {
        b.ToTable("CostEntries");
        b.Property(c => c.Item).HasMaxLength(CostEntry.ItemMaxLength);
        b.Property(c => c.Note).HasMaxLength(CostEntry.NoteMaxLength);
        b.HasIndex(c => new { c.WorkspaceId, c.Day });
        b.HasIndex(c => new { c.WorkspaceId, c.CampaignId });
        b.HasIndex(c => new { c.WorkspaceId, c.ChannelId });
        b.HasIndex(c => new { c.WorkspaceId, c.CommunityId });
    }

    public void Configure(EntityTypeBuilder<BudgetCap> b)
    {
        b.ToTable("BudgetCaps");
        b.HasIndex(c => new { c.WorkspaceId, c.FromMonth }).IsUnique();
    }

    public void Configure(EntityTypeBuilder<BudgetAlert> b)
    {
        b.ToTable("BudgetAlerts");
        b.HasIndex(a => new { a.WorkspaceId, a.Month, a.Percent }).IsUnique();
    }
}
