namespace Shequn.Fakes.Xss;

/// <summary>
/// What a member might write to make a page run their script (docs/security.md, "Stored XSS"). Every payload calls
/// <c>__xss()</c>, the trap the browser tests define before any page script runs, so that one that ran is counted.
/// Each is at most <see cref="MaxLength"/> characters, short enough for a nickname or a group name.
/// </summary>
public static class XssPayloads
{
    public const int MaxLength = 90;

    /// <summary>The corpus: markup, attribute breakouts, script URLs, template and Razor syntax, bidi and zero-width tricks.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "<script>__xss()</script>",
        "<svg onload=__xss()>",
        "<img src=x onerror=__xss()>",
        "\"><img src=x onerror=__xss()>",
        "'--><svg/onload=__xss()>",
        "javascript:__xss()",
        "[点我](javascript:__xss())",
        "<a href=\"javascript:__xss()\">x</a>",
        "<iframe srcdoc=\"<script>parent.__xss()</script>\">",
        "<details open ontoggle=__xss()>",
        "{{constructor.constructor('__xss()')()}}",
        "@(__xss())",
        "\u202E<img src=x onerror=__xss()>gpj.exe",
        "<scr\u200Bipt>__xss()</scr\u200Bipt>",
        "<style>@import 'javascript:__xss()'</style>",
        "<math><mtext><table><mglyph><style><img src=x onerror=__xss()>",
        "<body onpageshow=__xss()>",
        "<input autofocus onfocus=__xss()>",
    ];
}
