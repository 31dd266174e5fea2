using System.Text.RegularExpressions;
using Shequn.Features.Scripts;
using Shequn.Platform.Localization;

namespace Shequn.Features.Ritual;

/// <summary>The ritual's texts: a community's own or the built-in ones, rendered with <see cref="ScriptText"/>.</summary>
public sealed partial class RitualWords(IReadOnlyDictionary<string, string> table)
{
    /// <summary>The nickname texts may also name the format the nickname should follow.</summary>
    public const string Format = "format";

    public static readonly IReadOnlyList<string> NicknameVariables = [.. ScriptText.Variables, Format];

    public static RitualWords For(JsonStringLocalizerFactory strings, string? culture = null)
    {
        ArgumentNullException.ThrowIfNull(strings);
        return new RitualWords(strings.Table(culture ?? Cultures.Default));
    }

    public string Text(string key) => table.TryGetValue(key, out var text) ? text : key;

    public string Welcome(RitualSettings s, RitualLibrary? library = null) => Own(s.WelcomeText) ?? BuiltInWelcome(library);

    /// <summary>The welcome a community without its own text gets: the library's welcome script, else the built-in one.</summary>
    public string BuiltInWelcome(RitualLibrary? library) => Own(library?.Welcome) ?? Text("Ritual.Default.Welcome");
    public string SelfIntro(RitualSettings s) => Own(s.SelfIntroText) ?? Text("Ritual.Default.SelfIntro");
    public string Reminder(RitualSettings s) => Own(s.NicknameReminderText) ?? Text("Ritual.Default.NicknameReminder");
    public string Thanks(RitualSettings s) => Own(s.NicknameThanksText) ?? Text("Ritual.Default.NicknameThanks");
    public string Introduce(RitualSettings s) => Own(s.IntroduceTaskText) ?? Text("Ritual.Default.IntroduceTask");

    /// <summary>A welcome names at most this many newcomers, then says how many there are in all.</summary>
    public const int NamedAtMost = 20;

    /// <summary>
    /// Several newcomers named in one welcome ("A、B、C"); past <see cref="NamedAtMost"/>, the first ones and how many in
    /// all ("A、B … 等 120 位新朋友"). <paramref name="total"/> counts newcomers not passed in <paramref name="names"/>.
    /// </summary>
    public string Names(IEnumerable<string> names, int total = 0)
    {
        var distinct = names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct().ToList();
        var count = Math.Max(total, distinct.Count);
        var shown = distinct.Take(NamedAtMost).ToList();
        var list = string.Join(Text("Ritual.NameSeparator"), shown);
        return count > shown.Count
            ? string.Format(System.Globalization.CultureInfo.InvariantCulture, Text("Ritual.NamesAndOthers"), list, count, count - shown.Count)
            : list;
    }

    /// <summary>
    /// The message a burst of newcomers gets: the welcome and the self-introduction prompt (each when switched on) as
    /// paragraphs of one message, so a burst is greeted once. Null when both are off.
    /// </summary>
    public string? Greeting(RitualSettings s, RitualValues values, RitualLibrary? library = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        var parts = new List<string>();
        if (s.WelcomeEnabled)
            parts.Add(Render(Welcome(s, library), values));
        if (s.SelfIntroEnabled)
            parts.Add(Render(SelfIntro(s), values));
        parts.RemoveAll(string.IsNullOrWhiteSpace);
        return parts.Count == 0 ? null : string.Join("\n\n", parts);
    }

    /// <summary>A text with its variables filled; lines a missing value left empty are dropped.</summary>
    public static string Render(string text, RitualValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var rendered = ScriptText.Render(text, values.ToDictionary());
        return BlankLines().Replace(rendered, "\n\n").Trim();
    }

    private static string? Own(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    [GeneratedRegex(@"\n[ \t]*(\n[ \t]*){2,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex BlankLines();
}

/// <summary>The values a ritual text may use.</summary>
public sealed record RitualValues(string Nickname, string Community, string? Rules, string? Intro, string? Owner, string? ProfileLink = null, string? Format = null)
{
    public IReadOnlyDictionary<string, string?> ToDictionary() => new Dictionary<string, string?>
    {
        [ScriptText.Nickname] = Nickname,
        [ScriptText.Member] = Nickname,
        [ScriptText.Community] = Community,
        [ScriptText.Rules] = Rules,
        [ScriptText.Intro] = Intro,
        [ScriptText.Owner] = Owner,
        [ScriptText.ProfileLink] = ProfileLink,
        [RitualWords.Format] = Format,
    };
}
