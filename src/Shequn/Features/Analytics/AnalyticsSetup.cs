namespace Shequn.Features.Analytics;

public static class AnalyticsSetup
{
    /// <summary>Figures read across communities: retention cohorts.</summary>
    public static IHostApplicationBuilder AddShequnAnalytics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<RetentionCohorts>();
        return builder;
    }
}
