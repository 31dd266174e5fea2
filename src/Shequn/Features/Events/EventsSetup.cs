using Shequn.Features.Images;
using Shequn.Features.Enforcement;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Events;

public sealed class EventOptions
{
    /// <summary>Off only for benchmarks that measure storing alone.</summary>
    public bool ProcessorEnabled { get; set; } = true;

    /// <summary>SQLite only. Full (default): every commit is fsynced before events are acknowledged, so they survive a
    /// power loss. Normal: commits survive a process crash but the last ones may be lost with the machine.</summary>
    public SqliteSynchronous SqliteSynchronous { get; set; } = SqliteSynchronous.Full;
}

public enum SqliteSynchronous
{
    Full = 0,
    Normal = 1,
}

public static class EventsSetup
{
    public static IHostApplicationBuilder AddShequnEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EventOptions>().Bind(builder.Configuration.GetSection("Events"));
        var options = builder.Configuration.GetSection("Events").Get<EventOptions>() ?? new EventOptions();
        // Days are the workspace's days: every host that processes events needs the zones.
        builder.AddShequnWorkspaces();
        builder.AddShequnOutbox();
        builder.AddShequnEnforcement();
        builder.Services.AddSingleton<EventLogSignal>();
        builder.Services.AddSingleton<EventIngestor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventIngestor>());
        builder.Services.AddSingleton<EventProcessor>();
        if (options.ProcessorEnabled)
            builder.Services.AddHostedService(sp => sp.GetRequiredService<EventProcessor>());
        builder.AddShequnImages(run: options.ProcessorEnabled);
        builder.AddShequnLifecycle(run: options.ProcessorEnabled);
        builder.Services.AddScoped<Sandbox.SandboxChat>();
        builder.Services.AddScoped<Imports.ChatImporter>();
        builder.Services.AddSingleton<Sandbox.SandboxSimulator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Sandbox.SandboxSimulator>());
        return builder;
    }
}
