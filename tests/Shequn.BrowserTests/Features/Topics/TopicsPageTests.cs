using System.Net.Http.Json;
using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Topics;

/// <summary>A topic added to the library on the page, then a session of it planned there with its announcements.</summary>
public sealed class TopicsPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Topics_AddATopic_PlanASession_ItsAnnouncementsAreScheduled()
    {
        using var api = app.ApiClient();
        var name = "话题页面群" + Guid.NewGuid().ToString("N")[..4];
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var community = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        var title = "睡眠与营养" + Guid.NewGuid().ToString("N")[..4];

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/topics");
        await page.GetByTestId("topic-new").ClickAsync();
        await page.Locator("input[data-testid=topic-title-input]").FillAsync(title);
        await page.SelectOptionAsync(page.Locator("[data-testid=topic-kind-input]"), "专业话题");
        await page.Locator("textarea[data-testid=topic-questions-input]").FillAsync("你平时几点睡？\n睡前会吃东西吗？\n哪些食物帮你睡得好？");
        await page.GetByTestId("topic-save").ClickAsync();
        await page.GetByTestId("topic-title").Filter(new() { HasTextString = title }).WaitForAsync();
        var topics = await api.GetFromJsonAsync<JsonElement>("/api/topics?pageSize=200", Ct);
        var items = topics.ValueKind == JsonValueKind.Array ? topics.EnumerateArray() : topics.GetProperty("items").EnumerateArray();
        var topic = items.Single(t => t.GetProperty("title").GetString() == title);
        Assert.Equal(("professional", 3), (topic.GetProperty("kind").GetString(), topic.GetProperty("questions").GetArrayLength()));

        await page.GetByRole(Microsoft.Playwright.AriaRole.Tab, new() { Name = "话题约局" }).ClickAsync();
        await page.GetByTestId("topic-session-new").ClickAsync();
        await page.SelectOptionAsync(page.Locator("[data-testid=session-topic]"), title);
        await page.SelectOptionAsync(page.Locator("[data-testid=session-community]"), name);
        await page.SelectOptionAsync(page.Locator("[data-testid=session-host-kind]"), "嘉宾");
        await page.Locator("input[data-testid=session-host-name]").FillAsync("营养师李老师");
        await page.GetByTestId("session-save").ClickAsync();
        await page.GetByTestId("session-announcement-post").First.WaitForAsync();

        var sessions = await api.GetFromJsonAsync<JsonElement>($"/api/topics/sessions?communityId={community}", Ct);
        var list = sessions.ValueKind == JsonValueKind.Array ? sessions.EnumerateArray() : sessions.GetProperty("items").EnumerateArray();
        var session = Assert.Single(list);
        Assert.Equal("planned", session.GetProperty("status").GetString());
        Assert.NotEqual(0, session.GetProperty("announcements").GetArrayLength());
    }
}
