using Shequn.Features.Outbox;

namespace Shequn.Features.Ritual;

public static class RitualSetup
{
    /// <summary>The joining ritual: its editor (page and API) and its reaction in the event processor.</summary>
    public static IHostApplicationBuilder AddShequnRitual(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RitualOptions>().Bind(builder.Configuration.GetSection("Ritual"))
            .Validate(o => o.FollowUpFor > TimeSpan.Zero, "Ritual: FollowUpFor must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<RitualEditor>();
        builder.Services.AddSingleton<IBatchReaction, RitualReaction>();
        return builder;
    }
}
