using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Platform;

public sealed class LanguageTests(ConsoleApp app)
{
    // A staff account of its own, so that switching its language leaves the other tests in Chinese.
    private const string Email = "zhao.min@demo.shequn.local";

    [Fact]
    public async Task SwitchLanguage_ChineseByDefault_EnglishAfterSwitchAndAfterSigningInAgain()
    {
        await using (var context = await app.NewContextAsync())
        {
            var page = await context.SignInThroughFormAsync(Email, app.StaffPassword);
            Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
            await Nav(page, "社群").WaitForAsync();
            Assert.Equal(0, await Nav(page, "Communities").CountAsync());

            await page.GetByTestId("switch-language").ClickAsync();
            await page.WaitForFunctionAsync("() => document.documentElement.lang === 'en'");
            await page.WaitForInteractiveAsync();
            await Nav(page, "Communities").WaitForAsync();
            Assert.Equal(0, await Nav(page, "社群").CountAsync());

            await page.Locator("form[action='/account/logout'] button").ClickAsync();
            await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/login");
        }

        // A new browser has no culture cookie: English now comes from the account.
        await using (var context = await app.NewContextAsync())
        {
            var page = await context.SignInThroughFormAsync(Email, app.StaffPassword);
            Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
            await Nav(page, "Communities").WaitForAsync();
            Assert.Equal(0, await Nav(page, "社群").CountAsync());
        }
    }

    private static ILocator Nav(IPage page, string text) =>
        page.Locator(".mud-navmenu .mud-nav-link").GetByText(text, new() { Exact = true });
}
