using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Moderation;

public sealed record ModerationSaveResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

public enum TrainingStart
{
    Started,
    Invalid,
    Forbidden,
    AlreadyRunning,
}

public sealed record PolicyDto(
    IReadOnlyList<string> AllowedDomains,
    IReadOnlyList<string> DeniedDomains,
    IReadOnlyList<CustomPatternSpec> CustomPatterns,
    double ReviewThreshold,
    double ActThreshold,
    IReadOnlyList<BuiltInRuleDto> BuiltInRules);

/// <summary>A built-in rule: its name (as in check evidence), whether it is on, its weight and the default weight.</summary>
public sealed record BuiltInRuleDto(string Rule, bool Enabled, double Weight, double DefaultWeight);

/// <summary>A change to one built-in rule; a field left out stays as it is.</summary>
public sealed record BuiltInRuleInput(string? Rule, bool? Enabled, double? Weight);

public sealed record PolicyInput(
    IReadOnlyList<string>? AllowedDomains,
    IReadOnlyList<string>? DeniedDomains,
    IReadOnlyList<CustomPatternSpec>? CustomPatterns,
    double? ReviewThreshold,
    double? ActThreshold,
    IReadOnlyList<BuiltInRuleInput>? BuiltInRules = null);

public sealed record LabelCounts(int Total, int Spam);

/// <summary>
/// A workspace's moderation settings — word lists and terms, domains, its own patterns, thresholds, labelled
/// messages, the model — shared by the console and the API. Every change is checked against the actor's role,
/// stored with an audit row and a new stamp (so that every node reloads), then swapped into this node's engine.
/// </summary>
public sealed class ModerationSettings(AppDbContext db, ModerationEngines engines, IServiceScopeFactory scopes, ILogger<ModerationSettings> logger)
{
    /// <summary>Longer messages are checked in bounded time, but nobody needs to send more through the API.</summary>
    public const int MaxCheckLength = 100_000;

    /// <summary>Most terms named in one audit row; the count is always complete.</summary>
    public const int AuditedTermsShown = 20;

    public const int MaxDomains = 1000;
    public const int MaxCustomPatterns = 100;
    public const int DomainMaxLength = 253;

    public async Task<(Validation Validation, ModerationResult? Result)> CheckAsync(CheckInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (input.Text is null)
            validation.Add("text", "Required", "'text' is required.");
        validation.MaxLength("text", input.Text, MaxCheckLength);
        if (input.Kind is { } kind)
            validation.Defined("kind", kind);
        if (!validation.IsValid)
            return (validation, null);
        var engine = await engines.ForWorkspaceAsync(db, ct);
        return (validation, engine.Check(new ModerationMessage(input.Text!, input.Kind ?? MessageKind.Text, input.FromMember ?? true)));
    }

    public Task<List<WordListDto>> ListsAsync(CancellationToken ct = default) =>
        db.Set<ModerationWordList>()
            .OrderBy(l => l.Name)
            .Select(l => new WordListDto(l.Id, l.Name, l.Category, l.Weight, l.Terms.Count))
            .ToListAsync(ct);

    public async Task<ModerationSaveResult<WordListDto>> CreateListAsync(WordListInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        var name = await ValidateListAsync(validation, input, null, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var list = new ModerationWordList { Name = name, Category = input.Category!.Value, Weight = input.Weight ?? 0.5 };
        db.Add(list);
        await SaveListsChangeAsync(ct);
        return new(EditOutcome.Saved, new WordListDto(list.Id, list.Name, list.Category, list.Weight, 0), validation);
    }

    /// <summary>Renames a list or changes its category or weight; its terms stay.</summary>
    public async Task<ModerationSaveResult<WordListDto>> UpdateListAsync(Guid id, WordListInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        var list = await db.Set<ModerationWordList>().SingleOrDefaultAsync(l => l.Id == id, ct);
        if (list is null)
            return new(EditOutcome.NotFound, null, validation);
        var name = await ValidateListAsync(validation, input, id, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        (list.Name, list.Category, list.Weight) = (name, input.Category!.Value, input.Weight ?? list.Weight);
        await SaveListsChangeAsync(ct);
        var terms = await db.Set<ModerationTerm>().CountAsync(t => t.WordListId == id, ct);
        return new(EditOutcome.Saved, new WordListDto(list.Id, list.Name, list.Category, list.Weight, terms), validation);
    }

    private async Task<string> ValidateListAsync(Validation validation, WordListInput input, Guid? self, CancellationToken ct)
    {
        validation.Required("name", input.Name, ModerationWordList.NameMaxLength);
        if (input.Category is not { } category)
            validation.Add("category", "Required", "'category' is required.");
        else
            validation.Defined("category", category);
        if (input.Weight is { } weight && (weight is < 0 or > 1 || double.IsNaN(weight)))
            validation.Add("weight", "OutOfRange", "'weight' must be between 0 and 1.", 0, 1);
        var name = input.Name?.Trim() ?? "";
        if (validation.IsValid && await db.Set<ModerationWordList>().AnyAsync(l => l.Name == name && l.Id != self, ct))
            validation.Add("name", "DuplicateName", $"A word list named '{name}' already exists.", name);
        return name;
    }

    public async Task<ModerationSaveResult<WordListDto>> DeleteListAsync(Guid id, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        var list = await db.Set<ModerationWordList>().SingleOrDefaultAsync(l => l.Id == id, ct);
        if (list is null)
            return new(EditOutcome.NotFound, null, validation);
        var terms = await db.Set<ModerationTerm>().CountAsync(t => t.WordListId == id, ct);
        db.Remove(list); // its terms go with it (ON DELETE CASCADE)
        await SaveListsChangeAsync(ct);
        return new(EditOutcome.Saved, new WordListDto(list.Id, list.Name, list.Category, list.Weight, terms), validation);
    }

    /// <summary>Adds the terms of a plain-text list (one per line) that the list does not hold yet, and reports the rest.</summary>
    public async Task<ModerationSaveResult<WordListImportDto>> ImportAsync(Guid id, string? text, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        if (text is null)
            return new(EditOutcome.Invalid, null, validation.Add("text", "Required", "'text' is required."));
        if (!await db.Set<ModerationWordList>().AnyAsync(l => l.Id == id, ct))
            return new(EditOutcome.NotFound, null, validation);
        var report = WordListImport.Read(text);
        var existing = (await db.Set<ModerationTerm>().Where(t => t.WordListId == id).Select(t => t.Text).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var added = report.Terms.Where(existing.Add).ToList();
        db.AddRange(added.Select(t => new ModerationTerm { WordListId = id, Text = t }));
        if (added.Count > 0)
            AuditTerms(id, "TermsAdded", added);
        await SaveListsChangeAsync(ct);
        return new(EditOutcome.Saved, new WordListImportDto(
            added.Count,
            report.TotalLines,
            report.BlankLines,
            [.. report.Duplicates.Select(ToDto)],
            [.. report.Malformed.Select(ToDto)]), validation);
    }

    private static ImportIssueDto ToDto(ImportLineIssue issue) =>
        new(issue.Line, issue.Why.Key[(issue.Why.Key.LastIndexOf('.') + 1)..], issue.Reason, issue.Text) { Why = issue.Why };

    /// <summary>A list's terms in order, optionally only those containing <paramref name="search"/>; null if there is no such list.</summary>
    public async Task<List<string>?> TermsAsync(Guid id, string? search = null, int? limit = null, CancellationToken ct = default)
    {
        if (!await db.Set<ModerationWordList>().AnyAsync(l => l.Id == id, ct))
            return null;
        var terms = db.Set<ModerationTerm>().Where(t => t.WordListId == id);
        if (!string.IsNullOrWhiteSpace(search))
            terms = terms.Where(t => t.Text.Contains(search.Trim()));
        var ordered = terms.OrderBy(t => t.Text).Select(t => t.Text);
        return await (limit is { } n ? ordered.Take(n) : ordered).ToListAsync(ct);
    }

    public async Task<ModerationSaveResult<string>> AddTermAsync(Guid id, string? term, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        if (!await db.Set<ModerationWordList>().AnyAsync(l => l.Id == id, ct))
            return new(EditOutcome.NotFound, null, validation);
        var report = WordListImport.Read(term ?? "");
        if (report.Malformed.Count > 0)
            validation.Add("term", "Malformed", $"'term' is not usable: {report.Malformed[0].Reason}.", report.Malformed[0].Why);
        else if (report.Terms.Count != 1)
            validation.Add("term", "Required", "'term' is required (one term, one line).");
        else if (await db.Set<ModerationTerm>().AnyAsync(t => t.WordListId == id && t.Text == report.Terms[0], ct))
            validation.Add("term", "DuplicateTerm", $"The list already holds '{report.Terms[0]}'.", report.Terms[0]);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        db.Add(new ModerationTerm { WordListId = id, Text = report.Terms[0] });
        AuditTerms(id, "TermsAdded", report.Terms);
        await SaveListsChangeAsync(ct);
        return new(EditOutcome.Saved, report.Terms[0], validation);
    }

    public async Task<ModerationSaveResult<string>> RemoveTermAsync(Guid id, string? term, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        var text = term?.Trim() ?? "";
        var row = await db.Set<ModerationTerm>().SingleOrDefaultAsync(t => t.WordListId == id && t.Text == text, ct);
        if (row is null)
            return new(EditOutcome.NotFound, null, validation);
        db.Remove(row);
        AuditTerms(id, "TermsRemoved", [text]);
        await SaveListsChangeAsync(ct);
        return new(EditOutcome.Saved, text, validation);
    }

    private void AuditTerms(Guid listId, string field, IReadOnlyList<string> terms) =>
        db.AddAuditNote(nameof(ModerationWordList), listId, "updated", null, new Dictionary<string, object?>
        {
            [field] = terms.Count <= AuditedTermsShown ? string.Join("、", terms) : $"{string.Join("、", terms.Take(AuditedTermsShown))} … (+{terms.Count - AuditedTermsShown})",
            [field + "Count"] = terms.Count,
        });

    public async Task<PolicyDto> PolicyAsync(CancellationToken ct = default)
    {
        var policy = await db.Set<ModerationPolicy>().AsNoTracking().SingleOrDefaultAsync(ct) ?? new ModerationPolicy();
        return new PolicyDto(
            [.. ModerationEngines.Lines(policy.AllowedDomains)],
            [.. ModerationEngines.Lines(policy.DeniedDomains)],
            ModerationEngines.ReadPatterns(policy.CustomPatterns),
            policy.ReviewThreshold,
            policy.ActThreshold,
            [.. BuiltInRules.Read(policy.BuiltInRules).Settings.Select(r =>
                new BuiltInRuleDto(r.Rule.ToString(), r.Enabled, r.Weight, BuiltInRules.DefaultWeight(r.Rule)))]);
    }

    /// <summary>
    /// Replaces the fields given (null leaves one as it is). A custom pattern that does not compile, matches empty
    /// text or could run away is refused with the reason, and nothing is saved.
    /// </summary>
    public async Task<ModerationSaveResult<PolicyDto>> UpdatePolicyAsync(PolicyInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        var policy = await PolicyRowAsync(ct);
        if (input.AllowedDomains is not null)
            policy.AllowedDomains = Domains(validation, "allowedDomains", input.AllowedDomains);
        if (input.DeniedDomains is not null)
            policy.DeniedDomains = Domains(validation, "deniedDomains", input.DeniedDomains);
        if (input.CustomPatterns is not null)
            policy.CustomPatterns = Patterns(validation, input.CustomPatterns);
        if (input.BuiltInRules is not null)
            policy.BuiltInRules = Rules(validation, BuiltInRules.Read(policy.BuiltInRules), input.BuiltInRules);
        var review = input.ReviewThreshold ?? policy.ReviewThreshold;
        var act = input.ActThreshold ?? policy.ActThreshold;
        if (review is <= 0 or > 1 || double.IsNaN(review))
            validation.Add("reviewThreshold", "OutOfRange", "'reviewThreshold' must be above 0 and at most 1.", 0, 1);
        if (act is <= 0 or > 1 || double.IsNaN(act))
            validation.Add("actThreshold", "OutOfRange", "'actThreshold' must be above 0 and at most 1.", 0, 1);
        else if (review > act)
            validation.Add("actThreshold", "ThresholdOrder", "'actThreshold' must not be below 'reviewThreshold'.");
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        (policy.ReviewThreshold, policy.ActThreshold) = (review, act);
        await SaveListsChangeAsync(ct);
        return new(EditOutcome.Saved, await PolicyAsync(ct), validation);
    }

    private static string Domains(Validation validation, string field, IReadOnlyList<string> domains)
    {
        var clean = domains.Select(d => (d ?? "").Trim().ToLowerInvariant()).Where(d => d.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (clean.Count > MaxDomains)
            validation.Add(field, "TooMany", $"'{field}' holds at most {MaxDomains} domains (got {clean.Count}).", MaxDomains, clean.Count);
        foreach (var d in clean)
        {
            if (!IsDomain(d))
            {
                validation.Add(field, "BadDomain", $"'{d}' is not a domain (write it like 'example.com').", d);
                break;
            }
        }
        return string.Join('\n', clean);
    }

    /// <summary>Applies the changes given to the stored rules; a rule not named stays as it is.</summary>
    private static string Rules(Validation validation, BuiltInRules current, IReadOnlyList<BuiltInRuleInput> changes)
    {
        var settings = current.Settings.ToDictionary(s => s.Rule);
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var field = $"builtInRules[{i}]";
            if (change?.Rule is not { } name || string.IsNullOrWhiteSpace(name))
            {
                validation.Add($"{field}.rule", "Required", $"'{field}.rule' is required.");
                continue;
            }
            if (!Enum.TryParse<PatternKind>(name.Trim(), ignoreCase: true, out var rule) || !settings.ContainsKey(rule) || int.TryParse(name, out _))
            {
                validation.Add($"{field}.rule", "UnknownValue", $"'{field}.rule' has an unknown value '{name}'; known rules: {string.Join(", ", BuiltInRules.All)}.", name);
                continue;
            }
            if (change.Weight is { } weight && (weight is < 0 or > 1 || double.IsNaN(weight)))
            {
                validation.Add($"{field}.weight", "OutOfRange", $"'{field}.weight' must be between 0 and 1.", 0, 1);
                continue;
            }
            var before = settings[rule];
            settings[rule] = before with { Enabled = change.Enabled ?? before.Enabled, Weight = change.Weight ?? before.Weight };
        }
        return new BuiltInRules(settings.Values).Write();
    }

    /// <summary>A bare host name as allow and deny lists hold them (no scheme, path, port or spaces).</summary>
    internal static bool IsDomain(string domain) =>
        domain.Length <= DomainMaxLength && !domain.Any(c => char.IsWhiteSpace(c) || c is '/' or ':' or '@' or '?' or '#');

    private static string Patterns(Validation validation, IReadOnlyList<CustomPatternSpec> specs)
    {
        CheckPatterns(validation, "customPatterns", specs);
        return validation.IsValid
            ? JsonSerializer.Serialize(specs.Select(s => s with { Name = s.Name.Trim() }), JsonSerializerOptions.Web)
            : "[]";
    }

    /// <summary>
    /// Checks custom patterns, the workspace's or a rule set's (<paramref name="listField"/> names the list): at most
    /// <see cref="MaxCustomPatterns"/>, each one compiles and cannot run away (<see cref="CustomPattern.TryCreate"/>),
    /// no two share a name.
    /// </summary>
    internal static void CheckPatterns(Validation validation, string listField, IReadOnlyList<CustomPatternSpec> specs)
    {
        if (specs.Count > MaxCustomPatterns)
            validation.Add(listField, "TooMany", $"'{listField}' holds at most {MaxCustomPatterns} patterns (got {specs.Count}).", MaxCustomPatterns, specs.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            var field = $"{listField}[{i}]";
            if (spec is null)
            {
                validation.Add(field, "Required", $"'{field}' is empty.");
                continue;
            }
            if (!CustomPattern.TryCreate(spec.Name ?? "", spec.Pattern ?? "", spec.Weight, out _, out var error))
                validation.Add(field, "BadPattern", $"'{field}' ({spec.Name}) is refused: {error}.", spec.Name ?? "", error!);
            else if (!names.Add((spec.Name ?? "").Trim()))
                validation.Add(field, "DuplicateName", $"Two patterns are named '{spec.Name}'.", spec.Name ?? "");
        }
    }

    public async Task<ModerationSaveResult<LabelCounts>> AddLabelAsync(LabelInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanLabelMessages)
            return new(EditOutcome.Forbidden, null, validation);
        validation.MaxLength("text", input.Text, LabelledMessage.TextMaxLength);
        if (string.IsNullOrWhiteSpace(input.Text))
            validation.Add("text", "Required", "'text' is required.");
        if (input.IsSpam is null)
            validation.Add("isSpam", "Required", "'isSpam' is required.");
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var label = new LabelledMessage { IsSpam = input.IsSpam!.Value, Text = input.Text! };
        db.Add(label);
        db.AddAuditNote(nameof(LabelledMessage), label.Id, "created", null, new Dictionary<string, object?> { ["IsSpam"] = label.IsSpam, ["Text"] = label.Text });
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, await LabelCountsAsync(ct), validation);
    }

    /// <summary>Imports a labelled CSV (<c>target,input</c>); a bad row is named and nothing is imported.</summary>
    public async Task<ModerationSaveResult<LabelImportDto>> ImportLabelsAsync(string? text, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!await MayManageAsync(ct))
            return new(EditOutcome.Forbidden, null, validation);
        if (text is null)
            return new(EditOutcome.Invalid, null, validation.Add("text", "Required", "'text' is required."));
        IReadOnlyList<LabelledExample> examples;
        try
        {
            examples = LabelledCsv.Read(text);
        }
        catch (LabelledFileException e)
        {
            return new(EditOutcome.Invalid, null, validation.Add("text", "BadRow", $"{e.Message}; nothing imported.", e.Row, e.Why));
        }
        var tooLong = examples.Select((e, i) => (e, i)).FirstOrDefault(x => x.e.Text.Length > LabelledMessage.TextMaxLength);
        if (tooLong.e is not null)
        {
            var problem = WordListImport.Why("InputTooLong", $"input longer than {LabelledMessage.TextMaxLength} characters", LabelledMessage.TextMaxLength);
            return new(EditOutcome.Invalid, null, validation.Add("text", "BadRow", $"row {tooLong.i + 1}: {problem}; nothing imported.", tooLong.i + 1, problem));
        }
        db.AddRange(examples.Select(e => new LabelledMessage { IsSpam = e.IsSpam, Text = e.Text }));
        db.AddAuditNote(nameof(LabelledMessage), Guid.Empty, "created", null, new Dictionary<string, object?>
        {
            ["LabelsImported"] = examples.Count,
            ["SpamImported"] = examples.Count(e => e.IsSpam),
        });
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, new LabelImportDto(examples.Count, await db.Set<LabelledMessage>().CountAsync(ct)), validation);
    }

    public async Task<LabelCounts> LabelCountsAsync(CancellationToken ct = default)
    {
        var counts = await db.Set<LabelledMessage>().GroupBy(m => m.IsSpam).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return new LabelCounts(counts.Sum(c => c.Count), counts.Where(c => c.Key).Sum(c => c.Count));
    }

    /// <summary>
    /// Starts training on the workspace's labels in the background. The current model keeps serving until the new
    /// one is stored and swapped in; a run already going on for the workspace is not started twice.
    /// </summary>
    public async Task<(TrainingStart Start, Validation Validation)> TrainAsync(CancellationToken ct = default)
    {
        if (!await MayManageAsync(ct))
            return (TrainingStart.Forbidden, new Validation());
        return await StartTrainingAsync(ct);
    }

    /// <summary>
    /// <see cref="TrainAsync"/> without the role check: for retraining that staff's review marks set off
    /// (Features/Review), where any staff member who may label may cause it.
    /// </summary>
    public async Task<(TrainingStart Start, Validation Validation)> StartTrainingAsync(CancellationToken ct = default)
    {
        var validation = new Validation();
        var examples = await db.Set<LabelledMessage>().Select(m => new LabelledExample(m.IsSpam, m.Text)).ToListAsync(ct);
        var spam = examples.Count(e => e.IsSpam);
        if (spam == 0 || spam == examples.Count)
            return (TrainingStart.Invalid, validation.Add("labels", "BothKinds", "Training needs labelled messages of both kinds (spam and not spam)."));
        await engines.ForWorkspaceAsync(db, ct);
        var workspace = db.CurrentWorkspaceId;
        if (!engines.TryStartTraining(workspace, engine => TrainAndStoreAsync(engine, workspace, examples)))
            return (TrainingStart.AlreadyRunning, validation);
        db.AddAuditNote(nameof(StoredSpamModel), workspace, "updated", null, new Dictionary<string, object?>
        {
            ["TrainingStarted"] = examples.Count,
            ["SpamExamples"] = spam,
        });
        await db.SaveChangesAsync(ct);
        return (TrainingStart.Started, validation);
    }

    /// <summary>Runs outside the request: its own scope, acting for the workspace; a failure is logged and the old model stays.</summary>
    private async Task TrainAndStoreAsync(ModerationEngine engine, Guid workspace, IReadOnlyList<LabelledExample> examples)
    {
        try
        {
            var model = await ModelTraining.TrainAndSwapAsync(engine, examples);
            await using var scope = scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            store.Current.ActAsSystem(workspace);
            await StoreModelAsync(store, model, CancellationToken.None);
        }
#pragma warning disable CA1031 // A background run must not take the process down; the failure is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogTrainingFailed(logger, e);
        }
    }

    /// <summary>Stores a model as the workspace's current one and tells every node through the model stamp.</summary>
    public static async Task StoreModelAsync(AppDbContext db, SpamModel model, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(model);
        var m = model.Metrics;
        var stored = await db.Set<StoredSpamModel>().SingleOrDefaultAsync(ct);
        if (stored is null)
        {
            stored = new StoredSpamModel { WorkspaceId = db.CurrentWorkspaceId, Weights = [] };
            db.Add(stored);
        }
        stored.Weights = ModerationEngines.Encode(model);
        (stored.TrainingExamples, stored.SpamExamples, stored.HeldOut) = (m.TrainingExamples, m.SpamExamples, m.HeldOut);
        (stored.Accuracy, stored.Precision, stored.Recall) = (Measured(m.Accuracy), Measured(m.Precision), Measured(m.Recall));
        stored.TrainedAt = m.TrainedAt.UtcDateTime;
        var policy = await PolicyRowAsync(db, ct);
        policy.ModelStamp = ModerationPolicy.NewStamp();
        await db.SaveChangesWithoutAuditAsync(ct);
    }

    /// <summary>The model serving now (null if none), and whether a training run is going on on this node.</summary>
    public async Task<(ModelDto? Model, bool Training)> ModelAsync(CancellationToken ct = default)
    {
        var model = (await engines.ForWorkspaceAsync(db, ct)).Snapshot.Model;
        var training = engines.IsTraining(db.CurrentWorkspaceId);
        if (model is null)
            return (null, training);
        var m = model.Metrics;
        return (new ModelDto(m.TrainingExamples, m.SpamExamples, m.HeldOut, Shown(m.Accuracy), Shown(m.Precision), Shown(m.Recall), m.TrainedAt), training);
    }

    /// <summary>Metrics are NaN when there were too few examples to hold some out; stored and sent as null.</summary>
    private static double? Measured(double value) => double.IsNaN(value) ? null : value;

    /// <summary>As sent: at most <see cref="CheckResultDto.Decimals"/> decimals (0.8333, not 0.8333333333333334).</summary>
    private static double? Shown(double value) => Measured(value) is { } v ? Math.Round(v, CheckResultDto.Decimals, MidpointRounding.AwayFromZero) : null;

    private async Task<bool> MayManageAsync(CancellationToken ct) =>
        await db.Current.GetProfileAsync(db, ct) is { CanManageModeration: true };

    private Task<ModerationPolicy> PolicyRowAsync(CancellationToken ct) => PolicyRowAsync(db, ct);

    private static async Task<ModerationPolicy> PolicyRowAsync(AppDbContext db, CancellationToken ct)
    {
        var policy = db.Set<ModerationPolicy>().Local.FirstOrDefault() ?? await db.Set<ModerationPolicy>().SingleOrDefaultAsync(ct);
        if (policy is null)
        {
            policy = new ModerationPolicy { WorkspaceId = db.CurrentWorkspaceId };
            db.Add(policy);
        }
        return policy;
    }

    /// <summary>Saves a change to lists or settings with a new lists stamp, then reloads this node's engine.</summary>
    private async Task SaveListsChangeAsync(CancellationToken ct)
    {
        (await PolicyRowAsync(ct)).ListsStamp = ModerationPolicy.NewStamp();
        await db.SaveChangesAsync(ct);
        await engines.RefreshNowAsync(db, ct);
    }

    private static readonly Action<ILogger, Exception?> LogTrainingFailed =
        LoggerMessage.Define(LogLevel.Error, new EventId(4001, "ModerationTrainingFailed"), "Training the moderation model failed");
}
