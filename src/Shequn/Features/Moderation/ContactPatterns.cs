using System.Collections.Frozen;

namespace Shequn.Features.Moderation;

public enum PatternKind
{
    Url,
    DeniedDomain,
    Email,
    Phone,
    WeChatId,
    QqNumber,
    LongDigitRun,
    ContactToken,
    Handle,
    WeChatCodeWord,
    QqCodeWord,
    Solicitation,
    QrCodeImage,
    MiniProgramCard,
    RedPacketFromOutsider,
    Custom,
}

/// <summary>
/// One pattern occurrence. <see cref="InLite"/> tells which normalised view the span is in (lite for links
/// and user regexes, compact otherwise); message-kind hits have no span.
/// </summary>
public readonly record struct PatternHit(PatternKind Kind, int Start, int Length, bool InLite, string? Detail = null);

/// <summary>
/// Finds contact details and their announcements: phone numbers, WeChat IDs and QQ numbers next to the
/// code words that announce them (薇/威/V/vx/加微, 企鹅/扣/Q), long digit runs, ID-like tokens, links,
/// e-mail addresses, handles and "add me" solicitation. Hand-written scanners over the normalised views:
/// one pass each, no regex on the hot path.
/// </summary>
public static class ContactPatterns
{
    private enum Word : byte
    {
        WeChat,
        WeChatWeak,
        Qq,
        QqWeak,
        Solicitation,
    }

    // Keys are written as they look after normalisation (repeats collapse: "qq" is "q", "扣扣" is "扣").
    private static readonly (string Key, Word Kind)[] CodeWords =
    [
        .. Words(Word.WeChat, "微信", "威信", "薇信", "v信", "徽信", "维信", "vx", "wx", "weixin", "wechat", "加微", "加v", "加薇", "加威",
            "佳薇", "佳威", "佳喂", "加喂", "迦威", "迦薇", "伽威", "伽韦", "加韦", "嘉薇", "微号", "v号", "加维"),
        .. Words(Word.WeChatWeak, "薇", "威", "嶶", "微", "喂", "韦", "伟", "维", "唯", "v", "徽", "危", "卫", "围"),
        .. Words(Word.Qq, "企鹅", "q号", "扣号", "加q", "加扣", "qq号", "球号", "扣群"),
        .. Words(Word.QqWeak, "q", "扣", "蔻", "寇", "宼", "口", "球", "俅", "抠", "叩", "扌口"),
        .. Words(Word.Solicitation, "加我", "私聊", "私我", "私信", "加好友", "联系我", "找我", "滴我", "加群", "进群", "入群", "撩我",
            "来撩", "详聊", "详谈", "来谈", "咨询", "看头像", "戳我", "扫码", "联系方式", "有意者", "有需要", "欢迎来扰", "加下", "加一下",
            "私下联系", "私戳", "点我头像", "主页有"),
    ];

    private static readonly TermAutomaton CodeWordAutomaton = TermAutomaton.Build([.. CodeWords.Select(w => w.Key)]);

    private static readonly FrozenSet<string> TopLevelDomains = new[]
    {
        "com", "net", "org", "cn", "me", "io", "cc", "top", "xyz", "vip", "info", "biz", "tv", "co", "app", "club", "site", "online",
        "shop", "link", "live", "pro", "asia", "hk", "tw", "jp", "kr", "us", "uk", "ru", "de", "fun", "icu", "cyou", "buzz", "wang",
        "ltd", "work", "store", "tech", "space", "website", "ink", "red", "love", "group", "fit", "bet", "win", "tk", "ml", "ga", "cf",
        "gq", "pw", "la", "ws", "im", "ai", "gg", "ly", "sh", "mobi", "name", "xin", "ren", "games", "today", "plus", "cloud",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static IEnumerable<(string, Word)> Words(Word kind, params string[] keys) => keys.Select(k => (k, kind));

    /// <summary>Appends every contact pattern found in the message's normalised views to <paramref name="hits"/>.</summary>
    public static void Scan(NormalisedText text, PatternSet patterns, List<PatternHit> hits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(hits);
        ScanCompact(text.Compact, hits);
        ScanLite(text.Lite, patterns, hits);
    }

    private struct WordSink : IKeyHitSink
    {
        public int Count;
        public (int Key, int End)[] Found;

        public bool OnHit(int key, int payload, int start, int end)
        {
            if (Count == Found.Length)
                return false; // enough evidence; huge messages stop here
            Found[Count++] = (key, end);
            return true;
        }
    }

    [ThreadStatic]
    private static (int Key, int End)[]? _wordBuffer;

    private static void ScanCompact(ReadOnlySpan<char> s, List<PatternHit> hits)
    {
        var sink = new WordSink { Found = _wordBuffer ??= new (int, int)[256] };
        CodeWordAutomaton.Scan(s, ref sink);
        var firstIdHit = hits.Count;

        // Code words: the longest word at each place wins ("vx" over "v"); a weak word counts only next to an ID.
        var lastEnd = -1;
        for (var i = 0; i < sink.Count; i++)
        {
            var (key, end) = sink.Found[i];
            var start = end - CodeWords[key].Key.Length;
            // A longer word ending later may start at the same place; peek ahead to prefer it.
            if (i + 1 < sink.Count)
            {
                var (nextKey, nextEnd) = sink.Found[i + 1];
                if (nextEnd - CodeWords[nextKey].Key.Length <= start && nextEnd > end)
                    continue;
            }
            if (start < lastEnd)
                continue;
            var kind = CodeWords[key].Kind;
            if (kind == Word.Solicitation)
            {
                hits.Add(new PatternHit(PatternKind.Solicitation, start, end - start, false));
                lastEnd = end;
                continue;
            }
            // A Latin code word inside a longer word ("love", "iq") is not a code word.
            if (IsAsciiAlnum(CodeWords[key].Key[0]) && start > 0 && IsAsciiAlnum(s[start - 1]))
                continue;
            var wechat = kind is Word.WeChat or Word.WeChatWeak;
            var strong = kind is Word.WeChat or Word.Qq;
            var found = FindId(s, start, end, wechat, out var idStart, out var idEnd);
            if (found)
            {
                var idKind = wechat ? PatternKind.WeChatId : PatternKind.QqNumber;
                var from = Math.Min(start, idStart);
                var to = Math.Max(end, idEnd);
                hits.Add(new PatternHit(idKind, from, to - from, false));
                lastEnd = Math.Max(end, idEnd);
            }
            else if (strong)
            {
                hits.Add(new PatternHit(wechat ? PatternKind.WeChatCodeWord : PatternKind.QqCodeWord, start, end - start, false));
                lastEnd = end;
            }
        }

        // Numbers and ID-like tokens not already claimed by a code word.
        var n = s.Length;
        var k = 0;
        while (k < n)
        {
            if (!IsAsciiAlnum(s[k]))
            {
                k++;
                continue;
            }
            var a = k;
            int letters = 0, digits = 0;
            for (; k < n && IsAsciiAlnum(s[k]); k++)
            {
                if (char.IsAsciiDigit(s[k]))
                    digits++;
                else
                    letters++;
            }
            var b = k;
            if (Claimed(hits, firstIdHit, a, b))
                continue;
            if (digits >= 5)
                ClassifyDigitRuns(s, a, b, hits);
            if (letters >= 2 && digits >= 3 && b - a is >= 5 and <= 20 && !Claimed(hits, firstIdHit, a, b))
                hits.Add(new PatternHit(PatternKind.ContactToken, a, b - a, false));
        }
    }

    private static void ClassifyDigitRuns(ReadOnlySpan<char> s, int from, int to, List<PatternHit> hits)
    {
        var k = from;
        while (k < to)
        {
            if (!char.IsAsciiDigit(s[k]))
            {
                k++;
                continue;
            }
            var a = k;
            while (k < to && char.IsAsciiDigit(s[k]))
                k++;
            var run = s[a..k];
            if (IsPhoneNumber(run))
                hits.Add(new PatternHit(PatternKind.Phone, a, run.Length, false));
            else if (run.Length >= 7)
                hits.Add(new PatternHit(PatternKind.LongDigitRun, a, run.Length, false));
        }
    }

    /// <summary>Mainland mobile (1[3-9] + 9 digits, optionally after 86) or a landline with its area code (0 + 9–11 digits).</summary>
    internal static bool IsPhoneNumber(ReadOnlySpan<char> digits)
    {
        if (digits.Length == 13 && digits.StartsWith("86"))
            digits = digits[2..];
        if (digits.Length == 11 && digits[0] == '1' && digits[1] is >= '3' and <= '9')
            return true;
        return digits.Length is >= 10 and <= 12 && digits[0] == '0' && digits[1] != '0';
    }

    private static bool Claimed(List<PatternHit> hits, int from, int start, int end)
    {
        for (var i = from; i < hits.Count; i++)
        {
            var h = hits[i];
            if (!h.InLite && h.Kind is PatternKind.WeChatId or PatternKind.QqNumber && h.Start < end && start < h.Start + h.Length)
                return true;
        }
        return false;
    }

    /// <summary>Looks for an ID right after the code word (or right before it, "UKC917薇"), allowing a short gap.</summary>
    private static bool FindId(ReadOnlySpan<char> s, int wordStart, int wordEnd, bool wechat, out int idStart, out int idEnd)
    {
        const int gap = 3;
        for (var p = wordEnd; p < s.Length && p <= wordEnd + gap; p++)
        {
            if (!IsAsciiAlnum(s[p]))
                continue;
            var q = p;
            while (q < s.Length && q - p <= 20 && IsAsciiAlnum(s[q]))
                q++;
            if (IsId(s[p..q], wechat))
            {
                (idStart, idEnd) = (p, q);
                return true;
            }
            break;
        }
        for (var q = wordStart; q > 0 && q >= wordStart - gap; q--)
        {
            if (!IsAsciiAlnum(s[q - 1]))
                continue;
            var p = q;
            while (p > 0 && q - p <= 20 && IsAsciiAlnum(s[p - 1]))
                p--;
            if (IsId(s[p..q], wechat))
            {
                (idStart, idEnd) = (p, q);
                return true;
            }
            break;
        }
        (idStart, idEnd) = (-1, -1);
        return false;
    }

    private static bool IsId(ReadOnlySpan<char> token, bool wechat)
    {
        var digits = 0;
        foreach (var c in token)
        {
            if (char.IsAsciiDigit(c))
                digits++;
        }
        if (wechat)
            return token.Length is >= 5 and <= 20 && (digits >= 3 || token.Length >= 6);
        return digits == token.Length && token.Length is >= 5 and <= 12 && token[0] != '0';
    }

    private static bool IsAsciiAlnum(char c) => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c);

    private static bool IsHostChar(char c) => IsAsciiAlnum(c) || c == '-';

    private static void ScanLite(ReadOnlySpan<char> s, PatternSet patterns, List<PatternHit> hits)
    {
        var covered = -1;
        for (var i = 0; i < s.Length; i++)
        {
            if (i < covered)
                continue;
            var c = s[i];
            if (c is '.' or '点' && i > 0 && IsHostChar(s[i - 1]))
            {
                if (TryDomain(s, i, out var hostStart, out var hostEnd))
                {
                    covered = AddUrlOrEmail(s, hostStart, hostEnd, patterns, hits);
                }
            }
            else if (c == '@' && i + 1 < s.Length)
            {
                var end = i + 1;
                while (end < s.Length && end - i <= 33 && (IsAsciiAlnum(s[end]) || s[end] == '_'))
                    end++;
                // An e-mail address is found from its domain's dot; a bare @name is a handle.
                if (end - i - 1 is >= 4 and <= 32 && (end == s.Length || s[end] != '.'))
                {
                    hits.Add(new PatternHit(PatternKind.Handle, i, end - i, true));
                    covered = end;
                }
            }
            else if (c == 'h' && (s[i..].StartsWith("https://") || s[i..].StartsWith("http://")))
            {
                var hostStart = i + (s[i + 4] == 's' ? 8 : 7);
                var k = hostStart;
                while (k < s.Length && (IsHostChar(s[k]) || s[k] == '.'))
                    k++;
                var dot = s[hostStart..k].IndexOf('.');
                // A named host goes through the domain path (allow and deny lists); an address or bare name is a plain link.
                if (dot > 0 && TryDomain(s, hostStart + dot, out var domainStart, out var domainEnd))
                {
                    covered = AddUrlOrEmail(s, domainStart, domainEnd, patterns, hits);
                }
                else if (k > hostStart)
                {
                    // Still subject to the workspace's lists: a denied host is denied whatever its top-level domain.
                    var end = ExtendPath(s, hostStart);
                    var host = s[hostStart..k].TrimEnd('.');
                    var status = patterns.Classify(host);
                    if (status != DomainStatus.Allowed)
                        hits.Add(new PatternHit(status == DomainStatus.Denied ? PatternKind.DeniedDomain : PatternKind.Url, i, end - i, true, status == DomainStatus.Denied ? host.ToString() : null));
                    covered = end;
                }
            }
        }
    }

    /// <summary>Finds a host around the dot at <paramref name="dot"/> whose last label is a known top-level domain.</summary>
    private static bool TryDomain(ReadOnlySpan<char> s, int dot, out int hostStart, out int hostEnd)
    {
        // Host names are at most 253 characters; the bound also keeps "a.a.a.a…" linear.
        const int maxHost = 253;
        hostStart = dot;
        while (hostStart > 0 && dot - hostStart < maxHost && (IsHostChar(s[hostStart - 1]) || s[hostStart - 1] == '.'))
            hostStart--;
        while (hostStart < dot && s[hostStart] == '.')
            hostStart++;
        // The dot may be written as 点; accept it only directly before the top-level domain.
        var tldStart = dot + 1;
        hostEnd = tldStart;
        while (hostEnd < s.Length && hostEnd - dot < maxHost && (IsHostChar(s[hostEnd]) || (s[hostEnd] == '.' && s[dot] == '.')))
            hostEnd++;
        while (hostEnd > tldStart && s[hostEnd - 1] == '.')
            hostEnd--;
        if (hostEnd == tldStart)
            return false;
        var lastDot = s[tldStart..hostEnd].LastIndexOf('.');
        var tld = lastDot < 0 ? s[tldStart..hostEnd] : s[(tldStart + lastDot + 1)..hostEnd];
        // A TLD glued to following letters ("comment") is not a TLD.
        var lookup = TopLevelDomains.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.Contains(tld))
        {
            // Allow "example.com中文" and "example.com123"? Only when the TLD is followed by a non-letter.
            return TryTrimmedTld(s, tldStart, ref hostEnd, lookup);
        }
        return true;
    }

    private static bool TryTrimmedTld(ReadOnlySpan<char> s, int tldStart, ref int hostEnd, FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> lookup)
    {
        // "2028600.com" followed by digits without a space ("2028600.com666") still names a domain.
        var letters = tldStart;
        while (letters < hostEnd && char.IsAsciiLetterLower(s[letters]))
            letters++;
        if (letters == tldStart || letters == hostEnd || char.IsAsciiLetterLower(s[letters]))
            return false;
        if (!lookup.Contains(s[tldStart..letters]))
            return false;
        hostEnd = letters;
        return true;
    }

    private static int AddUrlOrEmail(ReadOnlySpan<char> s, int hostStart, int hostEnd, PatternSet patterns, List<PatternHit> hits)
    {
        var host = s[hostStart..hostEnd];
        var start = hostStart;
        if (start >= 1 && s[start - 1] == '@')
        {
            var local = start - 1;
            while (local > 0 && start - local < 64 && (IsAsciiAlnum(s[local - 1]) || s[local - 1] is '.' or '_' or '-' or '+' or '%'))
                local--;
            if (local < start - 1)
            {
                hits.Add(new PatternHit(PatternKind.Email, local, hostEnd - local, true, host.ToString()));
                return hostEnd;
            }
        }
        if (start >= 8 && s[(start - 8)..start].SequenceEqual("https://"))
            start -= 8;
        else if (start >= 7 && s[(start - 7)..start].SequenceEqual("http://"))
            start -= 7;
        var end = hostEnd < s.Length && s[hostEnd] is '/' or ':' or '?' or '#' ? ExtendPath(s, hostEnd) : hostEnd;
        switch (patterns.Classify(host))
        {
            case DomainStatus.Allowed:
                break;
            case DomainStatus.Denied:
                hits.Add(new PatternHit(PatternKind.DeniedDomain, start, end - start, true, host.ToString()));
                break;
            default:
                hits.Add(new PatternHit(PatternKind.Url, start, end - start, true, host.ToString()));
                break;
        }
        return end;
    }

    private static int ExtendPath(ReadOnlySpan<char> s, int from)
    {
        var end = from;
        while (end < s.Length && (IsAsciiAlnum(s[end]) || s[end] is '.' or '/' or ':' or '?' or '#' or '&' or '=' or '%' or '-' or '_' or '~' or '+' or '@'))
            end++;
        while (end > from && s[end - 1] is '.' or ':')
            end--;
        return end;
    }
}
