using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shequn.Connectors.Telegram;
using Shequn.Fakes.Telegram;
using Telegram.Bot;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>The token is in every Bot API URL; nothing Shequn's Telegram client does may write it to a log.</summary>
public sealed class TelegramTokenLoggingTests
{
    private sealed class Capture : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception) + " " + exception);
        public void Dispose() { }
    }

    [Fact]
    public async Task Calls_through_the_telegram_client_log_no_token_even_at_trace_level()
    {
        await using var fake = await FakeTelegramServer.StartAsync();
        var bot = fake.AddBot("5550001:AAlogging-secret-part", "log_bot");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Telegram:ApiBaseUrl"] = fake.BaseUrl;
        var capture = new Capture();
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(capture);
        builder.AddShequnTelegram();
        using var host = builder.Build();

        var client = host.Services.GetRequiredService<TelegramClients>().For(bot.Token);
        await client.GetMe(TestContext.Current.CancellationToken);
        bot.Revoked = true;
        await Assert.ThrowsAnyAsync<Exception>(() => client.GetMe(TestContext.Current.CancellationToken));

        Assert.DoesNotContain(capture.Lines, l => l.Contains("AAlogging-secret-part", StringComparison.Ordinal));
    }
}
