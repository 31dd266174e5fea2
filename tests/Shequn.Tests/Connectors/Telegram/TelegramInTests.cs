using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Fakes.Telegram;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>The app with Telegram pointed at a fake Bot API server (one per test class), polling quickly.</summary>
public interface ITelegramFactory
{
    FakeTelegramServer Fake { get; }
}

internal static class TelegramTestSettings
{
    public static void Apply(IWebHostBuilder builder, FakeTelegramServer fake)
    {
        builder.UseSetting("Telegram:ApiBaseUrl", fake.BaseUrl);
        builder.UseSetting("Telegram:PublicBaseUrl", "http://localhost");
        builder.UseSetting("Telegram:PollTimeoutSeconds", "1");
        builder.UseSetting("Telegram:PollScanInterval", "00:00:00.200");
        // The dispatcher's backoff scaled to the outage test's length as 2 s is to 30 s.
        builder.UseSetting("Outbox:BackoffBase", TimeSpan.FromSeconds(TelegramWorld.OutageSeconds / 15).ToString("c", System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class TelegramSqliteFactory : SqliteFactory, ITelegramFactory
{
    public FakeTelegramServer Fake { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        TelegramTestSettings.Apply(builder, Fake);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

public sealed class TelegramPostgresFactory : PostgresFactory, ITelegramFactory
{
    public FakeTelegramServer Fake { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        TelegramTestSettings.Apply(builder, Fake);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

/// <summary>
/// Whole flows: a bot connected through the API, the fake pushing (or serving) updates, Shequn's state read back
/// through the API. Every test makes its own workspace and its own bot.
/// </summary>
public abstract class TelegramInTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ITelegramFactory
{
    private static long _nextBot = Random.Shared.NextInt64(1_000_000, 9_000_000) * 100;
    private static long _nextChat = Random.Shared.NextInt64(1_000_000, 9_000_000) * 100;
    private FakeTelegramServer Fake => factory.Fake;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long NewChatId() => -1_000_000_000_000 - Interlocked.Increment(ref _nextChat);

    private FakeBot NewFakeBot() =>
        Fake.AddBot($"{Interlocked.Increment(ref _nextBot)}:AA{Guid.NewGuid():N}", "shequn_" + Guid.NewGuid().ToString("N")[..8] + "_bot");

    private async Task<(TestWorkspace Ws, FakeBot Bot, TelegramBotDto Dto)> ConnectedAsync(string mode = "webhook")
    {
        var ws = await factory.NewWorkspaceAsync();
        var bot = NewFakeBot();
        if (mode == "webhook")
            Fake.WebhookClient = factory.CreateClient();
        var dto = await (await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = bot.Token, mode })).ReadAsync<TelegramBotDto>();
        return (ws, bot, dto);
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting: " + what);
            await Task.Delay(50, Ct);
        }
    }

    private async Task DeliveredAsync(FakeBot bot)
    {
        await Eventually(() => Task.FromResult(Fake.PendingUpdates(bot) == 0), "the fake delivered every update");
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    private async Task<T> QueryAsync<T>(Guid ws, Func<AppDbContext, Task<T>> query)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await query(db);
    }

    private Task<int> StoredEventsAsync(Guid ws) => QueryAsync(ws, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws, Ct));

    private static async Task<TelegramChatDto> PendingGroupAsync(TestWorkspace ws, long chatId)
    {
        TelegramChatDto? chat = null;
        await Eventually(async () =>
        {
            var list = await ws.Owner.Api.GetJsonAsync<TelegramConnectionDto>("/api/telegram/bots");
            chat = list.Chats.SingleOrDefault(c => c.ChatId == chatId);
            return chat is not null;
        }, "the group appears on the connection");
        return chat!;
    }

    private static async Task<MemberDto> MemberAsync(TestWorkspace ws, string name)
    {
        var list = await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?q={Uri.EscapeDataString(name)}");
        var item = Assert.Single(list.Items);
        return await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{item.Id}");
    }

    private static HttpRequestMessage WebhookPost(long botUserId, string? secret, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/telegram/webhook/{botUserId}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (secret is not null)
            request.Headers.Add(TelegramWebhook.SecretHeader, secret);
        return request;
    }

    private static string TextUpdate(long updateId, long chatId, long messageId, string text) => $$"""
        { "update_id": {{updateId}}, "message": { "message_id": {{messageId}}, "from": { "id": 4242, "is_bot": false, "first_name": "Dora" },
          "chat": { "id": {{chatId}}, "title": "Replay group", "type": "supergroup" }, "date": {{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}, "text": "{{text}}" } }
        """;

    [Fact]
    public async Task Connecting_checks_the_token_sets_the_webhook_with_a_secret_and_shows_the_token_masked()
    {
        var (ws, bot, dto) = await ConnectedAsync();

        var (url, secret, allowed) = Fake.Webhook(bot);
        Assert.Equal($"http://localhost/telegram/webhook/{bot.Id}", url);
        Assert.Matches("^[A-Za-z0-9_-]{32}$", secret!);
        Assert.Equal(["message", "edited_message", "my_chat_member", "chat_member", "chat_join_request"], allowed!);
        Assert.Equal(TelegramBot.Mask(bot.Token), dto.Token);
        Assert.Equal((bot.Username, TelegramBotStatus.Connected), (dto.Username, dto.Status));

        var raw = await ws.Owner.Api.GetStringAsync("/api/telegram/bots", Ct);
        Assert.DoesNotContain(bot.Token, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(secret!, raw, StringComparison.Ordinal);
        var stored = await QueryAsync(ws.Id, db => db.Set<TelegramBot>().SingleAsync(b => b.BotUserId == bot.Id, Ct));
        Assert.DoesNotContain(bot.Token, stored.ProtectedToken, StringComparison.Ordinal);
        var audit = await QueryAsync(ws.Id, db => db.AuditEntries.Select(a => a.Before + a.After).ToListAsync(Ct));
        Assert.DoesNotContain(audit, a => a != null && a.Contains(bot.Token[(bot.Token.IndexOf(':', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connecting_refuses_a_malformed_token_a_token_telegram_refuses_a_bot_of_another_workspace_and_an_operator()
    {
        var ws = await factory.NewWorkspaceAsync();
        var malformed = await (await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = "not a token" })).ReadValidationErrorsAsync();
        Assert.Contains("token", malformed.Keys);

        var refused = await (await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = "987654321:AAunknown" })).ReadValidationErrorsAsync();
        Assert.Contains("refused", Assert.Single(refused["token"]), StringComparison.OrdinalIgnoreCase);

        var (_, bot, _) = await ConnectedAsync();
        var elsewhere = await (await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = bot.Token })).ReadValidationErrorsAsync();
        Assert.Contains("another workspace", Assert.Single(elsewhere["token"]), StringComparison.Ordinal);

        var operatorStaff = await ws.AddStaffAsync(StaffRole.Operator);
        var response = await operatorStaff.Api.PostJsonAsync("/api/telegram/bots", new { token = NewFakeBot().Token });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<TelegramConnectionDto>("/api/telegram/bots")).Bots);
    }

    [Fact]
    public async Task A_group_the_bot_is_added_to_waits_for_approval_then_joins_posts_and_leaves_show_through_the_api()
    {
        var (ws, bot, _) = await ConnectedAsync();
        var chat = Fake.AddChat(NewChatId(), "鱼油交流群");
        Fake.AddBotToGroup(bot, chat, 777, "Owner Wang");
        var pending = await PendingGroupAsync(ws, chat.Id);
        Assert.Equal((TelegramChatApproval.Pending, "administrator", "Owner Wang"), (pending.Approval, pending.BotStatus, pending.AddedByName));

        // Before approval: logged, not applied.
        Fake.Post(bot, chat, 501, "Early", FakeContent.Text("before approval"));
        await DeliveredAsync(bot);
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities")).Items);

        var approved = await (await ws.Owner.Api.PostAsync($"/api/telegram/chats/{pending.Id}/approve", null, Ct)).ReadAsync<TelegramChatDto>();
        Assert.Equal(TelegramChatApproval.Approved, approved.Approval);

        Fake.JoinViaLink(bot, chat, 601, "Alice", "https://t.me/+AbCdEf", "campaign-42");
        Fake.Post(bot, chat, 601, "Alice", FakeContent.Text("hello"));
        Fake.Post(bot, chat, 601, "Alice", FakeContent.Photo("our shop"));
        Fake.Leave(bot, chat, 601, "Alice");
        await DeliveredAsync(bot);

        var community = Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities")).Items);
        Assert.Equal(("鱼油交流群", ChatPlatform.Telegram, approved.CommunityId), (community.Name, community.Platform, (Guid?)community.Id));
        var alice = await MemberAsync(ws, "Alice");
        var stint = Assert.Single(alice.Memberships);
        Assert.Equal(("campaign-42", community.Id), (stint.Channel, stint.CommunityId));
        Assert.NotNull(stint.LeftAt);
        Assert.Equal(2, alice.Messages);
        var join = await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws.Id && e.Kind == EventKind.MemberJoined).ToListAsync(Ct));
        Assert.Equal("https://t.me/+AbCdEf", Assert.Single(join).InviteLink); // service message and chat_member: one join
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>("/api/members?q=Early")).Items);
    }

    [Fact]
    public async Task Ignoring_a_group_keeps_its_events_out()
    {
        var (ws, bot, _) = await ConnectedAsync();
        var chat = Fake.AddChat(NewChatId(), "Spam group");
        Fake.AddBotToGroup(bot, chat, 778, "Stranger");
        var pending = await PendingGroupAsync(ws, chat.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.PostAsync($"/api/telegram/chats/{pending.Id}/ignore", null, Ct)).StatusCode);
        Fake.Post(bot, chat, 502, "Spammer", FakeContent.Text("buy now"));
        await DeliveredAsync(bot);

        Assert.Empty((await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities")).Items);
        var list = await ws.Owner.Api.GetJsonAsync<TelegramConnectionDto>("/api/telegram/bots");
        Assert.Equal(TelegramChatApproval.Ignored, Assert.Single(list.Chats).Approval);
        Assert.Equal(1, await StoredEventsAsync(ws.Id)); // kept in the log, not applied
    }

    [Fact]
    public async Task A_group_that_becomes_a_supergroup_keeps_its_community()
    {
        var (ws, bot, _) = await ConnectedAsync();
        var chat = Fake.AddChat(NewChatId() / 1000, "Small group", "group");
        var oldId = chat.Id;
        Fake.AddBotToGroup(bot, chat, 779, "Owner");
        var pending = await PendingGroupAsync(ws, oldId);
        await ws.Owner.Api.PostAsync($"/api/telegram/chats/{pending.Id}/approve", null, Ct);
        Fake.Post(bot, chat, 603, "Bea", FakeContent.Text("before"));
        Fake.MigrateToSupergroup(bot, chat, NewChatId(), 779, "Owner");
        Fake.Post(bot, chat, 603, "Bea", FakeContent.Text("after"));
        await DeliveredAsync(bot);

        var community = Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities")).Items);
        var group = Assert.Single((await ws.Owner.Api.GetJsonAsync<TelegramConnectionDto>("/api/telegram/bots")).Chats);
        Assert.Equal((chat.Id, (long?)oldId, "supergroup", (Guid?)community.Id), (group.ChatId, group.MigratedFromChatId, group.Type, group.CommunityId));
        var bea = await MemberAsync(ws, "Bea");
        Assert.Equal(2, bea.Messages);
        Assert.Equal(community.Id, Assert.Single(bea.Memberships).CommunityId);
    }

    [Fact]
    public async Task A_forged_or_missing_secret_is_refused_and_stores_nothing()
    {
        var (ws, bot, _) = await ConnectedAsync("polling"); // polling: nobody pushes meanwhile
        await QueryAsync(ws.Id, async db =>
        {
            var row = await db.Set<TelegramBot>().SingleAsync(b => b.BotUserId == bot.Id, Ct);
            row.Mode = TelegramUpdateMode.Webhook;
            row.ProtectedWebhookSecret = factory.Services.GetRequiredService<TelegramSecrets>().Protect("right-secret");
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });
        factory.Services.GetRequiredService<TelegramBotDirectory>().Forget(bot.Id);
        var client = factory.CreateClient();
        var body = TextUpdate(1, NewChatId(), 1, "forged");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(WebhookPost(bot.Id, null, body), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(WebhookPost(bot.Id, "wrong-secret", body), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(WebhookPost(bot.Id, "right-secreT", body), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(WebhookPost(123, "right-secret", body), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(WebhookPost(bot.Id, "right-secret", "{\"update_id\": 5, \"message\": "), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(WebhookPost(bot.Id, "right-secret", "[1,2]"), Ct)).StatusCode);

        Assert.Equal(0, await StoredEventsAsync(ws.Id));
        Assert.Equal(0, await QueryAsync(ws.Id, db => db.Set<TelegramChat>().CountAsync(Ct)));
        Assert.Equal(0, await QueryAsync(ws.Id, db => db.Set<TelegramRawUpdate>().CountAsync(Ct)));

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WebhookPost(bot.Id, "right-secret", body), Ct)).StatusCode);
        Assert.Equal(1, await StoredEventsAsync(ws.Id));
    }

    [Fact]
    public async Task A_replayed_update_is_stored_once_and_an_unknown_one_is_kept_raw_without_stopping()
    {
        var (ws, bot, _) = await ConnectedAsync();
        var secret = Fake.Webhook(bot).Secret;
        var client = factory.CreateClient();
        var chatId = NewChatId();

        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WebhookPost(bot.Id, secret, TextUpdate(10, chatId, 77, "once")), Ct)).StatusCode);
        Assert.Equal(1, await StoredEventsAsync(ws.Id));

        var unknown = """{ "update_id": 11, "message_reaction": { "chat": { "id": CHAT, "type": "supergroup" }, "message_id": 77, "date": 1760000000, "old_reaction": [], "new_reaction": [{ "type": "emoji", "emoji": "👍" }] } }"""
            .Replace("CHAT", chatId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WebhookPost(bot.Id, secret, unknown), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WebhookPost(bot.Id, secret, TextUpdate(12, chatId, 78, "after")), Ct)).StatusCode);

        var raw = await QueryAsync(ws.Id, db => db.Set<TelegramRawUpdate>().SingleAsync(Ct));
        Assert.Equal(11, raw.UpdateId);
        Assert.Contains("message_reaction", raw.Json, StringComparison.Ordinal);
        Assert.Equal(2, await StoredEventsAsync(ws.Id));
    }

    [Fact]
    public async Task A_revoked_token_shows_as_unauthorized_on_the_connection_and_in_health()
    {
        var (ws, bot, dto) = await ConnectedAsync();
        bot.Revoked = true;
        var checkedBot = await (await ws.Owner.Api.PostAsync($"/api/telegram/bots/{dto.Id}/check", null, Ct)).ReadAsync<TelegramBotDto>();
        Assert.Equal(TelegramBotStatus.Unauthorized, checkedBot.Status);
        Assert.Contains("Unauthorized", checkedBot.StatusDetail, StringComparison.Ordinal);
        Assert.Equal(TelegramBotStatus.Unauthorized, Assert.Single((await ws.Owner.Api.GetJsonAsync<TelegramConnectionDto>("/api/telegram/bots")).Bots).Status);

        var details = await ws.Owner.Api.GetJsonAsync<System.Text.Json.JsonElement>("/health/details");
        var telegram = details.GetProperty("connectors").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "telegram");
        var connection = Assert.Single(telegram.GetProperty("connections").EnumerateArray());
        Assert.Equal(("@" + bot.Username, "down"), (connection.GetProperty("name").GetString(), connection.GetProperty("state").GetString()));
        Assert.Contains("Unauthorized", connection.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using (var anonymous = factory.CreateClient())
            Assert.Equal("Degraded", await anonymous.GetStringAsync("/health", Ct));
        var stranger = await factory.NewWorkspaceAsync();
        Assert.DoesNotContain(bot.Username, await stranger.Owner.Api.GetStringAsync("/health/details", Ct), StringComparison.Ordinal);

        // A new token for the same bot (after /revoke in @BotFather) connects it again.
        bot.Revoked = false;
        var again = await (await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = bot.Token })).ReadAsync<TelegramBotDto>();
        Assert.Equal((dto.Id, TelegramBotStatus.Connected), (again.Id, again.Status));
    }

    [Fact]
    public async Task Polling_brings_updates_in_and_confirms_them_with_the_offset()
    {
        var (ws, bot, _) = await ConnectedAsync("polling");
        Assert.Null(Fake.Webhook(bot).Url);
        var chat = Fake.AddChat(NewChatId(), "Polled group");
        Fake.AddBotToGroup(bot, chat, 780, "Owner");
        var pending = await PendingGroupAsync(ws, chat.Id);
        await ws.Owner.Api.PostAsync($"/api/telegram/chats/{pending.Id}/approve", null, Ct);
        Fake.JoinViaLink(bot, chat, 604, "Cai", "https://t.me/+Poll", "poll-link");
        Fake.Post(bot, chat, 604, "Cai", FakeContent.Sticker());
        await DeliveredAsync(bot);
        await Eventually(async () => (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>("/api/members?q=Cai")).Items.Count == 1, "Cai arrives");
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var cai = await MemberAsync(ws, "Cai");
        Assert.Equal("poll-link", Assert.Single(cai.Memberships).Channel);
        var polls = Fake.CallsOf("getUpdates").Where(c => c.Token == bot.Token).ToList();
        Assert.All(polls, c => Assert.Contains("chat_member", c.Parameters["allowed_updates"]!.ToJsonString(), StringComparison.Ordinal));
        Assert.Equal(0, Fake.PendingUpdates(bot)); // confirmed by the offset of a later call
    }
}

public sealed class TelegramInTests_Sqlite(TelegramSqliteFactory factory) : TelegramInTests<TelegramSqliteFactory>(factory), IClassFixture<TelegramSqliteFactory>;

public sealed class TelegramInTests_Postgres(TelegramPostgresFactory factory) : TelegramInTests<TelegramPostgresFactory>(factory), IClassFixture<TelegramPostgresFactory>;
