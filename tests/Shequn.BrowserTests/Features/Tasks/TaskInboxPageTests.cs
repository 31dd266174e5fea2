using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Tasks;

public sealed class TaskInboxPageTests(ConsoleApp app)
{
    // The demo's Manual (personal WeChat) group; the owner is its sub-owner, so removals there are his to do.
    private const string ManualCommunity = "老客户微信群";

    [Fact]
    public async Task Owner_DoesAManualTask_WithANote_AndItLeavesTheOpenList()
    {
        var userId = "wxid_browser_" + Guid.NewGuid().ToString("N")[..6];
        var actionId = await EnqueueRemovalAsync(userId);
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);

        await page.OpenAsync("/tasks");
        var card = page.GetByTestId("task-card").Filter(new() { HasTextString = userId });
        // The dispatcher makes the action a task within moments; the page shows what exists when it loads.
        for (var attempt = 0; attempt < 20 && await card.CountAsync() == 0; attempt++)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            await page.OpenAsync("/tasks");
        }
        Assert.Equal($"将 {userId} 移出群「{ManualCommunity}」", (await card.GetByTestId("task-text").InnerTextAsync()).Trim());
        Assert.Equal("移出群", (await card.GetByTestId("task-kind").InnerTextAsync()).Trim());
        // The demo's overdue removal is marked in words, not by colour alone.
        var overdue = page.Locator("[data-testid=task-card][data-overdue=true]");
        Assert.True(await overdue.CountAsync() >= 1);
        Assert.Equal("已逾期", (await overdue.First.GetByTestId("task-overdue").InnerTextAsync()).Trim());
        var countBefore = int.Parse(await page.GetByTestId("nav-tasks-count").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        await page.ScreenshotAsync("tasks.zh-CN");

        await card.GetByTestId("task-done").ClickAsync();
        await page.GetByTestId("task-note").FillAsync("已在微信里移出");
        await page.GetByTestId("task-confirm").ClickAsync();

        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        // The nav's count follows at once, without leaving the page.
        await page.WaitForFunctionAsync($"() => document.querySelector('[data-testid=nav-tasks-count]')?.innerText.trim() === '{countBefore - 1}'");
        using var api = app.ApiClient();
        var action = await api.GetFromJsonAsync<JsonElement>($"/api/actions/{actionId}", TestContext.Current.CancellationToken);
        Assert.Equal("done", action.GetProperty("status").GetString());
        await page.SelectOptionAsync(page.GetByTestId("tasks-status"), "已完成");
        var done = page.GetByTestId("task-card").Filter(new() { HasTextString = userId });
        await done.WaitForAsync();
        Assert.Contains("已在微信里移出", await done.GetByTestId("task-note-shown").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Koc_TaskPage_SaysKocsHaveNoTasks_AndTheNavHidesIt()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync("koc.xiaoyu@demo.shequn.local", app.StaffPassword);

        await page.OpenAsync("/tasks");

        await page.GetByTestId("tasks-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("nav-tasks").CountAsync());
    }

    private async Task<Guid> EnqueueRemovalAsync(string userId)
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        using var api = app.ApiClient();
        var ct = TestContext.Current.CancellationToken;
        var communities = (await api.GetFromJsonAsync<JsonElement>("/api/communities?pageSize=100", ct)).GetProperty("items").EnumerateArray();
        var community = communities.Single(c => c.GetProperty("name").GetString() == ManualCommunity).GetProperty("id").GetGuid();
        var response = await api.PostAsJsonAsync($"/api/communities/{community}/actions", new { kind = "remove", userId }, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
    }
}
