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
/// dismissed comes back from the dismissed view.
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
}
