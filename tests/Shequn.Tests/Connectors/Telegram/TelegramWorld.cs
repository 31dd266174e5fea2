using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Fakes.Telegram;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>A workspace with a connected bot and one Telegram group, on the app and on the fake.</summary>
public sealed record TelegramWorld(TestWorkspace Ws, Guid Community, FakeBot Bot, FakeChat Chat)
{
    /// <summary>How long the fake is down in the outage test; the dispatcher's backoff is scaled to it as 2 s is to 30 s.</summary>
    public static readonly double OutageSeconds =
        double.TryParse(Environment.GetEnvironmentVariable("SHEQUN_OUTAGE_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 3;

    private static long _nextBot = Random.Shared.NextInt64(1_000_000, 9_000_000_000);
    private static long _nextChat = Random.Shared.NextInt64(1_000_000, 9_000_000);

    public static async Task<TelegramWorld> CreateAsync(ShequnFactory factory, FakeTelegramServer fake, bool supergroup = true)
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("电报群", "telegram"))).ReadAsync<CommunityDto>()).Id;
        var botId = Interlocked.Increment(ref _nextBot);
        var n = Interlocked.Increment(ref _nextChat);
        var chatId = supergroup ? -1_000_000_000_000 - n : -n;
        var token = $"{botId}:AA{Guid.NewGuid():N}";
        var bot = fake.AddBot(token, $"shequn{botId}_bot");
        var chat = fake.AddChat(chatId, "电报群", supergroup ? "supergroup" : "group");
        FakeTelegramServer.SeatBot(bot, chat);

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        db.Set<TelegramBot>().Add(new TelegramBot
        {
            WorkspaceId = ws.Id,
            BotUserId = botId,
            Username = bot.Username,
            ProtectedToken = scope.ServiceProvider.GetRequiredService<TelegramSecrets>().Protect(token),
            ProtectedWebhookSecret = scope.ServiceProvider.GetRequiredService<TelegramSecrets>().Protect("hook" + botId),
            Mode = TelegramUpdateMode.Polling,
        });
        db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = ws.Id, Platform = ChatPlatform.Telegram, ChatId = chatId.ToString(CultureInfo.InvariantCulture), CommunityId = community });
        await db.SaveChangesWithoutAuditAsync(TestContext.Current.CancellationToken);
        return new TelegramWorld(ws, community, bot, chat);
    }

    public FakeMember Member(long userId, string name, string status = "member")
    {
        var m = Chat.Members.GetOrAdd(userId, id => new FakeMember(id, name));
        m.Status = status;
        return m;
    }

    /// <summary>Someone's message in the group, as if posted <paramref name="ago"/> before now.</summary>
    public FakeMessage Said(long userId, string text, TimeSpan ago = default)
    {
        var m = new FakeMessage(Chat.NextMessageId(), userId, text, DateTimeOffset.UtcNow - ago);
        Chat.Messages[m.Id] = m;
        return m;
    }

    public async Task<ActionDto> EnqueueAsync(object body)
    {
        var response = await Ws.Owner.Api.PostJsonAsync($"/api/communities/{Community}/actions", body);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadAsync<ActionDto>();
    }

    /// <summary>Polls until the dispatcher has settled the action (at most a minute).</summary>
    public async Task<ActionDto> SettledAsync(Guid actionId, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var a = await Ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{actionId}");
            if (a.Status is not (ActionStatus.Queued or ActionStatus.Sending))
                return a;
            Assert.True(DateTime.UtcNow < deadline, $"action {actionId} ({a.Kind}) is still {a.Status} after the wait: {a.ErrorCategory} {a.Error}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async Task<List<CommunityEvent>> EventsAsync(ShequnFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<CommunityEvent>().Where(e => e.WorkspaceId == Ws.Id).OrderBy(e => e.Seq).AsNoTracking().ToListAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Successful calls of a method to this group.</summary>
    public IReadOnlyList<FakeTelegramCall> Calls(FakeTelegramServer fake, string method) =>
        [.. fake.CallsOf(method).Where(c => c.Token == Bot.Token && c.Status == 200)];
}
