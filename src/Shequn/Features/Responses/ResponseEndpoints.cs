using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Responses;

/// <summary>Response tracking over HTTP (see <see cref="ResponseBoard"/>).</summary>
public static class ResponseEndpoints
{
    public static RouteGroupBuilder MapResponseEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/responses").WithTags("Responses");
        group.MapGet("/summary", Summary).WithName("GetResponseSummary")
            .WithDescription("Response rate (questions answered within the target ÷ questions) and median / p90 seconds to the first answer, overall, "
                + "per community and per answerer (staff by platform user, or KOC), for the days from..to (yyyy-MM-dd in the workspace's time zone; "
                + "default the last 7 days). Dismissed questions are not counted. KOCs may not read figures.");
        group.MapGet("/unanswered", Unanswered).WithName("ListUnansweredQuestions")
            .WithDescription("Members' questions still waiting for staff or a KOC, oldest first, with their age in seconds; communities the viewer sees.");
        group.MapGet("/{id:guid}", Get).WithName("GetMemberQuestion");
        group.MapPost("/{id:guid}/dismiss", Dismiss).WithName("DismissMemberQuestion")
            .WithDescription("Not a question: it leaves the queue and the figures. KOCs may not dismiss.");
        return group;
    }

    public static async Task<Results<Ok<ResponseSummaryDto>, ValidationProblem, NotFound, ProblemHttpResult>> Summary(
        AppDbContext db, ResponseBoards boards, string? from, string? to, Guid? communityId, CancellationToken ct)
    {
        var result = await boards.For(db).SummaryAsync(from, to, communityId, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(result.Value!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden("KOCs do not read response figures."),
        };
    }

    public static async Task<Results<Ok<Page<WaitingQuestionDto>>, ProblemHttpResult>> Unanswered(
        AppDbContext db, ResponseBoards boards, Guid? communityId, int? page, int? pageSize, CancellationToken ct) =>
        await boards.For(db).WaitingAsync(communityId, page, pageSize, ct) is { } rows ? TypedResults.Ok(rows) : Forbidden("Your role does not allow this.");

    public static async Task<Results<Ok<MemberQuestionDto>, NotFound>> Get(AppDbContext db, ResponseBoards boards, Guid id, CancellationToken ct) =>
        await boards.For(db).GetAsync(id, ct) is { } found ? TypedResults.Ok(found) : TypedResults.NotFound();

    public static async Task<Results<Ok<MemberQuestionDto>, NotFound, ProblemHttpResult>> Dismiss(AppDbContext db, ResponseBoards boards, Guid id, CancellationToken ct)
    {
        var result = await boards.For(db).DismissAsync(id, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(result.Value!),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden("KOCs do not dismiss questions."),
        };
    }

    private static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);
}
