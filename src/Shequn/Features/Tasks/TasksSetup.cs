using Shequn.Connectors;
using Shequn.Connectors.Manual;

namespace Shequn.Features.Tasks;

/// <summary>Tells the nav menu's task count (same circuit) that a task was closed.</summary>
public sealed class TaskCountSignal
{
    public event Action? Changed;

    public void Notify() => Changed?.Invoke();
}

public static class TasksSetup
{
    /// <summary>Staff tasks and the Manual connector. Called by the outbox setup, whose dispatcher opens the tasks.</summary>
    public static IHostApplicationBuilder AddShequnTasks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TasksOptions>().Bind(builder.Configuration.GetSection("Tasks"))
            .Validate(o => o.DefaultDue > TimeSpan.Zero && o.Due.Values.All(d => d > TimeSpan.Zero), "Tasks:Due and Tasks:DefaultDue must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IConnector, ManualConnector>();
        builder.Services.AddSingleton<TaskOpener>();
        builder.Services.AddScoped<TaskInbox>();
        builder.Services.AddScoped<TaskCountSignal>();
        return builder;
    }
}
