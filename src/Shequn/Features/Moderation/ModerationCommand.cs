using System.Globalization;

namespace Shequn.Features.Moderation;

/// <summary>
/// <c>moderation eval|check|import</c>: the detection engine from the command line, without a server or a
/// database. Word lists come from <c>--lexicon DIR</c> (plain-text files) when given; otherwise only the
/// built-in patterns and the model trained from the labelled file apply.
/// </summary>
public static class ModerationCommand
{
    private const string Usage =
        "usage: moderation eval [--train TRAIN.csv] --labelled TEST.csv [--lexicon DIR] [--folds N] [--review X] [--act Y] [--errors OUT.tsv]"
        + " | moderation check \"text\" [--train TRAIN.csv] [--lexicon DIR] [--kind KIND] [--outsider]"
        + " | moderation import LIST.txt";

    /// <summary>
    /// Default weight of a hit when lists are loaded from a folder. Public lists mix strong terms with everyday
    /// words (网络, 客服, 代理), so a hit alone adds little; the model also sees which categories hit and
    /// learns how much they mean from the labels.
    /// </summary>
    public static double DefaultWeight(LexiconCategory category) => category switch
    {
        LexiconCategory.Ads or LexiconCategory.Porn or LexiconCategory.Gambling or LexiconCategory.ContactSolicitation => 0.1,
        _ => 0.05,
    };

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Length > 0 && args[0] == "moderation")
            args = args[1..];
        if (args.Length == 0)
            return Fail(output, Usage);
        try
        {
            var options = Parse(args[1..], out var positional);
            return args[0] switch
            {
                "eval" when positional.Count == 0 => await EvalAsync(options, output),
                "check" when positional.Count == 1 => await CheckAsync(positional[0], options, output),
                "import" when positional.Count == 1 && options.Count == 0 => await ImportAsync(positional[0], output),
                _ => Fail(output, Usage),
            };
        }
        catch (UsageException e)
        {
            return Fail(output, e.Message);
        }
        catch (LabelledFileException e)
        {
            return Fail(output, $"bad labelled file: {e.Message}; nothing imported");
        }
        catch (IOException e)
        {
            return Fail(output, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(output, e.Message);
        }
    }

    private static int Fail(TextWriter output, string message)
    {
        output.WriteLine($"moderation: {message}");
        return 2;
    }

    private sealed class UsageException(string message) : Exception(message);

    private static readonly HashSet<string> Flags = ["--outsider"];
    private static readonly HashSet<string> Valued = ["--train", "--labelled", "--lexicon", "--folds", "--review", "--act", "--kind", "--errors"];

    private static Dictionary<string, string> Parse(string[] args, out List<string> positional)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        positional = [];
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (Flags.Contains(a))
            {
                options[a] = "true";
            }
            else if (Valued.Contains(a))
            {
                if (i + 1 >= args.Length)
                    throw new UsageException($"{a} needs a value");
                options[a] = args[++i];
            }
            else if (a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unknown option {a}; {Usage}");
            }
            else
            {
                positional.Add(a);
            }
        }
        return options;
    }

    private static double Number(Dictionary<string, string> options, string name, double fallback)
    {
        if (!options.TryGetValue(name, out var text))
            return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value is < 0 or > 1)
            throw new UsageException($"{name} must be a number between 0 and 1, got '{text}'");
        return value;
    }

    private static async Task<ModerationSnapshot> RulesAsync(Dictionary<string, string> options)
    {
        var review = Number(options, "--review", ModerationThresholds.Default.Review);
        var act = Number(options, "--act", ModerationThresholds.Default.Act);
        if (act < review)
            throw new UsageException("--act must not be below --review");
        var lexicon = CompiledLexicon.Empty;
        if (options.TryGetValue("--lexicon", out var folder))
        {
            if (!Directory.Exists(folder))
                throw new UsageException($"lexicon folder not found: {folder} (looked for {Path.GetFullPath(folder)})");
            lexicon = CompiledLexicon.Compile(await LoadListsAsync(folder));
        }
        return new ModerationSnapshot(lexicon, PatternSet.Default, null, new ModerationThresholds(review, act));
    }

    /// <summary>Every *.txt file in a folder becomes a list named after the file, its category guessed from the name.</summary>
    public static async Task<IReadOnlyList<WordList>> LoadListsAsync(string folder, CancellationToken cancellationToken = default)
    {
        var lists = new List<WordList>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.txt").Order(StringComparer.Ordinal))
        {
            var report = WordListImport.Read(await File.ReadAllBytesAsync(path, cancellationToken));
            var name = Path.GetFileNameWithoutExtension(path);
            var category = CompiledLexicon.GuessCategory(name);
            lists.Add(new WordList(name, category, DefaultWeight(category), report.Terms));
        }
        return lists;
    }

    private static async Task<IReadOnlyList<LabelledExample>> LabelledAsync(string path)
    {
        if (!File.Exists(path))
            throw new UsageException($"file not found: {path} (looked for {Path.GetFullPath(path)})");
        return await LabelledCsv.ReadFileAsync(path);
    }

    private static async Task<int> EvalAsync(Dictionary<string, string> options, TextWriter output)
    {
        if (!options.TryGetValue("--labelled", out var labelledPath))
            throw new UsageException($"eval needs --labelled FILE; {Usage}");
        var rules = await RulesAsync(options);
        var labelled = await LabelledAsync(labelledPath);
        if (labelled.Count == 0)
            throw new UsageException($"no labelled rows in {labelledPath}");

        IReadOnlyList<EvaluationReport> reports;
        if (options.TryGetValue("--train", out var trainPath))
        {
            var train = await LabelledAsync(trainPath);
            if (train.Count == 0)
                throw new UsageException($"no labelled rows in {trainPath}");
            output.WriteLine($"training on {train.Count} messages from {trainPath}, testing on {labelled.Count} from {labelledPath}");
            reports = [ModerationEvaluation.TrainAndTest(train, labelled, rules)];
        }
        else
        {
            var folds = 5;
            if (options.TryGetValue("--folds", out var foldText) && (!int.TryParse(foldText, CultureInfo.InvariantCulture, out folds) || folds < 2))
                throw new UsageException($"--folds must be a whole number of at least 2, got '{foldText}'");
            if (labelled.Count < folds)
                throw new UsageException($"{labelled.Count} labelled rows are too few for {folds}-fold cross-validation");
            output.WriteLine($"{folds}-fold cross-validation on {labelled.Count} messages from {labelledPath}: random folds, time-ordered (file order), near-duplicates kept together");
            // The grouped split comes last: it is the figure to judge changes by, and the summary line.
            reports = ModerationEvaluation.Evaluate(labelled, rules, [EvaluationSplit.RandomFolds, EvaluationSplit.TimeOrdered, EvaluationSplit.Grouped], folds);
        }

        var lexicon = rules.Lexicon;
        var training = reports.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Training);
        output.WriteLine($"word lists: {lexicon.Lists.Count} ({lexicon.EntryCount} terms); training took {training.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        foreach (var report in reports)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Method}: {report.Messages} messages tested, {report.NormalToReview:0.000} of normal messages sent to review"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  at review (score >= {report.AtReview.Threshold:0.00}): {report.AtReview.Describe()}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  at act    (score >= {report.AtAct.Threshold:0.00}): {report.AtAct.Describe()}"));
        }
        if (options.TryGetValue("--errors", out var errorsPath))
            await WriteErrorsAsync(errorsPath, reports[^1], rules.Thresholds);
        output.WriteLine(reports[^1].SummaryLine);
        return 0;
    }

    /// <summary>
    /// The messages the summary's split got wrong at the review threshold (and spam that did not reach the act
    /// threshold), worst first, as label, score and text separated by tabs: what to read before changing anything.
    /// </summary>
    private static async Task WriteErrorsAsync(string path, EvaluationReport report, ModerationThresholds thresholds)
    {
        var wrong = report.Scores
            .Where(s => s.Example.IsSpam ? s.Score < thresholds.Act : s.Score >= thresholds.Review)
            .OrderByDescending(s => Math.Abs(s.Score - (s.Example.IsSpam ? 1 : 0)));
        await File.WriteAllLinesAsync(path, wrong.Select(s => string.Create(
            CultureInfo.InvariantCulture,
            $"{(s.Example.IsSpam ? 1 : 0)}\t{s.Score:0.000}\t{s.Example.Text.ReplaceLineEndings(" ").Replace('\t', ' ')}")));
    }

    private static async Task<int> CheckAsync(string text, Dictionary<string, string> options, TextWriter output)
    {
        var rules = await RulesAsync(options);
        if (options.TryGetValue("--train", out var trainPath))
        {
            var train = await LabelledAsync(trainPath);
            if (train.Count == 0)
                throw new UsageException($"no labelled rows in {trainPath}");
            var examples = train.Select(e => ModerationEngine.ExtractExample(e.Text, e.IsSpam, rules)).ToList();
            rules = rules with { Model = SpamModelTrainer.Train(examples) };
        }
        var kind = MessageKind.Text;
        if (options.TryGetValue("--kind", out var kindText) && !Enum.TryParse(kindText, ignoreCase: true, out kind))
            throw new UsageException($"unknown --kind '{kindText}'; one of {string.Join(", ", Enum.GetNames<MessageKind>())}");

        var result = new ModerationEngine(rules).Check(new ModerationMessage(text, kind, FromMember: !options.ContainsKey("--outsider")));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"score {result.Score:0.000} decision {result.Decision.ToString().ToLowerInvariant()}"));
        output.WriteLine(result.ModelScore is { } m
            ? string.Create(CultureInfo.InvariantCulture, $"model {m:0.000}")
            : "model none (give --train FILE to train one)");
        if (result.Evidence.Count == 0)
            output.WriteLine("evidence: none");
        foreach (var e in result.Evidence.Where(e => e.Source != EvidenceSource.Model))
        {
            var span = e.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $" at {e.Start}..{e.Start + e.Length}") : "";
            var term = e.Term is null ? "" : $" \"{e.Term}\"";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"evidence: {e.Source.ToString().ToLowerInvariant()} {e.Rule}{term}{span} weight {e.Weight:0.00}"));
        }
        return 0;
    }

    private static async Task<int> ImportAsync(string path, TextWriter output)
    {
        if (!File.Exists(path))
            throw new UsageException($"file not found: {path} (looked for {Path.GetFullPath(path)})");
        var report = WordListImport.Read(await File.ReadAllBytesAsync(path));
        foreach (var line in report.BlankLines)
            output.WriteLine($"line {line}: blank");
        foreach (var issue in report.Duplicates.Concat(report.Malformed).OrderBy(i => i.Line))
            output.WriteLine($"line {issue.Line}: {issue.Reason}{(issue.Text is null ? "" : $" ({issue.Text})")}");
        output.WriteLine($"import: {report.Summary}");
        return 0;
    }
}
