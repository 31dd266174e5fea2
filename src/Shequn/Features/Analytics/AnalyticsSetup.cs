namespace Shequn.Features.Analytics;

public static class AnalyticsSetup
{
    /// <summary>Figures read across communities: retention cohorts, health, rankings, staff KPIs, the figures table.</summary>
    public static IHostApplicationBuilder AddShequnAnalytics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<RetentionCohorts>();
        builder.Services.AddScoped<CommunityPeriod>();
        builder.Services.AddScoped<CommunityHealth>();
        builder.Services.AddScoped<CommunityScores>();
        builder.Services.AddScoped<StaffKpis>();
        builder.Services.AddScoped<FigureTable>();
        builder.Services.AddSingleton<FigureBoards>();
        return builder;
    }
}
