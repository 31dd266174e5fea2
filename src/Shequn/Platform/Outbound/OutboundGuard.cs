using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Shequn.Platform.Outbound;

public sealed class OutboundOptions
{
    /// <summary>
    /// <c>host:port</c> entries (<c>shop.lan:8080</c>, <c>[fd00::5]:443</c>) that every guarded client may reach even on
    /// a private address. Each client's own configured base URL is allowed without being listed.
    /// </summary>
    public List<string> Allow { get; } = [];
}

/// <summary>
/// The connection step of every server-side HTTP client (docs/security.md, "Outbound requests"). It resolves the host
/// itself, refuses when any of its addresses is not public (<see cref="OutboundAddresses"/>) unless the host:port is
/// allowed, and connects to the addresses it vetted, so there is no second lookup a rebinding DNS server could answer
/// differently. A redirect opens its connection through here too, so every hop is checked.
/// </summary>
public sealed partial class OutboundGuard(IReadOnlySet<string> allowed, ILogger logger)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (!allowed.Contains(Key(host, port)))
        {
            foreach (var address in addresses)
            {
                if (OutboundAddresses.Refusal(address) is not { } kind)
                    continue;
                // Host and port only: a URL's path and query can carry tokens (Telegram's bot token, WeCom's access_token).
                var shown = literal is null ? $"{host}:{port} ({address}, {kind})" : $"{host}:{port} ({kind})";
                LogRefused(logger, shown);
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"Refused outbound connection to {shown}: not an allowed address.");
            }
        }
        if (addresses.Length == 0)
            throw new HttpRequestException(HttpRequestError.NameResolutionError, $"{host} has no address.");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>How a host and port are compared: IP literals in their canonical form, names without case or a final dot.</summary>
    public static string Key(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        var bare = host.Trim('[', ']');
        var name = IPAddress.TryParse(bare, out var ip) ? ip.ToString() : bare.TrimEnd('.').ToLowerInvariant();
        return $"{name}:{port}";
    }

    /// <summary>The key of a URL's host and port, or null when it is not an absolute URL.</summary>
    public static string? KeyOf(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.IdnHost) ? Key(uri.IdnHost, uri.Port) : null;

    /// <summary>The key of a <c>host:port</c> entry of <see cref="OutboundOptions.Allow"/>, or null when it has no explicit port.</summary>
    public static string? KeyOfEntry(string entry) =>
        KeyOf("http://" + entry) is { } key && entry.EndsWith(key[key.LastIndexOf(':')..], StringComparison.Ordinal) ? key : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused outbound connection to {Destination}: not an allowed address")]
    private static partial void LogRefused(ILogger logger, string destination);
}

public static class OutboundSetup
{
    /// <summary>At most this many redirects are followed; each one is checked by the guard like the first request.</summary>
    public const int MaxRedirects = 3;

    /// <summary>
    /// Makes the guard this client's connection step. The client may reach the host:port of
    /// <paramref name="trustedBaseUrl"/> (an operator's configuration, read whenever the factory builds a handler) and
    /// the <c>Security:Outbound:Allow</c> entries on any address; everything else only on public addresses.
    /// </summary>
    public static IHttpClientBuilder UseOutboundGuard(this IHttpClientBuilder builder, Func<IServiceProvider, string?> trustedBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<OutboundOptions>, OutboundOptionsSetup>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboundOptions>, OutboundOptionsSetup>());
        builder.Services.AddOptions<OutboundOptions>().ValidateOnStart();
        return builder.ConfigurePrimaryHttpMessageHandler(services =>
        {
            var allowed = services.GetRequiredService<IOptions<OutboundOptions>>().Value.Allow.Select(OutboundGuard.KeyOfEntry)
                .Append(OutboundGuard.KeyOf(trustedBaseUrl(services))).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var guard = new OutboundGuard(allowed, services.GetRequiredService<ILoggerFactory>().CreateLogger<OutboundGuard>());
            return new SocketsHttpHandler
            {
                ConnectCallback = guard.ConnectAsync,
                MaxAutomaticRedirections = MaxRedirects,
                // A proxy would resolve names where the guard cannot see them.
                UseProxy = false,
            };
        });
    }

    private sealed class OutboundOptionsSetup(IConfiguration configuration) : IConfigureOptions<OutboundOptions>, IValidateOptions<OutboundOptions>
    {
        public void Configure(OutboundOptions options) => configuration.GetSection("Security:Outbound").Bind(options);

        public ValidateOptionsResult Validate(string? name, OutboundOptions options) =>
            options.Allow.FirstOrDefault(e => OutboundGuard.KeyOfEntry(e) is null) is { } bad
                ? ValidateOptionsResult.Fail($"Security:Outbound:Allow: '{bad}' is not host:port.")
                : ValidateOptionsResult.Success;
    }
}
