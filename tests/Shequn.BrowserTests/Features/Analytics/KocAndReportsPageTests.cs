using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Analytics;

/// <summary>
/// The KOC ranking over the demo's 90 days of chat (members reply to one another there), and the monthly evaluation
/// report's downloads from the console, which must be the API's files.
/// </summary>
public sealed class KocAndReportsPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KocRanking_AsOwner_DemoChatRanksByReplies_TheTopRowIsTheApisAndScoresDiffer()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/analytics/koc");
        var rows = page.GetByTestId("koc-table").Locator("tbody tr");
        await rows.First.WaitForAsync();

        using var api = app.ApiClient();
        var ranking = await api.GetFromJsonAsync<JsonElement>("/api/analytics/koc", Ct);
        var items = ranking.GetProperty("items").EnumerateArray().ToList();
        Assert.True(items.Count >= 10, ranking.ToString());
        // The demo's members answer one another: the graph has replies, and its scores are not one flat value.
        Assert.True(items[0].GetProperty("repliesReceived").GetInt32() > 0, ranking.ToString());
        Assert.True(items.Select(i => i.GetProperty("score").GetDouble()).Distinct().Count() > 5, ranking.ToString());
        Assert.Contains(items[0].GetProperty("name").GetString()!, await rows.First.InnerTextAsync(), StringComparison.Ordinal);
        var shown = new List<double>();
        foreach (var cell in await page.GetByTestId("koc-score").AllAsync())
            shown.Add(double.Parse((await cell.InnerTextAsync()).Trim(), CultureInfo.InvariantCulture));
        Assert.Equal(shown.OrderByDescending(x => x), shown);
        Assert.True(shown[0] > shown[^1]);
        await page.ScreenshotAsync("owner-koc-ranking");
    }

    [Fact]
    public async Task Reports_AsOwner_DownloadsTheMonthsWorkbookAndCsv_SameAsTheApi_KocIsTurnedAway()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/reports");
        await page.GetByTestId("reports-download-xlsx").WaitForAsync();
        var month = (await page.GetByTestId("reports-download-xlsx").GetAttributeAsync("href"))!.Split("month=")[1][..7];

        var workbook = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("reports-download-xlsx").ClickAsync());
        var xlsx = await File.ReadAllBytesAsync((await workbook.PathAsync())!, Ct);
        Assert.Equal($"evaluation-{month}.xlsx", workbook.SuggestedFilename);
        Assert.Equal("PK"u8.ToArray(), xlsx[..2]);

        var communities = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("reports-download-csv-communities").ClickAsync());
        var csv = await File.ReadAllBytesAsync((await communities.PathAsync())!, Ct);
        using var api = app.ApiClient();
        var fromApi = await api.GetByteArrayAsync($"/api/reports/evaluation?month={month}&format=csv&sheet=communities", Ct);
        Assert.Equal(fromApi, csv);
        Assert.True(System.Text.Encoding.UTF8.GetString(csv).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 2);
        // The categories sheet (the demo sells by category): the page's file is the API's.
        var categories = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("reports-download-csv-categories").ClickAsync());
        var categoriesCsv = await File.ReadAllBytesAsync((await categories.PathAsync())!, Ct);
        Assert.Equal(await api.GetByteArrayAsync($"/api/reports/evaluation?month={month}&format=csv&sheet=categories", Ct), categoriesCsv);
        Assert.Equal($"evaluation-{month}-categories.csv", categories.SuggestedFilename);
        await page.ScreenshotAsync("owner-reports");

        await using var kocContext = await app.NewContextAsync();
        var koc = await kocContext.SignInAsync("koc.ajie@demo.shequn.local", app.StaffPassword);
        await koc.OpenAsync("/reports");
        await koc.GetByTestId("reports-not-allowed").WaitForAsync();
        Assert.Equal(0, await koc.GetByTestId("reports-download-xlsx").CountAsync());
    }
}
