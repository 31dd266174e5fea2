using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;

namespace Shequn.Features.Campaigns;

/// <summary>Where a flash-sale claim stands: reserved until paid, or released when the payment window passes.</summary>
public enum ClaimStatus
{
    /// <summary>Units taken from the stock, awaiting the shop's order confirmation.</summary>
    Reserved = 0,
    /// <summary>The shop confirmed an order for it (<see cref="CampaignClaim.OrderId"/>).</summary>
    Paid = 1,
    /// <summary>Not paid within the window: its units went back to the stock and to the member's limit.</summary>
    Released = 2,
}

/// <summary>
/// One flash-sale claim (秒杀): <see cref="Quantity"/> units reserved for a member under the client's request id, unique
/// per campaign, so a replay or a double click finds this row instead of claiming again. Its status moves only by
/// conditional updates from <see cref="ClaimStatus.Reserved"/>, so a payment and a release racing cannot both win.
/// </summary>
public sealed class CampaignClaim : IWorkspaceOwned
{
    public const int RequestIdMaxLength = 64;
    public const int OrderIdMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public int Quantity { get; set; }
    public required string RequestId { get; set; }
    public ClaimStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The end of the payment window: a claim still reserved then is released.</summary>
    public DateTime ExpiresAt { get; set; }
    public DateTime? PaidAt { get; set; }
    public string? OrderId { get; set; }
    public DateTime? ReleasedAt { get; set; }
}

/// <summary>
/// The key that signs personal campaign links, made once and shared by every node through the database; stored
/// encrypted with the data-protection key ring (ADR-007), which every node shares too.
/// </summary>
public sealed class CampaignLinkKey
{
    public const int NameMaxLength = 50;

    public required string Name { get; set; }
    public required string ProtectedKey { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class CampaignClaimConfiguration : IEntityTypeConfiguration<CampaignClaim>
{
    public void Configure(EntityTypeBuilder<CampaignClaim> b)
    {
        b.ToTable("CampaignClaims");
        b.HasKey(c => c.Id);
        b.Property(c => c.RequestId).HasMaxLength(CampaignClaim.RequestIdMaxLength);
        b.Property(c => c.OrderId).HasMaxLength(CampaignClaim.OrderIdMaxLength);
        b.HasIndex(c => new { c.CampaignId, c.RequestId }).IsUnique();
        b.HasIndex(c => new { c.CampaignId, c.MemberId });
        b.HasIndex(c => new { c.Status, c.ExpiresAt });
        b.HasOne<Campaign>().WithMany().HasForeignKey(c => c.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(c => c.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignLinkKeyConfiguration : IEntityTypeConfiguration<CampaignLinkKey>
{
    public void Configure(EntityTypeBuilder<CampaignLinkKey> b)
    {
        b.ToTable("CampaignLinkKeys");
        b.HasKey(k => k.Name);
        b.Property(k => k.Name).HasMaxLength(CampaignLinkKey.NameMaxLength);
        b.Property(k => k.ProtectedKey).HasMaxLength(1000);
    }
}
