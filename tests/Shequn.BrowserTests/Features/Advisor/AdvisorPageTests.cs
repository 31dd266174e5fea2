using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Advisor;

/// <summary>
/// The advisor's one-click freeze: a community nobody has spoken in for 30 days shows its advice; the owner freezes it
/// from the card, confirms, and the community is frozen and the advice gone. And "show again": an advice the owner
/// dismissed comes back from the dismissed view. And "stop routing": a group over 350 that a live code still sends
/// newcomers to is taken off the code from its card, and the advice becomes the plain "split it".
/// </summary>
public sealed class AdvisorPageTests(ConsoleApp app)
{
    private const string ShowDismissed = "input[data-testid=advisor-show-dismissed], [data-testid=advisor-show-dismissed] input";

    /// <summary>A community opened 60 days ago where nobody has spoken since: the advisor finds it silent.</summary>
    private async Task<(Guid Id, string Name)> SilentCommunityAsync(HttpClient api, CancellationToken ct)
    {
        var name = "沉默测试群" + Guid.NewGuid().ToString("N")[..6];
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        // No API backdates a community: the test writes that it was opened 60 days ago and nobody has spoken since.
        await using var db = new SqliteConnection($"Data Source={app.DatabasePath};Default Timeout=30");
        await db.OpenAsync(ct);
        await using var update = db.CreateCommand();
        update.CommandText = "UPDATE Communities SET CreatedAt = $at WHERE lower(Id) = $id";
        update.Parameters.AddWithValue("$at", DateTime.UtcNow.AddDays(-60).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        update.Parameters.AddWithValue("$id", id.ToString());
        Assert.Equal(1, await update.ExecuteNonQueryAsync(ct));
        return (id, name);
    }

    [Fact]
    public async Task Advisor_SilentCommunity_FreezeConfirmed_CommunityFrozenAndAdviceGone()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var (id, name) = await SilentCommunityAsync(api, ct);

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/advisor']").WaitForAsync();
        await page.OpenAsync("/advisor");
        var card = page.Locator($"[data-testid=advice][data-rule=Silent][data-subject='{id}']");
        await card.WaitForAsync();
        Assert.Contains(name, await card.GetByTestId("advice-reason").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("advisor-silent");

        await card.GetByTestId("advice-freeze").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await dialog.WaitForAsync();
        Assert.Contains(name, await dialog.InnerTextAsync(), StringComparison.Ordinal);
        await dialog.Locator(".mud-dialog-actions button").Filter(new() { HasTextString = "冻结" }).ClickAsync();

        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var community = await api.GetFromJsonAsync<JsonElement>($"/api/communities/{id}", ct);
        Assert.Equal("frozen", community.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Advisor_DismissedAdvice_ShownAgainFromTheDismissedView()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var (id, _) = await SilentCommunityAsync(api, ct);

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/advisor']").WaitForAsync();
        await page.OpenAsync("/advisor");
        var card = page.Locator($"[data-testid=advice][data-rule=Silent][data-subject='{id}']");
        await card.WaitForAsync();
        await card.GetByTestId("advice-dismiss").ClickAsync();
        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        await page.Locator(ShowDismissed).CheckAsync();
        await card.GetByTestId("advice-undismiss").ClickAsync();
        await card.GetByTestId("advice-dismiss").WaitForAsync();
        await page.Locator(ShowDismissed).UncheckAsync();
        await card.GetByTestId("advice-dismiss").WaitForAsync();
        var listed = await api.GetFromJsonAsync<JsonElement>("/api/advisor", ct);
        Assert.Contains(listed.EnumerateArray(), a => a.GetProperty("subjectId").GetString() == id.ToString());
    }

    /// <summary>A Sandbox community made through the API.</summary>
    private static async Task<Guid> CommunityAsync(HttpClient api, string name, CancellationToken ct)
    {
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 1000, state = "active",
        }, ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(ct));
        return (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
    }

    /// <summary><paramref name="count"/> members join <paramref name="community"/> now (Sandbox join events, ids from <paramref name="prefix"/>).</summary>
    private static async Task JoinAsync(HttpClient api, Guid community, int count, string prefix, CancellationToken ct)
    {
        var at = DateTimeOffset.UtcNow;
        var joins = Enumerable.Range(0, count).Select(i => new Dictionary<string, object?>
        {
            ["platform"] = "sandbox", ["id"] = $"{prefix}-{i}", ["kind"] = "memberJoined", ["occurredAt"] = at, ["communityId"] = community,
            ["user"] = new { id = $"{prefix}-{i}", name = $"新人{i}" },
        }).ToList();
        var posted = await api.PostAsJsonAsync("/api/events", joins, ct);
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(ct));
    }

    private static async Task<JsonElement> PostAsync(HttpClient api, string url, object body, CancellationToken ct)
    {
        var response = await api.PostAsJsonAsync(url, body, ct);
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }

    [Fact]
    public async Task Advisor_OversizedRoutedCommunity_StopRoutingConfirmed_CodeNoLongerRoutesThereAndAdviceSaysSplitIt()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var bigName = "超大测试群" + suffix;
        var big = await CommunityAsync(api, bigName, ct);
        var small = await CommunityAsync(api, "分流测试群" + suffix, ct);
        // 351 members join the big group (sandbox join events); the advisor speaks once they are processed.
        await JoinAsync(api, big, 351, "big-" + suffix, ct);
        var channel = (await PostAsync(api, "/api/channels", new { name = "拆群渠道" + suffix, kind = "packageCard" }, ct)).GetProperty("id").GetGuid();
        var code = (await PostAsync(api, "/api/live-codes", new
        {
            name = "拆群活码" + suffix, channelId = channel, routes = new[] { new { communityId = big }, new { communityId = small } },
        }, ct)).GetProperty("id").GetGuid();
        for (var attempt = 0; ; attempt++)
        {
            var listed = await api.GetFromJsonAsync<JsonElement>("/api/advisor", ct);
            if (listed.EnumerateArray().Any(a => a.GetProperty("rule").GetString() == "oversized" && a.GetProperty("subjectId").GetString() == big.ToString()))
                break;
            Assert.True(attempt < 150, "The joins were not processed: no oversized advice for the big group.");
            await Task.Delay(200, ct);
        }

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/advisor']").WaitForAsync();
        await page.OpenAsync("/advisor");
        var card = page.Locator($"[data-testid=advice][data-rule=Oversized][data-subject='{big}']");
        await card.WaitForAsync();
        var reasonText = await card.GetByTestId("advice-reason").InnerTextAsync();
        Assert.Contains(bigName, reasonText, StringComparison.Ordinal);
        Assert.Contains("活码", reasonText, StringComparison.Ordinal);
        await card.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync("advisor-oversized-routed");

        await card.GetByTestId("advice-stop-routing").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await dialog.WaitForAsync();
        Assert.Contains(bigName, await dialog.InnerTextAsync(), StringComparison.Ordinal);
        await dialog.Locator(".mud-dialog-actions button").Filter(new() { HasTextString = "停止引流" }).ClickAsync();

        await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "拆群活码" + suffix }).WaitForAsync();
        await card.GetByTestId("advice-stop-routing").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var plain = await card.GetByTestId("advice-reason").InnerTextAsync();
        Assert.Contains("建议拆分", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("活码", plain, StringComparison.Ordinal);
        var routes = (await api.GetFromJsonAsync<JsonElement>($"/api/live-codes/{code}", ct)).GetProperty("routes").EnumerateArray()
            .Select(r => r.GetProperty("communityId").GetGuid()).ToList();
        Assert.Equal([small], routes);
    }

    [Fact]
    public async Task Settings_OwnerLowersTheGroupLimit_AdvisorCallsASmallGroupOversized()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var name = "四人测试群" + suffix;
        var small = await CommunityAsync(api, name, ct);
        await JoinAsync(api, small, 4, "four-" + suffix, ct);
        for (var attempt = 0; ; attempt++)
        {
            var community = await api.GetFromJsonAsync<JsonElement>($"/api/communities/{small}", ct);
            if (community.GetProperty("memberCount").GetInt32() == 4)
                break;
            Assert.True(attempt < 150, "The joins were not processed.");
            await Task.Delay(200, ct);
        }
        try
        {
            await using var context = await app.NewContextAsync();
            var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
            await page.OpenAsync("/settings");
            var limit = page.Locator("input[data-testid=workspace-advisor-max-members], [data-testid=workspace-advisor-max-members] input").First;
            Assert.Equal("350", await limit.InputValueAsync());
            // Below the least a group can hold: the field names the range and nothing is saved.
            await limit.FillAsync("1");
            await limit.PressAsync("Tab");
            await page.GetByTestId("workspace-save").ClickAsync();
            var error = page.Locator(".mud-input-control").Filter(new() { Has = page.Locator("[data-testid=workspace-advisor-max-members]") })
                .Locator(".mud-input-helper-text.mud-input-error");
            await error.WaitForAsync();
            Assert.Contains("必须在 2 到 200000 之间", await error.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal("1", await limit.InputValueAsync());
            Assert.Equal(350, (await api.GetFromJsonAsync<JsonElement>("/api/workspace", ct)).GetProperty("advisor").GetProperty("maxMembers").GetInt32());
            await limit.FillAsync("3");
            await limit.PressAsync("Tab");
            await page.GetByTestId("workspace-save").ClickAsync();
            await page.Locator(".mud-snackbar").WaitForAsync();
            Assert.Equal(3, (await api.GetFromJsonAsync<JsonElement>("/api/workspace", ct)).GetProperty("advisor").GetProperty("maxMembers").GetInt32());
            await page.ScreenshotAsync("settings-advisor-thresholds");

            await page.OpenAsync("/advisor");
            var card = page.Locator($"[data-testid=advice][data-rule=Oversized][data-subject='{small}']");
            await card.WaitForAsync();
            var text = await card.GetByTestId("advice-reason").InnerTextAsync();
            Assert.Contains($"{name} 有 4 人，超过每群 3 人的上限", text, StringComparison.Ordinal);
        }
        finally
        {
            var restored = await api.PutAsJsonAsync("/api/workspace", new
            {
                advisor = new { maxMembers = 350, maxSubOwnerCommunities = 4, silentDays = 30, noContentDays = 3, responseDropPoints = 20, channelCostRatio = 2.0 },
            }, ct);
            Assert.True(restored.IsSuccessStatusCode, await restored.Content.ReadAsStringAsync(ct));
        }
    }
}
