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

    [Fact]
    public async Task Tags_MadeInTheDialog_GivenOnTheEditPage_ShowAsChipsAndFilterTheList()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var tag = "浙江试点" + suffix;
        var name = "标签测试群" + suffix;

        await page.OpenAsync("/communities");
        var rows = page.GetByTestId("community-table").Locator("tbody tr");
        await rows.Nth(10).WaitForAsync();
        // The demo's communities carry tags of their own.
        await page.GetByTestId("community-tag-chip").Filter(new() { HasTextString = "华东" }).First.WaitForAsync();

        await page.GetByTestId("community-tags-manage").ClickAsync();
        await page.GetByTestId("community-tag-new-name").FillAsync(tag);
        await page.GetByTestId("community-tag-add").ClickAsync();
        await page.WaitForFunctionAsync(
            "tag => [...document.querySelectorAll('input[data-testid=community-tag-name]')].some(i => i.value === tag)", tag);
        await page.ScreenshotAsync("community-tags-dialog.zh-CN");
        await page.GetByTestId("community-tags-close").ClickAsync();

        await page.GetByTestId("new-community").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/communities/new");
        await page.GetByTestId("community-name").FillAsync(name);
        // A multiple choice: the options stay open until Escape.
        await page.GetByTestId("community-tags").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = tag }).First.ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        await page.GetByTestId("community-save").ClickAsync();

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/communities");
        var row = rows.Filter(new() { HasTextString = name });
        await row.GetByTestId("community-tag-chip").Filter(new() { HasTextString = tag }).WaitForAsync();

        await page.SelectOptionAsync(page.GetByTestId("community-filter-tag"), tag);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=community-table] tbody tr').length === 1");
        Assert.Contains(name, await rows.First.InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("communities-by-tag.zh-CN");
    }
}
