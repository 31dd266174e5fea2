using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Points;

/// <summary>Points and quick replies in the console, on a phone: the settings page, a member's ledger, the chat's quick replies.</summary>
public sealed class PointsPageTests(ConsoleApp app)
{
    private const string DrillCommunity = "社群运营演练群";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PointsPage_AddsALevel_AndTheMemberPageAdjustsWithAReason_OnAPhone()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var level = "浏览器等级" + Guid.NewGuid().ToString("N")[..4];
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/points");
        await page.GetByTestId("point-rule").First.WaitForAsync();
        Assert.Equal(3, await page.GetByTestId("point-rule").CountAsync());
        // The demo has levels already: wait for the new row itself, not whichever row is last before it renders.
        var existing = await page.GetByTestId("point-level").CountAsync();
        await page.GetByTestId("point-level-add").ClickAsync();
        var added = page.GetByTestId("point-level").Nth(existing);
        await added.WaitForAsync();
        await added.GetByTestId("point-level-name").FillAsync(level);
        await added.GetByTestId("point-level-threshold").FillAsync(Random.Shared.Next(1_000_000, 9_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await added.GetByTestId("point-level-save").ClickAsync();
        await page.AssertFitsAsync();

        using var api = app.ApiClient();
        for (var i = 0; i < 50 && !(await api.GetStringAsync("/api/points/levels", Ct)).Contains(level, StringComparison.Ordinal); i++)
            await Task.Delay(100, Ct);
        Assert.Contains(level, await api.GetStringAsync("/api/points/levels", Ct), StringComparison.Ordinal);

        var members = await api.GetFromJsonAsync<JsonElement>("/api/members?pageSize=1", Ct);
        var member = members.GetProperty("items")[0].GetProperty("id").GetGuid();
        await page.OpenAsync($"/members/{member}");
        await page.GetByTestId("member-points").WaitForAsync();
        // The reason field is one line high (it was a 200 px tall box, its flex basis taken as a height).
        var reasonBox = await page.GetByTestId("member-points").Locator(".mud-input-control").Filter(new() { Has = page.GetByTestId("points-adjust-reason") }).BoundingBoxAsync();
        Assert.True(reasonBox is { Height: < 90 }, $"reason field box: {reasonBox?.Width}×{reasonBox?.Height}");
        await page.GetByTestId("points-adjust-delta").FillAsync("12");
        await page.GetByTestId("points-adjust").ClickAsync();
        // No reason: refused with the field's error, nothing written.
        await page.GetByTestId("member-points").GetByText("必填。").First.WaitForAsync();
        await page.GetByTestId("points-adjust-reason").FillAsync("浏览器测试加分");
        await page.GetByTestId("points-adjust").ClickAsync();
        await page.GetByTestId("points-entry").Filter(new() { HasTextString = "浏览器测试加分" }).WaitForAsync();
        await page.AssertFitsAsync();
        var ledger = await api.GetFromJsonAsync<JsonElement>($"/api/members/{member}/points", Ct);
        Assert.Single(ledger.GetProperty("entries").EnumerateArray(), e => e.GetProperty("reasonText").GetString() == "浏览器测试加分");
    }

    [Fact]
    public async Task SandboxChat_OffersQuickReplies_OneClickInserts()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        using var api = app.ApiClient();
        var name = "快捷" + Guid.NewGuid().ToString("N")[..4];
        var created = await api.PostAsJsonAsync("/api/scripts", new { category = "quickReply", name, text = "{community}客服已收到，马上处理" }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var communities = (await api.GetFromJsonAsync<JsonElement>("/api/communities?pageSize=100", Ct)).GetProperty("items").EnumerateArray();
        var community = communities.Single(c => c.GetProperty("name").GetString() == DrillCommunity).GetProperty("id").GetGuid();

        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/communities/{community}/chat");
        // A click before the interactive render took over is lost: click until the list shows.
        var reply = page.GetByTestId("quick-reply").Filter(new() { HasTextString = name });
        for (var attempt = 0; attempt < 5 && !await reply.IsVisibleAsync(); attempt++)
        {
            await page.GetByTestId("quick-replies").ClickAsync();
            await Task.Delay(1500, Ct);
        }
        await reply.ClickAsync();
        await Assertions.Expect(page.GetByTestId("chat-text")).ToHaveValueAsync($"{DrillCommunity}客服已收到，马上处理");
        await page.AssertFitsAsync();
    }

    [Fact]
    public async Task MergePage_SuggestsSameNameAndCity_AndMerges_OnAPhone()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        using var api = app.ApiClient();
        var name = "重复成员" + Guid.NewGuid().ToString("N")[..4];
        var ids = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            var made = await api.PostAsJsonAsync("/api/members", new { displayName = name, city = "杭州", layer = "regular" }, Ct);
            Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync(Ct));
            ids.Add((await made.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid());
        }

        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/members/merge");
        var suggestion = page.GetByTestId("merge-suggestion").Filter(new() { HasTextString = name });
        await suggestion.WaitForAsync();
        await page.AssertFitsAsync();
        await suggestion.GetByTestId("merge-into-first").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "合并", Exact = true }).ClickAsync();
        await suggestion.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var merges = await api.GetFromJsonAsync<JsonElement>("/api/members/merges", Ct);
        Assert.Contains(merges.EnumerateArray(), m => m.GetProperty("mergedName").GetString() == name && ids.Contains(m.GetProperty("mergedMemberId").GetGuid()));
    }
}
