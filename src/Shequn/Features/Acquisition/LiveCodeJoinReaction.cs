using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Outbox;

namespace Shequn.Features.Acquisition;

/// <summary>
/// Telegram join requests through a live code's invite link (named with the code's key, so the request's
/// <see cref="CommunityEvent.Channel"/> is it) are approved: the link asks for approval only so that blacklisted people
/// can be kept out. A blacklisted person's request is left to the group rules, which decline it
/// (<see cref="Enforcer"/> marks it turned away); when they did not (enforcement switched off), it is declined here.
/// Requests older than <see cref="EnforcementOptions.LateAfter"/> (a backlog) are left alone, as the group rules leave
/// them. Actions are written in the processor's transaction (keys <c>event:{seq}:livecode:approve|decline</c>), so each
/// is made once.
/// </summary>
public sealed class LiveCodeJoinReaction(TimeProvider time, IOptions<EnforcementOptions> enforcement) : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        var now = time.GetUtcNow().UtcDateTime;
        var requests = events.Where(e => e.Kind == EventKind.JoinRequested && e.UserId is not null && e.Channel is { Length: > 3 } ch
                && ch.StartsWith("lc-", StringComparison.Ordinal) && effects.CommunityOf.GetValueOrDefault(e.Seq) is not null
                && now - DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc) <= enforcement.Value.LateAfter)
            .ToList();
        if (requests.Count == 0)
            return 0;
        var codes = requests.Select(e => e.Channel![3..]).Distinct().ToList();
        var known = (await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().Where(c => codes.Contains(c.Code) && c.State != LiveCodeState.Archived)
            .Select(c => new { c.WorkspaceId, c.Code }).ToListAsync(ct)).Select(c => (c.WorkspaceId, c.Code)).ToHashSet();
        requests = [.. requests.Where(e => known.Contains((e.WorkspaceId, e.Channel![3..])))];
        if (requests.Count == 0)
            return 0;
        var workspaces = requests.Select(e => e.WorkspaceId).Distinct().ToList();
        var users = requests.Select(e => e.UserId!).Distinct().ToList();
        var blacklisted = (await db.Set<BlacklistEntry>().IgnoreQueryFilters().AsNoTracking()
            .Where(b => workspaces.Contains(b.WorkspaceId) && users.Contains(b.UserId)).Select(b => new { b.WorkspaceId, b.Platform, b.UserId }).ToListAsync(ct))
            .Select(b => (b.WorkspaceId, b.Platform, b.UserId)).ToHashSet();
        var added = 0;
        foreach (var e in requests)
        {
            var community = effects.CommunityOf[e.Seq]!;
            ActionKind kind;
            if (blacklisted.Contains((e.WorkspaceId, e.Platform, e.UserId!)))
            {
                if (effects.TurnedAway.Contains(e.Seq))
                    continue; // the group rules declined it already
                kind = ActionKind.DeclineJoin;
                effects.TurnedAway.Add(e.Seq);
            }
            else if (effects.TurnedAway.Contains(e.Seq))
                continue; // turned away by a rule of the group: not ours to let in
            else
                kind = ActionKind.ApproveJoin;
            var action = OutboundAction.Create(e.WorkspaceId, community.Id, kind, new ActionPayload(UserId: e.UserId),
                $"event:{e.Seq}:livecode:{(kind == ActionKind.ApproveJoin ? "approve" : "decline")}");
            action.CausedByEventSeq = e.Seq;
            db.Set<OutboundAction>().Add(action);
            added++;
        }
        return added;
    }
}
