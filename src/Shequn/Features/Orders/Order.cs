using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Orders;

public enum OrderStatus
{
    /// <summary>Paid; refunds, if any, are in <see cref="Order.RefundedFen"/>.</summary>
    Paid = 0,
    /// <summary>Refunded in full.</summary>
    Refunded = 1,
    /// <summary>Cancelled before it counted: no revenue, no order.</summary>
    Cancelled = 2,
}

public enum OrderSource
{
    Import = 0,
    Webhook = 1,
}

/// <summary>Which of the order's keys found its member.</summary>
public enum OrderMatch
{
    Phone = 0,
    PlatformUser = 1,
    ShareCode = 2,
}

/// <summary>The touch the attribution came from (docs/orders.md "Attribution").</summary>
public enum OrderTouch
{
    /// <summary>A join of a community (its channel, live code, the live code's campaign, inviter).</summary>
    Join = 0,
    /// <summary>Taking part in a campaign (a claim, check-in, group buy … makes a participant).</summary>
    Campaign = 1,
    /// <summary>The share link the order came through (a campaign invite token in the order's share code).</summary>
    Share = 2,
}

/// <summary>
/// An order from the brand's shop, imported from a file or received by the signed webhook. Money is kept in fen
/// (long), as campaign refunds are; the files and the webhook speak yuan. The match keys are kept as received so that
/// an order for someone not yet known is matched later (<see cref="OrderMatching"/>). Attribution is filled when the
/// member is known, from the last touch within the workspace's window before <see cref="PlacedAt"/>.
/// </summary>
public sealed class Order : IWorkspaceOwned
{
    public const int ExternalIdMaxLength = 100;
    public const int KeyMaxLength = 100;
    public const int ShareCodeMaxLength = 300;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>The shop's order id: unique per workspace, the idempotency key of imports and the webhook.</summary>
    public required string ExternalId { get; set; }
    public DateTime PlacedAt { get; set; }
    public long AmountFen { get; set; }
    public long RefundedFen { get; set; }
    public OrderStatus Status { get; set; }
    public OrderSource Source { get; set; }

    /// <summary>Normalised (<see cref="Campaigns.CampaignLead.NormalizePhone"/>).</summary>
    public string? Phone { get; set; }
    public ChatPlatform? Platform { get; set; }
    public string? PlatformUserId { get; set; }
    public string? ShareCode { get; set; }

    public Guid? MemberId { get; set; }
    public OrderMatch? MatchedBy { get; set; }
    public DateTime? MatchedAt { get; set; }

    /// <summary>From a share code's invite token: the campaign shared and who shared it (a touch at the order's time).</summary>
    public Guid? SharedCampaignId { get; set; }
    public Guid? SharedByMemberId { get; set; }

    public Guid? CommunityId { get; set; }
    public string? Channel { get; set; }
    public Guid? LiveCodeId { get; set; }
    public Guid? CampaignId { get; set; }
    public Guid? InviterMemberId { get; set; }
    public OrderTouch? Touch { get; set; }
    public DateTime? TouchAt { get; set; }
    /// <summary>The window (days) the attribution was worked out with; null while the member is unknown.</summary>
    public int? AttributionDays { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public List<OrderLine> Lines { get; set; } = [];

    /// <summary>What the order brings in after refunds (nothing when cancelled).</summary>
    public long NetFen => Status == OrderStatus.Cancelled ? 0 : AmountFen - RefundedFen;
}

public sealed class OrderLine : IWorkspaceOwned
{
    public const int TextMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid OrderId { get; set; }
    public int Position { get; set; }
    public string? Sku { get; set; }
    public string? ProductName { get; set; }
    public string? Category { get; set; }
    public int Quantity { get; set; }
    public long AmountFen { get; set; }
}

/// <summary>
/// A workspace's order settings: the attribution window and the webhook's shared secret, kept encrypted with the
/// data-protection key ring (as bot tokens are) and shown once when made.
/// </summary>
public sealed class OrderSettings : IWorkspaceOwned, IAudited
{
    public const int DefaultAttributionDays = 30;
    public const int MaxAttributionDays = 365;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public int AttributionDays { get; set; } = DefaultAttributionDays;
    public string? ProtectedWebhookSecret { get; set; }
    public DateTime? WebhookSecretAt { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class OrderConfiguration : IEntityTypeConfiguration<Order>
{
    public void Configure(EntityTypeBuilder<Order> b)
    {
        b.ToTable("Orders");
        b.HasKey(o => o.Id);
        b.Property(o => o.ExternalId).HasMaxLength(Order.ExternalIdMaxLength);
        b.Property(o => o.Phone).HasMaxLength(Campaigns.CampaignLead.PhoneMaxLength);
        b.Property(o => o.PlatformUserId).HasMaxLength(Order.KeyMaxLength);
        b.Property(o => o.ShareCode).HasMaxLength(Order.ShareCodeMaxLength);
        b.Property(o => o.Channel).HasMaxLength(Member.FieldMaxLength);
        // The idempotency key: a replayed webhook or a re-imported file finds this row.
        b.HasIndex(o => new { o.WorkspaceId, o.ExternalId }).IsUnique();
        b.HasIndex(o => new { o.WorkspaceId, o.PlacedAt });
        b.HasIndex(o => new { o.WorkspaceId, o.MemberId });
        b.HasIndex(o => new { o.WorkspaceId, o.Phone });
        b.HasOne<Workspace>().WithMany().HasForeignKey(o => o.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        // An erased member's orders stay as revenue, unmatched.
        b.HasOne<Member>().WithMany().HasForeignKey(o => o.MemberId).OnDelete(DeleteBehavior.SetNull);
        b.HasMany(o => o.Lines).WithOne().HasForeignKey(l => l.OrderId).OnDelete(DeleteBehavior.Cascade);
        b.Ignore(o => o.NetFen);
    }
}

internal sealed class OrderLineConfiguration : IEntityTypeConfiguration<OrderLine>
{
    public void Configure(EntityTypeBuilder<OrderLine> b)
    {
        b.ToTable("OrderLines");
        b.HasKey(l => l.Id);
        b.Property(l => l.Sku).HasMaxLength(OrderLine.TextMaxLength);
        b.Property(l => l.ProductName).HasMaxLength(OrderLine.TextMaxLength);
        b.Property(l => l.Category).HasMaxLength(OrderLine.TextMaxLength);
        b.HasIndex(l => l.OrderId);
    }
}

internal sealed class OrderSettingsConfiguration : IEntityTypeConfiguration<OrderSettings>
{
    public void Configure(EntityTypeBuilder<OrderSettings> b)
    {
        b.ToTable("OrderSettings");
        b.HasKey(s => s.Id);
        b.Property(s => s.ProtectedWebhookSecret).HasMaxLength(1000);
        b.HasIndex(s => s.WorkspaceId).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(s => s.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}
