using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Review;

/// <summary>The review queue and the moderation log on the demo's cases (Features/Demo/DemoCases).</summary>
public sealed class ReviewPagesTests(ConsoleApp app)
{
    [Fact]
    public async Task ReviewQueue_MarkOneNotSpam_ItLeavesTheQueue_WithEvidenceHighlighted()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.GetByTestId("nav-review").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/moderation/review");
        await page.WaitForInteractiveAsync();

        var cards = page.GetByTestId("review-case");
        await cards.First.WaitForAsync();
        var before = await cards.CountAsync();
        Assert.True(before >= 1);
        Assert.Contains("误判", await page.GetByTestId("review-false-positives").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("漏判", await page.GetByTestId("review-false-negatives").InnerTextAsync(), StringComparison.Ordinal);
        // Cases with highlighted words (some, such as a flagged card, have evidence without a span).
        var first = cards.Filter(new() { Has = page.GetByTestId("evidence-mark") }).First;
        var id = await first.GetAttributeAsync("data-case");
        var text = await first.GetByTestId("evidence-text").InnerTextAsync();
        var mark = (await first.GetByTestId("evidence-mark").First.InnerTextAsync()).Trim();
        Assert.False(string.IsNullOrEmpty(mark));
        Assert.Contains(mark, text, StringComparison.Ordinal);
        await page.ScreenshotAsync("review-queue.zh-CN");

        await first.GetByTestId("review-not-spam").ClickAsync();

        await page.Locator($"[data-testid=review-case][data-case='{id}']").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal(before - 1, await cards.CountAsync());
    }

    [Fact]
    public async Task ModerationLog_ShowsEvidenceAndOutcome_FiltersByDecision_AndExportsCsv()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/moderation/log");

        var removal = page.GetByTestId("log-case").Filter(new() { HasTextString = "进群领红包" });
        await removal.WaitForAsync();
        Assert.True(await removal.GetByTestId("evidence-mark").CountAsync() >= 1);
        Assert.False(string.IsNullOrWhiteSpace(await removal.GetByTestId("log-evidence").InnerTextAsync()));
        var outcome = await removal.GetByTestId("log-outcome").InnerTextAsync();
        Assert.Contains("移出群聊", outcome, StringComparison.Ordinal);
        Assert.Contains("已完成", outcome, StringComparison.Ordinal);
        var undone = page.GetByTestId("log-case").Filter(new() { HasTextString = "投票链接" });
        Assert.Contains("群主事先同意了这次投票", await undone.GetByTestId("log-undone").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("moderation-log.zh-CN");

        await page.SelectOptionAsync(page.GetByTestId("log-decision"), "被举报");
        await page.GetByTestId("log-apply").ClickAsync();
        await page.GetByTestId("log-case").Filter(new() { HasTextString = "进群领红包" }).WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var chips = await page.GetByTestId("log-decision-chip").AllInnerTextsAsync();
        Assert.NotEmpty(chips);
        Assert.All(chips, c => Assert.Equal("被举报", c.Trim()));

        var href = await page.GetByTestId("log-export").GetAttributeAsync("href");
        Assert.Contains("decision=Reported", href, StringComparison.Ordinal);
        var csv = await context.APIRequest.GetAsync(href!);
        Assert.Equal(200, csv.Status);
        var body = Encoding.UTF8.GetString(await csv.BodyAsync());
        Assert.StartsWith("\uFEFFid,occurredAt,community", body, StringComparison.Ordinal);
        Assert.Contains("reported", body, StringComparison.Ordinal);
        Assert.DoesNotContain("进群领红包", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SandboxChat_ReportAMessage_ItIsAReportedCaseInTheLog()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name = "举报测试群-" + Guid.NewGuid().ToString("N")[..6], platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, ct);
        created.EnsureSuccessStatusCode();
        var community = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/communities/{community}/chat");
        await page.JoinSandboxChatAsync("Carol");
        await page.GetByTestId("chat-system").Filter(new() { HasTextString = "Carol" }).WaitForAsync();
        await page.GetByTestId("chat-text").FillAsync("澳洲保健品直邮包税 私我");
        await page.GetByTestId("chat-send").ClickAsync();
        var ad = page.GetByTestId("chat-message").Filter(new() { HasTextString = "直邮包税" });
        await ad.WaitForAsync();

        await ad.GetByTestId("report-message").ClickAsync();

        await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "已举报" }).WaitForAsync();
        var log = await api.GetFromJsonAsync<JsonElement>($"/api/moderation/cases?communityId={community}&decision=reported", ct);
        var item = Assert.Single(log.GetProperty("items").EnumerateArray());
        Assert.Equal(("澳洲保健品直邮包税 私我", "Carol", "spam"), (item.GetProperty("text").GetString(), item.GetProperty("userName").GetString(), item.GetProperty("verdict").GetString()));
    }

    [Theory]
    [InlineData("/moderation/review")]
    [InlineData("/moderation/log")]
    [InlineData("/moderation/blacklist")]
    public async Task ReviewPages_FitAPhone(string path)
    {
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync(path);
        await page.GetByTestId("review-tabs").WaitForAsync();

        await page.AssertFitsAsync();
    }
}
