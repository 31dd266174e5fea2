using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Platform.Api;

namespace Shequn.Features.Points;

/// <summary>
/// Points (<c>/api/points/rules</c>, <c>/api/points/levels</c>, <c>/api/members/{id}/points</c>) and member merges
/// (<c>/api/members/merge-suggestions</c>, <c>/api/members/merges</c>).
/// </summary>
public static class PointsEndpoints
{
    public static RouteGroupBuilder MapPointsEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var points = api.MapGroup("/points").WithTags("Points");
        points.MapGet("/rules", Rules).WithName("ListPointRules");
        points.MapPut("/rules/{kind}", SaveRule).WithName("SavePointRule");
        points.MapGet("/levels", Levels).WithName("ListPointLevels");
        points.MapPost("/levels", CreateLevel).WithName("CreatePointLevel");
        points.MapPut("/levels/{id:guid}", UpdateLevel).WithName("UpdatePointLevel");
        points.MapDelete("/levels/{id:guid}", DeleteLevel).WithName("DeletePointLevel");

        var members = api.MapGroup("/members").WithTags("Members");
        members.MapGet("/{id:guid}/points", MemberPoints).WithName("GetMemberPoints");
        members.MapPost("/{id:guid}/points", Adjust).WithName("AdjustMemberPoints");
        members.MapGet("/merge-suggestions", Suggestions).WithName("ListMergeSuggestions");
        members.MapGet("/merges", Merges).WithName("ListMemberMerges");
        members.MapPost("/merges", Merge).WithName("MergeMembers");
        members.MapPost("/merges/{id:guid}/unmerge", Unmerge).WithName("UnmergeMembers");
        return points;
    }

    public static async Task<Ok<IReadOnlyList<PointRuleDto>>> Rules(PointsLedger ledger, CancellationToken ct) => TypedResults.Ok(await ledger.RulesAsync(ct));

    /// <summary>One rule by kind (<c>checkIn</c>, <c>helpfulAnswer</c>, <c>invitation</c>): points, enabled, keywords (check-in).</summary>
    public static async Task<Results<Ok<PointRuleDto>, ValidationProblem, NotFound, ProblemHttpResult>> SaveRule(
        PointsLedger ledger, string kind, PointRuleInput input, CancellationToken ct)
    {
        var validation = new Validation();
        var parsed = validation.ParseEnum<PointRuleKind>("kind", kind);
        if (!validation.IsValid || parsed is null)
            return validation.IsValid ? TypedResults.NotFound() : validation.Problem();
        return Map(await ledger.SaveRuleAsync(parsed.Value, input, ct), TypedResults.Ok);
    }

    public static async Task<Ok<IReadOnlyList<PointLevelDto>>> Levels(PointsLedger ledger, CancellationToken ct) => TypedResults.Ok(await ledger.LevelsAsync(ct));

    public static async Task<Results<Created<PointLevelDto>, ValidationProblem, NotFound, ProblemHttpResult>> CreateLevel(
        PointsLedger ledger, PointLevelInput input, CancellationToken ct) =>
        Map(await ledger.SaveLevelAsync(null, input, ct), dto => TypedResults.Created($"/api/points/levels/{dto.Id}", dto));

    public static async Task<Results<Ok<PointLevelDto>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateLevel(
        PointsLedger ledger, Guid id, PointLevelInput input, CancellationToken ct) =>
        Map(await ledger.SaveLevelAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteLevel(PointsLedger ledger, Guid id, CancellationToken ct) =>
        await ledger.DeleteLevelAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden(),
        };

    /// <summary>The member's balance, level and ledger (newest first).</summary>
    public static async Task<Results<Ok<MemberPointsDto>, NotFound>> MemberPoints(PointsLedger ledger, Guid id, CancellationToken ct) =>
        await ledger.MemberAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>A manual adjustment: <c>{"delta": 50, "reason": "…"}</c> (the reason is required).</summary>
    public static async Task<Results<Created<PointsEntryDto>, ValidationProblem, NotFound, ProblemHttpResult>> Adjust(
        PointsLedger ledger, Guid id, PointsAdjustmentInput input, CancellationToken ct) =>
        Map(await ledger.AdjustAsync(id, input, ct), dto => TypedResults.Created($"/api/members/{id}/points", dto));

    public static async Task<Results<Ok<IReadOnlyList<MergeSuggestion>>, ProblemHttpResult>> Suggestions(MemberMerges merges, CancellationToken ct) =>
        await merges.SuggestionsAsync(ct) is { } list ? TypedResults.Ok(list) : Forbidden();

    public static async Task<Ok<IReadOnlyList<MemberMergeDto>>> Merges(MemberMerges merges, Guid? memberId, CancellationToken ct) =>
        TypedResults.Ok(await merges.ListAsync(memberId, ct));

    /// <summary>Merges <c>memberId</c> into <c>intoMemberId</c> (same workspace only).</summary>
    public static async Task<Results<Created<MemberMergeDto>, ValidationProblem, NotFound<HttpValidationProblemDetails>, ProblemHttpResult>> Merge(
        MemberMerges merges, MergeInput input, CancellationToken ct)
    {
        var result = await merges.MergeAsync(input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Created($"/api/members/merges/{result.Value!.Id}", result.Value),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(new HttpValidationProblemDetails(result.Validation.Errors)
            {
                Status = StatusCodes.Status404NotFound, Title = "Member not found",
                Detail = "Both members must exist in this workspace: members of different workspaces cannot be merged.",
            }),
            _ => Forbidden(),
        };
    }

    public static async Task<Results<Ok<MemberMergeDto>, ValidationProblem, NotFound, ProblemHttpResult>> Unmerge(MemberMerges merges, Guid id, CancellationToken ct)
    {
        var result = await merges.UnmergeAsync(id, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(result.Value!),
            EditOutcome.Invalid => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already undone",
                detail: "This merge was undone already."),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden(),
        };
    }

    private static ProblemHttpResult Forbidden() => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
        detail: "Your role does not allow this: owners, sub-owners and admins change point rules and levels; staff who edit members adjust points; owners and sub-owners merge members.");

    private static Results<T, ValidationProblem, NotFound, ProblemHttpResult> Map<TValue, T>(PointsResult<TValue> result, Func<TValue, T> saved)
        where T : IResult => result switch
        {
            { Outcome: EditOutcome.Saved } => saved(result.Value!),
            { Outcome: EditOutcome.Invalid } => result.Validation.Problem(),
            { Outcome: EditOutcome.NotFound } => TypedResults.NotFound(),
            _ => Forbidden(),
        };
}
