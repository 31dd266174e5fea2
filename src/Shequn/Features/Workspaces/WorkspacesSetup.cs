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
        return builder;
    }
}
