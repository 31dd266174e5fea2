using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Platform.Localization;

namespace Shequn.Features.Enforcement;

/// <summary>
/// The group rules at work: called by <see cref="EventProcessor"/> after a batch's effects, inside the transaction
/// that moves its checkpoint, so every case, blacklist entry and action it writes is made exactly once across
/// crashes and nodes (a rolled-back batch is read again and decided again, the same way). For each message (and
/// each inspected image) it finds the community's rule set, skips exempt senders, scores with the workspace's
/// engine and the rules (<see cref="MessageRules"/>), and writes a <see cref="ModerationCase"/>: review, or act with
/// the ladder's step for the sender's n-th violation within the rule set's window (counted from the case table).
/// Joins are checked against the blacklist (removed, or the join request declined), the nickname format and the
/// membership limit. Actions go to the outbox with keys <c>event:{seq}:enforce:{n}</c>; a removal's announcement is
/// one per group per burst. Events processed later than <see cref="EnforcementOptions.LateAfter"/> are not acted on:
/// what would have been acted on is logged as a review case, the rest is passed.
/// </summary>
#pragma warning disable CA1001 // One per process; its gate lives as long as the process.
public sealed partial class Enforcer(
    RuleSetDirectory ruleSets,
    ActivityWindows windows,
    ModerationEngines engines,
    JsonStringLocalizerFactory strings,
    TimeProvider time,
    IOptions<EnforcementOptions> options,
    ILogger<Enforcer> log)
#pragma warning restore CA1001
{
    public const string ReactionName = "enforce";
    public const string AnnouncementKeyPrefix = "enforce:announce:";

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// The announcements this node started or added to, and whom each names, as of the checkpoint <see cref="_namedThrough"/>:
    /// a batch that starts there knows every waiting announcement (only this node's batches came in between), checks
    /// which are still waiting by their ids and reads nothing else. Another node's batch, a rolled-back one or a restart
    /// leaves another checkpoint, and the outbox and the case log are read. Only touched under the gate.
    /// </summary>
    private readonly Dictionary<Guid, (Guid Workspace, DateTime CreatedAt, List<Removal> Removed)> _named = [];
    private long _namedThrough = -1;

    /// <summary>The workspaces whose waiting announcements are all in <see cref="_named"/> (read once since it was valid).</summary>
    private readonly HashSet<Guid> _namedWorkspaces = [];

    private readonly record struct Removal(string Name, string Rule);
    private long _elapsedTicks;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, EnforcementWords> _words = new();

    /// <summary>The member-facing words in a language (a workspace's, <see cref="Workspaces.Workspace.Language"/>).</summary>
    private EnforcementWords WordsIn(string culture) => _words.GetOrAdd(culture, c => EnforcementWords.For(strings, c));

    private EnforcementOptions Options => options.Value;

    private ActivityWindows Windows => windows;

    private DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Time spent enforcing since the process started (the enforce benchmark reports where the time goes).</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks));

    /// <summary>Checks a batch the processor just applied; returns how many actions it added to <paramref name="db"/>.</summary>
    public async Task<int> EnforceAsync(AppDbContext db, long checkpoint, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        var communities = effects.CommunityOf;
        if (!options.Value.Enabled || events.Count == 0)
            return 0;
        await _gate.WaitAsync(ct);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await PrimeAsync(db, checkpoint, events, ct);
            if (_namedThrough != checkpoint)
            {
                _named.Clear();
                _namedWorkspaces.Clear();
            }
            foreach (var e in events)
            {
                if (PostOf(e, communities.GetValueOrDefault(e.Seq)) is { } post)
                    windows.Observe(post);
            }
            windows.MarkThrough(events[^1].Seq);

            var relevant = events.Where(e => e.Kind is EventKind.MessagePosted or EventKind.MessageInspected or EventKind.MemberJoined or EventKind.JoinRequested
                && communities.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }).ToList();
            if (relevant.Count == 0)
            {
                KeepNamed(events[^1].Seq);
                return 0;
            }
            // The membership limit counts a newcomer's memberships, which the effects may have just made: flush them (same
            // transaction) so they can be read. Messages alone need no flush: senders come from the effects' own map.
            if (relevant.Any(e => e.Kind == EventKind.MemberJoined))
                await db.SaveChangesSetWiseAsync(ct);
            var added = 0;
            var made = new Made();
            foreach (var group in relevant.GroupBy(e => e.WorkspaceId))
            {
                using var acting = db.Current.ActAsSystemWhile(group.Key);
                var batch = new EnforcementBatch(this, db, group.Key, effects, made, await ruleSets.GetAsync(db, group.Key, ct), await engines.ForWorkspaceAsync(db, ct));
                added += await batch.RunAsync([.. group], ct);
            }
            // Cases and actions (each with its workspace set) go straight to the database in the batch's transaction: nothing
            // in the batch reads them back through the context, so they cost it no tracking and no change detection at its
            // save. (Blacklist entries, rare, and the waiting announcements updated in place are saved with the batch.)
            await SetInserts.InsertAsync(db, made.Cases, ct);
            await SetInserts.InsertAsync(db, made.Actions, ct);
            KeepNamed(events[^1].Seq);
            return added;
        }
        catch
        {
            // The transaction will not commit: what this batch added to the windows is observed again when it is read again.
            windows.Rewind(checkpoint);
            _namedThrough = -1;
            throw;
        }
        finally
        {
            Interlocked.Add(ref _elapsedTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
            _gate.Release();
        }
    }

    /// <summary>The batch through <paramref name="through"/> is done: the lists of names stand as of there (those of announcements long sent are dropped).</summary>
    private void KeepNamed(long through)
    {
        var sent = Now.UtcDateTime - options.Value.AnnouncementDelay - TimeSpan.FromMinutes(5);
        foreach (var (id, named) in _named.ToList())
        {
            if (named.CreatedAt < sent)
                _named.Remove(id);
        }
        _namedThrough = through;
    }

    /// <summary>Brings the windows to the checkpoint: back (a batch rolled back) or forward from the log (a restart, another node).</summary>
    private async Task PrimeAsync(AppDbContext db, long checkpoint, IReadOnlyList<CommunityEvent> events, CancellationToken ct)
    {
        if (windows.Through > checkpoint)
            windows.Rewind(checkpoint);
        if (windows.Through == checkpoint)
            return;
        var from = Math.Max(windows.Through, checkpoint - options.Value.PrimeEvents);
        var since = events.Min(e => e.OccurredAt) - options.Value.WindowHorizon;
        var posts = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.Seq > from && e.Seq <= checkpoint && e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId != null && e.OccurredAt >= since)
            .OrderBy(e => e.Seq)
            .ToListAsync(ct);
        var chatIds = posts.Where(p => p.CommunityId is null && p.ChatId is not null).Select(p => p.ChatId!).Distinct().ToList();
        var chats = chatIds.Count == 0 ? [] : await db.Set<PlatformChat>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => chatIds.Contains(c.ChatId)).Select(c => new { c.WorkspaceId, c.Platform, c.ChatId, c.CommunityId }).ToListAsync(ct);
        var byChat = chats.ToDictionary(c => (c.WorkspaceId, c.Platform, c.ChatId), c => c.CommunityId);
        foreach (var p in posts)
        {
            var community = p.CommunityId ?? (p.ChatId is not null && byChat.TryGetValue((p.WorkspaceId, p.Platform, p.ChatId), out var c) ? c : null);
            if (community is { } id)
                windows.Observe(new WindowPost(p.Seq, p.OccurredAt, p.WorkspaceId, id, SenderKey(p.Platform, p.UserId!), ActivityWindows.Fingerprint(p.Text)));
        }
        windows.MarkThrough(checkpoint);
        LogPrimed(log, posts.Count, from, checkpoint);
    }

    private static WindowPost? PostOf(CommunityEvent e, Community? community) =>
        e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId is not null && community is not null
            ? new WindowPost(e.Seq, e.OccurredAt, e.WorkspaceId, community.Id, SenderKey(e.Platform, e.UserId), ActivityWindows.Fingerprint(e.Text))
            : null;

    internal static string SenderKey(ChatPlatform platform, string userId) => $"{(int)platform}:{userId}";

    /// <summary>The rows a batch's rules made, written together at its end.</summary>
    private sealed class Made
    {
        public List<ModerationCase> Cases { get; } = [];
        public List<OutboundAction> Actions { get; } = [];
    }

    /// <summary>One workspace's part of a batch.</summary>
    private sealed class EnforcementBatch(Enforcer owner, AppDbContext db, Guid ws, EventEffects effects, Made made, WorkspaceRuleSets sets, ModerationEngine engine)
    {
        private readonly IReadOnlyDictionary<long, Community?> communities = effects.CommunityOf;

        private sealed record Sender(Guid MemberId);

        private readonly EnforcementOptions _options = owner.Options;
        private readonly DateTimeOffset _now = owner.Now;
        private readonly List<(CommunityEvent Event, Community Community, RuleSetSpec Spec, Finding Finding)> _findings = [];
        private readonly Dictionary<(ChatPlatform, string), Sender> _senders = [];
        private readonly HashSet<(ChatPlatform, string)> _blacklisted = [];
        private readonly HashSet<Guid> _kocs = [];
        private readonly Dictionary<Guid, OutboundAction> _announcements = [];
        private Dictionary<Guid, OutboundAction>? _waiting;
        private readonly Dictionary<Guid, List<Removal>> _named = [];
        private int _added;
        private EnforcementWords? _words;

        /// <summary>What Shequn says in the groups, in the workspace's language (read at the batch's first need of it).</summary>
        private async Task<EnforcementWords> WordsAsync(CancellationToken ct) =>
            _words ??= owner.WordsIn(await Workspaces.WorkspaceSettings.LanguageAsync(db, ws, ct));

        public async Task<int> RunAsync(List<CommunityEvent> events, CancellationToken ct)
        {
            await LoadSendersAsync(events, ct);
            await LoadBlacklistAsync(events, ct);
            // Exemptions are looked at only where something was found (members' layers are read for those alone).
            var found = new List<(CommunityEvent, Community, RuleSetSpec, Finding)>();
            foreach (var e in events.Where(e => e.Kind is EventKind.MessagePosted or EventKind.MessageInspected))
            {
                var community = communities[e.Seq]!;
                var spec = sets.For(community);
                if (e.UserId is not null && !(e.FromStaff && spec.ExemptStaff) && Evaluate(e, community, spec) is { } finding)
                    found.Add((e, community, spec, finding));
            }
            await LoadKocsAsync(found.Select(f => f.Item1).Concat(events.Where(e => e.Kind == EventKind.MemberJoined)), ct);
            _findings.AddRange(found.Where(f => !Exempt(f.Item1, f.Item3)));
            foreach (var e in events.Where(e => e.Kind is EventKind.MemberJoined or EventKind.JoinRequested))
                await JoinAsync(e, communities[e.Seq]!, sets.For(communities[e.Seq]!), ct);
            if (_findings.Count > 0)
                await DecideAsync(ct);
            return _added;
        }

        private bool Late(CommunityEvent e) => _now - new DateTimeOffset(DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc)) > _options.LateAfter;

        private bool Exempt(CommunityEvent e, RuleSetSpec spec)
        {
            // Staff are known to the platform's events (FromStaff: the group's owner and admins, Shequn's own bot);
            // staff accounts in the console are not linked to platform users, so that is the only staff exemption.
            if (e.UserId is null || (e.FromStaff && spec.ExemptStaff))
                return true;
            if (!_senders.TryGetValue((e.Platform, e.UserId), out var sender))
                return false;
            return (spec.ExemptKocs && _kocs.Contains(sender.MemberId)) || spec.ExemptMembers.Contains(sender.MemberId);
        }

        private Finding? Evaluate(CommunityEvent e, Community community, RuleSetSpec spec)
        {
            var who = SenderKey(e.Platform, e.UserId!);
            var horizon = _options.WindowHorizon;
            var floodFrom = e.OccurredAt - Min(TimeSpan.FromSeconds(spec.FloodSeconds), horizon);
            var crossFrom = e.OccurredAt - Min(TimeSpan.FromMinutes(spec.CrossCommunityMinutes), horizon);
            string[]? codes = null;
            if (e.Kind == EventKind.MessageInspected)
            {
                codes = (e.Text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (codes.Length == 0)
                    return null;
            }
            var text = codes is null ? e.Text ?? "" : string.Join('\n', codes);
            var print = e.Kind == EventKind.MessagePosted ? ActivityWindows.Fingerprint(e.Text) : 0;
            var joined = _senders.TryGetValue((e.Platform, e.UserId!), out var sender) && effects.InsideSince.TryGetValue((community.Id, sender.MemberId), out var at) ? at : (DateTime?)null;
            var facts = new MessageFacts(
                text,
                e.Kind == EventKind.MessagePosted ? e.MessageKind : null,
                codes,
                AdsTier: community.Tier == CommunityTier.Ads,
                NewMember: joined is { } j && e.OccurredAt - j < TimeSpan.FromHours(spec.NewMemberHours),
                // An outsider: not known in the group before this message (the processor opened their membership now).
                Outsider: joined is null || joined >= e.OccurredAt,
                FloodPosts: e.Kind == EventKind.MessagePosted ? owner.Windows.SenderPosts(community.Id, who, floodFrom, e.OccurredAt, e.Seq) : 0,
                SenderCommunities: owner.Windows.Communities(ws, print, who, crossFrom, e.OccurredAt, e.Seq, Math.Max(2, spec.CrossCommunityCount)),
                AnyoneCommunities: owner.Windows.Communities(ws, print, null, crossFrom, e.OccurredAt, e.Seq, Math.Max(2, spec.CrossCommunityCount)));
            return MessageRules.Evaluate(spec, engine, facts);
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

        /// <summary>Acts on the findings in log order; the n-th violation of a sender within the window takes step n.</summary>
        private async Task DecideAsync(CancellationToken ct)
        {
            var acting = _findings.Where(f => f.Finding.Decision == CaseDecision.Act).ToList();
            var earlier = new List<(ChatPlatform Platform, string UserId, DateTime At, long Seq)>();
            // Per platform, so that the query walks the index on (workspace, platform, user, time) for just these senders.
            foreach (var platform in acting.GroupBy(f => f.Event.Platform))
            {
                var users = platform.Select(f => f.Event.UserId!).Distinct().ToList();
                var since = platform.Min(f => f.Event.OccurredAt) - TimeSpan.FromMinutes(platform.Max(f => f.Spec.EscalationMinutes));
                var rows = await db.Set<ModerationCase>().IgnoreQueryFilters().AsNoTracking()
                    .Where(c => c.WorkspaceId == ws && c.Platform == platform.Key && users.Contains(c.UserId!) && c.OccurredAt >= since
                        && c.Decision == CaseDecision.Act && c.UndoneAt == null
                        && c.Rule != Rules.Blacklist && c.Rule != Rules.Nickname && c.Rule != Rules.MembershipLimit)
                    .Select(c => new { c.Platform, c.UserId, c.OccurredAt, c.EventSeq })
                    .ToListAsync(ct);
                earlier.AddRange(rows.Select(r => (r.Platform, r.UserId!, r.OccurredAt, r.EventSeq)));
            }
            foreach (var (e, community, spec, finding) in _findings)
            {
                var decision = finding.Decision;
                if (Late(e))
                {
                    // Hours late (a backlog, an import, the demo's history): text that would have been acted on is logged
                    // for review, nobody is punished now. What would only have been flagged, and behaviour or kinds of
                    // message (a flood, a red packet, a card) hours ago, are not worth a reviewer's time.
                    if (decision == CaseDecision.Review || !Rules.TeachesTheModel(finding.Rule))
                        continue;
                    decision = CaseDecision.Review;
                }
                var c = NewCase(e, community, finding.Rule, decision, finding.Score, finding.ModelScore, finding.Evidence);
                if (decision == CaseDecision.Act)
                {
                    var from = e.OccurredAt - TimeSpan.FromMinutes(spec.EscalationMinutes);
                    c.Violations = 1 + earlier.Count(x => x.Platform == e.Platform && x.UserId == e.UserId && x.At >= from && x.At <= e.OccurredAt && x.Seq < e.Seq);
                    earlier.Add((e.Platform, e.UserId!, e.OccurredAt, e.Seq));
                    var step = Ladder.StepFor(spec, c.Violations);
                    c.Action = step.Action;
                    var n = 0;
                    var warning = (await WordsAsync(ct)).Warning(spec, e.UserName, finding.Rule);
                    foreach (var action in Ladder.Actions(step, e.MessageId, e.UserId!, warning, _now))
                        Enqueue(e, community, action, ref n);
                    if (step.Action == LadderAction.Blacklist)
                        await BlacklistAsync(e, c, ct);
                    if (Ladder.Removes(step.Action) && spec.AnnounceRemovals)
                        await AnnounceAsync(community, spec, c, ct);
                }
                Add(c);
            }
        }

        private async Task JoinAsync(CommunityEvent e, Community community, RuleSetSpec spec, CancellationToken ct)
        {
            if (e.UserId is null || (e.FromStaff && spec.ExemptStaff))
                return;
            var n = 0;
            if (_blacklisted.Contains((e.Platform, e.UserId)))
            {
                var late = Late(e);
                var c = NewCase(e, community, Rules.Blacklist, late ? CaseDecision.Review : CaseDecision.Act, 1, null,
                    [new CaseEvidence("Sender", Rules.Blacklist, e.UserName, 0, 0, 1)]);
                if (!late)
                {
                    c.Action = LadderAction.Remove;
                    var payload = new ActionPayload(UserId: e.UserId);
                    Enqueue(e, community, new ReactionAction(e.Kind == EventKind.JoinRequested ? ActionKind.DeclineJoin : ActionKind.Remove, payload), ref n);
                }
                Add(c);
                return;
            }
            // A join hours ago (a backlog, an import, the demo's history) is past reminding: no nickname or limit flags.
            if (e.Kind != EventKind.MemberJoined || Exempt(e, spec) || Late(e))
                return;

            if (spec.Nickname != RuleMode.Off && !string.IsNullOrWhiteSpace(spec.NicknameFormat) && !NicknameFormat.Matches(spec.NicknameFormat, e.UserName))
            {
                var act = spec.Nickname == RuleMode.Enforce;
                var c = NewCase(e, community, Rules.Nickname, act ? CaseDecision.Act : CaseDecision.Review, 1, null,
                    [new CaseEvidence("Nickname", Rules.Nickname, e.UserName, 0, 0, 1)]);
                c.Text = EventEffects.Clip(e.UserName, ModerationCase.TextMaxLength);
                if (act)
                {
                    c.Action = LadderAction.Warn;
                    var reminder = (await WordsAsync(ct)).Nickname(e.UserName, spec.NicknameFormat!);
                    Enqueue(e, community, new ReactionAction(ActionKind.Send, new ActionPayload(Text: reminder)), ref n);
                }
                Add(c);
            }

            if (spec.MembershipLimit != RuleMode.Off && spec.MaxCommunitiesPerMember > 0 && _senders.TryGetValue((e.Platform, e.UserId), out var sender))
            {
                var count = await db.Memberships.IgnoreQueryFilters()
                    .Where(m => m.WorkspaceId == ws && m.MemberId == sender.MemberId && m.LeftAt == null && m.Community!.State != CommunityState.Dissolved)
                    .Select(m => m.CommunityId).Distinct().CountAsync(ct);
                if (count > spec.MaxCommunitiesPerMember)
                {
                    var act = spec.MembershipLimit == RuleMode.Enforce;
                    var c = NewCase(e, community, Rules.MembershipLimit, act ? CaseDecision.Act : CaseDecision.Review, 1, null,
                        [new CaseEvidence("Sender", Rules.MembershipLimit, $"{count}/{spec.MaxCommunitiesPerMember}", 0, 0, 1)]);
                    if (act)
                    {
                        c.Action = LadderAction.Remove;
                        var notice = (await WordsAsync(ct)).MembershipLimit(e.UserName, spec.MaxCommunitiesPerMember);
                        Enqueue(e, community, new ReactionAction(ActionKind.Send, new ActionPayload(Text: notice)), ref n);
                        Enqueue(e, community, new ReactionAction(ActionKind.Remove, new ActionPayload(UserId: e.UserId)), ref n);
                    }
                    Add(c);
                }
            }
        }

        private ModerationCase NewCase(CommunityEvent e, Community community, string rule, CaseDecision decision, double score, double? modelScore, IReadOnlyList<CaseEvidence> evidence)
        {
            _senders.TryGetValue((e.Platform, e.UserId ?? ""), out var sender);
            return new ModerationCase
            {
                WorkspaceId = ws,
                CommunityId = community.Id,
                EventSeq = e.Seq,
                Platform = e.Platform,
                MessageId = EventEffects.Clip(e.MessageId, 128),
                UserId = EventEffects.Clip(e.UserId, 128),
                UserName = EventEffects.Clip(e.UserName, 100),
                MemberId = sender?.MemberId,
                Text = EventEffects.Clip(e.Kind == EventKind.MessageInspected ? string.Join('\n', (e.Text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) : e.Text, ModerationCase.TextMaxLength),
                Decision = decision,
                Rule = rule,
                Score = score,
                ModelScore = modelScore,
                Evidence = CaseEvidence.Serialize(evidence),
                OccurredAt = e.OccurredAt,
                CreatedAt = _now.UtcDateTime,
            };
        }

        private void Add(ModerationCase c) => made.Cases.Add(c);

        private void Enqueue(CommunityEvent e, Community community, ReactionAction wanted, ref int n)
        {
            var action = OutboundAction.Create(ws, community.Id, wanted.Kind, wanted.Payload, $"event:{e.Seq}:{ReactionName}:{n++}");
            action.CausedByEventSeq = e.Seq;
            made.Actions.Add(action);
            if (wanted.Kind is ActionKind.Remove or ActionKind.Ban or ActionKind.DeclineJoin)
                effects.TurnedAway.Add(e.Seq);
            _added++;
        }

        private async Task BlacklistAsync(CommunityEvent e, ModerationCase c, CancellationToken ct)
        {
            if (_blacklisted.Contains((e.Platform, e.UserId!))
                || await db.Set<BlacklistEntry>().IgnoreQueryFilters().AnyAsync(b => b.WorkspaceId == ws && b.Platform == e.Platform && b.UserId == e.UserId, ct))
                return;
            _blacklisted.Add((e.Platform, e.UserId!));
            var words = await WordsAsync(ct);
            db.Set<BlacklistEntry>().Add(new BlacklistEntry
            {
                WorkspaceId = ws,
                Platform = e.Platform,
                UserId = e.UserId!,
                UserName = c.UserName,
                Reason = EventEffects.Clip(words.Rule(c.Rule), BlacklistEntry.ReasonMaxLength),
                CaseId = c.Id,
            });
        }

        /// <summary>
        /// One announcement per group per burst: a removal joins the group's announcement that is still waiting (it
        /// waits <see cref="EnforcementOptions.AnnouncementDelay"/> for more), else starts one. Its text names everyone
        /// removed since it was started, from the case log.
        /// </summary>
        private async Task AnnounceAsync(Community community, RuleSetSpec spec, ModerationCase removal, CancellationToken ct)
        {
            if (_waiting is null)
                await LoadWaitingAnnouncementsAsync(ct);
            if (!_announcements.TryGetValue(community.Id, out var pending))
                pending = _waiting!.GetValueOrDefault(community.Id);
            // Who the waiting announcement already names (read once a batch), then this removal.
            var named = pending is not null && _named.TryGetValue(community.Id, out var list) ? list : [];
            named.Add(new Removal(removal.UserName ?? removal.UserId ?? "", removal.Rule));
            var text = (await WordsAsync(ct)).Announcement(spec, named.Select(r => r.Name), named.Select(r => r.Rule));
            if (pending is null)
            {
                pending = OutboundAction.Create(ws, community.Id, ActionKind.Send, new ActionPayload(Text: text), $"{AnnouncementKeyPrefix}{community.Id:N}:{removal.EventSeq}");
                pending.CausedByEventSeq = removal.EventSeq;
                pending.NextAttemptAt = _now.UtcDateTime + _options.AnnouncementDelay;
                pending.CreatedAt = _now.UtcDateTime;
                made.Actions.Add(pending);
                _added++;
            }
            else
            {
                pending.Payload = new ActionPayload(Text: text).ToJson();
                pending.UpdatedAt = _now.UtcDateTime;
            }
            _announcements[community.Id] = pending;
            _named[community.Id] = named;
            owner._named[pending.Id] = (ws, pending.CreatedAt, named);
        }

        /// <summary>
        /// The workspace's announcements still waiting and whom each names: when this node knows them all (see
        /// <see cref="Enforcer._named"/>), checked by id; else every waiting one read from the outbox and its names from the
        /// case log (the removals since it was started).
        /// </summary>
        private async Task LoadWaitingAnnouncementsAsync(CancellationToken ct)
        {
            var recent = _now.UtcDateTime - _options.AnnouncementDelay - TimeSpan.FromMinutes(5);
            var waiting = db.Set<OutboundAction>().IgnoreQueryFilters()
                .Where(a => a.WorkspaceId == ws && a.Status == ActionStatus.Queued && a.CreatedAt >= recent);
            if (owner._namedWorkspaces.Contains(ws))
            {
                var known = owner._named.Where(n => n.Value.Workspace == ws).Select(n => n.Key).ToList();
                var still = known.Count == 0 ? [] : await waiting.Where(a => known.Contains(a.Id)).ToListAsync(ct);
                _waiting = still.GroupBy(a => a.CommunityId).ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.CreatedAt).First());
                foreach (var (community, pending) in _waiting)
                    _named[community] = [.. owner._named[pending.Id].Removed];
                return;
            }
            var all = await waiting.Where(a => a.IdempotencyKey.StartsWith(AnnouncementKeyPrefix)).ToListAsync(ct);
            _waiting = all.GroupBy(a => a.CommunityId).ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.CreatedAt).First());
            owner._namedWorkspaces.Add(ws);
            if (_waiting.Count == 0)
                return;
            var groups = _waiting.Keys.ToList();
            var since = _waiting.Values.Min(a => a.CausedByEventSeq ?? long.MaxValue);
            var rows = await db.Set<ModerationCase>().IgnoreQueryFilters().AsNoTracking()
                .Where(c => c.WorkspaceId == ws && groups.Contains(c.CommunityId) && c.Decision == CaseDecision.Act && c.EventSeq >= since
                    && (c.Action == LadderAction.Remove || c.Action == LadderAction.Blacklist))
                .OrderBy(c => c.EventSeq).Select(c => new { c.CommunityId, c.EventSeq, c.UserName, c.UserId, c.Rule }).ToListAsync(ct);
            foreach (var pending in _waiting.Values)
            {
                _named[pending.CommunityId] = [.. rows.Where(r => r.CommunityId == pending.CommunityId && r.EventSeq >= (pending.CausedByEventSeq ?? long.MaxValue))
                    .Select(r => new Removal(r.UserName ?? r.UserId ?? "", r.Rule))];
                owner._named[pending.Id] = (ws, pending.CreatedAt, [.. _named[pending.CommunityId]]);
            }
        }

        private async Task LoadSendersAsync(List<CommunityEvent> events, CancellationToken ct)
        {
            var missing = new List<string>();
            foreach (var e in events)
            {
                if (e.UserId is null || _senders.ContainsKey((e.Platform, e.UserId)))
                    continue;
                if (effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId), out var id))
                    _senders[(e.Platform, e.UserId)] = new Sender(id);
                else
                    missing.Add(e.UserId);
            }
            if (missing.Count > 0)
            {
                var rows = await db.Set<MemberIdentity>().IgnoreQueryFilters().AsNoTracking()
                    .Where(i => i.WorkspaceId == ws && missing.Contains(i.UserId)).Select(i => new { i.Platform, i.UserId, i.MemberId }).ToListAsync(ct);
                foreach (var r in rows)
                    _senders.TryAdd((r.Platform, r.UserId), new Sender(r.MemberId));
            }
        }

        private async Task LoadKocsAsync(IEnumerable<CommunityEvent> events, CancellationToken ct)
        {
            var members = events.Where(e => e.UserId is not null && _senders.ContainsKey((e.Platform, e.UserId)))
                .Select(e => _senders[(e.Platform, e.UserId!)].MemberId).Distinct().ToList();
            if (members.Count == 0)
                return;
            _kocs.UnionWith(await db.Members.IgnoreQueryFilters().AsNoTracking()
                .Where(m => m.WorkspaceId == ws && m.Layer == MemberLayer.Koc && members.Contains(m.Id)).Select(m => m.Id).ToListAsync(ct));
        }

        private async Task LoadBlacklistAsync(List<CommunityEvent> events, CancellationToken ct)
        {
            var users = events.Where(e => e.UserId is not null && e.Kind is EventKind.MemberJoined or EventKind.JoinRequested)
                .Select(e => e.UserId!).Distinct().ToList();
            if (users.Count == 0)
                return;
            var rows = await db.Set<BlacklistEntry>().IgnoreQueryFilters().AsNoTracking()
                .Where(b => b.WorkspaceId == ws && users.Contains(b.UserId)).Select(b => new { b.Platform, b.UserId }).ToListAsync(ct);
            foreach (var r in rows)
                _blacklisted.Add((r.Platform, r.UserId));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Enforcement windows primed with {Count} posts from the log ({From}, {Through}]")]
    private static partial void LogPrimed(ILogger logger, int count, long from, long through);
}
