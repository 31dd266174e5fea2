using System.Net.Http.Json;
using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Feedback;

/// <summary>A ticket entered on the page (refused without its text), then answered and resolved there: the member's answer goes to the outbox.</summary>
public sealed class FeedbackPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Feedback_EnterATicket_AnswerAndResolveIt_OnThePage()
    {
        using var api = app.ApiClient();
        var name = "反馈页面群" + Guid.NewGuid().ToString("N")[..4];
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "service", subType = "afterSale", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var community = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        async Task<JsonElement[]> TicketsAsync() =>
            [.. (await api.GetFromJsonAsync<JsonElement>($"/api/feedback/tickets?communityId={community}", Ct)).GetProperty("items").EnumerateArray()];

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/feedback");
        await page.GetByTestId("feedback-new").ClickAsync();
        await page.SelectOptionAsync(page.Locator("[data-testid=feedback-new-community]"), name);
        await page.GetByTestId("feedback-create").ClickAsync();
        // No text: refused with a message, the dialog stays and nothing is written.
        await page.Locator(".mud-snackbar").WaitForAsync();
        await page.GetByTestId("feedback-create").WaitForAsync();
        Assert.Empty(await TicketsAsync());

        await page.SelectOptionAsync(page.Locator("[data-testid=feedback-new-kind]"), "建议");
        await page.Locator("textarea[data-testid=feedback-new-text]").FillAsync("建议出一款小包装的鱼油，方便出差带");
        await page.GetByTestId("feedback-create").ClickAsync();
        var ticket = page.GetByTestId("feedback-ticket").Filter(new() { HasTextString = "小包装的鱼油" });
        await ticket.GetByTestId("feedback-status").Filter(new() { HasTextString = "新建" }).WaitForAsync();
        Assert.Equal("suggestion", Assert.Single(await TicketsAsync()).GetProperty("kind").GetString());

        await ticket.GetByTestId("feedback-open").ClickAsync();
        await page.Locator("textarea[data-testid=feedback-answer]").FillAsync("谢谢建议，已转给产品部评估");
        await page.GetByTestId("feedback-resolve").ClickAsync();
        await ticket.GetByTestId("feedback-status").Filter(new() { HasTextString = "已解决" }).WaitForAsync();
        var resolved = Assert.Single(await TicketsAsync());
        Assert.Equal(("resolved", "谢谢建议，已转给产品部评估"), (resolved.GetProperty("status").GetString(), resolved.GetProperty("answerText").GetString()));
        Assert.Equal(JsonValueKind.String, resolved.GetProperty("answerActionId").ValueKind);
    }
}
