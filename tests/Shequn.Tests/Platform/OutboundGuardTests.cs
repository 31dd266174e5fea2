using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shequn.Features.Campaigns;
using Shequn.Platform.Outbound;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// The server-side HTTP clients from the app's own container (docs/security.md, "Outbound requests"): a canary listening
/// on loopback is never reached, whatever form of its address a request or a redirect names, while the operator's
/// configured platform and the allowed host:port entries are. The guard has nothing to do with the database: SQLite only.
/// </summary>
public sealed class OutboundGuardTests(OutboundFactory factory) : IClassFixture<OutboundFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Clients = ["wecom", "telegram", GroupRefunds.HttpClientName];

    private HttpClient Client(string name)
    {
        var client = factory.Services.GetRequiredService<IHttpClientFactory>().CreateClient(name);
        // A refusal comes before any connection; a request that got as far as connecting to 10.0.0.1 would hang instead.
        client.Timeout = TimeSpan.FromSeconds(5);
        return client;
    }

    /// <summary>The request fails with the guard's refusal naming <paramref name="kind"/> (any class when null).</summary>
    private static async Task AssertRefusedAsync(HttpClient client, string url, string? kind)
    {
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(url), Ct));
        Assert.True(e.Message.Contains("Refused outbound connection to", StringComparison.Ordinal) && e.Message.Contains($"{kind})", StringComparison.Ordinal),
            $"{url}: expected a refusal naming {kind ?? "an address class"}, got: {e.Message}");
    }

    [Fact]
    public async Task EveryClient_LoopbackInAnyForm_RefusedAndTheCanaryNeverReached()
    {
        var port = factory.Canary.Port;
        var loopback = new[]
        {
            $"http://127.0.0.1:{port}/", $"http://127.1:{port}/", $"http://2130706433:{port}/", $"http://0177.0.0.1:{port}/",
            $"http://0x7f.0.0.1:{port}/", $"http://0x7f000001:{port}/", $"http://[::ffff:127.0.0.1]:{port}/", $"http://[::ffff:7f00:1]:{port}/",
            $"http://[::127.0.0.1]:{port}/", $"http://[::1]:{port}/", $"http://localhost:{port}/", $"http://LOCALHOST:{port}/",
        };
        // Names go through the guard's own lookup: localhost, and the machine's own name from the hosts file (127.0.0.1 on
        // the build machine, 127.0.1.1 on Debian, the container's private address in Docker).
        var ownName = Dns.GetHostName();
        foreach (var name in Clients)
        {
            var client = Client(name);
            foreach (var url in loopback)
                await AssertRefusedAsync(client, url, "loopback");
            await AssertRefusedAsync(client, $"http://{ownName}:{port}/", null);
            await AssertRefusedAsync(client, $"http://0.0.0.0:{port}/", "unspecified");
            await AssertRefusedAsync(client, $"http://[::]:{port}/", "unspecified");
            await AssertRefusedAsync(client, "http://169.254.169.254/latest/meta-data/", "metadata");
            await AssertRefusedAsync(client, "http://[::ffff:169.254.169.254]/latest/meta-data/", "metadata");
            await AssertRefusedAsync(client, "http://10.0.0.1/", "private");
            await AssertRefusedAsync(client, "http://192.168.1.1/", "private");
            await AssertRefusedAsync(client, "http://[fd00:ec2::254]/", "private");
        }

        Assert.Equal(0, factory.Canary.Accepted);
    }

    [Fact]
    public async Task ConfiguredPlatform_OnLoopback_IsReached()
    {
        using var response = await Client("telegram").GetAsync(new Uri(factory.Platform.BaseUrl + "/"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("platform", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task ConfiguredPlatform_RedirectsToTheCanary_RefusedAtTheHop()
    {
        var before = factory.Platform.Paths.Count;

        await AssertRefusedAsync(Client("telegram"), factory.Platform.BaseUrl + "/to-canary", "loopback");
        await AssertRefusedAsync(Client("telegram"), factory.Platform.BaseUrl + "/to-canary-by-name", "loopback");

        Assert.Equal(before + 2, factory.Platform.Paths.Count); // the first hop was made each time
        Assert.Equal(0, factory.Canary.Accepted);
    }

    [Fact]
    public async Task AnotherClientsPlatform_IsNotAllowedForThisClient()
    {
        // Telegram's configured fake is trusted for the telegram client only.
        await AssertRefusedAsync(Client("wecom"), factory.Platform.BaseUrl + "/", "loopback");
        await AssertRefusedAsync(Client(GroupRefunds.HttpClientName), factory.Platform.BaseUrl + "/", "loopback");
    }

    [Fact]
    public async Task AllowListedHostPort_ReachedDirectlyAndByRedirect()
    {
        using var redirected = await Client("telegram").GetAsync(new Uri(factory.Platform.BaseUrl + "/to-extra"), Ct);
        using var direct = await Client("wecom").GetAsync(new Uri(factory.Extra.BaseUrl + "/"), Ct);

        Assert.Equal("extra", await redirected.Content.ReadAsStringAsync(Ct));
        Assert.Equal("extra", await direct.Content.ReadAsStringAsync(Ct));
        // The entry is host:port: the same host on the canary's port stays refused.
        await AssertRefusedAsync(Client("wecom"), factory.Canary.BaseUrl + "/", "loopback");
    }

    [Fact]
    public async Task Redirects_FollowedAtMostThreeTimes()
    {
        using var response = await Client("telegram").GetAsync(new Uri(factory.Platform.BaseUrl + "/loop/0"), Ct);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(["/loop/0", "/loop/1", "/loop/2", "/loop/3"], factory.Platform.Paths.Where(p => p.StartsWith("/loop/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Refusal_LoggedAsWarningWithHostAndPortOnly()
    {
        // 127.0.0.2 is loopback too, and named by no other test.
        var url = $"http://127.0.0.2:{factory.Canary.Port}/botSECRET-TOKEN/getFile?file_id=QUERY-VALUE";

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => Client("telegram").GetAsync(new Uri(url), Ct));

        var line = Assert.Single(factory.Warnings, l => l.Contains($"127.0.0.2:{factory.Canary.Port} (loopback)", StringComparison.Ordinal));
        Assert.StartsWith("Refused outbound connection to", line, StringComparison.Ordinal);
        Assert.DoesNotContain(factory.Logged, l => l.Contains("SECRET-TOKEN", StringComparison.Ordinal) || l.Contains("QUERY-VALUE", StringComparison.Ordinal));
        Assert.DoesNotContain("SECRET-TOKEN", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>The address classes (docs/security.md, "Outbound requests"): public addresses pass, every other class is named.</summary>
public sealed class OutboundAddressesTests
{
    [Theory]
    [InlineData("1.1.1.1", null)]
    [InlineData("8.8.8.8", null)]
    [InlineData("101.226.103.106", null)]
    [InlineData("2606:4700::1111", null)]
    [InlineData("2001:4860:4860::8888", null)]
    [InlineData("::ffff:1.1.1.1", null)]
    [InlineData("64:ff9b::101:101", null)]
    [InlineData("2002:101:101::1", null)]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.255.254", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("2002:7f00:1::1", "loopback")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.0.1", "private")]
    [InlineData("::ffff:10.1.2.3", "private")]
    [InlineData("2002:c0a8:101::1", "private")]
    [InlineData("fc00::1", "private")]
    [InlineData("fd00:ec2::254", "private")]
    [InlineData("fec0::1", "private")]
    [InlineData("169.254.0.1", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("169.254.169.254", "metadata")]
    [InlineData("::ffff:169.254.169.254", "metadata")]
    [InlineData("100.64.0.1", "shared (CGNAT)")]
    [InlineData("100.127.255.255", "shared (CGNAT)")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("192.0.0.192", "reserved")]
    [InlineData("198.18.0.1", "reserved")]
    [InlineData("2001:db8::1", "reserved")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved")]
    [InlineData("::1.1.1.1", "reserved")]
    public void Refusal_ByAddressClass(string address, string? refusal) =>
        Assert.Equal(refusal, OutboundAddresses.Refusal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.255.255")]
    [InlineData("11.0.0.1")]
    public void Refusal_NeighboursOfPrivateRanges_ArePublic(string address) =>
        Assert.Null(OutboundAddresses.Refusal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("shop.lan:8080", "shop.lan:8080")]
    [InlineData("Shop.LAN.:8080", "shop.lan:8080")]
    [InlineData("[fd00::5]:443", "fd00::5:443")]
    [InlineData("10.0.0.7:80", "10.0.0.7:80")]
    [InlineData("shop.lan", null)]
    [InlineData("http://shop.lan:8080", null)]
    [InlineData("shop.lan:8080/refunds", null)]
    public void AllowEntry_MustBeHostAndPort(string entry, string? key) => Assert.Equal(key, OutboundGuard.KeyOfEntry(entry));
}

/// <summary>
/// The app with Telegram's Bot API at <see cref="Platform"/> (on loopback, as tests and some operators run it),
/// <see cref="Extra"/> in <c>Security:Outbound:Allow</c>, and a <see cref="Canary"/> nothing may reach.
/// </summary>
public sealed class OutboundFactory : SqliteFactory
{
    public LoopbackListener Canary { get; } = new(_ => LoopbackListener.Ok("canary"));
    public LoopbackListener Extra { get; } = new(_ => LoopbackListener.Ok("extra"));
    public LoopbackListener Platform { get; }
    public ConcurrentQueue<string> Logged { get; } = new();
    public IEnumerable<string> Warnings => _warnings;
    private readonly ConcurrentQueue<string> _warnings = new();

    public OutboundFactory()
    {
        Platform = new(path => path switch
        {
            "/to-canary" => LoopbackListener.Redirect(Canary.BaseUrl + "/"),
            "/to-canary-by-name" => LoopbackListener.Redirect($"http://localhost:{Canary.Port}/"),
            "/to-extra" => LoopbackListener.Redirect(Extra.BaseUrl + "/"),
            _ when path.StartsWith("/loop/", StringComparison.Ordinal) => LoopbackListener.Redirect($"/loop/{int.Parse(path[6..], System.Globalization.CultureInfo.InvariantCulture) + 1}"),
            _ => LoopbackListener.Ok("platform"),
        });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Telegram:ApiBaseUrl", Platform.BaseUrl);
        builder.UseSetting("Security:Outbound:Allow:0", $"127.0.0.1:{Extra.Port}");
        builder.ConfigureLogging(l => l.AddProvider(new Capture(Logged, _warnings)));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Canary.Dispose();
        Extra.Dispose();
        Platform.Dispose();
    }

    private sealed class Capture(ConcurrentQueue<string> all, ConcurrentQueue<string> warnings) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            all.Enqueue(line + " " + exception);
            if (logLevel == LogLevel.Warning)
                warnings.Enqueue(line);
        }

        public void Dispose() { }
    }
}

/// <summary>A bare HTTP/1.1 server on 127.0.0.1 that counts the connections it accepts and answers each request from its path.</summary>
public sealed class LoopbackListener : IDisposable
{
    private readonly TcpListener _tcp = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, string> _answer;
    private int _accepted;

    public LoopbackListener(Func<string, string> answer)
    {
        _answer = answer;
        _tcp.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_tcp.LocalEndpoint).Port;
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public int Accepted => Volatile.Read(ref _accepted);
    public ConcurrentQueue<string> Paths { get; } = new();

    public static string Ok(string body) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.ASCII.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";

    public static string Redirect(string location) => $"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            var requestLine = await reader.ReadLineAsync(_stop.Token) ?? "";
            while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token)))
            {
            }
            var parts = requestLine.Split(' ');
            var path = parts.Length > 1 ? parts[1] : "/";
            Paths.Enqueue(path);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(_answer(path)), _stop.Token);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _tcp.Stop();
        _stop.Dispose();
    }
}
