using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Analytics;

/// <summary>
/// The rankings page: two communities of this week — one with more joins, one with more member messages — a bar chart
/// of the leaders, and the owner changing the weights in the page turns their order around. Operators get a notice.
/// </summary>
public sealed class CommunityRankingsPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Guid> CommunityAsync(HttpClient api, string name)
    {
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "regional", capacity = 200, state = "active",
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }

    private static IEnumerable<Dictionary<string, object?>> Activity(Guid community, string run, int joins, int messages)
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        for (var i = 0; i < joins; i++)
        {
            yield return new()
            {
                ["platform"] = "sandbox", ["id"] = $"rj-{run}-{i}", ["kind"] = "memberJoined", ["occurredAt"] = at, ["communityId"] = community,
                ["user"] = new { id = $"{run}-{i}", name = $"排行{run}{i}" },
            };
        }
        for (var i = 0; i < messages; i++)
        {
            yield return new()
            {
                ["platform"] = "sandbox", ["id"] = $"rm-{run}-{i}", ["kind"] = "messagePosted", ["occurredAt"] = at.AddSeconds(1 + i), ["communityId"] = community,
                ["user"] = new { id = $"{run}-0", name = $"排行{run}0", staff = false }, ["message"] = new { id = $"rmsg-{run}-{i}", kind = "text", text = "今天打卡" + i },
            };
        }
    }

    private static async Task SetWeightAsync(IPage page, string metric, int value)
    {
        var field = page.GetByTestId($"weight-{metric}").Locator("xpath=self::input | .//input").First;
        await field.FillAsync(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await field.PressAsync("Tab");
    }

    [Fact]
    public async Task Rankings_ChartRenders_AndTheOwnerChangingTheWeightsTurnsTheOrderAround()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var joiners = "拉新群" + suffix;
        var talkers = "话痨群" + suffix;
        using (var api = app.ApiClient())
        {
            var j = await CommunityAsync(api, joiners);
            var t = await CommunityAsync(api, talkers);
            // Joiners: 3 joins, 1 message. Talkers: 1 join, 6 messages.
            var events = Activity(j, "a" + suffix, 3, 1).Concat(Activity(t, "b" + suffix, 1, 6)).ToList();
            var posted = await api.PostAsJsonAsync("/api/events", events, Ct);
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(Ct));
            // Start from joins only; events are processed in the background, so wait until the ranking has them.
            var put = await api.PutAsJsonAsync("/api/analytics/rankings/settings", new { newMembers = 100 }, Ct);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Ct));
            for (var attempt = 0; ; attempt++)
            {
                var ranking = await api.GetFromJsonAsync<JsonElement>("/api/analytics/rankings", Ct);
                var rows = ranking.GetProperty("items").EnumerateArray().ToList();
                double Value(string name, string metric) => rows.Where(r => r.GetProperty("name").GetString() == name)
                    .SelectMany(r => r.GetProperty("metrics").EnumerateArray()).Where(m => m.GetProperty("metric").GetString() == metric)
                    .Select(m => m.GetProperty("value").GetDouble()).FirstOrDefault();
                if (Value(joiners, "newMembers") == 3 && Value(talkers, "memberMessages") == 6)
                    break;
                Assert.True(attempt < 100, "The events were not processed: " + ranking);
                await Task.Delay(200, Ct);
            }
        }

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/analytics/rankings']").WaitForAsync();
        await page.OpenAsync("/analytics/rankings");
        var table = page.GetByTestId("rankings-table");
        await table.WaitForAsync();
        // The bar chart draws the leaders' bars.
        await page.GetByTestId("rankings-chart").Locator("svg").First.WaitForAsync();
        Assert.True(await page.GetByTestId("rankings-chart").Locator("svg path, svg rect").CountAsync() > 0);
        await page.GetByTestId("rankings-leader").WaitForAsync();
        // The bars are labelled by rank, so the labels cannot run into each other whatever the names; the names are in the key.
        var labels = (await page.EvaluateAsync<JsonElement>(
            "() => [...document.querySelectorAll('[data-testid=rankings-chart] svg .mud-charts-xaxis text, [data-testid=rankings-chart] svg text.mud-charts-xaxis')]"
            + ".map(e => { const b = e.getBoundingClientRect(); return { text: e.textContent.trim(), left: b.left, right: b.right }; })"))
            .EnumerateArray().Select(l => (Text: l.GetProperty("text").GetString()!, Left: l.GetProperty("left").GetDouble(), Right: l.GetProperty("right").GetDouble()))
            .OrderBy(l => l.Left).ToList();
        Assert.True(labels.Count >= 2, $"{labels.Count} x-axis labels");
        Assert.All(labels, l => Assert.Matches("^[0-9]+$", l.Text));
        Assert.All(labels.Zip(labels.Skip(1)), p => Assert.True(p.First.Right <= p.Second.Left, $"label {p.First.Text} overlaps {p.Second.Text}"));
        var key = await page.GetByTestId("rankings-chart-key").InnerTextAsync();
        Assert.Contains((await table.GetByTestId("ranking-name").First.InnerTextAsync()).Trim(), key, StringComparison.Ordinal);

        async Task<List<string>> OrderAsync() =>
            [.. (await table.GetByTestId("ranking-name").AllInnerTextsAsync()).Select(n => n.Trim()).Where(n => n == joiners || n == talkers)];
        Assert.Equal([joiners, talkers], await OrderAsync());

        // The owner moves all the weight from joins to member messages.
        await page.GetByText("评分权重").ClickAsync();
        const string TalkersFirst =
            "([a, b]) => { const n = [...document.querySelectorAll('[data-testid=rankings-table] [data-testid=ranking-name]')].map(e => e.innerText.trim()).filter(x => x === a || x === b); return n.length === 2 && n[0] === b; }";
        // Seen once in CI on a busy machine: the order had not turned after 20 s. Then the weights are set and saved once
        // more, and a second miss fails naming what the page showed (the fields, a refusal, the order).
        string? firstMiss = null;
        for (var attempt = 0; ; attempt++)
        {
            await SetWeightAsync(page, "newMembers", 0);
            await SetWeightAsync(page, "memberMessages", 100);
            await page.GetByTestId("weights-save").ClickAsync();
            try
            {
                await page.WaitForFunctionAsync(TalkersFirst, new[] { joiners, talkers }, new() { Timeout = 10_000 });
                break;
            }
            catch (TimeoutException)
            {
                var shown = await page.EvaluateAsync<string>(
                    "() => [...document.querySelectorAll('[data-testid^=weight-]')].map(e => e.dataset.testid + '=' + (e.matches('input') ? e : e.querySelector('input'))?.value).join(', ')"
                    + " + ' | error: ' + (document.querySelector('[data-testid=weights-error]')?.innerText ?? 'none')");
                shown += " | order: " + string.Join(", ", await OrderAsync());
                Assert.True(attempt == 0, $"The order did not turn after saving the weights twice. First: {firstMiss}. Then: {shown}");
                firstMiss = shown;
            }
        }
        Assert.Equal([talkers, joiners], await OrderAsync());
        await page.ScreenshotAsync("owner-rankings");

        // All weights at 0 is refused in the page, naming why.
        await SetWeightAsync(page, "memberMessages", 0);
        await page.GetByTestId("weights-save").ClickAsync();
        await page.GetByTestId("weights-error").WaitForAsync();

        using var restore = app.ApiClient();
        await restore.PutAsJsonAsync("/api/analytics/rankings/settings", new { newMembers = 20, activeMembers = 25, memberMessages = 15, responseRate = 20, revenue = 10, campaignAchievement = 10 }, Ct);
    }

    [Fact]
    public async Task Rankings_AsOperator_NotInTheMenuAndThePageSaysWhy()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync("wu.lei@demo.shequn.local", app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/communities']").WaitForAsync();
        Assert.Equal(0, await page.Locator(".mud-navmenu a[href='/analytics/rankings']").CountAsync());
        await page.OpenAsync("/analytics/rankings");
        await page.GetByTestId("rankings-not-allowed").WaitForAsync();
    }
}
