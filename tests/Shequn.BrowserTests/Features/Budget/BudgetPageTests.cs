using System.Globalization;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Budget;

/// <summary>
/// The budget console: the owner sets a month's cap, enters costs through the dialog (a floating cost that passes 80 %
/// of the cap, product rewards as quantity × unit cost, a future day refused under its field) and acknowledges the
/// alert; a sub-owner reads without the controls.
/// </summary>
public sealed class BudgetPageTests(ConsoleApp app)
{
    private const string SubOwner = "li.jing@demo.shequn.local";

    // The demo's cap and costs start last month; three months back is a month only this test writes to.
    private const int MonthsBack = 3;

    [Fact]
    public async Task Budget_AsOwner_CapThenCostsRaiseThe80PercentAlertProductRewardsShowQuantityTimesCostFutureDayRefusedAlertAcknowledged()
    {
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)); // the demo workspace's zone, Asia/Shanghai
        var month = new DateOnly(today.Year, today.Month, 1).AddMonths(-MonthsBack);
        var monthText = month.ToString("yyyy-MM", CultureInfo.InvariantCulture);

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/budget']").WaitForAsync();
        await page.OpenAsync("/budget");
        for (var i = 0; i < MonthsBack; i++)
        {
            var shown = (await page.GetByTestId("budget-month").InnerTextAsync()).Trim();
            await page.GetByTestId("budget-previous").ClickAsync();
            await page.WaitForFunctionAsync("m => document.querySelector('[data-testid=budget-month]').innerText.trim() !== m", shown);
        }
        Assert.Equal(monthText, (await page.GetByTestId("budget-month").InnerTextAsync()).Trim());
        await page.GetByTestId("budget-no-cap").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("budget-alert").CountAsync());

        // The cap: 1,000 yuan from this month on.
        await page.GetByTestId("budget-set-cap").ClickAsync();
        await FillNumberAsync(page.GetByTestId("cap-edit-amount"), "1000");
        await page.GetByTestId("cap-save").ClickAsync();
        await page.GetByTestId("cap-dialog").WaitForAsync(new() { State = WaitForSelectorState.Hidden });
        await page.GetByTestId("budget-used").WaitForAsync();
        Assert.Contains("¥1,000.00", await page.GetByTestId("budget-used").InnerTextAsync(), StringComparison.Ordinal);

        // A floating cost of 850 yuan: 85 % of the cap, so the 80 % alert, with the amounts.
        var floating = "线下活动场地" + suffix;
        await OpenNewCostAsync(page);
        await page.GetByTestId("cost-edit-item").FillAsync(floating);
        await FillNumberAsync(page.GetByTestId("cost-edit-amount"), "850");
        await SaveAsync(page);
        var alert = page.GetByTestId("budget-alert");
        await alert.WaitForAsync();
        Assert.Equal(1, await alert.CountAsync());
        Assert.Contains($"{monthText} 的花费已达预算的 80%：¥850.00 / ¥1,000.00。", await alert.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("¥850.00", (await page.GetByTestId("budget-spent-value").InnerTextAsync()).Trim());
        // A past month's figures are the month's, not "this month's".
        Assert.Contains("当月花费", await page.GetByTestId("budget-spent").InnerTextAsync(), StringComparison.Ordinal);
        var floatingRow = page.GetByTestId("cost-table").Locator("tbody tr").Filter(new() { HasTextString = floating });
        Assert.Equal("¥850.00", (await floatingRow.GetByTestId("cost-amount").InnerTextAsync()).Trim());

        // Product rewards: 10 given away at 12.50 yuan each is 125 yuan, and the row says how it was made.
        var samples = "试用装" + suffix;
        await OpenNewCostAsync(page);
        await page.GetByTestId("cost-edit-item").FillAsync(samples);
        await page.SelectOptionAsync(page.GetByTestId("cost-edit-category"), "产品奖品（成本价）");
        await FillNumberAsync(page.GetByTestId("cost-edit-quantity"), "10");
        await FillNumberAsync(page.GetByTestId("cost-edit-unit-cost"), "12.5");
        await SaveAsync(page);
        var samplesRow = page.GetByTestId("cost-table").Locator("tbody tr").Filter(new() { HasTextString = samples });
        await samplesRow.WaitForAsync();
        Assert.Equal("¥125.00", (await samplesRow.GetByTestId("cost-amount").InnerTextAsync()).Trim());
        Assert.Contains("10 件 × ¥12.50", await samplesRow.GetByTestId("cost-item").InnerTextAsync(), StringComparison.Ordinal);
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=budget-spent-value]').innerText.trim() === '¥975.00'");

        // A day in the future is refused: the dialog stays open with the reason under the day.
        var future = today.AddDays(5).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await OpenNewCostAsync(page);
        var day = DayInput(page);
        await day.FillAsync(future);
        await day.PressAsync("Tab");
        await page.GetByTestId("cost-edit-item").FillAsync("未来的成本" + suffix);
        await FillNumberAsync(page.GetByTestId("cost-edit-amount"), "10");
        await page.GetByTestId("cost-save").ClickAsync();
        var dialog = page.Locator(".mud-dialog").Filter(new() { Has = page.GetByTestId("cost-edit-item") });
        var error = dialog.Locator(".mud-input-error").Filter(new() { HasTextString = "在未来" }).Last;
        await error.WaitForAsync();
        Assert.Equal($"{future} 在未来；成本按发生当天录入。", (await error.InnerTextAsync()).Trim());
        await page.ScreenshotAsync("owner-budget-future-day-refused");
        await page.GetByTestId("cost-edit-cancel").ClickAsync();
        await dialog.WaitForAsync(new() { State = WaitForSelectorState.Hidden });
        Assert.Equal(0, await page.GetByTestId("cost-table").Locator("tbody tr").Filter(new() { HasTextString = "未来的成本" + suffix }).CountAsync());

        // The dashboard shows the owner the open alert, with a way to the budget.
        var dashboard = await context.NewPageAsync();
        await dashboard.OpenAsync("/");
        var onDashboard = dashboard.GetByTestId("dashboard-budget-alert").Filter(new() { HasTextString = monthText });
        await onDashboard.WaitForAsync();
        Assert.Contains($"{monthText} 的花费已达预算的 80%", await onDashboard.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("/budget", await onDashboard.GetByTestId("dashboard-budget-link").GetAttributeAsync("href"));

        // Acknowledged, the alert goes, here and from the dashboard.
        await page.GetByTestId("budget-alert-ack").ClickAsync();
        await alert.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal(0, await page.GetByTestId("budget-alert").CountAsync());
        await dashboard.OpenAsync("/");
        await dashboard.GetByTestId("fig-communities").WaitForAsync();
        Assert.Equal(0, await dashboard.GetByTestId("dashboard-budget-alert").Filter(new() { HasTextString = monthText }).CountAsync());
        await dashboard.CloseAsync();
        await page.ScreenshotAsync("owner-budget-month");
    }

    [Fact]
    public async Task Budget_AsSubOwner_ReadOnlyNoticeAndNoControls()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(SubOwner, app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/budget']").WaitForAsync();
        await page.OpenAsync("/budget");
        await page.GetByTestId("budget-read-only").WaitForAsync();
        Assert.Equal("只有总群主可以录入成本和设置预算，你可以查看。", (await page.GetByTestId("budget-read-only").InnerTextAsync()).Trim());
        await page.GetByTestId("budget-spent-value").WaitForAsync();
        await page.GetByTestId("cost-table").Locator("tbody tr").First.WaitForAsync();
        foreach (var control in new[] { "cost-new", "budget-set-cap", "budget-copy-fixed", "cost-edit", "cost-delete", "budget-alert-ack" })
            Assert.Equal(0, await page.GetByTestId(control).CountAsync());
    }

    [Theory]
    [InlineData("zhao.min@demo.shequn.local")] // admin
    [InlineData("zheng.xue@demo.shequn.local")] // operator
    [InlineData("koc.ajie@demo.shequn.local")] // KOC
    public async Task Budget_AsStaffBelowSubOwner_NotInTheMenuAndThePageSaysWhy(string email)
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(email, app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/communities']").WaitForAsync();
        Assert.Equal(0, await page.Locator(".mud-navmenu a[href='/budget']").CountAsync());
        await page.OpenAsync("/budget");
        await page.GetByTestId("budget-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("cost-table").CountAsync());
        Assert.Equal(0, await page.GetByTestId("cost-new").CountAsync());
    }

    [Fact]
    public async Task Roi_AsOwner_ChartShowsRevenueBesideCostForTheRowsThatMovedMoney()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/budget");
        // The demo's month has campaigns with costs and attributed orders.
        await page.GetByTestId("roi-table").Locator("tbody tr [data-testid=roi-name]").First.WaitForAsync();
        var chart = page.GetByTestId("roi-chart");
        await chart.WaitForAsync();

        // Each row that moved money has a label (its name cut to six characters) and two bars: revenue and cost.
        var rows = page.GetByTestId("roi-table").Locator("tbody tr");
        var moved = new List<string>();
        for (var i = 0; i < await rows.CountAsync(); i++)
        {
            var cells = await rows.Nth(i).Locator("td").AllInnerTextsAsync();
            if (cells.Count >= 4 && (cells[2].Trim() != "¥0.00" || cells[3].Trim() != "¥0.00"))
                moved.Add(cells[0].Trim());
        }
        Assert.NotEmpty(moved);
        var labels = (await chart.Locator(".mud-charts-xaxis text").AllTextContentsAsync()).Select(l => l.Trim()).ToList();
        Assert.Equal(Math.Min(8, moved.Count), labels.Count);
        foreach (var label in labels)
            Assert.Contains(moved, name => name == label || (label.EndsWith('…') && name.StartsWith(label[..^1], StringComparison.Ordinal)));
        Assert.Equal(2 * labels.Count, await chart.Locator("path.mud-chart-bar").CountAsync());
        Assert.Equal(["归因净营收", "成本"], [.. (await chart.Locator(".mud-chart-legend-item").AllInnerTextsAsync()).Select(t => t.Trim())]);
    }

    private static async Task OpenNewCostAsync(IPage page)
    {
        await page.GetByTestId("cost-new").ClickAsync();
        await page.GetByTestId("cost-edit-item").WaitForAsync();
    }

    private static async Task SaveAsync(IPage page)
    {
        await page.GetByTestId("cost-save").ClickAsync();
        await page.GetByTestId("cost-edit-item").WaitForAsync(new() { State = WaitForSelectorState.Detached });
    }

    // MudBlazor puts a field's data-testid on its input, or on the picker around it.
    private static ILocator DayInput(IPage page) => page.GetByTestId("cost-edit-day").Locator("xpath=self::input | .//input").First;

    // A numeric field takes its value when it loses the focus.
    private static async Task FillNumberAsync(ILocator field, string value)
    {
        await field.FillAsync(value);
        await field.PressAsync("Tab");
    }
}
