using Shequn.Fakes.Telegram;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>The fake answers Telegram.Bot the way Telegram does (platforms.md B1, C2).</summary>
public sealed class FakeTelegramServerTests
{
    [Fact]
    public async Task GetMe_answers_the_bot_and_an_unknown_token_is_an_api_error()
    {
        await using var fake = await FakeTelegramServer.StartAsync();
        fake.AddBot("123456:AAtest", "shequn_test_bot");
        var bot = new TelegramBotClient(new TelegramBotClientOptions("123456:AAtest", fake.BaseUrl));
        var me = await bot.GetMe(TestContext.Current.CancellationToken);
        Assert.Equal(123456, me.Id);
        Assert.Equal("shequn_test_bot", me.Username);
        Assert.True(me.IsBot);

        var stranger = new TelegramBotClient(new TelegramBotClientOptions("999:nope", fake.BaseUrl));
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => stranger.GetMe(TestContext.Current.CancellationToken));
        Assert.Equal(404, error.ErrorCode);
    }

    [Fact]
    public async Task A_revoked_token_is_unauthorized_and_a_down_server_is_not_an_api_answer()
    {
        await using var fake = await FakeTelegramServer.StartAsync();
        var known = fake.AddBot("42:secret", "b");
        var bot = new TelegramBotClient(new TelegramBotClientOptions("42:secret", fake.BaseUrl));
        known.Revoked = true;
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => bot.GetMe(TestContext.Current.CancellationToken));
        Assert.Equal(401, error.ErrorCode);

        known.Revoked = false;
        fake.Down = true;
        await Assert.ThrowsAnyAsync<RequestException>(() => bot.GetMe(TestContext.Current.CancellationToken));
        Assert.Single(fake.CallsOf("getMe"), c => c.Status == 401);
    }
}
