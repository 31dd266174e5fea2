using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Connectors.Sandbox;

/// <summary>The Sandbox is part of Shequn: each Sandbox community is a connection that is always up.</summary>
public sealed class SandboxConnectorHealth(IServiceScopeFactory scopes) : IConnectorHealth
{
    public async Task<IReadOnlyList<ConnectionHealth>> ConnectionsAsync(Guid? workspaceId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var communities = db.Communities.IgnoreQueryFilters().AsNoTracking().Where(c => c.Platform == ChatPlatform.Sandbox && c.State != CommunityState.Dissolved);
        if (workspaceId is { } ws)
            communities = communities.Where(c => c.WorkspaceId == ws);
        return await communities.OrderBy(c => c.Name)
            .Select(c => new ConnectionHealth(c.WorkspaceId, ChatPlatform.Sandbox, c.Name, ConnectionState.Connected, null, null))
            .ToListAsync(ct);
    }
}
