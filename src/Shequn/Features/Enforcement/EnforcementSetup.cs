using Microsoft.Extensions.DependencyInjection.Extensions;
using Shequn.Features.Moderation;
using Shequn.Platform.Localization;

namespace Shequn.Features.Enforcement;

/// <summary>How the processor enforces group rules (section <c>Enforcement</c>).</summary>
public sealed class EnforcementOptions
{
    /// <summary>Off: messages are neither checked nor acted on (benchmarks measure the processor without it).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// An event processed this long after it happened (a backlog, an import, the demo's history) is not acted on:
    /// nobody is punished now for what they did hours ago. What would have been acted on is logged as a review case.
    /// </summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A removal's announcement waits this long for further removals in the same group (one per burst).</summary>
    public TimeSpan AnnouncementDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the flood and cross-community windows reach back at most (rule sets asking more get this).</summary>
    public TimeSpan WindowHorizon { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Entries the in-memory windows keep at most (the oldest go first).</summary>
    public int WindowCapacity { get; set; } = 1_000_000;

    /// <summary>How far back in the log (events) a node primes its windows when it starts or another node moved on.</summary>
    public int PrimeEvents { get; set; } = 200_000;
}

public static class EnforcementSetup
{
    /// <summary>The runtime of the group rules: called by the events setup, since the processor enforces.</summary>
    public static IHostApplicationBuilder AddShequnEnforcement(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EnforcementOptions>().Bind(builder.Configuration.GetSection("Enforcement"))
            .Validate(o => o.LateAfter > TimeSpan.Zero && o.WindowHorizon > TimeSpan.Zero && o.WindowCapacity > 0 && o.PrimeEvents >= 0,
                "Enforcement: LateAfter and WindowHorizon must be positive, WindowCapacity and PrimeEvents not negative.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ModerationEngines>();
        builder.Services.TryAddSingleton<JsonStringLocalizerFactory>();
        builder.Services.AddSingleton<RuleSetDirectory>();
        builder.Services.AddSingleton<ActivityWindows>();
        builder.Services.AddSingleton<Enforcer>();
        return builder;
    }
}
