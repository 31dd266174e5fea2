using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Platform.Outbound;
using Telegram.Bot;

namespace Shequn.Connectors.Telegram;

public sealed class TelegramOptions
{
    /// <summary>Where the Bot API is: Telegram's own server, or a local fake in tests (only scheme and authority count).</summary>
    public string ApiBaseUrl { get; set; } = "https://api.telegram.org";

    /// <summary>This app's public address as Telegram should call it (webhook mode), e.g. <c>https://ops.example.com</c>.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Long polling: seconds Telegram may hold a <c>getUpdates</c> open (0 in tests against the fake).</summary>
    public int PollTimeoutSeconds { get; set; } = 25;

    /// <summary>Long polling: how long a process's claim on a bot lasts without renewal (renewed before every call).</summary>
    public TimeSpan PollLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Long polling: how often each process looks for bots nobody polls.</summary>
    public TimeSpan PollScanInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every bot's token is checked with getMe.</summary>
    public TimeSpan StatusCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Calls a second over all chats that the dispatcher allows itself (Telegram: about 30). Raise it only against the
    /// fake server (the dispatch benchmark) or for a bot with paid broadcasts.
    /// </summary>
    public double GlobalPerSecond { get; set; } = 30;
}

/// <summary>
/// Telegram.Bot clients, one per token, against <see cref="TelegramOptions.ApiBaseUrl"/>. Automatic 429 retries are
/// off: the outbox dispatcher obeys <c>retry_after</c> itself without holding a call open.
/// </summary>
public sealed class TelegramClients(IOptions<TelegramOptions> options, IHttpClientFactory http)
{
    private readonly ConcurrentDictionary<string, TelegramBotClient> _clients = new(StringComparer.Ordinal);

    public TelegramBotClient For(string token) => _clients.GetOrAdd(token, t =>
    {
        var o = new TelegramBotClientOptions(t, options.Value.ApiBaseUrl) { RetryThreshold = 0 };
        return new TelegramBotClient(o, http.CreateClient("telegram"));
    });
}

/// <summary>Which connected bot acts in a community's chat, as a ready client.</summary>
public interface ITelegramBots
{
    /// <summary>The client of the bot that serves <paramref name="communityId"/>, or null when no connected bot does.</summary>
    Task<TelegramBotClient?> ForCommunityAsync(Guid workspaceId, Guid communityId, CancellationToken ct);

    /// <summary>Telegram's words for the workspace's bot whose token it refused, or null when no bot was refused.</summary>
    Task<string?> RefusedAsync(Guid workspaceId, CancellationToken ct);
}

/// <summary>The workspace's connected bot (the oldest, if several) serves all its Telegram communities.</summary>
public sealed class WorkspaceTelegramBots(IServiceScopeFactory scopes, TelegramSecrets secrets, TelegramClients clients) : ITelegramBots
{
    public async Task<TelegramBotClient?> ForCommunityAsync(Guid workspaceId, Guid communityId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var token = await db.Set<TelegramBot>().IgnoreQueryFilters()
            .Where(b => b.WorkspaceId == workspaceId && b.Status != TelegramBotStatus.Unauthorized)
            .OrderBy(b => b.CreatedAt).Select(b => b.ProtectedToken).FirstOrDefaultAsync(ct);
        return token is null ? null : clients.For(secrets.Unprotect(token));
    }

    public async Task<string?> RefusedAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var refused = await db.Set<TelegramBot>().IgnoreQueryFilters()
            .Where(b => b.WorkspaceId == workspaceId && b.Status == TelegramBotStatus.Unauthorized)
            .OrderBy(b => b.CreatedAt).Select(b => new { b.StatusDetail }).FirstOrDefaultAsync(ct);
        return refused is null ? null : refused.StatusDetail ?? "Unauthorized";
    }
}

public static class TelegramSetup
{
    public static IHostApplicationBuilder AddShequnTelegram(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelegramOptions>().Bind(builder.Configuration.GetSection("Telegram"));
        // The Bot API carries the token in the URL path: the client factory must not log request URLs.
        builder.Services.AddHttpClient("telegram").RemoveAllLoggers()
            .UseOutboundGuard(sp => sp.GetRequiredService<IOptions<TelegramOptions>>().Value.ApiBaseUrl);
        builder.Services.AddSingleton<TelegramSecrets>();
        builder.Services.AddSingleton<TelegramClients>();
        builder.Services.AddSingleton<ITelegramBots, WorkspaceTelegramBots>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TelegramBotDirectory>();
        builder.Services.AddSingleton<TelegramUpdates>();
        builder.Services.AddScoped<TelegramConnections>();
        builder.Services.AddSingleton<TelegramPoller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TelegramPoller>());
        builder.Services.AddHostedService<TelegramStatusMonitor>();
        builder.Services.AddSingleton<IConnectorHealth, TelegramConnectorHealth>();

        builder.Services.AddSingleton<TelegramConnector>();
        builder.Services.AddSingleton<IConnector>(sp => sp.GetRequiredService<TelegramConnector>());
        builder.Services.AddSingleton<Shequn.Features.Images.IMediaSource, TelegramMediaSource>();
        return builder;
    }
}
