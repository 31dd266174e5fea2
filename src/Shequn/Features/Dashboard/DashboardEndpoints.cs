using Shequn.Data;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Dashboard;

public static class DashboardEndpoints
{
    public static RouteGroupBuilder MapDashboardEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/dashboard", async (AppDbContext db, WorkspaceClock clock, CancellationToken ct) =>
            TypedResults.Ok(await DashboardFigures.ComputeAsync(db, clock.Zone, clock.Now.UtcDateTime, ct)))
            .WithTags("Dashboard").WithName("GetDashboard")
            .WithSummary("The workspace at a glance, over the communities the caller may see")
            .WithDescription("wholeWorkspace is true for the owner (all communities, all staff); for everyone else every figure " +
                "covers only their assigned communities. members counts distinct members now in a community in scope; " +
                "membersListed is what GET /api/members lists (also members who left). weekStart is Monday in timeZone.");
        return api;
    }
}
