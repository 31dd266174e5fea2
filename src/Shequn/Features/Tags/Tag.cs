using Shequn.Data;
using Shequn.Features.Members;

namespace Shequn.Features.Tags;

public sealed class Tag : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 50;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public List<MemberTag> Members { get; set; } = [];
}

/// <summary>Who gave a member a tag: staff, or an auto-tag rule (<see cref="TagRule"/>).</summary>
public enum TagSource
{
    Manual = 0,
    Auto = 1,
}

/// <summary>
/// Whether staff agree with a tag. Staff's own tags are confirmed; a rule's start suggested until staff confirm or reject
/// them. A rejected row is kept (hidden from every ordinary query by the model's filter) so that no rule gives the tag
/// back and the tag's accuracy can be reported.
/// </summary>
public enum MemberTagState
{
    /// <summary>The default, so that tags made before review existed count as staff's.</summary>
    Confirmed = 0,
    Suggested = 1,
    Rejected = 2,
}

public sealed class MemberTag
{
    public Guid MemberId { get; set; }
    public Guid TagId { get; set; }
    public DateTime AssignedAt { get; set; } = DateTime.UtcNow;

    public TagSource Source { get; set; }

    /// <summary>The rule that gave an auto-tag (null for staff's tags, or when the rule was deleted).</summary>
    public Guid? RuleId { get; set; }

    public MemberTagState State { get; set; }

    /// <summary>When staff confirmed or rejected an auto-tag, and who.</summary>
    public DateTime? ReviewedAt { get; set; }
    public Guid? ReviewedById { get; set; }

    public Member? Member { get; set; }
    public Tag? Tag { get; set; }
}
