using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;

namespace Shequn.Features.Tags;

public sealed class AutoTagOptions
{
    public const string Section = "AutoTags";

    /// <summary>Off: no rule tags anyone (neither on events nor daily).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the time-based rules are evaluated (across all app processes).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often each process looks whether an evaluation is due.</summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a process may hold the evaluation before another may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Whether an event or a member satisfies a rule. Regular expressions run with the linear-time engine and
/// <see cref="CustomPattern.MatchTimeout"/>; a timeout counts as no match. Compiled patterns are cached by rule version.
/// </summary>
public static class TagRuleMatcher
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;

    private static readonly ConcurrentDictionary<(Guid, DateTime), Regex?> Patterns = new();

    /// <summary>The event-driven kinds: does this member event (a join or a message) satisfy the rule?</summary>
    public static bool Matches(TagRule rule, TagRuleSpec spec, CommunityEvent e, Guid communityId)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(e);
        if (spec.CommunityId is { } scope && scope != communityId)
            return false;
        return rule.Kind switch
        {
            TagRuleKind.Channel => e.Kind == EventKind.MemberJoined && !string.IsNullOrWhiteSpace(e.Channel)
                && string.Equals(e.Channel.Trim(), spec.Channel, StringComparison.OrdinalIgnoreCase),
            TagRuleKind.Keyword => e.Kind == EventKind.MessagePosted && SaysKeyword(rule, spec, e.Text),
            TagRuleKind.Community => spec.CommunityId == communityId && e.Kind is EventKind.MemberJoined or EventKind.MessagePosted,
            _ => false,
        };
    }

    public static bool SaysKeyword(TagRule rule, TagRuleSpec spec, string? text)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(text) || string.IsNullOrEmpty(spec.Keyword))
            return false;
        if (spec.Regex != true)
            return text.Contains(spec.Keyword, StringComparison.OrdinalIgnoreCase);
        if (Patterns.Count > 10_000)
            Patterns.Clear();
        var regex = Patterns.GetOrAdd((rule.Id, rule.UpdatedAt), _ =>
        {
            try
            {
                return new Regex(spec.Keyword, Options, CustomPattern.MatchTimeout);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                return null; // refused at save
            }
        });
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return regex?.IsMatch(text) == true;
            }
            catch (RegexMatchTimeoutException) when (attempt == 0)
            {
                // The non-backtracking engine builds its automaton lazily, inside the first matches: on a busy machine a new
                // pattern's first message could time out and lose its tag. Once more, with the states built.
            }
            catch (RegexMatchTimeoutException)
            {
                return false; // too slow on this message: no tag rather than a stalled processor
            }
        }
    }

    /// <summary>The profile-field kind.</summary>
    public static bool Matches(TagRuleSpec spec, string? city, string? industry, MemberLayer layer, MemberNeeds needs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var value = spec.Value?.Trim();
        if (string.IsNullOrEmpty(value))
            return false;
        return TagRuleSpecs.FieldOf(spec) switch
        {
            TagRuleField.City => string.Equals(city?.Trim(), value, StringComparison.OrdinalIgnoreCase),
            TagRuleField.Industry => string.Equals(industry?.Trim(), value, StringComparison.OrdinalIgnoreCase),
            TagRuleField.Layer => Enum.TryParse<MemberLayer>(value, true, out var l) && layer == l,
            TagRuleField.Needs => Enum.TryParse<MemberNeeds>(value, true, out var n) && n != MemberNeeds.None && needs.HasFlag(n),
            _ => false,
        };
    }
}

/// <summary>
/// Auto-tags on events, as a reaction of the event processor: a join through a channel, a keyword said, a join or a
/// message in a community give the rule's tag as a suggestion, in the transaction that moves the processor's checkpoint
/// (once across crashes and app processes; nothing kept in memory). A member who carries the tag (suggested or confirmed)
/// is left alone. A rejected auto-tag is never given back by the rule staff rejected, but another rule proposing the
/// same tag on its own evidence suggests it again (<see cref="AutoTagSuggestions"/>, <see cref="AutoTagRejection"/>).
/// </summary>
public sealed class AutoTagger(IOptionsMonitor<AutoTagOptions> options) : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        if (!options.CurrentValue.Enabled)
            return 0;
        var relevant = events.Where(e => e.Kind is EventKind.MemberJoined or EventKind.MessagePosted && !e.FromStaff && e.UserId is not null
            && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }).ToList();
        foreach (var group in relevant.GroupBy(e => e.WorkspaceId))
            await TagAsync(db, group.Key, [.. group], effects, ct);
        return 0; // rows only, no actions
    }

    private static async Task TagAsync(AppDbContext db, Guid ws, List<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        var rules = await db.Set<TagRule>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.WorkspaceId == ws && r.Enabled && (r.Kind == TagRuleKind.Channel || r.Kind == TagRuleKind.Keyword || r.Kind == TagRuleKind.Community))
            .ToListAsync(ct);
        if (rules.Count == 0)
            return;
        var specs = rules.ToDictionary(r => r.Id, r => r.SpecRecord);
        var wanted = new Dictionary<(Guid Member, Guid Tag), List<Guid>>();
        foreach (var e in events)
        {
            if (!effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var member))
                continue;
            var community = effects.CommunityOf[e.Seq]!.Id;
            foreach (var rule in rules)
            {
                if (TagRuleMatcher.Matches(rule, specs[rule.Id], e, community)
                    && (wanted.TryGetValue((member, rule.TagId), out var proposing) ? proposing : wanted[(member, rule.TagId)] = []) is var list && !list.Contains(rule.Id))
                    list.Add(rule.Id);
            }
        }
        await AutoTagSuggestions.SuggestAsync(db, wanted, DateTime.UtcNow, ct);
    }
}
