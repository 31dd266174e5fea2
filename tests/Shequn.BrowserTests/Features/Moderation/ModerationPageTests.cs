using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Moderation;

public sealed class ModerationPageTests(ConsoleApp app)
{
    private static ILocator Tab(IPage page, string name) =>
        page.Locator(".mud-tab").Filter(new() { HasTextString = name });

    [Fact]
    public async Task WordList_TermAddedThenDisguisedMessageChecked_EvidenceNamesListTermAndSpan()
    {
        var list = "测试词库-" + Guid.NewGuid().ToString("N")[..6];
        const string Term = "代刷单返利";
        const string Message = "招兼职：代★刷·单 返-利，日结。";
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.GetByTestId("nav-moderation").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/moderation");
        await page.WaitForInteractiveAsync();

        await Tab(page, "词库").ClickAsync();
        await page.GetByTestId("list-new-name").FillAsync(list);
        await page.GetByTestId("list-create").ClickAsync();
        await page.GetByTestId("list-panel-title").Filter(new() { HasTextString = list }).WaitForAsync();
        await page.GetByTestId("term-new").FillAsync(Term);
        await page.GetByTestId("term-add").ClickAsync();
        await page.GetByTestId("term-chip").Filter(new() { HasTextString = Term }).WaitForAsync();
        var row = page.GetByTestId("list-table").Locator("tbody tr").Filter(new() { HasTextString = list });
        Assert.Equal("1", (await row.GetByTestId("list-term-count").InnerTextAsync()).Trim());

        await Tab(page, "检测消息").ClickAsync();
        await page.GetByTestId("check-text").FillAsync(Message);
        await page.GetByTestId("check-run").ClickAsync();
        var evidence = page.GetByTestId("evidence-row").Filter(new() { HasTextString = list });
        await evidence.WaitForAsync();
        Assert.Equal(Term, (await evidence.GetByTestId("evidence-term").InnerTextAsync()).Trim());
        var span = (await evidence.GetByTestId("evidence-span").InnerTextAsync()).Trim();
        Assert.StartsWith("代", span, StringComparison.Ordinal);
        Assert.EndsWith("利", span, StringComparison.Ordinal);
        Assert.Contains(span, Message, StringComparison.Ordinal);
        Assert.Contains(await page.GetByTestId("check-mark").AllInnerTextsAsync(), m => m.Contains(span, StringComparison.Ordinal));
        Assert.NotEqual("放行", (await page.GetByTestId("check-decision").InnerTextAsync()).Trim());
        await page.ScreenshotAsync("moderation-check.zh-CN");
    }

    [Fact]
    public async Task Rules_PathologicalPatternSaved_RefusedWithTheReasonAndNothingStored()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/moderation");

        await Tab(page, "规则").ClickAsync();
        await page.GetByTestId("rules-pattern-add").ClickAsync();
        await page.GetByTestId("rules-pattern-name").Last.FillAsync("回溯测试");
        await page.GetByTestId("rules-pattern-regex").Last.FillAsync("(a+)+b");
        await page.GetByTestId("rules-save").ClickAsync();

        var errors = page.GetByTestId("rules-errors");
        await errors.WaitForAsync();
        var text = await errors.InnerTextAsync();
        Assert.Contains("回溯测试", text, StringComparison.Ordinal);
        Assert.Contains("pathological", text, StringComparison.Ordinal);
        // The row itself says why, under the pattern.
        Assert.Contains("pathological", await page.GetByTestId("rules-pattern-row").Last.InnerTextAsync(), StringComparison.Ordinal);

        using var api = app.ApiClient();
        var stored = await api.GetStringAsync("/api/moderation/settings", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("(a+)+b", stored, StringComparison.Ordinal);
        await page.ScreenshotAsync("moderation-rules-refused.zh-CN");
    }
}
