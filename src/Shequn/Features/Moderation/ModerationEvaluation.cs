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
    /// <summary>
    /// The one summary line: accuracy and F1 at the review threshold (the boundary between "looks fine"
    /// and "looks like spam"), precision and recall at the act threshold (what acts without a person).
    /// </summary>
    public string SummaryLine => string.Create(
        CultureInfo.InvariantCulture,
        $"eval: accuracy {AtReview.Accuracy:0.000} precision@act {AtAct.Precision:0.000} recall@act {AtAct.Recall:0.000} f1 {AtReview.F1:0.000} ({Messages} messages)");
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
        var model = Train(train.Select(e => (e, ModerationEngine.ExtractFeatures(e.Text, rules))).ToList(), cancellationToken);
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
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        if (examples.Count < folds)
            throw new ArgumentException($"Need at least {folds} examples for {folds}-fold cross-validation.", nameof(examples));
        // Lists and patterns do not change between folds, so each message's features are computed once.
        var featured = examples.Select(e => (e, ModerationEngine.ExtractFeatures(e.Text, rules))).ToArray();
        var order = Enumerable.Range(0, featured.Length).ToArray();
        new Random(seed).Shuffle(order);
        var scored = new List<(double, bool)>(examples.Count);
        var training = TimeSpan.Zero;
        for (var fold = 0; fold < folds; fold++)
        {
            var train = new List<(LabelledExample, int[])>();
            var test = new List<LabelledExample>();
            for (var i = 0; i < order.Length; i++)
            {
                if (i % folds == fold)
                    test.Add(featured[order[i]].e);
                else
                    train.Add(featured[order[i]]);
            }
            var started = TimeProvider.System.GetTimestamp();
            var model = Train(train, cancellationToken);
            training += TimeProvider.System.GetElapsedTime(started);
            scored.AddRange(Score(test, rules with { Model = model }));
        }
        return Report($"{folds}-fold cross-validation", scored, rules.Thresholds, training);
    }

    private static SpamModel Train(IReadOnlyList<(LabelledExample Example, int[] Features)> examples, CancellationToken cancellationToken) =>
        SpamModelTrainer.Train([.. examples.Select(x => new SpamModelTrainer.Example(x.Features, x.Example.IsSpam))], cancellationToken: cancellationToken);

    private static List<(double Score, bool IsSpam)> Score(IReadOnlyList<LabelledExample> test, ModerationSnapshot snapshot)
    {
        var engine = new ModerationEngine(snapshot);
        return [.. test.Select(e => (engine.Score(new ModerationMessage(e.Text)), e.IsSpam))];
    }

    private static EvaluationReport Report(string method, List<(double Score, bool IsSpam)> scored, ModerationThresholds thresholds, TimeSpan training) =>
        new(method, ThresholdMetrics.Measure(scored, thresholds.Review), ThresholdMetrics.Measure(scored, thresholds.Act), scored.Count, training);
}
