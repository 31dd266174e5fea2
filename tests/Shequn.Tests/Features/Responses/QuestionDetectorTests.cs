using System.Globalization;
using System.Runtime.CompilerServices;
using Shequn.Features.Responses;

namespace Shequn.Tests.Features.Responses;

/// <summary>
/// Precision and recall of <see cref="QuestionDetector"/> on questions.tsv, a labelled fixture of short group-chat
/// lines written for it. The detector was tuned on the dev half only; the held-out half is measured here and nowhere
/// else. When the detector was finished the held-out half measured precision 1.000 (78 of 78) and recall 0.987 (78 of
/// 79); the bar sits a little under that. Fixture and rules have one author, so real chat will score lower: treat these
/// figures as a regression guard, not as the detector's accuracy in the field.
/// </summary>
public sealed class QuestionDetectorTests
{
    public const double HeldOutBar = 0.95;

    public sealed record Line(string Split, bool IsQuestion, string Text);

    public sealed record Scores(int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives)
    {
        public double Precision => TruePositives / (double)Math.Max(1, TruePositives + FalsePositives);
        public double Recall => TruePositives / (double)Math.Max(1, TruePositives + FalseNegatives);
        public int Count => TruePositives + FalsePositives + FalseNegatives + TrueNegatives;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Count} lines: precision {Precision:0.000} recall {Recall:0.000} (tp {TruePositives}, fp {FalsePositives}, fn {FalseNegatives}, tn {TrueNegatives})");
    }

    public static IReadOnlyList<Line> Fixture([CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, "questions.tsv");
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
            Assert.True(label is "q" or "n", "unknown label: " + raw);
            lines.Add(new Line(split, label == "q", raw[(tab + 1)..]));
        }
        return lines;
    }

    public static Scores Measure(IEnumerable<Line> lines, List<Line>? wrong = null)
    {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        foreach (var line in lines)
        {
            var said = QuestionDetector.IsQuestion(line.Text);
            if (said != line.IsQuestion)
                wrong?.Add(line);
            if (said && line.IsQuestion) tp++;
            else if (said) fp++;
            else if (line.IsQuestion) fn++;
            else tn++;
        }
        return new Scores(tp, fp, fn, tn);
    }

    [Fact]
    public void Fixture_HasTwoHalves_OfAtLeast140Lines_WithBothLabels()
    {
        var lines = Fixture();
        Assert.True(lines.Count >= 300, $"{lines.Count} lines");
        foreach (var split in new[] { "dev", "heldout" })
        {
            var half = lines.Where(l => l.Split == split).ToList();
            Assert.True(half.Count >= 140, $"{split}: {half.Count} lines");
            Assert.Contains(half, l => l.IsQuestion);
            Assert.Contains(half, l => !l.IsQuestion);
        }
        Assert.DoesNotContain(lines, l => l.Split is not ("dev" or "heldout"));
    }

    [Fact]
    public void HeldOut_PrecisionAndRecall_AreAboveTheBar()
    {
        var heldOut = Fixture().Where(l => l.Split == "heldout").ToList();
        var scores = Measure(heldOut);
        TestContext.Current.TestOutputHelper?.WriteLine("held-out: " + scores);
        TestContext.Current.SendDiagnosticMessage("QuestionDetector held-out: {0}", scores);
        Assert.True(scores.Precision >= HeldOutBar && scores.Recall >= HeldOutBar, "held-out: " + scores);
    }

    [Fact]
    public void Dev_PrecisionAndRecall_AreReported()
    {
        var wrong = new List<Line>();
        var scores = Measure(Fixture().Where(l => l.Split == "dev"), wrong);
        TestContext.Current.TestOutputHelper?.WriteLine("dev: " + scores);
        foreach (var line in wrong)
            TestContext.Current.TestOutputHelper?.WriteLine($"  wrong ({(line.IsQuestion ? "q" : "n")}): {line.Text}");
        TestContext.Current.SendDiagnosticMessage("QuestionDetector dev: {0}", scores);
        Assert.True(scores.Precision >= HeldOutBar && scores.Recall >= HeldOutBar, "dev: " + scores + "; wrong: " + string.Join(" | ", wrong.Select(w => w.Text)));
    }

    [Theory]
    [InlineData("这个怎么用？", true)]
    [InlineData("多少钱一盒", true)]
    [InlineData("可以开发票吗", true)]
    [InlineData("有没有优惠券", true)]
    [InlineData("How do I get the coupon?", true)]
    [InlineData("?", false)]
    [InlineData("？？？", false)]
    [InlineData("[捂脸]", false)]
    [InlineData("大家好", false)]
    [InlineData("怎么这么好看！", false)]
    [InlineData("看这里 https://example.com/a?b=1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Examples(string? text, bool expected) => Assert.Equal(expected, QuestionDetector.IsQuestion(text));
}
