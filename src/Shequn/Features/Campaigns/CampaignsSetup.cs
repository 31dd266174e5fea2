namespace Shequn.Features.Campaigns;

public static class CampaignsSetup
{
    /// <summary>Campaigns (issue 13): the editor, their announcements on the calendar, their public pages and mechanics.</summary>
    public static IHostApplicationBuilder AddShequnCampaigns(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddScoped<CampaignDesk>();
        builder.Services.AddOptions<CampaignsOptions>().Bind(builder.Configuration.GetSection("Campaigns"))
            .Validate(o => o.SettleInterval > TimeSpan.Zero, "Campaigns:SettleInterval must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<Outbox.IBatchReaction, InvitationReaction>();
        builder.Services.AddSingleton<Outbox.IBatchReaction, CheckInReaction>();
        builder.Services.AddSingleton<Outbox.IBatchReaction, PhotoShareReaction>();
        builder.Services.AddSingleton<InvitationSettler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InvitationSettler>());
        AddFlashSale(builder);
        builder.AddShequnLotteries();
        builder.Services.AddScoped<LeaderboardReader>();
        builder.Services.AddScoped<LeaderboardDesk>();
        builder.Services.AddScoped<Quizzes>();
        builder.Services.AddScoped<Swaps>();
        return builder;
    }

    /// <summary>Flash sales: claims, personal links, the public page's caches and the job releasing unpaid reservations.</summary>
    private static void AddFlashSale(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<FlashSaleOptions>().Bind(builder.Configuration.GetSection("Campaigns"));
        builder.Services.AddScoped<FlashSale>();
        builder.Services.AddSingleton<CampaignLinks>();
        builder.Services.AddSingleton<CampaignSnapshots>();
        builder.Services.AddSingleton<FlashSaleReleaser>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FlashSaleReleaser>());
    }
}
