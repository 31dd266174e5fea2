namespace Shequn.Features.Enforcement;

/// <summary>
/// Tells whoever holds compiled rule sets on this node that a workspace's rule sets or a community's choice of
/// rule set changed (saved, made default, deleted, assigned), so they can reload at once instead of at their next
/// look (the enforcer's rule sets, the advisor's nickname flags). Other nodes learn it from the rows: every change moves <see cref="RuleSet.UpdatedAt"/> of the rule sets it
/// touches or <see cref="Communities.Community.UpdatedAt"/> of the community it assigns. A singleton.
/// </summary>
public sealed class RuleSetChanges
{
    public event Action<Guid>? Changed;

    public void Notify(Guid workspaceId) => Changed?.Invoke(workspaceId);
}
