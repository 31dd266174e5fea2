using Shequn.Data;
using Shequn.Features.Staff;

namespace Shequn.Features.Communities;

public enum ChatPlatform
{
    Sandbox = 0,
    Telegram = 1,
    WeCom = 2,
    Manual = 3,
}

/// <summary>Purpose families of seed 001, each with its sub-types.</summary>
public enum CommunityType
{
    Marketing = 0,
    Content = 1,
    Service = 2,
}

public enum CommunitySubType
{
    None = 0,
    Discount = 1,
    Fission = 2,
    Advocacy = 3,
    Tutorial = 4,
    Topic = 5,
    PreSale = 6,
    InSale = 7,
    AfterSale = 8,
}

/// <summary>Tiers of seed 004: general (comprehensive, regional, category), VIP (paying, core) and the ads group.</summary>
public enum CommunityTier
{
    Comprehensive = 0,
    Regional = 1,
    Category = 2,
    VipPaying = 3,
    VipCore = 4,
    Ads = 5,
}

/// <summary>Freeze, dissolve (断舍离); a dissolved community is kept for its history.</summary>
public enum CommunityState
{
    Active = 0,
    Frozen = 1,
    Dissolved = 2,
}

public enum CommunityRole
{
    SubOwner = 1,
    Admin = 2,
    Operator = 3,
    Koc = 4,
}

public sealed class Community : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int PurposeMaxLength = 500;
    public const int TextMaxLength = 4000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public ChatPlatform Platform { get; set; }
    public CommunityType Type { get; set; }
    public CommunitySubType SubType { get; set; }
    public CommunityTier Tier { get; set; }
    public int Capacity { get; set; }
    public string? Purpose { get; set; }
    public string? Intro { get; set; }
    public string? Rules { get; set; }
    public CommunityState State { get; set; }

    /// <summary>The group rules it follows (<see cref="Enforcement.RuleSet"/>); null: the workspace's default rule set.</summary>
    public Guid? RuleSetId { get; set; }

    /// <summary>The nickname format its memberships' <see cref="Members.Membership.NicknameBreaksFormat"/> flags were
    /// checked against (<see cref="Advisor.NicknameFlags"/>); null: none recorded. Not the format it follows now when a
    /// rule set changed since: the advisor then checks the nicknames itself.</summary>
    public string? NicknameFormatChecked { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public List<CommunityStaff> Staff { get; set; } = [];
    public List<Members.Membership> Memberships { get; set; } = [];
    public List<CommunityTagLink> Tags { get; set; } = [];

    /// <summary>The platform's own ceiling on group size (WeChat/WeCom 500, Telegram supergroups 200,000).</summary>
    public static int PlatformCapacityLimit(ChatPlatform platform) => platform switch
    {
        ChatPlatform.WeCom or ChatPlatform.Manual => 500,
        ChatPlatform.Telegram or ChatPlatform.Sandbox => 200_000,
        _ => 500,
    };

    public static bool SubTypeBelongsTo(CommunityType type, CommunitySubType subType) => subType switch
    {
        CommunitySubType.None => true,
        CommunitySubType.Discount or CommunitySubType.Fission or CommunitySubType.Advocacy => type == CommunityType.Marketing,
        CommunitySubType.Tutorial or CommunitySubType.Topic => type == CommunityType.Content,
        _ => type == CommunityType.Service,
    };

    public static bool IsVip(CommunityTier tier) => tier is CommunityTier.VipPaying or CommunityTier.VipCore;
}

public sealed class CommunityStaff
{
    public Guid CommunityId { get; set; }
    public Guid StaffUserId { get; set; }
    public CommunityRole Role { get; set; }
    public DateTime AssignedAt { get; set; } = DateTime.UtcNow;

    public Community? Community { get; set; }
    public StaffUser? StaffUser { get; set; }
}
