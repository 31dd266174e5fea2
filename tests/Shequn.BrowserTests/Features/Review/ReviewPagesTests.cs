using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
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
        // The waiting count, not the cards: a page shows 50, and other tests' messages add cases to the shared demo.
        var waiting = page.GetByTestId("review-waiting");
        var before = ConsolePages.ParseFigure(await waiting.InnerTextAsync());
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
        await Assertions.Expect(waiting).ToHaveTextAsync(new Regex($"(?<![0-9]){before - 1}(?![0-9])"));
    }

    [Fact]
    public async Task ModerationLog_ShowsEvidenceAndOutcome_FiltersByDecision_AndExportsCsv()
    {
        // The demo's cases are older than any a test makes, and the log shows the newest 50 first: each demo case is
        // opened through its member's link to the log (?memberId=), as the member page links to it.
        var removalMember = await DemoCaseMemberAsync("进群领红包");
        var undoneMember = await DemoCaseMemberAsync("投票链接");
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/moderation/log?memberId={removalMember}");

        var removal = page.GetByTestId("log-case").Filter(new() { HasTextString = "进群领红包" });
        await removal.WaitForAsync();
        Assert.True(await removal.GetByTestId("evidence-mark").CountAsync() >= 1);
        Assert.False(string.IsNullOrWhiteSpace(await removal.GetByTestId("log-evidence").InnerTextAsync()));
        var outcome = await removal.GetByTestId("log-outcome").InnerTextAsync();
        Assert.Contains("移出群聊", outcome, StringComparison.Ordinal);
        Assert.Contains("已完成", outcome, StringComparison.Ordinal);
        await page.ScreenshotAsync("moderation-log.zh-CN");
        await page.OpenAsync($"/moderation/log?memberId={undoneMember}");
        var undone = page.GetByTestId("log-case").Filter(new() { HasTextString = "投票链接" });
        Assert.Contains("群主事先同意了这次投票", await undone.GetByTestId("log-undone").InnerTextAsync(), StringComparison.Ordinal);

        await page.OpenAsync("/moderation/log");
        await page.GetByTestId("log-case").First.WaitForAsync();
        await page.SelectOptionAsync(page.GetByTestId("log-decision"), "被举报");
        await page.GetByTestId("log-apply").ClickAsync();
        var decisions = page.GetByTestId("log-decision-chip");
        await Assertions.Expect(decisions.Filter(new() { HasNotTextString = "被举报" })).ToHaveCountAsync(0);
        var chips = await decisions.AllInnerTextsAsync();
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

    /// <summary>The member behind one of the demo's sample cases (Features/Demo/DemoCases), found through the API's log.</summary>
    private async Task<Guid> DemoCaseMemberAsync(string text)
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        for (var pageNumber = 1; ; pageNumber++)
        {
            var page = await api.GetFromJsonAsync<JsonElement>($"/api/moderation/cases?page={pageNumber}&pageSize=100", ct);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.True(items.Count > 0, $"No case in the log reads \"{text}\".");
            var found = items.FirstOrDefault(c => c.GetProperty("text").GetString()?.Contains(text, StringComparison.Ordinal) == true);
            if (found.ValueKind == JsonValueKind.Object)
                return found.GetProperty("memberId").GetGuid();
        }
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
