using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Communities;

public sealed class CommunityPagesTests(ConsoleApp app)
{
    [Fact]
    public async Task New_FilledForm_CommunityIsListedAndFoundBySearch()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        var name = "浏览器测试群" + Guid.NewGuid().ToString("N")[..6];

        await page.OpenAsync("/communities");
        await page.GetByTestId("community-table").Locator("tbody tr").Nth(10).WaitForAsync();
        await page.ScreenshotAsync("communities.zh-CN");

        await page.GetByTestId("new-community").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/communities/new");
        await page.GetByTestId("community-name").FillAsync(name);
        var capacity = page.GetByTestId("community-capacity");
        await capacity.FillAsync("150");
        await capacity.PressAsync("Tab");
        await page.GetByTestId("community-save").ClickAsync();

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/communities");
        var row = page.GetByTestId("community-table").Locator("tbody tr").Filter(new() { HasTextString = name });
        await row.WaitForAsync();
        Assert.Contains("0 / 150", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.GetByTestId("community-table").Locator("tbody tr").CountAsync() > 10);

        await page.GetByTestId("community-search").FillAsync(name[..8]);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=community-table] tbody tr').length === 1");
        Assert.Equal(1, await row.CountAsync());
    }
}
