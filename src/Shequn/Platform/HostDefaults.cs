using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration.Memory;
using Shequn.Data;
using Shequn.Platform.KeyRing;

namespace Shequn.Platform;

public static class HostDefaults
{
    /// <summary>
    /// Log levels unless configuration says otherwise: the framework (Microsoft.*, System.*) only from Warning, so that
    /// one line per HTTP request does not bury what Shequn itself says; "Now listening on" stays.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> LogLevels { get; } = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:System"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
    };

    public static WebApplicationBuilder UseShequnDefaults(this WebApplicationBuilder builder)
    {
        // First source, so appsettings.json, environment variables and the command line still override it.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LogLevels });

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"])
            && string.IsNullOrEmpty(builder.Configuration["HTTP_PORTS"]))
        {
            builder.WebHost.UseUrls("http://localhost:5000");
        }

        // Serve wwwroot and package assets (MudBlazor) from the build output in every environment, not only
        // Development: `dotnet run` and the browser tests run an unpublished build. A no-op once published.
        builder.WebHost.UseStaticWebAssets();

        var dataDir = DataDirectory.Resolve(builder.Configuration);
        Directory.CreateDirectory(dataDir);
        // Keys live in the database so that every node reads the same ring and cookies survive restarts;
        // they are encrypted with a secret kept outside it (ADR-007).
        builder.Services.AddShequnKeyRing(builder.Configuration, dataDir);
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        builder.AddShequnSecurityHeaders();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }
}

internal sealed class DatabaseHealthCheck(AppDbContext db) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken)
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("database unreachable");
}
