using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public class ScoringTests
{
    private static SpamModel TrainFixtureModel(ModerationSnapshot rules) =>
        SpamModelTrainer.Train([.. LabelledFixture.All.Select(e => new SpamModelTrainer.Example(ModerationEngine.ExtractFeatures(e.Text, rules), e.IsSpam))]);

    [Fact]
    public void Train_SmallLabelledSet_SeparatesItsClasses()
    {
        var model = TrainFixtureModel(ModerationSnapshot.Empty);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Model = model });

        var spamScores = LabelledFixture.Spam.Select(t => engine.Check(t).ModelScore!.Value).ToList();
        var hamScores = LabelledFixture.Ham.Select(t => engine.Check(t).ModelScore!.Value).ToList();

        Assert.All(spamScores, s => Assert.True(s > 0.5, $"spam scored {s}"));
        Assert.All(hamScores, s => Assert.True(s < 0.5, $"ham scored {s}"));
    }

    [Fact]
    public void Train_SmallLabelledSet_ScoresUnseenDisguisedAdAboveUnseenChat()
    {
        var model = TrainFixtureModel(ModerationSnapshot.Empty);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Model = model });

        var ad = engine.Check("想看片的加薇：ｘｙ７７８８９９").ModelScore!.Value;
        var chat = engine.Check("明天早上一起吃饭吧").ModelScore!.Value;

        Assert.True(ad > 0.5, $"ad scored {ad}");
        Assert.True(chat < 0.5, $"chat scored {chat}");
    }

    [Fact]
    public void WriteTo_ThenReadFrom_ScoresTheSame()
    {
        var model = TrainFixtureModel(ModerationSnapshot.Empty);
        using var stream = new MemoryStream();
        model.WriteTo(stream);
        stream.Position = 0;

        var copy = SpamModel.ReadFrom(stream, model.Metrics);

        var before = new ModerationEngine(ModerationSnapshot.Empty with { Model = model }).Check("加微sx111505").Score;
        var after = new ModerationEngine(ModerationSnapshot.Empty with { Model = copy }).Check("加微sx111505").Score;
        Assert.Equal(before, after, 9);
    }

    [Fact]
    public void ExtractFeatures_SameTemplateOtherWords_SharesTheSkeleton()
    {
        // B has other words in A's layout; C has B's words without the space. Only the skeleton (and the count of
        // dropped characters) tells B from C, so A shares clearly more with B than with C.
        var a = ModerationEngine.ExtractFeatures("加v 12345678", ModerationSnapshot.Empty).ToHashSet();
        var b = ModerationEngine.ExtractFeatures("看q 87654321", ModerationSnapshot.Empty).ToHashSet();
        var c = ModerationEngine.ExtractFeatures("看q87654321", ModerationSnapshot.Empty).ToHashSet();

        var withLayout = a.Intersect(b).Count();
        var withoutLayout = a.Intersect(c).Count();

        Assert.True(withLayout - withoutLayout >= 4, $"{withLayout} shared with the same layout, {withoutLayout} without");
    }

    [Fact]
    public void ReadFrom_OtherData_Throws() =>
        Assert.Throws<InvalidDataException>(() => SpamModel.ReadFrom(new MemoryStream(new byte[64]), new ModelMetrics(0, 0, 0, 0, 0, 0, DateTimeOffset.UnixEpoch)));

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t  ")]
    public void Check_EmptyOrWhitespace_AllowsWithoutEvidence(string text)
    {
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Model = TrainFixtureModel(ModerationSnapshot.Empty) });

        var result = engine.Check(text);

        Assert.Equal(ModerationDecision.Allow, result.Decision);
        Assert.Equal([EvidenceSource.Model], result.Evidence.Select(e => e.Source));
    }

    [Fact]
    public void Check_HundredThousandCharacters_ReturnsWithCappedEvidence()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("ads", LexiconCategory.Ads, 0.3, ["兼职", "刷单"])]);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Lexicon = lexicon });
        var text = string.Concat(Enumerable.Repeat("兼职刷单 加微sx111505 ", 7_000))[..100_000];

        var result = engine.Check(text);

        Assert.Equal(ModerationDecision.Act, result.Decision);
        Assert.True(result.Evidence.Count <= ModerationEngine.MaxEvidence);
    }

    [Theory]
    [InlineData("a.")]
    [InlineData("1o")]
    [InlineData("加微")]
    [InlineData("x@")]
    [InlineData("😀")]
    [InlineData("⑽")]
    [InlineData("q1")]
    [InlineData("https://")]
    public void Check_HundredThousandCharactersOfOnePattern_Returns(string unit)
    {
        var lexicon = CompiledLexicon.Compile([new WordList("ads", LexiconCategory.Ads, 0.3, ["a", "微", "1"])]);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Lexicon = lexicon, Model = TrainFixtureModel(ModerationSnapshot.Empty) });
        var text = string.Concat(Enumerable.Repeat(unit, (100_000 / unit.Length) + 1))[..100_000];

        var result = engine.Check(text);

        Assert.InRange(result.Score, 0, 1);
        Assert.True(result.Evidence.Count <= ModerationEngine.MaxEvidence + 2);
    }

    [Fact]
    public void Check_WordListHit_ReportsListTermAndOriginalSpan()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("ads", LexiconCategory.Ads, 0.4, ["刷单"])]);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Lexicon = lexicon });
        const string text = "招人 刷★單 返利";

        var result = engine.Check(text);

        var evidence = Assert.Single(result.Evidence);
        Assert.Equal((EvidenceSource.WordList, "ads", "刷单"), (evidence.Source, evidence.Rule, evidence.Term));
        Assert.Equal("刷★單", text.Substring(evidence.Start, evidence.Length));
        Assert.Equal(0.4, result.Score, 9);
    }

    [Fact]
    public void Check_RepeatedTerm_CountsOnce()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("ads", LexiconCategory.Ads, 0.4, ["刷单"])]);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Lexicon = lexicon });

        Assert.Equal(0.4, engine.Check("刷单刷单 刷单").Score, 9);
    }

    [Fact]
    public void Check_SeveralSignals_CombineAboveEachAlone()
    {
        var engine = new ModerationEngine();

        var one = engine.Check("加微sx111505").Score;
        var two = engine.Check("私聊 加微sx111505").Score;

        Assert.True(two > one);
        Assert.Equal(1 - ((1 - 0.8) * (1 - 0.2)), two, 9);
    }

    [Theory]
    [InlineData(MessageKind.QrCodeImage, true, "QrCodeImage")]
    [InlineData(MessageKind.MiniProgramCard, true, "MiniProgramCard")]
    [InlineData(MessageKind.RedPacket, false, "RedPacketFromOutsider")]
    public void Check_AdMessageKinds_AddKindEvidence(MessageKind kind, bool fromMember, string rule)
    {
        var result = new ModerationEngine().Check(new ModerationMessage("", kind, fromMember));

        var evidence = Assert.Single(result.Evidence);
        Assert.Equal((EvidenceSource.MessageKind, rule), (evidence.Source, evidence.Rule));
        Assert.True(result.Score > 0.5);
    }

    [Fact]
    public void Check_RedPacketFromMember_IsNotEvidence() =>
        Assert.Empty(new ModerationEngine().Check(new ModerationMessage("", MessageKind.RedPacket, FromMember: true)).Evidence);

    [Theory]
    [InlineData(0.2, ModerationDecision.Allow)]
    [InlineData(0.5, ModerationDecision.Review)]
    [InlineData(0.89, ModerationDecision.Review)]
    [InlineData(0.9, ModerationDecision.Act)]
    public void Decide_Score_UsesThresholds(double score, ModerationDecision expected) =>
        Assert.Equal(expected, ModerationEngine.Decide(score, ModerationThresholds.Default));

    [Fact]
    public async Task UseLexicon_WhileChecksRun_EveryCheckSeesOneWholeLexicon()
    {
        var withTerm = CompiledLexicon.Compile([new WordList("ads", LexiconCategory.Ads, 0.5, ["兼职"])]);
        var without = CompiledLexicon.Compile([new WordList("ads", LexiconCategory.Ads, 0.5, ["别的"])]);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Lexicon = withTerm });
        var scores = new System.Collections.Concurrent.ConcurrentBag<double>();
        using var stop = new CancellationTokenSource();

        var checker = Task.Run(
            () =>
            {
                while (!stop.IsCancellationRequested)
                    scores.Add(engine.Check("招兼职").Score);
            },
            TestContext.Current.CancellationToken);
        for (var i = 0; i < 200; i++)
            engine.UseLexicon(i % 2 == 0 ? without : withTerm);
        await stop.CancelAsync();
        await checker;

        Assert.All(scores, s => Assert.True(s is 0 or 0.5, $"score {s}"));
        Assert.Same(withTerm, engine.Snapshot.Lexicon);
    }

    [Fact]
    public void CrossValidate_FixtureSet_ScoresEveryMessageOnce()
    {
        var report = ModerationEvaluation.CrossValidate(LabelledFixture.All, ModerationSnapshot.Empty, folds: 5, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(LabelledFixture.All.Count, report.Messages);
        Assert.Equal(report.Messages, report.AtAct.Total);
        Assert.True(report.AtReview.Accuracy > 0.6, report.SummaryLine);
    }

    [Fact]
    public void Measure_KnownScores_CountsConfusion()
    {
        var metrics = ThresholdMetrics.Measure([(0.95, true), (0.95, false), (0.2, true), (0.1, false)], 0.9);

        Assert.Equal((1, 1, 1, 1), (metrics.TruePositives, metrics.FalsePositives, metrics.TrueNegatives, metrics.FalseNegatives));
        Assert.Equal(0.5, metrics.Precision);
    }
}

public class ModelTrainingTests
{
    [Fact]
    public async Task TrainAndSwapAsync_LabelledExamples_SwapsInModelWithMetrics()
    {
        var engine = new ModerationEngine();
        Assert.Null(engine.Check("加微sx111505").ModelScore);
        var examples = Enumerable.Range(0, 3).SelectMany(_ => LabelledFixture.All).ToList();

        var model = await ModelTraining.TrainAndSwapAsync(engine, examples, TestContext.Current.CancellationToken);

        Assert.Same(model, engine.Snapshot.Model);
        Assert.NotNull(engine.Check("加微sx111505").ModelScore);
        Assert.Equal(examples.Count, model.Metrics.TrainingExamples);
        Assert.Equal(examples.Count / 10, model.Metrics.HeldOut);
        Assert.InRange(model.Metrics.Accuracy, 0, 1);
    }

    [Fact]
    public async Task TrainAndSwapAsync_OneClassOnly_Throws() =>
        await Assert.ThrowsAsync<ArgumentException>(() =>
            ModelTraining.TrainAndSwapAsync(new ModerationEngine(), [new LabelledExample(true, "a")], TestContext.Current.CancellationToken));
}
