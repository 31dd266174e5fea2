using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shequn.Connectors.Telegram;
using Shequn.Connectors.WeCom;
using Shequn.Fakes.Telegram;
using Shequn.Fakes.WeCom;
using Shequn.Features.ApiTokens;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Tests.Connectors.Telegram;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// Every line the app logs, at every level and in every category, with its exception, its structured values and the
/// values of the scopes around it: what a log shipper would store.
/// </summary>
public sealed class RecordedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    /// <summary>Trace and up for every category, whatever the host's own filters say for the other providers.</summary>
    public static void AddTo(IWebHostBuilder builder, RecordedLogs logs) =>
        builder.ConfigureLogging(l => l.AddProvider(logs).AddFilter<RecordedLogs>(null, LogLevel.Trace));

    public string[] Snapshot() => [.. Lines];

    private static string Values(object? state) =>
        state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(" | ", pairs.Select(p => $"{p.Key}={p.Value}"))
            : state?.ToString() ?? "";

    private sealed class Logger(RecordedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Lines.Enqueue($"{category} [scope] {state} {{ {Values(state)} }}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{category} [{logLevel}] {formatter(state, exception)} {{ {Values(state)} }} {exception}");
    }
}

/// <summary>The app with both fake platforms and every log line recorded.</summary>
public interface ISecretsFactory
{
    FakeTelegramServer Telegram { get; }

    FakeWeComServer WeCom { get; }

    RecordedLogs Logs { get; }
}

internal static class SecretsSettings
{
    public static void Apply(IWebHostBuilder builder, ISecretsFactory factory)
    {
        RecordedLogs.AddTo(builder, factory.Logs);
        builder.UseSetting("Telegram:ApiBaseUrl", factory.Telegram.BaseUrl);
        builder.UseSetting("Telegram:PublicBaseUrl", "http://localhost");
        builder.UseSetting("Telegram:PollTimeoutSeconds", "1");
        builder.UseSetting("Telegram:PollScanInterval", "00:00:00.200");
        builder.UseSetting("WeCom:ApiBaseUrl", factory.WeCom.BaseUrl);
        builder.UseSetting("WeCom:SyncEnabled", "false");
        // The security log's lockout test locks an account after two wrong passwords.
        builder.UseSetting("Security:Lockout:MaxFailedAccessAttempts", "2");
    }
}

public sealed class SecretsSqliteFactory : SqliteFactory, ISecretsFactory
{
    public FakeTelegramServer Telegram { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    public FakeWeComServer WeCom { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();

    public RecordedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        SecretsSettings.Apply(builder, this);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Telegram.DisposeAsync();
        await WeCom.DisposeAsync();
    }
}

public sealed class SecretsPostgresFactory : PostgresFactory, ISecretsFactory
{
    public FakeTelegramServer Telegram { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    public FakeWeComServer WeCom { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();

    public RecordedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        SecretsSettings.Apply(builder, this);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Telegram.DisposeAsync();
        await WeCom.DisposeAsync();
    }
}

/// <summary>
/// No bot token, corp secret, callback token or key, API token, password or decrypted callback body in any log line:
/// real flows through both connectors, the API and the sign-in form, then every recorded line scanned for them and for
/// their shapes.
/// </summary>
public abstract partial class SecretsInLogsTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ISecretsFactory
{
    // A valid 43-character EncodingAESKey (WeCom's test vector W1, as the WeCom flow tests use).
    private const string AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";

    private static long _nextBot = Random.Shared.NextInt64(1_000_000, 9_000_000) * 100;
    private static long _nextChat = Random.Shared.NextInt64(1_000_000, 9_000_000) * 100;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting: " + what);
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>Connects a bot by webhook, approves a group, receives a message through the webhook and sends one out.</summary>
    private async Task<string> TelegramFlowAsync(TestWorkspace ws)
    {
        var fake = factory.Telegram;
        var bot = fake.AddBot($"{Interlocked.Increment(ref _nextBot)}:AA{Guid.NewGuid():N}", "shequn_" + Guid.NewGuid().ToString("N")[..8] + "_bot");
        fake.WebhookClient = factory.CreateClient();
        var connected = await ws.Owner.Api.PostJsonAsync("/api/telegram/bots", new { token = bot.Token, mode = "webhook" });
        Assert.Equal(HttpStatusCode.Created, connected.StatusCode);

        var chat = fake.AddChat(-1_000_000_000_000 - Interlocked.Increment(ref _nextChat), "日志电报群");
        fake.AddBotToGroup(bot, chat, 901, "Owner Li");
        TelegramChatDto? pending = null;
        await Eventually(async () =>
        {
            pending = (await ws.Owner.Api.GetJsonAsync<TelegramConnectionDto>("/api/telegram/bots")).Chats.SingleOrDefault(c => c.ChatId == chat.Id);
            return pending is not null;
        }, "the group reaches the app through the webhook");
        var approved = await (await ws.Owner.Api.PostAsync($"/api/telegram/chats/{pending!.Id}/approve", null, Ct)).ReadAsync<TelegramChatDto>();
        fake.Post(bot, chat, 902, "Mei", FakeContent.Text("早上好"));
        await Eventually(() => Task.FromResult(fake.PendingUpdates(bot) == 0), "the fake delivered every update");
        Assert.Contains(fake.WebhookDeliveries, d => d.BotId == bot.Id && d.Status == 200);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var action = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{approved.CommunityId}/actions", new { kind = "send", text = "欢迎" })).ReadAsync<ActionDto>();
        await Eventually(async () =>
            (await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{action.Id}")).Status is not (ActionStatus.Queued or ActionStatus.Sending),
            "the message is sent");
        Assert.Equal(ActionStatus.Done, (await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{action.Id}")).Status);
        Assert.Contains(fake.CallsOf("sendMessage"), c => c.Token == bot.Token);
        return bot.Token;
    }

    /// <summary>Connects WeCom with a corp secret and receives an encrypted callback that carries <paramref name="marker"/>.</summary>
    private async Task<FakeWeComCorp> WeComFlowAsync(TestWorkspace ws, string marker)
    {
        var fake = factory.WeCom;
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        var corp = fake.AddCorp(corpId, "secret" + Guid.NewGuid().ToString("N"), "tok" + Guid.NewGuid().ToString("N")[..12], AesKey);
        var response = await ws.Owner.Api.PostJsonAsync("/api/wecom/connections",
            new { corpId, secret = corp.Secret, token = corp.Token, encodingAesKey = AesKey });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var connection = await response.ReadAsync<WeComConnectionDto>();
        var client = factory.CreateClient();
        fake.CallbackClient = client;
        corp.CallbackUrl = new Uri(client.BaseAddress!, connection.CallbackPath);

        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
        await fake.CreateChatAsync(corp, chatId, "日志客服群", "zhaoliu");
        Assert.True(await factory.Services.GetRequiredService<WeComSync>().SyncConnectionAsync(connection.Id, force: true, Ct));
        // A callback of a kind the app does not know: kept and skipped, its body (with the marker) must not be logged.
        var unknown = await fake.PushAsync(corp, $"""
            <xml><ToUserName><![CDATA[{corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[no_such_event]]></Event><ChatId><![CDATA[{chatId}]]></ChatId><Note><![CDATA[{marker}]]></Note></xml>
            """);
        Assert.True(unknown.Delivered, $"callback answered {unknown.Status}");
        var known = await fake.PushAsync(corp, $"""
            <xml><ToUserName><![CDATA[{corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[{chatId}]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[change_name]]></UpdateDetail><Note><![CDATA[{marker}]]></Note></xml>
            """);
        Assert.True(known.Delivered, $"callback answered {known.Status}");
        return corp;
    }

    [Fact]
    public async Task FullFlows_NoSecretOrDecryptedBodyInAnyLogLine()
    {
        var ws = await factory.NewWorkspaceAsync();
        var marker = "callback-body-marker-" + Guid.NewGuid().ToString("N");
        var password = "Pw-" + Guid.NewGuid().ToString("N");

        var botToken = await TelegramFlowAsync(ws);
        var corp = await WeComFlowAsync(ws, marker);

        // An API token made through the API and used.
        var created = await (await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = "logging" })).ReadAsync<ApiTokenDto>();
        var apiToken = Assert.IsType<string>(created.Secret);
        using var withToken = factory.ClientWithToken(apiToken);
        Assert.Equal(HttpStatusCode.OK, (await withToken.GetAsync("/api/communities", Ct)).StatusCode);
        using var revokedClient = factory.ClientWithToken(ApiToken.NewSecret());
        Assert.Equal(HttpStatusCode.Unauthorized, (await revokedClient.GetAsync("/api/communities", Ct)).StatusCode);

        // A staff member with a chosen password signs in, then fails once.
        var staff = await ws.Owner.Api.PostJsonAsync("/api/staff", new { email = $"log-{Guid.NewGuid():N}@test.local", displayName = "Log", role = "admin", password });
        Assert.Equal(HttpStatusCode.Created, staff.StatusCode);
        var email = (await staff.ReadAsync<System.Text.Json.Nodes.JsonObject>())["email"]!.GetValue<string>();
        Assert.Equal("/", (await ConsoleBrowser.SignInAsync(factory.Browser(), email, password)).Headers.Location?.ToString());
        Assert.Contains("error=1", (await ConsoleBrowser.SignInAsync(factory.Browser(), email, password + "x")).Headers.Location?.ToString(), StringComparison.Ordinal);

        var lines = factory.Logs.Snapshot();
        // The capture was wired: it holds the WeCom client's request lines, the request pipeline's, the callback
        // receiver's, the security log's lines of this test, and Debug lines. (EF Core logs to its own factory, not here.)
        Assert.Contains(lines, l => l.StartsWith("System.Net.Http.HttpClient.wecom", StringComparison.Ordinal) && l.Contains("gettoken", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Microsoft.AspNetCore.Hosting.Diagnostics", StringComparison.Ordinal) && l.Contains("/telegram/webhook/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("no_such_event", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Shequn.Security", StringComparison.Ordinal) && l.Contains("signed-in", StringComparison.Ordinal)
            && l.Contains(ws.Id.ToString(), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" [Debug] ", StringComparison.Ordinal));

        var secrets = new (string What, string Value)[]
        {
            ("bot token", botToken), ("bot token's secret part", botToken[(botToken.IndexOf(':', StringComparison.Ordinal) + 1)..]),
            ("corp secret", corp.Secret), ("callback token", corp.Token), ("EncodingAESKey", AesKey),
            ("API token", apiToken), ("API token's secret part", apiToken[ApiToken.Scheme.Length..]),
            ("password", password), ("test password", TestStaff.Password), ("decrypted callback body", marker),
        };
        var leaks = new List<string>();
        foreach (var line in lines)
        {
            foreach (var (what, value) in secrets)
            {
                if (line.Contains(value, StringComparison.Ordinal))
                    leaks.Add($"{what}: {Masked(line, value)}");
            }
            foreach (var shape in new[] { BotTokenShape(), ApiTokenShape() })
            {
                if (shape.Match(line) is { Success: true } m)
                    leaks.Add($"shape {shape}: {Masked(line, m.Value)}");
            }
        }
        Assert.True(leaks.Count == 0, $"{leaks.Count} leaks in {lines.Length} log lines:\n" + string.Join("\n", leaks.Take(20)));
    }

    /// <summary>The line with the secret replaced, so that the failure message does not leak it in turn.</summary>
    private static string Masked(string line, string secret)
    {
        var shown = line.Replace(secret, $"«{secret[..Math.Min(4, secret.Length)]}…({secret.Length})»", StringComparison.Ordinal);
        return shown.Length <= 600 ? shown : shown[..600] + "…";
    }

    [GeneratedRegex(@"\d{6,}:[A-Za-z0-9_-]{30,}")]
    private static partial Regex BotTokenShape();

    [GeneratedRegex(@"shq_[A-Za-z0-9_-]{20,}")]
    private static partial Regex ApiTokenShape();
}

public sealed class SecretsInLogsTests_Sqlite(SecretsSqliteFactory factory)
    : SecretsInLogsTests<SecretsSqliteFactory>(factory), IClassFixture<SecretsSqliteFactory>;

public sealed class SecretsInLogsTests_Postgres(SecretsPostgresFactory factory)
    : SecretsInLogsTests<SecretsPostgresFactory>(factory), IClassFixture<SecretsPostgresFactory>;
