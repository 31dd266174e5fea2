using Shequn.Data;

namespace Shequn.Features.Audit;

public sealed class AuditEntry : IWorkspaceOwned
{
    public long Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid? ActorId { get; set; }
    public string ActorName { get; set; } = "";
    /// <summary>created, updated or deleted.</summary>
    public required string Action { get; set; }
    public required string EntityType { get; set; }
    public required string EntityId { get; set; }
    public string? Before { get; set; }
    public string? After { get; set; }
    public DateTime At { get; set; } = DateTime.UtcNow;
}
