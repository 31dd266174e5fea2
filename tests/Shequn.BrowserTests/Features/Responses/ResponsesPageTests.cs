using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Responses;

/// <summary>The unanswered-questions queue at phone size: a member's question shows with its age, fits the screen, and leaves when dismissed.</summary>
public sealed class ResponsesPageTests(ConsoleApp app)
{
    private const string DrillCommunity = "社群运营演练群";
    private static readonly int Width = (int)ConsoleApp.Phone.Width;

    [Fact]
    public async Task Owner_SeesAWaitingQuestion_OnAPhone_AndDismissesIt()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        var text = "请问会员积分怎么兑换？" + Guid.NewGuid().ToString("N")[..6];
        using (var api = app.ApiClient())
        {
            var communities = (await api.GetFromJsonAsync<JsonElement>("/api/communities?pageSize=100", ct)).GetProperty("items").EnumerateArray();
            var community = communities.Single(c => c.GetProperty("name").GetString() == DrillCommunity).GetProperty("id").GetGuid();
            var posted = await api.PostAsJsonAsync("/api/events", new
            {
                platform = "sandbox",
                id = "browser-q-" + Guid.NewGuid().ToString("N"),
                kind = "messagePosted",
                // Just inside the queue's three days and older than nearly all the demo's waiting questions, so that it
                // heads the queue (oldest first).
                occurredAt = DateTimeOffset.UtcNow.AddDays(-3).AddMinutes(2),
                communityId = community,
                user = new { id = "browser-member-" + Guid.NewGuid().ToString("N")[..6], name = "手机测试会员" },
                message = new { id = "browser-msg-" + Guid.NewGuid().ToString("N")[..8], kind = "text", text },
            }, ct);
            posted.EnsureSuccessStatusCode();
        }

        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/responses");
        var card = page.GetByTestId("responses-question").Filter(new() { HasTextString = text });
        // The processor records the question within moments; the refresh button reloads the queue.
        for (var attempt = 0; attempt < 20 && await card.CountAsync() == 0; attempt++)
        {
            await Task.Delay(500, ct);
            await page.GetByTestId("responses-refresh").ClickAsync();
        }
        await card.WaitForAsync();
        Assert.Contains("2 天", await card.GetByTestId("responses-age").InnerTextAsync(), StringComparison.Ordinal);
        await page.GetByTestId("responses-refresh").AssertReachableAsync(Width, "responses: refresh");
        await card.GetByTestId("responses-dismiss").AssertReachableAsync(Width, "responses: dismiss");
        await page.AssertFitsAsync(Width, "responses as owner");
        await page.ScreenshotAsync("phone-owner-responses");

        await card.GetByTestId("responses-dismiss").ClickAsync();
        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });
    }

    [Fact]
    public async Task Koc_SeesTheQueueOfHerCommunities_WithoutFiguresOrDismiss()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync("koc.xiaoyu@demo.shequn.local", app.StaffPassword);
        Assert.Equal(1, await page.GetByTestId("nav-responses").CountAsync());

        await page.OpenAsync("/responses");
        await page.GetByTestId("responses-refresh").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("responses-dismiss").CountAsync());
        Assert.Equal(0, await page.GetByTestId("responses-by-community").CountAsync());
        Assert.Equal(0, await page.GetByTestId("responses-by-answerer").CountAsync());
        await page.AssertFitsAsync(Width, "responses as KOC");
    }
}
