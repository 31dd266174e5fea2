using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Fakes.Telegram;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>One of two app hosts on one PostgreSQL database, both polling Telegram.</summary>
public sealed class TelegramSharedHost(string database, FakeTelegramServer fake, string keySecret) : ShequnFactory
{
    internal static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public override string? Unavailable => new PostgresFactory().Unavailable;

    protected override string ConnectionString => new NpgsqlConnectionStringBuilder(PgServer ?? "Host=127.0.0.1") { Database = database }.ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        TelegramTestSettings.Apply(builder, fake);
        // Both nodes read the one key ring in the database (ADR-007): they share its key-encryption secret.
        builder.UseSetting("DataProtection:KeyEncryptionSecret", keySecret);
        builder.UseSetting("Telegram:PollTimeoutSeconds", "0");
        builder.UseSetting("Telegram:PollScanInterval", "00:00:00.050");
    }
}

public sealed class TelegramPollingTwoHostsTests
{
    [Fact]
    public async Task Two_hosts_never_poll_one_bot_at_once_and_every_update_is_stored_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeTelegramServer.StartAsync();
        var database = "shequn_tg2_" + Guid.NewGuid().ToString("N")[..12];
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var first = new TelegramSharedHost(database, fake, secret);
        var second = new TelegramSharedHost(database, fake, secret);
        try
        {
            var ws = await first.NewWorkspaceAsync();
            _ = second.Services; // both hosts run their pollers from now on
            var bot = fake.AddBot($"{Random.Shared.Next(100_000, 999_999)}:AAtwohosts", "two_hosts_bot");
            var chat = fake.AddChat(-1002000000000 - Random.Shared.Next(1, 1_000_000), "Two hosts");
            fake.AddBotToGroup(bot, chat, 1, "Owner");
            await (await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = bot.Token, mode = "polling" })).ReadAsync<TelegramBotDto>();
            for (var i = 0; i < 200; i++)
            {
                fake.Post(bot, chat, 10 + (i % 7), "User" + (i % 7), FakeContent.Text($"message {i}"));
                if (i % 20 == 0)
                    await Task.Delay(30, ct); // spread out, so that both hosts' scans come round many times
            }

            while (fake.PendingUpdates(bot) > 0)
                await Task.Delay(50, ct);
            await first.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(ct);

            Assert.Equal(201, fake.TimesPolled.Count);
            Assert.All(fake.TimesPolled, p => Assert.Equal(1, p.Value)); // never handed to two pollers
            await using var scope = first.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            Assert.Equal(200, await db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id, ct));
            var row = await db.Set<TelegramBot>().IgnoreQueryFilters().SingleAsync(b => b.BotUserId == bot.Id, ct);
            Assert.Equal(fake.TimesPolled.Keys.Max() + 1, row.PollOffset);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            if (TelegramSharedHost.PgServer is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var conn = new NpgsqlConnection(TelegramSharedHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    [Fact]
    public async Task Two_hosts_check_a_due_bot_once_per_round()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeTelegramServer.StartAsync();
        var database = "shequn_tg2_" + Guid.NewGuid().ToString("N")[..12];
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var first = new TelegramSharedHost(database, fake, secret);
        var second = new TelegramSharedHost(database, fake, secret);
        try
        {
            var ws = await first.NewWorkspaceAsync();
            _ = second.Services;
            var bot = fake.AddBot($"{Random.Shared.Next(100_000, 999_999)}:AAmonitor", "monitor_bot");
            // Webhook mode: no poller learns of the revocation on its own, so only the monitors' checks move the status.
            await (await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = bot.Token, mode = "webhook" })).ReadAsync<TelegramBotDto>();
            var monitors = new[] { first, second }.Select(h => h.Services.GetServices<IHostedService>().OfType<TelegramStatusMonitor>().Single()).ToArray();

            async Task<int> RoundAsync()
            {
                await using (var scope = first.Services.CreateAsyncScope())
                {
                    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                    var longAgo = DateTime.UtcNow.AddDays(-1);
                    await db.Set<TelegramBot>().IgnoreQueryFilters().Where(b => b.BotUserId == bot.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.StatusAt, longAgo), ct);
                }
                var before = fake.CallsOf("getMe").Count;
                var checkedBots = await Task.WhenAll(monitors.Select(m => m.CheckDueAsync(ct)));
                Assert.Equal(fake.CallsOf("getMe").Count - before, checkedBots.Sum());
                return checkedBots.Sum();
            }

            Assert.Equal(1, await RoundAsync());
            bot.Revoked = true;
            Assert.Equal(1, await RoundAsync());
            await using var check = first.Services.CreateAsyncScope();
            var row = await check.ServiceProvider.GetRequiredService<AppDbContext>().Set<TelegramBot>().IgnoreQueryFilters().SingleAsync(b => b.BotUserId == bot.Id, ct);
            Assert.Equal(TelegramBotStatus.Unauthorized, row.Status);
            Assert.Equal(0, await monitors[0].CheckDueAsync(ct)); // just checked: not due again
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            if (TelegramSharedHost.PgServer is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var conn = new NpgsqlConnection(TelegramSharedHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }
}
