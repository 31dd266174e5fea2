using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Shequn.Connectors;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Outbox;

public sealed record HealthCheckDto(string Name, HealthStatus Status, string? Description);

public sealed record ConnectionDto(string Name, ConnectionState State, string? Detail, DateTime? CheckedAt);

/// <summary>One platform: its connections, and its actions by state (failed and uncertain: those nobody has decided about).</summary>
public sealed record ConnectorDto(
    ChatPlatform Platform, bool HasConnector, IReadOnlyList<ConnectionDto> Connections,
    int Queued, int Sending, int Failed, int Uncertain, int Tasks, double? OldestQueuedSeconds);

public sealed record HealthDetailsDto(HealthStatus Status, IReadOnlyList<HealthCheckDto> Checks, IReadOnlyList<ConnectorDto> Connectors);

/// <summary>
/// <c>/health</c> stays the anonymous yes/no it was (200 "Healthy" or "Degraded", 503 "Unhealthy"); the connectors add
/// one check to it that turns Degraded while a connection is down. <c>GET /health/details</c> (an owner's API token)
/// lists the checks and, per platform, the workspace's connections from every <see cref="IConnectorHealth"/> and
/// the outbox figures.
/// </summary>
public static class ConnectorHealthReport
{
    public static IEndpointRouteBuilder MapConnectorHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/details", DetailsAsync).RequireAuthorization(Platform.Auth.AuthSetup.ApiPolicy).WithName("HealthDetails")
            .WithDescription("The health checks, and per platform the workspace's connections and its queued, sending, failed, uncertain "
                + "and task actions with the age of the oldest queued one. Owners only.");
        return app;
    }

    public static async Task<Results<Ok<HealthDetailsDto>, ProblemHttpResult>> DetailsAsync(
        AppDbContext db, HealthCheckService checks, IEnumerable<IConnectorHealth> sources, ConnectorRegistry registry, TimeProvider time, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me?.SeesAllCommunities != true)
            return CommunityEndpoints.Forbidden("Only the workspace's owner reads the health details.");
        var report = await checks.CheckHealthAsync(ct);
        var connectors = await ConnectorsAsync(db, db.CurrentWorkspaceId, sources, registry, time.GetUtcNow().UtcDateTime, ct);
        return TypedResults.Ok(new HealthDetailsDto(report.Status,
            [.. report.Entries.Select(e => new HealthCheckDto(e.Key, e.Value.Status, e.Value.Description))], connectors));
    }

    public static async Task<IReadOnlyList<ConnectorDto>> ConnectorsAsync(
        AppDbContext db, Guid workspaceId, IEnumerable<IConnectorHealth> sources, ConnectorRegistry registry, DateTime now, CancellationToken ct)
    {
        var connections = new List<ConnectionHealth>();
        foreach (var source in sources)
            connections.AddRange(await source.ConnectionsAsync(workspaceId, ct));
        var counts = await (from a in db.Set<OutboundAction>()
                            join c in db.Communities on a.CommunityId equals c.Id
                            where a.Status != ActionStatus.Done && a.Status != ActionStatus.Cancelled && (a.Resolution == null)
                            group a by new { c.Platform, a.Status } into g
                            select new { g.Key.Platform, g.Key.Status, Count = g.Count(), Oldest = g.Min(a => a.CreatedAt) })
            .ToListAsync(ct);
        var platforms = Enum.GetValues<ChatPlatform>()
            .Where(p => registry.For(p) is not null || connections.Any(c => c.Platform == p) || counts.Any(c => c.Platform == p));
        return [.. platforms.Select(p =>
        {
            int Count(ActionStatus s) => counts.Where(c => c.Platform == p && c.Status == s).Sum(c => c.Count);
            var oldest = counts.Where(c => c.Platform == p && c.Status == ActionStatus.Queued).Select(c => (DateTime?)c.Oldest).Min();
            return new ConnectorDto(p, registry.For(p) is not null,
                [.. connections.Where(c => c.Platform == p).Select(c => new ConnectionDto(c.Name, c.State, c.Detail, c.CheckedAt))],
                Count(ActionStatus.Queued), Count(ActionStatus.Sending), Count(ActionStatus.Failed), Count(ActionStatus.Uncertain), Count(ActionStatus.Task),
                oldest is { } o ? Math.Max(0, (now - o).TotalSeconds) : null);
        })];
    }
}

/// <summary>The connectors' part of <c>/health</c>: Degraded (still 200) while any connection of any workspace is down.</summary>
public sealed class ConnectorsHealthCheck(IEnumerable<IConnectorHealth> sources) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = 0;
        foreach (var source in sources)
            down += (await source.ConnectionsAsync(null, cancellationToken)).Count(c => c.State == ConnectionState.Down);
        return down == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded($"{down} platform connection(s) down");
    }
}
