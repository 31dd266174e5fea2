using System.Text;
using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public class LabelledCsvTests
{
    [Fact]
    public void Read_QuotedUnquotedAndEmptyInputs_ReadsAll()
    {
        var examples = LabelledCsv.Read(Encoding.UTF8.GetBytes("\uFEFFtarget,input\r\n1,加微 a,b,c\n0,\"他说\"\"好\"\"\n第二行\"\n0,\n"));

        Assert.Equal(
            [new LabelledExample(true, "加微 a,b,c"), new LabelledExample(false, "他说\"好\"\n第二行"), new LabelledExample(false, "")],
            examples);
    }

    [Fact]
    public void Read_FixtureCsv_RoundTrips() =>
        Assert.Equal(LabelledFixture.All, LabelledCsv.Read(LabelledFixture.Csv()));

    [Theory]
    [InlineData("target,input\n1,ok\n2,bad\n", 2, "target must be 0 or 1")]
    [InlineData("target,input\n0,ok\n1,ok\nno comma here\n", 3, "no comma")]
    [InlineData("target,input\n1,\"never closed\n0,x\n", 1, "not closed")]
    [InlineData("target,input\n1,\"closed\" then more\n", 1, "after the closing quote")]
    public void Read_BadRow_ThrowsNamingRow(string csv, int row, string problem)
    {
        var error = Assert.Throws<LabelledFileException>(() => LabelledCsv.Read(csv));

        Assert.Equal(row, error.Row);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"row {row} ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_InvalidUtf8_ThrowsNamingLine()
    {
        var bytes = Encoding.UTF8.GetBytes("target,input\n1,好\n0,").Concat(new byte[] { 0xFF, 0x0A }).ToArray();

        var error = Assert.Throws<LabelledFileException>(() => LabelledCsv.Read(bytes));

        Assert.Equal(3, error.Line);
        Assert.Contains("invalid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LoneSurrogate_ThrowsNamingRow()
    {
        var error = Assert.Throws<LabelledFileException>(() => LabelledCsv.Read("target,input\n1,ok\n0,坏\uDC00\n"));

        Assert.Equal(2, error.Row);
    }
}
