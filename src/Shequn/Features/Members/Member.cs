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

public sealed class Member : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int FieldMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string DisplayName { get; set; }
    public string? City { get; set; }
    public string? Industry { get; set; }
    public MemberNeeds Needs { get; set; }
    public string? Channel { get; set; }
    public string? Organisations { get; set; }
    public MemberLayer Layer { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

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
    public string? Channel { get; set; }
    public Guid? InviterMemberId { get; set; }

    public Community? Community { get; set; }
    public Member? Member { get; set; }
    public Member? Inviter { get; set; }
}
