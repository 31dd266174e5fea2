using Shequn.Features.Members;
using Shequn.Features.Outbox;

namespace Shequn.Features.Points;

public static class PointsSetup
{
    /// <summary>
    /// Points and levels (the processor's award reaction, after response tracking's: call after
    /// <c>AddShequnResponses</c>; options <c>Points:*</c>) and member merges.
    /// </summary>
    public static IHostApplicationBuilder AddShequnPoints(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PointsOptions>().Bind(builder.Configuration.GetSection("Points"))
            .Validate(o => o.LateAfter > TimeSpan.Zero, "Points: LateAfter must be positive.").ValidateOnStart();
        builder.Services.AddSingleton<IBatchReaction, PointsReaction>();
        builder.Services.AddScoped<PointsLedger>();
        builder.Services.AddScoped<MemberMerges>();
        return builder;
    }
}
