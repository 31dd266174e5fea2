using Microsoft.Extensions.Options;
using Shequn.Platform.Outbound;

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
        AddGroupBuys(builder);
        builder.Services.AddScoped<LeaderboardReader>();
        builder.Services.AddScoped<LeaderboardDesk>();
        builder.Services.AddScoped<Quizzes>();
        builder.Services.AddScoped<Swaps>();
        builder.Services.AddScoped<CampaignPoints>();
        builder.Services.AddSingleton<Outbox.IBatchReaction, CardCollectingReaction>();
        return builder;
    }

    /// <summary>Group buys: joins and payments, the job closing groups and sending refund requests, and the shop's refund endpoint.</summary>
    private static void AddGroupBuys(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GroupBuyOptions>().Bind(builder.Configuration.GetSection("Campaigns"))
            .Validate(o => o.GroupSettleInterval > TimeSpan.Zero, "Campaigns:GroupSettleInterval must be positive.")
            .Validate(o => string.IsNullOrWhiteSpace(o.ShopRefundUrl) || Uri.TryCreate(o.ShopRefundUrl, UriKind.Absolute, out _), "Campaigns:ShopRefundUrl must be an absolute URL.")
            .ValidateOnStart();
        builder.Services.AddScoped<GroupBuys>();
        builder.Services.AddScoped<GroupRefunds>();
        builder.Services.AddHttpClient(GroupRefunds.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(20)).RemoveAllLoggers()
            .UseOutboundGuard(sp => sp.GetRequiredService<IOptions<GroupBuyOptions>>().Value.ShopRefundUrl);
        builder.Services.AddSingleton<GroupBuySettler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GroupBuySettler>());
    }

    /// <summary>Flash sales: claims, personal links, the public page's caches and the job releasing unpaid reservations.</summary>
    private static void AddFlashSale(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<FlashSaleOptions>().Bind(builder.Configuration.GetSection("Campaigns"));
        builder.Services.AddScoped<FlashSale>();
        builder.Services.AddScoped<CampaignHelpWork>();
        builder.Services.AddSingleton<CampaignLinks>();
        builder.Services.AddSingleton<CampaignPosters>();
        builder.Services.AddSingleton<CampaignSnapshots>();
        builder.Services.AddSingleton<ClaimBook>();
        builder.Services.AddSingleton<FlashSaleReleaser>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FlashSaleReleaser>());
    }
}
