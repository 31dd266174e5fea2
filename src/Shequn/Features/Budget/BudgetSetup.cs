namespace Shequn.Features.Budget;

public static class BudgetSetup
{
    /// <summary>Costs, the monthly cap and its alerts (options <c>Budget:*</c>).</summary>
    public static IHostApplicationBuilder AddShequnBudget(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BudgetOptions>().Bind(builder.Configuration.GetSection("Budget"))
            .Validate(o => o.WatchInterval >= TimeSpan.FromSeconds(1), "Budget:WatchInterval must be at least 1 s.")
            .ValidateOnStart();
        builder.Services.AddScoped<BudgetBook>();
        builder.Services.AddScoped<RoiBoard>();
        builder.Services.AddSingleton<BudgetWatch>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BudgetWatch>());
        return builder;
    }
}
