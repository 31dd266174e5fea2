namespace Shequn.Data;

/// <summary>An entity that belongs to exactly one workspace; the context filters and stamps it.</summary>
public interface IWorkspaceOwned
{
    Guid WorkspaceId { get; set; }
}

/// <summary>Changes to these entities are written to the audit log with before/after values.</summary>
public interface IAudited
{
    Guid Id { get; }
}
