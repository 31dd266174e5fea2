namespace Shequn.Features.Events;

public sealed class EventOptions
{
    /// <summary>Off only for benchmarks that measure storing alone.</summary>
    public bool ProcessorEnabled { get; set; } = true;
}

public static class EventsSetup
{
    public static IHostApplicationBuilder AddShequnEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EventOptions>().Bind(builder.Configuration.GetSection("Events"));
        var options = builder.Configuration.GetSection("Events").Get<EventOptions>() ?? new EventOptions();
        builder.Services.AddSingleton<EventLogSignal>();
        builder.Services.AddSingleton<EventIngestor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventIngestor>());
        builder.Services.AddSingleton<EventProcessor>();
        if (options.ProcessorEnabled)
            builder.Services.AddHostedService(sp => sp.GetRequiredService<EventProcessor>());
        builder.Services.AddScoped<Sandbox.SandboxChat>();
        builder.Services.AddScoped<Imports.ChatImporter>();
        builder.Services.AddSingleton<Sandbox.SandboxSimulator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Sandbox.SandboxSimulator>());
        return builder;
    }
}
