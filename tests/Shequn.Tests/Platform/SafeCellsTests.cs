using Shequn.Platform.Exports;

namespace Shequn.Tests.Platform;

/// <summary>Cells a spreadsheet would run as formulas get an apostrophe; everything else is left alone.</summary>
public sealed class SafeCellsTests
{
    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+86 138", "'+86 138")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\rx", "'\rx")]
    public void Text_FormulaStart_IsPrefixedWithAnApostrophe(string value, string expected) =>
        Assert.Equal(expected, SafeCells.Text(value));

    [Theory]
    [InlineData("鱼油群")]
    [InlineData("a=b")]
    [InlineData(" =x")]
    [InlineData("'=already")]
    [InlineData("")]
    public void Text_OtherText_IsUnchanged(string value) => Assert.Equal(value, SafeCells.Text(value));

    [Fact]
    public void Text_Null_IsEmpty() => Assert.Equal("", SafeCells.Text(null));
}
