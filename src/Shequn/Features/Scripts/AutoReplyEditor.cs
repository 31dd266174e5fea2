using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Moderation;
using Shequn.Platform.Api;

namespace Shequn.Features.Scripts;

/// <param name="QuietFrom">Start of quiet hours, <c>HH:mm</c> in the workspace's time zone; null with <paramref name="QuietTo"/>: none.</param>
public sealed record AutoReplyDto(
    Guid Id,
    string Name,
    bool Enabled,
    int Priority,
    MatchMode Mode,
    IReadOnlyList<string> Keywords,
    string? ReplyText,
    Guid? ScriptId,
    bool AllCommunities,
    IReadOnlyList<Guid> CommunityIds,
    int CooldownSeconds,
    string? QuietFrom,
    string? QuietTo,
    QuietHoursMode QuietMode,
    bool HumanHandoff,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>An auto-reply to create or change; on update a field left out stays as it is.</summary>
public sealed record AutoReplyInput(
    string? Name = null,
    bool? Enabled = null,
    int? Priority = null,
    MatchMode? Mode = null,
    IReadOnlyList<string>? Keywords = null,
    string? ReplyText = null,
    Guid? ScriptId = null,
    bool? AllCommunities = null,
    IReadOnlyList<Guid>? CommunityIds = null,
    int? CooldownSeconds = null,
    string? QuietFrom = null,
    string? QuietTo = null,
    QuietHoursMode? QuietMode = null,
    bool? HumanHandoff = null,
    bool ClearScript = false,
    bool ClearQuietHours = false);

public sealed record AutoReplyTestInput(string? Text, Guid? CommunityId = null);

/// <summary>Which rule a text would trigger (none: all null) and what it would answer.</summary>
public sealed record AutoReplyTestDto(Guid? RuleId, string? RuleName, bool HumanHandoff, string? Reply);

/// <summary>
/// Keyword auto-replies as staff see and change them (console and API alike): all staff read, everyone but KOCs
/// edits. Regular expressions go through the same check as the rule sets' custom patterns
/// (<see cref="CustomPattern.TryCreate"/>), so a pattern that could run away is refused at save with the reason.
/// </summary>
public sealed class AutoReplyEditor(AppDbContext db)
{
    public const int MaxCooldownSeconds = 7 * 24 * 3600;

    private IQueryable<AutoReplyRule> Rules => db.Set<AutoReplyRule>().Where(r => r.WorkspaceId == db.CurrentWorkspaceId);

    public async Task<IReadOnlyList<AutoReplyDto>> ListAsync(CancellationToken ct = default)
    {
        if (await db.Current.GetProfileAsync(db, ct) is null)
            return [];
        var rules = await Rules.AsNoTracking().OrderBy(r => r.Priority).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id).ToListAsync(ct);
        return [.. rules.Select(ToDto)];
    }

    public async Task<AutoReplyDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        if (await db.Current.GetProfileAsync(db, ct) is null)
            return null;
        return await Rules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct) is { } rule ? ToDto(rule) : null;
    }

    public async Task<ScriptResult<AutoReplyDto>> CreateAsync(AutoReplyInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!ScriptLibrary.MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, null, validation);
        var rule = new AutoReplyRule { WorkspaceId = db.CurrentWorkspaceId, Name = "" };
        if (input.Mode is null)
            validation.Add("mode", "Required", "'mode' is required.");
        await ApplyAsync(validation, rule, input, creating: true, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        db.Add(rule);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, await GetAsync(rule.Id, ct), validation);
    }

    public async Task<ScriptResult<AutoReplyDto>> UpdateAsync(Guid id, AutoReplyInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!ScriptLibrary.MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, null, validation);
        var rule = await Rules.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null)
            return new(EditOutcome.NotFound, null, validation);
        await ApplyAsync(validation, rule, input, creating: false, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        if (db.ChangeTracker.HasChanges())
        {
            rule.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return new(EditOutcome.Saved, await GetAsync(id, ct), validation);
    }

    public async Task<ScriptResult<bool>> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!ScriptLibrary.MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, false, validation);
        var rule = await Rules.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null)
            return new(EditOutcome.NotFound, false, validation);
        await db.Set<AutoReplyCooldown>().Where(c => c.RuleId == id).ExecuteDeleteAsync(ct);
        db.Remove(rule);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, true, validation);
    }

    /// <summary>Which enabled rule a text would trigger in a community (any community when none is given), and its reply.</summary>
    public async Task<ScriptResult<AutoReplyTestDto>> TestAsync(AutoReplyTestInput input, ScriptSamples samples, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(EditOutcome.Forbidden, null, validation);
        validation.Required("text", input.Text, Events.CommunityEvent.TextMaxLength);
        string? communityName = null;
        if (input.CommunityId is { } cid && (communityName = await db.Visible(me).Where(c => c.Id == cid).Select(c => c.Name).SingleOrDefaultAsync(ct)) is null)
            validation.Add("communityId", "UnknownValue", $"'communityId' has an unknown value '{cid}'.", cid);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var rules = await Rules.AsNoTracking().Where(r => r.Enabled).OrderBy(r => r.Priority).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id).ToListAsync(ct);
        var hit = AutoReplyMatcher.First(rules, input.Text!, input.CommunityId);
        if (hit is null)
            return new(EditOutcome.Saved, new AutoReplyTestDto(null, null, false, null), validation);
        var values = await ScriptLibrary.SampleValuesAsync(db, db.CurrentWorkspaceId, input.CommunityId, communityName, samples, ct);
        var text = hit.ScriptId is { } sid
            ? (await ScriptLibrary.TextOfScriptAsync(db, db.CurrentWorkspaceId, sid, input.CommunityId, ct))?.Text ?? hit.ReplyText
            : hit.ReplyText;
        return new(EditOutcome.Saved, new AutoReplyTestDto(hit.Id, hit.Name, hit.HumanHandoff, text is null ? null : ScriptText.Render(text, values)), validation);
    }

    private async Task ApplyAsync(Validation validation, AutoReplyRule rule, AutoReplyInput input, bool creating, CancellationToken ct)
    {
        var name = input.Name?.Trim() ?? (creating ? null : rule.Name);
        validation.Required("name", name, AutoReplyRule.NameMaxLength);
        if (!string.IsNullOrEmpty(name) && await Rules.AnyAsync(r => r.Name == name && r.Id != rule.Id, ct))
            validation.Add("name", "DuplicateName", $"An auto-reply named '{name}' already exists in this workspace.", name);
        if (input.Mode is { } mode)
            validation.Defined("mode", mode);
        var finalMode = input.Mode ?? rule.Mode;

        var keywords = input.Keywords is null ? rule.KeywordList : [.. input.Keywords.Select(k => k?.Trim() ?? "").Where(k => k.Length > 0)];
        if (keywords.Count == 0)
            validation.Add("keywords", "Required", "'keywords' needs at least one keyword.");
        else if (keywords.Count > AutoReplyRule.MaxKeywords)
            validation.Add("keywords", "TooMany", $"'keywords' holds at most {AutoReplyRule.MaxKeywords} keywords (got {keywords.Count}).", AutoReplyRule.MaxKeywords, keywords.Count);
        for (var i = 0; i < keywords.Count && i < AutoReplyRule.MaxKeywords; i++)
        {
            var field = $"keywords[{i}]";
            if (keywords[i].Contains('\n', StringComparison.Ordinal))
                validation.Add(field, "Malformed", $"'{field}' must be on one line.");
            validation.MaxLength(field, keywords[i], AutoReplyRule.KeywordMaxLength);
            if (finalMode == MatchMode.Regex && !CustomPattern.TryCreate(name ?? "pattern", keywords[i], 1, out _, out var error))
                validation.Add(field, "BadPattern", $"'{field}' ({keywords[i]}) is refused: {error}.", keywords[i], error!);
        }

        var handoff = input.HumanHandoff ?? rule.HumanHandoff;
        var replyText = input.ReplyText is null ? rule.ReplyText : (string.IsNullOrWhiteSpace(input.ReplyText) ? null : input.ReplyText.Trim());
        var scriptId = input.ClearScript ? null : input.ScriptId ?? rule.ScriptId;
        if (replyText is not null)
            ScriptLibrary.CheckText(validation, "replyText", replyText);
        if (scriptId is { } sid && !await db.Set<Script>().AnyAsync(s => s.Id == sid && s.WorkspaceId == db.CurrentWorkspaceId, ct))
            validation.Add("scriptId", "UnknownValue", $"'scriptId' has an unknown value '{sid}'.", sid);
        if (!handoff && replyText is null && scriptId is null)
            validation.Add("replyText", "Required", "'replyText' (or 'scriptId') is required unless a human answers ('humanHandoff').");

        var all = input.AllCommunities ?? rule.AllCommunities;
        var communities = input.CommunityIds is null ? rule.CommunityList : [.. input.CommunityIds.Distinct()];
        if (!all)
        {
            if (communities.Count == 0)
                validation.Add("communityIds", "Required", "'communityIds' needs at least one community unless 'allCommunities' is true.");
            var ids = communities.ToList();
            var known = await db.Communities.Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct);
            foreach (var unknown in ids.Except(known).Take(5))
                validation.Add("communityIds", "UnknownValue", $"'communityIds' has an unknown value '{unknown}'.", unknown);
        }

        var cooldown = input.CooldownSeconds ?? rule.CooldownSeconds;
        if (cooldown is < 0 or > MaxCooldownSeconds)
            validation.Add("cooldownSeconds", "OutOfRange", $"'cooldownSeconds' must be between 0 and {MaxCooldownSeconds}.", 0, MaxCooldownSeconds);

        int? quietFrom = rule.QuietFromMinute, quietTo = rule.QuietToMinute;
        if (input.ClearQuietHours)
            quietFrom = quietTo = null;
        else if (input.QuietFrom is not null || input.QuietTo is not null)
        {
            quietFrom = ParseClock(validation, "quietFrom", input.QuietFrom);
            quietTo = ParseClock(validation, "quietTo", input.QuietTo);
            if (quietFrom is not null && quietFrom == quietTo)
                validation.Add("quietTo", "OutOfRange", "'quietTo' must differ from 'quietFrom'.");
        }
        if (input.QuietMode is { } qm)
            validation.Defined("quietMode", qm);

        if (!validation.IsValid)
            return;
        rule.Name = name!;
        rule.Enabled = input.Enabled ?? rule.Enabled;
        rule.Priority = input.Priority ?? rule.Priority;
        rule.Mode = finalMode;
        rule.Keywords = string.Join('\n', keywords);
        rule.ReplyText = replyText;
        rule.ScriptId = scriptId;
        rule.AllCommunities = all;
        rule.CommunityIds = all ? "" : string.Join('\n', communities);
        rule.CooldownSeconds = cooldown;
        rule.QuietFromMinute = quietFrom;
        rule.QuietToMinute = quietTo;
        rule.QuietMode = input.QuietMode ?? rule.QuietMode;
        rule.HumanHandoff = handoff;
    }

    private static int? ParseClock(Validation validation, string field, string? text)
    {
        if (Ritual.QuietHours.ParseClock(text) is { } minute)
            return minute;
        validation.Add(field, "Malformed", $"'{field}' must be a time of day such as 22:00 (both 'quietFrom' and 'quietTo' are needed).");
        return null;
    }

    internal static string? Clock(int? minute) => minute is { } m ? Ritual.QuietHours.Clock(m) : null;

    public static AutoReplyDto ToDto(AutoReplyRule r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Id, r.Name, r.Enabled, r.Priority, r.Mode, r.KeywordList, r.ReplyText, r.ScriptId, r.AllCommunities, r.CommunityList,
            r.CooldownSeconds, Clock(r.QuietFromMinute), Clock(r.QuietToMinute), r.QuietMode, r.HumanHandoff, r.CreatedAt, r.UpdatedAt);
    }
}

/// <summary>
/// Matches messages against rules. Regular expressions run with the linear-time engine and
/// <see cref="CustomPattern.MatchTimeout"/>; a timeout counts as no match. Compiled rules are cached by version.
/// </summary>
public static class AutoReplyMatcher
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;

    /// <summary>A rule's keywords, scope and patterns, parsed once per version of the rule.</summary>
    private sealed record Compiled(string[] Keywords, HashSet<Guid> Communities, Regex[] Patterns);

    private static readonly ConcurrentDictionary<(Guid, DateTime), Compiled> Cache = new();

    /// <summary>The first rule (in the given order) in scope for the community that matches the text.</summary>
    public static AutoReplyRule? First(IEnumerable<AutoReplyRule> rules, string text, Guid? communityId)
    {
        ArgumentNullException.ThrowIfNull(rules);
        foreach (var rule in rules)
        {
            if (communityId is { } cid && !rule.AllCommunities && !CompiledOf(rule).Communities.Contains(cid))
                continue;
            if (Matches(rule, text))
                return rule;
        }
        return null;
    }

    public static bool Matches(AutoReplyRule rule, string text)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var compiled = CompiledOf(rule);
        switch (rule.Mode)
        {
            case MatchMode.Exact:
                var trimmed = text.Trim();
                return compiled.Keywords.Any(k => string.Equals(k, trimmed, StringComparison.OrdinalIgnoreCase));
            case MatchMode.Contains:
                return compiled.Keywords.Any(k => text.Contains(k, StringComparison.OrdinalIgnoreCase));
            case MatchMode.Regex:
                foreach (var regex in compiled.Patterns)
                {
                    try
                    {
                        if (regex.IsMatch(text))
                            return true;
                    }
                    catch (RegexMatchTimeoutException)
                    {
                        // Too slow on this message: no answer rather than a stalled processor.
                    }
                }
                return false;
            default:
                return false;
        }
    }

    private static Compiled CompiledOf(AutoReplyRule rule)
    {
        if (Cache.Count > 10_000)
            Cache.Clear();
        return Cache.GetOrAdd((rule.Id, rule.UpdatedAt), _ => new Compiled(
            [.. rule.KeywordList],
            [.. rule.CommunityList],
            rule.Mode != MatchMode.Regex ? [] :
            [
                .. rule.KeywordList.Select(k =>
                {
                    try
                    {
                        return new Regex(k, Options, CustomPattern.MatchTimeout);
                    }
                    catch (Exception e) when (e is ArgumentException or NotSupportedException)
                    {
                        return null; // refused at save; stored before the check existed
                    }
                }).OfType<Regex>(),
            ]));
    }
}
