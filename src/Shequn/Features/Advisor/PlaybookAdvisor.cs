using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Budget;
using Shequn.Features.Calendar;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Responses;
using Shequn.Features.Ritual;
using Shequn.Features.Staff;
using Shequn.Features.Vip;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Advisor;

/// <summary>
/// Reads the stored figures against the seeds' playbook and says what to do (issue 15, product.md §3.8). Every rule reads
/// counters, memberships, questions, posts, campaigns and costs with grouped queries, never the raw messages, so a run
/// over a whole workspace stays within the benchmark's 2 s. The owner's run covers the workspace; everyone else's covers
/// the communities they are assigned to. Money rules follow the budget's roles (ROI: the owner only).
/// </summary>
public sealed class PlaybookAdvisor(AppDbContext db, TimeSpan responseTarget)
{
    // The playbook's fixed numbers (seeds 000 A/E, 001, 004); the ones a workspace sets are in AdvisorThresholds.
    // Changing one changes what the advisor says, not the data.
    public const int CoreMembersShown = 10;
    public const int ContentWindowDays = 7;
    public const int CommercialRunDays = PlaybookLint.CommercialRun;
    public static readonly TimeSpan UnansweredAfter = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan UnansweredWithin = TimeSpan.FromDays(3);
    public const int NicknameBreakersMin = 3;
    public const int ResponseWindowDays = 7;
    public const int ResponseAnswersMin = 5;
    public const int ChannelRetainedWeeks = 4;
    public const int ChannelWindowDays = 90;

    /// <summary>The workspace's thresholds, read at the start of a run.</summary>
    private AdvisorThresholds _limits = AdvisorThresholds.Default;

    /// <summary>Who may dismiss advice and take its actions: those who run communities; operators and KOCs read.</summary>
    public static bool MayAct(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;

    public static bool MayRead(StaffProfile? me) => me is not null;

    private sealed record Scope(StaffProfile Me, Dictionary<Guid, CommunityRow> Communities)
    {
        public bool All => Me.SeesAllCommunities;
        public List<Guid> Ids => [.. Communities.Keys];
    }

    private sealed record CommunityRow(Guid Id, string Name, CommunityState State, DateTime CreatedAt, Guid? RuleSetId, string? NicknameFormatChecked);

    /// <summary>Every advice for <paramref name="me"/> at <paramref name="now"/>, dismissed ones marked (and left out unless asked for).</summary>
    public async Task<IReadOnlyList<Advice>> RunAsync(StaffProfile? me, TimeZoneInfo zone, DateTime now, bool includeDismissed, CancellationToken ct,
        IDictionary<string, TimeSpan>? timings = null)
    {
        if (!MayRead(me))
            return [];
        _limits = await AdvisorThresholds.ReadAsync(db, ct);
        var communities = await db.Visible(me).AsNoTracking()
            .Select(c => new CommunityRow(c.Id, c.Name, c.State, c.CreatedAt, c.RuleSetId, c.NicknameFormatChecked)).ToListAsync(ct);
        var scope = new Scope(me!, communities.ToDictionary(c => c.Id));
        var today = DailyFigures.DayOf(now, zone);

        // Each rule's time goes to timings when asked for (the benchmark reports them).
        async Task<IEnumerable<Advice>> Timed(AdviceRule rule, Func<Task<IEnumerable<Advice>>> run)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var advice = await run();
            timings?.Add(rule.ToString(), System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return advice;
        }

        var found = new List<Advice>();
        found.AddRange(await Timed(AdviceRule.Oversized, () => OversizedAsync(scope, ct)));
        found.AddRange(await Timed(AdviceRule.SubOwnerOverloaded, () => SubOwnersAsync(scope, ct)));
        var silent = (await Timed(AdviceRule.Silent, async () => await SilentAsync(scope, today, now, ct))).ToList();
        found.AddRange(silent);
        found.AddRange(await Timed(AdviceRule.NoContent, () => ContentAsync(scope, [.. silent.Select(s => Guid.Parse(s.SubjectId))], zone, today, now, ct)));
        found.AddRange(await Timed(AdviceRule.Unanswered, () => UnansweredAsync(scope, now, ct)));
        found.AddRange(await Timed(AdviceRule.VipCandidates, () => VipAsync(scope, now, ct)));
        found.AddRange(await Timed(AdviceRule.Nicknames, () => NicknamesAsync(scope, ct)));
        found.AddRange(await Timed(AdviceRule.ResponseRateDropped, () => ResponseRatesAsync(scope, zone, today, ct)));
        found.AddRange(await Timed(AdviceRule.CampaignBehind, () => CampaignsAsync(scope, now, ct)));
        found.AddRange(await Timed(AdviceRule.ChannelCostly, () => ChannelsAsync(scope, zone, today, ct)));
        found.AddRange(await Timed(AdviceRule.BudgetOverrun, () => BudgetAsync(scope, zone, today, ct)));

        var dismissals = await db.Set<AdviceDismissal>().AsNoTracking()
            .Select(d => new { d.Rule, d.SubjectId, d.Fingerprint }).ToListAsync(ct);
        var hidden = dismissals.Select(d => (d.Rule, d.SubjectId, d.Fingerprint)).ToHashSet();
        var result = found.Select(a => hidden.Contains((a.Rule, a.SubjectId, a.Fingerprint)) ? a with { Dismissed = true } : a)
            .Where(a => includeDismissed || !a.Dismissed)
            .OrderByDescending(a => a.Severity).ThenBy(a => a.Rule).ThenBy(a => a.SubjectName, StringComparer.Ordinal).ToList();
        return result;
    }

    /// <summary>Counts in buckets (1, 2, 3–4, 5–9, 10–19, 20–49, …) so that one more or one fewer does not bring a dismissed advice back.</summary>
    public static string Bucket(long n)
    {
        if (n <= 2)
            return n.ToString(CultureInfo.InvariantCulture);
        if (n <= 4)
            return "3-4";
        if (n <= 9)
            return "5-9";
        if (n <= 19)
            return "10-19";
        if (n <= 49)
            return "20-49";
        long low = 50;
        while (n >= low * 2)
            low *= 2;
        return FormattableString.Invariant($"{low}-{low * 2 - 1}");
    }

    private static string Id(Guid id) => id.ToString("D");

    private static AdviceNumber N(string name, long value) => new(name, value);

    private static long Yuan(long fen) => (long)Math.Round(fen / 100m, MidpointRounding.AwayFromZero);

    private static bool IsActive(CommunityRow c) => c.State == CommunityState.Active;

    // --- 1. over 350 members -------------------------------------------------------------------------------------

    private async Task<IEnumerable<Advice>> OversizedAsync(Scope scope, CancellationToken ct)
    {
        var (ids, maxMembers) = (scope.Ids, _limits.MaxMembers);
        var memberships = db.Memberships.AsNoTracking().Where(m => m.LeftAt == null);
        if (!scope.All)
            memberships = memberships.Where(m => ids.Contains(m.CommunityId));
        var big = await memberships.GroupBy(m => m.CommunityId).Select(g => new { Id = g.Key, Count = g.Count() })
            .Where(x => x.Count > maxMembers).ToListAsync(ct);
        big = [.. big.Where(b => scope.Communities.TryGetValue(b.Id, out var c) && IsActive(c))];
        if (big.Count == 0)
            return [];
        var bigIds = big.Select(b => b.Id).ToList();
        var routed = await db.Set<LiveCodeRoute>().AsNoTracking()
            .Where(r => bigIds.Contains(r.CommunityId) && db.Set<LiveCode>().Any(l => l.Id == r.LiveCodeId && l.State == LiveCodeState.Active))
            .GroupBy(r => r.CommunityId).Select(g => new { Id = g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);
        return big.Select(b =>
        {
            var c = scope.Communities[b.Id];
            var routes = routed.GetValueOrDefault(b.Id);
            // Members in steps of 50: a few joins or leaves are not new facts; reaching 400 is.
            var fingerprint = FormattableString.Invariant($"members:{b.Count / 50 * 50};routed:{routes > 0}");
            return new Advice(AdviceRule.Oversized, AdviceSeverity.Warning, AdviceSubject.Community, Id(c.Id), c.Name,
                new Reason(routes > 0 ? "Advisor.Oversized.ReasonRouted" : "Advisor.Oversized.Reason",
                    routes > 0
                        ? $"{c.Name} has {b.Count} members, over the {_limits.MaxMembers} a group should hold, and {routes} live code(s) still send newcomers to it: split it or stop routing to it."
                        : $"{c.Name} has {b.Count} members, over the {_limits.MaxMembers} a group should hold (150–200 is best): split it.",
                    c.Name, b.Count, _limits.MaxMembers, routes),
                [N("Members", b.Count), N("Limit", _limits.MaxMembers), N("LiveCodeRoutes", routes)], fingerprint,
                routes > 0 ? [AdviceAction.StopRouting, AdviceAction.OpenLiveCodes, AdviceAction.OpenCommunity] : [AdviceAction.OpenCommunity], $"/communities/{c.Id}");
        });
    }

    // --- 2. sub-owners with more than 4 communities --------------------------------------------------------------

    private async Task<IEnumerable<Advice>> SubOwnersAsync(Scope scope, CancellationToken ct)
    {
        var (ws, most) = (db.CurrentWorkspaceId, _limits.MaxSubOwnerCommunities);
        var loads = await db.CommunityStaff.AsNoTracking().Where(s => s.Role == CommunityRole.SubOwner)
            .GroupBy(s => s.StaffUserId).Select(g => new { Id = g.Key, Count = g.Count() })
            .Where(x => x.Count > most).ToListAsync(ct);
        // Staffing is the owner's call; a sub-owner sees only her own load.
        loads = [.. loads.Where(l => scope.All || l.Id == scope.Me.Id)];
        if (loads.Count == 0)
            return [];
        var ids = loads.Select(l => l.Id).ToList();
        var names = await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && u.IsActive && ids.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        return loads.Where(l => names.ContainsKey(l.Id)).Select(l => new Advice(AdviceRule.SubOwnerOverloaded, AdviceSeverity.Warning, AdviceSubject.Staff,
            Id(l.Id), names[l.Id],
            new Reason("Advisor.SubOwnerOverloaded.Reason",
                $"{names[l.Id]} is sub-owner of {l.Count} communities; over the {_limits.MaxSubOwnerCommunities} one should run (seed 004: 2–4): hand some to another sub-owner.",
                names[l.Id], l.Count, _limits.MaxSubOwnerCommunities),
            [N("Communities", l.Count), N("Limit", _limits.MaxSubOwnerCommunities)], FormattableString.Invariant($"communities:{l.Count}"),
            [AdviceAction.OpenStaff], "/staff"));
    }

    // --- 3. silent for 30 days (断舍离) ----------------------------------------------------------------------------

    private async Task<List<Advice>> SilentAsync(Scope scope, DateOnly today, DateTime now, CancellationToken ct)
    {
        var since = today.AddDays(-(_limits.SilentDays - 1));
        var createdBefore = now.AddDays(-_limits.SilentDays);
        var candidates = scope.Communities.Values.Where(c => IsActive(c) && c.CreatedAt <= createdBefore).Select(c => c.Id).ToList();
        if (candidates.Count == 0)
            return [];
        // Members' messages only: staff talking to themselves do not keep a group alive.
        var recent = db.Set<CommunityDailyFigure>().AsNoTracking().Where(f => f.Day >= since && f.Messages > f.StaffMessages);
        if (!scope.All)
            recent = recent.Where(f => candidates.Contains(f.CommunityId));
        var alive = (await recent.Select(f => f.CommunityId).Distinct().ToListAsync(ct)).ToHashSet();
        var silent = candidates.Where(id => !alive.Contains(id)).ToList();
        if (silent.Count == 0)
            return [];
        var lastSpoke = await db.Set<CommunityDailyFigure>().AsNoTracking().Where(f => silent.Contains(f.CommunityId) && f.Messages > f.StaffMessages)
            .GroupBy(f => f.CommunityId).Select(g => new { Id = g.Key, Last = g.Max(f => f.Day) }).ToDictionaryAsync(x => x.Id, x => x.Last, ct);

        var activity = await db.Set<MemberActivity>().AsNoTracking()
            .Where(a => silent.Contains(a.CommunityId) && a.Messages > 0)
            .Where(a => db.Memberships.Any(m => m.CommunityId == a.CommunityId && m.MemberId == a.MemberId && m.LeftAt == null))
            .Select(a => new { a.CommunityId, a.MemberId, a.Messages, a.LastSpokeAt }).ToListAsync(ct);
        var top = activity.GroupBy(a => a.CommunityId).ToDictionary(g => g.Key,
            g => g.OrderByDescending(a => a.Messages).ThenByDescending(a => a.LastSpokeAt).ThenBy(a => a.MemberId).Take(CoreMembersShown).ToList());
        var memberIds = top.Values.SelectMany(t => t.Select(a => a.MemberId)).Distinct().ToList();
        var names = await db.Members.AsNoTracking().Where(m => memberIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        var members = await db.Memberships.AsNoTracking().Where(m => m.LeftAt == null && silent.Contains(m.CommunityId))
            .GroupBy(m => m.CommunityId).Select(g => new { Id = g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);

        return [.. silent.Select(id =>
        {
            var c = scope.Communities[id];
            var last = lastSpoke.TryGetValue(id, out var l) ? l : (DateOnly?)null;
            var days = last is { } d ? today.DayNumber - d.DayNumber : (long)(today.DayNumber - DateOnly.FromDateTime(c.CreatedAt).DayNumber);
            var core = top.TryGetValue(id, out var t)
                ? t.Where(a => names.ContainsKey(a.MemberId)).Select(a => new CoreMember(a.MemberId, names[a.MemberId], a.Messages, a.LastSpokeAt)).ToList()
                : [];
            var count = members.GetValueOrDefault(id);
            // Unchanged while nobody speaks: a member speaking and the group falling silent again is a new fact.
            var fingerprint = "last:" + (last?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never");
            return new Advice(AdviceRule.Silent, AdviceSeverity.Critical, AdviceSubject.Community, Id(id), c.Name,
                new Reason(last is null ? "Advisor.Silent.ReasonNever" : "Advisor.Silent.Reason",
                    last is null
                        ? $"No member has spoken in {c.Name} since it was created ({days} days): freeze it, dissolve it, or move its members to an active group."
                        : $"No member has spoken in {c.Name} for {days} days (since {last:yyyy-MM-dd}): freeze it, dissolve it, or move its {core.Count} core members to an active group.",
                    c.Name, days, last?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", core.Count),
                [N("SilentDays", days), N("Members", count), N("CoreMembers", core.Count)], fingerprint,
                [AdviceAction.Freeze, AdviceAction.OpenCommunity], $"/communities/{id}", core);
        })];
    }

    // --- 4. days without content; commercial content every day ---------------------------------------------------

    private async Task<IEnumerable<Advice>> ContentAsync(Scope scope, HashSet<Guid> silent, TimeZoneInfo zone, DateOnly today, DateTime now, CancellationToken ct)
    {
        // Whole days only: the last CommercialRunDays days before today (the longer of the two windows).
        var first = today.AddDays(-Math.Max(CommercialRunDays, ContentWindowDays));
        var start = DailyFigures.StartOf(first, zone);
        var end = DailyFigures.StartOf(today, zone);
        var createdBefore = now.AddDays(-ContentWindowDays);
        var watched = scope.Communities.Values.Where(c => IsActive(c) && c.CreatedAt <= createdBefore && !silent.Contains(c.Id)).Select(c => c.Id).ToHashSet();
        if (watched.Count == 0)
            return [];
        var ids = watched.ToList();
        var deliveries = db.Set<PostDelivery>().AsNoTracking()
            .Where(d => d.DueAt >= start && d.DueAt < end && (d.State == DeliveryState.Scheduled || d.State == DeliveryState.Enqueued));
        if (!scope.All)
            deliveries = deliveries.Where(d => ids.Contains(d.CommunityId));
        var posts = await deliveries.Join(db.Set<Post>().Where(p => p.Status == PostStatus.Approved), d => d.PostId, p => p.Id, (d, p) => new { d.CommunityId, d.DueAt, p.ContentType })
            .ToListAsync(ct);
        var figures = db.Set<CommunityDailyFigure>().AsNoTracking().Where(f => f.Day >= first && f.Day < today && f.StaffMessages > 0);
        if (!scope.All)
            figures = figures.Where(f => ids.Contains(f.CommunityId));
        var staffDays = (await figures.Select(f => new { f.CommunityId, f.Day }).ToListAsync(ct)).Select(f => (f.CommunityId, f.Day)).ToHashSet();
        var postDays = posts.Select(p => (p.CommunityId, Day: DailyFigures.DayOf(p.DueAt, zone), Commercial: Post.IsCommercial(p.ContentType))).ToList();
        var contentDays = postDays.Select(p => (p.CommunityId, p.Day)).Concat(staffDays).ToHashSet();
        var commercialDays = postDays.Where(p => p.Commercial).Select(p => (p.CommunityId, p.Day)).ToHashSet();

        var result = new List<Advice>();
        foreach (var id in watched)
        {
            var c = scope.Communities[id];
            var without = Enumerable.Range(1, ContentWindowDays).Count(i => !contentDays.Contains((id, today.AddDays(-i))));
            if (without >= _limits.NoContentDays)
            {
                result.Add(new Advice(AdviceRule.NoContent, without == ContentWindowDays ? AdviceSeverity.Warning : AdviceSeverity.Info, AdviceSubject.Community,
                    Id(id), c.Name,
                    new Reason("Advisor.NoContent.Reason",
                        $"{c.Name} had no post and no staff message on {without} of the last {ContentWindowDays} days: plan content in the calendar.",
                        c.Name, without, ContentWindowDays),
                    [N("DaysWithoutContent", without), N("Days", ContentWindowDays)], FormattableString.Invariant($"without:{without}"),
                    [AdviceAction.OpenCalendar], "/calendar"));
            }
            var run = 0;
            while (run < CommercialRunDays && commercialDays.Contains((id, today.AddDays(-(run + 1)))))
                run++;
            if (run >= CommercialRunDays)
            {
                // The run's start: a run that goes on is the same fact; a new run after a break is a new one.
                var runStart = today.AddDays(-run);
                while (commercialDays.Contains((id, runStart.AddDays(-1))))
                    runStart = runStart.AddDays(-1);
                result.Add(new Advice(AdviceRule.CommercialEveryDay, AdviceSeverity.Warning, AdviceSubject.Community, Id(id), c.Name,
                    new Reason("Advisor.CommercialEveryDay.Reason",
                        $"{c.Name} got commercial posts on each of the last {run} days: never sell every day; give some days to knowledge, topics or games.",
                        c.Name, run),
                    [N("CommercialDays", run)], "from:" + runStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    [AdviceAction.OpenCalendar], "/calendar"));
            }
        }
        return result;
    }

    // --- 5. questions left unanswered ----------------------------------------------------------------------------

    private async Task<IEnumerable<Advice>> UnansweredAsync(Scope scope, DateTime now, CancellationToken ct)
    {
        var (from, to) = (now - UnansweredWithin, now - UnansweredAfter);
        var ids = scope.Ids;
        var questions = db.Set<MemberQuestion>().AsNoTracking().Where(q => q.AnsweredAt == null && q.DismissedAt == null && q.AskedAt >= from && q.AskedAt < to);
        if (!scope.All)
            questions = questions.Where(q => ids.Contains(q.CommunityId));
        var waiting = await questions.GroupBy(q => q.CommunityId).Select(g => new { Id = g.Key, Count = g.Count(), Oldest = g.Min(q => q.AskedAt) }).ToListAsync(ct);
        return waiting.Where(w => scope.Communities.ContainsKey(w.Id)).Select(w =>
        {
            var c = scope.Communities[w.Id];
            var hours = (long)(now - w.Oldest).TotalHours;
            return new Advice(AdviceRule.Unanswered, w.Count >= 5 ? AdviceSeverity.Critical : AdviceSeverity.Warning, AdviceSubject.Community, Id(c.Id), c.Name,
                new Reason("Advisor.Unanswered.Reason", $"{w.Count} question(s) in {c.Name} are waiting for an answer, the oldest for {hours} hours.", c.Name, w.Count, hours),
                [N("Waiting", w.Count), N("OldestHours", hours)], "waiting:" + Bucket(w.Count),
                [AdviceAction.OpenResponses], $"/responses");
        });
    }

    // --- 6. VIP candidates not invited ---------------------------------------------------------------------------

    /// <summary>
    /// Candidates by the workspace's VIP rules from stored rows: tenure in a general community, and the paying tag or
    /// answers the response tracking credited to them. Replies outside the tracking (which only the event log holds) are
    /// left to <c>/vip</c>, which lists the candidates exactly.
    /// </summary>
    private async Task<IEnumerable<Advice>> VipAsync(Scope scope, DateTime now, CancellationToken ct)
    {
        if (!VipCandidates.MayRead(scope.Me))
            return [];
        var ws = db.CurrentWorkspaceId;
        var rules = await db.Set<VipRules>().AsNoTracking().SingleOrDefaultAsync(r => r.WorkspaceId == ws, ct) ?? VipRules.DefaultFor(ws);
        var cutoff = now.AddDays(-rules.TenureDays);
        var since = now.AddDays(-rules.AnswersDays);
        var ids = scope.Ids;
        // The few who qualify first (credited answers, the paying tag), then which of them have the tenure: no pass over all members.
        var min = rules.AnswersMin;
        var people = await db.Set<MemberQuestion>().AsNoTracking()
            .Where(q => q.AskedAt >= since && q.DismissedAt == null && q.AnsweredByMemberId != null && q.AnsweredByMemberId != q.MemberId)
            .GroupBy(q => q.AnsweredByMemberId!.Value).Where(g => g.Count() >= min).Select(g => g.Key).ToListAsync(ct);
        if (rules.PayingTagId is { } tag)
            people.AddRange(await db.MemberTags.AsNoTracking().Where(t => t.TagId == tag).Select(t => t.MemberId).ToListAsync(ct));
        people = [.. people.Distinct()];
        if (people.Count == 0)
            return [];
        var general = db.Communities.Where(c => c.Tier == CommunityTier.Comprehensive || c.Tier == CommunityTier.Regional || c.Tier == CommunityTier.Category);
        if (!scope.All)
            general = general.Where(c => ids.Contains(c.Id));
        var tenured = db.Memberships.Where(m => people.Contains(m.MemberId) && m.LeftAt == null && m.JoinedAt <= cutoff && general.Any(c => c.Id == m.CommunityId))
            .Select(m => m.MemberId);
        var count = await db.Members.AsNoTracking()
            .Where(m => tenured.Contains(m.Id) && m.Layer != MemberLayer.Vip && m.Layer != MemberLayer.Core)
            .Where(m => !db.Set<VipInvitation>().Any(i => i.MemberId == m.Id))
            .CountAsync(ct);
        if (count == 0)
            return [];
        return [new Advice(AdviceRule.VipCandidates, AdviceSeverity.Info, AdviceSubject.Workspace, Id(ws), "",
            new Reason("Advisor.VipCandidates.Reason", $"{count} member(s) meet the VIP rules and have not been invited: invite them to a VIP group.", count),
            [N("Candidates", count)], "candidates:" + Bucket(count), [AdviceAction.OpenVip], "/vip")];
    }

    // --- 7. nicknames that break the format ----------------------------------------------------------------------

    private async Task<IEnumerable<Advice>> NicknamesAsync(Scope scope, CancellationToken ct)
    {
        var formats = await NicknameFlags.FormatsAsync(db, scope.Communities.Values.Select(c => (c.Id, c.RuleSetId)), ct);
        var checkedCommunities = scope.Communities.Values.Where(IsActive)
            .Where(c => formats[c.Id] is not null).ToDictionary(c => c.Id, c => formats[c.Id]!);
        if (checkedCommunities.Count == 0)
            return [];
        var ids = checkedCommunities.Keys.ToList();
        var memberships = db.Memberships.AsNoTracking().Where(m => m.LeftAt == null && m.Nickname != null);
        // The owner's communities without a format are dropped below: a list of a thousand ids in the query costs more than the rows.
        if (!scope.All)
            memberships = memberships.Where(m => ids.Contains(m.CommunityId));
        // The stored flags (NicknameFlags) count where they were checked against the format the community follows now;
        // the other communities' nicknames, and nicknames not yet checked, are checked here by the rule set's own check.
        var trusted = checkedCommunities.Where(x => scope.Communities[x.Key].NicknameFormatChecked == x.Value).Select(x => x.Key).ToList();
        var stale = checkedCommunities.Keys.Except(trusted).ToList();
        var counts = new Dictionary<Guid, int>();
        var names = new List<(Guid CommunityId, string? Nickname)>();
        if (trusted.Count > 0)
        {
            var trustedSet = trusted.ToHashSet();
            var flagged = await memberships.Where(m => m.NicknameBreaksFormat == true)
                .GroupBy(m => m.CommunityId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
            foreach (var f in flagged.Where(f => trustedSet.Contains(f.Key)))
                counts[f.Key] = f.Count;
            var notChecked = await memberships.Where(m => m.NicknameBreaksFormat == null && trusted.Contains(m.CommunityId))
                .Select(m => new { m.CommunityId, m.Nickname }).ToListAsync(ct);
            names.AddRange(notChecked.Select(n => (n.CommunityId, n.Nickname)));
        }
        if (stale.Count > 0)
        {
            var read = scope.All && stale.Count > 100 ? memberships : memberships.Where(m => stale.Contains(m.CommunityId));
            var staleSet = stale.ToHashSet();
            var live = await read.Select(m => new { m.CommunityId, m.Nickname }).ToListAsync(ct);
            names.AddRange(live.Where(n => staleSet.Contains(n.CommunityId)).Select(n => (n.CommunityId, n.Nickname)));
        }
        var parsed = checkedCommunities.Values.Distinct().ToDictionary(f => f, NicknameFlags.Parse);
        foreach (var n in names.Where(n => NicknameFlags.Breaks(parsed[checkedCommunities[n.CommunityId]], n.Nickname)))
            counts[n.CommunityId] = counts.GetValueOrDefault(n.CommunityId) + 1;
        var breaking = counts.Select(x => new { Id = x.Key, x.Value }).Where(x => x.Value >= NicknameBreakersMin).Select(x => new { x.Id, Count = x.Value });
        return breaking.Select(b =>
        {
            var c = scope.Communities[b.Id];
            var format = checkedCommunities[b.Id];
            return new Advice(AdviceRule.Nicknames, AdviceSeverity.Info, AdviceSubject.Community, Id(c.Id), c.Name,
                new Reason("Advisor.Nicknames.Reason", $"{b.Count} member(s) of {c.Name} have a nickname that breaks the format {format}: remind them.", c.Name, b.Count, format),
                [N("Breaking", b.Count)], "breaking:" + Bucket(b.Count), [AdviceAction.OpenCommunity, AdviceAction.OpenRuleSets], $"/communities/{c.Id}");
        }).ToList();
    }

    // --- 8. staff whose response rate dropped --------------------------------------------------------------------

    /// <summary>Per staff answerer: the share of their first answers given within the target, this week against the one before.</summary>
    private async Task<IEnumerable<Advice>> ResponseRatesAsync(Scope scope, TimeZoneInfo zone, DateOnly today, CancellationToken ct)
    {
        if (scope.Me.Role == StaffRole.Koc)
            return [];
        var split = DailyFigures.StartOf(today.AddDays(-(ResponseWindowDays - 1)), zone);
        var start = DailyFigures.StartOf(today.AddDays(-(2 * ResponseWindowDays - 1)), zone);
        var target = (int)responseTarget.TotalSeconds;
        var ids = scope.Ids;
        var answers = db.Set<MemberQuestion>().AsNoTracking()
            .Where(q => q.DismissedAt == null && q.AskedAt >= start && q.AnswerSeconds != null && q.AnsweredByKind == AnswererKind.Staff && q.AnsweredByUserId != null);
        if (!scope.All)
            answers = answers.Where(q => ids.Contains(q.CommunityId));
        var rows = await answers.GroupBy(q => new { q.AnsweredByUserId, Recent = q.AskedAt >= split })
            .Select(g => new { g.Key.AnsweredByUserId, g.Key.Recent, Count = g.Count(), Within = g.Count(q => q.AnswerSeconds <= target) })
            .ToListAsync(ct);
        var result = new List<Advice>();
        foreach (var who in rows.GroupBy(r => r.AnsweredByUserId!))
        {
            var now = who.FirstOrDefault(r => r.Recent);
            var before = who.FirstOrDefault(r => !r.Recent);
            if (now is null || before is null || now.Count < ResponseAnswersMin || before.Count < ResponseAnswersMin)
                continue;
            var rateNow = (int)Math.Round(100.0 * now.Within / now.Count);
            var rateBefore = (int)Math.Round(100.0 * before.Within / before.Count);
            if (rateBefore - rateNow < _limits.ResponseDropPoints)
                continue;
            // The name the answers carried last: read only for the few whose rate fell.
            var name = await answers.Where(q => q.AnsweredByUserId == who.Key && q.AnsweredByName != null).OrderByDescending(q => q.AskedAt)
                .Select(q => q.AnsweredByName).FirstOrDefaultAsync(ct) ?? who.Key;
            result.Add(new Advice(AdviceRule.ResponseRateDropped, AdviceSeverity.Warning, AdviceSubject.Staff, who.Key, name,
                new Reason("Advisor.ResponseRateDropped.Reason",
                    $"{name} answered {rateNow}% of questions within {target / 60} minutes this week, down from {rateBefore}% the week before.",
                    name, rateNow, rateBefore, target / 60),
                [N("RatePercent", rateNow), N("PreviousRatePercent", rateBefore), N("Answers", now.Count)],
                // In steps of 10 points: the same drop a day later is not a new fact.
                FormattableString.Invariant($"rate:{rateNow / 10 * 10};before:{rateBefore / 10 * 10}"),
                [AdviceAction.OpenResponses], "/responses"));
        }
        return result;
    }

    // --- 9. campaigns behind their goal at half time -------------------------------------------------------------

    private async Task<IEnumerable<Advice>> CampaignsAsync(Scope scope, DateTime now, CancellationToken ct)
    {
        var running = await db.Set<Campaign>().AsNoTracking()
            .Where(c => c.Status == CampaignStatus.Published && c.StartsAt <= now && c.EndsAt > now && c.GoalTarget > 0).ToListAsync(ct);
        var result = new List<Advice>();
        foreach (var c in running)
        {
            var elapsed = (now - c.StartsAt) / (c.EndsAt - c.StartsAt);
            if (elapsed < 0.5)
                continue;
            if (!scope.All && !c.CommunityIdsValue().Any(scope.Communities.ContainsKey))
                continue;
            // Few campaigns run at once: one read of each one's own rows, the campaign page's figures.
            var results = await CampaignDesk.ResultsOfAsync(db, c, ct);
            if (results.AchievementRate >= 0.5)
                continue;
            var ratePercent = (long)Math.Floor(results.AchievementRate * 100);
            var elapsedPercent = (long)Math.Floor(elapsed * 100);
            result.Add(new Advice(AdviceRule.CampaignBehind, AdviceSeverity.Warning, AdviceSubject.Campaign, Id(c.Id), c.Name,
                new Reason("Advisor.CampaignBehind.Reason",
                    $"{c.Name} is {elapsedPercent}% through its period but has reached {ratePercent}% of its goal ({results.GoalValue} of {c.GoalTarget}): push it in its groups or adjust it.",
                    c.Name, elapsedPercent, ratePercent, results.GoalValue, c.GoalTarget),
                [N("AchievedPercent", ratePercent), N("ElapsedPercent", elapsedPercent), N("Achieved", results.GoalValue), N("Target", c.GoalTarget)],
                FormattableString.Invariant($"rate:{ratePercent / 10 * 10}"), [AdviceAction.OpenCampaign], $"/campaigns?id={c.Id}"));
        }
        return result;
    }

    // --- 10. channels whose cost per retained member is far above the others' -------------------------------------

    /// <summary>
    /// Members who joined through each channel between <see cref="ChannelWindowDays"/> days and
    /// <see cref="ChannelRetainedWeeks"/> weeks ago and are still in, against what the channel cost over those days (costs
    /// charged to it plus its stated cost, as the ROI board counts it).
    /// </summary>
    private async Task<IEnumerable<Advice>> ChannelsAsync(Scope scope, TimeZoneInfo zone, DateOnly today, CancellationToken ct)
    {
        if (!scope.All)
            return [];
        var first = today.AddDays(-ChannelWindowDays);
        var last = today.AddDays(-7 * ChannelRetainedWeeks);
        var (from, to) = (DailyFigures.StartOf(first, zone), DailyFigures.StartOf(last, zone));
        var channels = await db.Set<AcquisitionChannel>().AsNoTracking().Where(c => c.ArchivedAt == null || c.ArchivedAt >= from).ToListAsync(ct);
        if (channels.Count < 3)
            return [];
        var codes = await db.Set<LiveCode>().AsNoTracking().Select(c => new { c.ChannelId, c.Code }).ToListAsync(ct);
        var joins = await db.Memberships.AsNoTracking().Where(m => m.Channel != null && m.JoinedAt >= from && m.JoinedAt < to)
            .GroupBy(m => m.Channel!).Select(g => new { Key = g.Key, Joins = g.Count(), Retained = g.Count(m => m.LeftAt == null) })
            .ToDictionaryAsync(x => x.Key, ct);
        var charged = await db.Set<CostEntry>().AsNoTracking().Where(c => c.ChannelId != null && c.Day >= first && c.Day < last)
            .GroupBy(c => c.ChannelId!.Value).Select(g => new { Id = g.Key, Sum = g.Sum(c => c.AmountFen) }).ToDictionaryAsync(x => x.Id, x => x.Sum, ct);
        var days = last.DayNumber - first.DayNumber;

        var rows = new List<(AcquisitionChannel Channel, long CostFen, int Retained, long PerRetainedFen)>();
        foreach (var ch in channels)
        {
            var keys = codes.Where(c => c.ChannelId == ch.Id).Select(c => LiveCode.KeyOf(c.Code)).Append(ch.Name).ToHashSet(StringComparer.Ordinal);
            var mine = keys.Select(k => joins.GetValueOrDefault(k)).Where(x => x is not null).ToList();
            var (joined, retained) = (mine.Sum(x => x!.Joins), mine.Sum(x => x!.Retained));
            long stated = ch.Cost is { } cost
                ? (long)Math.Round(100m * ch.CostUnit switch { CostUnit.Month => cost * days / 30m, CostUnit.Join => cost * joined, _ => cost }, MidpointRounding.AwayFromZero)
                : 0;
            var total = stated + charged.GetValueOrDefault(ch.Id);
            if (total <= 0 || joined == 0)
                continue;
            // A channel that kept nobody costs its whole spend per member it kept: as if it had kept one.
            rows.Add((ch, total, retained, total / Math.Max(retained, 1)));
        }
        var result = new List<Advice>();
        foreach (var row in rows)
        {
            var others = rows.Where(r => r.Channel.Id != row.Channel.Id).Select(r => r.PerRetainedFen).Order().ToList();
            if (others.Count < 2)
                continue;
            var median = others.Count % 2 == 1 ? others[others.Count / 2] : (others[others.Count / 2 - 1] + others[others.Count / 2]) / 2;
            if (median <= 0 || row.PerRetainedFen < median * _limits.ChannelCostRatio)
                continue;
            var ratio = (long)Math.Floor((double)row.PerRetainedFen / median);
            result.Add(new Advice(AdviceRule.ChannelCostly, AdviceSeverity.Warning, AdviceSubject.Channel, Id(row.Channel.Id), row.Channel.Name,
                new Reason("Advisor.ChannelCostly.Reason",
                    $"{row.Channel.Name} cost {Yuan(row.PerRetainedFen)} yuan per member still in after {ChannelRetainedWeeks} weeks, {ratio}× the other channels' median of {Yuan(median)} yuan: spend less there or fix what newcomers find.",
                    row.Channel.Name, Yuan(row.PerRetainedFen), ChannelRetainedWeeks, ratio, Yuan(median)),
                [N("CostPerRetainedYuan", Yuan(row.PerRetainedFen)), N("OthersMedianYuan", Yuan(median)), N("Retained", row.Retained), N("CostYuan", Yuan(row.CostFen))],
                FormattableString.Invariant($"ratio:{Math.Min(ratio, 10)}"), [AdviceAction.OpenChannels], "/channels"));
        }
        return result;
    }

    // --- 11. the monthly budget about to be exceeded -------------------------------------------------------------

    /// <summary>
    /// This month's spending projected to its end: fixed costs as entered (they are booked once a month), floating costs
    /// and rewards at this month's pace so far.
    /// </summary>
    private async Task<IEnumerable<Advice>> BudgetAsync(Scope scope, TimeZoneInfo zone, DateOnly today, CancellationToken ct)
    {
        if (!BudgetBook.MayRead(scope.Me))
            return [];
        var ws = db.CurrentWorkspaceId;
        var month = BudgetBook.MonthOf(today);
        var spend = await BudgetBook.SpendAsync(db, ws, month, ct);
        if (spend.CapFen is not { } cap || cap <= 0)
            return [];
        var daysInMonth = DateTime.DaysInMonth(month.Year, month.Month);
        var projected = spend.Fixed + (spend.Floating + spend.Grants) * daysInMonth / today.Day;
        if (projected <= cap)
            return [];
        var over = spend.Total > cap;
        var usedPercent = spend.Total * 100 / cap;
        var monthText = month.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        return [new Advice(AdviceRule.BudgetOverrun, over ? AdviceSeverity.Critical : AdviceSeverity.Warning, AdviceSubject.Workspace, Id(ws), monthText,
            new Reason(over ? "Advisor.BudgetOverrun.ReasonOver" : "Advisor.BudgetOverrun.Reason",
                over
                    ? $"{monthText} has spent {Yuan(spend.Total)} yuan, over its cap of {Yuan(cap)} yuan: stop floating costs or raise the cap."
                    : $"{monthText} has spent {Yuan(spend.Total)} yuan ({usedPercent}% of {Yuan(cap)}); at this pace it ends at {Yuan(projected)} yuan, over the cap.",
                monthText, Yuan(spend.Total), Yuan(cap), Yuan(projected), usedPercent),
            [N("SpentYuan", Yuan(spend.Total)), N("CapYuan", Yuan(cap)), N("ProjectedYuan", Yuan(projected)), N("UsedPercent", usedPercent)],
            // The month and whether the cap is already passed: within a month, a dismissed warning returns once it is over.
            $"{monthText}:{(over ? "over" : "projected")}", [AdviceAction.OpenBudget], "/budget")];
    }
}
