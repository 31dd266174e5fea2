using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Shequn.Features.Workspaces;

public static class WorkspacesSetup
{
    public static IHostApplicationBuilder AddShequnWorkspaces(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WorkspaceZones>();
        builder.Services.AddScoped<WorkspaceClock>();
        builder.Services.AddScoped<WorkspaceSettings>();
        builder.Services.AddScoped<WorkspacePurge>();
        builder.Services.AddOptions<RetentionOptions>().Bind(builder.Configuration.GetSection("Retention"))
            .Validate(o => o.Interval >= TimeSpan.FromSeconds(1), "Retention:Interval must be at least 1 s.")
            .Validate(o => o.BatchSize >= 1, "Retention:BatchSize must be at least 1.").ValidateOnStart();
        builder.Services.AddSingleton<MessageRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MessageRetention>());
        builder.Services.AddOptions<PurgeOptions>().Bind(builder.Configuration.GetSection("WorkspacePurge"))
            .Validate(o => o.Grace >= TimeSpan.Zero, "WorkspacePurge:Grace must not be negative.")
            .Validate(o => o.Interval >= TimeSpan.FromSeconds(1), "WorkspacePurge:Interval must be at least 1 s.")
            .Validate(o => o.BatchSize >= 1, "WorkspacePurge:BatchSize must be at least 1.")
            .Validate(o => o.Settle >= TimeSpan.Zero, "WorkspacePurge:Settle must not be negative.").ValidateOnStart();
        builder.Services.AddSingleton<WorkspacePurgeJob>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkspacePurgeJob>());
        return builder;
    }
}
