namespace Shequn.Features.Calendar;

public static class CalendarSetup
{
    /// <summary>Posts, their scheduler and the playbook lint (issue 12).</summary>
    public static IHostApplicationBuilder AddShequnCalendar(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PostsOptions>().Bind(builder.Configuration.GetSection("Posts"))
            .Validate(o => o.BatchSize > 0 && o.PollInterval > TimeSpan.Zero && o.GracePeriod >= TimeSpan.Zero, "Posts:BatchSize and Posts:PollInterval must be positive, Posts:GracePeriod not negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PostSchedulerSignal>();
        builder.Services.AddScoped<PostPlanner>();
        builder.Services.AddScoped<PostImages>();
        builder.Services.AddScoped<SopPlanner>();
        builder.Services.AddScoped<BrandDates>();
        builder.Services.AddSingleton<PostScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PostScheduler>());
        return builder;
    }
}
