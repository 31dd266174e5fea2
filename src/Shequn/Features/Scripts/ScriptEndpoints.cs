using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Scripts;

/// <summary>The script library (<c>/api/scripts</c>) and keyword auto-replies (<c>/api/autoreplies</c>).</summary>
public static class ScriptEndpoints
{
    public static RouteGroupBuilder MapScriptEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var scripts = api.MapGroup("/scripts").WithTags("Scripts");
        scripts.MapGet("/", List).WithName("ListScripts");
        scripts.MapGet("/{id:guid}", Get).WithName("GetScript");
        scripts.MapPost("/", Create).WithName("CreateScript");
        scripts.MapPut("/{id:guid}", Update).WithName("UpdateScript");
        scripts.MapDelete("/{id:guid}", Delete).WithName("DeleteScript");
        scripts.MapPost("/preview", Preview).WithName("PreviewScript");
        scripts.MapGet("/quick-replies", QuickReplies).WithName("ListQuickReplies");
        scripts.MapPut("/{id:guid}/communities/{communityId:guid}", SetOverride).WithName("SetScriptOverride");
        scripts.MapDelete("/{id:guid}/communities/{communityId:guid}", RemoveOverride).WithName("RemoveScriptOverride");

        var replies = api.MapGroup("/autoreplies").WithTags("Auto-replies");
        replies.MapGet("/", ListReplies).WithName("ListAutoReplies");
        replies.MapGet("/{id:guid}", GetReply).WithName("GetAutoReply");
        replies.MapPost("/", CreateReply).WithName("CreateAutoReply");
        replies.MapPut("/{id:guid}", UpdateReply).WithName("UpdateAutoReply");
        replies.MapDelete("/{id:guid}", DeleteReply).WithName("DeleteAutoReply");
        replies.MapPost("/test", TestReply).WithName("TestAutoReply");
        return scripts;
    }

    /// <summary>All scripts, or one category's (<c>?category=welcome</c>).</summary>
    public static async Task<Results<Ok<IReadOnlyList<ScriptDto>>, ValidationProblem>> List(ScriptLibrary library, string? category, CancellationToken ct)
    {
        var validation = new Validation();
        var parsed = validation.ParseEnum<ScriptCategory>("category", category);
        if (!validation.IsValid)
            return validation.Problem();
        return TypedResults.Ok(await library.ListAsync(parsed, ct));
    }

    public static async Task<Results<Ok<ScriptDto>, NotFound>> Get(ScriptLibrary library, Guid id, CancellationToken ct) =>
        await library.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<ScriptDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(ScriptLibrary library, ScriptInput input, CancellationToken ct) =>
        Map(await library.CreateAsync(input, ct), dto => TypedResults.Created($"/api/scripts/{dto.Id}", dto));

    public static async Task<Results<Ok<ScriptDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(ScriptLibrary library, Guid id, ScriptInput input, CancellationToken ct) =>
        Map(await library.UpdateAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> Delete(ScriptLibrary library, Guid id, CancellationToken ct) =>
        Map(await library.DeleteAsync(id, ct), _ => TypedResults.NoContent());

    /// <summary>Renders a text with sample values; unknown variables are listed (and left out of the rendering).</summary>
    public static async Task<Results<Ok<ScriptPreviewDto>, ValidationProblem, NotFound, ProblemHttpResult>> Preview(
        ScriptLibrary library, IStringLocalizer<Strings> l, ScriptPreviewInput input, CancellationToken ct) =>
        Map(await library.PreviewAsync(input, ScriptSamples.From(l), ct), TypedResults.Ok);

    /// <summary>Quick replies rendered for a community (<c>?communityId=</c>) and a member's nickname (<c>?nickname=</c>).</summary>
    public static async Task<Ok<IReadOnlyList<QuickReplyDto>>> QuickReplies(
        ScriptLibrary library, IStringLocalizer<Strings> l, Guid? communityId, string? nickname, CancellationToken ct) =>
        TypedResults.Ok(await library.QuickRepliesAsync(communityId, nickname, ScriptSamples.From(l), ct));

    /// <summary>A community's own text for the script: <c>{"text": "…"}</c>.</summary>
    public static async Task<Results<Ok<ScriptDto>, ValidationProblem, NotFound, ProblemHttpResult>> SetOverride(
        ScriptLibrary library, Guid id, Guid communityId, ScriptOverrideInput input, CancellationToken ct) =>
        Map(await library.SetOverrideAsync(id, communityId, input, ct), TypedResults.Ok);

    public static async Task<Results<Ok<ScriptDto>, ValidationProblem, NotFound, ProblemHttpResult>> RemoveOverride(
        ScriptLibrary library, Guid id, Guid communityId, CancellationToken ct) =>
        Map(await library.RemoveOverrideAsync(id, communityId, ct), TypedResults.Ok);

    public static async Task<Ok<IReadOnlyList<AutoReplyDto>>> ListReplies(AutoReplyEditor editor, CancellationToken ct) =>
        TypedResults.Ok(await editor.ListAsync(ct));

    public static async Task<Results<Ok<AutoReplyDto>, NotFound>> GetReply(AutoReplyEditor editor, Guid id, CancellationToken ct) =>
        await editor.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<AutoReplyDto>, ValidationProblem, NotFound, ProblemHttpResult>> CreateReply(
        AutoReplyEditor editor, AutoReplyInput input, CancellationToken ct) =>
        Map(await editor.CreateAsync(input, ct), dto => TypedResults.Created($"/api/autoreplies/{dto.Id}", dto));

    public static async Task<Results<Ok<AutoReplyDto>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateReply(
        AutoReplyEditor editor, Guid id, AutoReplyInput input, CancellationToken ct) =>
        Map(await editor.UpdateAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> DeleteReply(AutoReplyEditor editor, Guid id, CancellationToken ct) =>
        Map(await editor.DeleteAsync(id, ct), _ => TypedResults.NoContent());

    /// <summary>Which enabled rule a text would trigger (in a community, when given) and the reply it would send.</summary>
    public static async Task<Results<Ok<AutoReplyTestDto>, ValidationProblem, NotFound, ProblemHttpResult>> TestReply(
        AutoReplyEditor editor, IStringLocalizer<Strings> l, AutoReplyTestInput input, CancellationToken ct) =>
        Map(await editor.TestAsync(input, ScriptSamples.From(l), ct), TypedResults.Ok);

    private static Results<T, ValidationProblem, NotFound, ProblemHttpResult> Map<TValue, T>(ScriptResult<TValue> result, Func<TValue, T> saved)
        where T : IResult => result switch
        {
            { Outcome: EditOutcome.Saved } => saved(result.Value!),
            { Outcome: EditOutcome.Invalid } => result.Validation.Problem(),
            { Outcome: EditOutcome.NotFound } => TypedResults.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: "Your role does not allow this: KOCs read scripts and auto-replies; other staff change them."),
        };
}
