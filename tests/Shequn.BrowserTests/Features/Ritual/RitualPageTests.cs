using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Ritual;

public sealed class RitualPageTests(ConsoleApp app)
{
    [Fact]
    public async Task Owner_OnAPhone_SeesTheLivePreviewAndTheUnknownVariable_ThenSavesTheWelcome()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var name = "仪式测试群-" + Guid.NewGuid().ToString("N")[..6];
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();

        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/communities/{id}");
        await page.GetByTestId("community-ritual-link").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == $"/communities/{id}/ritual");
        await page.WaitForInteractiveAsync();
        await page.GetByTestId("ritual-preview-greeting").Filter(new() { HasTextString = name }).WaitForAsync();
        await page.AssertFitsAsync((int)ConsoleApp.Phone.Width, "ritual page");

        await page.GetByTestId("ritual-preview-names").FillAsync("甲，乙");
        await page.GetByTestId("ritual-preview-greeting").Filter(new() { HasTextString = "甲、乙" }).WaitForAsync();

        var welcome = page.GetByTestId("ritual-welcome-text");
        await welcome.FillAsync("欢迎 {name}");
        var field = page.Locator(".mud-input-control").Filter(new() { Has = welcome });
        await field.Filter(new() { HasTextString = "未知变量" }).WaitForAsync();
        Assert.Contains("{name}", await field.InnerTextAsync(), StringComparison.Ordinal);

        await welcome.FillAsync("你好 {nickname}，欢迎来到{community}");
        await page.GetByTestId("ritual-preview-greeting").Filter(new() { HasTextString = $"你好 甲、乙，欢迎来到{name}" }).WaitForAsync();
        await page.GetByTestId("ritual-save").AssertReachableAsync((int)ConsoleApp.Phone.Width, "ritual: save");
        await page.GetByTestId("ritual-save").ClickAsync();

        for (var i = 0; ; i++)
        {
            var stored = await api.GetFromJsonAsync<JsonElement>($"/api/communities/{id}/ritual", ct);
            if (stored.GetProperty("saved").GetBoolean())
            {
                Assert.Equal("你好 {nickname}，欢迎来到{community}", stored.GetProperty("welcomeText").GetString());
                break;
            }
            Assert.True(i < 50, "the ritual was not saved");
            await Task.Delay(100, ct);
        }
        await page.ScreenshotAsync("ritual.phone.zh-CN");
    }
}
