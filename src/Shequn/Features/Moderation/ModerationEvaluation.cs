using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Shequn.Features.Moderation;

/// <summary>Confusion counts of one threshold and the figures derived from them.</summary>
public readonly record struct ThresholdMetrics(double Threshold, int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives)
{
    public int Total => TruePositives + FalsePositives + TrueNegatives + FalseNegatives;

    public double Accuracy => Ratio(TruePositives + TrueNegatives, Total);

    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    private static double Ratio(int a, int b) => b == 0 ? 0 : (double)a / b;

    public static ThresholdMetrics Measure(IReadOnlyList<(double Score, bool IsSpam)> scored, double threshold)
    {
        int tp = 0, fp = 0, tn = 0, fn = 0;
        foreach (var (score, isSpam) in scored)
        {
            var flagged = score >= threshold;
            if (flagged && isSpam)
                tp++;
            else if (flagged)
                fp++;
            else if (isSpam)
                fn++;
            else
                tn++;
        }
        return new ThresholdMetrics(threshold, tp, fp, tn, fn);
    }

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"accuracy {Accuracy:0.000} precision {Precision:0.000} recall {Recall:0.000} f1 {F1:0.000} (tp {TruePositives} fp {FalsePositives} tn {TrueNegatives} fn {FalseNegatives})");
}

public sealed record EvaluationReport(string Method, ThresholdMetrics AtReview, ThresholdMetrics AtAct, int Messages, TimeSpan Training)
{
    /// <summary>Every tested message with its score (for listing the mistakes).</summary>
    public IReadOnlyList<(LabelledExample Example, double Score)> Scores { get; init; } = [];

    /// <summary>Share of the normal messages scored at or above the review threshold: the work (and the annoyance) false alarms cause.</summary>
    public double NormalToReview => AtReview.FalsePositives + AtReview.TrueNegatives == 0
        ? 0
        : (double)AtReview.FalsePositives / (AtReview.FalsePositives + AtReview.TrueNegatives);

    /// <summary>
    /// The one summary line: accuracy and F1 at the review threshold (the boundary between "looks fine"
    /// and "looks like spam"), precision and recall at the act threshold (what acts without a person), the
    /// share of normal messages a person has to look at, and how the figures were measured.
    /// </summary>
    public string SummaryLine => string.Create(
        CultureInfo.InvariantCulture,
        $"eval: accuracy {AtReview.Accuracy:0.000} precision@act {AtAct.Precision:0.000} recall@act {AtAct.Recall:0.000} f1 {AtReview.F1:0.000} normal-to-review {NormalToReview:0.000} ({Messages} messages, {Method})");
}

/// <summary>How labelled messages are split into training and test parts.</summary>
public enum EvaluationSplit
{
    /// <summary>Shuffled k-fold: flattering on files where the same ad is posted many times.</summary>
    RandomFolds,

    /// <summary>Train on the earlier messages (file order), test on the last 1/k: what a model trained today meets tomorrow.</summary>
    TimeOrdered,

    /// <summary>k-fold where near-duplicates (<see cref="NearDuplicates"/>) always share a fold: the figure to judge changes by.</summary>
    Grouped,
}

/// <summary>Trains on labelled messages and measures the combined score (rules + model) on others.</summary>
public static class ModerationEvaluation
{
    public static EvaluationReport TrainAndTest(
        IReadOnlyList<LabelledExample> train,
        IReadOnlyList<LabelledExample> test,
        ModerationSnapshot rules,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(rules);
        var started = TimeProvider.System.GetTimestamp();
        var model = Train(train.Select(e => (e, ModerationEngine.ExtractExample(e.Text, e.IsSpam, rules))).ToList(), cancellationToken);
        var training = TimeProvider.System.GetElapsedTime(started);
        var scored = Score(test, rules with { Model = model });
        return Report("train/test", scored, rules.Thresholds, training);
    }

    /// <summary>k-fold cross-validation with a fixed shuffle; the figures pool every fold's held-out scores.</summary>
    public static EvaluationReport CrossValidate(
        IReadOnlyList<LabelledExample> examples,
        ModerationSnapshot rules,
        int folds = 5,
        int seed = 20261123,
        CancellationToken cancellationToken = default) =>
        Evaluate(examples, rules, [EvaluationSplit.RandomFolds], folds, seed, cancellationToken)[0];

    /// <summary>
    /// The same messages measured under each split asked for (features are computed once for all of them).
    /// Reports come back in the order of <paramref name="splits"/>.
    /// </summary>
    public static IReadOnlyList<EvaluationReport> Evaluate(
        IReadOnlyList<LabelledExample> examples,
        ModerationSnapshot rules,
        IReadOnlyList<EvaluationSplit> splits,
        int folds = 5,
        int seed = 20261123,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        if (examples.Count < folds)
            throw new ArgumentException($"Need at least {folds} examples for {folds}-fold cross-validation.", nameof(examples));
        // Lists and patterns do not change between folds, so each message's features are computed once.
        var featured = examples.Select(e => (e, ModerationEngine.ExtractExample(e.Text, e.IsSpam, rules))).ToArray();
        var reports = new List<EvaluationReport>(splits.Count);
        foreach (var split in splits)
        {
            var (foldOf, tested, method) = split switch
            {
                EvaluationSplit.RandomFolds => (RandomFolds(examples.Count, folds, seed), folds, $"{folds}-fold cross-validation"),
                EvaluationSplit.TimeOrdered => (TimeOrderedFolds(examples.Count, folds), 1, $"time-ordered, last 1/{folds} tested"),
                EvaluationSplit.Grouped => Grouped(examples, folds, seed),
                _ => throw new ArgumentOutOfRangeException(nameof(splits), split, "Unknown split."),
            };
            reports.Add(RunFolds(featured, foldOf, tested, method, rules, cancellationToken));
        }
        return reports;
    }

    private static (int[] FoldOf, int Tested, string Method) Grouped(IReadOnlyList<LabelledExample> examples, int folds, int seed)
    {
        var groupOf = NearDuplicates.Group([.. examples.Select(e => e.Text)]);
        var sizes = groupOf.CountBy(g => g).Select(g => g.Value).ToArray();
        return (GroupedFolds(groupOf, folds, seed), folds, $"grouped {folds}-fold, {sizes.Length} groups, largest {sizes.Max()}");
    }

    /// <summary>Fold of each example under a fixed shuffle.</summary>
    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded shuffle for training and evaluation, repeatable on purpose; nothing secret depends on it.")]
    internal static int[] RandomFolds(int count, int folds, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        var foldOf = new int[count];
        for (var i = 0; i < order.Length; i++)
            foldOf[order[i]] = i % folds;
        return foldOf;
    }

    /// <summary>The last 1/k of the examples is fold 0 (tested), everything before it fold 1 (trained on).</summary>
    internal static int[] TimeOrderedFolds(int count, int folds)
    {
        var firstTested = count - Math.Max(1, count / folds);
        return [.. Enumerable.Range(0, count).Select(i => i >= firstTested ? 0 : 1)];
    }

    /// <summary>
    /// Whole groups go to folds, largest first, each to the fold with the fewest messages so far (ties in a
    /// fixed shuffled order), so folds stay balanced and no group spans two folds.
    /// </summary>
    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded shuffle for training and evaluation, repeatable on purpose; nothing secret depends on it.")]
    public static int[] GroupedFolds(IReadOnlyList<int> groupOf, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(groupOf);
        var members = new Dictionary<int, List<int>>();
        for (var i = 0; i < groupOf.Count; i++)
        {
            if (!members.TryGetValue(groupOf[i], out var list))
                members[groupOf[i]] = list = [];
            list.Add(i);
        }
        var groups = members.Values.ToArray();
        new Random(seed).Shuffle(groups);
        var sizes = new int[folds];
        var foldOf = new int[groupOf.Count];
        foreach (var group in groups.OrderByDescending(g => g.Count))
        {
            var fold = Array.IndexOf(sizes, sizes.Min());
            sizes[fold] += group.Count;
            foreach (var i in group)
                foldOf[i] = fold;
        }
        return foldOf;
    }

    private static EvaluationReport RunFolds(
        (LabelledExample Example, SpamModelTrainer.Example Features)[] featured,
        int[] foldOf,
        int testedFolds,
        string method,
        ModerationSnapshot rules,
        CancellationToken cancellationToken)
    {
        var scored = new List<(LabelledExample Example, double Score)>(featured.Length);
        var training = TimeSpan.Zero;
        for (var fold = 0; fold < testedFolds; fold++)
        {
            var train = new List<(LabelledExample, SpamModelTrainer.Example)>();
            var test = new List<LabelledExample>();
            for (var i = 0; i < featured.Length; i++)
            {
                if (foldOf[i] == fold)
                    test.Add(featured[i].Example);
                else
                    train.Add(featured[i]);
            }
            if (test.Count == 0 || train.Count == 0)
                continue;
            var started = TimeProvider.System.GetTimestamp();
            var model = Train(train, cancellationToken);
            training += TimeProvider.System.GetElapsedTime(started);
            scored.AddRange(Score(test, rules with { Model = model }));
        }
        return Report(method, scored, rules.Thresholds, training);
    }

    private static SpamModel Train(IReadOnlyList<(LabelledExample Example, SpamModelTrainer.Example Features)> examples, CancellationToken cancellationToken) =>
        SpamModelTrainer.Train([.. examples.Select(x => x.Features)], cancellationToken: cancellationToken);

    private static List<(LabelledExample Example, double Score)> Score(IReadOnlyList<LabelledExample> test, ModerationSnapshot snapshot)
    {
        var engine = new ModerationEngine(snapshot);
        return [.. test.Select(e => (e, engine.Score(new ModerationMessage(e.Text))))];
    }

    private static EvaluationReport Report(string method, List<(LabelledExample Example, double Score)> scored, ModerationThresholds thresholds, TimeSpan training)
    {
        var pairs = scored.Select(s => (s.Score, s.Example.IsSpam)).ToList();
        return new(method, ThresholdMetrics.Measure(pairs, thresholds.Review), ThresholdMetrics.Measure(pairs, thresholds.Act), scored.Count, training) { Scores = scored };
    }
}
