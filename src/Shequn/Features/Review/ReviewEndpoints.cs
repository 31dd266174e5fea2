using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Review;

/// <summary>The review queue, verdicts, the moderation log and its export, undo, reports and the blacklist (see <see cref="ModerationReview"/>).</summary>
public static class ReviewEndpoints
{
    public static RouteGroupBuilder MapReviewEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/moderation").WithTags("Moderation review");
        group.MapGet("/queue", Queue).WithName("GetReviewQueue")
            .WithDescription("Review cases without a verdict, most uncertain first: ordered by |score − middle|, the middle between the workspace's "
                + "review and act thresholds. falsePositives counts acts later undone, falseNegatives messages staff reported.");
        group.MapPost("/cases/{id:guid}/verdict", Verdict).WithName("MarkCase")
            .WithDescription("verdict: spam or notSpam. The case becomes a workspace label; a spam mark on a review case also deletes the message. "
                + "After Review:RetrainAfterLabels new labels (default 25) the model is retrained in the background.");
        group.MapPost("/verdicts", Verdicts).WithName("MarkCases")
            .WithDescription("Marks up to 200 cases at once ({ids, verdict}); an id that is not a visible case is a 400 and nothing is marked.");
        group.MapGet("/cases", Log).WithName("ListCases")
            .WithDescription("The moderation log, newest first, with evidence, score, rule, action and the actions' outcome. "
                + "Filters: communityId, memberId, userId, rule, decision (review, act, reported), from, to.");
        group.MapGet("/cases/export.csv", Export).WithName("ExportCases")
            .WithDescription("The whole filtered log as CSV (UTF-8 with BOM), same filters as the list.");
        group.MapGet("/cases/{id:guid}", Get).WithName("GetCase");
        group.MapPost("/cases/{id:guid}/undo", Undo).WithName("UndoCase")
            .WithDescription("Undoes an act with a note: a mute is lifted, a removal undone with an unban and a one-person invite link (a staff "
                + "task where the platform cannot), a blacklisting also taken off the list. The case becomes a notSpam label.");
        group.MapPost("/reports", Report).WithName("ReportMessage")
            .WithDescription("Report this message ({communityId, messageId}): a reported case (a false negative) and a spam label. Again: the same case (200).");
        group.MapGet("/blacklist", Blacklist).WithName("ListBlacklist");
        group.MapPost("/blacklist", AddToBlacklist).WithName("AddToBlacklist")
            .WithDescription("{platform, userId, userName?, reason?}; the user need not have joined any community yet.");
        group.MapDelete("/blacklist/{id:guid}", RemoveFromBlacklist).WithName("RemoveFromBlacklist");
        return group;
    }

    /// <summary>The console's CSV download (cookie sign-in); not part of the API.</summary>
    public static IEndpointRouteBuilder MapReviewDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/moderation/log/export.csv", Export).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Ok<ReviewQueueDto>, ProblemHttpResult>> Queue(AppDbContext db, ModerationReviews reviews, int? page, int? pageSize, CancellationToken ct) =>
        await reviews.For(db).QueueAsync(page, pageSize, ct) is { } queue ? TypedResults.Ok(queue) : Forbidden();

    public static async Task<Results<Ok<VerdictResultDto>, ValidationProblem, NotFound, ProblemHttpResult>> Verdict(
        AppDbContext db, ModerationReviews reviews, Guid id, VerdictInput input, CancellationToken ct) =>
        Map(await reviews.For(db).MarkAsync([id], input.Verdict, ct), v => TypedResults.Ok(v));

    public static async Task<Results<Ok<VerdictResultDto>, ValidationProblem, NotFound, ProblemHttpResult>> Verdicts(
        AppDbContext db, ModerationReviews reviews, BulkVerdictInput input, CancellationToken ct) =>
        Map(await reviews.For(db).MarkAsync(input.Ids, input.Verdict, ct), v => TypedResults.Ok(v));

    public static async Task<Results<Ok<Page<CaseDto>>, ValidationProblem, ProblemHttpResult>> Log(
        AppDbContext db, ModerationReviews reviews, Guid? communityId, Guid? memberId, string? userId, string? rule, string? decision,
        DateTimeOffset? from, DateTimeOffset? to, int? page, int? pageSize, CancellationToken ct)
    {
        var (result, validation) = await reviews.For(db).LogAsync(new CaseFilter(communityId, memberId, userId, rule, decision, from, to), page, pageSize, ct);
        if (!validation.IsValid)
            return validation.Problem();
        return result is null ? Forbidden() : TypedResults.Ok(result);
    }

    public static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Export(
        AppDbContext db, ModerationReviews reviews, Guid? communityId, Guid? memberId, string? userId, string? rule, string? decision,
        DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var (file, validation) = await reviews.For(db).ExportAsync(new CaseFilter(communityId, memberId, userId, rule, decision, from, to), ct);
        if (!validation.IsValid)
            return validation.Problem();
        if (file is null)
            return Forbidden();
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmm", System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.File(file, "text/csv; charset=utf-8", $"moderation-log-{stamp}.csv");
    }

    public static async Task<Results<Ok<CaseDto>, NotFound>> Get(AppDbContext db, ModerationReviews reviews, Guid id, CancellationToken ct) =>
        await reviews.For(db).GetAsync(id, ct) is { } found ? TypedResults.Ok(found) : TypedResults.NotFound();

    public static async Task<Results<Ok<CaseDto>, ValidationProblem, NotFound, ProblemHttpResult>> Undo(
        AppDbContext db, ModerationReviews reviews, Guid id, UndoInput input, CancellationToken ct) =>
        Map(await reviews.For(db).UndoAsync(id, input.Note, ct), v => TypedResults.Ok(v));

    public static async Task<Results<Created<CaseDto>, Ok<CaseDto>, ValidationProblem, NotFound, ProblemHttpResult>> Report(
        AppDbContext db, ModerationReviews reviews, ReportInput input, CancellationToken ct)
    {
        var (result, existing) = await reviews.For(db).ReportAsync(input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved when existing => TypedResults.Ok(result.Value!),
            EditOutcome.Saved => TypedResults.Created($"/api/moderation/cases/{result.Value!.Id}", result.Value),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden(),
        };
    }

    public static async Task<Results<Ok<List<BlacklistEntryDto>>, ProblemHttpResult>> Blacklist(AppDbContext db, string? q, CancellationToken ct) =>
        await new WorkspaceBlacklist(db).ListAsync(q, ct) is { } list ? TypedResults.Ok(list) : Forbidden();

    public static async Task<Results<Created<BlacklistEntryDto>, ValidationProblem, NotFound, ProblemHttpResult>> AddToBlacklist(
        AppDbContext db, BlacklistInput input, CancellationToken ct) =>
        Map(await new WorkspaceBlacklist(db).AddAsync(input, ct), v => TypedResults.Created($"/api/moderation/blacklist/{v.Id}", v));

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveFromBlacklist(AppDbContext db, Guid id, CancellationToken ct) =>
        await new WorkspaceBlacklist(db).RemoveAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden(),
        };

    private static Results<T, ValidationProblem, NotFound, ProblemHttpResult> Map<TValue, T>(ReviewResult<TValue> result, Func<TValue, T> saved)
        where T : IResult => result.Outcome switch
        {
            EditOutcome.Saved => saved(result.Value!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden(),
        };

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
            detail: "Your role does not allow this: KOCs do not review moderation cases; only owners, sub-owners and admins keep the blacklist.");
}
