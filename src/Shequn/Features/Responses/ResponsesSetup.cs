using Shequn.Features.Outbox;

namespace Shequn.Features.Responses;

public static class ResponsesSetup
{
    /// <summary>Response tracking: the processor's reaction and the board behind the API and the page (options <c>Responses:*</c>).</summary>
    public static IHostApplicationBuilder AddShequnResponses(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ResponsesOptions>().Bind(builder.Configuration.GetSection("Responses"))
            .Validate(o => o.Window > TimeSpan.Zero && o.Target > TimeSpan.Zero, "Responses:Window and Responses:Target must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IBatchReaction, ResponseTracker>();
        builder.Services.AddSingleton<ResponseBoards>();
        return builder;
    }
}
