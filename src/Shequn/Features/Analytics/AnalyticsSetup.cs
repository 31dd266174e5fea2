namespace Shequn.Features.Analytics;

public static class AnalyticsSetup
{
    /// <summary>Figures read across communities (retention cohorts, health, rankings, staff KPIs, the figures table) and
    /// the interaction graph's upkeep and the cohorts' stored outcomes (options <c>Analytics:*</c>).</summary>
    public static IHostApplicationBuilder AddShequnAnalytics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<RetentionCohorts>();
        builder.Services.AddScoped<CommunityPeriod>();
        builder.Services.AddScoped<CommunityHealth>();
        builder.Services.AddScoped<CommunityScores>();
        builder.Services.AddScoped<StaffKpis>();
        builder.Services.AddScoped<FigureTable>();
        builder.Services.AddSingleton<FigureBoards>();
        builder.Services.AddOptions<AnalyticsOptions>().Bind(builder.Configuration.GetSection("Analytics"))
            .Validate(o => o.ReplyMemoryDays >= 1, "Analytics:ReplyMemoryDays must be at least 1.")
            .Validate(o => o.PruneInterval >= TimeSpan.FromSeconds(1), "Analytics:PruneInterval must be at least 1 s.")
            .Validate(o => o.CohortSettleInterval >= TimeSpan.FromSeconds(1), "Analytics:CohortSettleInterval must be at least 1 s.")
            .Validate(o => o.CohortGrace >= TimeSpan.Zero, "Analytics:CohortGrace must not be negative.")
            .Validate(o => o.WorkspaceDaysInterval >= TimeSpan.FromSeconds(1), "Analytics:WorkspaceDaysInterval must be at least 1 s.")
            .Validate(o => o.WorkspaceDaysKept is >= 1 and <= 400, "Analytics:WorkspaceDaysKept must be from 1 to 400.")
            .Validate(o => o.WorkspaceDaysPause >= TimeSpan.Zero, "Analytics:WorkspaceDaysPause must not be negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton<InteractionPrune>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InteractionPrune>());
        builder.Services.AddSingleton<CohortSettle>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CohortSettle>());
        builder.Services.AddSingleton<WorkspaceDaySettle>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkspaceDaySettle>());
        return builder;
    }
}
