using System.Text;
using System.Text.Unicode;
using Shequn.Platform.Api;

namespace Shequn.Features.Moderation;

/// <summary>One labelled message for training or evaluation.</summary>
public sealed record LabelledExample(bool IsSpam, string Text);

/// <summary>A labelled file with a bad row; nothing from the file is imported.</summary>
public sealed class LabelledFileException(int row, int line, Reason problem)
    : FormatException($"row {row} (line {line}): {problem.English}")
{
    /// <summary>1-based data row (the header is not counted).</summary>
    public int Row { get; } = row;

    /// <summary>1-based line of the file where the row starts.</summary>
    public int Line { get; } = line;

    public string Problem => Why.English;

    /// <summary>The problem in a form the console translates.</summary>
    public Reason Why { get; } = problem;
}

/// <summary>
/// Reads labelled CSV files: header <c>target,input</c>, target 1 = spam, 0 = not. The input is a quoted
/// CSV field or, unquoted, the rest of the line (chat text often has commas nobody quoted). All or nothing:
/// the first bad row throws <see cref="LabelledFileException"/> naming it.
/// </summary>
public static class LabelledCsv
{
    public static async Task<IReadOnlyList<LabelledExample>> ReadFileAsync(string path, CancellationToken cancellationToken = default) =>
        Read(await File.ReadAllBytesAsync(path, cancellationToken));

    public static IReadOnlyList<LabelledExample> Read(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
            utf8 = utf8[3..];
        if (!Utf8.IsValid(utf8))
        {
            // Name the line so the file can be fixed; rows and lines coincide up to the first quoted newline.
            var line = 1;
            var rest = utf8;
            while (true)
            {
                var newline = rest.IndexOf((byte)'\n');
                var current = newline < 0 ? rest : rest[..newline];
                if (!Utf8.IsValid(current))
                    throw new LabelledFileException(Math.Max(1, line - 1), line, WordListImport.Why("InvalidUtf8", "invalid UTF-8"));
                if (newline < 0)
                    break;
                rest = rest[(newline + 1)..];
                line++;
            }
        }
        return Read(Encoding.UTF8.GetString(utf8));
    }

    public static IReadOnlyList<LabelledExample> Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var examples = new List<LabelledExample>();
        var position = 0;
        var line = 1;
        var row = 0;
        var first = true;
        while (position < text.Length)
        {
            var recordLine = line;
            var lineEnd = text.IndexOf('\n', position);
            if (lineEnd < 0)
                lineEnd = text.Length;
            var raw = text.AsSpan(position, lineEnd - position).TrimEnd('\r');
            if (raw.IsEmpty || raw.IsWhiteSpace())
            {
                position = lineEnd + 1;
                line++;
                continue;
            }
            if (first)
            {
                first = false;
                if (raw.Trim().Equals("target,input", StringComparison.OrdinalIgnoreCase))
                {
                    position = lineEnd + 1;
                    line++;
                    continue;
                }
            }
            row++;
            var comma = raw.IndexOf(',');
            if (comma < 0)
                throw new LabelledFileException(row, recordLine, WordListImport.Why("NoComma", "expected 'target,input' but found no comma"));
            var target = raw[..comma].Trim().Trim('"');
            bool isSpam;
            if (target.SequenceEqual("1"))
                isSpam = true;
            else if (target.SequenceEqual("0"))
                isSpam = false;
            else
                throw new LabelledFileException(row, recordLine, WordListImport.Why("BadTarget", $"target must be 0 or 1, found '{Shorten(target.ToString())}'", Shorten(target.ToString())));

            var inputStart = position + comma + 1;
            string input;
            if (inputStart < text.Length && text[inputStart] == '"')
            {
                (input, position, line) = ReadQuoted(text, inputStart + 1, line, row, recordLine);
            }
            else
            {
                input = text[inputStart..(position + raw.Length)];
                position = lineEnd + 1;
                line++;
            }
            var surrogate = WordListImport.FindLoneSurrogate(input);
            if (surrogate >= 0)
                throw new LabelledFileException(row, recordLine, WordListImport.Why("LoneSurrogate", $"lone surrogate U+{(int)input[surrogate]:X4}", $"U+{(int)input[surrogate]:X4}"));
            examples.Add(new LabelledExample(isSpam, input));
        }
        return examples;
    }

    private static (string Input, int Next, int Line) ReadQuoted(string text, int start, int line, int row, int recordLine)
    {
        var builder = new StringBuilder();
        var i = start;
        while (true)
        {
            if (i >= text.Length)
                throw new LabelledFileException(row, recordLine, WordListImport.Why("QuoteNotClosed", "quoted input is not closed"));
            var c = text[i];
            if (c == '"')
            {
                if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    builder.Append('"');
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            if (c == '\n')
                line++;
            builder.Append(c);
            i++;
        }
        while (i < text.Length && text[i] is '\r' or ' ' or '\t')
            i++;
        if (i < text.Length && text[i] != '\n')
            throw new LabelledFileException(row, recordLine, WordListImport.Why("TextAfterQuote", "text after the closing quote"));
        return (builder.ToString(), i + 1, line + 1);
    }

    private static string Shorten(string value) => value.Length > 20 ? value[..20] + "…" : value;
}
