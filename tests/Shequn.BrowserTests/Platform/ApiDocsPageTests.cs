using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Platform;

/// <summary>The API reference at /api/docs works offline: everything it loads comes from the app itself.</summary>
public sealed class ApiDocsPageTests(ConsoleApp app)
{
    [Fact]
    public async Task ApiDocs_Loaded_RequestsNothingFromOtherHostsAndShowsNoVendorButtons()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        var requested = new List<string>();
        page.Request += (_, request) =>
        {
            lock (requested)
                requested.Add(request.Url);
        };

        await page.GotoAsync("/api/docs/");
        await page.GetByText("Shequn API").First.WaitForAsync();
        await page.GetByText("Moderation").First.WaitForAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        var origin = new Uri(app.BaseUrl).GetLeftPart(UriPartial.Authority);
        List<string> urls;
        lock (requested)
            urls = [.. requested];
        Assert.Contains(urls, u => u.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
        Assert.All(urls, u => Assert.True(u.StartsWith(origin + "/", StringComparison.Ordinal) || u.StartsWith("data:", StringComparison.Ordinal), u));
        var text = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Ask AI", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Deploy", text, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("link[href*='fonts.']").CountAsync());
        await page.ScreenshotAsync("api-docs");
    }
}
