using System.Globalization;
using Shequn.Features.Moderation;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Tests.Features.Moderation;

/// <summary>What the console shows of rules and refusals is translated; the API keeps its English text.</summary>
public class ModerationLocalizationTests
{
    private static readonly JsonStringLocalizerFactory Factory = new();

    private static string InCulture(string culture, Func<Microsoft.Extensions.Localization.IStringLocalizer, string> show)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            return show(Factory.Create(typeof(Strings)));
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }

    [Theory]
    [InlineData(Cultures.Default)]
    [InlineData(Cultures.English)]
    public void BuiltInRules_HaveANameInEveryLanguage(string culture)
    {
        var table = Factory.Table(culture);

        Assert.All(BuiltInRules.All, r => Assert.True(table.ContainsKey($"Moderation.Rule.{r}"), $"{culture}: Moderation.Rule.{r}"));
    }

    [Fact]
    public void PathologicalPattern_RefusedInChinese_InTheConsole()
    {
        Assert.False(CustomPattern.TryCreate("bad", "(a+)+b", 0.5, out _, out var why));
        var validation = new Validation().Add("customPatterns[0]", "BadPattern", $"refused: {why}.", "bad", why!);

        var zh = InCulture(Cultures.Default, l => validation.Localized(l)["customPatterns[0]"][0]);
        var en = InCulture(Cultures.English, l => validation.Localized(l)["customPatterns[0]"][0]);

        Assert.Contains("pathological", validation.Errors["customPatterns[0]"][0], StringComparison.Ordinal);
        Assert.Equal("规则“bad”被拒绝：病态正则：重复的分组里又有无上限的重复（第 1 个字符附近），可能耗费指数级时间。", zh);
        Assert.DoesNotContain("pathological", zh, StringComparison.Ordinal);
        Assert.StartsWith("Pattern 'bad' is refused: pathological pattern", en, StringComparison.Ordinal);
    }

    [Fact]
    public void BadLabelledRowAndMalformedTerm_ReasonsAreTranslated()
    {
        var bad = Assert.Throws<LabelledFileException>(() => LabelledCsv.Read("target,input\n1,加微信\n2,你好\n"u8.ToArray()));
        var row = new Validation().Add("text", "BadRow", bad.Message, bad.Row, bad.Why);
        var report = WordListImport.Read("兼职\n兼职\n★★\n");

        var zhRow = InCulture(Cultures.Default, l => row.Localized(l)["text"][0]);
        var zhDuplicate = InCulture(Cultures.Default, l => report.Duplicates[0].Why.Localize(l));
        var zhMalformed = InCulture(Cultures.Default, l => report.Malformed[0].Why.Localize(l));

        Assert.Equal("第 2 行：target 必须是 0 或 1，实际为“2”；未导入任何内容。", zhRow);
        Assert.Equal("与第 1 行相同", zhDuplicate);
        Assert.StartsWith("归一化后没有可匹配的内容", zhMalformed, StringComparison.Ordinal);
        Assert.Contains("target must be 0 or 1", bad.Message, StringComparison.Ordinal);
    }
}
