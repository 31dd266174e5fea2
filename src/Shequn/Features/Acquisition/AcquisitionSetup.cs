namespace Shequn.Features.Acquisition;

public static class AcquisitionSetup
{
    /// <summary>Channels and live codes: the short link's directory and scan writer, images, alerts and upkeep (options <c>LiveCodes:*</c>).</summary>
    public static IHostApplicationBuilder AddShequnAcquisition(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LiveCodeOptions>().Bind(builder.Configuration.GetSection("LiveCodes"))
            .Validate(o => o.Cache >= TimeSpan.Zero && o.BurstWindow >= TimeSpan.FromSeconds(1) && o.MaxBatch >= 1 && o.UpkeepInterval >= TimeSpan.FromSeconds(1)
                && o.QrLifetime > TimeSpan.Zero && o.QrRefreshBefore >= TimeSpan.Zero && o.PendingWindow >= TimeSpan.Zero,
                "LiveCodes: Cache ≥ 0, BurstWindow ≥ 1 s, MaxBatch ≥ 1, UpkeepInterval ≥ 1 s, QrLifetime > 0, QrRefreshBefore and PendingWindow ≥ 0.")
            .ValidateOnStart();
        builder.Services.AddSingleton<LiveCodeDirectory>();
        builder.Services.AddSingleton<ScanBook>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ScanBook>());
        builder.Services.AddSingleton<LiveCodeImages>();
        builder.Services.AddSingleton<LiveCodeAlerts>();
        builder.Services.AddSingleton<LiveCodeLeads>();
        builder.Services.AddScoped<AcquisitionDesk>();
        builder.Services.AddScoped<AcquisitionFunnel>();
        builder.Services.AddSingleton<LiveCodeUpkeep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveCodeUpkeep>());
        builder.Services.AddSingleton<Outbox.IBatchReaction, LiveCodeJoinReaction>();
        return builder;
    }
}
