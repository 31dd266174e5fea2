using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Dashboard;

/// <summary>The workspace at a glance, as the acting staff member may see it.</summary>
public sealed record DashboardFigures(int Communities, int Members, int Staff, int JoinsThisWeek)
{
    public static async Task<DashboardFigures> ComputeAsync(AppDbContext db, DateTime now, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var communities = db.Visible(me);
        var visibleIds = communities.Select(c => c.Id);
        var memberships = db.Memberships.Where(m => visibleIds.Contains(m.CommunityId));
        // The week starts on Monday (China's working week).
        var weekStart = now.Date.AddDays(-(((int)now.DayOfWeek + 6) % 7));
        return new DashboardFigures(
            await communities.CountAsync(c => c.State != CommunityState.Dissolved, ct),
            await memberships.Where(m => m.LeftAt == null).Select(m => m.MemberId).Distinct().CountAsync(ct),
            await db.Users.CountAsync(u => u.WorkspaceId == db.CurrentWorkspaceId && u.IsActive, ct),
            await memberships.CountAsync(m => m.JoinedAt >= weekStart, ct));
    }
}
