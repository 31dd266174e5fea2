using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// 积分兑换 at phone size: a member earns campaign points by passing a quiz on its page (the quiz's points reward), then
/// redeems an item on the points page; the balance and the item's stock go down by what was spent.
/// </summary>
public sealed class PointsRedemptionPageTests(ConsoleApp app)
{
    [Fact]
    public async Task Points_EarnedInAQuiz_RedeemedForAnItem_BalanceAndStockGoDown()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "积分兑换页面群");
        var members = await CampaignKit.JoinAsync(api, community, ["小麦"]);
        var audience = new { communityIds = new[] { community } };
        var quiz = await CampaignKit.CreateAsync(api, new
        {
            name = "答题赢积分", kind = "quiz", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(2), audience,
            goalMetric = "completions", goalTarget = 10,
            rules = new { questions = new[] { new { text = "鱼油每天吃几粒？", options = new[] { "1 粒", "10 粒" }, correct = new[] { 0 } } } },
            rewards = new[] { new { kind = "points", name = "积分", valueFen = 50, costFen = 0, quantity = 100 } },
        });
        var shop = await CampaignKit.CreateAsync(api, new
        {
            name = "积分商城", kind = "pointsRedemption", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(2), audience,
            goalMetric = "participants", goalTarget = 10,
            rules = new { catalog = new[] { new { name = "保温杯", points = 30, stock = 2 } } },
        });
        var token = CampaignKit.Token(await CampaignKit.LinkAsync(api, quiz.Id, members["小麦"]));

        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await phone.NewPageAsync();
        await page.GotoAsync($"/c/{quiz.Slug}/quiz?m={token}");
        await page.Locator("input[name=q0][value='0']").CheckAsync();
        await page.GetByTestId("quiz-submit").ClickAsync();
        await page.GetByTestId("quiz-result").WaitForAsync();

        await page.GotoAsync($"/c/{shop.Slug}/points?m={CampaignKit.Token(await CampaignKit.LinkAsync(api, shop.Id, members["小麦"]))}");
        await page.Locator("[data-testid=points-balance][data-balance='50']").WaitForAsync();
        var item = page.GetByTestId("points-item").Filter(new() { HasTextString = "保温杯" });
        Assert.Contains("剩余 2", await item.InnerTextAsync(), StringComparison.Ordinal);
        await item.Locator("button.redeem").ClickAsync();
        // The page reloads with the server's figures once the redemption is kept.
        await page.Locator("[data-testid=points-balance][data-balance='20']").WaitForAsync();
        await item.Filter(new() { HasTextString = "剩余 1" }).WaitForAsync();
        // 20 points left cannot buy another 30-point cup.
        Assert.True(await item.Locator("button.redeem").IsDisabledAsync());
        Assert.Equal(0, await page.Locator("body").EvaluateAsync<int>("b => b.scrollWidth > window.innerWidth ? 1 : 0"));
        await page.ScreenshotAsync("campaign-points-phone");
    }
}
