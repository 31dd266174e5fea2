using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Platform.Auth;

namespace Shequn.Features.Campaigns;

/// <summary>A member of a campaign's audience, as the console's share panel lists them.</summary>
public sealed record AudienceMemberOption(Guid Id, string Name);

/// <summary>
/// Staff handing out personal links: only to members of the campaign's communities the caller sees (the API's
/// <c>/api/campaigns/{id}/links/{memberId}</c> and the console's share panel ask the same question here).
/// </summary>
public static class CampaignMemberLinks
{
    /// <summary>
    /// The member's personal token, or null when they are not in one of the campaign's communities <paramref name="me"/>
    /// sees, or <paramref name="me"/> is a KOC (a link acts as its member, so only staff hand them out).
    /// </summary>
    public static async Task<string?> TokenAsync(AppDbContext db, CampaignLinks links, Campaign campaign, StaffProfile me, Guid memberId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(me);
        if (!CampaignDesk.MayEdit(me))
            return null;
        var ids = campaign.CommunityIdsValue().Where(me.Sees).ToList();
        if (!await db.Memberships.AnyAsync(m => m.MemberId == memberId && m.LeftAt == null && ids.Contains(m.CommunityId), ct))
            return null;
        return await links.TokenAsync(campaign.Id, memberId, ct);
    }

    /// <summary>Members of the campaign's communities <paramref name="me"/> sees whose name contains <paramref name="search"/>, by name (at most <paramref name="take"/>).</summary>
    public static async Task<IReadOnlyList<AudienceMemberOption>> AudienceAsync(AppDbContext db, Campaign campaign, StaffProfile me, string? search, int take, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(me);
        var ids = campaign.CommunityIdsValue().Where(me.Sees).ToList();
        var inAudience = db.Memberships.Where(m => m.LeftAt == null && ids.Contains(m.CommunityId)).Select(m => m.MemberId);
        var q = db.Members.AsNoTracking().Where(m => inAudience.Contains(m.Id));
        if (search?.Trim() is { Length: > 0 } text)
            q = q.Where(m => m.DisplayName.Contains(text));
        return await q.OrderBy(m => m.DisplayName).ThenBy(m => m.Id).Take(take).Select(m => new AudienceMemberOption(m.Id, m.DisplayName)).ToListAsync(ct);
    }
}
