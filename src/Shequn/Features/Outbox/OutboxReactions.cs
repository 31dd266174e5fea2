using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;

namespace Shequn.Features.Outbox;

/// <summary>What a reaction wants done in the group because of one event.</summary>
public sealed record ReactionAction(ActionKind Kind, ActionPayload Payload);

/// <summary>
/// Something Shequn does in response to an event (later: welcomes, rule enforcement, auto-replies). It only decides;
/// the actions it returns are written in the processor's transaction, next to the checkpoint, so an event's
/// reaction is neither lost by a crash nor made twice. Must be deterministic and quick: it runs inside that transaction.
/// </summary>
public interface IEventReaction
{
    /// <summary>Stable: it is part of the actions' idempotency keys.</summary>
    string Name { get; }

    IEnumerable<ReactionAction> React(CommunityEvent e, Community community);
}

/// <summary>
/// A reaction that needs the whole batch and the database: state that spans events (a burst of joins answered by one
/// welcome, an auto-reply's cooldown, a question waiting for its answer). Runs inside the processor's transaction after
/// the effects (members and memberships are resolved: see <see cref="EventEffects.MemberOf"/> and
/// <see cref="EventEffects.InsideSince"/>) and the group rules; what it adds to <paramref name="db"/> (rows of its own,
/// <see cref="OutboundAction"/>s) commits with the checkpoint, so it happens once across crashes and nodes. It must not
/// save or commit, and should keep no state in memory that a rolled-back batch would leave wrong.
/// Register with <c>services.AddSingleton&lt;IBatchReaction, X&gt;()</c>.
/// </summary>
public interface IBatchReaction
{
    /// <summary>Returns how many actions it added (the dispatcher is woken after the commit when any were).</summary>
    Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct);
}

/// <summary>Runs the registered reactions over a processed batch and adds their actions to the batch's transaction.</summary>
public sealed class OutboxReactions(IEnumerable<IEventReaction> reactions, OutboxSignal signal)
{
    private readonly IEventReaction[] _reactions = [.. reactions];

    /// <summary>Adds the actions to <paramref name="db"/>; the processor saves them with its effects.</summary>
    public int Append(AppDbContext db, IReadOnlyList<CommunityEvent> events, IReadOnlyDictionary<long, Community?> communities)
    {
        if (_reactions.Length == 0)
            return 0;
        var added = 0;
        foreach (var e in events)
        {
            if (communities.GetValueOrDefault(e.Seq) is not { } community)
                continue;
            foreach (var reaction in _reactions)
            {
                var n = 0;
                foreach (var wanted in reaction.React(e, community))
                {
                    var action = OutboundAction.Create(e.WorkspaceId, community.Id, wanted.Kind, wanted.Payload, $"event:{e.Seq}:{reaction.Name}:{n++}");
                    action.CausedByEventSeq = e.Seq;
                    db.Set<OutboundAction>().Add(action);
                    added++;
                }
            }
        }
        return added;
    }

    /// <summary>After the processor committed: wake the dispatcher.</summary>
    public void Committed(int added)
    {
        if (added > 0)
            signal.Notify();
    }
}
