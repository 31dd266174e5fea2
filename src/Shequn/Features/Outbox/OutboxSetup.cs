using Microsoft.Extensions.DependencyInjection.Extensions;
using Shequn.Connectors;
using Shequn.Connectors.Sandbox;
using Shequn.Connectors.Telegram;
using Shequn.Connectors.WeCom;
using Shequn.Features.Tasks;

namespace Shequn.Features.Outbox;

public static class OutboxSetup
{
    /// <summary>The outbox, its dispatcher and the connectors. Called by the events setup: the processor writes reactions here.</summary>
    public static IHostApplicationBuilder AddShequnOutbox(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboxOptions>().Bind(builder.Configuration.GetSection("Outbox"))
            .Validate(o => o.Lease > o.CallTimeout, "Outbox:Lease must be longer than Outbox:CallTimeout.")
            .Validate(o => o.BatchSize > 0 && o.Concurrency > 0 && o.MaxAttempts > 0, "Outbox sizes must be positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxReactions>();
        builder.Services.AddSingleton<OutboxRateLimiter>();
        builder.Services.AddSingleton<IConnector, SandboxConnector>();
        builder.Services.AddSingleton<IConnectorHealth, SandboxConnectorHealth>();
        builder.Services.AddHealthChecks().AddCheck<ConnectorsHealthCheck>("connectors");
        builder.AddShequnTelegram();
        builder.AddShequnWeCom();
        builder.AddShequnTasks();
        builder.Services.AddSingleton<ConnectorRegistry>();
        builder.Services.AddScoped<StaffActions>();
        builder.Services.AddScoped<ActionDecisions>();
        builder.Services.AddSingleton<OutboxDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return builder;
    }
}
