using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.WeCom;

public sealed class WeComConnectionPageTests(ConsoleApp app)
{
    private const string AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";

    [Fact]
    public async Task ConnectCorp_AgainstTheFake_StatusShownAndWrongSecretExplained()
    {
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        var corp = app.WeCom.AddCorp(corpId, "right-secret-" + Guid.NewGuid().ToString("N")[..8], "tokenABC123", AesKey);
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.GetByTestId("nav-wecom").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/connections/wecom");
        await page.WaitForInteractiveAsync();

        await page.GetByTestId("wecom-corpid").FillAsync(corpId);
        await page.GetByTestId("wecom-secret").FillAsync("wrong-secret-9999");
        await page.GetByTestId("wecom-token").FillAsync(corp.Token);
        await page.GetByTestId("wecom-aeskey").FillAsync(AesKey);
        await page.GetByTestId("wecom-save").ClickAsync();

        var card = page.GetByTestId("wecom-connection").Filter(new() { HasTextString = corpId });
        await card.WaitForAsync();
        Assert.Equal("企业ID或 Secret 被拒绝", (await card.GetByTestId("wecom-status").InnerTextAsync()).Trim());
        Assert.Contains("40001", await card.GetByTestId("wecom-status-detail").InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.EndsWith("/wecom/callback/", (await card.GetByTestId("wecom-callback-url").InnerTextAsync()).Trim()[..^36], StringComparison.Ordinal);

        await card.GetByTestId("wecom-edit").ClickAsync();
        await page.GetByTestId("wecom-secret").FillAsync(corp.Secret);
        await page.GetByTestId("wecom-save").ClickAsync();
        await card.GetByTestId("wecom-status").Filter(new() { HasTextString = "已连接" }).WaitForAsync();
        await page.ScreenshotAsync("wecom-connection.zh-CN");
    }
}
