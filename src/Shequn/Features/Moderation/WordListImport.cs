using System.Text;
using System.Text.Unicode;
using Shequn.Platform.Api;

namespace Shequn.Features.Moderation;

/// <summary>A line of an imported file that was not taken, with its 1-based number and why.</summary>
public sealed record ImportLineIssue(int Line, Reason Why, string? Text)
{
    public string Reason => Why.English;
}

/// <summary>What an import took and what it left out: blank lines, duplicates and malformed lines.</summary>
public sealed record WordListImportReport(
    IReadOnlyList<string> Terms,
    int TotalLines,
    IReadOnlyList<int> BlankLines,
    IReadOnlyList<ImportLineIssue> Duplicates,
    IReadOnlyList<ImportLineIssue> Malformed)
{
    public string Summary =>
        $"{Terms.Count} terms from {TotalLines} lines; {BlankLines.Count} blank, {Duplicates.Count} duplicate, {Malformed.Count} malformed";
}

/// <summary>Reads plain-text word lists (one term per line, UTF-8) and reports every line it did not take.</summary>
public static class WordListImport
{
    public const int MaxTermLength = 100;

    public static async Task<WordListImportReport> ReadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Reads UTF-8 bytes; invalid sequences and encoded lone surrogates are reported per line.</summary>
    public static WordListImportReport Read(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
            utf8 = utf8[3..];
        var builder = new ReportBuilder();
        var lineNumber = 0;
        while (!utf8.IsEmpty)
        {
            lineNumber++;
            var newline = utf8.IndexOf((byte)'\n');
            var line = newline < 0 ? utf8 : utf8[..newline];
            utf8 = newline < 0 ? [] : utf8[(newline + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
                line = line[..^1];
            if (!Utf8.IsValid(line))
            {
                builder.Malformed(lineNumber, DescribeInvalidUtf8(line), null);
                continue;
            }
            builder.Add(lineNumber, Encoding.UTF8.GetString(line));
        }
        return builder.Build(lineNumber);
    }

    /// <summary>Reads text already decoded (an API body); lone surrogates are reported per line.</summary>
    public static WordListImportReport Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new ReportBuilder();
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var surrogate = FindLoneSurrogate(line);
            if (surrogate >= 0)
            {
                builder.Malformed(i + 1, Why("LoneSurrogateAt", $"lone surrogate U+{(int)line[surrogate]:X4} at character {surrogate + 1}", $"U+{(int)line[surrogate]:X4}", surrogate + 1), null);
                continue;
            }
            builder.Add(i + 1, line);
        }
        return builder.Build(count);
    }

    internal static int FindLoneSurrogate(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!char.IsSurrogate(c))
                continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }

    internal static Reason Why(string code, string english, params object[] args) => new($"Moderation.Reason.{code}", english, args);

    private static Reason DescribeInvalidUtf8(ReadOnlySpan<byte> line)
    {
        var offset = 0;
        while (offset < line.Length)
        {
            var result = Rune.DecodeFromUtf8(line[offset..], out _, out var consumed);
            if (result != System.Buffers.OperationStatus.Done)
            {
                // ED A0..BF starts a UTF-8-encoded UTF-16 surrogate, which is not allowed in UTF-8.
                if (line[offset] == 0xED && offset + 1 < line.Length && line[offset + 1] >= 0xA0)
                    return Why("LoneSurrogateUtf8", $"lone surrogate encoded in UTF-8 at byte {offset + 1}", offset + 1);
                return Why("InvalidUtf8At", $"invalid UTF-8 at byte {offset + 1}", offset + 1);
            }
            offset += consumed;
        }
        return Why("InvalidUtf8", "invalid UTF-8");
    }

    private sealed class ReportBuilder
    {
        private readonly NormalisedText _scratch = new();
        private readonly List<string> _terms = [];
        private readonly List<int> _blank = [];
        private readonly List<ImportLineIssue> _duplicates = [];
        private readonly List<ImportLineIssue> _malformed = [];
        private readonly Dictionary<string, int> _exact = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _normalised = new(StringComparer.Ordinal);

        public void Malformed(int line, Reason reason, string? text) => _malformed.Add(new ImportLineIssue(line, reason, text));

        public void Add(int line, string raw)
        {
            var term = raw.Trim().Trim('\uFEFF', '\u3000');
            if (term.Length == 0)
            {
                _blank.Add(line);
                return;
            }
            if (term.Any(c => char.IsControl(c) && c != '\t'))
            {
                Malformed(line, Why("ControlCharacter", "control character"), term);
                return;
            }
            if (term.Length > MaxTermLength)
            {
                Malformed(line, Why("TermTooLong", $"longer than {MaxTermLength} characters", MaxTermLength), term[..20] + "…");
                return;
            }
            if (_exact.TryGetValue(term, out var first))
            {
                _duplicates.Add(new ImportLineIssue(line, Why("DuplicateOf", $"duplicate of line {first}", first), term));
                return;
            }
            var parts = CompiledLexicon.SplitConjunction(term);
            if (parts.Length > 8)
            {
                Malformed(line, Why("TooManyParts", "more than 8 parts joined with +", 8), term);
                return;
            }
            var keys = new string[parts.Length];
            for (var p = 0; p < parts.Length; p++)
            {
                keys[p] = TextNormaliser.NormaliseTerm(parts[p], _scratch);
                if (keys[p].Length == 0)
                {
                    Malformed(line, Why("NothingLeft", "nothing left to match after normalisation (only symbols, spaces or emoji)"), term);
                    return;
                }
            }
            var key = string.Join('+', keys);
            if (_normalised.TryGetValue(key, out var same))
            {
                _duplicates.Add(new ImportLineIssue(line, Why("SameAfterNormalisation", $"same as line {same} after normalisation", same), term));
                return;
            }
            _exact.Add(term, line);
            _normalised.Add(key, line);
            _terms.Add(term);
        }

        public WordListImportReport Build(int totalLines) => new(_terms, totalLines, _blank, _duplicates, _malformed);
    }
}
