using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public sealed class NearDuplicatesTests
{
    [Fact]
    public void Group_SameTemplateWithOtherIdsLinksAndDisguises_OneGroup()
    {
        string[] texts =
        [
            "想买信誉好的私聊我，加薇 abc12345 有保证",
            "想买信誉好的私聊我，加薇 xyz98765 有保证",
            "想買信譽好的私聊我！！加薇 ＱＷＥ５５５ 有保证",
            "想买信誉好的☀私☀聊我 加薇 k8k8k8 有保证，看 https://t.me/foo",
        ];

        var groups = NearDuplicates.Group(texts);

        Assert.All(groups, g => Assert.Equal(groups[0], g));
    }

    [Fact]
    public void Group_DifferentMessages_SeparateGroups()
    {
        string[] texts =
        [
            "今天的团购什么时候发货呀",
            "明天下雨记得带伞",
            "想买信誉好的私聊我，加薇 abc12345 有保证",
            "周末有人去爬山吗",
            "兼职刷单日结，扣扣 123456789",
        ];

        var groups = NearDuplicates.Group(texts);

        Assert.Equal(texts.Length, groups.Distinct().Count());
    }

    [Fact]
    public void Group_SharedOpeningOnly_NotNearDuplicates()
    {
        // Same first words, different messages: overlap of 3-grams stays under the similarity bar.
        string[] texts = ["大家好，请问这个绘本适合几岁的孩子看", "大家好，周五晚上八点开会记得准时到"];

        var groups = NearDuplicates.Group(texts);

        Assert.NotEqual(groups[0], groups[1]);
    }

    [Fact]
    public void TemplateKey_CollapsesLinksAndNumberedTokens()
    {
        var scratch = new NormalisedText();

        var a = NearDuplicates.TemplateKey("加我 vx: abc123 看 www.example.com/x", scratch);
        var b = NearDuplicates.TemplateKey("加我 vx: zz9 看 http://other.net", scratch);

        Assert.Equal(a, b);
        Assert.DoesNotContain("123", a, StringComparison.Ordinal);
        Assert.Contains("vx", a, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupedFolds_GroupNeverSpansTwoFoldsAndFoldsStayBalanced()
    {
        // 40 groups of 1–6 members.
        var groupOf = Enumerable.Range(0, 40).SelectMany(g => Enumerable.Repeat(g, 1 + (g % 6))).ToArray();

        var foldOf = ModerationEvaluation.GroupedFolds(groupOf, folds: 5, seed: 1);

        foreach (var members in Enumerable.Range(0, groupOf.Length).GroupBy(i => groupOf[i]))
            Assert.Single(members.Select(i => foldOf[i]).Distinct());
        var sizes = foldOf.CountBy(f => f).Select(f => f.Value).ToArray();
        Assert.Equal(5, sizes.Length);
        Assert.True(sizes.Max() - sizes.Min() <= 6, string.Join(",", sizes));
    }

    [Fact]
    public void Evaluate_EverySplit_ReportsItsMethodAndTestsMessages()
    {
        var reports = ModerationEvaluation.Evaluate(
            LabelledFixture.All,
            ModerationSnapshot.Empty,
            [EvaluationSplit.RandomFolds, EvaluationSplit.TimeOrdered, EvaluationSplit.Grouped],
            folds: 5,
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(LabelledFixture.All.Count, reports[0].Messages);
        Assert.Equal(LabelledFixture.All.Count / 5, reports[1].Messages);
        Assert.Equal(LabelledFixture.All.Count, reports[2].Messages);
        Assert.StartsWith("grouped 5-fold", reports[2].Method, StringComparison.Ordinal);
        Assert.EndsWith(reports[2].Method + ")", reports[2].SummaryLine, StringComparison.Ordinal);
    }
}
