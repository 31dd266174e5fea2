namespace Shequn.Features.Acquisition;

public sealed class FriendPlanOptions
{
    /// <summary>Off in tests, which plan when they ask.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the job looks for workspaces whose day can be planned (or topped up with leads queued since).</summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromMinutes(5);
}

public static class FriendsSetup
{
    /// <summary>Friend-add pacing (issue 14): accounts, the queue, the planner and its job (options <c>FriendAdds:*</c>).</summary>
    public static IHostApplicationBuilder AddShequnFriendAdds(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<FriendPlanOptions>().Bind(builder.Configuration.GetSection("FriendAdds"))
            .Validate(o => o.CheckEvery > TimeSpan.Zero, "FriendAdds:CheckEvery must be positive.").ValidateOnStart();
        builder.Services.AddScoped<FriendAccounts>();
        builder.Services.AddScoped<FriendLeads>();
        builder.Services.AddScoped<FriendPlanner>();
        builder.Services.AddSingleton<FriendPlanJob>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FriendPlanJob>());
        return builder;
    }
}
