using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shequn.Platform;
using Shequn.Platform.Auth;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// The benchmarks' baseline switches, <c>Security:Headers:Enabled</c> and <c>Security:RateLimits:Enabled</c>
/// (docs/security.md, "Response headers" and "Rate limits"): on when nothing is configured, with no warning; set to false,
/// the headers and the limits are really gone (what the webhook and livecode benches measure against) and the server
/// says so at start, in the security log's category, so that it never happens silently.
/// </summary>
public abstract class SecuritySwitchesTests(SecuritySwitchesFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] PolicyHeaders = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"];

    private static int _addresses;

    protected abstract bool SwitchedOff { get; }

    [Fact]
    public async Task Switches_AsConfigured_HeadersLimitsAndWarningFollowThem()
    {
        await factory.NewWorkspaceAsync();
        var on = !SwitchedOff;
        Assert.Equal(on, factory.Services.GetRequiredService<IOptions<SecurityHeaderOptions>>().Value.Enabled);
        Assert.Equal(on, factory.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value.Enabled);

        // The live code's short link (short-circuited ahead of most middleware) and a console page. The console's pages
        // also get the framework's own headers whatever the switch says (Blazor's `frame-ancestors 'self'` policy,
        // antiforgery's X-Frame-Options), so there only ours are looked for.
        var shortLink = await factory.CreateClient().GetAsync("/j/AAAAAAAA", Ct);
        foreach (var header in PolicyHeaders)
            Assert.True(shortLink.Headers.Contains(header) == on, $"/j/: {header} {(on ? "missing" : "sent with the headers switched off")}");
        var page = await factory.CreateClient().GetAsync("/login", Ct);
        Assert.Equal(on, page.Headers.TryGetValues("Content-Security-Policy", out var csp) && csp.Contains(SecurityHeaders.ContentSecurityPolicy));
        Assert.Equal(on, page.Headers.Contains("Referrer-Policy"));
        Assert.Equal(on, page.Headers.Contains("X-Content-Type-Options"));

        // Sign-in from one address, past its limit (RateLimitTests' low settings).
        var browser = factory.Browser();
        var antiforgery = await ConsoleBrowser.AntiforgeryTokenAsync(browser);
        var address = $"203.0.113.{Interlocked.Increment(ref _addresses)}";
        var statuses = new HttpStatusCode[RateLimitTests.SignInPerAddress + 1];
        for (var i = 0; i < statuses.Length; i++)
            statuses[i] = (await ConsoleBrowser.SignInAsync(browser, $"nobody-{Guid.NewGuid():N}@test.local", "wrong-password-1", antiforgery, address)).StatusCode;
        Assert.All(statuses[..^1], s => Assert.Equal(HttpStatusCode.Redirect, s));
        Assert.Equal(on ? HttpStatusCode.TooManyRequests : HttpStatusCode.Redirect, statuses[^1]);

        var warnings = factory.Logs.Snapshot().Where(l => l.StartsWith(SecurityLog.Category + " [Warning]", StringComparison.Ordinal)).ToArray();
        Assert.Equal(on ? 0 : 1, warnings.Count(l => l.Contains("Security headers are OFF (Security:Headers:Enabled = false)", StringComparison.Ordinal)));
        Assert.Equal(on ? 0 : 1, warnings.Count(l => l.Contains("Rate limits are OFF (Security:RateLimits:Enabled = false)", StringComparison.Ordinal)));
    }
}

/// <summary>SQLite, every log line recorded, the rate limits set low; the switches as the subclass says.</summary>
public abstract class SecuritySwitchesFactory : SqliteFactory
{
    public RecordedLogs Logs { get; } = new();

    protected abstract bool SwitchedOff { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        RateLimitTests.Configure(builder);
        RecordedLogs.AddTo(builder, Logs);
        if (SwitchedOff)
        {
            builder.UseSetting("Security:Headers:Enabled", "false");
            builder.UseSetting("Security:RateLimits:Enabled", "false");
        }
    }
}

/// <summary>Nothing configured: both on.</summary>
public sealed class SecuritySwitchesDefaultFactory : SecuritySwitchesFactory
{
    protected override bool SwitchedOff => false;
}

public sealed class SecuritySwitchesOffFactory : SecuritySwitchesFactory
{
    protected override bool SwitchedOff => true;
}

public sealed class SecuritySwitchesTests_Default(SecuritySwitchesDefaultFactory factory) : SecuritySwitchesTests(factory), IClassFixture<SecuritySwitchesDefaultFactory>
{
    protected override bool SwitchedOff => false;
}

public sealed class SecuritySwitchesTests_Off(SecuritySwitchesOffFactory factory) : SecuritySwitchesTests(factory), IClassFixture<SecuritySwitchesOffFactory>
{
    protected override bool SwitchedOff => true;
}
