using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;

namespace Shequn.Tests.Features.Demo;

public abstract partial class DemoWorkspaceTests
{
    /// <summary>Every demo campaign passes the editor's checks (the desk refuses a bad one silently at seeding): all five are there, the group buy running with its tier.</summary>
    [Fact]
    public async Task EnsureAndPrint_Campaigns_AllFiveSaved_GroupBuyRunningWithATier()
    {
        await EnsureDemoAsync();
        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var campaigns = await db.Set<Campaign>().AsNoTracking().ToListAsync(TestContext.Current.CancellationToken);
        CampaignKind[] expected = [CampaignKind.FlashSale, CampaignKind.GroupBuy, CampaignKind.Invitation, CampaignKind.CheckIn, CampaignKind.PhotoShare];
        Assert.Equal(expected.Order(), campaigns.Select(c => c.Kind).Order());
        var groupBuy = campaigns.Single(c => c.Kind == CampaignKind.GroupBuy);
        Assert.Equal(CampaignPhase.Running, groupBuy.PhaseAt(DateTime.UtcNow));
        Assert.Equal(200, groupBuy.StockLeft);
        Assert.Equal(new GroupTier(5, 49_00), Assert.Single(groupBuy.RulesValue().Tiers!));
    }
}
