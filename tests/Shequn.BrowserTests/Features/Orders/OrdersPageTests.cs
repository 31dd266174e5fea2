using System.Globalization;
using System.Text;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Orders;

/// <summary>
/// The orders console: an orders file with a bad row is refused whole, with the row and the column in the message;
/// a clean one lists its orders and adds their amounts to the revenue.
/// </summary>
public sealed class OrdersPageTests(ConsoleApp app)
{
    private const string Header = "order_id,placed_at,amount,refunded,status,phone,platform,platform_user_id,share_code,sku,product,category,quantity,line_amount";

    [Fact]
    public async Task Import_AsOwner_BadRowRefusedWithItsRowNumberThenAGoodFileListsTheOrdersAndAddsToTheRevenue()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        // Yesterday in the workspace's zone (Asia/Shanghai): inside the page's default 30 days.
        var yesterday = DateTime.UtcNow.AddHours(8).Date.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var (first, second) = ($"T-{suffix}-1", $"T-{suffix}-2");

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/orders']").WaitForAsync();
        await page.OpenAsync("/orders");
        var revenueBefore = Money(await page.GetByTestId("orders-revenue").InnerTextAsync());
        // The list shows one page (100 orders) and the demo's matched orders fill it: list the unmatched ones, as the imported are.
        await page.SelectOptionAsync(page.GetByTestId("orders-matched"), "未匹配");
        var table = page.GetByTestId("orders-table");
        await table.Locator("tbody a[href^='/members/']").First.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var rowsBefore = await OrderRowsAsync(table);

        // Row 3 has an amount with three decimals: nothing is imported, and the message names row 3 and the column.
        var bad = $"""
            {Header}
            {first},{yesterday} 10:00,128.50,,paid,,,,,OAT-1,燕麦片,早餐,1,
            {second},{yesterday} 11:30,12.345,,paid,,,,,,,,,
            """;
        await UploadAsync(page, "bad.csv", bad);
        var error = page.GetByTestId("orders-import-error");
        await error.WaitForAsync();
        var message = await error.InnerTextAsync();
        Assert.Contains("文件未导入", message, StringComparison.Ordinal);
        Assert.Contains("第 3 行，amount 列：“12.345”不是以元计的金额", message, StringComparison.Ordinal);
        Assert.Equal(0, await page.GetByTestId("orders-import-result").CountAsync());
        Assert.Equal(rowsBefore, await OrderRowsAsync(table));
        Assert.Equal(0, await table.Locator("tbody tr").Filter(new() { HasTextString = suffix }).CountAsync());
        Assert.Equal(revenueBefore, Money(await page.GetByTestId("orders-revenue").InnerTextAsync()));
        await page.ScreenshotAsync("owner-orders-import-refused");

        // The same orders, corrected: both are listed and the revenue grows by 128.50 + 60.
        var good = $"""
            {Header}
            {first},{yesterday} 10:00,128.50,,paid,,,,,OAT-1,燕麦片,早餐,1,100.00
            {first},,,,,,,,,NUT-2,每日坚果,零食,1,28.50
            {second},{yesterday} 11:30,60,,paid,,,,,,,,,
            """;
        await UploadAsync(page, "good.csv", good);
        var result = page.GetByTestId("orders-import-result");
        await result.WaitForAsync();
        Assert.StartsWith("新增 2 个订单", (await result.InnerTextAsync()).Trim(), StringComparison.Ordinal);
        Assert.Equal(0, await page.GetByTestId("orders-import-error").CountAsync());
        foreach (var id in new[] { first, second })
            await table.Locator("tbody tr").Filter(new() { Has = page.GetByTestId("order-id").GetByText(id, new() { Exact = true }) }).WaitForAsync();
        Assert.Equal(rowsBefore + 2, await OrderRowsAsync(table));
        Assert.Equal(revenueBefore + 188.50m, Money(await page.GetByTestId("orders-revenue").InnerTextAsync()));
        await page.ScreenshotAsync("owner-orders-imported");
    }

    [Fact]
    public async Task Categories_AsOwner_DemoCategoryCommunitiesShown_LinkAndUnlinkACategory()
    {
        var category = "鱼油礼盒" + Guid.NewGuid().ToString("N")[..6];
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/orders']").WaitForAsync();
        await page.OpenAsync("/orders");
        var table = page.GetByTestId("orders-categories");
        await table.WaitForAsync();
        // The demo links each category community to its category: fish oil's row names its group.
        var fishOil = Row(table, "深海鱼油");
        await fishOil.WaitForAsync();
        Assert.Contains("深海鱼油交流群", await fishOil.GetByTestId("category-link").AllInnerTextsAsync());

        await page.SelectOptionAsync(page.GetByTestId("category-link-community"), "深海鱼油交流群");
        await page.GetByTestId("category-link-name").FillAsync(category);
        await page.GetByTestId("category-link-add").ClickAsync();
        var row = Row(table, category);
        await row.WaitForAsync();
        Assert.Equal(["深海鱼油交流群"], await row.GetByTestId("category-link").AllInnerTextsAsync());
        // No orders of the new category yet: its group's members are counted, none bought.
        Assert.True(ConsolePages.ParseFigure(await row.GetByTestId("category-members").InnerTextAsync()) > 0);
        Assert.Equal("0", (await row.GetByTestId("category-member-buyers").InnerTextAsync()).Trim());
        Assert.Equal("0%", (await row.GetByTestId("category-conversion").InnerTextAsync()).Trim());
        await page.ScreenshotAsync("owner-orders-categories");

        // The same link again is refused with a readable message; nothing is added.
        await page.GetByTestId("category-link-name").FillAsync(category);
        await page.GetByTestId("category-link-add").ClickAsync();
        await page.GetByTestId("category-link-error").WaitForAsync();
        Assert.Equal(1, await row.GetByTestId("category-link").CountAsync());

        // Removing the chip unlinks it: the category had only the link, so its row goes.
        await row.GetByTestId("category-link").Locator(".mud-chip-close-button").ClickAsync();
        await row.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal(1, await Row(table, "深海鱼油").CountAsync());
    }

    private static ILocator Row(ILocator table, string category) =>
        table.Locator("tbody tr").Filter(new() { Has = table.Page.GetByTestId("category-name").GetByText(category, new() { Exact = true }) });

    private static async Task UploadAsync(IPage page, string name, string csv)
    {
        // The upload's own input: the button opens the file picker on it.
        await page.GetByTestId("orders-import").WaitForAsync();
        await page.Locator("input[type=file]").First.SetInputFilesAsync(new FilePayload
        {
            Name = name, MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv.ReplaceLineEndings("\n")),
        });
    }

    // The orders shown; the table's "no orders" line is not one.
    private static Task<int> OrderRowsAsync(ILocator table) => table.GetByTestId("order-id").CountAsync();

    private static decimal Money(string shown) =>
        decimal.Parse(shown.Trim().TrimStart('¥').Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture);
}
