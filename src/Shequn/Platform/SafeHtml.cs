using Ganss.Xss;
using Microsoft.AspNetCore.Components;

namespace Shequn.Platform;

/// <summary>
/// The one way to put HTML into a page as markup rather than text (docs/security.md, "Stored XSS"). Razor encodes whatever
/// it renders as text; a <see cref="MarkupString"/> is rendered as is, so one is made only here, after HtmlSanitizer has
/// kept a small set of formatting tags and http(s)/mailto links and dropped scripts, event handlers, styles and frames.
/// MarkupSafetyTests fails the build's tests on any other <c>MarkupString</c>, <c>AddMarkupContent</c> or raw-HTML DOM call.
/// </summary>
public static class SafeHtml
{
    private static readonly HtmlSanitizer Sanitizer = Create();

    /// <summary>The HTML with everything that could run or restyle the page taken out.</summary>
    public static string Clean(string? html) => string.IsNullOrEmpty(html) ? "" : Sanitizer.Sanitize(html);

    /// <summary>The HTML, cleaned, as markup for a component.</summary>
    public static MarkupString Markup(string? html) => new(Clean(html));

    private static HtmlSanitizer Create()
    {
        var options = new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
            {
                "p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a", "blockquote", "code", "pre", "span",
            },
            AllowedAttributes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "href", "title" },
            AllowedSchemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "http", "https", "mailto" },
            UriAttributes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "href" },
        };
        return new HtmlSanitizer(options);
    }
}
