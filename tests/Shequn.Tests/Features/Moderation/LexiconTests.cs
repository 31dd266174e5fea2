using System.Text;
using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public class LexiconTests
{
    private struct ListSink : IKeyHitSink
    {
        public List<(int Key, int End)> Hits;

        public readonly bool OnHit(int key, int payload, int start, int end)
        {
            Hits.Add((key, end));
            return true;
        }
    }

    private static List<(int Key, int End)> ScanAll(TermAutomaton automaton, string text)
    {
        var sink = new ListSink { Hits = [] };
        automaton.Scan(text, ref sink);
        return sink.Hits;
    }

    [Fact]
    public void Scan_OverlappingKeys_ReportsEveryOccurrence()
    {
        var automaton = TermAutomaton.Build(["he", "she", "his", "hers"]);

        var hits = ScanAll(automaton, "ushershis");

        Assert.Equal(
            [(1, 4), (0, 4), (3, 6), (2, 9)],
            hits.OrderBy(h => h.End).ThenByDescending(h => h.Key).ToList());
    }

    [Fact]
    public void Scan_RandomKeysAndText_MatchesNaiveSearch()
    {
        var random = new Random(42);
        const string alphabet = "ab微信加一";
        var keys = new HashSet<string>();
        while (keys.Count < 300)
        {
            var length = random.Next(1, 6);
            keys.Add(new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
        }
        var keyList = keys.ToList();
        var automaton = TermAutomaton.Build(keyList);
        var text = new string(Enumerable.Range(0, 2000).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

        var expected = new List<(int, int)>();
        for (var k = 0; k < keyList.Count; k++)
        {
            for (var at = text.IndexOf(keyList[k], StringComparison.Ordinal); at >= 0; at = text.IndexOf(keyList[k], at + 1, StringComparison.Ordinal))
                expected.Add((k, at + keyList[k].Length));
        }

        var actual = ScanAll(automaton, text);

        Assert.Equal(expected.Order().ToList(), actual.Order().ToList());
    }

    [Fact]
    public void Scan_KeysWithPayloads_ReportsPayloadAndStart()
    {
        var automaton = TermAutomaton.Build(["ab", "b"], [7, 9]);
        var hits = new List<(int, int, int)>();
        var sink = new PayloadSink { Hits = hits };

        automaton.Scan("xab", ref sink);

        Assert.Equal([(7, 1, 3), (9, 2, 3)], hits);
    }

    private struct PayloadSink : IKeyHitSink
    {
        public List<(int Payload, int Start, int End)> Hits;

        public readonly bool OnHit(int key, int payload, int start, int end)
        {
            Hits.Add((payload, start, end));
            return true;
        }
    }

    [Fact]
    public void Build_DuplicateKey_Throws() =>
        Assert.Throws<ArgumentException>(() => TermAutomaton.Build(["ab", "ab"]));

    [Fact]
    public void Scan_DisguisedTerm_HitsWithOriginalSpan()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("ads", LexiconCategory.Ads, 0.5, ["兼职", "刷单"])]);
        var text = "招░兼░職░，日结 刷-单";
        var normalised = new NormalisedText();
        TextNormaliser.Normalise(text, normalised);
        var hits = new List<LexiconHit>();

        lexicon.Scan(normalised.Compact, hits);

        Assert.Equal(2, hits.Count);
        Assert.Equal("兼职", lexicon.TermOf(hits[0].Entry));
        var (start, length) = normalised.MapCompact(hits[0].Start, hits[0].Length);
        Assert.Equal("兼░職", text.Substring(start, length));
        Assert.Equal("刷单", lexicon.TermOf(hits[1].Entry));
    }

    [Fact]
    public void Scan_RepeatedTerm_ReportsEachOccurrence()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("porn", LexiconCategory.Porn, 0.5, ["色情"])]);
        var hits = new List<LexiconHit>();

        lexicon.Scan("色情a色情b色情", hits);

        Assert.Equal([0, 3, 6], hits.Select(h => h.Start));
    }

    [Fact]
    public void Scan_SameTermInTwoLists_ReportsBothLists()
    {
        var lexicon = CompiledLexicon.Compile(
        [
            new WordList("ads", LexiconCategory.Ads, 0.5, ["代理"]),
            new WordList("custom", LexiconCategory.Custom, 0.2, ["代理"]),
        ]);
        var hits = new List<LexiconHit>();

        lexicon.Scan("招代理", hits);

        Assert.Equal(["ads", "custom"], hits.Select(h => lexicon.ListOf(h.Entry).Name).Order());
    }

    [Fact]
    public void Scan_ConjunctionTerm_HitsOnlyWhenAllPartsPresent()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("politics", LexiconCategory.Politics, 0.5, ["疫情+李文亮"])]);
        var hits = new List<LexiconHit>();

        lexicon.Scan("疫情很严重", hits);
        Assert.Empty(hits);

        lexicon.Scan("李文亮说疫情", hits);
        var hit = Assert.Single(hits);
        Assert.Equal((0, 6), (hit.Start, hit.Length));
    }

    [Fact]
    public void Compile_TermOfOnlySymbols_IsSkipped()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("x", LexiconCategory.Custom, 0.5, ["★★", "好"])]);

        Assert.Equal(1, lexicon.EntryCount);
        Assert.Equal(1, lexicon.SkippedTerms);
    }

    [Fact]
    public void Scan_HugeMessage_StopsAtHitCap()
    {
        var lexicon = CompiledLexicon.Compile([new WordList("x", LexiconCategory.Custom, 0.5, ["ab"])]);
        var hits = new List<LexiconHit>();

        lexicon.Scan(string.Concat(Enumerable.Repeat("ab1", 50_000)), hits);

        Assert.Equal(CompiledLexicon.MaxHitsPerMessage, hits.Count);
    }

    [Fact]
    public void Read_FileWithBlankDuplicateAndMalformedLines_ReportsEachWithLine()
    {
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes("\uFEFF兼职\r\n\n刷单\n兼职\n兼職\n★★\n"));
        bytes.AddRange([0xE5, 0x8A, 0x0A]); // line 7: truncated three-byte sequence
        bytes.AddRange([0xED, 0xA0, 0x80, 0x0A]); // line 8: an encoded lone surrogate
        bytes.AddRange(Encoding.UTF8.GetBytes("代理"));

        var report = WordListImport.Read(bytes.ToArray());

        Assert.Equal(["兼职", "刷单", "代理"], report.Terms);
        Assert.Equal(9, report.TotalLines);
        Assert.Equal([2], report.BlankLines);
        Assert.Equal([4, 5], report.Duplicates.Select(d => d.Line));
        Assert.Contains("line 1", report.Duplicates[0].Reason, StringComparison.Ordinal);
        Assert.Contains("normalisation", report.Duplicates[1].Reason, StringComparison.Ordinal);
        Assert.Equal([6, 7, 8], report.Malformed.Select(m => m.Line));
        Assert.Contains("invalid UTF-8", report.Malformed[1].Reason, StringComparison.Ordinal);
        Assert.Contains("lone surrogate", report.Malformed[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TextWithLoneSurrogate_ReportsLine()
    {
        var report = WordListImport.Read("好\n坏\uD800词\n");

        Assert.Equal(["好"], report.Terms);
        var issue = Assert.Single(report.Malformed);
        Assert.Equal(2, issue.Line);
        Assert.Contains("U+D800", issue.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OverlongLine_IsMalformed()
    {
        var report = WordListImport.Read(new string('长', WordListImport.MaxTermLength + 1));

        Assert.Empty(report.Terms);
        Assert.Single(report.Malformed);
    }

    [Theory]
    [InlineData("ads.txt", LexiconCategory.Ads)]
    [InlineData("porn-types.txt", LexiconCategory.Porn)]
    [InlineData("reactionary.txt", LexiconCategory.Politics)]
    [InlineData("tencent.txt", LexiconCategory.Custom)]
    public void GuessCategory_SharedListFileName_MapsToCategory(string file, LexiconCategory expected) =>
        Assert.Equal(expected, CompiledLexicon.GuessCategory(file));
}
