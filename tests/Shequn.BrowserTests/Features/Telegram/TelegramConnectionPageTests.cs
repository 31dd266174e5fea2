using Shequn.BrowserTests.Infrastructure;
using Shequn.Fakes.Telegram;

namespace Shequn.BrowserTests.Features.Telegram;

public sealed class TelegramConnectionPageTests(ConsoleApp app)
{
    [Fact]
    public async Task Owner_ConnectsABot_SeesTheGroupItWasAddedTo_AndApprovesIt()
    {
        var fake = app.Telegram;
        var bot = fake.AddBot($"{Random.Shared.Next(100_000, 999_999)}:AAbrowser{Guid.NewGuid():N}", "shequn_browser_bot", "Shequn");
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/connections/telegram");

        await page.GetByTestId("telegram-token").FillAsync(bot.Token);
        await page.GetByTestId("telegram-connect").ClickAsync();
        var row = page.GetByTestId("telegram-bots").Locator("tbody tr", new() { HasText = "@shequn_browser_bot" });
        await row.WaitForAsync();
        Assert.Equal("已连接", (await row.GetByTestId("telegram-bot-status").InnerTextAsync()).Trim());
        // Shown masked: the secret part of the token is not on the page.
        Assert.DoesNotContain(bot.Token, await page.ContentAsync(), StringComparison.Ordinal);

        var chat = fake.AddChat(-1009_000_000_000 - Random.Shared.Next(1, 1_000_000), "浏览器测试群 " + Guid.NewGuid().ToString("N")[..6]);
        fake.AddBotToGroup(bot, chat, 9001, "王店长");
        var group = page.GetByTestId("telegram-groups").Locator("tbody tr", new() { HasText = chat.Title });
        await group.WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal("待批准", (await group.GetByTestId("telegram-group-approval").InnerTextAsync()).Trim());
        await page.ScreenshotAsync("telegram-pending.zh-CN");

        await group.GetByTestId("telegram-approve").ClickAsync();
        await group.GetByTestId("telegram-group-community").WaitForAsync();
        Assert.Equal("已批准", (await group.GetByTestId("telegram-group-approval").InnerTextAsync()).Trim());

        await group.GetByTestId("telegram-group-community").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.StartsWith("/communities/", StringComparison.Ordinal));
    }
}
