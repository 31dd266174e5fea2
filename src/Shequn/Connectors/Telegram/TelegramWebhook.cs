using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Events;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Shequn.Connectors.Telegram;

/// <summary>
/// Connected bots by their Telegram user id, with the webhook secret decrypted, cached for a short while so that the
/// webhook's hot path reads no database. A connect or disconnect on this node drops the entry at once; other nodes
/// notice within <see cref="Lifetime"/>.
/// </summary>
public sealed class TelegramBotDirectory(IServiceScopeFactory scopes, TelegramSecrets secrets, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private sealed record Entry(ConnectedBot? Bot, DateTimeOffset Until);

    private readonly ConcurrentDictionary<long, Entry> _bots = new();

    public async ValueTask<ConnectedBot?> FindAsync(long botUserId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_bots.TryGetValue(botUserId, out var entry) && entry.Until > now)
            return entry.Bot;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var row = await db.Set<TelegramBot>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(b => b.BotUserId == botUserId, ct);
        var bot = row is null ? null : ToConnected(row);
        _bots[botUserId] = new Entry(bot, now + Lifetime);
        return bot;
    }

    public ConnectedBot ToConnected(TelegramBot row) =>
        new(row.Id, row.WorkspaceId, row.BotUserId, row.Mode, Encoding.UTF8.GetBytes(secrets.Unprotect(row.ProtectedWebhookSecret)));

    public void Forget(long botUserId) => _bots.TryRemove(botUserId, out _);
}

/// <summary>
/// <c>POST /telegram/webhook/{botUserId}</c>, where Telegram pushes a bot's updates (platforms.md B3). The secret
/// header is compared in constant time (missing: 401, wrong or unknown bot: 403); a body that is not an Update is 400;
/// the update's events are stored durably before the 200, so an answer Telegram does not get means a redelivery, and
/// a redelivery is stored once. 503 when the log cannot store (Telegram retries).
/// </summary>
public static class TelegramWebhook
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";
    public const int MaxBodyBytes = 1 << 20;

    /// <remarks>
    /// Short-circuited: the endpoint runs as soon as it is matched, before the console's middleware (forwarded
    /// headers, status-code pages, localization, the setup redirect, cookie and token authentication, the current
    /// staff member, antiforgery). It needs none of them: Telegram authenticates with the secret header, the answer is
    /// a bare status code, and events are stored as the bot's workspace. Profiled under load, that middleware took more
    /// of the server's time on this route than the endpoint's own work (docs/benchmarks.md, "Telegram webhook"). An
    /// exception here is then Kestrel's own bare 500, which Telegram retries like any other failure.
    /// </remarks>
    public static IEndpointRouteBuilder MapTelegramWebhook(this IEndpointRouteBuilder app)
    {
        app.MapPost("/telegram/webhook/{botUserId:long}", HandleAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription()
            .ShortCircuit();
        return app;
    }

    private static async Task HandleAsync(HttpContext http, long botUserId, TelegramBotDirectory bots, TelegramUpdates updates)
    {
        // Not the request's abort token: this work is bounded (a body of at most 1 MB, which Kestrel ends if the
        // connection drops; a cached lookup; a group commit of a few milliseconds), and an update Telegram stopped
        // waiting for is still stored (its redelivery is then a duplicate). Asking for the token makes Kestrel create
        // a cancellation source per request, and waiting on it adds a registration and a promise per update, which
        // the profile of the webhook bench showed on the hot path.
        var ct = CancellationToken.None;
        if (!http.Request.Headers.TryGetValue(SecretHeader, out var header) || header.Count != 1 || string.IsNullOrEmpty(header[0]))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var bot = await bots.FindAsync(botUserId, ct);
        if (bot is null || bot.Mode != TelegramUpdateMode.Webhook || !SecretMatches(header[0]!, bot.WebhookSecret))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var (body, tooLarge) = await ReadBodyAsync(http.Request, ct);
        try
        {
            http.Response.StatusCode = tooLarge ? StatusCodes.Status413PayloadTooLarge : await HandleBodyAsync(bot, body, updates, ct);
        }
        finally
        {
            http.Request.BodyReader.AdvanceTo(body.End);
        }
    }

    private static async Task<int> HandleBodyAsync(ConnectedBot bot, ReadOnlySequence<byte> body, TelegramUpdates updates, CancellationToken ct)
    {
        Update? update;
        try
        {
            if (body.IsSingleSegment)
            {
                // From the span: reading from a Utf8JsonReader first scans the whole value to find its end.
                update = JsonSerializer.Deserialize<Update>(body.FirstSpan, JsonBotAPI.Options);
            }
            else
            {
                var reader = new Utf8JsonReader(body);
                update = JsonSerializer.Deserialize<Update>(ref reader, JsonBotAPI.Options);
            }
        }
        catch (JsonException)
        {
            update = null;
        }
        if (update is null || update.Id == 0)
            return StatusCodes.Status400BadRequest;
        try
        {
            await updates.HandleAsync(bot, update, () => Encoding.UTF8.GetString(body), ct);
        }
        catch (Exception ex) when (ex is EventLogClosedException or EventLogUnavailableException)
        {
            return StatusCodes.Status503ServiceUnavailable;
        }
        return StatusCodes.Status200OK;
    }

    /// <summary>Constant time over the expected secret's length, whatever the given header is.</summary>
    internal static bool SecretMatches(string given, byte[] expected)
    {
        Span<byte> buffer = stackalloc byte[256];
        var length = Encoding.UTF8.GetMaxByteCount(given.Length) <= buffer.Length ? Encoding.UTF8.GetBytes(given, buffer) : -1;
        if (length < 0)
            return false;
        return CryptographicOperations.FixedTimeEquals(buffer[..length], expected);
    }

    /// <summary>The whole body, left in the request's pipe (the caller advances past it); too large past 1 MB.</summary>
    private static async Task<(ReadOnlySequence<byte> Body, bool TooLarge)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            if (result.Buffer.Length > MaxBodyBytes)
                return (result.Buffer, true);
            if (result.IsCompleted)
                return (result.Buffer, false);
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
