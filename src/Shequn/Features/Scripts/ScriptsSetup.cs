using Shequn.Features.Outbox;

namespace Shequn.Features.Scripts;

public static class ScriptsSetup
{
    /// <summary>The script library, auto-replies (editors for page and API) and the auto-reply reaction of the processor.</summary>
    public static IHostApplicationBuilder AddShequnScripts(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<AutoReplyOptions>().Bind(builder.Configuration.GetSection("AutoReplies"))
            .Validate(o => o.LateAfter > TimeSpan.Zero, "AutoReplies: LateAfter must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<ScriptLibrary>();
        builder.Services.AddScoped<AutoReplyEditor>();
        builder.Services.AddSingleton<IBatchReaction, AutoReplyReaction>();
        return builder;
    }
}
