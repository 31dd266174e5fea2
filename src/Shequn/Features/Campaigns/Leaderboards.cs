using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Profiles;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>How communities are compared when they compete (seed 000 E): by their members' points added up, or per member.</summary>
public enum CommunityScoreBasis
{
    Total = 0,
    /// <summary>Points divided by the community's current members, so a large group does not win by size alone.</summary>
    PerMember = 1,
}

/// <summary>
/// 比: the published scoring rule of a leaderboard, in integer points. A text message earns <see cref="MessagePoints"/>,
/// an image <see cref="PhotoPoints"/> (instead), the first message of a day containing <see cref="CheckInKeyword"/>
/// <see cref="CheckInPoints"/> more, and each new member who joined through the member (the join's inviter, once per
/// invitee) <see cref="InvitePoints"/>. A member earns at most <see cref="DailyCap"/> points a day (the workspace's
/// calendar). <see cref="Top"/> ranks are shown.
/// </summary>
public sealed record LeaderboardScoring
{
    public int MessagePoints { get; init; }
    public int PhotoPoints { get; init; }
    public int InvitePoints { get; init; }
    public int CheckInPoints { get; init; }
    public string? CheckInKeyword { get; init; }
    public int? DailyCap { get; init; }
    public int? Top { get; init; }
    public CommunityScoreBasis CommunityBasis { get; init; }

    public const int MaxPoints = 1000;
    public const int MaxTop = 100;
    public const int DefaultTop = 10;

    public int TopOrDefault => Top ?? DefaultTop;
}

public enum ScoreSource
{
    Message = 0,
    Photo = 1,
    /// <summary>A new member joined through the scorer (<see cref="ScoreEvent.Invitee"/>).</summary>
    Invite = 2,
}

/// <summary>One scoring action from the log, already mapped to members.</summary>
public sealed record ScoreEvent(long Seq, Guid MemberId, Guid CommunityId, DateTime At, ScoreSource Source, string? Text = null, Guid? Invitee = null);

/// <summary>A member's points: in all, per community where they were earned, and when the last point came (the tie-break).</summary>
public sealed record MemberScore(Guid MemberId, long Points, DateTime? ReachedAt, IReadOnlyDictionary<Guid, long> ByCommunity);

/// <summary>The scoring engine: pure, so fixtures can pin it.</summary>
public static class LeaderboardScore
{
    /// <summary>Scores events in sequence order, applying the daily cap per member and day (in <paramref name="zone"/>).</summary>
    public static IReadOnlyList<MemberScore> Compute(IEnumerable<ScoreEvent> events, LeaderboardScoring scoring, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(scoring);
        var keyword = string.IsNullOrWhiteSpace(scoring.CheckInKeyword) ? null : scoring.CheckInKeyword.Trim();
        var totals = new Dictionary<Guid, (long Points, DateTime? At, Dictionary<Guid, long> By)>();
        var dayPoints = new Dictionary<(Guid, DateOnly), long>();
        var checkedIn = new HashSet<(Guid, DateOnly)>();
        var invited = new HashSet<Guid>();
        foreach (var e in events.OrderBy(e => e.Seq))
        {
            var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(e.At, zone));
            long earned = 0;
            switch (e.Source)
            {
                case ScoreSource.Message:
                    earned = scoring.MessagePoints;
                    break;
                case ScoreSource.Photo:
                    earned = scoring.PhotoPoints;
                    break;
                case ScoreSource.Invite when e.Invitee is { } invitee && invitee != e.MemberId && invited.Add(invitee):
                    earned = scoring.InvitePoints;
                    break;
            }
            if (keyword is not null && e.Source != ScoreSource.Invite && e.Text?.Contains(keyword, StringComparison.OrdinalIgnoreCase) == true
                && checkedIn.Add((e.MemberId, day)))
                earned += scoring.CheckInPoints;
            if (scoring.DailyCap is { } cap)
            {
                var so = dayPoints.GetValueOrDefault((e.MemberId, day));
                earned = Math.Max(0, Math.Min(earned, cap - so));
                dayPoints[(e.MemberId, day)] = so + earned;
            }
            if (earned <= 0)
                continue;
            var t = totals.TryGetValue(e.MemberId, out var found) ? found : (0, null, new Dictionary<Guid, long>());
            t.By[e.CommunityId] = t.By.GetValueOrDefault(e.CommunityId) + earned;
            totals[e.MemberId] = (t.Points + earned, e.At, t.By);
        }
        return [.. totals.Select(kv => new MemberScore(kv.Key, kv.Value.Points, kv.Value.At, kv.Value.By))];
    }

    /// <summary>
    /// The published order: more points first; equal points → whoever reached them first (the time of their last
    /// scoring action); still equal → by name, then by id (ordinal), so every read gives the same ranks.
    /// </summary>
    public static IReadOnlyList<T> Order<T>(IEnumerable<T> rows, Func<T, decimal> score, Func<T, DateTime?> reachedAt, Func<T, string> name, Func<T, Guid> id) =>
        [.. rows.OrderByDescending(score).ThenBy(r => reachedAt(r) ?? DateTime.MaxValue).ThenBy(name, StringComparer.Ordinal).ThenBy(id)];
}

/// <summary>One line of the standings: a member, or a community when communities compete.</summary>
public sealed record LeaderboardRow(int Rank, Guid Id, string Name, long Points, decimal Score, int Members, DateTime? ReachedAt);

/// <summary>A reward granted at settlement (key <c>rank:{n}</c>).</summary>
public sealed record RankGrantDto(int Rank, Guid MemberId, string Name, int RewardIndex, string Reward, string Key);

/// <summary>The standings: <see cref="Rows"/> are all ranked members or communities; the page and the group show <see cref="Top"/>.</summary>
public sealed record LeaderboardDto(
    Guid CampaignId, string Name, CampaignPhase Phase, bool BetweenCommunities, CommunityScoreBasis Basis, LeaderboardScoring Scoring, string? ScoringRule,
    int Top, DateTime ComputedAt, IReadOnlyList<LeaderboardRow> Rows, IReadOnlyList<RankGrantDto> Grants);

/// <summary>What a progress post queued: one action per community, or none when this round was posted already.</summary>
public sealed record LeaderboardPostDto(string Round, int Queued, int AlreadyPosted);

/// <summary>The staff's progress post: <c>round</c> names it (blank: the current hour, UTC), so a double click posts once.</summary>
public sealed record LeaderboardPostInput(string? Round = null);

/// <summary>
/// Reads a leaderboard's standings from the durable event log on demand (nothing stored, like <see cref="SignupChainReader"/>):
/// messages and joins in the campaign's communities within its period. Left out: staff and the bot (events
/// <c>FromStaff</c> or sent by Shequn, and every sender who ever posted as staff there), members the anti-abuse settings
/// leave out (<see cref="CampaignExclusions"/>: joined after the start, or silent since joining), and — for invitation
/// points — invitees who were members before, or, with <see cref="CampaignRules.ExcludeSilent"/>, never spoke after joining.
/// </summary>
public sealed class LeaderboardReader(AppDbContext db, WorkspaceZones zones, TimeProvider time)
{
    /// <summary>More events than this are not read (a campaign that large wants a stored tally; none is that large yet).</summary>
    public const int MaxEvents = 200_000;

    public async Task<LeaderboardDto> ReadAsync(Campaign campaign, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var rules = campaign.RulesValue();
        var scoring = rules.Scoring ?? new LeaderboardScoring();
        var ws = campaign.WorkspaceId;
        var ids = campaign.CommunityIdsValue().ToList();
        var rows = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.WorkspaceId == ws && (e.Kind == EventKind.MessagePosted || e.Kind == EventKind.MemberJoined) && e.CommunityId != null
                && ids.Contains(e.CommunityId.Value) && e.OccurredAt >= campaign.StartsAt && e.OccurredAt < campaign.EndsAt)
            .OrderBy(e => e.Seq).Take(MaxEvents)
            .Select(e => new { e.Seq, e.Kind, e.Platform, e.UserId, e.FromStaff, e.ActionId, e.ActorId, e.MessageKind, e.Text, CommunityId = e.CommunityId!.Value, e.OccurredAt })
            .ToListAsync(ct);
        var staff = rows.Where(r => r.FromStaff && r.UserId != null).Select(r => (r.Platform, r.UserId!)).ToHashSet();
        var users = rows.SelectMany(r => new[] { r.UserId, r.ActorId }).Where(u => u != null).Select(u => u!).Distinct().ToList();
        var identities = await db.Set<MemberIdentity>().IgnoreQueryFilters().AsNoTracking().Where(i => i.WorkspaceId == ws && users.Contains(i.UserId))
            .Select(i => new { i.Platform, i.UserId, i.MemberId }).ToListAsync(ct);
        var memberOf = identities.GroupBy(i => (i.Platform, i.UserId)).ToDictionary(g => g.Key, g => g.First().MemberId);
        Guid? Member(Shequn.Features.Communities.ChatPlatform p, string? user) =>
            user is not null && !staff.Contains((p, user)) && memberOf.TryGetValue((p, user), out var m) ? m : null;

        var members = memberOf.Values.Distinct().ToList();
        var stints = await db.Memberships.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == ws && members.Contains(m.MemberId))
            .Select(m => new { m.MemberId, m.JoinedAt }).ToListAsync(ct);
        // The anti-abuse settings as everywhere else: a member they leave out scores nothing and is not ranked.
        var exclusions = await CampaignExclusions.DecideAsync(db, campaign, rules, members, null, ct);
        bool Excluded(Guid m) => exclusions.TryGetValue(m, out var why) && why != ExclusionReason.None;

        var events = new List<ScoreEvent>();
        var spokeAfter = new Dictionary<Guid, DateTime>();
        foreach (var r in rows.Where(r => r.Kind == EventKind.MessagePosted && !r.FromStaff && r.ActionId == null))
        {
            if (Member(r.Platform, r.UserId) is not { } m)
                continue;
            spokeAfter[m] = spokeAfter.TryGetValue(m, out var last) && last > r.OccurredAt ? last : r.OccurredAt;
            if (Excluded(m))
                continue;
            events.Add(new ScoreEvent(r.Seq, m, r.CommunityId, r.OccurredAt, r.MessageKind == MessageKind.Image ? ScoreSource.Photo : ScoreSource.Message, r.Text));
        }
        foreach (var r in rows.Where(r => r.Kind == EventKind.MemberJoined && r.ActorId != null && r.ActorId != r.UserId))
        {
            if (Member(r.Platform, r.ActorId) is not { } inviter || Member(r.Platform, r.UserId) is not { } invitee || Excluded(inviter))
                continue;
            // A new member only: none of their stints in the workspace began before this join.
            if (stints.Any(s => s.MemberId == invitee && s.JoinedAt < r.OccurredAt))
                continue;
            if (rules.ExcludeSilent && !(spokeAfter.TryGetValue(invitee, out var spoke) && spoke >= r.OccurredAt))
                continue;
            events.Add(new ScoreEvent(r.Seq, inviter, r.CommunityId, r.OccurredAt, ScoreSource.Invite, Invitee: invitee));
        }
        var zone = await zones.GetAsync(ws, ct);
        var scores = LeaderboardScore.Compute(events, scoring, zone);
        var now = time.GetUtcNow().UtcDateTime;
        var grants = await GrantsAsync(campaign, ct);

        if (!rules.BetweenCommunities)
        {
            var scoredIds = scores.Select(s => s.MemberId).ToList();
            var names = await db.Members.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == ws && scoredIds.Contains(m.Id))
                .ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
            var ordered = LeaderboardScore.Order(scores, s => s.Points, s => s.ReachedAt, s => names.GetValueOrDefault(s.MemberId) ?? "", s => s.MemberId);
            return new(campaign.Id, campaign.Name, campaign.PhaseAt(now), false, scoring.CommunityBasis, scoring, rules.ScoringRule, scoring.TopOrDefault, now,
                [.. ordered.Select((s, i) => new LeaderboardRow(i + 1, s.MemberId, names.GetValueOrDefault(s.MemberId) ?? "", s.Points, s.Points, 1, s.ReachedAt))], grants);
        }

        var communities = await db.Communities.IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws && ids.Contains(c.Id))
            .Select(c => new { c.Id, c.Name }).ToListAsync(ct);
        var heads = await db.Memberships.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == ws && ids.Contains(m.CommunityId) && m.LeftAt == null)
            .GroupBy(m => m.CommunityId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var lines = communities.Select(c =>
        {
            var points = scores.Sum(s => s.ByCommunity.GetValueOrDefault(c.Id));
            var reached = scores.Where(s => s.ByCommunity.ContainsKey(c.Id)).Select(s => s.ReachedAt).Max();
            var size = heads.GetValueOrDefault(c.Id);
            var score = scoring.CommunityBasis == CommunityScoreBasis.PerMember ? (size == 0 ? 0m : Math.Round((decimal)points / size, 2)) : points;
            return new LeaderboardRow(0, c.Id, c.Name, points, score, size, reached);
        });
        var order = LeaderboardScore.Order(lines, l => l.Score, l => l.ReachedAt, l => l.Name, l => l.Id);
        return new(campaign.Id, campaign.Name, campaign.PhaseAt(now), true, scoring.CommunityBasis, scoring, rules.ScoringRule, scoring.TopOrDefault, now,
            [.. order.Select((l, i) => l with { Rank = i + 1 })], grants);
    }

    private async Task<IReadOnlyList<RankGrantDto>> GrantsAsync(Campaign campaign, CancellationToken ct)
    {
        var rewards = campaign.RewardsValue();
        var rows = await db.Set<CampaignRewardGrant>().IgnoreQueryFilters().AsNoTracking().Where(g => g.CampaignId == campaign.Id && g.Key.StartsWith("rank:"))
            .Join(db.Members.IgnoreQueryFilters(), g => g.MemberId, m => m.Id, (g, m) => new { g.Key, g.MemberId, m.DisplayName, g.RewardIndex }).ToListAsync(ct);
        return [.. rows.Select(r => new RankGrantDto(int.Parse(r.Key[5..], CultureInfo.InvariantCulture), r.MemberId, r.DisplayName, r.RewardIndex,
            r.RewardIndex < rewards.Count ? rewards[r.RewardIndex].Name : "", r.Key)).OrderBy(r => r.Rank)];
    }
}

/// <summary>The published rule as sentences, from the structure (the page and the group post show the same words).</summary>
public static class LeaderboardRuleText
{
    public static IReadOnlyList<string> Lines(IStringLocalizer l, CampaignRules rules)
    {
        ArgumentNullException.ThrowIfNull(l);
        ArgumentNullException.ThrowIfNull(rules);
        var s = rules.Scoring ?? new LeaderboardScoring();
        var lines = new List<string>();
        if (s.MessagePoints > 0)
            lines.Add(l["Boards.Rule.Message", s.MessagePoints]);
        if (s.PhotoPoints > 0)
            lines.Add(l["Boards.Rule.Photo", s.PhotoPoints]);
        if (s.CheckInPoints > 0 && !string.IsNullOrWhiteSpace(s.CheckInKeyword))
            lines.Add(l["Boards.Rule.CheckIn", s.CheckInKeyword.Trim(), s.CheckInPoints]);
        if (s.InvitePoints > 0)
            lines.Add(l["Boards.Rule.Invite", s.InvitePoints]);
        if (s.DailyCap is { } cap)
            lines.Add(l["Boards.Rule.DailyCap", cap]);
        if (rules.BetweenCommunities)
            lines.Add(l[s.CommunityBasis == CommunityScoreBasis.PerMember ? "Boards.Rule.PerMember" : "Boards.Rule.Total"]);
        lines.Add(l["Boards.Rule.Ties"]);
        lines.Add(l["Boards.Rule.Excluded"]);
        if (rules.ExcludeJoinedAfterStart)
            lines.Add(l["Boards.Rule.JoinedAfterStart"]);
        if (rules.ExcludeSilent)
            lines.Add(l["Boards.Rule.SilentRanked"]);
        return lines;
    }

    private static readonly Lazy<JsonStringLocalizerFactory> Tables = new(() => new JsonStringLocalizerFactory());

    /// <summary>The rule as announcement lines in the workspace's language (the announcement publishes the rule too).</summary>
    public static string Announcement(CampaignRules rules, string culture)
    {
        var (ui, current) = (CultureInfo.CurrentUICulture, CultureInfo.CurrentCulture);
        try
        {
            (CultureInfo.CurrentUICulture, CultureInfo.CurrentCulture) = (CultureInfo.GetCultureInfo(culture), CultureInfo.GetCultureInfo(culture));
            var l = Tables.Value.Create(typeof(Strings));
            return string.Join('\n', Lines(l, rules).Select(line => "· " + line));
        }
        finally
        {
            (CultureInfo.CurrentUICulture, CultureInfo.CurrentCulture) = (ui, current);
        }
    }
}

/// <summary>
/// Staff's steps on a leaderboard: the standings, a progress post in the groups, and the settlement. Settlement is a
/// staff action ("settle", owner or sub-owner, after the end) rather than a job: rewards for ranks are a decision staff
/// take once the period is over and late messages are in; it is idempotent — ranks consume the rewards in order (the
/// first reward's quantity for the first ranks, and so on), one grant per rank under the unique key <c>rank:{n}</c>, so a
/// second settle (or two at once: the unique key decides) adds nothing and answers the same grants.
/// </summary>
public sealed class LeaderboardDesk(AppDbContext db, LeaderboardReader reader, TimeProvider time, OutboxSignal signal, IStringLocalizer<Strings> l, IOptions<ProfilesOptions> profiles)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public string BoardUrl(string slug) => $"{profiles.Value.PublicBaseUrl.TrimEnd('/')}/c/{slug}/board";

    private Task<(Campaign? Campaign, Platform.Auth.StaffProfile? Me)> VisibleAsync(Guid id, CancellationToken ct) =>
        CampaignDesk.VisibleAsync(db, id, CampaignKind.Leaderboard, ct);

    public async Task<LeaderboardDto?> GetAsync(Guid id, CancellationToken ct = default) =>
        await VisibleAsync(id, ct) is ({ } campaign, _) ? await reader.ReadAsync(campaign, ct) : null;

    /// <summary>Queues the current standings for each of the campaign's communities, once per round (key <c>board:{campaign}:{community}:{round}</c>).</summary>
    public async Task<MechanicResult<LeaderboardPostDto>> PostAsync(Guid id, string? round, CancellationToken ct = default)
    {
        var v = new Validation();
        var (campaign, me) = await VisibleAsync(id, ct);
        if (campaign is null)
            return new(CampaignOutcome.NotFound, null, v);
        if (!CampaignDesk.MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        round = string.IsNullOrWhiteSpace(round) ? Now.ToString("yyyyMMddHH", CultureInfo.InvariantCulture) : round.Trim();
        if (round.Length > 20 || !round.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return new(CampaignOutcome.Invalid, null, v.Add("round", "Campaigns.BadRound", "'round' is at most 20 letters, digits, '-' or '_'."));
        if (campaign.PhaseAt(Now) is not (CampaignPhase.Running or CampaignPhase.Ended))
            return new(CampaignOutcome.Conflict, null, v, "Standings are posted while the campaign runs or after it ended.");
        var board = await reader.ReadAsync(campaign, ct);
        var language = await WorkspaceSettings.LanguageAsync(db, campaign.WorkspaceId, ct);
        var culture = CultureInfo.GetCultureInfo(language);
        (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, culture);
        var text = Text(board, BoardUrl(campaign.Slug));
        var ids = campaign.CommunityIdsValue();
        var communities = await db.Communities.AsNoTracking().Where(c => ids.Contains(c.Id) && c.State != CommunityState.Dissolved).ToListAsync(ct);
        int queued = 0, already = 0;
        foreach (var community in communities)
        {
            var key = $"board:{campaign.Id:N}:{community.Id:N}:{round}";
            if (await db.Set<OutboundAction>().AnyAsync(a => a.IdempotencyKey == key, ct))
            {
                already++;
                continue;
            }
            db.Add(OutboundAction.Create(campaign.WorkspaceId, community.Id, PostTexts.KindFor(community.Platform), new ActionPayload(Text: text), key));
            queued++;
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A double click saved the same round meanwhile: that one is the post.
            return new(CampaignOutcome.Saved, new LeaderboardPostDto(round, 0, communities.Count), v);
        }
        signal.Notify();
        return new(CampaignOutcome.Saved, new LeaderboardPostDto(round, queued, already), v);
    }

    /// <summary>The group message: the title, the top ranks, the rule in one line, the page's link.</summary>
    public string Text(LeaderboardDto board, string url)
    {
        ArgumentNullException.ThrowIfNull(board);
        var lines = new List<string> { l["Boards.Post.Title", board.Name] };
        foreach (var r in board.Rows.Take(board.Top))
            lines.Add(board.BetweenCommunities && board.Basis == CommunityScoreBasis.PerMember
                ? l["Boards.Post.LinePerMember", r.Rank, r.Name, r.Score.ToString("0.##", CultureInfo.InvariantCulture)]
                : l["Boards.Post.Line", r.Rank, r.Name, r.Points]);
        if (board.Rows.Count == 0)
            lines.Add(l["Boards.Empty"]);
        lines.Add(l["Boards.Post.More", url]);
        return string.Join('\n', lines);
    }

    /// <summary>Grants the ended leaderboard's rewards to the top ranks once (see the class summary).</summary>
    public async Task<MechanicResult<LeaderboardDto>> SettleAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var (campaign, me) = await VisibleAsync(id, ct);
        if (campaign is null)
            return new(CampaignOutcome.NotFound, null, v);
        if (!CampaignDesk.MayPublish(me))
            return new(CampaignOutcome.Forbidden, null, v, "Only an owner or a sub-owner settles a leaderboard.");
        if (campaign.PhaseAt(Now) != CampaignPhase.Ended)
            return new(CampaignOutcome.Conflict, null, v, "A leaderboard is settled after it ended.");
        if (campaign.RulesValue().BetweenCommunities)
            return new(CampaignOutcome.Conflict, null, v, "Communities competing: staff hand the winning group's reward over themselves; nothing is granted per member.");
        var board = await reader.ReadAsync(campaign, ct);
        var rewards = campaign.RewardsValue();
        var now = Now;
        var rank = 0;
        for (var index = 0; index < rewards.Count; index++)
        {
            for (var q = 0; q < rewards[index].Quantity && rank < board.Rows.Count; q++)
            {
                var row = board.Rows[rank++];
                if (!await CampaignGrants.AddOnceAsync(db, campaign, index, row.Id, string.Create(CultureInfo.InvariantCulture, $"rank:{row.Rank}"), now, ct))
                    continue;
                var p = await Participants.EnsureAsync(db, campaign.WorkspaceId, campaign.Id, row.Id, null, now, ct);
                p.CompletedAt ??= now;
            }
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another settle saved first: its grants stand.
            db.ChangeTracker.Clear();
        }
        return new(CampaignOutcome.Saved, await reader.ReadAsync(campaign, ct), v);
    }
}
