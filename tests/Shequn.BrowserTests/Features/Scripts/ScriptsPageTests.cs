using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Scripts;

public sealed class ScriptsPageTests(ConsoleApp app)
{
    [Fact]
    public async Task ScriptEditor_PreviewsAsTheUserTypes_AndNamesUnknownVariables_OnAPhone()
    {
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/scripts");
        // The demo workspace starts with seed 004's templates.
        await page.GetByTestId("script-name").Filter(new() { HasTextString = "群简介" }).WaitForAsync();
        await page.GetByTestId("script-name").Filter(new() { HasTextString = "具体群规" }).WaitForAsync();

        var row = page.Locator("tr").Filter(new() { Has = page.GetByTestId("script-name").Filter(new() { HasTextString = "入群欢迎" }) });
        await row.GetByTestId("script-edit").ClickAsync();
        var text = page.GetByTestId("script-text");
        await text.FillAsync("欢迎 {nickname} 加入{community}！{oops}");
        var preview = page.GetByTestId("script-preview");
        await preview.Filter(new() { HasTextString = "欢迎 北京-健康-小王 加入示例交流群！" }).WaitForAsync();
        var field = page.Locator(".mud-input-control").Filter(new() { Has = page.GetByTestId("script-text") });
        await field.Filter(new() { HasTextString = "{oops}" }).WaitForAsync();
        await page.AssertFitsAsync();
        await page.ScreenshotAsync("scripts-preview.zh-CN");

        // Saving is refused with the same words; nothing is stored.
        await page.GetByTestId("script-save").ClickAsync();
        using var api = app.ApiClient();
        var scripts = await api.GetFromJsonAsync<JsonElement>("/api/scripts?category=welcome", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("{oops}", scripts[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AutoReply_MadeOnThePage_AnswersTheTester()
    {
        var name = "浏览器自动回复-" + Guid.NewGuid().ToString("N")[..6];
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/autoreplies");
        await page.GetByTestId("autoreply-new").ClickAsync();
        await page.GetByTestId("autoreply-name-input").FillAsync(name);
        await page.GetByTestId("autoreply-keywords").FillAsync("营业时间");
        await page.GetByTestId("autoreply-reply").FillAsync("{member} 您好，我们 9 点到 21 点在线");
        await page.GetByTestId("autoreply-save").ClickAsync();
        await page.GetByTestId("autoreply-name").Filter(new() { HasTextString = name }).WaitForAsync();

        await page.GetByTestId("autoreply-test-text").FillAsync("请问营业时间？");
        await page.GetByTestId("autoreply-test-run").ClickAsync();
        await page.GetByTestId("autoreply-test-result").Filter(new() { HasTextString = name }).WaitForAsync();
        await page.AssertFitsAsync();

        using var api = app.ApiClient();
        var rules = await api.GetFromJsonAsync<JsonElement>("/api/autoreplies", TestContext.Current.CancellationToken);
        var rule = rules.EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);
        Assert.Equal("contains", rule.GetProperty("mode").GetString());
        await api.DeleteAsync($"/api/autoreplies/{rule.GetProperty("id").GetString()}", TestContext.Current.CancellationToken);
    }
}
