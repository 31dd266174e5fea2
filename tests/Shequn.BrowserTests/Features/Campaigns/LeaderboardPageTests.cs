using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// 比: a leaderboard's public page at phone size ranks the members by the messages they posted in the Sandbox group
/// under the published scoring rule, and words that rule.
/// </summary>
public sealed class LeaderboardPageTests(ConsoleApp app)
{
    [Fact]
    public async Task Board_MessagesInTheGroup_RankedAtPhoneSize_WithThePublishedRule()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "排行榜页面群");
        var campaign = await CampaignKit.CreateAsync(api, new
        {
            name = "发言排行榜", kind = "leaderboard", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(2),
            audience = new { communityIds = new[] { community } }, goalMetric = "participants", goalTarget = 10,
            rules = new { scoring = new { messagePoints = 2, top = 10 } },
        });
        await CampaignKit.JoinAsync(api, community, ["阿花", "阿草"], ("阿花", "早"), ("阿花", "今天团什么"), ("阿花", "好的"), ("阿草", "收到"));

        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await phone.NewPageAsync();
        await page.GotoAsync($"/c/{campaign.Slug}/board");
        await page.GetByTestId("board-name").Filter(new() { HasTextString = "发言排行榜" }).WaitForAsync();
        // The standings follow the event log: reload until both scorers are ranked.
        var rows = page.GetByTestId("board-row");
        for (var attempt = 0; attempt < 40 && await rows.CountAsync() < 2; attempt++)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            await page.ReloadAsync();
        }
        Assert.Equal(2, await rows.CountAsync());
        Assert.Matches(@"^\s*1\s+阿花\s+6\s*$", await rows.Nth(0).InnerTextAsync());
        Assert.Matches(@"^\s*2\s+阿草\s+2\s*$", await rows.Nth(1).InnerTextAsync());
        await page.GetByTestId("board-rule").Filter(new() { HasTextString = "每发一条消息得 2 分" }).WaitForAsync();
        Assert.Equal(0, await page.Locator("body").EvaluateAsync<int>("b => b.scrollWidth > window.innerWidth ? 1 : 0"));
        await page.ScreenshotAsync("campaign-leaderboard-phone");
    }
}
