using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;

namespace Shequn.Features.Campaigns;

public enum BargainStatus
{
    /// <summary>Friends are still cutting.</summary>
    Open = 0,
    /// <summary>The floor price is reached: every helper cut.</summary>
    Reached = 1,
    /// <summary>The shop confirmed the member's order at <see cref="CampaignBargain.PaidPriceFen"/>.</summary>
    Paid = 2,
}

/// <summary>
/// A member's bargain (砍价), one per member and campaign (unique (campaign, member)): a replay of the start finds it. It
/// starts at the campaign's price and reaches the floor exactly after <see cref="Helpers"/> cuts; <see cref="PriceFen"/>
/// and <see cref="Cuts"/> only move together, by an update conditional on the cuts counted so far, so two friends
/// cutting at once can neither count twice nor pass the floor.
/// </summary>
public sealed class CampaignBargain : IWorkspaceOwned
{
    public const int RequestIdMaxLength = 64;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public Guid CommunityId { get; set; }
    public required string RequestId { get; set; }
    /// <summary>The rules when it started (published rules are fixed, but a bargain keeps its own).</summary>
    public long StartPriceFen { get; set; }
    public long FloorPriceFen { get; set; }
    public int Helpers { get; set; }
    /// <summary>The price now: the start less every cut so far.</summary>
    public long PriceFen { get; set; }
    public int Cuts { get; set; }
    public BargainStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ReachedAt { get; set; }
    public DateTime? PaidAt { get; set; }
    public string? OrderId { get; set; }
    public long? PaidPriceFen { get; set; }

    public BargainRules PlanRules() => new(StartPriceFen, FloorPriceFen, Helpers);
}

/// <summary>One friend's cut of a bargain: unique per (bargain, helper) and per (bargain, position).</summary>
public sealed class CampaignBargainCut : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid BargainId { get; set; }
    public Guid HelperMemberId { get; set; }
    /// <summary>1 for the first cut, <see cref="CampaignBargain.Helpers"/> for the last.</summary>
    public int Position { get; set; }
    public long AmountFen { get; set; }
    public DateTime CreatedAt { get; set; }
}

public enum AssistStatus
{
    Open = 0,
    /// <summary>Enough friends helped: the participant completed and the reward was granted.</summary>
    Completed = 1,
}

/// <summary>A member's assist request (助力), one per member and campaign; friends help once each until enough have.</summary>
public sealed class CampaignAssist : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public Guid CommunityId { get; set; }
    public required string RequestId { get; set; }
    public int Needed { get; set; }
    public int Helps { get; set; }
    public AssistStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

/// <summary>One friend's help with an assist request: unique per (request, helper) and per (request, position).</summary>
public sealed class CampaignAssistHelp : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid AssistId { get; set; }
    public Guid HelperMemberId { get; set; }
    public int Position { get; set; }
    public DateTime CreatedAt { get; set; }
}

public enum CouponStatus
{
    Unused = 0,
    /// <summary>Redeemed once, with <see cref="CampaignCoupon.OrderId"/>.</summary>
    Used = 1,
    Void = 2,
}

/// <summary>
/// A single-use coupon code (券): claimed from a coupon campaign's page (unique (campaign, request id)) or issued for a
/// coupon reward grant (unique grant). The code is random and unguessable; it moves from unused to used only by an
/// update conditional on unused, so one code pays for one order.
/// </summary>
public sealed class CampaignCoupon : IWorkspaceOwned
{
    public const int CodeLength = 10;
    /// <summary>No 0/O, 1/I/L: read aloud or typed from a screenshot without doubt.</summary>
    public const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public required string Code { get; set; }
    public long FaceValueFen { get; set; }
    public CouponStatus Status { get; set; }
    public DateTime IssuedAt { get; set; }
    /// <summary>The last moment the code is redeemable (the campaign's <see cref="CampaignRules.CouponValidDays"/>); null: no expiry.</summary>
    public DateTime? ValidUntil { get; set; }
    public DateTime? UsedAt { get; set; }
    /// <summary>Staff voided an unused code (once, by an update conditional on unused).</summary>
    public DateTime? VoidedAt { get; set; }
    public Guid? VoidedByStaffId { get; set; }
    public string? OrderId { get; set; }
    /// <summary>The page's request id of a claimed coupon.</summary>
    public string? RequestId { get; set; }
    /// <summary>The reward grant a coupon was issued for.</summary>
    public Guid? GrantId { get; set; }

    public static string NewCode() => RandomNumberGenerator.GetString(Alphabet, CodeLength);

    /// <summary>A code as typed: trimmed, upper case, without spaces or dashes.</summary>
    public static string Normalize(string code) =>
        new([.. (code ?? "").Where(ch => ch is not (' ' or '-')).Select(char.ToUpperInvariant)]);
}

internal sealed class CampaignBargainConfiguration : IEntityTypeConfiguration<CampaignBargain>
{
    public void Configure(EntityTypeBuilder<CampaignBargain> b)
    {
        b.ToTable("CampaignBargains");
        b.HasKey(x => x.Id);
        b.Property(x => x.RequestId).HasMaxLength(CampaignBargain.RequestIdMaxLength);
        b.Property(x => x.OrderId).HasMaxLength(CampaignClaim.OrderIdMaxLength);
        b.HasIndex(x => new { x.CampaignId, x.MemberId }).IsUnique();
        b.HasOne<Campaign>().WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignBargainCutConfiguration : IEntityTypeConfiguration<CampaignBargainCut>
{
    public void Configure(EntityTypeBuilder<CampaignBargainCut> b)
    {
        b.ToTable("CampaignBargainCuts");
        b.HasKey(x => x.Id);
        b.HasIndex(x => new { x.BargainId, x.HelperMemberId }).IsUnique();
        b.HasIndex(x => new { x.BargainId, x.Position }).IsUnique();
        b.HasIndex(x => x.HelperMemberId);
        b.HasOne<CampaignBargain>().WithMany().HasForeignKey(x => x.BargainId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.HelperMemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignAssistConfiguration : IEntityTypeConfiguration<CampaignAssist>
{
    public void Configure(EntityTypeBuilder<CampaignAssist> b)
    {
        b.ToTable("CampaignAssists");
        b.HasKey(x => x.Id);
        b.Property(x => x.RequestId).HasMaxLength(CampaignBargain.RequestIdMaxLength);
        b.HasIndex(x => new { x.CampaignId, x.MemberId }).IsUnique();
        b.HasOne<Campaign>().WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignAssistHelpConfiguration : IEntityTypeConfiguration<CampaignAssistHelp>
{
    public void Configure(EntityTypeBuilder<CampaignAssistHelp> b)
    {
        b.ToTable("CampaignAssistHelps");
        b.HasKey(x => x.Id);
        b.HasIndex(x => new { x.AssistId, x.HelperMemberId }).IsUnique();
        b.HasIndex(x => new { x.AssistId, x.Position }).IsUnique();
        b.HasIndex(x => x.HelperMemberId);
        b.HasOne<CampaignAssist>().WithMany().HasForeignKey(x => x.AssistId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.HelperMemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignCouponConfiguration : IEntityTypeConfiguration<CampaignCoupon>
{
    public void Configure(EntityTypeBuilder<CampaignCoupon> b)
    {
        b.ToTable("CampaignCoupons");
        b.HasKey(x => x.Id);
        b.Property(x => x.Code).HasMaxLength(CampaignCoupon.CodeLength);
        b.Property(x => x.OrderId).HasMaxLength(CampaignClaim.OrderIdMaxLength);
        b.Property(x => x.RequestId).HasMaxLength(CampaignBargain.RequestIdMaxLength);
        b.HasIndex(x => x.Code).IsUnique();
        b.HasIndex(x => new { x.CampaignId, x.RequestId }).IsUnique();
        b.HasIndex(x => x.GrantId).IsUnique();
        b.HasIndex(x => new { x.CampaignId, x.MemberId });
        b.HasOne<Campaign>().WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<CampaignRewardGrant>().WithMany().HasForeignKey(x => x.GrantId).OnDelete(DeleteBehavior.SetNull);
    }
}
