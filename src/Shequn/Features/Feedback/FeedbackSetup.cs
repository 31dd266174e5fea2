using Shequn.Features.Outbox;

namespace Shequn.Features.Feedback;

public static class FeedbackSetup
{
    /// <summary>Feedback tickets: the processor's reaction (options <c>Feedback:*</c>) and the desk behind the API and the page.</summary>
    public static IHostApplicationBuilder AddShequnFeedback(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<FeedbackOptions>().Bind(builder.Configuration.GetSection("Feedback"))
            .Validate(o => o.LateAfter > TimeSpan.Zero, "Feedback:LateAfter must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IBatchReaction, FeedbackReaction>();
        builder.Services.AddSingleton<FeedbackDesks>();
        return builder;
    }
}
