using Shequn.Features.Moderation;
using Shequn.Platform.Api;

namespace Shequn.Features.Enforcement;

/// <summary>
/// Checks a <see cref="RuleSetSpec"/> before it is saved and returns it cleaned (lists without blanks and
/// duplicates, domains in lower case, blank texts as null). Every problem is a field error named by its JSON path
/// under <c>spec</c> (<c>spec.ladder[1].muteMinutes</c>), so the API says where and the console shows it under the
/// field. Custom patterns are checked exactly as the workspace's own are (a pathological one is refused with the reason).
/// Whether the exempt members exist is the caller's question (it needs the database).
/// </summary>
public static class RuleSetSpecValidation
{
    public const string Prefix = "spec.";

    public const int MaxLadderSteps = 10;
    public const int MaxMuteMinutes = 30 * 24 * 60;
    public const int MaxEscalationMinutes = 30 * 24 * 60;
    public const int MaxFloodMessages = 100;
    public const int MaxFloodSeconds = 3600;
    public const int MaxCrossCommunityCount = 50;
    public const int MaxCrossCommunityMinutes = 24 * 60;
    public const int MaxNewMemberHours = 30 * 24;
    public const int MaxCommunitiesLimit = 100;
    public const int MaxExemptMembers = 500;
    public const int TextMaxLength = 1000;

    /// <summary>What the wording may name; the runtime fills them in.</summary>
    public static readonly IReadOnlyList<string> Placeholders = ["{name}", "{rule}"];

    /// <param name="workspaceThresholds">The workspace's thresholds, which apply where the rule set leaves one out.</param>
    public static RuleSetSpec Check(Validation validation, RuleSetSpec? spec, (double Review, double Act) workspaceThresholds)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (spec is null)
        {
            validation.Add("spec", "Required", "'spec' is required.");
            return new RuleSetSpec();
        }

        foreach (var (field, mode) in Modes(spec))
            validation.Defined(Prefix + field, mode);

        var nickname = Blank(spec.NicknameFormat);
        if (nickname is not null && !NicknameFormat.TryParse(nickname, out _, out var why))
            validation.Add(Prefix + "nicknameFormat", "RuleSets.BadNicknameFormat", $"'{Prefix}nicknameFormat' is not a usable format: {why}.", why!);
        else if (nickname is null && spec.Nickname != RuleMode.Off)
            validation.Add(Prefix + "nicknameFormat", "RuleSets.NicknameFormatRequired", $"'{Prefix}nicknameFormat' is required while the nickname rule is on (for example 城市-行业-昵称).");

        Range(validation, "maxCommunitiesPerMember", spec.MaxCommunitiesPerMember, 0, MaxCommunitiesLimit);
        if (spec.MaxCommunitiesPerMember == 0 && spec.MembershipLimit != RuleMode.Off)
            validation.Add(Prefix + "maxCommunitiesPerMember", "RuleSets.LimitRequired", $"'{Prefix}maxCommunitiesPerMember' must be at least 1 while the membership limit is on (seed 004: 2).");

        // 0 switches a window rule off; a window with one message or one community would catch everybody.
        if (spec.FloodMessages != 0)
        {
            Range(validation, "floodMessages", spec.FloodMessages, 2, MaxFloodMessages);
            Range(validation, "floodSeconds", spec.FloodSeconds, 1, MaxFloodSeconds);
        }
        if (spec.CrossCommunityCount != 0)
        {
            Range(validation, "crossCommunityCount", spec.CrossCommunityCount, 2, MaxCrossCommunityCount);
            Range(validation, "crossCommunityMinutes", spec.CrossCommunityMinutes, 1, MaxCrossCommunityMinutes);
        }
        Range(validation, "newMemberHours", spec.NewMemberHours, 0, MaxNewMemberHours);
        Range(validation, "escalationMinutes", spec.EscalationMinutes, 1, MaxEscalationMinutes);

        Thresholds(validation, spec.ReviewThreshold, spec.ActThreshold, workspaceThresholds);
        var domains = Domains(validation, spec.AllowedDomains ?? []);
        var ladder = Ladder(validation, spec.Ladder ?? []);

        var exempt = (spec.ExemptMembers ?? []).Distinct().ToList();
        if (exempt.Count > MaxExemptMembers)
            validation.Add(Prefix + "exemptMembers", "TooMany", $"'{Prefix}exemptMembers' holds at most {MaxExemptMembers} members (got {exempt.Count}).", MaxExemptMembers, exempt.Count);

        var warning = Wording(validation, "warningText", spec.WarningText);
        var announcement = Wording(validation, "announcementText", spec.AnnouncementText);

        var patterns = (spec.CustomPatterns ?? []).ToList();
        ModerationSettings.CheckPatterns(validation, Prefix + "customPatterns", patterns);

        return spec with
        {
            NicknameFormat = nickname,
            AllowedDomains = domains,
            Ladder = ladder,
            ExemptMembers = exempt,
            WarningText = warning,
            AnnouncementText = announcement,
            CustomPatterns = [.. patterns.Select(p => p is null ? p! : p with { Name = (p.Name ?? "").Trim() })],
        };
    }

    private static IEnumerable<(string Field, RuleMode Mode)> Modes(RuleSetSpec s) =>
    [
        ("ads", s.Ads), ("friendSolicitation", s.FriendSolicitation), ("voteLinks", s.VoteLinks), ("nickname", s.Nickname),
        ("membershipLimit", s.MembershipLimit), ("qrCodeImages", s.QrCodeImages), ("miniProgramCards", s.MiniProgramCards),
        ("redPacketsFromOutsiders", s.RedPacketsFromOutsiders), ("unlistedLinks", s.UnlistedLinks),
    ];

    private static void Range(Validation validation, string field, int value, int min, int max)
    {
        if (value < min || value > max)
            validation.Add(Prefix + field, "OutOfRange", $"'{Prefix}{field}' must be between {min} and {max} (got {value}).", min, max);
    }

    private static void Thresholds(Validation validation, double? review, double? act, (double Review, double Act) workspace)
    {
        var ok = true;
        foreach (var (field, value) in new[] { ("reviewThreshold", review), ("actThreshold", act) })
        {
            if (value is { } v && (v is <= 0 or > 1 || double.IsNaN(v)))
            {
                validation.Add(Prefix + field, "OutOfRange", $"'{Prefix}{field}' must be above 0 and at most 1.", 0, 1);
                ok = false;
            }
        }
        if (ok && (review is not null || act is not null) && (review ?? workspace.Review) > (act ?? workspace.Act))
        {
            validation.Add(Prefix + (act is null ? "reviewThreshold" : "actThreshold"), "RuleSets.ThresholdOrder",
                $"The act threshold ({act ?? workspace.Act}) must not be below the review threshold ({review ?? workspace.Review}); a threshold left empty is the workspace's.",
                act ?? workspace.Act, review ?? workspace.Review);
        }
    }

    private static List<string> Domains(Validation validation, IReadOnlyList<string> domains)
    {
        const string field = Prefix + "allowedDomains";
        var clean = domains.Select(d => (d ?? "").Trim().TrimStart('.').ToLowerInvariant()).Where(d => d.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (clean.Count > ModerationSettings.MaxDomains)
            validation.Add(field, "TooMany", $"'{field}' holds at most {ModerationSettings.MaxDomains} domains (got {clean.Count}).", ModerationSettings.MaxDomains, clean.Count);
        // A domain must also have a dot and be a host name: "localhost" or "shop" would allow nothing anyone links to.
        foreach (var d in clean.Where(d => !ModerationSettings.IsDomain(d) || !d.Contains('.', StringComparison.Ordinal) || Uri.CheckHostName(d) != UriHostNameType.Dns))
            validation.Add(field, "BadDomain", $"'{d}' is not a domain (write it like 'example.com').", d);
        return clean;
    }

    /// <summary>
    /// A ladder climbs: each step is at least as severe as the one before (a longer or equal mute after a mute),
    /// a mute says for how long, other steps carry no minutes. Steps after the blacklist would never be reached.
    /// </summary>
    private static List<LadderStep> Ladder(Validation validation, IReadOnlyList<LadderStep> ladder)
    {
        const string field = Prefix + "ladder";
        if (ladder.Count == 0)
            validation.Add(field, "RuleSets.LadderEmpty", $"'{field}' needs at least one step (for example delete, mute 60 minutes, remove).");
        if (ladder.Count > MaxLadderSteps)
            validation.Add(field, "TooMany", $"'{field}' holds at most {MaxLadderSteps} steps (got {ladder.Count}).", MaxLadderSteps, ladder.Count);
        LadderStep? previous = null;
        for (var i = 0; i < ladder.Count; i++)
        {
            var step = ladder[i];
            var at = $"{field}[{i}]";
            if (step is null)
            {
                validation.Add(at, "Required", $"'{at}' is empty.");
                continue;
            }
            if (!Enum.IsDefined(step.Action))
            {
                validation.Add($"{at}.action", "UnknownValue", $"'{at}.action' has an unknown value '{step.Action}'.", step.Action);
                continue;
            }
            if (step.Action == LadderAction.Mute && step.MuteMinutes is < 1 or > MaxMuteMinutes)
                validation.Add($"{at}.muteMinutes", "OutOfRange", $"'{at}.muteMinutes' must be between 1 and {MaxMuteMinutes} minutes (30 days) for a mute (got {step.MuteMinutes}).", 1, MaxMuteMinutes);
            else if (step.Action != LadderAction.Mute && step.MuteMinutes != 0)
                validation.Add($"{at}.muteMinutes", "RuleSets.MinutesOnlyForMute", $"'{at}.muteMinutes' is only for a mute step; leave it 0 for {step.Action}.", Named(step.Action));
            if (previous is not null)
            {
                if (previous.Action == LadderAction.Blacklist)
                    validation.Add($"{at}.action", "RuleSets.AfterBlacklist", $"'{at}' comes after the blacklist step and would never be reached.");
                else if (step.Action < previous.Action || (step.Action == LadderAction.Mute && previous.Action == LadderAction.Mute && step.MuteMinutes < previous.MuteMinutes))
                    validation.Add($"{at}.action", "RuleSets.LadderDown", $"'{at}' ({step.Action}) is milder than the step before it ({previous.Action}); a ladder only climbs.", Named(step.Action), Named(previous.Action));
            }
            previous = step;
        }
        return [.. ladder];
    }

    private static string? Wording(Validation validation, string field, string? text)
    {
        var value = Blank(text);
        validation.MaxLength(Prefix + field, value, TextMaxLength);
        if (value is null)
            return null;
        var open = value.IndexOf('{', StringComparison.Ordinal);
        while (open >= 0)
        {
            var close = value.IndexOf('}', open);
            var placeholder = close < 0 ? value[open..] : value[open..(close + 1)];
            if (!Placeholders.Contains(placeholder, StringComparer.Ordinal))
            {
                validation.Add(Prefix + field, "RuleSets.UnknownPlaceholder",
                    $"'{Prefix}{field}' has '{placeholder}'; the wording may name only {string.Join(" and ", Placeholders)}.", placeholder);
                break;
            }
            open = value.IndexOf('{', close);
        }
        return value;
    }

    /// <summary>An action as an argument of a message, so the console names it in the reader's language.</summary>
    public static Reason Named(LadderAction action) => new($"RuleSets.Action.{action}", action.ToString());

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
