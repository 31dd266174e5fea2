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

public sealed class MemberTag
{
    public Guid MemberId { get; set; }
    public Guid TagId { get; set; }
    public DateTime AssignedAt { get; set; } = DateTime.UtcNow;

    public Member? Member { get; set; }
    public Tag? Tag { get; set; }
}
