using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Analytics;

/// <summary>
/// The retention heat map: joins posted three weeks back (one of them leaving two days later) make a week's cohort
/// with shares, and by channel their channel's row shows who stayed.
/// </summary>
public sealed class RetentionCohortsPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cohorts_JoinsThreeWeeksAgo_WeekRowWithSharesThenByChannelTheChannelRowShowsTwoOfThreeStayed()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var channel = "留存渠道" + suffix;
        // 10:00 in the workspace's zone (Asia/Shanghai), 22 days ago: the join week is over 2 weeks past, so weeks 1 and 2 are known.
        var joinDay = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(-22);
        var joinedAt = new DateTimeOffset(joinDay.ToDateTime(new TimeOnly(10, 0)), TimeSpan.FromHours(8));
        var monday = joinDay.AddDays(-(((int)joinDay.DayOfWeek + 6) % 7));

        using (var api = app.ApiClient())
        {
            var created = await api.PostAsJsonAsync("/api/communities", new
            {
                name = "留存群" + suffix, platform = "sandbox", type = "content", subType = "topic", tier = "regional", capacity = 200, state = "active",
            }, Ct);
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
            var community = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
            var users = new[] { "留存甲", "留存乙", "留存丙" };
            var events = users.Select((u, i) => new Dictionary<string, object?>
            {
                ["platform"] = "sandbox", ["id"] = $"cj-{suffix}-{i}", ["kind"] = "memberJoined", ["occurredAt"] = joinedAt.AddMinutes(i), ["communityId"] = community,
                ["user"] = new { id = $"{suffix}-{i}", name = u + suffix }, ["channel"] = channel,
            }).Append(new Dictionary<string, object?>
            {
                // The third leaves two days later: gone by week 1.
                ["platform"] = "sandbox", ["id"] = $"cl-{suffix}", ["kind"] = "memberLeft", ["occurredAt"] = joinedAt.AddDays(2), ["communityId"] = community,
                ["user"] = new { id = $"{suffix}-2", name = users[2] + suffix },
            }).ToList();
            var posted = await api.PostAsJsonAsync("/api/events", events, Ct);
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(Ct));

            // Events are processed in the background: wait until the report has the channel's three joins and the leave.
            for (var attempt = 0; ; attempt++)
            {
                var report = await api.GetFromJsonAsync<JsonElement>("/api/analytics/cohorts?by=channel", Ct);
                var made = report.GetProperty("rows").EnumerateArray().FirstOrDefault(r => r.GetProperty("channel").GetString() == channel);
                if (made.ValueKind == JsonValueKind.Object && made.GetProperty("joins").GetInt32() == 3
                    && made.GetProperty("cells")[0].GetProperty("stayed") is { ValueKind: JsonValueKind.Number } stayed && stayed.GetInt32() == 2)
                    break;
                Assert.True(attempt < 100, "The joins were not processed: " + report);
                await Task.Delay(200, Ct);
            }
        }

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/analytics/cohorts']").WaitForAsync();
        await page.OpenAsync("/analytics/cohorts");
        var table = page.GetByTestId("cohorts-table");
        await table.WaitForAsync();
        Assert.Equal(new[] { "入群周", "入群", "1 周", "2 周", "4 周", "8 周", "12 周" }, (await table.Locator("thead th").AllInnerTextsAsync()).Select(t => t.Trim()).ToArray());

        // The join week's row: at least our three joins, and shares for weeks 1 and 2.
        var week = table.GetByTestId("cohorts-row").Filter(new()
        {
            Has = page.GetByTestId("cohorts-name").GetByText(monday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 当周", new() { Exact = true }),
        });
        await week.WaitForAsync();
        Assert.True(ConsolePages.ParseFigure(await week.GetByTestId("cohorts-joins").InnerTextAsync()) >= 3);
        var cells = (await week.GetByTestId("cohorts-cell").AllInnerTextsAsync()).Select(t => t.Trim()).ToList();
        Assert.Equal(5, cells.Count);
        Assert.All(cells.Take(2), c => Assert.Matches(@"^\d{1,3}%$", c));
        Assert.Equal("—", cells[^1]);

        // By channel: the first column names channels, and ours kept two of its three after a week.
        await page.SelectOptionAsync(page.GetByTestId("cohorts-by"), "渠道");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=cohorts-table] thead th').innerText.trim() === '渠道'");
        var row = table.GetByTestId("cohorts-row").Filter(new() { Has = page.GetByTestId("cohorts-name").GetByText(channel, new() { Exact = true }) });
        await row.WaitForAsync();
        Assert.Equal("3", (await row.GetByTestId("cohorts-joins").InnerTextAsync()).Trim());
        Assert.Equal("67%", (await row.GetByTestId("cohorts-cell").First.InnerTextAsync()).Trim());
        Assert.Equal("3 人中 2 人", await row.GetByTestId("cohorts-cell").First.GetAttributeAsync("title"));
        Assert.Equal(0, await table.GetByTestId("cohorts-name").Filter(new() { HasTextString = "当周" }).CountAsync());
        await page.ScreenshotAsync("owner-cohorts-by-channel");
    }

    [Fact]
    public async Task Cohorts_AsKoc_NotInTheMenuAndThePageSaysWhy()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync("koc.ajie@demo.shequn.local", app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/communities']").WaitForAsync();
        Assert.Equal(0, await page.Locator(".mud-navmenu a[href='/analytics/cohorts']").CountAsync());
        await page.OpenAsync("/analytics/cohorts");
        await page.GetByTestId("cohorts-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("cohorts-table").CountAsync());
    }
}
