using System.Net.Http.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Acquisition;

public sealed class FriendAddsPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Owner_OnAPhone_PlansTomorrow_AndRecordsAnAdd()
    {
        var suffix = Random.Shared.Next(0, 10_000_000).ToString("0000000", System.Globalization.CultureInfo.InvariantCulture);
        var name = "浏览器顾客" + suffix;
        using (var api = app.ApiClient())
        {
            // Tomorrow is planned, not today: late in the workspace's day no slot of today is left, whatever the window.
            var account = await api.PostAsJsonAsync("/api/friend-adds/accounts", new { name = "浏览器账号" + suffix, dailyLimit = 20, windowStartHour = 0, windowEndHour = 24 }, Ct);
            Assert.True(account.IsSuccessStatusCode, await account.Content.ReadAsStringAsync(Ct));
            var lead = await api.PostAsJsonAsync("/api/friend-adds/leads", new { name, phone = "1390" + suffix, source = "phoneInvitation" }, Ct);
            Assert.True(lead.IsSuccessStatusCode, await lead.Content.ReadAsStringAsync(Ct));
        }
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);

        await page.OpenAsync("/friend-adds");
        var label = page.GetByTestId("friend-day-label");
        Assert.Contains("今天", await label.InnerTextAsync(), StringComparison.Ordinal);
        await page.GetByTestId("friend-day-next").ClickAsync();
        await page.Locator("[data-testid=friend-day-label]", new() { HasTextString = "明天" }).WaitForAsync();
        var plan = page.GetByTestId("friend-plan-day");
        Assert.Equal("安排这一天", (await plan.InnerTextAsync()).Trim());
        await plan.ClickAsync();

        var item = page.GetByTestId("friend-plan-item").Filter(new() { HasTextString = name });
        await item.WaitForAsync();
        Assert.Contains(name, await item.GetByTestId("friend-item-greeting").InnerTextAsync(), StringComparison.Ordinal);
        await page.AssertFitsAsync();
        await item.GetByTestId("friend-outcome-added").ClickAsync();
        await page.Locator($"[data-testid=friend-plan-item][data-status=Added]").Filter(new() { HasTextString = name }).WaitForAsync();
        Assert.Equal("已添加", (await item.GetByTestId("friend-item-status").InnerTextAsync()).Trim());
    }
}
