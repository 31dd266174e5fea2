using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>A flash sale planned on the campaigns page, refused while its budget is too small, then saved, published and announced; it shows on the calendar.</summary>
public sealed class CampaignsPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Campaigns_PlanAFlashSale_PublishAndAnnounce_ItIsOnTheCalendar()
    {
        using var api = app.ApiClient();
        var community = "活动页面群" + Guid.NewGuid().ToString("N")[..4];
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name = community, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var name = "鱼油秒杀" + Guid.NewGuid().ToString("N")[..4];

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/campaigns");
        await page.GetByTestId("campaign-new").ClickAsync();
        await page.Locator("input[data-testid=campaign-name-input]").FillAsync(name);
        await page.GetByTestId("campaign-communities").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = community }).First.ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        // The closing list re-renders the form: typing starts once it is gone.
        await page.Locator(".mud-popover-open .mud-list-item").First.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        async Task FillRulesAsync()
        {
            await page.Locator("input[data-testid=rule-price]").FillAsync("9.9");
            await page.Locator("input[data-testid=rule-stock]").FillAsync("100");
            await page.Locator("input[data-testid=rule-limit]").FillAsync("1");
        }
        await FillRulesAsync();
        // A reward that costs more than the budget is refused with the amounts.
        await page.Locator("input[data-testid=campaign-budget]").FillAsync("50");
        await page.GetByTestId("campaign-add-reward").ClickAsync();
        var reward = page.GetByTestId("campaign-reward").First;
        await reward.Locator("input").Nth(1).FillAsync("晒单红包");
        await reward.Locator("input").Nth(3).FillAsync("8");
        await reward.Locator("input").Nth(4).FillAsync("10");
        // The live preview follows the blocks.
        await page.GetByTestId("campaign-block").First.Locator("input").Nth(1).FillAsync("鱼油 9.9 元");
        await page.GetByTestId("campaign-preview").Filter(new() { HasTextString = "鱼油 9.9 元" }).WaitForAsync();
        await page.GetByTestId("campaign-save").ClickAsync();
        var budgetError = page.GetByTestId("campaign-budget-error");
        await budgetError.WaitForAsync();
        Assert.Contains("80.00", await budgetError.InnerTextAsync(), StringComparison.Ordinal);

        await page.Locator("input[data-testid=campaign-budget]").FillAsync("100");
        // Seen in CI: the price typed just after the list closed came back "required".
        await page.SaveUntilListedAsync(name, FillRulesAsync);
        await page.GetByTestId("campaign-publish").ClickAsync();
        await page.GetByTestId("campaign-editor-phase").Filter(new() { HasTextString = "未开始" }).WaitForAsync();
        await page.GetByTestId("campaign-announce").ClickAsync();
        await page.GetByTestId("campaign-announcements").WaitForAsync();

        var list = await api.GetFromJsonAsync<JsonElement>("/api/campaigns?kind=flashSale", Ct);
        var summary = list.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var id = summary.GetProperty("id").GetString();
        var campaign = await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{id}", Ct);
        Assert.Equal("published", campaign.GetProperty("status").GetString());
        Assert.Equal(100, campaign.GetProperty("stockLeft").GetInt32());
        Assert.Equal(990, campaign.GetProperty("rules").GetProperty("priceFen").GetInt64());
        Assert.Equal(10000, campaign.GetProperty("budgetFen").GetInt64());
        Assert.Equal(1, campaign.GetProperty("announcements").GetArrayLength());

        // On the calendar it runs from tomorrow, linked back to the campaign.
        await page.OpenAsync("/calendar");
        await page.GetByTestId("calendar-day").First.WaitForAsync();
        var chip = page.Locator($"[data-testid=calendar-campaign][data-campaign-id='{id}']");
        if (await chip.CountAsync() == 0)
            await page.GetByTestId("calendar-next").ClickAsync();
        await chip.First.ClickAsync();
        await page.GetByTestId("campaign-editor").Filter(new() { HasTextString = name }).WaitForAsync();
    }
}
