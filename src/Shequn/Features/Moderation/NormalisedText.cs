namespace Shequn.Features.Moderation;

/// <summary>
/// The two views of one message that matching works on, each with a map back to the original text.
/// <list type="bullet">
/// <item><see cref="Compact"/>: letters and digits only, folded (width, case, styled letters, digit forms,
/// look-alikes, traditional → simplified), separators removed and repeated letters collapsed. Word lists,
/// contact patterns and the classifier read this one.</item>
/// <item><see cref="Lite"/>: folded the same way but keeping URL punctuation (. / : @ - _) and single
/// spaces, so that links, e-mail addresses and user regexes still see their structure.</item>
/// </list>
/// An instance owns growable buffers and is reused across messages by one thread; it is not thread-safe.
/// </summary>
public sealed class NormalisedText
{
    internal char[] CompactChars = new char[256];
    internal int[] CompactStart = new int[256];
    internal int[] CompactEnd = new int[256];
    internal int CompactLength;

    internal char[] LiteChars = new char[256];
    internal int[] LiteStart = new int[256];
    internal int[] LiteEnd = new int[256];
    internal int LiteLength;

    /// <summary>Length of the original text in UTF-16 units.</summary>
    public int OriginalLength { get; internal set; }

    /// <summary>Code points whose folded form differs from themselves by more than case (full-width, styled, circled, look-alike).</summary>
    public int DisguisedCount { get; internal set; }

    /// <summary>Symbols, emoji and spaces dropped from between kept characters.</summary>
    public int DroppedCount { get; internal set; }

    /// <summary>Characters removed by collapsing repeats.</summary>
    public int CollapsedCount { get; internal set; }

    /// <summary>Chinese numerals and look-alike letters turned into digits because they sat in a digit run.</summary>
    public int DigitRewriteCount { get; internal set; }

    public ReadOnlySpan<char> Compact => CompactChars.AsSpan(0, CompactLength);

    public ReadOnlySpan<char> Lite => LiteChars.AsSpan(0, LiteLength);

    /// <summary>Maps a span of <see cref="Compact"/> to the span of the original text it came from.</summary>
    public (int Start, int Length) MapCompact(int start, int length) =>
        Map(CompactStart, CompactEnd, CompactLength, start, length);

    /// <summary>Maps a span of <see cref="Lite"/> to the span of the original text it came from.</summary>
    public (int Start, int Length) MapLite(int start, int length) =>
        Map(LiteStart, LiteEnd, LiteLength, start, length);

    private static (int Start, int Length) Map(int[] starts, int[] ends, int count, int start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + length, count);
        var from = starts[start];
        return (from, ends[start + length - 1] - from);
    }

    internal void Reset(int originalLength)
    {
        OriginalLength = originalLength;
        CompactLength = 0;
        LiteLength = 0;
        DisguisedCount = 0;
        DroppedCount = 0;
        CollapsedCount = 0;
        DigitRewriteCount = 0;
        // One code point folds to at most a few characters; multi-character expansions are rare, so
        // twice the input plus slack is enough and is checked again on every append.
        var need = (originalLength * 2) + 16;
        if (CompactChars.Length < need)
        {
            var size = (int)Math.Min(Array.MaxLength, Math.Max(need, CompactChars.Length * 2L));
            CompactChars = new char[size];
            CompactStart = new int[size];
            CompactEnd = new int[size];
            LiteChars = new char[size];
            LiteStart = new int[size];
            LiteEnd = new int[size];
        }
    }

    internal void EnsureRoom(int extra)
    {
        var need = Math.Max(CompactLength, LiteLength) + extra;
        if (need <= CompactChars.Length)
            return;
        var size = Math.Max(need, CompactChars.Length * 2);
        Array.Resize(ref CompactChars, size);
        Array.Resize(ref CompactStart, size);
        Array.Resize(ref CompactEnd, size);
        Array.Resize(ref LiteChars, size);
        Array.Resize(ref LiteStart, size);
        Array.Resize(ref LiteEnd, size);
    }
}
