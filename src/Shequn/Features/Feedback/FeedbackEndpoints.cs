using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Features.Feedback;

/// <summary>Feedback tickets and their rules over HTTP (see <see cref="FeedbackDesk"/>).</summary>
public static class FeedbackEndpoints
{
    public static RouteGroupBuilder MapFeedbackEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/feedback").WithTags("Feedback");
        group.MapGet("/tickets", List).WithName("ListFeedbackTickets")
            .WithDescription("Complaints and suggestions (工单) of the communities you see, open ones first, newest first. Filters: status (new, inProgress, "
                + "resolved, wontFix), open (true/false), communityId, memberId, department (a department key), kind (complaint, suggestion), "
                + "assignedStaffId. Paged with page and pageSize. KOCs have none (403).");
        group.MapGet("/tickets/{id:guid}", Get).WithName("GetFeedbackTicket");
        group.MapPost("/tickets", Create).WithName("CreateFeedbackTicket")
            .WithDescription("Enters a ticket: communityId, kind and either eventSeq (quotes that message of the community; its author becomes the "
                + "member) or text. department and assignedStaffId are optional: by default the department follows the rules' words and the owner "
                + "is the department's, else the community's staff, else the workspace owner.");
        group.MapPatch("/tickets/{id:guid}", Change).WithName("ChangeFeedbackTicket")
            .WithDescription("Changes status, assignedStaffId or department (fields left out stay). Moves: new → inProgress, resolved or wontFix; "
                + "inProgress → resolved or wontFix; resolved or wontFix → inProgress (reopen). Any other move is 409. note goes with a close.");
        group.MapPost("/tickets/{id:guid}/resolve", Resolve).WithName("ResolveFeedbackTicket")
            .WithDescription("Resolves an open ticket with an optional note; a non-blank answer is sent to the member through the community's connector "
                + "(a reply to the quoted message where the platform can reply, else a message), key feedback:{id}:answer. A closed ticket or a "
                + "second answer is 409.");
        group.MapPost("/check", Check).WithName("CheckFeedbackText")
            .WithDescription("What the workspace's rules make of a line: kind (null when it is neither), department and the word or pattern that decided.");
        group.MapGet("/rules", Rules).WithName("GetFeedbackRules")
            .WithDescription("The workspace's words, patterns, never-feedback phrases and departments (with their default owners); made with the "
                + "defaults on first use.");
        group.MapPut("/rules", SaveRules).WithName("SaveFeedbackRules")
            .WithDescription("Replaces the rules (owner, sub-owners and admins). Patterns are checked like moderation patterns (a pathological one is "
                + "refused); department keys are lower-case letters, digits and dashes; complaintDepartment and suggestionDepartment name departments.");
        return group;
    }

    public static async Task<Results<Ok<Page<FeedbackTicketDto>>, ValidationProblem, ProblemHttpResult>> List(AppDbContext db, FeedbackDesks desks,
        string? status, bool? open, Guid? communityId, Guid? memberId, string? department, string? kind, Guid? assignedStaffId, int? page, int? pageSize,
        CancellationToken ct)
    {
        var validation = new Validation();
        FeedbackStatus? statusValue = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (EventInputs.TryParseEnum<FeedbackStatus>(status, out var s))
                statusValue = s;
            else
                validation.Add("status", "UnknownValue", $"'status' has an unknown value '{status}'; expected one of {EventInputs.Spellings<FeedbackStatus>()}.", status);
        }
        FeedbackKind? kindValue = null;
        if (!string.IsNullOrWhiteSpace(kind))
        {
            if (EventInputs.TryParseEnum<FeedbackKind>(kind, out var k))
                kindValue = k;
            else
                validation.Add("kind", "UnknownValue", $"'kind' has an unknown value '{kind}'; expected one of {EventInputs.Spellings<FeedbackKind>()}.", kind);
        }
        if (!validation.IsValid)
            return validation.Problem();
        var rows = await desks.For(db).ListAsync(new FeedbackFilter(statusValue, communityId, memberId, department, kindValue, open, assignedStaffId), page, pageSize, ct);
        return rows is null ? CommunityEndpoints.Forbidden(FeedbackDesk.KocRefusal) : TypedResults.Ok(rows);
    }

    public static async Task<Results<Ok<FeedbackTicketDto>, NotFound>> Get(AppDbContext db, FeedbackDesks desks, Guid id, CancellationToken ct) =>
        await desks.For(db).GetAsync(id, ct) is { } found ? TypedResults.Ok(found) : TypedResults.NotFound();

    public static async Task<Results<Created<FeedbackTicketDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(AppDbContext db, FeedbackDesks desks,
        FeedbackTicketInput input, CancellationToken ct)
    {
        var result = await desks.For(db).CreateAsync(input, ct);
        return result.Outcome == FeedbackOutcome.Saved
            ? TypedResults.Created($"/api/feedback/tickets/{result.Value!.Id}", result.Value)
            : Failed(result);
    }

    public static async Task<Results<Ok<FeedbackTicketDto>, ValidationProblem, NotFound, ProblemHttpResult>> Change(AppDbContext db, FeedbackDesks desks,
        Guid id, FeedbackTicketChange input, CancellationToken ct) => Answer(await desks.For(db).ChangeAsync(id, input, ct));

    public static async Task<Results<Ok<FeedbackTicketDto>, ValidationProblem, NotFound, ProblemHttpResult>> Resolve(AppDbContext db, FeedbackDesks desks,
        Guid id, FeedbackResolveInput? input, CancellationToken ct) => Answer(await desks.For(db).ResolveAsync(id, input ?? new FeedbackResolveInput(), ct));

    public static async Task<Results<Ok<FeedbackCheckDto>, ValidationProblem, NotFound, ProblemHttpResult>> Check(AppDbContext db, FeedbackDesks desks,
        FeedbackCheckInput input, CancellationToken ct) => Answer(await desks.For(db).CheckAsync(input, ct));

    public static async Task<Results<Ok<FeedbackRulesDto>, ValidationProblem, NotFound, ProblemHttpResult>> Rules(AppDbContext db, FeedbackDesks desks,
        CancellationToken ct) => Answer(await desks.For(db).RulesAsync(ct));

    public static async Task<Results<Ok<FeedbackRulesDto>, ValidationProblem, NotFound, ProblemHttpResult>> SaveRules(AppDbContext db, FeedbackDesks desks,
        FeedbackRulesInput input, CancellationToken ct) => Answer(await desks.For(db).SaveRulesAsync(input, ct));

    private static Results<Ok<T>, ValidationProblem, NotFound, ProblemHttpResult> Answer<T>(FeedbackResult<T> result) =>
        result.Outcome == FeedbackOutcome.Saved ? TypedResults.Ok(result.Value!) : Failed(result);

    private static Results<TOk, ValidationProblem, NotFound, ProblemHttpResult> Failed<TOk, T>(FeedbackResult<T> result) where TOk : IResult =>
        result.Outcome switch
        {
            FeedbackOutcome.Invalid => result.Validation.Problem(),
            FeedbackOutcome.NotFound => TypedResults.NotFound(),
            FeedbackOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Conflict),
            _ => CommunityEndpoints.Forbidden(FeedbackDesk.KocRefusal),
        };

    private static Results<Ok<T>, ValidationProblem, NotFound, ProblemHttpResult> Failed<T>(FeedbackResult<T> result) =>
        Failed<Ok<T>, T>(result);

    private static Results<Created<FeedbackTicketDto>, ValidationProblem, NotFound, ProblemHttpResult> Failed(FeedbackResult<FeedbackTicketDto> result) =>
        Failed<Created<FeedbackTicketDto>, FeedbackTicketDto>(result);
}
