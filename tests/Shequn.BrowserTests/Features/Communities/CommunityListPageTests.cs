using Shequn.BrowserTests.Features.Members;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Communities;

/// <summary>The communities list: platform filter, today's activity, links to each community's activity and chat.</summary>
public sealed class CommunityListPageTests(ConsoleApp app)
{
    [Fact]
    public async Task PlatformFilterAndLinks_SandboxGroups_OpenTheirActivityAndChat()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/communities");
        var rows = page.GetByTestId("community-table").Locator("tbody tr");
        await rows.Nth(5).WaitForAsync();
        var all = await rows.CountAsync();

        await page.SelectOptionAsync(page.GetByTestId("community-filter-platform"), "沙盒");
        await page.WaitForFunctionAsync(
            "all => { const r = document.querySelectorAll('[data-testid=community-table] tbody tr'); return r.length > 0 && r.length < all; }", all);
        var sandbox = await rows.CountAsync();
        Assert.Equal(sandbox, await page.GetByTestId("community-chat-link").CountAsync());
        var today = (await page.GetByTestId("community-today").AllInnerTextsAsync()).Select(ConsolePages.ParseFigure).ToList();
        Assert.Equal(sandbox, today.Count);

        var name = await page.GetByTestId("community-link").First.InnerTextAsync();
        await page.GetByTestId("community-activity-link").First.ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.EndsWith("/activity", StringComparison.Ordinal));
        await page.GetByTestId("today-figures").WaitForAsync();
        Assert.Contains(name, await page.TitleAsync(), StringComparison.Ordinal);

        await page.GoBackAsync();
        await page.WaitForInteractiveAsync();
        await page.GetByTestId("community-chat-link").First.ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.EndsWith("/chat", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NewCommunity_Operator_DisabledWithTheReasonOnHover()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync("zhou.ting@demo.shequn.local", app.StaffPassword);
        await page.OpenAsync("/communities");

        var wrapper = page.GetByTestId("new-community-disabled");
        await wrapper.WaitForAsync();

        Assert.True(await page.GetByTestId("new-community").IsDisabledAsync());
        Assert.False(string.IsNullOrWhiteSpace(await wrapper.GetAttributeAsync("title")));
    }

    [Fact]
    public async Task Phone_CommunitiesList_FitsWithLabelledCards()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.SetViewportSizeAsync(390, 844);
        await page.OpenAsync("/communities");
        var first = page.GetByTestId("community-table").Locator("tbody tr").First;
        await first.WaitForAsync();

        Assert.Equal("社群名称", await first.Locator("td").First.GetAttributeAsync("data-label"));
        await PhoneLayout.AssertFitsAsync(page);
        Assert.True(await page.GetByTestId("new-community").IsVisibleAsync());
        Assert.True(await page.GetByTestId("community-activity-link").First.IsVisibleAsync());
        await page.ScreenshotAsync("communities.phone");
    }
}
