using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;

namespace Shequn.Features.Ritual;

/// <summary>A community's joining ritual (入群仪式): read by staff who see the community, changed by those who may edit it (not KOCs).</summary>
public static class RitualEndpoints
{
    public static RouteGroupBuilder MapRitualEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/communities").WithTags("Joining ritual");
        group.MapGet("/{id:guid}/ritual", Get).WithName("GetCommunityRitual");
        group.MapPut("/{id:guid}/ritual", Put).WithName("UpdateCommunityRitual");
        group.MapPost("/{id:guid}/ritual/preview", Preview).WithName("PreviewCommunityRitual");
        return group;
    }

    public static async Task<Results<Ok<RitualSettingsDto>, NotFound>> Get(RitualEditor editor, Guid id, CancellationToken ct) =>
        await editor.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>Fields left out stay as they are; an empty text goes back to the built-in one.</summary>
    public static async Task<Results<Ok<RitualSettingsDto>, ValidationProblem, NotFound, ProblemHttpResult>> Put(
        RitualEditor editor, Guid id, RitualSettingsInput input, CancellationToken ct) =>
        Map(await editor.SaveAsync(id, input, ct));

    /// <summary>The texts as they would read with the given (unsaved) settings, for the given newcomers or a sample name.</summary>
    public static async Task<Results<Ok<RitualPreviewDto>, ValidationProblem, NotFound, ProblemHttpResult>> Preview(
        RitualEditor editor, Guid id, RitualPreviewInput? input, CancellationToken ct) =>
        Map(await editor.PreviewAsync(id, input ?? new RitualPreviewInput(), ct));

    private static Results<Ok<T>, ValidationProblem, NotFound, ProblemHttpResult> Map<T>(RitualResult<T> result) => result.Outcome switch
    {
        EditOutcome.Saved => TypedResults.Ok(result.Value!),
        EditOutcome.Invalid => result.Validation.Problem(),
        EditOutcome.NotFound => TypedResults.NotFound(),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
            detail: "Your role does not allow this: the joining ritual is changed by whoever may edit the community (not KOCs)."),
    };
}
