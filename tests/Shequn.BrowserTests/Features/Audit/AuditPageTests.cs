using System.Text.RegularExpressions;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Audit;

public sealed partial class AuditPageTests(ConsoleApp app)
{
    [Fact]
    public async Task Owner_AuditPage_ReadableNamesWholeSecondsAndFilters()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/audit");
        var rows = page.GetByTestId("audit-table").Locator("tbody tr");
        await rows.First.WaitForAsync();

        foreach (var when in await page.GetByTestId("audit-when").AllInnerTextsAsync())
            Assert.Matches(WholeSeconds(), when);

        await page.SelectOptionAsync(page.GetByTestId("audit-filter-entity"), "社群");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=audit-entity]')].every(e => e.innerText.startsWith('社群'))");
        var entities = await page.GetByTestId("audit-entity").AllInnerTextsAsync();
        Assert.NotEmpty(entities);
        // "社群 西安健康生活群", not "Community 0193…". Which communities are on the first page depends on the tests run before.
        Assert.All(entities, e => Assert.Matches(@"^社群 \S", e));
        Assert.DoesNotContain(entities, e => GuidLike().IsMatch(e));
        await page.ScreenshotAsync("audit.zh-CN");
    }

    [Fact]
    public async Task Owner_AuditPage_FitsAPhone()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.SetViewportSizeAsync(PhoneLayout.Width, PhoneLayout.Height);
        await page.OpenAsync("/audit");
        await page.GetByTestId("audit-table").Locator("tbody tr").First.WaitForAsync();

        Assert.Empty(await page.OverflowingAsync());
        Assert.True(await page.GetByTestId("audit-filter-actor").WithinWidthAsync());
        Assert.True(await page.GetByTestId("audit-filter-entity").WithinWidthAsync());
        Assert.True(await page.GetByTestId("audit-when").First.WithinWidthAsync());
        await page.ScreenshotAsync("audit-phone.zh-CN");
    }

    [Fact]
    public async Task SubOwner_AuditPage_ShowsOnlyHerCommunitiesAndNoOwnerTokens()
    {
        // 李静 runs 西安, 成都 and 深海鱼油; the owner's token entries and the other communities are not hers to read.
        string[] hers = ["西安健康生活群", "成都健康生活群", "深海鱼油交流群"];
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync("li.jing@demo.shequn.local", app.StaffPassword);
        await page.OpenAsync("/audit");
        await page.GetByTestId("audit-scope").WaitForAsync();

        await page.SelectOptionAsync(page.GetByTestId("audit-filter-entity"), "社群");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=audit-entity]')].every(e => e.innerText.startsWith('社群'))");
        var entities = await page.GetByTestId("audit-entity").AllInnerTextsAsync();
        Assert.NotEmpty(entities);
        Assert.All(entities, e => Assert.Contains(hers, name => e.Contains(name, StringComparison.Ordinal)));

        await page.SelectOptionAsync(page.GetByTestId("audit-filter-entity"), "API 令牌");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=audit-entity]').length === 0");
        Assert.Equal(0, await page.GetByTestId("audit-entity").CountAsync());
        Assert.Equal(0, ConsolePages.ParseFigure(await page.GetByTestId("audit-total").InnerTextAsync()));
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC[+-]\d{1,2}(:\d{2})?$|^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$")]
    private static partial Regex WholeSeconds();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-")]
    private static partial Regex GuidLike();
}
