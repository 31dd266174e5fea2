using System.Buffers.Binary;
using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

/// <summary>The stored model's format: versioned, calibrated models survive a round trip, older ones are refused.</summary>
public sealed class SpamModelFormatTests
{
    private static readonly ModelMetrics NoMetrics = new(0, 0, 0, double.NaN, double.NaN, double.NaN, DateTimeOffset.UnixEpoch);

    /// <summary>Enough examples to calibrate: the fixture's messages, each in several variants (other numbers, other endings).</summary>
    private static List<SpamModelTrainer.Example> ManyExamples()
    {
        var endings = new[] { "", "！", "～", "。。", "啊" };
        return
        [
            .. from e in LabelledFixture.All
               from k in Enumerable.Range(0, 5)
               let text = e.IsSpam ? $"{e.Text} {k}{k + 3}{k * 7}" : e.Text + endings[k]
               select ModerationEngine.ExtractExample(text, e.IsSpam, ModerationSnapshot.Empty),
        ];
    }

    /// <summary>The first format: magic, feature bits, bias, example count, then the weights.</summary>
    public static byte[] FirstFormatModel()
    {
        var bytes = new byte[16 + (4 << 18)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x4D53_5153);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 18);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8), 0.5f);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), 100);
        return bytes;
    }

    [Fact]
    public void Train_EnoughExamples_IsCalibratedAndRoundTrips()
    {
        var examples = ManyExamples();
        Assert.True(examples.Count >= SpamModelTrainer.MinimumForCalibration);

        var model = SpamModelTrainer.Train(examples, cancellationToken: TestContext.Current.CancellationToken);
        using var stream = new MemoryStream();
        model.WriteTo(stream);
        stream.Position = 0;
        var copy = SpamModel.ReadFrom(stream, model.Metrics);

        Assert.NotNull(model.Calibration);
        Assert.Equal(model.Calibration, copy.Calibration);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Model = model });
        var reread = new ModerationEngine(ModerationSnapshot.Empty with { Model = copy });
        Assert.Equal(engine.Check("加微sx111505 看片").Score, reread.Check("加微sx111505 看片").Score, 9);
        Assert.True(engine.Check("加微sx111505 看片").Score > engine.Check("明天早上一起吃饭吧").Score);
    }

    [Fact]
    public void Check_CalibratedModel_PolicyStillActsOnItsOwn()
    {
        // A heavy list is the workspace's policy: the calibration (fitted on generic rules) does not dilute it.
        var model = SpamModelTrainer.Train(ManyExamples(), cancellationToken: TestContext.Current.CancellationToken);
        var lexicon = CompiledLexicon.Compile([new WordList("禁词", LexiconCategory.Custom, 0.95, ["团购"])]);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Lexicon = lexicon, Model = model });

        var result = engine.Check("今天的团购什么时候发货呀");

        Assert.NotNull(model.Calibration);
        Assert.True(result.Score >= 0.95, result.Score.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ModerationDecision.Act, result.Decision);
    }

    [Fact]
    public void Train_FewExamples_LeftUncalibrated()
    {
        var model = SpamModelTrainer.Train(
            [.. LabelledFixture.All.Select(e => ModerationEngine.ExtractExample(e.Text, e.IsSpam, ModerationSnapshot.Empty))],
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(model.Calibration);
    }

    [Fact]
    public void ReadFrom_FirstFormat_RefusedAsObsolete()
    {
        var e = Assert.Throws<ObsoleteSpamModelException>(() => SpamModel.ReadFrom(new MemoryStream(FirstFormatModel()), NoMetrics));

        Assert.Equal(1, e.Version);
    }

    [Fact]
    public void Calibration_Fit_LearnsThatTheRulesAddEvidence()
    {
        // Held-out scores where the model alone is unsure and the rules decide: the rule slope must come out large.
        var heldOut = Enumerable.Range(0, 400)
            .Select(i => (Logit: (i % 7) * 0.01, Rules: i % 2 == 0 ? 2.0 : 0.0, IsSpam: i % 2 == 0 ? i % 20 != 0 : i % 20 == 1))
            .ToList();

        var calibration = Calibration.Fit(heldOut, normalWeight: 1);

        Assert.True(calibration.RuleSlope > 1, calibration.ToString());
        Assert.True(calibration.Probability(0, 2) > 0.8);
        Assert.True(calibration.Probability(0, 0) < 0.2);
    }
}
