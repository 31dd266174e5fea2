using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// Security:RateLimits set low, clients told apart by X-Forwarded-For from loopback (as behind a local proxy):
/// 429 with Retry-After once a partition is spent, and other partitions untouched.
/// </summary>
public abstract class RateLimitTests(ShequnFactory factory)
{
    public const int SignInPerAddress = 3;
    public const int SignInPerAccount = 5;
    public const int BearerFailures = 3;
    public const int PublicPerAddress = 4;
    public const int PublicPerPerson = 2;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static void Configure(IWebHostBuilder builder)
    {
        static string S(int n) => n.ToString(CultureInfo.InvariantCulture);
        builder.UseSetting("Security:RateLimits:SignInPerAddress:PermitLimit", S(SignInPerAddress));
        builder.UseSetting("Security:RateLimits:SignInPerAccount:PermitLimit", S(SignInPerAccount));
        builder.UseSetting("Security:RateLimits:BearerFailuresPerAddress:PermitLimit", S(BearerFailures));
        builder.UseSetting("Security:RateLimits:PublicPerAddress:PermitLimit", S(PublicPerAddress));
        builder.UseSetting("Security:RateLimits:PublicPerPerson:PermitLimit", S(PublicPerPerson));
        builder.FromLoopback();
    }

    /// <summary>An address of the documentation range, different for every call, so tests never share a partition.</summary>
    private static string NewAddress()
    {
        var n = Interlocked.Increment(ref _addresses);
        return $"198.51.{n / 250 % 250}.{n % 250 + 1}";
    }

    private static int _addresses;

    private static void AssertLimited(HttpResponseMessage response, string what)
    {
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{what}: {(int)response.StatusCode}, expected 429");
        var retry = response.Headers.RetryAfter;
        Assert.NotNull(retry);
        Assert.NotNull(retry.Delta);
        Assert.InRange(retry.Delta.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
    }

    private static void AssertNotLimited(HttpResponseMessage response, string what) =>
        Assert.True(response.StatusCode != HttpStatusCode.TooManyRequests, $"{what}: 429, expected another answer");

    [Fact]
    public async Task SignIn_OverTheAddressLimit_Gets429WithRetryAfter_AnotherAddressDoesNot()
    {
        await factory.NewWorkspaceAsync();
        var browser = factory.Browser();
        var antiforgery = await ConsoleBrowser.AntiforgeryTokenAsync(browser);
        var address = NewAddress();

        for (var i = 0; i < SignInPerAddress; i++)
        {
            var r = await ConsoleBrowser.SignInAsync(browser, $"nobody-{Guid.NewGuid():N}@test.local", "wrong-password-1", antiforgery, address);
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        }
        var limited = await ConsoleBrowser.SignInAsync(browser, $"nobody-{Guid.NewGuid():N}@test.local", "wrong-password-1", antiforgery, address);

        AssertLimited(limited, "sign-in from a spent address");
        var page = await limited.Content.ReadAsStringAsync(Ct);
        Assert.Contains("data-testid=\"rate-limited\"", page, StringComparison.Ordinal);
        Assert.Contains("请求过于频繁", page, StringComparison.Ordinal);
        var other = await ConsoleBrowser.SignInAsync(browser, $"nobody-{Guid.NewGuid():N}@test.local", "wrong-password-1", antiforgery, NewAddress());
        Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
    }

    [Fact]
    public async Task SignIn_OneAccountFromManyAddresses_Gets429_AnotherAccountDoesNot()
    {
        var ws = await factory.NewWorkspaceAsync();
        var browser = factory.Browser();
        var antiforgery = await ConsoleBrowser.AntiforgeryTokenAsync(browser);
        var email = $"target-{Guid.NewGuid():N}@test.local";

        for (var i = 0; i < SignInPerAccount; i++)
            Assert.Equal(HttpStatusCode.Redirect, (await ConsoleBrowser.SignInAsync(browser, email, "wrong-password-1", antiforgery, NewAddress())).StatusCode);
        var address = NewAddress();
        // The same account in other letter cases is the same partition.
        AssertLimited(await ConsoleBrowser.SignInAsync(browser, email.ToUpperInvariant(), "wrong-password-1", antiforgery, address), "sign-in to a spent account");

        var right = await ConsoleBrowser.SignInAsync(browser, ws.Owner.Email, TestStaff.Password, antiforgery, address);
        Assert.Equal("/", right.Headers.Location?.ToString());
    }

    [Fact]
    public async Task BearerToken_RepeatedFailures_Get429EvenWithAGoodToken_AnotherAddressDoesNot()
    {
        var ws = await factory.NewWorkspaceAsync();
        var address = NewAddress();
        async Task<HttpResponseMessage> CallAsync(string token, string from)
        {
            using var client = factory.ClientWithToken(token);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/communities");
            request.Headers.Add("X-Forwarded-For", from);
            return await client.SendAsync(request, Ct);
        }

        for (var i = 0; i < BearerFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync("shq_guess" + i, address)).StatusCode);
        var limited = await CallAsync("shq_guess-more", address);

        AssertLimited(limited, "bad token from a spent address");
        Assert.Contains("\"status\":429", await limited.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        AssertLimited(await CallAsync(ws.Owner.Token, address), "good token from a spent address");
        var elsewhere = NewAddress();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(ws.Owner.Token, elsewhere)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync("not-even-shq", elsewhere)).StatusCode);
    }

    public static TheoryData<string> PublicPosts =>
    [
        "/c/{0}/claim", "/c/{0}/coupon", "/c/{0}/join", "/c/{0}/phone", "/c/{0}/bargain", "/c/{0}/assist",
        "/c/{0}/bargain/00000000-0000-0000-0000-000000000001/cut", "/c/{0}/assist/00000000-0000-0000-0000-000000000001/help",
        "/j/{0}/join", "/j/{0}/phone", "/w/{0}",
    ];

    private async Task<HttpResponseMessage> PostPublicAsync(string route, string from, string? phone = null, string? token = null)
    {
        var url = string.Format(CultureInfo.InvariantCulture, route, "rl" + Guid.NewGuid().ToString("N")[..8]);
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Add("X-Forwarded-For", from);
        if (route.StartsWith("/j/", StringComparison.Ordinal))
        {
            var fields = new Dictionary<string, string> { ["consent"] = "true" };
            if (phone is not null)
                fields["phone"] = phone;
            request.Content = new FormUrlEncodedContent(fields);
        }
        else if (route.EndsWith("/phone", StringComparison.Ordinal))
        {
            request.Content = JsonContent.Create(new { phone, token, consent = true, requestId = Guid.NewGuid().ToString("N") });
        }
        else
        {
            // Each input record has a token and a request id; other members would be refused as unknown.
            request.Content = JsonContent.Create(new { token, requestId = Guid.NewGuid().ToString("N") });
        }
        return await factory.CreateClient().SendAsync(request, Ct);
    }

    [Theory]
    [MemberData(nameof(PublicPosts))]
    public async Task PublicPost_OverTheAddressLimit_Gets429WithRetryAfter_AnotherAddressDoesNot(string route)
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var address = NewAddress();
        for (var i = 0; i < PublicPerAddress; i++)
            AssertNotLimited(await PostPublicAsync(route, address), route);

        var limited = await PostPublicAsync(route, address);

        AssertLimited(limited, route);
        var body = await limited.Content.ReadAsStringAsync(Ct);
        if (route.StartsWith("/c/", StringComparison.Ordinal))
            Assert.Equal("tooManyRequests", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
        else
            Assert.Contains("data-testid=\"rate-limited\"", body, StringComparison.Ordinal);
        AssertNotLimited(await PostPublicAsync(route, NewAddress()), route + " from another address");
    }

    [Theory]
    [InlineData("/c/{0}/phone")]
    [InlineData("/j/{0}/phone")]
    [InlineData("/j/{0}/join")]
    public async Task PublicPost_OnePhoneFromManyAddresses_Gets429_AnotherPhoneDoesNot(string route)
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var phone = "139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < PublicPerPerson; i++)
            AssertNotLimited(await PostPublicAsync(route, NewAddress(), phone), route);

        // Spaces and a dash do not make it another phone.
        AssertLimited(await PostPublicAsync(route, NewAddress(), phone[..3] + " " + phone[3..7] + "-" + phone[7..]), route + " same phone");
        AssertNotLimited(await PostPublicAsync(route, NewAddress(), "137" + phone[3..]), route + " another phone");
    }

    [Fact]
    public async Task FlashSaleClaim_OneTokenFromManyAddresses_Gets429_AnotherTokenDoesNot()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var token = Guid.NewGuid().ToString("N");
        for (var i = 0; i < PublicPerPerson; i++)
            AssertNotLimited(await PostPublicAsync("/c/{0}/claim", NewAddress(), token: token), "claim");

        AssertLimited(await PostPublicAsync("/c/{0}/claim", NewAddress(), token: token), "claim, same token");
        AssertNotLimited(await PostPublicAsync("/c/{0}/claim", NewAddress(), token: Guid.NewGuid().ToString("N")), "claim, another token");
    }

    [Fact]
    public async Task ShortLink_ManyScansFromOneAddress_AreNeverLimited()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var address = NewAddress();
        for (var i = 0; i < PublicPerAddress * 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/j/rl-unknown");
            request.Headers.Add("X-Forwarded-For", address);
            var response = await factory.CreateClient().SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }
}

public sealed class RateLimitSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        RateLimitTests.Configure(builder);
    }
}

public sealed class RateLimitPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        RateLimitTests.Configure(builder);
    }
}

public sealed class RateLimitTests_Sqlite(RateLimitSqliteFactory factory) : RateLimitTests(factory), IClassFixture<RateLimitSqliteFactory>;

public sealed class RateLimitTests_Postgres(RateLimitPostgresFactory factory) : RateLimitTests(factory), IClassFixture<RateLimitPostgresFactory>;
