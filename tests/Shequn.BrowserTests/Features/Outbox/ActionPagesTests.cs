using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Outbox;

/// <summary>Staff act from the Sandbox chat through the outbox, read the action log and settle an uncertain action.</summary>
public sealed class ActionPagesTests(ConsoleApp app)
{
    private static async Task<Guid> NewSandboxCommunityAsync(HttpClient api)
    {
        var name = "动作测试群" + Guid.NewGuid().ToString("N")[..6];
        var response = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task SandboxChat_StaffDeletesAMessageAndSendsAsTheBot_ChatShowsBothAndTheLogSaysDone()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        using var api = app.ApiClient();
        var community = await NewSandboxCommunityAsync(api);
        // This is about what staff do: the joining ritual would greet Bob with actions of its own.
        (await api.PutAsJsonAsync($"/api/communities/{community}/ritual", new { enabled = false }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/communities/{community}/chat");

        // A member posts a message (joining makes him the one who speaks). Not an ad: the group rules would delete an
        // ad on their own, and this is about what staff do.
        // The interactive render may replace the prerendered field and lose what was typed: type until it stays.
        await page.JoinSandboxChatAsync("Bob");
        await page.GetByTestId("chat-system").Filter(new() { HasTextString = "Bob" }).WaitForAsync();
        // After the join the chat renders again and may drop what was typed: type until it stays, then send.
        const string Morning = "大家早上好，今天天气不错";
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await page.GetByTestId("chat-text").FillAsync(Morning);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            if (await page.GetByTestId("chat-text").InputValueAsync() == Morning && await page.GetByTestId("chat-send").IsEnabledAsync())
                break;
        }
        await page.GetByTestId("chat-send").ClickAsync();
        var ad = page.GetByTestId("chat-message").Filter(new() { HasTextString = "今天天气不错" });
        await ad.WaitForAsync();

        // Staff delete it: an action goes out, and the chat shows what the platform reported back.
        await ad.GetByTestId("chat-delete").ClickAsync();
        await ad.GetByTestId("chat-deleted").WaitForAsync();

        // The bot says something.
        await page.GetByTestId("chat-text").FillAsync("请勿发广告，谢谢配合");
        await page.GetByTestId("chat-send-bot").ClickAsync();
        var botLine = page.GetByTestId("chat-message").Filter(new() { HasTextString = "请勿发广告" });
        await botLine.WaitForAsync();
        Assert.Contains("Shequn", await botLine.InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("sandbox-chat-actions");

        // Muted, Bob cannot post; removed, he leaves the chat.
        var bob = page.GetByTestId("chat-member").Filter(new() { HasTextString = "Bob" });
        await bob.GetByTestId("chat-mute").ClickAsync();
        await bob.GetByTestId("chat-member-muted").WaitForAsync();
        await page.GetByTestId("chat-text").FillAsync("我被禁言了吗");
        await page.GetByTestId("chat-muted-hint").WaitForAsync();
        Assert.True(await page.GetByTestId("chat-send").IsDisabledAsync());
        await bob.GetByTestId("chat-remove").ClickAsync();
        await page.GetByTestId("chat-system").Filter(new() { HasTextString = "Bob 被移出群聊" }).WaitForAsync();
        await bob.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        // The community's action log lists both, done, newest first.
        await page.OpenAsync($"/communities/{community}");
        var rows = page.GetByTestId("community-actions").Locator("tbody tr");
        await rows.Nth(3).WaitForAsync();
        Assert.Equal(4, await rows.CountAsync());
        await page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('[data-testid=community-actions] [data-testid=action-status-chip]')].every(c => c.dataset.status === 'Done')");
        Assert.Equal(["移出群聊", "禁言", "发消息", "删除消息"], (await rows.GetByTestId("action-kind").AllInnerTextsAsync()).Select(t => t.Trim()));
        // The member is named as Shequn knows him, not by the platform's id.
        Assert.Contains("Bob", await rows.Nth(0).GetByTestId("action-content").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("请勿发广告", await rows.Nth(2).GetByTestId("action-content").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("community-actions");
    }

    [Fact]
    public async Task ActionsPage_UncertainSend_ListedFirstAndItArrivedResolvesIt()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var community = await NewSandboxCommunityAsync(api);
        var text = "今晚八点直播 " + Guid.NewGuid().ToString("N")[..6];
        var queued = await (await api.PostAsJsonAsync($"/api/communities/{community}/actions", new { kind = "send", text }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        var id = queued.GetProperty("id").GetGuid();
        while ((await api.GetFromJsonAsync<JsonElement>($"/api/actions/{id}", ct)).GetProperty("status").GetString() is "queued" or "sending")
            await Task.Delay(100, ct);
        // As if the node had died mid-call: no API leaves an action uncertain, so the test writes what the dispatcher would have.
        await using (var db = new SqliteConnection($"Data Source={app.DatabasePath};Default Timeout=30"))
        {
            await db.OpenAsync(ct);
            await using var update = db.CreateCommand();
            update.CommandText = "UPDATE OutboundActions SET Status = 4, Error = 'Interrupted while sending' WHERE lower(Id) = $id";
            update.Parameters.AddWithValue("$id", id.ToString());
            Assert.Equal(1, await update.ExecuteNonQueryAsync(ct));
        }

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/actions");
        var row = page.GetByTestId("actions-table").Locator("tbody tr").Filter(new() { HasTextString = text });
        await row.WaitForAsync();
        Assert.Equal("Uncertain", await row.GetByTestId("action-status-chip").GetAttributeAsync("data-status"));
        await page.ScreenshotAsync("actions-needs-attention");

        await row.GetByTestId("action-arrived").ClickAsync();

        // Opened on "needs attention", the settled action leaves the list; the API says how it was settled.
        await row.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var settled = await api.GetFromJsonAsync<JsonElement>($"/api/actions/{id}", ct);
        Assert.Equal(("done", "arrived"), (settled.GetProperty("status").GetString(), settled.GetProperty("resolution").GetString()));
    }
}
