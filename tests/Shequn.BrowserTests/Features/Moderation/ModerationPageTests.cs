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
        Assert.Contains("病态正则", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pathological", text, StringComparison.Ordinal);
        // The row itself says why, under the pattern.
        Assert.Contains("病态正则", await page.GetByTestId("rules-pattern-row").Last.InnerTextAsync(), StringComparison.Ordinal);

        using var api = app.ApiClient();
        var stored = await api.GetStringAsync("/api/moderation/settings", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("(a+)+b", stored, StringComparison.Ordinal);
        await page.ScreenshotAsync("moderation-rules-refused.zh-CN");
    }

    [Fact]
    public async Task Rules_BuiltInRuleSwitchedOff_NoLongerInTheEvidenceOfACheck()
    {
        const string Message = "私聊我 加微 sx111505";
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/moderation");
        using var api = app.ApiClient();
        try
        {
            await Tab(page, "检测消息").ClickAsync();
            await page.GetByTestId("check-text").FillAsync(Message);
            await page.GetByTestId("check-run").ClickAsync();
            var weChat = page.Locator("[data-testid=evidence-rule][data-rule=WeChatId]");
            await weChat.WaitForAsync();
            Assert.Equal("微信号", (await weChat.InnerTextAsync()).Trim());

            await Tab(page, "规则").ClickAsync();
            var row = page.GetByTestId("rules-builtin-row").And(page.Locator("[data-rule=WeChatId]"));
            Assert.Equal("微信号", (await row.GetByTestId("rules-builtin-name").InnerTextAsync()).Trim());
            Assert.Equal(15, await page.GetByTestId("rules-builtin-row").CountAsync());
            await row.Locator("input[type=checkbox]").UncheckAsync(new() { Force = true });
            await page.ScreenshotAsync("moderation-builtin-rules.zh-CN");
            await page.GetByTestId("rules-save").ClickAsync();
            await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "已保存" }).WaitForAsync();

            await Tab(page, "检测消息").ClickAsync();
            await page.GetByTestId("check-text").FillAsync(Message + " ");
            await page.GetByTestId("check-run").ClickAsync();
            var solicitation = page.Locator("[data-testid=evidence-rule][data-rule=Solicitation]");
            await solicitation.WaitForAsync();
            Assert.Equal(0, await weChat.CountAsync());
            Assert.StartsWith("招揽引流", (await solicitation.InnerTextAsync()).Trim(), StringComparison.Ordinal);
            await page.ScreenshotAsync("moderation-builtin-rule-off.zh-CN");
        }
        finally
        {
            // The demo workspace is shared with the other tests: switch the rule back on.
            using var restore = new StringContent("""{"builtInRules":[{"rule":"weChatId","enabled":true}]}""", System.Text.Encoding.UTF8, "application/json");
            (await api.PutAsync("/api/moderation/settings", restore, CancellationToken.None)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task WordListImport_TxtWithBlankAndDuplicateLines_AddsTheRestAndReportsLineNumbers()
    {
        var list = "导入词库-" + Guid.NewGuid().ToString("N")[..6];
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/moderation");
        await Tab(page, "词库").ClickAsync();
        await page.GetByTestId("list-new-name").FillAsync(list);
        await page.GetByTestId("list-create").ClickAsync();
        await page.GetByTestId("list-panel-title").Filter(new() { HasTextString = list }).WaitForAsync();

        await page.GetByTestId("list-panel").Locator("input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "terms.txt",
            MimeType = "text/plain",
            Buffer = System.Text.Encoding.UTF8.GetBytes("加微信领红包\n\n加微信领红包\n免费代购\n"),
        });

        var report = page.GetByTestId("list-import-report");
        await report.WaitForAsync();
        var text = await report.InnerTextAsync();
        Assert.Contains("新增 2 个词条（共 4 行）", text, StringComparison.Ordinal);
        Assert.Contains("空行 1 行：第 2 行", text, StringComparison.Ordinal);
        Assert.Contains("第 3 行", text, StringComparison.Ordinal);
        await page.GetByTestId("term-chip").Filter(new() { HasTextString = "免费代购" }).WaitForAsync();
        var row = page.GetByTestId("list-table").Locator("tbody tr").Filter(new() { HasTextString = list });
        Assert.Equal("2", (await row.GetByTestId("list-term-count").InnerTextAsync()).Trim());
    }

    [Fact]
    public async Task Model_LabelledCsvImportedThenTrained_ShowsTheNewModelsFigures()
    {
        var csv = new System.Text.StringBuilder("target,input\n");
        for (var i = 0; i < 30; i++)
        {
            csv.Append(Row(i, "1,加微信 vx{0} 领取免费红包，日结兼职\n"));
            csv.Append(Row(i, "0,今天第{0}次打卡，鱼油吃了一个月感觉不错\n"));
        }
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/moderation");
        await Tab(page, "模型").ClickAsync();
        await page.GetByTestId("label-counts").WaitForAsync();

        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "labels.csv",
            MimeType = "text/csv",
            Buffer = System.Text.Encoding.UTF8.GetBytes(csv.ToString()),
        });
        await page.GetByTestId("label-import-result").Filter(new() { HasTextString = "已导入 60 条" }).WaitForAsync();

        await page.GetByTestId("model-train").ClickAsync();
        await page.GetByTestId("model-metrics").WaitForAsync(new() { Timeout = 60_000 });
        Assert.True(ConsolePages.ParseFigure(await page.GetByTestId("model-examples").InnerTextAsync()) > 0);
        Assert.True(await page.GetByTestId("model-train").IsEnabledAsync());
        await page.ScreenshotAsync("moderation-model.zh-CN");
    }

    [Fact]
    public async Task Operator_OpensModeration_MayTestAndLabelButNotEdit()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync("zhou.ting@demo.shequn.local", app.StaffPassword);
        await page.OpenAsync("/moderation");

        await page.GetByTestId("moderation-read-only").WaitForAsync();
        await page.GetByTestId("check-text").FillAsync("你好");
        await page.GetByTestId("check-run").ClickAsync();
        await page.GetByTestId("check-result").WaitForAsync();

        await Tab(page, "词库").ClickAsync();
        await page.GetByTestId("list-table").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("list-create").CountAsync());
        Assert.Equal(0, await page.GetByTestId("list-delete").CountAsync());

        await Tab(page, "规则").ClickAsync();
        await page.GetByTestId("rules-review").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("rules-save").CountAsync());

        await Tab(page, "模型").ClickAsync();
        await page.GetByTestId("label-text").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("model-train").CountAsync());
        Assert.Equal(0, await page.GetByTestId("label-import").CountAsync());
    }

    private static string Row(int i, string format) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, format, i);
}
