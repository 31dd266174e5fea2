using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform;

namespace Shequn.Features.Moderation;

public sealed record CheckInput(string? Text, MessageKind? Kind = null, bool? FromMember = null);

public sealed record EvidenceDto(EvidenceSource Source, string Rule, string? Term, int Start, int Length, double Weight);

public sealed record CheckResultDto(double Score, ModerationDecision Decision, double? ModelScore, IReadOnlyList<EvidenceDto> Evidence)
{
    /// <summary>Figures carry at most this many decimals: 0.84, not 0.8400000000000001.</summary>
    public const int Decimals = 4;

    public static CheckResultDto From(ModerationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(
            Round(result.Score),
            result.Decision,
            result.ModelScore is { } model ? Round(model) : null,
            [.. result.Evidence.Select(e => new EvidenceDto(e.Source, e.Rule, e.Term, e.Start, e.Length, Round(e.Weight)))]);
    }

    private static double Round(double value) => Math.Round(value, Decimals, MidpointRounding.AwayFromZero);
}

public sealed record WordListInput(string? Name, LexiconCategory? Category, double? Weight);

public sealed record WordListDto(Guid Id, string Name, LexiconCategory Category, double Weight, int TermCount);

public sealed record TextInput(string? Text);

/// <summary>A line not taken: <see cref="Code"/> says why in a stable form (e.g. <c>DuplicateOf</c>), <see cref="Reason"/> in English.</summary>
public sealed record ImportIssueDto(int Line, string Code, string Reason, string? Text)
{
    /// <summary>For the console, which shows the reason translated.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Reason? Why { get; init; }
}

public sealed record WordListImportDto(int Added, int TotalLines, IReadOnlyList<int> BlankLines, IReadOnlyList<ImportIssueDto> Duplicates, IReadOnlyList<ImportIssueDto> Malformed);

public sealed record TermInput(string? Term);

public sealed record LabelInput(bool? IsSpam, string? Text);

public sealed record LabelImportDto(int Imported, int Total);

public sealed record ModelDto(int TrainingExamples, int SpamExamples, int HeldOut, double? Accuracy, double? PrecisionAtAct, double? RecallAtAct, DateTimeOffset TrainedAt, bool Training = false);

/// <summary>Checks, word lists, settings, labelled examples and the model of the acting workspace (see <see cref="ModerationSettings"/>).</summary>
public static class ModerationEndpoints
{
    public static RouteGroupBuilder MapModerationEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/moderation").WithTags("Moderation");
        group.MapPost("/check", Check).WithName("CheckMessage");
        group.MapGet("/lists", Lists).WithName("ListWordLists");
        group.MapPost("/lists", CreateList).WithName("CreateWordList");
        group.MapPut("/lists/{id:guid}", UpdateList).WithName("UpdateWordList");
        group.MapDelete("/lists/{id:guid}", DeleteList).WithName("DeleteWordList");
        group.MapPost("/lists/{id:guid}/import", Import).WithName("ImportWordList").WithBodyLimit(ImportMaxBytes);
        group.MapGet("/lists/{id:guid}/terms", Terms).WithName("ListTerms");
        group.MapPost("/lists/{id:guid}/terms", AddTerm).WithName("AddTerm");
        group.MapDelete("/lists/{id:guid}/terms", RemoveTerm).WithName("RemoveTerm");
        group.MapGet("/settings", Policy).WithName("GetModerationSettings");
        group.MapPut("/settings", UpdatePolicy).WithName("UpdateModerationSettings");
        group.MapGet("/labels", Labels).WithName("CountLabels");
        group.MapPost("/labels", AddLabel).WithName("AddLabel");
        group.MapPost("/labels/import", ImportLabels).WithName("ImportLabels").WithBodyLimit(ImportMaxBytes);
        group.MapPost("/train", Train).WithName("TrainModel");
        group.MapGet("/model", Model).WithName("GetModel");
        return group;
    }

    public static async Task<Results<Ok<CheckResultDto>, ValidationProblem>> Check(ModerationSettings settings, CheckInput input, CancellationToken ct)
    {
        var (validation, result) = await settings.CheckAsync(input, ct);
        if (result is null)
            return validation.Problem();
        return TypedResults.Ok(CheckResultDto.From(result));
    }

    public static async Task<Ok<List<WordListDto>>> Lists(ModerationSettings settings, CancellationToken ct) =>
        TypedResults.Ok(await settings.ListsAsync(ct));

    public static async Task<Results<Created<WordListDto>, ValidationProblem, ProblemHttpResult>> CreateList(
        ModerationSettings settings, WordListInput input, CancellationToken ct)
    {
        var result = await settings.CreateListAsync(input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Created($"/api/moderation/lists/{result.Value!.Id}", result.Value),
            EditOutcome.Invalid => result.Validation.Problem(),
            _ => Forbidden(),
        };
    }

    public static async Task<Results<Ok<WordListDto>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateList(
        ModerationSettings settings, Guid id, WordListInput input, CancellationToken ct) =>
        Map(await settings.UpdateListAsync(id, input, ct), v => TypedResults.Ok(v));

    public static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> DeleteList(ModerationSettings settings, Guid id, CancellationToken ct) =>
        Map(await settings.DeleteListAsync(id, ct), _ => TypedResults.NoContent());

    /// <summary>The largest body of a word-list or labelled-CSV import through the API (the console takes files of up to 20 MB).</summary>
    public const long ImportMaxBytes = 24 * 1024 * 1024;

    /// <summary>Adds the terms of a plain-text list (one per line) that the list does not hold yet, and reports the rest.</summary>
    public static async Task<Results<Ok<WordListImportDto>, ValidationProblem, NotFound, ProblemHttpResult>> Import(
        ModerationSettings settings, Guid id, TextInput input, CancellationToken ct) =>
        Map(await settings.ImportAsync(id, input.Text, ct), v => TypedResults.Ok(v));

    public static async Task<Results<Ok<List<string>>, NotFound>> Terms(ModerationSettings settings, Guid id, string? q, CancellationToken ct) =>
        await settings.TermsAsync(id, q, null, ct) is { } terms ? TypedResults.Ok(terms) : TypedResults.NotFound();

    public static async Task<Results<Created, ValidationProblem, NotFound, ProblemHttpResult>> AddTerm(
        ModerationSettings settings, Guid id, TermInput input, CancellationToken ct) =>
        Map(await settings.AddTermAsync(id, input.Term, ct), _ => TypedResults.Created($"/api/moderation/lists/{id}/terms"));

    public static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> RemoveTerm(
        ModerationSettings settings, Guid id, string? term, CancellationToken ct) =>
        Map(await settings.RemoveTermAsync(id, term, ct), _ => TypedResults.NoContent());

    public static async Task<Ok<PolicyDto>> Policy(ModerationSettings settings, CancellationToken ct) =>
        TypedResults.Ok(await settings.PolicyAsync(ct));

    /// <summary>Domains, the workspace's own patterns and thresholds; fields left out stay as they are.</summary>
    public static async Task<Results<Ok<PolicyDto>, ValidationProblem, NotFound, ProblemHttpResult>> UpdatePolicy(
        ModerationSettings settings, PolicyInput input, CancellationToken ct) =>
        Map(await settings.UpdatePolicyAsync(input, ct), v => TypedResults.Ok(v));

    public static async Task<Ok<LabelCounts>> Labels(ModerationSettings settings, CancellationToken ct) =>
        TypedResults.Ok(await settings.LabelCountsAsync(ct));

    public static async Task<Results<Created<LabelCounts>, ValidationProblem, NotFound, ProblemHttpResult>> AddLabel(
        ModerationSettings settings, LabelInput input, CancellationToken ct) =>
        Map(await settings.AddLabelAsync(input, ct), v => TypedResults.Created("/api/moderation/labels", v));

    /// <summary>Imports a labelled CSV (<c>target,input</c>); a bad row is named and nothing is imported.</summary>
    public static async Task<Results<Ok<LabelImportDto>, ValidationProblem, NotFound, ProblemHttpResult>> ImportLabels(
        ModerationSettings settings, TextInput input, CancellationToken ct) =>
        Map(await settings.ImportLabelsAsync(input.Text, ct), v => TypedResults.Ok(v));

    /// <summary>Starts training on the workspace's labels; the current model keeps serving until the new one is stored and swapped in.</summary>
    public static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> Train(ModerationSettings settings, CancellationToken ct)
    {
        var (start, validation) = await settings.TrainAsync(ct);
        return start switch
        {
            TrainingStart.Started => TypedResults.Accepted("/api/moderation/model"),
            TrainingStart.Invalid => validation.Problem(),
            TrainingStart.AlreadyRunning => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Training is running",
                detail: "A model is being trained for this workspace; wait for it to finish (GET /api/moderation/model) before starting another."),
            _ => Forbidden(),
        };
    }

    /// <summary>The model serving checks; 404 while there is none (<c>training</c> in the problem says whether one is coming).</summary>
    public static async Task<Results<Ok<ModelDto>, ProblemHttpResult>> Model(ModerationSettings settings, CancellationToken ct)
    {
        var (model, training) = await settings.ModelAsync(ct);
        if (model is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No model",
                detail: training ? "A first model is being trained." : "No model has been trained for this workspace.",
                extensions: new Dictionary<string, object?> { ["training"] = training });
        return TypedResults.Ok(model with { Training = training });
    }

    private static Results<T, ValidationProblem, NotFound, ProblemHttpResult> Map<TValue, T>(ModerationSaveResult<TValue> result, Func<TValue, T> saved)
        where T : IResult => result.Outcome switch
        {
            EditOutcome.Saved => saved(result.Value!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden(),
        };

    /// <summary>Lists, settings and models change how every group is policed: only owners, sub-owners and admins may change them.</summary>
    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Your role does not allow changing moderation settings.");
}
