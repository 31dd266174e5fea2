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
        var table = page.GetByTestId("orders-table");
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
