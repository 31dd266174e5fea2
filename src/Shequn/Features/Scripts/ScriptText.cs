using System.Text;
using System.Text.RegularExpressions;

namespace Shequn.Features.Scripts;

/// <summary>
/// The text of a script (话术) with variables in braces: <c>欢迎 {nickname} 加入 {community}！</c>. One syntax for the
/// script library, the joining ritual and auto-replies. Unknown variables are refused at save (named in the error);
/// when rendering, a variable without a value is left out, never shown in braces to members.
/// Doubled braces stand for themselves: <c>{{</c> and <c>}}</c>.
/// </summary>
public static partial class ScriptText
{
    /// <summary>Newcomer's group nickname (or names, when one welcome greets a burst of joins).</summary>
    public const string Nickname = "nickname";

    /// <summary>The community's name.</summary>
    public const string Community = "community";

    /// <summary>The community's rules (its rules script, or the rule set's summary).</summary>
    public const string Rules = "rules";

    /// <summary>The community's intro (群简介: who we are, what you get, who runs it).</summary>
    public const string Intro = "intro";

    /// <summary>The community's owner (群主) as members know them.</summary>
    public const string Owner = "owner";

    /// <summary>The newcomer's own link to the profile form.</summary>
    public const string ProfileLink = "profile_link";

    /// <summary>The member being answered or named, for replies (same as nickname outside a welcome).</summary>
    public const string Member = "member";

    /// <summary>Every variable a script may use.</summary>
    public static readonly IReadOnlyList<string> Variables = [Nickname, Community, Rules, Intro, Owner, ProfileLink, Member];

    public const int MaxLength = 2000;

    [GeneratedRegex(@"\{\{|\}\}|\{([^{}\s]{0,40})\}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Placeholder();

    /// <summary>The variables the text uses, in order of first use.</summary>
    public static IReadOnlyList<string> Used(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var used = new List<string>();
        foreach (Match m in Placeholder().Matches(text))
        {
            if (m.Groups[1].Success && !used.Contains(m.Groups[1].Value))
                used.Add(m.Groups[1].Value);
        }
        return used;
    }

    /// <summary>The variables the text uses that are not in <see cref="Variables"/> (or the allowed subset).</summary>
    public static IReadOnlyList<string> Unknown(string text, IReadOnlyCollection<string>? allowed = null) =>
        [.. Used(text).Where(v => !(allowed ?? Variables).Contains(v))];

    /// <summary>The text with each variable replaced by its value; variables without a value become empty.</summary>
    public static string Render(string text, IReadOnlyDictionary<string, string?> values)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(values);
        var result = new StringBuilder(text.Length + 64);
        var last = 0;
        foreach (Match m in Placeholder().Matches(text))
        {
            result.Append(text, last, m.Index - last);
            result.Append(m.Value switch
            {
                "{{" => "{",
                "}}" => "}",
                _ => values.GetValueOrDefault(m.Groups[1].Value) ?? "",
            });
            last = m.Index + m.Length;
        }
        return result.Append(text, last, text.Length - last).ToString().Trim();
    }
}
