using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// A bargain on two phones: one member starts it from their personal link and shares it; a friend who opened their own
/// link before opens the shared link and cuts; the page shows the cut price, and a second cut by the same friend is refused.
/// </summary>
public sealed class BargainPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bargain_StartedAndShared_AFriendCutsOnce_AtPhoneSize()
    {
        using var api = app.ApiClient();
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name = "砍价页面群" + Guid.NewGuid().ToString("N")[..4], platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var communityId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/communities/{communityId}/chat");
        foreach (var name in new[] { "阿强", "阿珍" })
        {
            await page.JoinSandboxChatAsync(name);
            await page.GetByTestId("chat-system").Filter(new() { HasTextString = name }).WaitForAsync();
        }

        var made = await api.PostAsJsonAsync("/api/campaigns", new
        {
            name = "砍到 50 元", kind = "bargain", startsAt = DateTimeOffset.UtcNow.AddHours(-1), endsAt = DateTimeOffset.UtcNow.AddDays(2),
            audience = new { communityIds = new[] { communityId } }, goalMetric = "completions", goalTarget = 10,
            rules = new { priceFen = 10000, floorPriceFen = 5000, helpers = 2 },
        }, Ct);
        Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync(Ct));
        var id = (await made.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();
        (await api.PostAsync($"/api/campaigns/{id}/publish", null, Ct)).EnsureSuccessStatusCode();
        var members = (await api.GetFromJsonAsync<JsonElement>($"/api/members?communityId={communityId}", Ct)).GetProperty("items").EnumerateArray()
            .ToDictionary(m => m.GetProperty("displayName").GetString()!, m => m.GetProperty("id").GetString());
        async Task<string> LinkAsync(string name) =>
            new Uri((await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{id}/links/{members[name]}", Ct)).GetProperty("url").GetString()!).PathAndQuery;

        await using var first = await app.NewContextAsync(ConsoleApp.Phone);
        var a = await first.NewPageAsync();
        await a.GotoAsync(await LinkAsync("阿强"));
        await a.GetByTestId("bargain-start").ClickAsync();
        var share = a.GetByTestId("campaign-share");
        await share.WaitForAsync();
        var shared = await share.Locator("a").GetAttributeAsync("href");
        Assert.Contains("b=", shared, StringComparison.Ordinal);

        await using var second = await app.NewContextAsync(ConsoleApp.Phone);
        var b = await second.NewPageAsync();
        await b.GotoAsync(await LinkAsync("阿珍"));
        await b.GotoAsync(shared!);
        await b.GetByTestId("bargain-progress").WaitForAsync();
        await b.GetByTestId("bargain-cut").ClickAsync();
        await b.GetByTestId("campaign-help-result").Filter(new() { HasTextString = "你砍掉了" }).WaitForAsync();
        await b.ReloadAsync();
        await b.GetByTestId("bargain-progress").Filter(new() { HasTextString = "已砍 1 / 2 刀" }).WaitForAsync();
        // The same friend again: answered (with their first cut or a refusal), and the bargain keeps one cut.
        await b.GetByTestId("bargain-cut").ClickAsync();
        await b.GetByTestId("campaign-help-result").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^(?!正在提交).+") }).WaitForAsync();
        await b.ScreenshotAsync("campaign-bargain-phone");
        var bargains = await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{id}/bargains", Ct);
        var bargain = Assert.Single(bargains.EnumerateArray());
        Assert.Equal((1, 1), (bargain.GetProperty("cuts").GetInt32(), bargain.GetProperty("cutList").GetArrayLength()));
        Assert.True(bargain.GetProperty("priceFen").GetInt64() is > 5000 and < 10000);
    }
}
