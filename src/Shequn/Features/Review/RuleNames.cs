using Microsoft.Extensions.Localization;
using Shequn.Features.Enforcement;

namespace Shequn.Features.Review;

/// <summary>
/// What staff read for a rule or a piece of evidence: the translated short name of the enforcement's rules
/// (<c>Review.RuleName.*</c>) and of the engine's built-in rules (<c>Moderation.Rule.*</c>); word lists and the
/// workspace's own patterns keep the names staff gave them.
/// </summary>
public static class RuleNames
{
    public static string Rule(IStringLocalizer l, string rule)
    {
        ArgumentNullException.ThrowIfNull(l);
        var name = l[$"Review.RuleName.{rule}"];
        return name.ResourceNotFound ? rule : name.Value;
    }

    public static string Evidence(IStringLocalizer l, CaseEvidence e)
    {
        ArgumentNullException.ThrowIfNull(l);
        ArgumentNullException.ThrowIfNull(e);
        if (e.Source == nameof(Moderation.EvidenceSource.WordList))
            return e.Rule;
        if (e.Source == nameof(Moderation.EvidenceSource.Model))
            return l["Moderation.Source.Model"];
        if (e.Rule.StartsWith("custom:", StringComparison.Ordinal))
            return l["Moderation.Rule.Custom", e.Rule["custom:".Length..]];
        var builtIn = l[$"Moderation.Rule.{e.Rule}"];
        return builtIn.ResourceNotFound ? Rule(l, e.Rule) : builtIn.Value;
    }
}
