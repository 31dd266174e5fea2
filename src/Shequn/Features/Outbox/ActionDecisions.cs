using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Outbox;

/// <summary>What staff decide about an action that needs them.</summary>
public enum ActionDecision
{
    /// <summary>An uncertain send did reach the group: mark it done.</summary>
    Arrived = 0,
    /// <summary>An uncertain send did not reach the group: send it again as a new action linked to this one.</summary>
    SendAgain = 1,
    /// <summary>A failed action: queue it again with fresh attempts.</summary>
    Retry = 2,
}

/// <param name="Force">Retry even though the platform refused for good (category permanent).</param>
public sealed record ActionDecisionInput(string? Decision, bool? Force = null);

public enum DecisionOutcome
{
    Decided,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>The action's state does not allow this decision (any more); see <see cref="DecisionResult.Conflict"/>.</summary>
    Conflict,
}

/// <param name="Resent">For <see cref="ActionDecision.SendAgain"/>: the new action.</param>
public sealed record DecisionResult(DecisionOutcome Outcome, Validation Validation, OutboundAction? Action = null, OutboundAction? Resent = null, Reason? Conflict = null);

/// <summary>
/// Staff settle what the dispatcher could not: an uncertain send (it arrived / send it again) and a failed action
/// (retry). Shared by the console and <c>POST /api/actions/{id}/decision</c>; role rules are those of enqueueing an
/// action; each decision is saved with its audit row, and a concurrent decision on the same action is a conflict.
/// </summary>
public sealed class ActionDecisions(AppDbContext db, OutboxSignal signal, TimeProvider time)
{
    public async Task<DecisionResult> DecideAsync(Guid actionId, ActionDecisionInput input, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var action = await db.Set<OutboundAction>().SingleOrDefaultAsync(a => a.Id == actionId, ct);
        if (me is null || action is null || !await db.Visible(me).AnyAsync(c => c.Id == action.CommunityId, ct))
            return new DecisionResult(DecisionOutcome.NotFound, new Validation());
        if (!me.CanEditCommunities)
            return new DecisionResult(DecisionOutcome.Forbidden, new Validation());
        var validation = new Validation();
        if (!EventInputs.TryParseEnum(input.Decision, out ActionDecision decision))
        {
            validation.Add("decision", "UnknownValue", $"'decision' must be one of {EventInputs.Spellings<ActionDecision>()}.", input.Decision ?? "");
            return new DecisionResult(DecisionOutcome.Invalid, validation);
        }
        if (Refusal(action, decision, input.Force == true) is { } refusal)
            return new DecisionResult(DecisionOutcome.Conflict, validation, action, Conflict: refusal);

        var now = time.GetUtcNow().UtcDateTime;
        OutboundAction? resent = null;
        switch (decision)
        {
            case ActionDecision.Arrived:
                action.Status = ActionStatus.Done;
                Resolve(action, ActionResolution.Arrived, me, now);
                break;
            case ActionDecision.SendAgain:
                var payload = ActionPayload.FromJson(action.Payload) with { TaskText = null };
                // One key per uncertain action: sending the same one again twice makes one new action.
                resent = OutboundAction.Create(action.WorkspaceId, action.CommunityId, action.Kind, payload, $"again:{action.Id:N}");
                resent.CausedByStaffId = me.Id;
                resent.ResendOfId = action.Id;
                db.Set<OutboundAction>().Add(resent);
                Resolve(action, ActionResolution.SentAgain, me, now);
                break;
            case ActionDecision.Retry:
                action.Status = ActionStatus.Queued;
                action.Attempts = 0;
                action.NextAttemptAt = now;
                action.CompletedAt = null;
                action.UpdatedAt = now;
                break;
        }
        try
        {
            await db.SaveChangesAsync(ct); // the audit rows join this save
        }
        catch (DbUpdateException)
        {
            // Another decision (or the dispatcher) changed the action since it was read; the key of a resend is taken.
            return new DecisionResult(DecisionOutcome.Conflict, validation, action,
                Conflict: new Reason("Actions.Conflict.Concurrent", "Someone else decided about this action at the same time; reload it."));
        }
        signal.Notify();
        return new DecisionResult(DecisionOutcome.Decided, validation, action, resent);
    }

    /// <summary>Why the decision does not fit the action's state, or null when it does.</summary>
    public static Reason? Refusal(OutboundAction action, ActionDecision decision, bool force) => decision switch
    {
        ActionDecision.Arrived or ActionDecision.SendAgain when action.Status != ActionStatus.Uncertain || action.Resolution is not null =>
            new Reason("Actions.Conflict.NotUncertain", $"Only an uncertain action nobody has decided about can be marked arrived or sent again (this one is {action.Status}{(action.Resolution is { } r ? ", " + r : "")}).", StatusReason(action)),
        ActionDecision.Retry when action.Status != ActionStatus.Failed =>
            new Reason("Actions.Conflict.NotFailed", $"Only a failed action can be retried (this one is {action.Status}).", StatusReason(action)),
        ActionDecision.Retry when action.ErrorCategory == ErrorCategory.Permanent && !force =>
            new Reason("Actions.Conflict.Permanent", "The platform refused this for good (permanent): a retry would most likely fail the same way. Send force: true to retry anyway."),
        _ => null,
    };

    private static Reason StatusReason(OutboundAction action) => action.Resolution is { } r
        ? new Reason($"ActionResolution.{r}", r.ToString())
        : new Reason($"ActionStatus.{action.Status}", action.Status.ToString());

    /// <summary>Which decisions staff may take on the action now (what the console offers).</summary>
    public static IEnumerable<ActionDecision> Open(OutboundAction action) =>
        Enum.GetValues<ActionDecision>().Where(d => Refusal(action, d, force: true) is null);

    private static void Resolve(OutboundAction action, ActionResolution resolution, StaffProfile me, DateTime now)
    {
        action.Resolution = resolution;
        action.ResolvedByStaffId = me.Id;
        action.ResolvedAt = now;
        action.UpdatedAt = now;
    }
}
