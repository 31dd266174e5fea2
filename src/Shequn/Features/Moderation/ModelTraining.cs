using System.Diagnostics.CodeAnalysis;
namespace Shequn.Features.Moderation;

/// <summary>
/// Retrains a workspace's model off the request path and swaps it into the engine when done; the previous
/// model keeps serving until then. A tenth of the examples is held out to measure the new model.
/// </summary>
public static class ModelTraining
{
    /// <summary>Below this many examples a held-out tenth says nothing useful; metrics are left empty.</summary>
    public const int MinimumForHoldOut = 50;

    public static Task<SpamModel> TrainAndSwapAsync(ModerationEngine engine, IReadOnlyList<LabelledExample> examples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0 || examples.All(e => e.IsSpam) || examples.All(e => !e.IsSpam))
            throw new ArgumentException("Training needs labelled examples of both classes.", nameof(examples));
        return Task.Run(() => TrainAndSwap(engine, examples, cancellationToken), cancellationToken);
    }

    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded shuffle for training and evaluation, repeatable on purpose; nothing secret depends on it.")]
    private static SpamModel TrainAndSwap(ModerationEngine engine, IReadOnlyList<LabelledExample> examples, CancellationToken cancellationToken)
    {
        var rules = engine.Snapshot;
        var featured = examples.Select(e => ModerationEngine.ExtractExample(e.Text, e.IsSpam, rules)).ToArray();
        var metrics = (ModelMetrics?)null;
        if (featured.Length >= MinimumForHoldOut)
        {
            var order = Enumerable.Range(0, featured.Length).ToArray();
            new Random(featured.Length).Shuffle(order);
            var held = order.Where((_, i) => i % 10 == 0).ToArray();
            var probe = SpamModelTrainer.Train([.. order.Where((_, i) => i % 10 != 0).Select(i => featured[i])], cancellationToken: cancellationToken);
            var probeEngine = new ModerationEngine(rules with { Model = probe });
            var scored = held.Select(i => (probeEngine.Score(new ModerationMessage(examples[i].Text)), examples[i].IsSpam)).ToList();
            var atAct = ThresholdMetrics.Measure(scored, rules.Thresholds.Act);
            var atReview = ThresholdMetrics.Measure(scored, rules.Thresholds.Review);
            metrics = new ModelMetrics(featured.Length, featured.Count(e => e.IsSpam), held.Length, atReview.Accuracy, atAct.Precision, atAct.Recall, DateTimeOffset.UtcNow);
        }
        var model = SpamModelTrainer.Train(featured, cancellationToken: cancellationToken);
        if (metrics is not null)
            model = model.WithMetrics(metrics);
        cancellationToken.ThrowIfCancellationRequested();
        engine.UseModel(model);
        return model;
    }
}
