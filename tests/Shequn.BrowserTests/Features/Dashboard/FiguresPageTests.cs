using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Dashboard;

/// <summary>Honest figures: dated "today", trends over complete days only, value axes from 0, captions that say what
/// is counted, times in the workspace's zone, and the pages usable on a phone.</summary>
public sealed partial class FiguresPageTests(ConsoleApp app)
{
    private const string Operator = "zhou.ting@demo.shequn.local";

    [GeneratedRegex(@"今天 \d{1,2}月\d{1,2}日（截至 \d{2}:\d{2} UTC\+8）")]
    private static partial Regex DatedToday();

    /// <summary>The demo workspace is in Asia/Shanghai: yesterday there, as the zh-CN console writes it.</summary>
    private static string YesterdayInShanghai()
    {
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(-1);
        return day.ToString(CultureInfo.GetCultureInfo("zh-CN").DateTimeFormat.MonthDayPattern, CultureInfo.GetCultureInfo("zh-CN"));
    }

    private static async Task<int[]> YAxisAsync(ILocator chart)
    {
        await chart.Locator("svg").First.WaitForAsync();
        var texts = await chart.Locator("g.mud-charts-yaxis text").EvaluateAllAsync<string[]>("els => els.map(e => e.textContent ?? '')");
        return [.. texts.Where(t => t.Any(char.IsAsciiDigit)).Select(ConsolePages.ParseFigure)];
    }

    [Fact]
    public async Task Dashboard_Phone_TodayDatedTrendWithoutTodayAndNothingOverflows()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.SetViewportSizeAsync(PhoneLayout.Width, PhoneLayout.Height);
        await page.GetByTestId("dashboard-trends").WaitForAsync();

        Assert.Matches(DatedToday(), await page.GetByTestId("dashboard-today").InnerTextAsync());
        Assert.Contains($"至 {YesterdayInShanghai()}", await page.GetByTestId("trend-note").InnerTextAsync(), StringComparison.Ordinal);
        var axis = await YAxisAsync(page.GetByTestId("dashboard-trends"));
        Assert.Equal(0, axis.Min());
        Assert.True(axis.Length >= 3, $"y axis labels: {string.Join(", ", axis)}");
        Assert.Contains("成员列表另有", await page.GetByTestId("fig-members-caption").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("工作区全部在职员工", await page.GetByTestId("fig-staff-caption").InnerTextAsync(), StringComparison.Ordinal);
        await page.AssertFitsAsync();
        await page.ScreenshotAsync("dashboard.phone.zh-CN");
    }

    [Fact]
    public async Task Activity_Phone_AxesFromZeroWithRoundTicksAndNothingOverflows()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.SetViewportSizeAsync(PhoneLayout.Width, PhoneLayout.Height);
        using var api = app.ApiClient();
        // A demo community with history by name: other tests add communities that may sort first and have none.
        using var communities = JsonDocument.Parse(await api.GetStringAsync("/api/communities?q=VIP&pageSize=1", TestContext.Current.CancellationToken));
        var id = communities.RootElement.GetProperty("items")[0].GetProperty("id").GetString();

        await page.OpenAsync($"/communities/{id}/activity");
        await page.GetByTestId("chart-growth").WaitForAsync();

        Assert.Matches(DatedToday(), await page.GetByTestId("today-heading").InnerTextAsync());
        Assert.Contains($"至 {YesterdayInShanghai()}", await page.GetByTestId("trend-note").InnerTextAsync(), StringComparison.Ordinal);
        foreach (var chart in new[] { "chart-messages", "chart-growth" })
        {
            var axis = await YAxisAsync(page.GetByTestId(chart));
            Assert.Equal(0, axis.Min());
            Assert.True(axis.Length >= 3, $"{chart} y axis labels: {string.Join(", ", axis)}");
        }
        Assert.Contains("日期", await page.GetByTestId("chart-growth").InnerTextAsync(), StringComparison.Ordinal);
        await page.AssertFitsAsync();
        await page.ScreenshotAsync("activity.phone.zh-CN");
    }

    [Fact]
    public async Task Dashboard_Operator_StaffCountedOnlyOnHerCommunities()
    {
        using var api = app.ApiClient();
        using var owners = JsonDocument.Parse(await api.GetStringAsync("/api/dashboard", TestContext.Current.CancellationToken));
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(Operator, app.StaffPassword);
        await page.GetByTestId("fig-staff").WaitForAsync();

        Assert.Contains("你负责的社群", await page.GetByTestId("dashboard-scope").InnerTextAsync(), StringComparison.Ordinal);
        var staff = page.GetByTestId("fig-staff");
        Assert.Contains("同群员工", await staff.InnerTextAsync(), StringComparison.Ordinal);
        var shown = ConsolePages.ParseFigure(await staff.Locator(".mud-typography-h4").InnerTextAsync());
        Assert.True(shown < owners.RootElement.GetProperty("staff").GetInt32(), $"operator sees {shown} staff, the workspace has {owners.RootElement.GetProperty("staff")}");
        Assert.Equal(0, await page.GetByTestId("nav-settings").CountAsync());
    }

    [Fact]
    public async Task Settings_OwnerChangesTimeZone_TimesShownInTheNewZone()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        using var api = app.ApiClient();
        try
        {
            await page.GetByTestId("nav-settings").ClickAsync();
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/settings");
            await page.WaitForInteractiveAsync();
            Assert.Contains("UTC+8", await page.GetByTestId("workspace-now").InnerTextAsync(), StringComparison.Ordinal);

            // MudBlazor puts the data-testid on the autocomplete's input.
            var zone = page.Locator("input[data-testid=workspace-timezone]");
            await zone.FillAsync("Mars/Olympus");
            await zone.PressAsync("Tab");
            await page.GetByTestId("workspace-save").ClickAsync();
            await page.GetByText("未知的时区").WaitForAsync();

            await zone.FillAsync("Asia/Kolkata");
            await zone.PressAsync("Tab");
            await page.GetByTestId("workspace-save").ClickAsync();
            await page.GetByTestId("workspace-now").Filter(new() { HasTextString = "UTC+5:30" }).WaitForAsync();
            using var saved = JsonDocument.Parse(await api.GetStringAsync("/api/workspace", TestContext.Current.CancellationToken));
            Assert.Equal("Asia/Kolkata", saved.RootElement.GetProperty("timeZone").GetString());
        }
        finally
        {
            // The other tests read the demo in Asia/Shanghai.
            (await api.PutAsJsonAsync("/api/workspace", new { timeZone = "Asia/Shanghai" }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }
    }
}
