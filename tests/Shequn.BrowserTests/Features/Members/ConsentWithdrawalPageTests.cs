using Shequn.BrowserTests.Features.Campaigns;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Members;

/// <summary>
/// A member's own withdrawal on a phone: they leave a phone on a campaign's page, follow the withdrawal link its answer
/// shows, read what they agreed to and withdraw; the owner's member page shows the consent withdrawn by the member.
/// </summary>
public sealed class ConsentWithdrawalPageTests(ConsoleApp app)
{
    [Fact]
    public async Task Phone_LeftOnACampaignPage_WithdrawnThroughItsLink_OwnerSeesTheMembersWithdrawal()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "撤回授权群");
        var member = (await CampaignKit.JoinAsync(api, community, ["小撤"]))["小撤"];
        var sale = await CampaignKit.CreateAsync(api, new
        {
            name = "撤回授权秒杀" + Guid.NewGuid().ToString("N")[..4], kind = "flashSale", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5),
            endsAt = DateTimeOffset.UtcNow.AddDays(2), audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rules = new { priceFen = 990, originalPriceFen = 1990, stock = 10, perPersonLimit = 1, collectPhone = true },
        });

        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var h5 = await phone.NewPageAsync();
        await h5.GotoAsync(await CampaignKit.LinkAsync(api, sale.Id, member));
        await h5.GetByTestId("campaign-phone-input").FillAsync("138 0013 8111");
        await h5.GetByTestId("campaign-phone-consent").CheckAsync();
        var notice = (await h5.GetByTestId("campaign-phone-consent-text").InnerTextAsync()).Trim();
        await h5.GetByTestId("campaign-phone-submit").ClickAsync();
        await h5.GetByTestId("campaign-phone-result").Filter(new() { HasTextString = "138****8111" }).WaitForAsync();
        var link = h5.GetByTestId("campaign-phone-withdraw");
        await link.WaitForAsync();
        var href = await link.GetAttributeAsync("href");
        Assert.Matches("^/w/[A-Za-z0-9_-]{43}$", href);
        await h5.ScreenshotAsync("campaign-phone-withdraw-offer");

        // The withdrawal page: what was agreed (the notice as shown), when and where; it fits the phone.
        await link.ClickAsync();
        await h5.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/w/[A-Za-z0-9_-]{43}$"));
        Assert.Equal(notice, (await h5.GetByTestId("withdraw-notice").InnerTextAsync()).Trim());
        Assert.Contains("/c/" + sale.Slug, await h5.GetByTestId("withdraw-where").InnerTextAsync(), StringComparison.Ordinal);
        await h5.AssertFitsAsync(PhoneLayout.Width, "the withdrawal page");
        await h5.ScreenshotAsync("consent-withdraw-page");
        await h5.GetByTestId("withdraw-submit").ClickAsync();
        await h5.GetByTestId("withdraw-done").WaitForAsync();
        await h5.AssertFitsAsync(PhoneLayout.Width, "the withdrawal's answer");
        await h5.ScreenshotAsync("consent-withdraw-done");
        // The link is used up.
        var gone = await h5.GotoAsync(href!);
        Assert.Equal(404, gone!.Status);
        await h5.GetByTestId("withdraw-not-found").WaitForAsync();

        await using var owner = await app.NewContextAsync();
        var page = await owner.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/members/{member}");
        await page.GetByTestId("member-consent-withdrawn").WaitForAsync();
        Assert.Contains("本人通过撤回链接撤回", await page.GetByTestId("member-consent-state").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.GetByTestId("member-consent-withdraw").CountAsync());
        await page.ScreenshotAsync("member-consent-withdrawn-by-member");
    }
}
