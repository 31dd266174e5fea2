using System.Text.RegularExpressions;
using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public sealed class ModerationCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("shequn-moderation-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Code, string[] Lines)> Run(params string[] args)
    {
        using var output = new StringWriter();
        var code = await ModerationCommand.RunAsync(args, output);
        return (code, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static readonly Regex SummaryLine = new(
        @"^eval: accuracy \d\.\d{3} precision@act \d\.\d{3} recall@act \d\.\d{3} f1 \d\.\d{3} normal-to-review \d\.\d{3} \(\d+ messages, [^)]+\)$");

    [Fact]
    public async Task RunAsync_EvalWithTrainAndTest_EndsWithSummaryLine()
    {
        var train = Write("train.csv", LabelledFixture.Csv());
        var test = Write("test.csv", "target,input\n1,加薇 xy778899 看片\n0,明天早上一起吃饭吧\n");

        var (code, lines) = await Run("eval", "--train", train, "--labelled", test);

        Assert.Equal(0, code);
        Assert.Matches(SummaryLine, lines[^1]);
        Assert.EndsWith("(2 messages, train/test)", lines[^1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("at act", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("at review", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_EvalWithoutTrain_CrossValidates()
    {
        var labelled = Write("all.csv", LabelledFixture.Csv());

        var (code, lines) = await Run("moderation", "eval", "--labelled", labelled);

        Assert.Equal(0, code);
        Assert.StartsWith("5-fold cross-validation", lines[0], StringComparison.Ordinal);
        Assert.Matches(SummaryLine, lines[^1]);
        // Every split reports its figures; the summary is the grouped one.
        Assert.Contains(lines, l => l.StartsWith("5-fold cross-validation:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("time-ordered", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("grouped 5-fold", StringComparison.Ordinal));
        Assert.Equal(3, lines.Count(l => l.StartsWith("at act", StringComparison.Ordinal)));
        Assert.Contains("grouped 5-fold", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EvalWithLexiconFolder_LoadsLists()
    {
        var lists = Directory.CreateDirectory(Path.Combine(_folder, "lists")).FullName;
        File.WriteAllText(Path.Combine(lists, "ads.txt"), "兼职\n刷单\n");
        var labelled = Write("all.csv", LabelledFixture.Csv());

        var (code, lines) = await Run("eval", "--labelled", labelled, "--lexicon", lists);

        Assert.Equal(0, code);
        Assert.Contains(lines, l => l.StartsWith("word lists: 1 (2 terms)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_Check_PrintsScoreDecisionAndEvidence()
    {
        var (code, lines) = await Run("check", "看片加微 sx111505");

        Assert.Equal(0, code);
        Assert.Matches(@"^score 0\.\d{3} decision (allow|review|act)$", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("evidence: pattern WeChatId \"加微 sx111505\" at 2..13", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_CheckWithTrain_ReportsModelScore()
    {
        var train = Write("train.csv", LabelledFixture.Csv());

        var (code, lines) = await Run("check", "私聊买片 ＶＸ：ａｂ１２３４５", "--train", train);

        Assert.Equal(0, code);
        Assert.Matches(@"^model 0\.\d{3}$", lines[1]);
    }

    [Fact]
    public async Task RunAsync_Import_PrintsReport()
    {
        var list = Write("list.txt", "兼职\n\n兼职\n★\n");

        var (code, lines) = await Run("import", list);

        Assert.Equal(0, code);
        Assert.Equal("import: 1 terms from 4 lines; 1 blank, 1 duplicate, 1 malformed", lines[^1]);
    }

    [Theory]
    [InlineData]
    [InlineData("frobnicate")]
    [InlineData("eval")]
    [InlineData("eval", "--labelled")]
    [InlineData("eval", "--labelled", "/nonexistent/file.csv")]
    [InlineData("check")]
    [InlineData("check", "a", "b")]
    [InlineData("check", "text", "--bogus")]
    [InlineData("check", "text", "--act", "2")]
    [InlineData("check", "text", "--kind", "Hologram")]
    public async Task RunAsync_BadUsage_FailsWithOneLine(params string[] args)
    {
        var (code, lines) = await Run(args);

        Assert.NotEqual(0, code);
        var line = Assert.Single(lines);
        Assert.StartsWith("moderation: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BadLabelledRow_NamesRowAndImportsNothing()
    {
        var labelled = Write("bad.csv", "target,input\n1,ok\n0,ok\nx,broken\n");

        var (code, lines) = await Run("eval", "--labelled", labelled);

        Assert.Equal(2, code);
        Assert.Equal("moderation: bad labelled file: row 3 (line 4): target must be 0 or 1, found 'x'; nothing imported", Assert.Single(lines));
    }
}
