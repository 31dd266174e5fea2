using System.Text;
using System.Text.RegularExpressions;
using Shequn.Fakes.Xss;
using Shequn.Platform;

namespace Shequn.Tests.Platform;

/// <summary>
/// Stored XSS at the source (docs/security.md, "Stored XSS"). Razor encodes what it renders; raw HTML gets into a page only
/// through a <c>MarkupString</c>, <c>AddMarkupContent</c> or a DOM call that parses HTML, and every one of those must be
/// <see cref="SafeHtml"/>'s. The H5 pages are built as strings: there, every value written into HTML goes through an encoder.
/// StoredXssTests (browser tests) shows the payloads rendered as text on the pages themselves.
/// </summary>
public sealed partial class MarkupSafetyTests
{
    private static readonly string Src = Path.Combine(LocalizationTests.RepoRoot(), "src", "Shequn");

    /// <summary>The only file allowed to make markup from a string.</summary>
    private const string Helper = "Platform/SafeHtml.cs";

    [Fact]
    public void RawHtml_OnlyThroughSafeHtml()
    {
        var sources = Sources().ToList();
        Assert.Contains(sources, s => s.Path == Helper);
        Assert.Contains(sources, s => s.Path.StartsWith("wwwroot/", StringComparison.Ordinal) && s.Path.EndsWith(".js", StringComparison.Ordinal));
        var uses = sources.Where(s => s.Path != Helper).SelectMany(s => RawHtmlUses(s.Path, s.Text)).ToList();
        Assert.True(uses.Count == 0, "Raw HTML outside SafeHtml (render it as text, or pass it through SafeHtml.Markup):\n" + string.Join("\n", uses));
    }

    [Fact]
    public void RawHtmlScan_FindsEachKindOfUse()
    {
        string[] samples =
        [
            "@((MarkupString)item.Note)", "var m = new MarkupString(x);", "MarkupString m = x;", "builder.AddMarkupContent(1, text);",
            "el.innerHTML = t;", "el.outerHTML = t;", "el.insertAdjacentHTML('beforeend', t);", "document.write(t);", "document.writeln(t);",
            "@Html.Raw(x)", "range.createContextualFragment(t)",
        ];
        foreach (var sample in samples)
            Assert.NotEmpty(RawHtmlUses("sample.razor", sample));
        Assert.Empty(RawHtmlUses("sample.razor", "<MudText>@item.Note</MudText> el.textContent = t;"));
    }

    [Fact]
    public void H5Pages_EncodeEveryMemberValueWrittenIntoHtml()
    {
        var holes = Sources().Where(s => s.Path.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(s => UnencodedMemberValues(s.Path, s.Text)).ToList();
        Assert.True(holes.Count == 0, "Values written into HTML without an encoder (wrap them in E(...) / Enc.Encode(...)):\n" + string.Join("\n", holes));
    }

    [Fact]
    public void H5Scan_FindsAnUnencodedValue()
    {
        Assert.NotEmpty(UnencodedMemberValues("x.cs", "sb.Append($\"<p>{item.Description}</p>\");"));
        Assert.NotEmpty(UnencodedMemberValues("x.cs", "sb.Append(inv, $\"\"\"<li title=\"{m.DisplayName}\">x</li>\"\"\");"));
        Assert.NotEmpty(UnencodedMemberValues("x.cs", "var s = $@\"<h1>{c.Name}</h1>\";"));
        Assert.Empty(UnencodedMemberValues("x.cs", "sb.Append($\"<p>{E(item.Description)}</p><b>{item.Count}</b>\");"));
        Assert.Empty(UnencodedMemberValues("x.cs", "var s = $\"{item.Description} (not HTML)\";"));
    }

    [Fact]
    public void SafeHtml_LeavesNothingThatRuns_OnEveryPayload()
    {
        foreach (var payload in XssPayloads.All)
        {
            var clean = SafeHtml.Clean(payload);
            foreach (var bad in new[] { "<script", "<svg", "<iframe", "<style", "<math", "<img", "<details", "<body", "<input", "srcdoc" })
                Assert.False(clean.Contains(bad, StringComparison.OrdinalIgnoreCase), $"{payload} → {clean} keeps {bad}");
            Assert.False(HandlerAttribute().IsMatch(clean), $"{payload} → {clean} keeps an event handler");
            Assert.False(ScriptUrl().IsMatch(clean), $"{payload} → {clean} keeps a javascript: URL in an attribute");
            Assert.Equal(clean, SafeHtml.Markup(payload).Value);
        }
        // Formatting and ordinary links stay; a script link loses its href.
        Assert.Equal("<p><b>好</b> <a href=\"https://example.com/\">看</a></p>", SafeHtml.Clean("<p><b>好</b> <a href=\"https://example.com/\">看</a></p>"));
        Assert.Equal("<a>x</a>", SafeHtml.Clean("<a href=\"javascript:__xss()\" onclick=\"__xss()\">x</a>"));
        Assert.Equal("", SafeHtml.Clean(null));
    }

    private sealed record Source(string Path, string Text);

    private static IEnumerable<Source> Sources() =>
        Directory.EnumerateFiles(Src, "*.*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Src, f).Replace('\\', '/'))
            .Where(p => !p.StartsWith("bin/", StringComparison.Ordinal) && !p.StartsWith("obj/", StringComparison.Ordinal))
            .Where(p => p.EndsWith(".razor", StringComparison.Ordinal) || p.EndsWith(".cs", StringComparison.Ordinal)
                || (p.StartsWith("wwwroot/", StringComparison.Ordinal) && p.EndsWith(".js", StringComparison.Ordinal)))
            .Select(p => new Source(p, File.ReadAllText(Path.Combine(Src, p))));

    private static IEnumerable<string> RawHtmlUses(string path, string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (RawHtml().Match(lines[i]) is { Success: true } m)
                yield return $"{path}:{i + 1}: {m.Value}";
        }
    }

    /// <summary>
    /// The holes of interpolated strings that write HTML (their text has a tag) which name a member-written value (a name,
    /// title, description, text, answer…) outside any encoder call.
    /// </summary>
    private static IEnumerable<string> UnencodedMemberValues(string path, string text)
    {
        foreach (var (literal, holes, line) in InterpolatedStrings(text))
        {
            if (!Tag().IsMatch(literal))
                continue;
            foreach (var hole in holes)
            {
                if (!Encoded().IsMatch(hole) && MemberValue().IsMatch(hole))
                    yield return $"{path}:{line}: {{{hole}}}";
            }
        }
    }

    /// <summary>Each interpolated string ($"…", $@"…", @$"…", $"""…"""): its literal text, its holes and its line.</summary>
    private static IEnumerable<(string Literal, List<string> Holes, int Line)> InterpolatedStrings(string s)
    {
        var i = 0;
        while (i < s.Length)
        {
            var raw = string.CompareOrdinal(s, i, "$\"\"\"", 0, 4) == 0;
            var verbatim = string.CompareOrdinal(s, i, "$@\"", 0, 3) == 0 || string.CompareOrdinal(s, i, "@$\"", 0, 3) == 0;
            var plain = !raw && !verbatim && string.CompareOrdinal(s, i, "$\"", 0, 2) == 0;
            if (!raw && !verbatim && !plain)
            {
                i = SkipOther(s, i);
                continue;
            }
            var line = 1 + s.AsSpan(0, i).Count('\n');
            i += raw ? 4 : verbatim ? 3 : 2;
            var literal = new StringBuilder();
            var holes = new List<string>();
            while (i < s.Length)
            {
                if (raw && string.CompareOrdinal(s, i, "\"\"\"", 0, 3) == 0) { i += 3; break; }
                if (verbatim && s[i] == '"' && i + 1 < s.Length && s[i + 1] == '"') { literal.Append('"'); i += 2; continue; }
                if (!raw && s[i] == '"') { i++; break; }
                if (plain && s[i] == '\\' && i + 1 < s.Length) { literal.Append(s[i + 1]); i += 2; continue; }
                if (!raw && s[i] == '{' && i + 1 < s.Length && s[i + 1] == '{') { literal.Append('{'); i += 2; continue; }
                if (s[i] == '{')
                {
                    var start = ++i;
                    for (var depth = 1; i < s.Length && depth > 0; i++)
                    {
                        if (s[i] == '"')
                        {
                            // A string inside the hole: skip it whole.
                            for (i++; i < s.Length && s[i] != '"'; i++)
                            {
                                if (s[i] == '\\')
                                    i++;
                            }
                        }
                        else if (s[i] == '{')
                            depth++;
                        else if (s[i] == '}')
                            depth--;
                    }
                    holes.Add(s[start..Math.Max(start, i - 1)]);
                    continue;
                }
                literal.Append(s[i++]);
            }
            yield return (literal.ToString(), holes, line);
        }
    }

    /// <summary>Past a comment or a literal that is not interpolated (a <c>$"</c> inside one starts nothing), else one character on.</summary>
    private static int SkipOther(string s, int i)
    {
        if (string.CompareOrdinal(s, i, "//", 0, 2) == 0)
            return s.IndexOf('\n', i) is var end and >= 0 ? end : s.Length;
        if (string.CompareOrdinal(s, i, "/*", 0, 2) == 0)
            return s.IndexOf("*/", i + 2, StringComparison.Ordinal) is var end and >= 0 ? end + 2 : s.Length;
        if (string.CompareOrdinal(s, i, "\"\"\"", 0, 3) == 0)
            return s.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal) is var end and >= 0 ? end + 3 : s.Length;
        if (s[i] == '\'' && i + 2 < s.Length)
        {
            // A character literal: 'x' or an escape like '\'' or '\u0022'.
            var close = s.IndexOf('\'', s[i + 1] == '\\' ? i + 3 : i + 2);
            return close >= 0 && close - i <= 8 ? close + 1 : i + 1;
        }
        if (s[i] == '@' && i + 1 < s.Length && s[i + 1] == '"')
        {
            for (i += 2; i < s.Length; i++)
            {
                if (s[i] == '"' && (i + 1 >= s.Length || s[i + 1] != '"'))
                    return i + 1;
                if (s[i] == '"')
                    i++;
            }
            return i;
        }
        if (s[i] == '"')
        {
            for (i++; i < s.Length && s[i] != '"' && s[i] != '\n'; i++)
            {
                if (s[i] == '\\')
                    i++;
            }
            return i + 1;
        }
        return i + 1;
    }

    [GeneratedRegex(@"\bMarkupString\b|\bAddMarkupContent\b|\binnerHTML\b|\bouterHTML\b|\binsertAdjacentHTML\b|\bdocument\.write(ln)?\b|\bHtml\.Raw\b|\bcreateContextualFragment\b")]
    private static partial Regex RawHtml();

    [GeneratedRegex(@"<[a-zA-Z!/]")]
    private static partial Regex Tag();

    /// <summary>An encoder applied in the hole: the pages' <c>E(…)</c>, <c>Enc.Encode(…)</c>, WebUtility's, LandingPageView's Paragraphs.</summary>
    [GeneratedRegex(@"(^|[^A-Za-z0-9_])(E|Encode|HtmlEncode|HtmlAttributeEncode|Paragraphs)\(")]
    private static partial Regex Encoded();

    /// <summary>Names of what members (and staff, for members to read) write.</summary>
    [GeneratedRegex(@"\b(Title|Description|Text|Name|DisplayName|Nickname|NickName|UserName|ChatTitle|Answer|Answers|Note|Question|Rules|Intro|Label|Content|Caption|Entry|Prize|Slug)\b")]
    private static partial Regex MemberValue();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex HandlerAttribute();

    [GeneratedRegex(@"=\s*[""']?\s*javascript:", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptUrl();
}
