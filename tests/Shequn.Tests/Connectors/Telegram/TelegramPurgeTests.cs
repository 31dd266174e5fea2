using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Fakes.Telegram;
using Shequn.Features.Workspaces;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>Offboarding a workspace with a bot in webhook mode: Telegram is told to stop pushing before the bot is deleted.</summary>
public abstract class TelegramPurgeTests<TFactory>(TFactory factory) where TFactory : Infrastructure.ShequnFactory, ITelegramFactory
{
    private static long _nextBot = Random.Shared.NextInt64(1_000_000, 9_000_000) * 100 + 77;
    private FakeTelegramServer Fake => factory.Fake;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Purge_WorkspaceWithAWebhookBot_DeletesTheWebhookAtTelegram_AnotherWorkspacesBotKeepsItsOwn()
    {
        var (leaving, leavingName, leavingBot) = await ConnectedAsync();
        var (_, _, stayingBot) = await ConnectedAsync();
        Assert.NotNull(Fake.Webhook(leavingBot).Url);
        Assert.NotNull(Fake.Webhook(stayingBot).Url);

        Assert.Equal(HttpStatusCode.OK, (await leaving.Owner.Api.PostJsonAsync("/api/workspace/purge", new { confirmName = leavingName })).StatusCode);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.Workspaces.Where(w => w.Id == leaving.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.PurgeDueAt, DateTime.UtcNow.AddMinutes(-1)), Ct);
        }
        await factory.Services.GetRequiredService<WorkspacePurgeJob>().RunOnceAsync(Ct);

        Assert.Equal([leavingBot.Token], Fake.CallsOf("deleteWebhook").Select(c => c.Token).ToList());
        Assert.Null(Fake.Webhook(leavingBot).Url);
        Assert.NotNull(Fake.Webhook(stayingBot).Url);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            Assert.Equal([stayingBot.Id], await db.Set<TelegramBot>().IgnoreQueryFilters().Select(b => b.BotUserId).ToListAsync(Ct));
        }
    }

    private async Task<(Infrastructure.TestWorkspace Ws, string Name, FakeBot Bot)> ConnectedAsync()
    {
        var name = "电报退租" + Guid.NewGuid().ToString("N")[..6];
        var ws = await factory.NewWorkspaceAsync(name);
        var bot = Fake.AddBot($"{Interlocked.Increment(ref _nextBot)}:AA{Guid.NewGuid():N}", "shequn_" + Guid.NewGuid().ToString("N")[..8] + "_bot");
        Fake.WebhookClient = factory.CreateClient();
        var connected = await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = bot.Token, mode = "webhook" });
        Assert.True(connected.IsSuccessStatusCode, await connected.Content.ReadAsStringAsync(Ct));
        return (ws, name, bot);
    }
}

public sealed class TelegramPurgeTests_Sqlite(TelegramSqliteFactory factory) : TelegramPurgeTests<TelegramSqliteFactory>(factory), IClassFixture<TelegramSqliteFactory>;

public sealed class TelegramPurgeTests_Postgres(TelegramPostgresFactory factory) : TelegramPurgeTests<TelegramPostgresFactory>(factory), IClassFixture<TelegramPostgresFactory>;
