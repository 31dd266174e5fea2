using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;
using Shequn.Features.Workspaces;
using Shequn.Platform.Localization;

namespace Shequn.Features.Scripts;

/// <summary>Keyword auto-replies at run time (section <c>AutoReplies</c>).</summary>
public sealed class AutoReplyOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>A message processed this long after it was posted (a backlog, an import, the demo's history) gets no reply.</summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Answers members' messages that match an auto-reply rule, as a reaction of the event processor: it runs inside the
/// transaction that moves the checkpoint, so each reply (key <c>event:{seq}:autoreply:0</c>), each cooldown row and
/// each script use count is written exactly once across crashes and app processes. Staff and the bot (<c>FromStaff</c>)
/// get no replies; the first enabled rule in scope (by priority) that matches answers, one per message.
/// <list type="bullet">
/// <item>Cooldown: per rule and community, kept in <see cref="AutoReplyCooldown"/> by the event's time; a match within
/// it gets nothing.</item>
/// <item>Quiet hours (workspace time zone): <see cref="QuietHoursMode.Hold"/> enqueues the reply due at the end of the
/// quiet hours (<see cref="OutboundAction.NextAttemptAt"/>), and the cooldown runs from then (one held reply per rule and
/// community, however many ask during the night); <see cref="QuietHoursMode.Skip"/>
/// sends nothing and leaves the cooldown as it was.</item>
/// <item>Let a human answer: a reply action that is a staff task from the start (<see cref="ActionStatus.Task"/>, so
/// nothing is sent), with its <see cref="StaffTask"/> routed like the dispatcher's; the text to paste is the rule's reply
/// when it has one. Quiet hours do not apply, and the cooldown is per member: within it, a member's further matching
/// messages in the community make no second task, while every other member's complaint still reaches a person.</item>
/// </list>
/// </summary>
public sealed class AutoReplyReaction(
    WorkspaceZones zones,
    TimeProvider time,
    IOptions<AutoReplyOptions> options,
    TaskOpener opener) : IBatchReaction
{
    public const string ReactionName = "autoreply";
    private const int ExcerptLength = 80;

    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        if (!options.Value.Enabled)
            return 0;
        var now = time.GetUtcNow().UtcDateTime;
        var candidates = events.Where(e => e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId is not null
                && !string.IsNullOrWhiteSpace(e.Text) && now - e.OccurredAt <= options.Value.LateAfter
                && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved })
            .ToList();
        if (candidates.Count == 0)
            return 0;
        var added = 0;
        foreach (var group in candidates.GroupBy(e => e.WorkspaceId))
        {
            var ws = group.Key;
            var rules = await db.Set<AutoReplyRule>().IgnoreQueryFilters().AsNoTracking().Where(r => r.WorkspaceId == ws && r.Enabled)
                .OrderBy(r => r.Priority).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id).ToListAsync(ct);
            if (rules.Count == 0)
                continue;
            var uses = new Dictionary<Guid, int>();
            var texts = new Dictionary<(Guid? Script, ScriptCategory? Category, Guid Community), string?>();
            var tasks = new TaskBatch();
            var matched = new List<(CommunityEvent E, Community Community, AutoReplyRule Rule)>();
            foreach (var e in group)
            {
                var community = effects.CommunityOf[e.Seq]!;
                if (AutoReplyMatcher.First(rules, e.Text!, community.Id) is { } rule)
                    matched.Add((e, community, rule));
            }
            // The members' last hand-offs in these communities and the rules' cooldowns there, read once for the batch and
            // kept up to date as it goes.
            var handoffs = await LastHandoffsAsync(db, ws, matched.Where(m => m.Rule.HumanHandoff).ToList(), effects, ct);
            var answered = matched.Where(m => !m.Rule.HumanHandoff).ToList();
            var cooldowns = answered.Count == 0 ? [] : await CooldownsAsync(db, ws, answered, ct);
            foreach (var (e, community, rule) in matched)
            {
                if (await AnswerAsync(db, e, community, rule, now, uses, texts, handoffs, cooldowns, effects, tasks, ct))
                    added++;
            }
            await SaveHandoffsAsync(db, ws, handoffs, ct);
            await ScriptLibrary.CountUsesAsync(db, ws, uses, ct);
        }
        return added;
    }

    private async Task<bool> AnswerAsync(AppDbContext db, CommunityEvent e, Community community, AutoReplyRule rule, DateTime now,
        Dictionary<Guid, int> uses, Dictionary<(Guid?, ScriptCategory?, Guid), string?> texts, Dictionary<(Guid, Guid), Handoff> handoffs,
        Dictionary<(Guid, Guid), AutoReplyCooldown> cooldowns, EventEffects effects, TaskBatch tasks, CancellationToken ct)
    {
        var key = $"event:{e.Seq}:{ReactionName}:0";
        var (text, scriptId) = await ReplyTextAsync(db, e, community, rule, texts, ct);
        if (rule.HumanHandoff)
        {
            if (effects.MemberOf.TryGetValue((e.WorkspaceId, e.Platform, e.UserId!), out var member))
            {
                if (rule.CooldownSeconds > 0 && handoffs.TryGetValue((community.Id, member), out var last)
                    && last.At >= now - TimeSpan.FromSeconds(rule.CooldownSeconds))
                    return false;
                handoffs[(community.Id, member)] = new Handoff(now, Made: true);
            }
            await HandOffAsync(db, tasks, e, community, text, key, now, ct);
            return true;
        }
        if (string.IsNullOrWhiteSpace(text))
            return false;

        var cooldown = cooldowns.GetValueOrDefault((rule.Id, community.Id));
        if (cooldown is not null && e.OccurredAt - cooldown.LastReplyAt < TimeSpan.FromSeconds(rule.CooldownSeconds))
            return false;
        var due = now;
        if (QuietUntil(rule, e.OccurredAt, await zones.GetAsync(e.WorkspaceId, ct)) is { } end)
        {
            if (rule.QuietMode == QuietHoursMode.Skip)
                return false;
            due = end;
        }
        // A held reply counts from when it goes out, so a night of questions gets one answer in the morning, not one each.
        var answeredAt = due > e.OccurredAt ? due : e.OccurredAt;
        if (cooldown is null)
        {
            cooldowns[(rule.Id, community.Id)] = cooldown = new AutoReplyCooldown { WorkspaceId = e.WorkspaceId, RuleId = rule.Id, CommunityId = community.Id, LastReplyAt = answeredAt };
            db.Set<AutoReplyCooldown>().Add(cooldown);
        }
        else
            cooldown.LastReplyAt = answeredAt;

        var payload = new ActionPayload(Text: text, MessageId: e.MessageId);
        var action = OutboundAction.Create(e.WorkspaceId, community.Id, e.MessageId is null ? ActionKind.Send : ActionKind.Reply, payload, key);
        action.CausedByEventSeq = e.Seq;
        action.NextAttemptAt = due;
        db.Set<OutboundAction>().Add(action);
        if (scriptId is { } sid)
            uses[sid] = uses.GetValueOrDefault(sid) + 1;
        return true;
    }

    /// <summary>
    /// The rule's reply rendered for this member and community; the script it came from, if any. Script texts are read
    /// once a batch per script (or category) and community (<paramref name="texts"/>).
    /// </summary>
    private static async Task<(string? Text, Guid? ScriptId)> ReplyTextAsync(AppDbContext db, CommunityEvent e, Community community, AutoReplyRule rule,
        Dictionary<(Guid?, ScriptCategory?, Guid), string?> texts, CancellationToken ct)
    {
        string? raw = rule.ReplyText;
        Guid? scriptId = null;
        if (rule.ScriptId is { } sid)
        {
            if (!texts.TryGetValue((sid, null, community.Id), out var scripted))
                texts[(sid, null, community.Id)] = scripted = (await ScriptLibrary.TextOfScriptAsync(db, e.WorkspaceId, sid, community.Id, ct))?.Text;
            if (scripted is not null)
            {
                raw = scripted;
                scriptId = sid;
            }
        }
        if (raw is null)
            return (null, null);
        var values = new Dictionary<string, string?>
        {
            [ScriptText.Nickname] = e.UserName,
            [ScriptText.Member] = e.UserName,
            [ScriptText.Community] = community.Name,
        };
        var used = ScriptText.Used(raw);
        async Task<string> CategoryAsync(ScriptCategory category)
        {
            if (!texts.TryGetValue((null, category, community.Id), out var t))
                texts[(null, category, community.Id)] = t = (await ScriptLibrary.TextForAsync(db, e.WorkspaceId, community.Id, category, ct))?.Text;
            return t ?? "";
        }
        if (used.Contains(ScriptText.Intro))
            values[ScriptText.Intro] = ScriptText.Render(await CategoryAsync(ScriptCategory.Intro), values);
        if (used.Contains(ScriptText.Rules))
            values[ScriptText.Rules] = ScriptText.Render(await CategoryAsync(ScriptCategory.Rules), values);
        var text = ScriptText.Render(raw, values);
        return (text.Length > OutboundAction.TextMaxLength ? text[..OutboundAction.TextMaxLength] : text, scriptId);
    }

    /// <summary>When a member's message in a community was last handed to staff; <c>Made</c> when this batch did it.</summary>
    private readonly record struct Handoff(DateTime At, bool Made);

    /// <summary>
    /// When each member who complains in this batch last had a message handed to staff in the community
    /// (<see cref="HandoffCooldown"/>, one keyed look-up for the batch): several messages of one complaint make one task.
    /// </summary>
    private static async Task<Dictionary<(Guid, Guid), Handoff>> LastHandoffsAsync(AppDbContext db, Guid ws,
        List<(CommunityEvent E, Community Community, AutoReplyRule Rule)> handoffs, EventEffects effects, CancellationToken ct)
    {
        if (handoffs.Count == 0)
            return [];
        var communities = handoffs.Select(h => h.Community.Id).Distinct().ToList();
        var members = handoffs.Select(h => effects.MemberOf.TryGetValue((ws, h.E.Platform, h.E.UserId!), out var m) ? m : Guid.Empty)
            .Where(m => m != Guid.Empty).Distinct().ToList();
        var rows = await db.Set<HandoffCooldown>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && communities.Contains(c.CommunityId) && members.Contains(c.MemberId))
            .Select(c => new { c.CommunityId, c.MemberId, c.LastHandoffAt }).ToListAsync(ct);
        return rows.ToDictionary(r => (r.CommunityId, r.MemberId), r => new Handoff(r.LastHandoffAt, Made: false));
    }

    /// <summary>The batch's hand-offs, as one set-wise upsert.</summary>
    private static Task<int> SaveHandoffsAsync(AppDbContext db, Guid ws, Dictionary<(Guid, Guid), Handoff> handoffs, CancellationToken ct) =>
        SetWrites.ExecuteAsync(db,
            """INSERT INTO "HandoffCooldowns" ("CommunityId", "MemberId", "WorkspaceId", "LastHandoffAt")""",
            [.. handoffs.Where(h => h.Value.Made).Select(h => new object[] { h.Key.Item1, h.Key.Item2, ws, h.Value.At })],
            """ON CONFLICT ("CommunityId", "MemberId") DO UPDATE SET "LastHandoffAt" = excluded."LastHandoffAt" """, ct);

    /// <summary>The cooldowns of the rules that answer in this batch's communities, tracked (one query for the batch).</summary>
    private static async Task<Dictionary<(Guid, Guid), AutoReplyCooldown>> CooldownsAsync(AppDbContext db, Guid ws,
        List<(CommunityEvent E, Community Community, AutoReplyRule Rule)> answered, CancellationToken ct)
    {
        var rules = answered.Select(a => a.Rule.Id).Distinct().ToList();
        var communities = answered.Select(a => a.Community.Id).Distinct().ToList();
        return await db.Set<AutoReplyCooldown>().IgnoreQueryFilters()
            .Where(c => c.WorkspaceId == ws && rules.Contains(c.RuleId) && communities.Contains(c.CommunityId))
            .ToDictionaryAsync(c => (c.RuleId, c.CommunityId), ct);
    }

    /// <summary>A reply for staff to write: the action is a task from the start, so the dispatcher never sends it.</summary>
    private Task<bool> HandOffAsync(AppDbContext db, TaskBatch tasks, CommunityEvent e, Community community, string? suggested, string key, DateTime now, CancellationToken ct)
    {
        var author = e.UserName ?? e.UserId ?? "?";
        var excerpt = e.Text!.Length <= ExcerptLength ? e.Text : e.Text[..ExcerptLength] + "…";
        return opener.AskAsync(db, tasks, e.WorkspaceId, community.Id, ActionKind.Reply, new ActionPayload(Text: suggested, MessageId: e.MessageId), key, e.Seq, now, now,
            w => (string.IsNullOrWhiteSpace(suggested) ? w["Scripts.Handoff.Task", author, community.Name] : suggested, w["Scripts.Handoff.Context", author, excerpt]), ct);
    }

    /// <summary>When the rule's quiet hours around <paramref name="at"/> end (UTC), or null when <paramref name="at"/> is outside them.</summary>
    public static DateTime? QuietUntil(AutoReplyRule rule, DateTime at, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.QuietFromMinute is { } from && rule.QuietToMinute is { } to ? Ritual.QuietHours.EndOf(from, to, at, zone) : null;
    }
}
