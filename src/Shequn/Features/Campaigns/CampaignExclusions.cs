using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Events;

namespace Shequn.Features.Campaigns;

/// <summary>Why a campaign's anti-abuse settings leave a member out of what it gives (<see cref="CampaignExclusions"/>).</summary>
public enum ExclusionReason
{
    None = 0,
    /// <summary><see cref="CampaignRules.ExcludeJoinedAfterStart"/>: not in any of the campaign's communities since before it started.</summary>
    JoinedAfterStart = 1,
    /// <summary><see cref="CampaignRules.ExcludeSilent"/>: no message in the campaign's communities since joining them.</summary>
    Silent = 2,
}

/// <summary>
/// The one decision "the campaign's anti-abuse settings leave this member out", used wherever a member earns something
/// (claims, seats, cuts, entries, answers, points, cards, check-ins, photos, ranks). Two settings, both off by default:
/// <list type="bullet">
/// <item><see cref="CampaignRules.ExcludeJoinedAfterStart"/>: the member's first stint in any of the campaign's communities
/// began at or after the start (or there is none) — an account made for the campaign.</item>
/// <item><see cref="CampaignRules.ExcludeSilent"/>: no message of theirs in any of the campaign's communities since their
/// latest join of that community (<see cref="MemberActivity"/>). When the action is itself a message in the group (a
/// check-in word, a lottery word), <c>before</c> is that message's time and only speaking before it counts — otherwise the
/// keyword alone would prove the member is not silent. When the first and last message times both lie outside the
/// window (a member who spoke in an earlier stint and whose last message is the keyword itself), the days they spoke
/// (<see cref="DailySpeaker"/>) decide.</item>
/// </list>
/// The public pages ask through <see cref="CampaignSnapshots.ExclusionAsync"/>, which caches the answer per member.
/// </summary>
public static class CampaignExclusions
{
    public static bool Apply(CampaignRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return rules.ExcludeJoinedAfterStart || rules.ExcludeSilent;
    }

    /// <summary>The reason as the public API names it (<c>reason</c> beside the code <c>excluded</c>).</summary>
    public static string Code(ExclusionReason reason) => reason switch
    {
        ExclusionReason.JoinedAfterStart => "joinedAfterStart",
        ExclusionReason.Silent => "silent",
        _ => "none",
    };

    public static async Task<ExclusionReason> DecideAsync(AppDbContext db, Campaign campaign, CampaignRules rules, Guid memberId, DateTime? before = null, CancellationToken ct = default)
    {
        if (!Apply(rules))
            return ExclusionReason.None;
        var all = await DecideAsync(db, campaign, rules, [memberId], before, ct);
        return all[memberId];
    }

    /// <summary>The decision for many members at once (a leaderboard's), in two reads.</summary>
    public static async Task<IReadOnlyDictionary<Guid, ExclusionReason>> DecideAsync(AppDbContext db, Campaign campaign, CampaignRules rules,
        IReadOnlyCollection<Guid> members, DateTime? before = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(members);
        var result = members.Distinct().ToDictionary(m => m, _ => ExclusionReason.None);
        if (!Apply(rules) || result.Count == 0)
            return result;
        var ids = result.Keys.ToList();
        var communities = campaign.CommunityIdsValue().ToList();
        var ws = campaign.WorkspaceId;
        var stints = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(m => m.WorkspaceId == ws && ids.Contains(m.MemberId) && communities.Contains(m.CommunityId))
            .Select(m => new { m.MemberId, m.CommunityId, m.JoinedAt }).ToListAsync(ct);
        var spoken = rules.ExcludeSilent
            ? await db.Set<MemberActivity>().IgnoreQueryFilters().AsNoTracking()
                .Where(a => a.WorkspaceId == ws && ids.Contains(a.MemberId) && communities.Contains(a.CommunityId) && a.Messages > 0)
                .Select(a => new { a.MemberId, a.CommunityId, a.FirstSpokeAt, a.LastSpokeAt }).ToListAsync(ct)
            : [];
        var latestJoin = stints.GroupBy(s => (s.MemberId, s.CommunityId)).ToDictionary(g => g.Key, g => g.Max(s => s.JoinedAt));
        var firstJoin = stints.GroupBy(s => s.MemberId).ToDictionary(g => g.Key, g => g.Min(s => s.JoinedAt));
        var spokenBy = spoken.ToLookup(a => a.MemberId);
        var until = before ?? DateTime.MaxValue;
        var unsure = new List<(Guid Member, Guid Community, DateTime Since)>();
        foreach (var m in ids)
        {
            if (rules.ExcludeJoinedAfterStart && !(firstJoin.TryGetValue(m, out var joined) && joined < campaign.StartsAt))
            {
                result[m] = ExclusionReason.JoinedAfterStart;
                continue;
            }
            if (!rules.ExcludeSilent)
                continue;
            // The first and last message times prove words in [since, until) when either falls inside; both outside it
            // (spoke before this stint and again at or after the action) says nothing either way.
            var proven = false;
            foreach (var a in spokenBy[m])
            {
                if (!latestJoin.TryGetValue((m, a.CommunityId), out var since) || a.LastSpokeAt < since)
                    continue;
                if ((a.FirstSpokeAt >= since && a.FirstSpokeAt < until) || a.LastSpokeAt < until)
                    proven = true;
                else if (a.FirstSpokeAt < since)
                    unsure.Add((m, a.CommunityId, since));
            }
            if (!proven)
                result[m] = ExclusionReason.Silent;
        }
        if (unsure.Count > 0 && before is { } at)
            await SettleUnsureAsync(db, ws, unsure, at, result, ct);
        return result;
    }

    /// <summary>
    /// The members whose message times cannot tell: a day they spoke (<see cref="DailySpeaker"/>, the workspace's calendar)
    /// strictly after the day of their latest join and strictly before the day of the action proves words in between. Words
    /// on the join's day or the action's day only are not seen, and such a member stays left out (see docs/campaign-anti-abuse.md).
    /// </summary>
    private static async Task SettleUnsureAsync(AppDbContext db, Guid ws, List<(Guid Member, Guid Community, DateTime Since)> unsure, DateTime before,
        Dictionary<Guid, ExclusionReason> result, CancellationToken ct)
    {
        var zone = Workspaces.WorkspaceZones.Find(await db.Set<Workspaces.Workspace>().IgnoreQueryFilters().Where(w => w.Id == ws).Select(w => w.TimeZone).SingleOrDefaultAsync(ct))
            ?? Workspaces.WorkspaceZones.Default;
        var last = DailyFigures.DayOf(before, zone);
        foreach (var (member, community, since) in unsure)
        {
            if (result[member] == ExclusionReason.None)
                continue;
            var first = DailyFigures.DayOf(since, zone);
            if (last.DayNumber - first.DayNumber >= 2 && await db.Set<DailySpeaker>().AnyAsync(d => d.CommunityId == community && d.MemberId == member && d.Day > first && d.Day < last, ct))
                result[member] = ExclusionReason.None;
        }
    }
}
