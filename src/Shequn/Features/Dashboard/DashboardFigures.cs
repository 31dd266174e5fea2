using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;

namespace Shequn.Features.Dashboard;

/// <summary>
/// The workspace at a glance, every figure over the same communities: all of them for the owner
/// (<paramref name="WholeWorkspace"/>), otherwise those assigned to the viewer.
/// </summary>
/// <param name="Communities">Communities in scope that are not dissolved.</param>
/// <param name="Members">Distinct members now in at least one community in scope.</param>
/// <param name="MembersListed">Members the members list shows the viewer: also those who have left (or, for the
/// owner, who are in no community at all), so it is larger than <paramref name="Members"/>.</param>
/// <param name="Staff">Active staff: the whole workspace's for the owner, otherwise those assigned to a community in scope.</param>
/// <param name="JoinsThisWeek">Joins to communities in scope since Monday 00:00 in the workspace's zone (a member
/// joining two groups counts twice).</param>
public sealed record DashboardFigures(
    int Communities, int Members, int Staff, int JoinsThisWeek,
    bool WholeWorkspace, int MembersListed, DateOnly WeekStart, string TimeZone)
{
    public static async Task<DashboardFigures> ComputeAsync(AppDbContext db, TimeZoneInfo zone, DateTime now, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var communities = db.Visible(me);
        var visibleIds = communities.Select(c => c.Id);
        var wholeWorkspace = me?.SeesAllCommunities == true;
        // The whole workspace's memberships are those of all its communities: without the community test the distinct
        // count of members reads one covering index in member order (issue 15's speed: 200,000 members).
        var memberships = wholeWorkspace ? db.Memberships : db.Memberships.Where(m => visibleIds.Contains(m.CommunityId));
        // The week starts on Monday (China's working week), at midnight in the workspace's zone.
        var today = DailyFigures.DayOf(now, zone);
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var weekStart = DailyFigures.StartOf(monday, zone);
        var staff = wholeWorkspace
            ? await db.Users.CountAsync(u => u.WorkspaceId == db.CurrentWorkspaceId && u.IsActive, ct)
            : await db.Users.CountAsync(u => u.WorkspaceId == db.CurrentWorkspaceId && u.IsActive
                && db.CommunityStaff.Any(s => s.StaffUserId == u.Id && visibleIds.Contains(s.CommunityId)), ct);
        // The whole workspace's members now and members listed: yesterday's stored end moved on by today's changes
        // (counting 200,000 members on each view was most of the overview's time), else counted.
        var (members, listed) = wholeWorkspace && await FromStoredDayAsync(db, db.CurrentWorkspaceId, today, zone, ct) is { } fromStored
            ? fromStored
            : (await memberships.Where(m => m.LeftAt == null).Select(m => m.MemberId).Distinct().CountAsync(ct),
                await db.VisibleMembers(me).CountAsync(ct));
        return new DashboardFigures(
            await communities.CountAsync(c => c.State != CommunityState.Dissolved, ct),
            members,
            staff,
            await memberships.CountAsync(m => m.JoinedAt >= weekStart, ct),
            wholeWorkspace,
            listed,
            monday,
            zone.Id);
    }

    /// <summary>
    /// Members in a community now and member records now, from yesterday's stored day (<see cref="WorkspaceDay"/>): a
    /// member whose stints did not begin or end since then is in now exactly when they were in at its end, so only the
    /// members with a stint begun or ended today are looked at; records are only created since (a deletion drops the
    /// stored day). Null when yesterday is not stored.
    /// </summary>
    private static async Task<(int Members, int Listed)?> FromStoredDayAsync(AppDbContext db, Guid ws, DateOnly today, TimeZoneInfo zone, CancellationToken ct)
    {
        var yesterday = today.AddDays(-1);
        if (await WorkspaceDays.StoredAsync(db, ws, yesterday, yesterday, zone, ct) is not { } days)
            return null;
        var stored = days[yesterday];
        var since = stored.EndsAt;
        var stints = db.Memberships.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == ws);
        var changed = stints.Where(m => m.JoinedAt >= since).Select(m => m.MemberId)
            .Concat(stints.Where(m => m.LeftAt >= since).Select(m => m.MemberId));
        var inNow = await stints.Where(m => m.LeftAt == null && changed.Contains(m.MemberId)).Select(m => m.MemberId).Distinct().CountAsync(ct);
        var inThen = await stints.Where(m => m.JoinedAt < since && (m.LeftAt == null || m.LeftAt >= since) && changed.Contains(m.MemberId))
            .Select(m => m.MemberId).Distinct().CountAsync(ct);
        var created = await db.Members.IgnoreQueryFilters().CountAsync(m => m.WorkspaceId == ws && m.CreatedAt >= since, ct);
        return (stored.DistinctMembers + inNow - inThen, stored.MembersListed + created);
    }
}
