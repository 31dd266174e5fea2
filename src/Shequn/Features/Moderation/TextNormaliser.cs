using System.Globalization;
using System.Text;

namespace Shequn.Features.Moderation;

/// <summary>
/// Folds the disguises advertisers use (full-width and styled letters, circled digits, Chinese numerals
/// inside numbers, look-alike letters, traditional characters, symbols inserted between characters,
/// repeated characters) so that one key matches every spelling, while keeping a map from each folded
/// character back to the original span.
/// </summary>
/// <remarks>
/// All Unicode work (compatibility decomposition, categories, case) is done once per code point when the
/// tables are built; the per-message loop is table look-ups over spans into reused buffers.
/// </remarks>
public static class TextNormaliser
{
    private const byte KindDrop = 0;
    private const byte KindSingle = 1;
    private const byte KindMulti = 2;
    private const byte KindMask = 3;
    private const byte FlagDisguised = 0x80;
    private const byte FlagWhitespace = 0x40;

    private static readonly char[] Fold = new char[65536];
    private static readonly byte[] Kind = new byte[65536];
    private static readonly char[] LitePunctuation = new char[65536];
    private static readonly Dictionary<char, string> MultiFold = [];
    private static readonly Dictionary<int, string> SupplementaryFold = [];

    // Value 0–9: a Chinese numeral; 10–19: a letter that looks like digit (value − 10); −1: neither.
    private static readonly sbyte[] DigitCandidate = new sbyte[65536];

#pragma warning disable CA1810 // the tables depend on each other; one static constructor keeps the order obvious
    static TextNormaliser()
#pragma warning restore CA1810
    {
        var traditional = ChineseVariants.Build();
        Span<char> buffer = stackalloc char[64];
        for (var c = 0; c < 65536; c++)
        {
            var ch = (char)c;
            if (char.IsSurrogate(ch))
                continue;
            var length = FoldCodePoint(c, traditional, buffer, out var disguised);
            var flags = (byte)(disguised ? FlagDisguised : 0);
            if (length == 0)
            {
                Kind[c] = (byte)(KindDrop | (char.IsWhiteSpace(ch) ? FlagWhitespace : 0));
                LitePunctuation[c] = LitePunctuationFor(ch);
            }
            else if (length == 1)
            {
                Kind[c] = (byte)(KindSingle | flags);
                Fold[c] = buffer[0];
            }
            else
            {
                Kind[c] = (byte)(KindMulti | flags);
                MultiFold[ch] = new string(buffer[..length]);
            }
        }

        // Mathematical alphanumerics (𝐇𝕌𝐗), enclosed alphanumerics (🄰🅐🅰, regional indicators) and
        // compatibility ideographs are the supplementary-plane disguises seen in chat spam.
        foreach (var (from, to) in new[] { (0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF), (0x2F800, 0x2FA1F) })
        {
            for (var cp = from; cp <= to; cp++)
            {
                var length = FoldCodePoint(cp, traditional, buffer, out _);
                if (length > 0)
                    SupplementaryFold[cp] = new string(buffer[..length]);
            }
        }
        foreach (var (from, count) in new[] { (0x1F130, 26), (0x1F150, 26), (0x1F170, 26), (0x1F1E6, 26) })
        {
            for (var k = 0; k < count; k++)
                SupplementaryFold[from + k] = ((char)('a' + k)).ToString();
        }

        Array.Fill(DigitCandidate, (sbyte)-1);
        const string chineseDigits = "〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖幺两";
        ReadOnlySpan<sbyte> chineseValues = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2];
        for (var k = 0; k < chineseDigits.Length; k++)
            DigitCandidate[chineseDigits[k]] = chineseValues[k];
        // Look-alikes after folding: o and Cyrillic о have already become 'o'.
        DigitCandidate['o'] = 10;
        DigitCandidate['l'] = 11;
        DigitCandidate['з'] = 13;
        DigitCandidate['ч'] = 14;
        DigitCandidate['б'] = 16;
    }

    /// <summary>Normalises <paramref name="text"/> into <paramref name="into"/>, replacing its previous content.</summary>
    public static void Normalise(ReadOnlySpan<char> text, NormalisedText into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Reset(text.Length);
        var state = new Writer(into);
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            var c = text[i];
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    var low = text[i + 1];
                    var cp = char.ConvertToUtf32(c, low);
                    i += 2;
                    if (SupplementaryFold.TryGetValue(cp, out var folded))
                    {
                        state.EmitMany(folded, start, i, text.Length - i);
                        into.DisguisedCount++;
                    }
                    else if (Rune.IsLetterOrDigit(new Rune(cp)))
                    {
                        state.Emit(c, start, i);
                        state.Emit(low, start, i);
                    }
                    else
                    {
                        state.Drop(' ', isWhitespace: false, start, i);
                    }
                }
                else
                {
                    // A lone surrogate cannot be shown or matched; it only separates.
                    i++;
                    state.Drop(' ', isWhitespace: false, start, i);
                }
                continue;
            }

            i++;
            var kind = Kind[c];
            switch (kind & KindMask)
            {
                case KindSingle:
                    state.Emit(Fold[c], start, i);
                    break;
                case KindMulti:
                    state.EmitMany(MultiFold[c], start, i, text.Length - i);
                    break;
                default:
                    state.Drop(LitePunctuation[c], (kind & FlagWhitespace) != 0, start, i);
                    break;
            }
            if ((kind & FlagDisguised) != 0)
                into.DisguisedCount++;
        }

        RewriteDigitRuns(into);
        CollapseRepeats(into);
    }

    /// <summary>Normalises a term the same way as messages and returns the compact key (for word lists).</summary>
    public static string NormaliseTerm(ReadOnlySpan<char> term, NormalisedText scratch)
    {
        Normalise(term, scratch);
        return new string(scratch.Compact);
    }

    /// <summary>True for a character that the compact view keeps (a letter or digit after folding).</summary>
    internal static bool IsKept(char c) => (Kind[c] & KindMask) != KindDrop || char.IsSurrogate(c);

    private ref struct Writer(NormalisedText target)
    {
        private readonly NormalisedText _t = target;
        private bool _spacePending;

        public void Emit(char ch, int start, int end)
        {
            var t = _t;
            var n = t.CompactLength;
            t.CompactChars[n] = ch;
            t.CompactStart[n] = start;
            t.CompactEnd[n] = end;
            t.CompactLength = n + 1;

            var m = t.LiteLength;
            if (_spacePending)
            {
                _spacePending = false;
                if (m > 0)
                {
                    t.LiteChars[m] = ' ';
                    t.LiteStart[m] = start;
                    t.LiteEnd[m] = start;
                    m++;
                }
            }
            t.LiteChars[m] = ch;
            t.LiteStart[m] = start;
            t.LiteEnd[m] = end;
            t.LiteLength = m + 1;
        }

        public void EmitMany(string folded, int start, int end, int remaining)
        {
            // Expansions eat into the room Reset reserved for the rest of the input; keep two slots per
            // remaining character (a folded character and a lite space) free.
            _t.EnsureRoom((folded.Length * 2) + 2 + (remaining * 2));
            foreach (var ch in folded)
                Emit(ch, start, end);
        }

        public void Drop(char lite, bool isWhitespace, int start, int end)
        {
            if (!isWhitespace)
                _t.DroppedCount++;
            if (lite == '\0')
                return;
            if (lite == ' ')
            {
                _spacePending = true;
                return;
            }
            // URL punctuation stays in the lite view, attached to its neighbours.
            var t = _t;
            var m = t.LiteLength;
            if (_spacePending && m > 0)
            {
                t.LiteChars[m] = ' ';
                t.LiteStart[m] = start;
                t.LiteEnd[m] = start;
                m++;
            }
            _spacePending = false;
            t.LiteChars[m] = lite;
            t.LiteStart[m] = start;
            t.LiteEnd[m] = end;
            t.LiteLength = m + 1;
        }
    }

    /// <summary>
    /// Chinese numerals and look-alike letters become digits only inside a run that is already numeric,
    /// so that "1三8" reads 138 while ordinary words (三千, hello) are left alone.
    /// </summary>
    private static void RewriteDigitRuns(NormalisedText t)
    {
        var s = t.CompactChars;
        var n = t.CompactLength;
        var k = 0;
        while (k < n)
        {
            if (!IsDigitLike(s[k]))
            {
                k++;
                continue;
            }
            var a = k;
            int digits = 0, chinese = 0, lookalikes = 0;
            for (; k < n && IsDigitLike(s[k]); k++)
            {
                if (char.IsAsciiDigit(s[k]))
                    digits++;
                else if (DigitCandidate[s[k]] < 10)
                    chinese++;
                else
                    lookalikes++;
            }
            var b = k;
            if (chinese > 0 && ((digits >= 1 && digits + chinese >= 3) || chinese >= 7))
            {
                for (var j = a; j < b; j++)
                {
                    var v = DigitCandidate[s[j]];
                    if (!char.IsAsciiDigit(s[j]) && v is >= 0 and < 10)
                    {
                        s[j] = (char)('0' + v);
                        t.DigitRewriteCount++;
                    }
                }
            }
            if (lookalikes > 0)
            {
                int first = -1, last = -1;
                for (var j = a; j < b; j++)
                {
                    if (char.IsAsciiDigit(s[j]))
                    {
                        if (first < 0)
                            first = j;
                        last = j;
                    }
                }
                for (var j = first + 1; first >= 0 && j < last; j++)
                {
                    var v = DigitCandidate[s[j]];
                    if (v >= 10)
                    {
                        s[j] = (char)('0' + v - 10);
                        t.DigitRewriteCount++;
                    }
                }
            }
        }
    }

    private static bool IsDigitLike(char c) => char.IsAsciiDigit(c) || DigitCandidate[c] >= 0;

    /// <summary>Repeated letters ("加加加微", "kkkk") carry no meaning; repeated digits do (phone numbers).</summary>
    private static void CollapseRepeats(NormalisedText t)
    {
        var s = t.CompactChars;
        var starts = t.CompactStart;
        var ends = t.CompactEnd;
        var n = t.CompactLength;
        var w = 0;
        for (var r = 0; r < n; r++)
        {
            var c = s[r];
            if (w > 0 && s[w - 1] == c && !char.IsAsciiDigit(c) && !char.IsSurrogate(c))
            {
                ends[w - 1] = ends[r];
                continue;
            }
            s[w] = c;
            starts[w] = starts[r];
            ends[w] = ends[r];
            w++;
        }
        t.CollapsedCount = n - w;
        t.CompactLength = w;
    }

    private static int FoldCodePoint(int cp, Dictionary<char, char> traditional, Span<char> output, out bool disguised)
    {
        disguised = false;
        // Unified ideographs and Hangul syllables are already in their final form; decomposing Hangul
        // would split syllables into jamo.
        if (cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF)
        {
            var ch = (char)cp;
            output[0] = traditional.TryGetValue(ch, out var simple) ? simple : ch;
            return 1;
        }
        if (cp is >= 0xAC00 and <= 0xD7A3)
        {
            output[0] = (char)cp;
            return 1;
        }
        if (cp is 0x115F or 0x1160 or 0x3164 or 0xFFA0 or >= 0x16A0 and <= 0x16FF)
            return 0; // fillers and runic letters are used as invisible or decorative separators

        string decomposed;
        var original = char.ConvertFromUtf32(cp);
        try
        {
            decomposed = original.Normalize(NormalizationForm.FormKD);
        }
        catch (ArgumentException)
        {
            decomposed = original;
        }

        var length = 0;
        foreach (var raw in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(raw);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                continue;
            if (category is UnicodeCategory.OtherNumber or UnicodeCategory.DecimalDigitNumber && !char.IsAsciiDigit(raw))
            {
                var value = CharUnicodeInfo.GetNumericValue(raw);
                if (value >= 0 && value <= 100 && Math.Abs(value - Math.Floor(value)) < 1e-9)
                {
                    foreach (var digit in ((int)value).ToString(CultureInfo.InvariantCulture))
                    {
                        if (length < output.Length)
                            output[length++] = digit;
                    }
                    disguised = true;
                }
                continue;
            }
            var mapped = LookAlikeLatin(raw);
            if (mapped != raw)
                disguised = true;
            mapped = char.ToLowerInvariant(mapped);
            if (traditional.TryGetValue(mapped, out var simplified))
                mapped = simplified;
            if ((!char.IsLetterOrDigit(mapped) && mapped != '〇') || mapped is >= '\u16A0' and <= '\u16FF' || char.IsSurrogate(mapped))
                continue;
            if (length < output.Length)
                output[length++] = mapped;
        }

        // Full-width, styled, circled and squared forms fold to ASCII from outside Latin-1/Latin Extended;
        // ordinary accented letters do not count as a disguise.
        if (length > 0 && cp >= 0x250 && char.IsAscii(output[0]) && decomposed != original)
            disguised = true;
        return length;
    }

    /// <summary>Cyrillic and Greek capitals and small letters that readers take for Latin ones.</summary>
    private static char LookAlikeLatin(char c) => c switch
    {
        'А' or 'а' or 'Α' or 'α' => 'a',
        'В' or 'в' or 'Β' or 'β' => 'b',
        'С' or 'с' or 'ϲ' => 'c',
        'ԁ' => 'd',
        'Е' or 'е' or 'Ε' or 'ε' => 'e',
        'Н' or 'н' or 'Η' or 'һ' => 'h',
        'І' or 'і' or 'Ι' or 'ι' => 'i',
        'Ј' or 'ј' => 'j',
        'К' or 'к' or 'Κ' or 'κ' => 'k',
        'М' or 'м' or 'Μ' => 'm',
        'Ν' or 'η' => 'n',
        'О' or 'о' or 'Ο' or 'ο' => 'o',
        'Р' or 'р' or 'Ρ' or 'ρ' => 'p',
        'ԛ' => 'q',
        'Ѕ' or 'ѕ' => 's',
        'Т' or 'т' or 'Τ' or 'τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'Х' or 'х' or 'Χ' or 'χ' => 'x',
        'У' or 'у' or 'Υ' or 'Ү' or 'ү' => 'y',
        'Ζ' => 'z',
        _ => c,
    };

    private static char LitePunctuationFor(char c)
    {
        switch (c)
        {
            case '.' or '\u3002' or '\uFF0E' or '\uFF61':
                return '.';
            case ':' or '\uFF1A':
                return ':';
            case '/' or '\uFF0F':
                return '/';
            case '@' or '\uFF20':
                return '@';
            case '-' or '\uFF0D' or '_' or '\uFF3F' or '?' or '=' or '&' or '%' or '#' or '+' or '~':
                return c < 128 ? c : (char)(c - 0xFEE0);
            default:
                break;
        }
        var category = CharUnicodeInfo.GetUnicodeCategory(c);
        return category is UnicodeCategory.Format or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.Control
            ? '\0'
            : ' ';
    }
}
