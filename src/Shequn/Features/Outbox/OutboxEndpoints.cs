using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Features.Outbox;

/// <summary>A staff action as asked through the API. Which fields are needed depends on <c>kind</c>.</summary>
public sealed record ActionInput(
    string? Kind,
    string? Text = null,
    string? MessageId = null,
    string? UserId = null,
    DateTimeOffset? Until = null,
    string? Name = null,
    string? InviteLink = null,
    int? MemberLimit = null,
    bool? JoinRequest = null,
    string? IdempotencyKey = null);

public sealed record ActionDto(
    Guid Id,
    Guid CommunityId,
    ActionKind Kind,
    ActionPayload Payload,
    ActionStatus Status,
    int Attempts,
    DateTime NextAttemptAt,
    string? PlatformIds,
    ErrorCategory? ErrorCategory,
    string? Error,
    long? CausedByEventSeq,
    Guid? CausedByStaffId,
    string IdempotencyKey,
    DateTime CreatedAt,
    DateTime? CompletedAt,
    ActionResolution? Resolution = null,
    Guid? ResolvedByStaffId = null,
    DateTime? ResolvedAt = null,
    Guid? ResendOfId = null);

/// <summary>The answer to a decision: the action as it is now, and for sendAgain the new action.</summary>
public sealed record DecisionDto(ActionDto Action, ActionDto? Resent);

public sealed record EnqueueResult(EditOutcome Outcome, Validation Validation, OutboundAction? Action = null, bool Existing = false);

/// <summary>Staff ask for an action in a community (API now, the console later): role check, validation, one
/// transaction holding the action and its audit row.</summary>
public sealed class StaffActions(AppDbContext db, OutboxSignal signal)
{
    public async Task<EnqueueResult> EnqueueAsync(Guid communityId, ActionInput input, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !await db.Visible(me).AnyAsync(c => c.Id == communityId, ct))
            return new EnqueueResult(EditOutcome.NotFound, new Validation());
        if (!me.CanEditCommunities)
            return new EnqueueResult(EditOutcome.Forbidden, new Validation());
        var validation = OutboxInputs.Check(input, DateTime.UtcNow, out var kind, out var payload);
        if (!validation.IsValid)
            return new EnqueueResult(EditOutcome.Invalid, validation);

        var key = string.IsNullOrWhiteSpace(input.IdempotencyKey) ? "staff:" + Guid.CreateVersion7().ToString("N") : input.IdempotencyKey.Trim();
        var existing = await db.Set<OutboundAction>().SingleOrDefaultAsync(a => a.IdempotencyKey == key, ct);
        if (existing is not null)
        {
            if (existing.CommunityId != communityId || existing.Kind != kind)
                return new EnqueueResult(EditOutcome.Invalid, new Validation().Add("idempotencyKey", "Taken", "'idempotencyKey' was already used for another action."));
            return new EnqueueResult(EditOutcome.Saved, validation, existing, Existing: true);
        }
        var action = OutboundAction.Create(db.CurrentWorkspaceId, communityId, kind, payload, key);
        action.CausedByStaffId = me.Id;
        db.Set<OutboundAction>().Add(action);
        try
        {
            await db.SaveChangesAsync(ct); // the audit row joins this save
        }
        catch (DbUpdateException) when (!string.IsNullOrWhiteSpace(input.IdempotencyKey))
        {
            // The same key raced in from another request: that one made the action.
            db.ChangeTracker.Clear();
            var winner = await db.Set<OutboundAction>().AsNoTracking().SingleOrDefaultAsync(a => a.IdempotencyKey == key, ct);
            if (winner is null)
                throw;
            return new EnqueueResult(EditOutcome.Saved, validation, winner, Existing: true);
        }
        signal.Notify();
        return new EnqueueResult(EditOutcome.Saved, validation, action);
    }
}

public static class OutboxInputs
{
    public static Validation Check(ActionInput input, DateTime now, out ActionKind kind, out ActionPayload payload)
    {
        var v = new Validation();
        payload = new ActionPayload();
        if (!EventInputs.TryParseEnum(input.Kind, out kind))
        {
            v.Add("kind", "UnknownValue", $"'kind' must be one of {EventInputs.Spellings<ActionKind>()}.", input.Kind ?? "");
            return v;
        }
        switch (kind)
        {
            case ActionKind.Send or ActionKind.MassSend:
                v.Required("text", input.Text, OutboundAction.TextMaxLength);
                break;
            case ActionKind.Reply:
                v.Required("text", input.Text, OutboundAction.TextMaxLength);
                v.Required("messageId", input.MessageId, CommunityEvent.IdMaxLength);
                break;
            case ActionKind.DeleteMessage:
                v.Required("messageId", input.MessageId, CommunityEvent.IdMaxLength);
                break;
            case ActionKind.CreateInviteLink:
                v.MaxLength("name", input.Name, 32);
                if (input.MemberLimit is < 1 or > 99_999)
                    v.Add("memberLimit", "OutOfRange", "'memberLimit' must be between 1 and 99999.");
                else if (input.MemberLimit is not null && input.JoinRequest == true)
                    v.Add("memberLimit", "OutboxLimitWithApproval", "'memberLimit' cannot be combined with 'joinRequest': a link that needs approval has no member limit.");
                if (input.Until is { } expires && expires.UtcDateTime <= now)
                    v.Add("until", "OutOfRange", "'until' (the link's expiry) must be in the future.");
                break;
            case ActionKind.RevokeInviteLink:
                v.Required("inviteLink", input.InviteLink, 500);
                break;
            default: // restrict, remove, ban, unban, approve/decline a join request: about one person
                v.Required("userId", input.UserId, CommunityEvent.IdMaxLength);
                if (kind == ActionKind.Restrict && input.Until is { } until && until.UtcDateTime <= now)
                    v.Add("until", "OutOfRange", "'until' (the end of the restriction) must be in the future.");
                break;
        }
        v.MaxLength("idempotencyKey", input.IdempotencyKey?.Trim(), OutboundAction.KeyMaxLength);
        payload = new ActionPayload(input.Text, input.MessageId?.Trim(), input.UserId?.Trim(), input.Until, input.Name?.Trim(), input.InviteLink?.Trim(), input.MemberLimit, input.JoinRequest);
        return v;
    }
}

public static class OutboxEndpoints
{
    public static RouteGroupBuilder MapOutboxEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/").WithTags("Actions");
        group.MapPost("/communities/{id:guid}/actions", Enqueue).WithName("EnqueueAction")
            .WithDescription("Queues an action in the community's group (send, reply, deleteMessage, restrict, remove, ban, unban, createInviteLink, "
                + "revokeInviteLink, approveJoin, declineJoin, massSend). 202 with the queued action; the same idempotencyKey again returns "
                + "the first action (200). What the platform cannot do becomes status task.");
        group.MapGet("/communities/{id:guid}/actions", List).WithName("ListActions");
        group.MapGet("/actions", ListAll).WithName("ListWorkspaceActions")
            .WithDescription("Actions of the communities the caller sees. Filters: status, communityId, kind, attention=true (failed, and uncertain "
                + "ones nobody has decided about). Those needing attention come first, then newest first.");
        group.MapGet("/actions/{id:guid}", Get).WithName("GetAction");
        group.MapPost("/actions/{id:guid}/decision", Decide).WithName("DecideAction")
            .WithDescription("Staff settle an action: arrived (an uncertain send reached the group: done), sendAgain (it did not: a new action "
                + "linked by resendOfId), retry (a failed action is queued again; one the platform refused for good needs force: true). "
                + "409 when the action's state does not allow the decision.");
        return group;
    }

    public static async Task<Results<Accepted<ActionDto>, Ok<ActionDto>, ValidationProblem, NotFound, ProblemHttpResult>> Enqueue(
        StaffActions actions, Guid id, ActionInput input, CancellationToken ct)
    {
        var result = await actions.EnqueueAsync(id, input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved when result.Existing => TypedResults.Ok(Dto(result.Action!)),
            EditOutcome.Saved => TypedResults.Accepted($"/api/actions/{result.Action!.Id}", Dto(result.Action)),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<Page<ActionDto>>, NotFound, ProblemHttpResult>> List(AppDbContext db, Guid id, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !await db.Visible(me).AnyAsync(c => c.Id == id, ct))
            return TypedResults.NotFound();
        if (!ActionLog.MayRead(me))
            return CommunityEndpoints.Forbidden();
        var rows = await ActionLog.ListAsync(db, me, new ActionFilter(CommunityId: id), attentionFirst: false, page, pageSize, ct);
        return TypedResults.Ok(new Page<ActionDto>([.. rows.Items.Select(r => Dto(r.Action))], rows.Total, rows.PageNumber, rows.PageSize));
    }

    public static async Task<Results<Ok<Page<ActionDto>>, ValidationProblem, ProblemHttpResult>> ListAll(
        AppDbContext db, string? status, Guid? communityId, string? kind, bool? attention, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!ActionLog.MayRead(me))
            return CommunityEndpoints.Forbidden();
        var v = new Validation();
        var filter = new ActionFilter(communityId, v.ParseEnum<ActionStatus>("status", status), v.ParseEnum<ActionKind>("kind", kind), attention == true);
        if (!v.IsValid)
            return v.Problem();
        var rows = await ActionLog.ListAsync(db, me!, filter, attentionFirst: true, page, pageSize, ct);
        return TypedResults.Ok(new Page<ActionDto>([.. rows.Items.Select(r => Dto(r.Action))], rows.Total, rows.PageNumber, rows.PageSize));
    }

    public static async Task<Results<Ok<ActionDto>, NotFound, ProblemHttpResult>> Get(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var action = await db.Set<OutboundAction>().AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, ct);
        if (action is null || !await db.Visible(me).AnyAsync(c => c.Id == action.CommunityId, ct))
            return TypedResults.NotFound();
        if (!ActionLog.MayRead(me))
            return CommunityEndpoints.Forbidden();
        return TypedResults.Ok(Dto(action));
    }

    public static async Task<Results<Ok<DecisionDto>, ValidationProblem, NotFound, ProblemHttpResult>> Decide(
        ActionDecisions decisions, Guid id, ActionDecisionInput input, CancellationToken ct)
    {
        var result = await decisions.DecideAsync(id, input, ct);
        return result.Outcome switch
        {
            DecisionOutcome.Decided => TypedResults.Ok(new DecisionDto(Dto(result.Action!), result.Resent is { } r ? Dto(r) : null)),
            DecisionOutcome.Invalid => result.Validation.Problem(),
            DecisionOutcome.NotFound => TypedResults.NotFound(),
            DecisionOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Conflict?.English),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    internal static ActionDto Dto(OutboundAction a) => new(
        a.Id, a.CommunityId, a.Kind, ActionPayload.FromJson(a.Payload), a.Status, a.Attempts, a.NextAttemptAt, a.PlatformIds,
        a.ErrorCategory, a.Error, a.CausedByEventSeq, a.CausedByStaffId, a.IdempotencyKey, a.CreatedAt, a.CompletedAt,
        a.Resolution, a.ResolvedByStaffId, a.ResolvedAt, a.ResendOfId);
}
