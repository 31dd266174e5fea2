using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;

namespace Shequn.Features.Vip;

/// <summary>
/// A member who joins a VIP community (tier VIP-paying or VIP-core) becomes <see cref="MemberLayer.Vip"/> (a KOC or core
/// member keeps the higher layer), and their invitation to it, if any, records the join. A reaction of the event
/// processor, so it happens once with the join.
/// </summary>
public sealed class VipLayerReaction : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        var joins = new Dictionary<(Guid Community, Guid Member), DateTime>();
        var workspaces = new HashSet<Guid>();
        foreach (var e in events)
        {
            if (e.Kind != EventKind.MemberJoined || e.UserId is null || effects.CommunityOf.GetValueOrDefault(e.Seq) is not { } community
                || !Community.IsVip(community.Tier) || !effects.MemberOf.TryGetValue((e.WorkspaceId, e.Platform, e.UserId), out var member))
                continue;
            joins.TryAdd((community.Id, member), e.OccurredAt);
            workspaces.Add(e.WorkspaceId);
        }
        if (joins.Count == 0)
            return 0;
        var ids = joins.Keys.Select(k => k.Member).Distinct().ToList();
        // Members the batch just made are tracked (not saved yet); the others are loaded, tracked, from the database.
        var members = db.ChangeTracker.Entries<Member>().Where(x => ids.Contains(x.Entity.Id)).Select(x => x.Entity).ToDictionary(m => m.Id);
        var missing = ids.Where(id => !members.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            foreach (var m in await db.Members.IgnoreQueryFilters().Where(m => missing.Contains(m.Id)).ToListAsync(ct))
                members[m.Id] = m;
        }
        foreach (var m in members.Values.Where(m => m.Layer == MemberLayer.Regular))
            m.Layer = MemberLayer.Vip;
        var communities = joins.Keys.Select(k => k.Community).Distinct().ToList();
        var invitations = await db.Set<VipInvitation>().IgnoreQueryFilters()
            .Where(i => workspaces.Contains(i.WorkspaceId) && ids.Contains(i.MemberId) && communities.Contains(i.CommunityId) && i.JoinedAt == null).ToListAsync(ct);
        foreach (var i in invitations)
        {
            if (joins.TryGetValue((i.CommunityId, i.MemberId), out var at))
                i.JoinedAt = at;
        }
        return 0;
    }
}
