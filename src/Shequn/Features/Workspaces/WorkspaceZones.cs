using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Features.Workspaces;

/// <summary>
/// Each workspace's time zone, read from the database at most every <see cref="Freshness"/> per node. The event
/// processor buckets days by it and the console shows times in it; a change made on this node is seen at once
/// (<see cref="Forget"/>), on other nodes within <see cref="Freshness"/>.
/// </summary>
public sealed class WorkspaceZones(IServiceScopeFactory scopes, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, (TimeZoneInfo Zone, DateTimeOffset ReadAt)> _zones = new();

    /// <summary>The zone for an IANA id, or null when this machine does not know it.</summary>
    public static TimeZoneInfo? Find(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || !TimeZoneInfo.TryFindSystemTimeZoneById(id.Trim(), out var zone))
            return null;
        // Windows ids ("China Standard Time") are found too with ICU; workspaces speak IANA only.
        return zone.HasIanaId ? zone : null;
    }

    public static TimeZoneInfo Default { get; } = Find(Workspace.DefaultTimeZone)
        ?? TimeZoneInfo.CreateCustomTimeZone(Workspace.DefaultTimeZone, TimeSpan.FromHours(8), Workspace.DefaultTimeZone, Workspace.DefaultTimeZone);

    /// <summary>Every zone a workspace may choose, by IANA id.</summary>
    public static IReadOnlyList<string> Known { get; } = [.. TimeZoneInfo.GetSystemTimeZones()
        .Where(z => z.HasIanaId).Select(z => z.Id).Order(StringComparer.Ordinal)];

    public async Task<TimeZoneInfo> GetAsync(Guid workspaceId, CancellationToken ct = default)
    {
        if (Cached(workspaceId) is { } zone)
            return zone;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var id = await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.TimeZone).SingleOrDefaultAsync(ct);
        return Remember(workspaceId, id);
    }

    /// <summary>For rendering, where awaiting is not possible (a time printed inside a string).</summary>
    public TimeZoneInfo Get(Guid workspaceId)
    {
        if (Cached(workspaceId) is { } zone)
            return zone;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var id = db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.TimeZone).SingleOrDefault();
        return Remember(workspaceId, id);
    }

    public void Forget(Guid workspaceId) => _zones.TryRemove(workspaceId, out _);

    private TimeZoneInfo? Cached(Guid workspaceId) =>
        _zones.TryGetValue(workspaceId, out var entry) && clock.GetUtcNow() - entry.ReadAt < Freshness ? entry.Zone : null;

    private TimeZoneInfo Remember(Guid workspaceId, string? id)
    {
        var zone = Find(id) ?? Default;
        _zones[workspaceId] = (zone, clock.GetUtcNow());
        return zone;
    }
}
