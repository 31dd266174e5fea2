using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A group-buy price tier beyond the first: when <see cref="Size"/> people have paid, everyone in the group pays
/// <see cref="PriceFen"/> (what they paid above it is refunded when the group closes).
/// </summary>
public sealed record GroupTier(int Size, long PriceFen);

public enum GroupStatus
{
    /// <summary>Gathering people until its deadline (or until its largest tier is full).</summary>
    Open = 0,
    /// <summary>Enough people paid (or, when enabled and disclosed, it was completed virtually).</summary>
    Completed = 1,
    /// <summary>Too few people paid in time: every reservation was released and every payment is being refunded.</summary>
    Failed = 2,
}

/// <summary>
/// One 拼团 group: opened by its leader (whose share link, <c>/c/{slug}?g={id}</c>, brings the others), closing at
/// <see cref="ExpiresAt"/> (the group hours, never past the campaign's end). <see cref="Seats"/> counts the seats not
/// released and <see cref="Paid"/> the paid ones; both move only by conditional updates, so the group never holds more
/// than <see cref="MaxSize"/> and is completed or failed once.
/// </summary>
public sealed class CampaignGroup : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid LeaderMemberId { get; set; }
    /// <summary>The leader's community, where the group's progress is posted.</summary>
    public Guid CommunityId { get; set; }
    public GroupStatus Status { get; set; }
    /// <summary>People needed to succeed (the first tier), and the most the group takes (its largest tier).</summary>
    public int Size { get; set; }
    public int MaxSize { get; set; }
    public int Seats { get; set; }
    public int Paid { get; set; }
    public DateTime OpenedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? ClosedAt { get; set; }
    /// <summary>Completed short of its size because virtual completion was enabled (the page discloses it).</summary>
    public bool Virtual { get; set; }
    /// <summary>The price the group unlocked, set when it completed.</summary>
    public long? PriceFen { get; set; }
}

public enum SeatStatus
{
    /// <summary>Holding a place (and a unit of stock) while the member pays.</summary>
    Reserved = 0,
    Paid = 1,
    /// <summary>Not paid in time, or the group failed before payment: the place and the unit went back.</summary>
    Released = 2,
    /// <summary>Paid, and the group failed: a refund request for the whole price is recorded.</summary>
    Refunding = 3,
}

/// <summary>
/// A member's place in a group under the page's request id (unique per campaign: a replay finds it), once per group
/// (unique (group, member)). <see cref="PriceFen"/> is what they pay: the first tier's price.
/// </summary>
public sealed class CampaignGroupSeat : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid GroupId { get; set; }
    public Guid MemberId { get; set; }
    public required string RequestId { get; set; }
    public SeatStatus Status { get; set; }
    public long PriceFen { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>When an unpaid seat is released.</summary>
    public DateTime ExpiresAt { get; set; }
    public DateTime? PaidAt { get; set; }
    public string? OrderId { get; set; }
    public DateTime? ReleasedAt { get; set; }
}

public enum RefundReason
{
    /// <summary>The group failed: the whole price back.</summary>
    GroupFailed = 0,
    /// <summary>The group reached a cheaper tier: the difference back.</summary>
    TierDifference = 1,
}

public enum RefundStatus
{
    /// <summary>Recorded, not yet confirmed by the shop: retried until it is.</summary>
    Pending = 0,
    Done = 1,
}

/// <summary>
/// A refund Shequn asks the brand's shop to make (Shequn takes no money). Recorded in the same transaction as the
/// group's failure or completion, once per (seat, reason); retried with growing pauses until the shop confirms it
/// (or staff mark it done), and only one node sends a given attempt (the attempt is claimed by a conditional update).
/// </summary>
public sealed class CampaignRefund : IWorkspaceOwned
{
    public const int ErrorMaxLength = 500;
    public const int ReferenceMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid SeatId { get; set; }
    public Guid MemberId { get; set; }
    public required string OrderId { get; set; }
    public long AmountFen { get; set; }
    public RefundReason Reason { get; set; }
    public RefundStatus Status { get; set; }
    public int Attempts { get; set; }
    /// <summary>When the next attempt is due; null when no shop endpoint is configured and staff refund by hand.</summary>
    public DateTime? NextAttemptAt { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? DoneAt { get; set; }
    /// <summary>The shop's refund reference (or who marked it done).</summary>
    public string? Reference { get; set; }
}

internal sealed class CampaignGroupConfiguration : IEntityTypeConfiguration<CampaignGroup>
{
    public void Configure(EntityTypeBuilder<CampaignGroup> b)
    {
        b.ToTable("CampaignGroups");
        b.HasKey(g => g.Id);
        b.HasIndex(g => new { g.CampaignId, g.Status });
        b.HasIndex(g => new { g.Status, g.ExpiresAt });
        b.HasOne<Campaign>().WithMany().HasForeignKey(g => g.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(g => g.LeaderMemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignGroupSeatConfiguration : IEntityTypeConfiguration<CampaignGroupSeat>
{
    public void Configure(EntityTypeBuilder<CampaignGroupSeat> b)
    {
        b.ToTable("CampaignGroupSeats");
        b.HasKey(s => s.Id);
        b.Property(s => s.RequestId).HasMaxLength(CampaignClaim.RequestIdMaxLength);
        b.Property(s => s.OrderId).HasMaxLength(CampaignClaim.OrderIdMaxLength);
        b.HasIndex(s => new { s.CampaignId, s.RequestId }).IsUnique();
        b.HasIndex(s => new { s.GroupId, s.MemberId }).IsUnique();
        b.HasIndex(s => new { s.Status, s.ExpiresAt });
        b.HasIndex(s => s.MemberId);
        b.HasOne<CampaignGroup>().WithMany().HasForeignKey(s => s.GroupId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(s => s.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignRefundConfiguration : IEntityTypeConfiguration<CampaignRefund>
{
    public void Configure(EntityTypeBuilder<CampaignRefund> b)
    {
        b.ToTable("CampaignRefunds");
        b.HasKey(r => r.Id);
        b.Property(r => r.OrderId).HasMaxLength(CampaignClaim.OrderIdMaxLength);
        b.Property(r => r.LastError).HasMaxLength(CampaignRefund.ErrorMaxLength);
        b.Property(r => r.Reference).HasMaxLength(CampaignRefund.ReferenceMaxLength);
        b.HasIndex(r => new { r.SeatId, r.Reason }).IsUnique();
        b.HasIndex(r => new { r.Status, r.NextAttemptAt });
        b.HasIndex(r => r.CampaignId);
        b.HasOne<CampaignGroupSeat>().WithMany().HasForeignKey(r => r.SeatId).OnDelete(DeleteBehavior.Cascade);
    }
}
