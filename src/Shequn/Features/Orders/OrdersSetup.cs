namespace Shequn.Features.Orders;

public sealed class OrderOptions
{
    /// <summary>Whether this node runs the pass that retries unmatched orders.</summary>
    public bool MatchEnabled { get; set; } = true;
    public TimeSpan MatchInterval { get; set; } = TimeSpan.FromMinutes(5);
    public int MatchBatch { get; set; } = 500;
}

public static class OrdersSetup
{
    /// <summary>Orders and revenue (issue 15): the desk, the matching and the retry pass (options <c>Orders:*</c>).</summary>
    public static IHostApplicationBuilder AddShequnOrders(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OrderOptions>().Bind(builder.Configuration.GetSection("Orders"))
            .Validate(o => o.MatchInterval >= TimeSpan.FromSeconds(1) && o.MatchBatch >= 1, "Orders: MatchInterval ≥ 1 s, MatchBatch ≥ 1.")
            .ValidateOnStart();
        builder.Services.AddScoped<OrderDesk>();
        builder.Services.AddScoped<CategoryBoard>();
        builder.Services.AddScoped<OrderMatching>();
        builder.Services.AddSingleton<OrderMatchJob>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OrderMatchJob>());
        return builder;
    }
}
