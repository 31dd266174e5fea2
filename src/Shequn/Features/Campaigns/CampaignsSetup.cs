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
        builder.Services.AddSingleton<InvitationSettler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InvitationSettler>());
        builder.AddShequnLotteries();
        return builder;
    }
}
