using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Enforcement;

/// <summary>Rule sets (群规): read by all staff, changed by owners and sub-owners, chosen per community.</summary>
public static class RuleSetEndpoints
{
    public static RouteGroupBuilder MapRuleSetEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/rulesets").WithTags("Rule sets");
        group.MapGet("/", List).WithName("ListRuleSets");
        group.MapGet("/templates", Templates).WithName("ListRuleSetTemplates");
        group.MapGet("/{id:guid}", Get).WithName("GetRuleSet");
        group.MapPost("/", Create).WithName("CreateRuleSet");
        group.MapPut("/{id:guid}", Update).WithName("UpdateRuleSet");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteRuleSet");
        group.MapPost("/{id:guid}/default", MakeDefault).WithName("MakeRuleSetDefault");

        var communities = api.MapGroup("/communities").WithTags("Rule sets");
        communities.MapGet("/{id:guid}/ruleset", Effective).WithName("GetCommunityRuleSet");
        communities.MapPut("/{id:guid}/ruleset", Assign).WithName("AssignCommunityRuleSet");
        return group;
    }

    public static async Task<Ok<IReadOnlyList<RuleSetDto>>> List(RuleSetEditor editor, CancellationToken ct) =>
        TypedResults.Ok(await editor.ListAsync(ct));

    public static Ok<IReadOnlyList<RuleSetTemplate>> Templates() => TypedResults.Ok(RuleSetTemplates.All);

    public static async Task<Results<Ok<RuleSetDto>, NotFound>> Get(RuleSetEditor editor, Guid id, CancellationToken ct) =>
        await editor.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>From a template (<c>{"template": "ads"}</c>, name optional), or with the rules given in <c>spec</c>.</summary>
    public static async Task<Results<Created<RuleSetDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(
        RuleSetEditor editor, RuleSetInput input, CancellationToken ct) =>
        Map(await editor.CreateAsync(input, ct), dto => TypedResults.Created($"/api/rulesets/{dto.Id}", dto));

    public static async Task<Results<Ok<RuleSetDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        RuleSetEditor editor, Guid id, RuleSetInput input, CancellationToken ct) =>
        Map(await editor.UpdateAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> Delete(
        RuleSetEditor editor, Guid id, CancellationToken ct) =>
        Map(await editor.DeleteAsync(id, ct), _ => TypedResults.NoContent());

    public static async Task<Results<Ok<RuleSetDto>, ValidationProblem, NotFound, ProblemHttpResult>> MakeDefault(
        RuleSetEditor editor, Guid id, CancellationToken ct) =>
        Map(await editor.MakeDefaultAsync(id, ct), TypedResults.Ok);

    public static async Task<Results<Ok<EffectiveRuleSetDto>, NotFound>> Effective(RuleSetEditor editor, Guid id, CancellationToken ct) =>
        await editor.EffectiveAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary><c>{"ruleSetId": null}</c> clears the choice: the community follows the workspace default.</summary>
    public static async Task<Results<Ok<EffectiveRuleSetDto>, ValidationProblem, NotFound, ProblemHttpResult>> Assign(
        RuleSetEditor editor, Guid id, CommunityRuleSetInput input, CancellationToken ct) =>
        Map(await editor.AssignAsync(id, input, ct), TypedResults.Ok);

    private static Results<T, ValidationProblem, NotFound, ProblemHttpResult> Map<TValue, T>(RuleSetResult<TValue> result, Func<TValue, T> saved)
        where T : IResult => result switch
        {
            { Conflict: { } conflict } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Refused", detail: conflict.English),
            { Outcome: EditOutcome.Saved } => saved(result.Value!),
            { Outcome: EditOutcome.Invalid } => result.Validation.Problem(),
            { Outcome: EditOutcome.NotFound } => TypedResults.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: "Your role does not allow this: owners and sub-owners change rule sets; a community's rule set is chosen by whoever may edit the community."),
        };
}
