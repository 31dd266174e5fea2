using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Tags;

namespace Shequn.Features.Members;

/// <summary>What a member comes for (seed 002's info template).</summary>
[Flags]
public enum MemberNeeds
{
    None = 0,
    Business = 1,
    Knowledge = 2,
    Life = 4,
}

public enum MemberLayer
{
    Regular = 0,
    Vip = 1,
    Koc = 2,
    Core = 3,
}

/// <summary>
/// Where a member is in their life with the brand's communities, computed daily (<see cref="MemberLifecycle"/>) from
/// joins, leaves and speaking, with thresholds the workspace sets.
/// </summary>
public enum MemberStage
{
    /// <summary>Joined a community within the last few days (7 by default).</summary>
    New = 0,
    /// <summary>In a community and spoke recently.</summary>
    Active = 1,
    /// <summary>In a community but no message for a while (14 days by default).</summary>
    Silent = 2,
    /// <summary>Left every community, or silent for long (30 days by default).</summary>
    Churned = 3,
}

public sealed class Member : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int FieldMaxLength = 200;
    public const int PhoneMaxLength = 30;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string DisplayName { get; set; }
    public string? City { get; set; }
    public string? Industry { get; set; }

    /// <summary>Personal data: masked in lists, shown only to roles allowed to see it (each reveal logged).</summary>
    public string? Phone { get; set; }
    public MemberNeeds Needs { get; set; }
    public string? Channel { get; set; }
    public string? Organisations { get; set; }
    public MemberLayer Layer { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>Computed daily by <see cref="MemberLifecycle"/>; a member the platform just announced starts new.</summary>
    public MemberStage Stage { get; set; }

    /// <summary>When <see cref="Stage"/> last changed (null until the first computation).</summary>
    public DateTime? StageChangedAt { get; set; }

    /// <summary>Set by the owner when the member's data must be kept (a dispute, an authority's request): no erasure.</summary>
    public bool LegalHold { get; set; }

    public string? LegalHoldReason { get; set; }

    /// <summary>When the member withdrew their consent (PIPL): nothing targets them until they consent again (<see cref="Consents"/>).</summary>
    public DateTime? ConsentWithdrawnAt { get; set; }

    public List<Membership> Memberships { get; set; } = [];
    public List<MemberTag> Tags { get; set; } = [];
}

public sealed class Membership : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public Guid MemberId { get; set; }
    public DateTime JoinedAt { get; set; }
    public DateTime? LeftAt { get; set; }
    public string? Nickname { get; set; }

    /// <summary>Whether <see cref="Nickname"/> breaks the nickname format recorded on its community
    /// (<see cref="Communities.Community.NicknameFormatChecked"/>); null: not checked (no nickname, no format recorded, or
    /// written around EF). Kept by <see cref="Advisor.NicknameFlags"/> so that the advisor counts in the database.</summary>
    public bool? NicknameBreaksFormat { get; set; }

    public string? Channel { get; set; }
    public Guid? InviterMemberId { get; set; }

    public Community? Community { get; set; }
    public Member? Member { get; set; }
    public Member? Inviter { get; set; }
}
