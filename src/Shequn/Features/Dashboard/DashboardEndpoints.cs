using Shequn.Data;

namespace Shequn.Features.Dashboard;

public static class DashboardEndpoints
{
    public static RouteGroupBuilder MapDashboardEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/dashboard", async (AppDbContext db, CancellationToken ct) =>
            TypedResults.Ok(await DashboardFigures.ComputeAsync(db, DateTime.UtcNow, ct)))
            .WithTags("Dashboard").WithName("GetDashboard");
        return api;
    }
}
