using System.Globalization;

namespace Shequn.Features.Campaigns;

/// <summary>
/// The editor's fields for a points campaign: the catalog as lines "name, points, stock", the cards comma separated and
/// the word that draws a card. A line that does not parse keeps its position with 0 points, so the save-time check names it.
/// </summary>
public sealed class PointsRulesForm
{
    private static readonly char[] Commas = [',', '，', '、'];

    public string? Catalog { get; set; }
    public string? Cards { get; set; }
    public string? CardKeyword { get; set; }

    public static PointsRulesForm From(CampaignRules r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new()
        {
            Catalog = r.Catalog is { Count: > 0 } c ? string.Join("\n", c.Select(i => FormattableString.Invariant($"{i.Name}, {i.Points}, {i.Stock}"))) : null,
            Cards = r.Cards is { Count: > 0 } cards ? string.Join(", ", cards) : null,
            CardKeyword = r.CardKeyword,
        };
    }

    /// <summary>The rules with this form's fields when the kind is a points campaign (others left as they are).</summary>
    public CampaignRules Apply(CampaignRules rules, CampaignKind kind)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (kind != CampaignKind.PointsRedemption)
            return rules;
        var catalog = (Catalog ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Item).ToList();
        var cards = (Cards ?? "").Split(Commas, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return rules with
        {
            Catalog = catalog.Count == 0 ? null : catalog,
            Cards = cards.Count == 0 ? null : cards,
            CardKeyword = string.IsNullOrWhiteSpace(CardKeyword) ? null : CardKeyword.Trim(),
        };
    }

    private static PointsCatalogItem Item(string line)
    {
        var parts = line.Split(Commas, StringSplitOptions.TrimEntries);
        static int Number(string[] p, int i) => p.Length > i && int.TryParse(p[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new PointsCatalogItem(parts[0], Number(parts, 1), Number(parts, 2));
    }
}
