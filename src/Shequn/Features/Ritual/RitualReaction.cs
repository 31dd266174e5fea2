using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Scripts;
using Shequn.Features.Tasks;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Ritual;

/// <summary>Section <c>Ritual</c>.</summary>
public sealed class RitualOptions
{
    /// <summary>Off: nobody is greeted anywhere (tests of other features join people freely).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A nickname fixed this long after joining is no longer thanked (its reminder is long gone).</summary>
    public TimeSpan FollowUpFor { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>
/// The joining ritual (入群仪式, seed 001 §4), a reaction of the event processor: runs inside the transaction that moves
/// the checkpoint, so what it writes happens once across crashes and nodes. On a join (not staff, not hours late: see
/// <see cref="EnforcementOptions.LateAfter"/>) in a community whose ritual is on:
/// <list type="bullet">
/// <item>greeting: the welcome and the self-introduction prompt as one message. A join while the community's greeting
/// is still queued and not yet due (key prefix <see cref="WelcomeKeyPrefix"/>) adds the newcomer's name to it; else a
/// new one is queued, due at the join plus the burst window. Who a greeting names is kept in <see cref="RitualNewcomer"/>
/// rows; the payload is changed only while the action is still queued (a conditional UPDATE), so a dispatcher that
/// claimed it in between makes this join start a new greeting instead.</item>
/// <item>nickname: when the community's rule set has a format and the nickname does not follow it, a reminder due after
/// the configured delay (<c>event:{seq}:ritual:0</c>). A later NicknameChanged that follows the format deletes the
/// reminder if it is still queued and queues a thank-you (<c>event:{seq}:ritual:2</c>), also when the reminder went out. A newcomer who
/// leaves first is not reminded. Joins the group rules turned away in the same batch (blacklist) are not greeted.</item>
/// <item>a staff task to introduce and praise the newcomer (<c>event:{seq}:ritual:1</c>: an action in status task with
/// its <see cref="StaffTask"/>, routed like any send).</item>
/// </list>
/// Every message due inside the community's quiet hours is held until they end (<see cref="OutboundAction.NextAttemptAt"/>).
/// </summary>
public sealed class RitualReaction(
    RuleSetDirectory ruleSets,
    WorkspaceZones zones,
    JsonStringLocalizerFactory strings,
    TimeProvider time,
    IOptions<RitualOptions> options,
    IOptions<EnforcementOptions> enforcement,
    TaskOpener opener,
    Profiles.ProfileLinks? profileLinks = null) : IBatchReaction
{
    public const string ReactionName = "ritual";
    public const string WelcomeKeyPrefix = "ritual:welcome:";
    public const int ReminderStep = 0;
    public const int IntroduceStep = 1;
    public const int ThanksStep = 2;

    private RitualOptions Options => options.Value;

    private TaskOpener Opener => opener;

    private Profiles.ProfileLinks? ProfileLinks => profileLinks;

    public static string Key(long seq, int step) => $"event:{seq}:{ReactionName}:{step}";

    /// <summary>
    /// Per community, the welcome this node last wrote or extended: whom it names first and how many, up to which newcomer.
    /// Trusted only while the community's latest greeted newcomer in the database is still that one under that welcome
    /// (another node's batch, a rolled-back batch or a restart make the batch read them again), so a burst growing over
    /// many batches is not re-read and re-counted at each one.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Greeted> _greeted = new();

    private sealed record Greeted(Guid WelcomeId, long LastSeq, long FirstSeq, IReadOnlyList<string> Names, int Count);

    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        if (!options.Value.Enabled || events.Count == 0)
            return 0;
        var now = time.GetUtcNow().UtcDateTime;
        var lateAfter = enforcement.Value.LateAfter;
        var relevant = events.Where(e => e.Kind is EventKind.MemberJoined or EventKind.NicknameChanged or EventKind.MemberLeft or EventKind.MemberRemoved && e.UserId is not null && !e.FromStaff
                && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }
                // A join hours ago (a backlog, an import, the demo's history) is history: nobody is greeted now.
                && now - DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc) <= lateAfter)
            .ToList();
        if (relevant.Count == 0)
            return 0;
        // Joins turned away in this batch (a blacklisted person removed on arrival) are not greeted: the group rules say so
        // in the effects; other reactions' actions are tracked by this context.
        var turnedAway = db.ChangeTracker.Entries<OutboundAction>()
            .Where(a => a.State is EntityState.Added or EntityState.Unchanged && a.Entity.CausedByEventSeq is not null && a.Entity.Kind is ActionKind.Remove or ActionKind.Ban or ActionKind.DeclineJoin)
            .Select(a => a.Entity.CausedByEventSeq!.Value).ToHashSet();
        turnedAway.UnionWith(effects.TurnedAway);
        relevant.RemoveAll(e => e.Kind == EventKind.MemberJoined && turnedAway.Contains(e.Seq));
        if (relevant.Count == 0)
            return 0;
        // Nothing is saved here: the processor's save writes this reaction's rows with the batch (every row carries its
        // workspace). What it reads back is from earlier batches (saved), this batch's own rows it keeps in hand, and the
        // newcomers' members come from the effects.
        var added = 0;
        foreach (var group in relevant.GroupBy(e => e.WorkspaceId))
        {
            using var acting = db.Current.ActAsSystemWhile(group.Key);
            var words = RitualWords.For(strings, await WorkspaceSettings.LanguageAsync(db, group.Key, ct));
            var batch = new RitualBatch(this, db, group.Key, now, await ruleSets.GetAsync(db, group.Key, ct), await zones.GetAsync(group.Key, ct), words);
            added += await batch.RunAsync([.. group], effects, ct);
        }
        return added;
    }

    /// <summary>One workspace's part of a batch.</summary>
    private sealed class RitualBatch(RitualReaction owner, AppDbContext db, Guid ws, DateTime now, WorkspaceRuleSets sets, TimeZoneInfo zone, RitualWords words)
    {
        // The built-in texts in the workspace's language (what its members read).
        private readonly RitualWords _words = words;
        private readonly TaskBatch _tasks = new();
        private readonly List<RitualNewcomer> _newcomers = [];
        private readonly Dictionary<Guid, OutboundAction> _reminders = [];
        private Dictionary<Guid, string?> _owners = [];
        private readonly Dictionary<Guid, Guid> _waitingWelcome = [];
        private readonly Dictionary<Guid, long> _latestGreeted = [];
        private readonly Dictionary<Guid, int> _uses = [];
        private readonly List<(Community Community, RitualSettings Settings, List<RitualNewcomer> Newcomers, Burst Burst)> _introductions = [];
        private Dictionary<Guid, RitualLibrary> _library = [];
        private int _added;

        private EventEffects _effects = null!;

        public async Task<int> RunAsync(List<CommunityEvent> events, EventEffects effects, CancellationToken ct)
        {
            _effects = effects;
            var ids = events.Select(e => effects.CommunityOf[e.Seq]!.Id).Distinct().ToList();
            var saved = await db.Set<RitualSettings>().AsNoTracking()
                .Where(s => s.WorkspaceId == ws && ids.Contains(s.CommunityId)).ToDictionaryAsync(s => s.CommunityId, ct);
            _library = await RitualLibrary.ForCommunitiesAsync(db, ws, ids, ct);
            await WaitingWelcomesAsync(ids, ct);
            _owners = await RitualEditor.OwnerNamesAsync(db, ws, ids, ct);
            foreach (var byCommunity in events.GroupBy(e => effects.CommunityOf[e.Seq]!.Id))
            {
                var community = effects.CommunityOf[byCommunity.First().Seq]!;
                var s = saved.GetValueOrDefault(community.Id) ?? RitualSettings.Defaults(ws, community.Id);
                if (!s.Enabled)
                    continue;
                var format = s.NicknameCheckEnabled ? RitualEditor.UsableFormat(sets.For(community).NicknameFormat) : null;
                var greet = new List<RitualNewcomer>();
                foreach (var e in byCommunity.OrderBy(e => e.Seq))
                {
                    if (e.Kind == EventKind.MemberJoined)
                        greet.Add(await JoinAsync(e, community, s, format, ct));
                    else if (e.Kind == EventKind.NicknameChanged)
                        await NicknameChangedAsync(e, community, s, format, ct);
                    else
                        await LeftAsync(e, community, ct);
                }
                if (greet.Count == 0)
                    continue;
                var burst = new Burst(greet[0].EventSeq, [.. greet.Select(n => n.Nickname ?? n.UserId)], greet.Count);
                if (s.WelcomeEnabled || s.SelfIntroEnabled)
                    burst = await GreetAsync(community, s, greet, ct);
                if (s.IntroduceTaskEnabled)
                    _introductions.Add((community, s, greet, burst));
            }
            await IntroduceAsync(ct);
            await ScriptLibrary.CountUsesAsync(db, ws, _uses, ct);
            // The batch's newcomers, final now (their welcome, reminder, fixed nickname), go straight into the batch's
            // transaction untracked; nothing later in the batch reads them through the context.
            await SetInserts.InsertAsync(db, _newcomers, ct);
            return _added;
        }

        private RitualLibrary Library(Guid community) => _library.GetValueOrDefault(community) ?? RitualLibrary.None;

        /// <summary>
        /// For the batch's communities at once, the welcome still waiting to go out, if any: the one that named the
        /// community's latest greeted newcomer (one indexed look-up a community, in one statement), while still queued
        /// and not yet due.
        /// </summary>
        private async Task WaitingWelcomesAsync(List<Guid> ids, CancellationToken ct)
        {
            var latest = await db.Communities.IgnoreQueryFilters().Where(c => c.WorkspaceId == ws && ids.Contains(c.Id))
                .Select(c => new
                {
                    c.Id,
                    Welcome = db.Set<RitualNewcomer>().Where(n => n.CommunityId == c.Id && n.WorkspaceId == ws && n.WelcomeActionId != null)
                        .OrderByDescending(n => n.EventSeq).Select(n => n.WelcomeActionId).FirstOrDefault(),
                    Seq = db.Set<RitualNewcomer>().Where(n => n.CommunityId == c.Id && n.WorkspaceId == ws && n.WelcomeActionId != null)
                        .OrderByDescending(n => n.EventSeq).Select(n => (long?)n.EventSeq).FirstOrDefault(),
                })
                .Where(x => x.Welcome != null).ToListAsync(ct);
            var welcomeIds = latest.Select(x => x.Welcome!.Value).ToList();
            var waiting = welcomeIds.Count == 0 ? [] : await db.Set<OutboundAction>().IgnoreQueryFilters()
                .Where(a => a.WorkspaceId == ws && welcomeIds.Contains(a.Id) && a.Status == ActionStatus.Queued && a.NextAttemptAt > now)
                .Select(a => a.Id).ToHashSetAsync(ct);
            foreach (var x in latest)
            {
                if (waiting.Contains(x.Welcome!.Value))
                    _waitingWelcome[x.Id] = x.Welcome.Value;
                _latestGreeted[x.Id] = x.Seq ?? 0;
            }
        }

        private DateTime Hold(DateTime due, RitualSettings s) => QuietHours.Hold(due < now ? now : due, zone, s);

        private RitualValues Values(Community community, string names, string? format, string? profileLink = null) =>
            Library(community.Id).Fill(new RitualValues(names, community.Name, community.Rules, community.Intro, _owners.GetValueOrDefault(community.Id), profileLink, format));

        /// <summary>Whether the greeting's texts use {profile_link} (and profiles are on).</summary>
        private bool UsesProfileLinks(RitualSettings s) =>
            owner.ProfileLinks is not null
            && Profiles.RitualProfileLinks.Uses(s.WelcomeEnabled ? _words.Welcome(s, Library(s.CommunityId)) : null, s.SelfIntroEnabled ? _words.SelfIntro(s) : null);

        /// <summary>{profile_link}: one form link per newcomer, when the greeting's texts use it.</summary>
        private async Task<(string? Text, List<Profiles.ProfileLink> Links)> ProfileLinksAsync(
            RitualSettings s, IEnumerable<(ChatPlatform, string, string)> newcomers, CancellationToken ct) =>
            UsesProfileLinks(s)
                ? await Profiles.RitualProfileLinks.MakeAsync(owner.ProfileLinks!, db, ws, [.. newcomers], now, _effects.MemberOf, ct)
                : (null, []);

        private static string NameOf(CommunityEvent e) => string.IsNullOrWhiteSpace(e.UserName) ? e.UserId! : e.UserName.Trim();

        private async Task<RitualNewcomer> JoinAsync(CommunityEvent e, Community community, RitualSettings s, string? format, CancellationToken ct)
        {
            var newcomer = new RitualNewcomer
            {
                WorkspaceId = ws,
                CommunityId = community.Id,
                EventSeq = e.Seq,
                Platform = e.Platform,
                UserId = EventEffects.Clip(e.UserId, 128)!,
                Nickname = EventEffects.Clip(NameOf(e), 100),
                JoinedAt = e.OccurredAt,
                CreatedAt = now,
            };
            _newcomers.Add(newcomer);

            if (format is not null && !NicknameFormat.Matches(format, e.UserName))
            {
                var text = RitualWords.Render(_words.Reminder(s), Values(community, NameOf(e), format));
                var reminder = Send(community, text, Key(e.Seq, ReminderStep), e.Seq, Hold(e.OccurredAt + TimeSpan.FromMinutes(s.NicknameReminderMinutes), s));
                newcomer.ReminderActionId = reminder.Id;
                _reminders[reminder.Id] = reminder;
            }
            return newcomer;
        }

        /// <summary>The newcomer who joined last under this user id and still has a nickname reminder, from this batch or the log.</summary>
        private async Task<RitualNewcomer?> ReminderOfAsync(CommunityEvent e, Community community, CancellationToken ct)
        {
            var newcomer = _newcomers.LastOrDefault(n => n.CommunityId == community.Id && n.Platform == e.Platform && n.UserId == e.UserId
                && n.ReminderActionId is not null && n.NicknameFixedAt is null);
            if (newcomer is not null)
                return newcomer;
            var since = now - owner.Options.FollowUpFor;
            return await db.Set<RitualNewcomer>()
                .Where(n => n.WorkspaceId == ws && n.CommunityId == community.Id && n.Platform == e.Platform && n.UserId == e.UserId
                    && n.ReminderActionId != null && n.NicknameFixedAt == null && n.JoinedAt >= since)
                .OrderByDescending(n => n.JoinedAt).FirstOrDefaultAsync(ct);
        }

        /// <summary>
        /// Withdraws a reminder that has not gone out: one made in this batch is dropped (it never existed outside it); one
        /// still queued is marked <see cref="ActionStatus.Cancelled"/> with the reason, so the outbox shows what happened to
        /// it. False when it went out already.
        /// </summary>
        private async Task<bool> CancelAsync(Guid reminderId, Reason why, CancellationToken ct)
        {
            if (_reminders.Remove(reminderId, out var unsaved))
            {
                db.Set<OutboundAction>().Remove(unsaved);
                _added--;
                return true;
            }
            var reason = ActionError.Store(why);
            // Only while queued: a dispatcher that already claimed it (row lock on PostgreSQL, one writer on SQLite) wins.
            return await db.Set<OutboundAction>().IgnoreQueryFilters()
                .Where(a => a.Id == reminderId && a.WorkspaceId == ws && a.Status == ActionStatus.Queued)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, ActionStatus.Cancelled).SetProperty(a => a.CompletedAt, now)
                    .SetProperty(a => a.UpdatedAt, now).SetProperty(a => a.Error, why.English).SetProperty(a => a.ErrorReason, reason), ct) > 0;
        }

        /// <summary>A newcomer who left (or was removed) before the reminder went out is not reminded, nor thanked later.</summary>
        private async Task LeftAsync(CommunityEvent e, Community community, CancellationToken ct)
        {
            if (await ReminderOfAsync(e, community, ct) is not { } newcomer)
                return;
            await CancelAsync(newcomer.ReminderActionId!.Value, new Reason("Ritual.Cancelled.Left", "The newcomer left before the reminder went out."), ct);
            newcomer.ReminderActionId = null;
        }

        /// <summary>
        /// A nickname that now follows the format: the newcomer's reminder is deleted while still queued (it never went
        /// out), and a thank-you is queued either way.
        /// </summary>
        private async Task NicknameChangedAsync(CommunityEvent e, Community community, RitualSettings s, string? format, CancellationToken ct)
        {
            if (format is null || !NicknameFormat.Matches(format, e.UserName))
                return;
            if (await ReminderOfAsync(e, community, ct) is not { } newcomer)
                return;
            newcomer.NicknameFixedAt = e.OccurredAt;
            await CancelAsync(newcomer.ReminderActionId!.Value, new Reason("Ritual.Cancelled.NicknameFixed", "The newcomer fixed their nickname before the reminder went out."), ct);
            var text = RitualWords.Render(_words.Thanks(s), Values(community, NameOf(e), format));
            Send(community, text, Key(e.Seq, ThanksStep), e.Seq, Hold(e.OccurredAt, s));
        }

        /// <summary>The newcomers one greeting names: the first one's event, the first names, how many in all.</summary>
        private sealed record Burst(long FirstSeq, IReadOnlyList<string> Names, int Total);

        /// <summary>One greeting per burst: join the community's greeting still waiting, else start one. Returns the burst greeted.</summary>
        private async Task<Burst> GreetAsync(Community community, RitualSettings s, List<RitualNewcomer> newcomers, CancellationToken ct)
        {
            var batch = new Burst(newcomers[0].EventSeq, [.. newcomers.Select(n => n.Nickname ?? n.UserId)], newcomers.Count);
            var prefix = $"{WelcomeKeyPrefix}{community.Id:N}:";
            owner._greeted.TryRemove(community.Id, out var greeted);
            if (_waitingWelcome.TryGetValue(community.Id, out var id))
            {
                var everyone = UsesProfileLinks(s);
                Burst burst;
                List<RitualNewcomer> earlier = [];
                if (!everyone && greeted is not null && greeted.WelcomeId == id && greeted.LastSeq == _latestGreeted.GetValueOrDefault(community.Id))
                    burst = new Burst(greeted.FirstSeq, [.. greeted.Names.Concat(batch.Names)], greeted.Count + batch.Total);
                else
                {
                    // A welcome names its first newcomers and how many in all; the form links need every one of them.
                    var newcomersOf = db.Set<RitualNewcomer>().AsNoTracking().Where(n => n.WorkspaceId == ws && n.WelcomeActionId == id).OrderBy(n => n.EventSeq);
                    earlier = await (everyone ? newcomersOf : newcomersOf.Take(RitualWords.NamedAtMost)).ToListAsync(ct);
                    var earlierCount = everyone || earlier.Count < RitualWords.NamedAtMost ? earlier.Count : await newcomersOf.CountAsync(ct);
                    burst = new Burst(earlier.Count > 0 ? earlier[0].EventSeq : batch.FirstSeq,
                        [.. earlier.Take(RitualWords.NamedAtMost).Select(n => n.Nickname ?? n.UserId).Concat(batch.Names)], earlierCount + batch.Total);
                }
                var links = await ProfileLinksAsync(s, earlier.Concat(newcomers).Select(n => (n.Platform, n.UserId, n.Nickname ?? n.UserId)), ct);
                var text = Greeting(community, s, burst.Names, burst.Total, links.Text);
                if (text is null)
                    return burst;
                var payload = new ActionPayload(Text: text).ToJson();
                var changed = await db.Set<OutboundAction>().IgnoreQueryFilters()
                    .Where(a => a.Id == id && a.WorkspaceId == ws && a.Status == ActionStatus.Queued)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.Payload, payload).SetProperty(a => a.UpdatedAt, now), ct);
                if (changed == 1)
                {
                    foreach (var n in newcomers)
                        n.WelcomeActionId = id;
                    if (everyone)
                        await Profiles.RitualProfileLinks.AttachAsync(db, ws, links.Links, id, ct);
                    Remember(community, id, newcomers, burst);
                    return burst;
                }
                Profiles.RitualProfileLinks.Discard(db, links.Links);
            }
            var made = await ProfileLinksAsync(s, newcomers.Select(n => (n.Platform, n.UserId, n.Nickname ?? n.UserId)), ct);
            var greeting = Greeting(community, s, batch.Names, batch.Total, made.Text);
            if (greeting is null)
                return batch;
            var first = newcomers[0];
            var action = Send(community, greeting, $"{prefix}{first.EventSeq}", first.EventSeq, Hold(first.JoinedAt + TimeSpan.FromSeconds(s.BurstSeconds), s));
            // A welcome in the library's words is a use of the welcome script (counted once per welcome, not per newcomer).
            if (s.WelcomeEnabled && string.IsNullOrWhiteSpace(s.WelcomeText) && Library(community.Id).WelcomeScriptId is { } script)
                _uses[script] = _uses.GetValueOrDefault(script) + 1;
            foreach (var n in newcomers)
                n.WelcomeActionId = action.Id;
            foreach (var link in made.Links)
                link.WelcomeActionId = action.Id;
            Remember(community, action.Id, newcomers, batch);
            return batch;
        }

        private void Remember(Community community, Guid welcome, List<RitualNewcomer> newcomers, Burst burst) =>
            owner._greeted[community.Id] = new Greeted(welcome, newcomers[^1].EventSeq, burst.FirstSeq, [.. burst.Names.Take(RitualWords.NamedAtMost)], burst.Total);

        private string? Greeting(Community community, RitualSettings s, IEnumerable<string> names, int total, string? profileLink = null) =>
            EventEffects.Clip(_words.Greeting(s, Values(community, _words.Names(names, total), null, profileLink), Library(community.Id)), OutboundAction.TextMaxLength);

        private OutboundAction Send(Community community, string text, string key, long seq, DateTime due)
        {
            var action = OutboundAction.Create(ws, community.Id, ActionKind.Send, new ActionPayload(Text: EventEffects.Clip(text, OutboundAction.TextMaxLength)), key);
            action.CausedByEventSeq = seq;
            action.NextAttemptAt = due;
            action.CreatedAt = now;
            action.UpdatedAt = now;
            db.Set<OutboundAction>().Add(action);
            _added++;
            return action;
        }

        /// <summary>
        /// The staff task to introduce and praise the newcomers: an action already in status task (the platform is not
        /// asked) with its <see cref="StaffTask"/>, routed as a send is (operators first) and worded in the assignee's
        /// language. One per burst, like the greeting: while the burst's task (keyed by its first newcomer's join) is still
        /// open it is rewritten to name the later ones too; once staff closed it, later newcomers get a task of their own.
        /// </summary>
        private async Task IntroduceAsync(CancellationToken ct)
        {
            (string Text, Func<TaskWords, (string, string?)> Write) Write(Community community, RitualSettings s, IEnumerable<string> named, int total)
            {
                var names = _words.Names(named, total);
                var text = EventEffects.Clip(RitualWords.Render(_words.Introduce(s), Values(community, names, null)), OutboundAction.TextMaxLength)!;
                return (text, w => (text, w["Ritual.TaskContext", names, community.Name]));
            }

            // Bursts that began in an earlier batch: their open tasks are rewritten together.
            var growing = _introductions.Where(i => i.Burst.FirstSeq != i.Newcomers[0].EventSeq).ToList();
            var amended = await owner.Opener.AmendAsync(db, ws,
                [.. growing.Select(i => (Key(i.Burst.FirstSeq, IntroduceStep), Write(i.Community, i.Settings, i.Burst.Names, i.Burst.Total).Write))], ct);
            foreach (var (community, s, newcomers, burst) in _introductions)
            {
                if (amended.Contains(Key(burst.FirstSeq, IntroduceStep)))
                    continue;
                var first = newcomers[0].EventSeq;
                var (text, write) = Write(community, s, newcomers.Select(n => n.Nickname ?? n.UserId), newcomers.Count);
                await owner.Opener.AskAsync(db, _tasks, ws, community.Id, ActionKind.Send, new ActionPayload(Text: text), Key(first, IntroduceStep), first, now, Hold(now, s), write, ct);
            }
        }
    }
}
