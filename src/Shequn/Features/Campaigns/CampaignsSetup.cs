namespace Shequn.Features.Campaigns;

public static class CampaignsSetup
{
    /// <summary>Campaigns (issue 13): the editor, their announcements on the calendar, their public pages and mechanics.</summary>
    public static IHostApplicationBuilder AddShequnCampaigns(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddScoped<CampaignDesk>();
        return builder;
    }
}
