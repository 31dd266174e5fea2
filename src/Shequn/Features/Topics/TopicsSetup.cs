namespace Shequn.Features.Topics;

public static class TopicsSetup
{
    /// <summary>The topic library, topic sessions (their announcements are calendar posts) and their summaries (issue 12).</summary>
    public static IHostApplicationBuilder AddShequnTopics(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddScoped<TopicLibrary>();
        builder.Services.AddScoped<TopicSessions>();
        builder.Services.AddScoped<TopicSummaries>();
        return builder;
    }
}
