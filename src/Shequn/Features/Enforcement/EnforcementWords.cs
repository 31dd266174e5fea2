using System.Collections.Frozen;
using Shequn.Platform.Localization;

namespace Shequn.Features.Enforcement;

/// <summary>
/// What Shequn says in a group when it enforces: the rule set's own wording where it has some (<c>{name}</c>,
/// <c>{rule}</c> filled in), else the built-in text in the workspace's language (Chinese: workspaces have no other yet).
/// </summary>
public sealed class EnforcementWords(IReadOnlyDictionary<string, string> table)
{
    public static EnforcementWords For(JsonStringLocalizerFactory strings, string? culture = null)
    {
        ArgumentNullException.ThrowIfNull(strings);
        return new EnforcementWords(strings.Table(culture ?? Cultures.Default));
    }

    private static readonly FrozenSet<string> KnownRules = new[]
    {
        Rules.Ads, Rules.Solicitation, Rules.VoteLink, Rules.UnlistedLink, Rules.QrCode, Rules.MiniProgram, Rules.RedPacket,
        Rules.Flood, Rules.CrossCommunity, Rules.Blacklist, Rules.Nickname, Rules.MembershipLimit,
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The rule as members read it ("禁止发布商业广告").</summary>
    public string Rule(string rule) =>
        KnownRules.Contains(rule) && table.TryGetValue("Enforcement.Rule." + rule, out var label) ? label : rule;

    public string Warning(RuleSetSpec spec, string? name, string rule) =>
        Fill(spec.WarningText ?? Text("Enforcement.Warning"), name, Rule(rule));

    /// <summary>At most this many people are named in one announcement; the rest are counted ("… 等 37 人").</summary>
    public const int NamedInAnnouncement = 20;

    public string Announcement(RuleSetSpec spec, IEnumerable<string> names, IEnumerable<string> rules)
    {
        var distinct = names.Distinct().ToList();
        var named = string.Join("、", distinct.Take(NamedInAnnouncement));
        if (distinct.Count > NamedInAnnouncement)
        {
            named = Text("Enforcement.AnnouncementMore").Replace("{names}", named, StringComparison.Ordinal)
                .Replace("{count}", distinct.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{others}", (distinct.Count - NamedInAnnouncement).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        return Fill(spec.AnnouncementText ?? Text("Enforcement.Announcement"), named, string.Join("；", rules.Distinct().Select(Rule)));
    }

    public string Nickname(string? name, string format) =>
        Fill(Text("Enforcement.Nickname"), name, Rule(Rules.Nickname)).Replace("{format}", format, StringComparison.Ordinal);

    public string MembershipLimit(string? name, int max) =>
        Fill(Text("Enforcement.MembershipLimit"), name, Rule(Rules.MembershipLimit)).Replace("{max}", max.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private string Text(string key) => table.TryGetValue(key, out var text) ? text : key;

    private static string Fill(string template, string? name, string rule) =>
        template.Replace("{name}", string.IsNullOrWhiteSpace(name) ? "" : name.Trim(), StringComparison.Ordinal)
            .Replace("{rule}", rule, StringComparison.Ordinal);
}
