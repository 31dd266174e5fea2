using System.Globalization;
using System.Runtime.CompilerServices;
using Shequn.Features.Feedback;

namespace Shequn.Tests.Features.Feedback;

/// <summary>
/// Precision and recall of <see cref="FeedbackDetector"/> with the default rules on feedback.tsv, a labelled fixture of
/// group-chat lines written for it before the rules. The rules were tuned on the dev half only (where they reach 1.000
/// and 1.000); the held-out half is measured here and nowhere else. When the detector was finished the held-out half
/// measured precision 0.980 (48 of 49 lines it called feedback had that label) and recall 0.941 (48 of 51 complaints and
/// suggestions found with the right kind). The floors sit a little under that. A false ticket costs staff time, so
/// precision has the higher floor. Fixture and rules have one author: real chat will score lower; treat the figures
/// as a regression guard, not as field accuracy.
/// </summary>
public sealed class FeedbackDetectorTests
{
    public const double PrecisionFloor = 0.95;
    public const double RecallFloor = 0.90;

    public sealed record Line(string Split, string Label, string Text);

    public sealed record Scores(int Right, int Wrong, int Missed, int Count)
    {
        public double Precision => Right / (double)Math.Max(1, Right + Wrong);
        public double Recall => Right / (double)Math.Max(1, Right + Missed);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Count} lines: precision {Precision:0.000} recall {Recall:0.000} (right {Right}, wrong {Wrong}, missed {Missed})");
    }

    public static IReadOnlyList<Line> Fixture([CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, "feedback.tsv");
        var split = "";
        var lines = new List<Line>();
        foreach (var raw in File.ReadAllLines(path))
        {
            if (raw.StartsWith("# split: ", StringComparison.Ordinal))
            {
                split = raw["# split: ".Length..].Trim();
                continue;
            }
            if (raw.Length == 0 || raw.StartsWith('#'))
                continue;
            var tab = raw.IndexOf('\t', StringComparison.Ordinal);
            Assert.True(tab > 0, "a fixture line without a tab: " + raw);
            var label = raw[..tab];
            Assert.True(label is "c" or "s" or "n", "unknown label: " + raw);
            lines.Add(new Line(split, label, raw[(tab + 1)..]));
        }
        return lines;
    }

    private static string Said(FeedbackVerdict? verdict) => verdict is null ? "n" : verdict.Kind == FeedbackKind.Complaint ? "c" : "s";

    /// <summary>Right: called feedback of the labelled kind; wrong: called feedback otherwise; missed: feedback not called so.</summary>
    public static Scores Measure(IReadOnlyCollection<Line> lines, List<string>? errors = null)
    {
        int right = 0, wrong = 0, missed = 0;
        foreach (var line in lines)
        {
            var said = Said(FeedbackDetector.Default.Detect(line.Text));
            if (said != line.Label)
                errors?.Add($"{line.Label}→{said} {line.Text}");
            if (said != "n" && said == line.Label) right++;
            else if (said != "n") wrong++;
            if (line.Label != "n" && said != line.Label) missed++;
        }
        return new Scores(right, wrong, missed, lines.Count);
    }

    [Fact]
    public void Fixture_HasTwoHalves_WithEveryLabel_AndAtLeast200Lines()
    {
        var lines = Fixture();
        Assert.True(lines.Count >= 200, $"{lines.Count} lines");
        foreach (var split in new[] { "dev", "heldout" })
        {
            var half = lines.Where(l => l.Split == split).ToList();
            Assert.True(half.Count >= 100, $"{split}: {half.Count} lines");
            Assert.All(new[] { "c", "s", "n" }, label => Assert.Contains(half, l => l.Label == label));
        }
        Assert.Empty(lines.GroupBy(l => l.Text).Where(g => g.Count() > 1).Select(g => g.Key));
    }

    [Fact]
    public void HeldOut_PrecisionAndRecall_AreAboveTheFloors()
    {
        var errors = new List<string>();
        var scores = Measure([.. Fixture().Where(l => l.Split == "heldout")], errors);
        TestContext.Current.TestOutputHelper?.WriteLine(scores.ToString());
        Assert.True(scores.Precision >= PrecisionFloor, $"{scores}; wrong: {string.Join(" | ", errors)}");
        Assert.True(scores.Recall >= RecallFloor, $"{scores}; wrong: {string.Join(" | ", errors)}");
    }

    [Theory]
    [InlineData("快递五天了还没到", FeedbackKind.Complaint, FeedbackRules.Logistics)]
    [InlineData("我要退款，东西是坏的", FeedbackKind.Complaint, FeedbackRules.AfterSales)]
    [InlineData("建议你们出个无糖口味", FeedbackKind.Suggestion, FeedbackRules.Product)]
    [InlineData("真的很失望", FeedbackKind.Complaint, FeedbackRules.AfterSales)]
    public void Detect_RoutesByTheDepartmentsWords_ElseTheKindsFallback(string text, FeedbackKind kind, string department)
    {
        var verdict = FeedbackDetector.Default.Detect(text);
        Assert.NotNull(verdict);
        Assert.Equal((kind, department), (verdict.Kind, verdict.Department));
    }

    [Theory]
    [InlineData("没坏，放心")]
    [InlineData("快递收到了，没有问题")]
    [InlineData("建议大家多喝水")]
    [InlineData("如果坏了可以换吗？")]
    [InlineData("[强][强]")]
    [InlineData("")]
    public void Detect_NegatedAdviceAndHypotheticals_AreNotFeedback(string text) =>
        Assert.Null(FeedbackDetector.Default.Detect(text));

    [Fact]
    public void Detect_WithEditedRules_UsesThem()
    {
        var rules = FeedbackRules.Defaults() with
        {
            ComplaintWords = ["太甜"],
            Departments = [new FeedbackDepartment("taste", "口味组", ["甜"])],
            ComplaintDepartment = "taste",
            SuggestionDepartment = "taste",
        };
        var verdict = FeedbackDetector.Create(rules).Detect("这批饼干太甜了");
        Assert.Equal((FeedbackKind.Complaint, "taste", "太甜"), (verdict!.Kind, verdict.Department, verdict.Signal));
    }
}
