using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public class TextNormaliserTests
{
    private static string Compact(string text)
    {
        var normalised = new NormalisedText();
        TextNormaliser.Normalise(text, normalised);
        return new string(normalised.Compact);
    }

    private static string Lite(string text)
    {
        var normalised = new NormalisedText();
        TextNormaliser.Normalise(text, normalised);
        return new string(normalised.Lite);
    }

    [Theory]
    [InlineData("ＡＢＣ１２３", "abc123")]
    [InlineData("ＴＡＤ７６５", "tad765")]
    [InlineData("Hi WORLD", "hiworld")]
    public void Normalise_FullWidthAndCase_FoldsToLowerAscii(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("𝐇𝕌𝐗457卖片", "hux457卖片")]
    [InlineData("𝕊𝕂𝔼597", "ske597")]
    [InlineData("Ⓐⓑ🅒🄳", "abcd")]
    public void Normalise_StyledLetters_FoldToPlainLetters(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("①②③", "123")]
    [InlineData("❶❷❸", "123")]
    [InlineData("⓿⑴⒉", "012")]
    [InlineData("⑽", "10")]
    public void Normalise_DigitForms_FoldToAsciiDigits(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("1三8", "138")]
    [InlineData("QQ 2〇9六", "q2096")]
    [InlineData("幺三八一二三四五六七八", "13812345678")]
    [InlineData("壹3捌", "138")]
    public void Normalise_ChineseNumeralsInDigitRun_BecomeDigits(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("三千高中三年", "三千高中三年")]
    [InlineData("一二", "一二")]
    public void Normalise_ChineseNumeralsOutsideDigitRun_StayWords(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("1з8", "138")]
    [InlineData("12o45", "12045")]
    [InlineData("1Oo8", "1008")]
    public void Normalise_LookAlikeLettersBetweenDigits_BecomeDigits(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("hello", "helo")]
    [InlineData("go2", "go2")]
    public void Normalise_LookAlikeLettersInWords_StayLetters(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("Техt", "text")]
    [InlineData("ΕΚΟ", "eko")]
    public void Normalise_CyrillicAndGreekLookAlikes_FoldToLatin(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("無需押金", "无需押金")]
    [InlineData("項目穩定", "项目稳定")]
    [InlineData("聯繫方式", "联系方式")]
    public void Normalise_Traditional_FoldsToSimplified(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("加★微☆信", "加微信")]
    [InlineData("░兼░职░", "兼职")]
    [InlineData("薇 . 信 😀 号", "薇信号")]
    [InlineData("s\u200Bx\u200D1", "sx1")]
    public void Normalise_InsertedSymbolsAndSpaces_AreRemoved(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Theory]
    [InlineData("加加加微微微", "加微")]
    [InlineData("kkkkk", "k")]
    [InlineData("666666", "666666")]
    public void Normalise_RepeatedLetters_CollapseButDigitsStay(string input, string expected) =>
        Assert.Equal(expected, Compact(input));

    [Fact]
    public void Normalise_FullWidthUrl_KeepsPunctuationInLiteView() =>
        Assert.Equal("www.example.com/a", Lite("ｗｗｗ．ｅｘａｍｐｌｅ。ｃｏｍ／Ａ"));

    [Fact]
    public void Normalise_SpacesInLiteView_CollapseToOne() =>
        Assert.Equal("a b", Lite("  a \t  b  "));

    [Fact]
    public void MapCompact_MatchAfterRemovedSymbols_CoversOriginalSpan()
    {
        var text = "你好 加 ★微★ 信 朋友";
        var normalised = new NormalisedText();
        TextNormaliser.Normalise(text, normalised);
        var key = normalised.Compact.IndexOf("加微信");
        Assert.Equal(2, key);

        var (start, length) = normalised.MapCompact(key, 3);

        Assert.Equal("加 ★微★ 信", text.Substring(start, length));
    }

    [Fact]
    public void MapCompact_StyledSurrogatePairs_CoverBothUnits()
    {
        var text = "x𝐇𝕌𝐗y";
        var normalised = new NormalisedText();
        TextNormaliser.Normalise(text, normalised);

        var (start, length) = normalised.MapCompact(1, 3);

        Assert.Equal("𝐇𝕌𝐗", text.Substring(start, length));
    }

    [Fact]
    public void MapCompact_CollapsedRun_CoversWholeRun()
    {
        var text = "加加加微";
        var normalised = new NormalisedText();
        TextNormaliser.Normalise(text, normalised);

        var (start, length) = normalised.MapCompact(0, 1);

        Assert.Equal("加加加", text.Substring(start, length));
    }

    [Fact]
    public void Normalise_DisguisedText_CountsDisguisedCharacters()
    {
        var normalised = new NormalisedText();
        TextNormaliser.Normalise("𝐇𝕌𝐗ＴＡＤ", normalised);
        Assert.Equal(6, normalised.DisguisedCount);

        TextNormaliser.Normalise("hello 你好", normalised);
        Assert.Equal(0, normalised.DisguisedCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n ")]
    [InlineData("★☆😀")]
    public void Normalise_NothingToKeep_GivesEmptyCompact(string input) =>
        Assert.Equal("", Compact(input));

    [Fact]
    public void Normalise_LoneSurrogates_AreDroppedWithoutThrowing() =>
        Assert.Equal("ab", Compact("a\uD800b\uDC00"));

    [Fact]
    public void Normalise_ReusedInstanceWithLongerText_GrowsBuffers()
    {
        var normalised = new NormalisedText();
        TextNormaliser.Normalise("短", normalised);
        var longText = string.Concat(Enumerable.Repeat("⑽ab", 40_000));

        TextNormaliser.Normalise(longText, normalised);

        Assert.Equal(40_000 * 4, normalised.CompactLength);
    }

    [Fact]
    public void ChineseVariants_Table_HasNoIdentityOrRepeatedPairs()
    {
        var pairs = ChineseVariants.RawPairs.ToList();
        Assert.All(pairs, p => Assert.True(p.Length == 2 && p[0] != p[1], p));
        Assert.Equal(pairs.Count, pairs.Select(p => p[0]).Distinct().Count());
        Assert.True(pairs.Count >= 300);
    }
}
