using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;

namespace Shequn.Features.Orders;

/// <summary>Where an order is attributed: the last touch within the window, or nothing (unattributed).</summary>
public sealed record OrderAttribution(OrderTouch Touch, DateTime At, Guid? CommunityId, string? Channel, Guid? LiveCodeId, Guid? CampaignId, Guid? InviterMemberId);

/// <summary>Who an order's keys name: the buyer (if known) and, from an invite token, the campaign shared and its sharer.</summary>
public sealed record OrderBuyer(Guid? MemberId, OrderMatch? MatchedBy, Guid? SharedCampaignId, Guid? SharedByMemberId);

/// <summary>
/// Finds an order's member from the keys it came with and works out its attribution (docs/orders.md). Keys, in order:
/// a share code holding a member's personal campaign token (<c>?m=</c>, it names them), the platform user id (the
/// member's platform identity), the phone (normalised on both sides; the oldest member with it when several have it).
/// An order whose member is not known stays unmatched and is matched when a member gains that phone
/// (<see cref="MatchPhoneAsync"/>, called by the member editor) or by the pass (<see cref="MatchPendingAsync"/>) that
/// retries unmatched orders. Every late match is one conditional update (<c>MemberId IS NULL</c>), so two hosts, or a
/// save and the pass, match an order once.
/// </summary>
public sealed class OrderMatching(AppDbContext db, CampaignLinks? links)
{
    /// <summary>The member the keys name in <paramref name="ws"/>, and any share the order came through.</summary>
    public async Task<OrderBuyer> FindAsync(Guid ws, string? phone, ChatPlatform? platform, string? platformUserId, string? shareCode, CancellationToken ct)
    {
        Guid? sharedCampaign = null, sharedBy = null;
        if (links is not null && ShareCode.Parse(shareCode) is { } share)
        {
            var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws && c.Slug == share.Slug)
                .Select(c => (Guid?)c.Id).SingleOrDefaultAsync(ct);
            if (campaign is { } id)
            {
                if (share.Invite)
                {
                    if (await links.VerifyInviteAsync(id, share.Token, ct) is { } inviter && await ExistsAsync(ws, inviter, ct))
                        (sharedCampaign, sharedBy) = (id, inviter);
                }
                else if (await links.VerifyAsync(id, share.Token, ct) is { } member && await ExistsAsync(ws, member, ct))
                    return new OrderBuyer(member, OrderMatch.ShareCode, null, null);
            }
        }
        if (platform is { } p && !string.IsNullOrEmpty(platformUserId))
        {
            var byIdentity = await db.Set<MemberIdentity>().IgnoreQueryFilters().AsNoTracking()
                .Where(i => i.WorkspaceId == ws && i.Platform == p && i.UserId == platformUserId).Select(i => (Guid?)i.MemberId).FirstOrDefaultAsync(ct);
            if (byIdentity is { } m)
                return new OrderBuyer(m, OrderMatch.PlatformUser, sharedCampaign, sharedBy);
        }
        if (phone is { Length: >= 4 })
        {
            // Members' phones are kept as staff typed them: narrow by the last four digits, compare normalised.
            var tail = phone[^4..];
            var candidates = await db.Members.IgnoreQueryFilters().AsNoTracking()
                .Where(m => m.WorkspaceId == ws && m.Phone != null && m.Phone.Contains(tail))
                .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).Select(m => new { m.Id, m.Phone }).ToListAsync(ct);
            if (candidates.FirstOrDefault(c => CampaignLead.NormalizePhone(c.Phone) == phone) is { } found)
                return new OrderBuyer(found.Id, OrderMatch.Phone, sharedCampaign, sharedBy);
        }
        return new OrderBuyer(null, null, sharedCampaign, sharedBy);
    }

    private Task<bool> ExistsAsync(Guid ws, Guid member, CancellationToken ct) =>
        db.Members.IgnoreQueryFilters().AnyAsync(m => m.WorkspaceId == ws && m.Id == member, ct);

    /// <summary>
    /// The last touch of the member within <paramref name="days"/> days before <paramref name="placedAt"/> (inclusive at
    /// both ends): joins (community, channel, the live code the channel names and its campaign, inviter), campaign
    /// participations (campaign, community, inviter) and the share the order came through (at the order's time). On a tie
    /// the share wins, then the campaign, then the join. Null when there is none: unattributed.
    /// </summary>
    public async Task<OrderAttribution?> AttributeAsync(Guid ws, Guid memberId, DateTime placedAt, int days, Guid? sharedCampaign, Guid? sharedBy, CancellationToken ct)
    {
        if (sharedCampaign is { } shared)
        {
            var community = await db.Set<CampaignParticipant>().IgnoreQueryFilters().AsNoTracking()
                .Where(p => p.WorkspaceId == ws && p.MemberId == memberId && p.CampaignId == shared).Select(p => p.CommunityId).FirstOrDefaultAsync(ct);
            return new OrderAttribution(OrderTouch.Share, placedAt, community, null, null, shared, sharedBy);
        }
        var since = placedAt.AddDays(-days);
        var join = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(m => m.WorkspaceId == ws && m.MemberId == memberId && m.JoinedAt >= since && m.JoinedAt <= placedAt)
            .OrderByDescending(m => m.JoinedAt).ThenByDescending(m => m.Id)
            .Select(m => new { m.JoinedAt, m.CommunityId, m.Channel, m.InviterMemberId }).FirstOrDefaultAsync(ct);
        var part = await db.Set<CampaignParticipant>().IgnoreQueryFilters().AsNoTracking()
            .Where(p => p.WorkspaceId == ws && p.MemberId == memberId && p.JoinedAt >= since && p.JoinedAt <= placedAt)
            .OrderByDescending(p => p.JoinedAt).ThenByDescending(p => p.Id)
            .Select(p => new { p.JoinedAt, p.CampaignId, p.CommunityId, p.InvitedByMemberId }).FirstOrDefaultAsync(ct);
        if (part is not null && (join is null || part.JoinedAt >= join.JoinedAt))
            return new OrderAttribution(OrderTouch.Campaign, part.JoinedAt, part.CommunityId, null, null, part.CampaignId, part.InvitedByMemberId);
        if (join is null)
            return null;
        Guid? codeId = null, campaignId = null;
        if (join.Channel is { Length: > 3 } channel && channel.StartsWith("lc-", StringComparison.Ordinal))
        {
            var code = channel[3..];
            var found = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws && c.Code == code)
                .Select(c => new { c.Id, c.CampaignId }).FirstOrDefaultAsync(ct);
            (codeId, campaignId) = (found?.Id, found?.CampaignId);
        }
        return new OrderAttribution(OrderTouch.Join, join.JoinedAt, join.CommunityId, join.Channel, codeId, campaignId, join.InviterMemberId);
    }

    /// <summary>Sets the member and attribution on an order not yet stored.</summary>
    public static void Apply(Order order, OrderBuyer buyer, OrderAttribution? a, int days, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(buyer);
        (order.SharedCampaignId, order.SharedByMemberId) = (buyer.SharedCampaignId, buyer.SharedByMemberId);
        if (buyer.MemberId is null)
            return;
        (order.MemberId, order.MatchedBy, order.MatchedAt, order.AttributionDays) = (buyer.MemberId, buyer.MatchedBy, now, days);
        (order.Touch, order.TouchAt, order.CommunityId, order.Channel, order.LiveCodeId, order.CampaignId, order.InviterMemberId) =
            (a?.Touch, a?.At, a?.CommunityId, a?.Channel, a?.LiveCodeId, a?.CampaignId, a?.InviterMemberId);
    }

    /// <summary>
    /// Matches one stored, unmatched order to <paramref name="memberId"/> with its attribution by a conditional update;
    /// false when someone else matched it first.
    /// </summary>
    public async Task<bool> ClaimAsync(Guid ws, Guid orderId, Guid memberId, OrderMatch by, DateTime placedAt, Guid? sharedCampaign, Guid? sharedBy, int days,
        DateTime now, CancellationToken ct)
    {
        var a = await AttributeAsync(ws, memberId, placedAt, days, sharedCampaign, sharedBy, ct);
        return await db.Set<Order>().IgnoreQueryFilters().Where(o => o.WorkspaceId == ws && o.Id == orderId && o.MemberId == null)
            .ExecuteUpdateAsync(u => u.SetProperty(o => o.MemberId, memberId).SetProperty(o => o.MatchedBy, by).SetProperty(o => o.MatchedAt, now)
                .SetProperty(o => o.AttributionDays, days).SetProperty(o => o.Touch, a == null ? null : a.Touch).SetProperty(o => o.TouchAt, a == null ? null : a.At)
                .SetProperty(o => o.CommunityId, a == null ? null : a.CommunityId).SetProperty(o => o.Channel, a == null ? null : a.Channel)
                .SetProperty(o => o.LiveCodeId, a == null ? null : a.LiveCodeId).SetProperty(o => o.CampaignId, a == null ? null : a.CampaignId)
                .SetProperty(o => o.InviterMemberId, a == null ? null : a.InviterMemberId).SetProperty(o => o.UpdatedAt, now), ct) == 1;
    }

    /// <summary>The member editor's hook: unmatched orders of the workspace with the member's phone become theirs. Returns how many.</summary>
    public static async Task<int> MatchPhoneAsync(AppDbContext db, Member member, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(member);
        if (CampaignLead.NormalizePhone(member.Phone) is not { } phone)
            return 0;
        var ws = member.WorkspaceId;
        var orders = await db.Set<Order>().IgnoreQueryFilters().AsNoTracking().Where(o => o.WorkspaceId == ws && o.Phone == phone && o.MemberId == null)
            .Select(o => new { o.Id, o.PlacedAt, o.SharedCampaignId, o.SharedByMemberId }).ToListAsync(ct);
        if (orders.Count == 0)
            return 0;
        // Attribution needs no share links: a phone match never reads a share code.
        var matching = new OrderMatching(db, null);
        var days = await DaysAsync(db, ws, ct);
        var now = DateTime.UtcNow;
        var matched = 0;
        foreach (var o in orders)
        {
            if (await matching.ClaimAsync(ws, o.Id, member.Id, OrderMatch.Phone, o.PlacedAt, o.SharedCampaignId, o.SharedByMemberId, days, now, ct))
                matched++;
        }
        return matched;
    }

    /// <summary>
    /// The retry pass: up to <paramref name="max"/> unmatched orders of any workspace, oldest first, looked up again
    /// (members join and gain identities after they buy). Returns how many were matched.
    /// </summary>
    public async Task<int> MatchPendingAsync(int max, DateTime now, CancellationToken ct)
    {
        var pending = await db.Set<Order>().IgnoreQueryFilters().AsNoTracking()
            .Where(o => o.MemberId == null && (o.Phone != null || o.PlatformUserId != null || o.ShareCode != null))
            .OrderBy(o => o.UpdatedAt).Take(max)
            .Select(o => new { o.Id, o.WorkspaceId, o.PlacedAt, o.Phone, o.Platform, o.PlatformUserId, o.ShareCode }).ToListAsync(ct);
        var matched = 0;
        var days = new Dictionary<Guid, int>();
        foreach (var o in pending)
        {
            var buyer = await FindAsync(o.WorkspaceId, o.Phone, o.Platform, o.PlatformUserId, o.ShareCode, ct);
            if (buyer.MemberId is not { } member)
            {
                // Looked at: to the back of the queue, so a large backlog is walked through rather than its head retried.
                await db.Set<Order>().IgnoreQueryFilters().Where(x => x.Id == o.Id && x.MemberId == null).ExecuteUpdateAsync(u => u.SetProperty(x => x.UpdatedAt, now), ct);
                continue;
            }
            if (!days.TryGetValue(o.WorkspaceId, out var n))
                days[o.WorkspaceId] = n = await DaysAsync(db, o.WorkspaceId, ct);
            if (await ClaimAsync(o.WorkspaceId, o.Id, member, buyer.MatchedBy!.Value, o.PlacedAt, buyer.SharedCampaignId, buyer.SharedByMemberId, n, now, ct))
                matched++;
        }
        return matched;
    }

    /// <summary>The workspace's attribution window in days (30 until set).</summary>
    public static async Task<int> DaysAsync(AppDbContext db, Guid ws, CancellationToken ct) =>
        await db.Set<OrderSettings>().IgnoreQueryFilters().AsNoTracking().Where(s => s.WorkspaceId == ws).Select(s => (int?)s.AttributionDays).FirstOrDefaultAsync(ct)
        ?? OrderSettings.DefaultAttributionDays;
}

/// <summary>
/// A Shequn share code on an order: a campaign link (<c>…/c/{slug}?m={token}</c> or <c>?i={token}</c>) or the short
/// forms <c>m:{slug}:{token}</c> / <c>i:{slug}:{token}</c>. <c>m</c> is the member's personal token (it names the
/// buyer); <c>i</c> an invite token (it names who shared).
/// </summary>
public sealed record ShareCode(string Slug, string Token, bool Invite)
{
    public static ShareCode? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        text = text.Trim();
        var parts = text.Split(':');
        if (parts.Length == 3 && parts[0] is "m" or "i" && parts[1].Length > 0 && parts[2].Length > 0)
            return new ShareCode(parts[1], parts[2], parts[0] == "i");
        var at = text.IndexOf("/c/", StringComparison.Ordinal);
        if (at < 0)
            return null;
        var rest = text[(at + 3)..];
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q <= 0)
            return null;
        var slug = rest[..q].TrimEnd('/');
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(rest[q..]);
        if (query.TryGetValue("m", out var m) && m.ToString() is { Length: > 0 } member)
            return new ShareCode(slug, member, false);
        if (query.TryGetValue("i", out var i) && i.ToString() is { Length: > 0 } invite)
            return new ShareCode(slug, invite, true);
        return null;
    }
}
