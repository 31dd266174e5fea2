using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Enforcement;

/// <summary>A workspace's rule sets as the processor reads them: the default and those communities name.</summary>
public sealed class WorkspaceRuleSets(RuleSetSpec fallback, IReadOnlyDictionary<Guid, RuleSetSpec> byId)
{
    /// <summary>The workspace's default rule set, or <c>new RuleSetSpec()</c> while it has none.</summary>
    public RuleSetSpec Default { get; } = fallback;

    /// <summary>The rule set that applies in <paramref name="community"/>: its own, else the workspace's default.</summary>
    public RuleSetSpec For(Community community) =>
        community.RuleSetId is { } id && byId.TryGetValue(id, out var spec) ? spec : Default;
}

/// <summary>
/// Caches each workspace's rule sets for the processor, re-read at most every <see cref="Ttl"/> (a change in the
/// console or on another node applies within that). A rule set that cannot be read is left out (its communities use
/// the default) rather than stopping the processor. A save on this node (<see cref="RuleSetChanges"/>) applies at once.
/// </summary>
public sealed partial class RuleSetDirectory(TimeProvider time, ILogger<RuleSetDirectory> log)
{
    public RuleSetDirectory(TimeProvider time, ILogger<RuleSetDirectory> log, RuleSetChanges changes)
        : this(time, log)
    {
        ArgumentNullException.ThrowIfNull(changes);
        changes.Changed += Invalidate;
    }

    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, (WorkspaceRuleSets Sets, long At)> _cache = new();

    public async Task<WorkspaceRuleSets> GetAsync(AppDbContext db, Guid workspaceId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (_cache.TryGetValue(workspaceId, out var hit) && time.GetElapsedTime(hit.At) < Ttl)
            return hit.Sets;
        var rows = await db.Set<RuleSet>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.WorkspaceId == workspaceId)
            .Select(r => new { r.Id, r.IsDefault, r.Spec })
            .ToListAsync(ct);
        var byId = new Dictionary<Guid, RuleSetSpec>();
        RuleSetSpec? fallback = null;
        foreach (var row in rows)
        {
            try
            {
                var spec = RuleSetSpec.FromJson(row.Spec);
                byId[row.Id] = spec;
                if (row.IsDefault)
                    fallback = spec;
            }
            catch (System.Text.Json.JsonException ex)
            {
                LogUnreadable(log, ex, row.Id);
            }
        }
        var sets = new WorkspaceRuleSets(fallback ?? new RuleSetSpec(), byId);
        _cache[workspaceId] = (sets, time.GetTimestamp());
        return sets;
    }

    /// <summary>Forget the cached sets of a workspace (after this node saved a change).</summary>
    public void Invalidate(Guid workspaceId) => _cache.TryRemove(workspaceId, out _);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule set {Id} could not be read; its communities use the workspace default")]
    private static partial void LogUnreadable(ILogger logger, Exception ex, Guid id);
}
