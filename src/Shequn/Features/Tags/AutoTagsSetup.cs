using Shequn.Features.Outbox;
using Shequn.Features.Vip;

namespace Shequn.Features.Tags;

public static class AutoTagsSetup
{
    /// <summary>
    /// Auto-tag rules (the processor's reaction, the daily job, editor and review) and VIP layers (the join reaction, the
    /// candidate list). Options <c>AutoTags:*</c>; <c>AutoTags:RunDaily=false</c> leaves the daily job to whoever calls it.
    /// </summary>
    public static IHostApplicationBuilder AddShequnAutoTags(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AutoTagOptions>().Bind(builder.Configuration.GetSection(AutoTagOptions.Section))
            .Validate(o => o.Interval > TimeSpan.Zero && o.CheckEvery > TimeSpan.Zero && o.Lease > TimeSpan.Zero, "AutoTags:Interval, CheckEvery and Lease must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IBatchReaction, AutoTagger>();
        builder.Services.AddSingleton<IBatchReaction, VipLayerReaction>();
        builder.Services.AddSingleton<AutoTagJob>();
        var events = builder.Configuration.GetSection("Events");
        if (events.GetValue("ProcessorEnabled", true) && builder.Configuration.GetValue($"{AutoTagOptions.Section}:RunDaily", true))
            builder.Services.AddHostedService(sp => sp.GetRequiredService<AutoTagJob>());
        builder.Services.AddScoped<TagRuleEditor>();
        builder.Services.AddScoped<TagReview>();
        builder.Services.AddScoped<VipCandidates>();
        return builder;
    }
}
