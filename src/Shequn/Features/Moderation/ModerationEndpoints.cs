using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Platform.Api;

namespace Shequn.Features.Moderation;

public sealed record CheckInput(string? Text, MessageKind? Kind = null, bool? FromMember = null);

public sealed record EvidenceDto(EvidenceSource Source, string Rule, string? Term, int Start, int Length, double Weight);

public sealed record CheckResultDto(double Score, ModerationDecision Decision, double? ModelScore, IReadOnlyList<EvidenceDto> Evidence);

public sealed record WordListInput(string? Name, LexiconCategory? Category, double? Weight);

public sealed record WordListDto(Guid Id, string Name, LexiconCategory Category, double Weight, int TermCount);

public sealed record TextInput(string? Text);

public sealed record ImportIssueDto(int Line, string Reason, string? Text);

public sealed record WordListImportDto(int Added, int TotalLines, IReadOnlyList<int> BlankLines, IReadOnlyList<ImportIssueDto> Duplicates, IReadOnlyList<ImportIssueDto> Malformed);

public sealed record TermInput(string? Term);

public sealed record LabelInput(bool? IsSpam, string? Text);

public sealed record LabelImportDto(int Imported, int Total);

public sealed record ModelDto(int TrainingExamples, int SpamExamples, int HeldOut, double? Accuracy, double? PrecisionAtAct, double? RecallAtAct, DateTimeOffset TrainedAt);

/// <summary>Checks, word lists, labelled examples and the model of the acting workspace.</summary>
public static class ModerationEndpoints
{
    /// <summary>Longer messages are checked in bounded time, but nobody needs to send more through the API.</summary>
    public const int MaxCheckLength = 100_000;

    public static RouteGroupBuilder MapModerationEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/moderation").WithTags("Moderation");
        group.MapPost("/check", Check).WithName("CheckMessage");
        group.MapGet("/lists", Lists).WithName("ListWordLists");
        group.MapPost("/lists", CreateList).WithName("CreateWordList").AddEndpointFilter(Allow(p => p.CanManageModeration));
        group.MapDelete("/lists/{id:guid}", DeleteList).WithName("DeleteWordList").AddEndpointFilter(Allow(p => p.CanManageModeration));
        group.MapPost("/lists/{id:guid}/import", Import).WithName("ImportWordList").AddEndpointFilter(Allow(p => p.CanManageModeration));
        group.MapGet("/lists/{id:guid}/terms", Terms).WithName("ListTerms");
        group.MapPost("/lists/{id:guid}/terms", AddTerm).WithName("AddTerm").AddEndpointFilter(Allow(p => p.CanManageModeration));
        group.MapDelete("/lists/{id:guid}/terms", RemoveTerm).WithName("RemoveTerm").AddEndpointFilter(Allow(p => p.CanManageModeration));
        group.MapPost("/labels", AddLabel).WithName("AddLabel").AddEndpointFilter(Allow(p => p.CanLabelMessages));
        group.MapPost("/labels/import", ImportLabels).WithName("ImportLabels").AddEndpointFilter(Allow(p => p.CanManageModeration));
        group.MapPost("/train", Train).WithName("TrainModel").AddEndpointFilter(Allow(p => p.CanManageModeration));
        group.MapGet("/model", Model).WithName("GetModel");
        return group;
    }

    public static async Task<Results<Ok<CheckResultDto>, ValidationProblem>> Check(
        ModerationEngines engines, AppDbContext db, CheckInput input, CancellationToken ct)
    {
        var validation = new Validation();
        if (input.Text is null)
            validation.Add("text", "Required", "'text' is required.");
        validation.MaxLength("text", input.Text, MaxCheckLength);
        if (input.Kind is { } kind)
            validation.Defined("kind", kind);
        if (!validation.IsValid)
            return validation.Problem();
        var engine = await engines.ForWorkspaceAsync(db, ct);
        var result = engine.Check(new ModerationMessage(input.Text!, input.Kind ?? MessageKind.Text, input.FromMember ?? true));
        return TypedResults.Ok(new CheckResultDto(
            result.Score,
            result.Decision,
            result.ModelScore,
            [.. result.Evidence.Select(e => new EvidenceDto(e.Source, e.Rule, e.Term, e.Start, e.Length, e.Weight))]));
    }

    public static async Task<Ok<List<WordListDto>>> Lists(AppDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.Set<ModerationWordList>()
            .OrderBy(l => l.Name)
            .Select(l => new WordListDto(l.Id, l.Name, l.Category, l.Weight, l.Terms.Count))
            .ToListAsync(ct));

    public static async Task<Results<Created<WordListDto>, ValidationProblem>> CreateList(
        AppDbContext db, WordListInput input, CancellationToken ct)
    {
        var validation = new Validation().Required("name", input.Name, ModerationWordList.NameMaxLength);
        if (input.Category is not { } category)
            validation.Add("category", "Required", "'category' is required.");
        else
            validation.Defined("category", category);
        var weight = input.Weight ?? 0.5;
        if (weight is < 0 or > 1 || double.IsNaN(weight))
            validation.Add("weight", "OutOfRange", "'weight' must be between 0 and 1.");
        var name = input.Name?.Trim() ?? "";
        if (validation.IsValid && await db.Set<ModerationWordList>().AnyAsync(l => l.Name == name, ct))
            validation.Add("name", "Duplicate", $"A word list named '{name}' already exists.", name);
        if (!validation.IsValid)
            return validation.Problem();
        var list = new ModerationWordList { Name = name, Category = input.Category!.Value, Weight = weight };
        db.Add(list);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/moderation/lists/{list.Id}", new WordListDto(list.Id, list.Name, list.Category, list.Weight, 0));
    }

    public static async Task<Results<NoContent, NotFound>> DeleteList(ModerationEngines engines, AppDbContext db, Guid id, CancellationToken ct)
    {
        var list = await db.Set<ModerationWordList>().SingleOrDefaultAsync(l => l.Id == id, ct);
        if (list is null)
            return TypedResults.NotFound();
        db.Remove(list);
        await db.SaveChangesAsync(ct);
        await engines.ReloadListsAsync(db, ct);
        return TypedResults.NoContent();
    }

    /// <summary>Adds the terms of a plain-text list (one per line) that the list does not hold yet, and reports the rest.</summary>
    public static async Task<Results<Ok<WordListImportDto>, NotFound, ValidationProblem>> Import(
        ModerationEngines engines, AppDbContext db, Guid id, TextInput input, CancellationToken ct)
    {
        if (input.Text is null)
            return new Validation().Add("text", "Required", "'text' is required.").Problem();
        var list = await db.Set<ModerationWordList>().SingleOrDefaultAsync(l => l.Id == id, ct);
        if (list is null)
            return TypedResults.NotFound();
        var report = WordListImport.Read(input.Text);
        var existing = (await db.Set<ModerationTerm>().Where(t => t.WordListId == id).Select(t => t.Text).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var added = report.Terms.Where(existing.Add).Select(t => new ModerationTerm { WordListId = id, Text = t }).ToList();
        db.AddRange(added);
        await db.SaveChangesAsync(ct);
        await engines.ReloadListsAsync(db, ct);
        return TypedResults.Ok(new WordListImportDto(
            added.Count,
            report.TotalLines,
            report.BlankLines,
            [.. report.Duplicates.Select(ToDto)],
            [.. report.Malformed.Select(ToDto)]));
    }

    private static ImportIssueDto ToDto(ImportLineIssue issue) => new(issue.Line, issue.Reason, issue.Text);

    public static async Task<Results<Ok<List<string>>, NotFound>> Terms(AppDbContext db, Guid id, CancellationToken ct)
    {
        if (!await db.Set<ModerationWordList>().AnyAsync(l => l.Id == id, ct))
            return TypedResults.NotFound();
        return TypedResults.Ok(await db.Set<ModerationTerm>().Where(t => t.WordListId == id).OrderBy(t => t.Text).Select(t => t.Text).ToListAsync(ct));
    }

    public static async Task<Results<Created, NotFound, ValidationProblem>> AddTerm(
        ModerationEngines engines, AppDbContext db, Guid id, TermInput input, CancellationToken ct)
    {
        if (!await db.Set<ModerationWordList>().AnyAsync(l => l.Id == id, ct))
            return TypedResults.NotFound();
        var report = WordListImport.Read(input.Term ?? "");
        var validation = new Validation();
        if (report.Malformed.Count > 0)
            validation.Add("term", "Malformed", $"'term' is not usable: {report.Malformed[0].Reason}.");
        else if (report.Terms.Count != 1)
            validation.Add("term", "Required", "'term' is required (one term, one line).");
        else if (await db.Set<ModerationTerm>().AnyAsync(t => t.WordListId == id && t.Text == report.Terms[0], ct))
            validation.Add("term", "Duplicate", $"The list already holds '{report.Terms[0]}'.", report.Terms[0]);
        if (!validation.IsValid)
            return validation.Problem();
        db.Add(new ModerationTerm { WordListId = id, Text = report.Terms[0] });
        await db.SaveChangesAsync(ct);
        await engines.ReloadListsAsync(db, ct);
        return TypedResults.Created($"/api/moderation/lists/{id}/terms");
    }

    public static async Task<Results<NoContent, NotFound>> RemoveTerm(
        ModerationEngines engines, AppDbContext db, Guid id, string? term, CancellationToken ct)
    {
        var text = term?.Trim() ?? "";
        var removed = await db.Set<ModerationTerm>().Where(t => t.WordListId == id && t.Text == text).ExecuteDeleteAsync(ct);
        if (removed == 0)
            return TypedResults.NotFound();
        await engines.ReloadListsAsync(db, ct);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Created, ValidationProblem>> AddLabel(AppDbContext db, LabelInput input, CancellationToken ct)
    {
        var validation = new Validation().MaxLength("text", input.Text, LabelledMessage.TextMaxLength);
        if (input.Text is null)
            validation.Add("text", "Required", "'text' is required.");
        if (input.IsSpam is null)
            validation.Add("isSpam", "Required", "'isSpam' is required.");
        if (!validation.IsValid)
            return validation.Problem();
        db.Add(new LabelledMessage { IsSpam = input.IsSpam!.Value, Text = input.Text! });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created("/api/moderation/labels");
    }

    /// <summary>Imports a labelled CSV (<c>target,input</c>); a bad row is named and nothing is imported.</summary>
    public static async Task<Results<Ok<LabelImportDto>, ValidationProblem>> ImportLabels(AppDbContext db, TextInput input, CancellationToken ct)
    {
        if (input.Text is null)
            return new Validation().Add("text", "Required", "'text' is required.").Problem();
        IReadOnlyList<LabelledExample> examples;
        try
        {
            examples = LabelledCsv.Read(input.Text);
        }
        catch (LabelledFileException e)
        {
            return new Validation().Add("text", "BadRow", $"{e.Message}; nothing imported.", e.Row).Problem();
        }
        var tooLong = examples.Select((e, i) => (e, i)).FirstOrDefault(x => x.e.Text.Length > LabelledMessage.TextMaxLength);
        if (tooLong.e is not null)
            return new Validation().Add("text", "BadRow", $"row {tooLong.i + 1}: input longer than {LabelledMessage.TextMaxLength} characters; nothing imported.", tooLong.i + 1).Problem();
        db.AddRange(examples.Select(e => new LabelledMessage { IsSpam = e.IsSpam, Text = e.Text }));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new LabelImportDto(examples.Count, await db.Set<LabelledMessage>().CountAsync(ct)));
    }

    /// <summary>Starts training on the workspace's labels; the current model keeps serving until the new one is swapped in.</summary>
    public static async Task<Results<Accepted, ValidationProblem>> Train(
        ModerationEngines engines, AppDbContext db, ILogger<ModerationEngines> logger, CancellationToken ct)
    {
        var examples = await db.Set<LabelledMessage>().Select(m => new LabelledExample(m.IsSpam, m.Text)).ToListAsync(ct);
        if (!examples.Any(e => e.IsSpam) || !examples.Any(e => !e.IsSpam))
            return new Validation().Add("labels", "Required", "Training needs labelled messages of both kinds (spam and not spam).").Problem();
        var engine = await engines.ForWorkspaceAsync(db, ct);
        // Training outlives the request on purpose; failures are logged, and the old model stays.
        _ = ModelTraining.TrainAndSwapAsync(engine, examples, CancellationToken.None).ContinueWith(
            t => TrainingFailed(logger, t.Exception!),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
        return TypedResults.Accepted("/api/moderation/model");
    }

    public static async Task<Results<Ok<ModelDto>, NotFound>> Model(ModerationEngines engines, AppDbContext db, CancellationToken ct)
    {
        var model = (await engines.ForWorkspaceAsync(db, ct)).Snapshot.Model;
        if (model is null)
            return TypedResults.NotFound();
        var m = model.Metrics;
        static double? Figure(double value) => double.IsNaN(value) ? null : value;
        return TypedResults.Ok(new ModelDto(m.TrainingExamples, m.SpamExamples, m.HeldOut, Figure(m.Accuracy), Figure(m.Precision), Figure(m.Recall), m.TrainedAt));
    }

    private static void TrainingFailed(ILogger logger, Exception exception) =>
        LogTrainingFailed(logger, exception);

    private static readonly Action<ILogger, Exception?> LogTrainingFailed =
        LoggerMessage.Define(LogLevel.Error, new EventId(4001, "ModerationTrainingFailed"), "Training the moderation model failed");

    /// <summary>Lists and models change how every group is policed: only owners, sub-owners and admins may change them.</summary>
    private static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Allow(Func<Shequn.Platform.Auth.StaffProfile, bool> may) =>
        async (ctx, next) =>
        {
            var db = ctx.HttpContext.RequestServices.GetRequiredService<Shequn.Data.AppDbContext>();
            var me = await db.Current.GetProfileAsync(db, ctx.HttpContext.RequestAborted);
            return me is not null && may(me)
                ? await next(ctx)
                : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Your role does not allow changing moderation settings.");
        };
}
