using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Acquisition;

public enum FunnelBy
{
    Channel = 0,
    LiveCode = 1,
    Campaign = 2,
}

/// <summary>
/// One row of the AARRR funnel (seed 003): scans (landing views and direct scans) → visitors routed → joins → active in the
/// first 7 days → still there after 30 days (of the joins at least 30 days old: <see cref="RetainedBase"/>) → first
/// purchase (an order after joining, or a paid campaign claim) → referrals made (people they brought in). <see cref="Spend"/> is the
/// channel's cost over the period, <see cref="CostPerJoin"/> that over the joins.
/// </summary>
public sealed record FunnelRow(FunnelBy By, Guid Id, string Name, int Scans, int Routed, int Joins, int Active7, int Retained30, int RetainedBase, int Purchased,
    int Referrals, decimal? Spend, decimal? CostPerJoin);

public sealed record FunnelDay(DateOnly Day, int Scans, int Joins);

/// <summary>
/// Counts the acquisition funnel from stored rows, never sampled: scans from <see cref="LiveCodeScan"/>, joins from the
/// memberships whose channel is a live code's key (or, for a channel, its own name as platforms and staff enter it) and,
/// for a campaign, also the memberships its invitations began (<see cref="CampaignInvitation"/>: a join whose platform
/// named who brought the joiner; each membership counted once),
/// activity from the days a member spoke in the community (<see cref="DailySpeaker"/>) from the day of that join,
/// purchases from paid orders placed after the join and paid campaign claims, referrals from memberships naming the
/// member as inviter. Scoped to the communities the viewer sees; KOCs see nothing.
/// </summary>
public sealed class AcquisitionFunnel(AppDbContext db, WorkspaceZones zones, TimeProvider time)
{
    private sealed record Join(Guid Id, Guid MemberId, Guid CommunityId, string? Channel, DateTime JoinedAt, DateTime? LeftAt, bool Active, bool Purchased, int Referrals);

    /// <summary>The period's bounds in the workspace's days (default: the last 30 days).</summary>
    public async Task<(DateTime From, DateTime To, Validation V)> PeriodAsync(string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var period = DayPeriod.Read(v, from, to, zone, time.GetUtcNow().UtcDateTime, today => today.AddDays(-29), "FunnelPeriod");
        return (period.From, period.To, v);
    }

    public async Task<IReadOnlyList<FunnelRow>> RowsAsync(FunnelBy by, DateTime from, DateTime to, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!AcquisitionDesk.MayRead(me))
            return [];
        var codes = await db.Set<LiveCode>().AsNoTracking().Select(c => new { c.Id, c.Name, c.Code, c.ChannelId, c.CampaignId }).ToListAsync(ct);
        var channels = await db.Set<AcquisitionChannel>().AsNoTracking().ToListAsync(ct);
        // Campaigns: the memberships each one's invitations began in the period (campaign → membership ids).
        var invited = by == FunnelBy.Campaign ? await InvitedAsync(me!, from, to, ct) : [];
        // Each group's keys: the channel's codes and its own name; a code's key; a campaign's codes.
        var groups = by switch
        {
            FunnelBy.Channel => channels.Select(c => (c.Id, c.Name, Codes: codes.Where(x => x.ChannelId == c.Id).Select(x => x.Id).ToList(),
                Keys: codes.Where(x => x.ChannelId == c.Id).Select(x => LiveCode.KeyOf(x.Code)).Append(c.Name).ToList(), Channel: (AcquisitionChannel?)c)).ToList(),
            FunnelBy.LiveCode => codes.Select(x => (x.Id, x.Name, Codes: new List<Guid> { x.Id }, Keys: new List<string> { LiveCode.KeyOf(x.Code) }, Channel: (AcquisitionChannel?)null)).ToList(),
            _ => await CampaignGroupsAsync(codes.Where(x => x.CampaignId is not null).Select(x => (x.Id, x.Code, x.CampaignId!.Value)).ToList(), [.. invited.Keys], ct),
        };
        var allKeys = groups.SelectMany(g => g.Keys).Distinct().ToList();
        var joins = await JoinsAsync(me!, allKeys, [.. invited.Values.SelectMany(x => x).Distinct()], from, to, ct);
        var scans = await ScansAsync(me!, groups.SelectMany(g => g.Codes).Distinct().ToList(), from, to, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var days = (decimal)(to - from).TotalDays;
        var rows = new List<FunnelRow>();
        foreach (var g in groups)
        {
            var keys = g.Keys.ToHashSet(StringComparer.Ordinal);
            var through = invited.GetValueOrDefault(g.Id);
            // A join through one of the campaign's codes that its invitation also began is one join: each membership once.
            var mine = joins.Where(j => (j.Channel is { } channel && keys.Contains(channel)) || through?.Contains(j.Id) == true).ToList();
            var old = mine.Where(j => j.JoinedAt <= now.AddDays(-30)).ToList();
            var spend = g.Channel is { Cost: { } cost } ch ? ch.CostUnit switch
            {
                CostUnit.Month => Math.Round(cost * days / 30m, 2),
                CostUnit.Join => cost * mine.Count,
                _ => cost,
            } : (decimal?)null;
            rows.Add(new FunnelRow(by, g.Id, g.Name,
                g.Codes.Sum(c => scans.GetValueOrDefault(c).Scans), g.Codes.Sum(c => scans.GetValueOrDefault(c).Routed),
                mine.Count, mine.Count(j => j.Active), old.Count(j => j.LeftAt is null || j.LeftAt >= j.JoinedAt.AddDays(30)), old.Count,
                mine.Count(j => j.Purchased), mine.Sum(j => j.Referrals),
                spend, spend is { } s && mine.Count > 0 ? Math.Round(s / mine.Count, 2) : null));
        }
        return [.. rows.OrderByDescending(r => r.Joins).ThenByDescending(r => r.Scans).ThenBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>A channel's scans and joins per workspace day, for its chart.</summary>
    public async Task<IReadOnlyList<FunnelDay>?> DailyAsync(Guid channelId, DateTime from, DateTime to, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!AcquisitionDesk.MayRead(me))
            return null;
        var channel = await db.Set<AcquisitionChannel>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == channelId, ct);
        if (channel is null)
            return null;
        var codes = await db.Set<LiveCode>().Where(c => c.ChannelId == channelId).Select(c => new { c.Id, c.Code }).ToListAsync(ct);
        var ids = codes.Select(c => c.Id).ToList();
        var keys = codes.Select(c => LiveCode.KeyOf(c.Code)).Append(channel.Name).ToList();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        DateOnly Day(DateTime utc) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(utc, zone));
        var scanTimes = await ScanQuery(me!, ids, from, to).Where(s => s.Kind != ScanKind.Join).Select(s => s.At).ToListAsync(ct);
        var joinTimes = await MembershipQuery(me!, keys, from, to).Select(m => m.JoinedAt).ToListAsync(ct);
        var first = Day(from);
        var last = Day(to.AddTicks(-1));
        var scansByDay = scanTimes.GroupBy(Day).ToDictionary(g => g.Key, g => g.Count());
        var joinsByDay = joinTimes.GroupBy(Day).ToDictionary(g => g.Key, g => g.Count());
        var result = new List<FunnelDay>();
        for (var d = first; d <= last; d = d.AddDays(1))
            result.Add(new FunnelDay(d, scansByDay.GetValueOrDefault(d), joinsByDay.GetValueOrDefault(d)));
        return result;
    }

    /// <summary>The campaigns with a live code, and those whose invitations began a join in the period.</summary>
    private async Task<List<(Guid Id, string Name, List<Guid> Codes, List<string> Keys, AcquisitionChannel? Channel)>> CampaignGroupsAsync(
        List<(Guid Id, string Code, Guid Campaign)> codes, List<Guid> invited, CancellationToken ct)
    {
        var ids = codes.Select(c => c.Campaign).Concat(invited).Distinct().ToList();
        var names = await db.Set<Campaign>().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        return [.. ids.Where(names.ContainsKey).Select(id => (id, names[id], codes.Where(c => c.Campaign == id).Select(c => c.Id).ToList(),
            codes.Where(c => c.Campaign == id).Select(c => LiveCode.KeyOf(c.Code)).ToList(), (AcquisitionChannel?)null))];
    }

    /// <summary>
    /// The memberships in the period that campaigns' invitations began, by campaign. An invitation names the join event;
    /// the membership it began is the invitee's stint in that community starting at that moment (a repeated join event
    /// inside an older stint begins nothing). Self-invites bring nobody. Share-link visits are not stored, so they add no
    /// scans; a share link (<c>?i=</c>) opened by someone who is already a member names an inviter but is no join.
    /// </summary>
    private async Task<Dictionary<Guid, HashSet<Guid>>> InvitedAsync(StaffProfile me, DateTime from, DateTime to, CancellationToken ct)
    {
        var visible = db.Visible(me).Select(c => c.Id);
        var pairs = await db.Set<CampaignInvitation>()
            .Where(i => i.JoinedAt >= from && i.JoinedAt < to && i.InviterMemberId != i.InviteeMemberId)
            .Join(db.Memberships.Where(m => visible.Contains(m.CommunityId)), i => new { MemberId = i.InviteeMemberId, i.CommunityId, i.JoinedAt },
                m => new { m.MemberId, m.CommunityId, m.JoinedAt }, (i, m) => new { i.CampaignId, MembershipId = m.Id })
            .ToListAsync(ct);
        return pairs.GroupBy(p => p.CampaignId).ToDictionary(g => g.Key, g => g.Select(p => p.MembershipId).ToHashSet());
    }

    private IQueryable<Members.Membership> MembershipQuery(StaffProfile me, List<string> keys, DateTime from, DateTime to)
    {
        var visible = db.Visible(me).Select(c => c.Id);
        return db.Memberships.Where(m => m.Channel != null && keys.Contains(m.Channel) && m.JoinedAt >= from && m.JoinedAt < to && visible.Contains(m.CommunityId));
    }

    private IQueryable<LiveCodeScan> ScanQuery(StaffProfile me, List<Guid> codes, DateTime from, DateTime to)
    {
        var q = db.Set<LiveCodeScan>().Where(s => codes.Contains(s.LiveCodeId) && s.At >= from && s.At < to);
        if (me.SeesAllCommunities)
            return q;
        // A scan routed to a community the viewer does not see is not hers to count; unrouted ones count where she reads the code.
        var visible = db.Visible(me).Select(c => c.Id);
        return q.Where(s => s.CommunityId == null || visible.Contains(s.CommunityId.Value));
    }

    private async Task<List<Join>> JoinsAsync(StaffProfile me, List<string> keys, List<Guid> memberships, DateTime from, DateTime to, CancellationToken ct)
    {
        if (keys.Count == 0 && memberships.Count == 0)
            return [];
        var visible = db.Visible(me).Select(c => c.Id);
        var joins = await db.Memberships
            .Where(m => ((m.Channel != null && keys.Contains(m.Channel)) || memberships.Contains(m.Id)) && m.JoinedAt >= from && m.JoinedAt < to && visible.Contains(m.CommunityId))
            .Select(m => new Join(m.Id, m.MemberId, m.CommunityId, m.Channel, m.JoinedAt, m.LeftAt, false,
                // A shop order (imported or by webhook) after the join, or a paid flash-sale claim: both are purchases the shop
                // confirmed, and a claim paid through a sale may never reach the orders feed.
                db.Set<Orders.Order>().Any(o => o.MemberId == m.MemberId && o.Status == Orders.OrderStatus.Paid && o.PlacedAt >= m.JoinedAt)
                    || db.Set<CampaignClaim>().Any(c => c.MemberId == m.MemberId && c.Status == ClaimStatus.Paid && c.CreatedAt >= m.JoinedAt),
                db.Memberships.Count(x => x.InviterMemberId == m.MemberId && x.JoinedAt >= m.JoinedAt)))
            .ToListAsync(ct);
        if (joins.Count == 0)
            return joins;
        // Active: spoke in that community on the day of that join or the six days after (the workspace's calendar, as
        // speakers are kept), so speaking in an earlier stay of a member who left and came back does not count.
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        DateOnly Day(DateTime utc) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone));
        var members = joins.Select(j => j.MemberId).Distinct().ToList();
        var firstDay = Day(joins.Min(j => j.JoinedAt));
        var lastDay = Day(joins.Max(j => j.JoinedAt)).AddDays(7);
        var spoke = (await db.Set<DailySpeaker>().Where(d => members.Contains(d.MemberId) && d.Day >= firstDay && d.Day < lastDay)
                .Select(d => new { d.CommunityId, d.MemberId, d.Day }).ToListAsync(ct))
            .ToLookup(d => (d.CommunityId, d.MemberId), d => d.Day);
        return [.. joins.Select(j =>
        {
            var day = Day(j.JoinedAt);
            return j with { Active = spoke[(j.CommunityId, j.MemberId)].Any(d => d >= day && d < day.AddDays(7)) };
        })];
    }

    private async Task<Dictionary<Guid, (int Scans, int Routed)>> ScansAsync(StaffProfile me, List<Guid> codes, DateTime from, DateTime to, CancellationToken ct)
    {
        if (codes.Count == 0)
            return [];
        var counts = await ScanQuery(me, codes, from, to)
            .GroupBy(s => new { s.LiveCodeId, s.Kind, Routed = s.RouteId != null })
            .Select(g => new { g.Key.LiveCodeId, g.Key.Kind, g.Key.Routed, Count = g.Count() })
            .ToListAsync(ct);
        return counts.GroupBy(c => c.LiveCodeId).ToDictionary(g => g.Key, g => (
            g.Where(c => c.Kind != ScanKind.Join).Sum(c => c.Count),
            g.Where(c => c.Kind != ScanKind.Visit && c.Routed).Sum(c => c.Count)));
    }
}
