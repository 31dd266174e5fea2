using System.Net;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// The console's live connection refuses a foreign Origin: a page on another site cannot open a circuit with the
/// signed-in person's cookie (cross-site WebSocket hijacking). The console's own pages (every browser test) still connect.
/// </summary>
public abstract class BlazorOriginTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpStatusCode> NegotiateAsync(HttpClient browser, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1") { Content = new StringContent("") };
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        using var response = await browser.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task Negotiate_FromAForeignOrigin_Is403_FromTheConsolesOwn_Is200()
    {
        var ws = await factory.NewWorkspaceAsync();
        var browser = factory.Browser();
        Assert.Equal("/", (await ConsoleBrowser.SignInAsync(browser, ws.Owner.Email, TestStaff.Password)).Headers.Location?.ToString());

        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(browser, "http://localhost"));
        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(browser, null));
        foreach (var foreign in new[] { "https://evil.example", "http://localhost.evil.example", "http://localhost:8080", "https://localhost", "null", "http://evil.example/http://localhost" })
            Assert.True(await NegotiateAsync(browser, foreign) == HttpStatusCode.Forbidden, foreign);
    }

    [Theory]
    [InlineData("https://console.brand.cn", "https", "console.brand.cn", true)]
    [InlineData("https://console.brand.cn:443", "https", "console.brand.cn", true)]
    [InlineData("https://CONSOLE.brand.cn", "https", "console.brand.cn", true)]
    [InlineData("http://console.brand.cn", "https", "console.brand.cn", false)]
    [InlineData("https://console.brand.cn:8443", "https", "console.brand.cn:8443", true)]
    [InlineData("https://console.brand.cn", "https", "console.brand.cn:8443", false)]
    [InlineData("https://partner.brand.cn", "https", "console.brand.cn", true)] // listed in Security:AllowedOrigins
    [InlineData("https://other.brand.cn", "https", "console.brand.cn", false)]
    [InlineData("null", "https", "console.brand.cn", false)]
    [InlineData("https://console.brand.cn/path", "https", "console.brand.cn", false)]
    public void IsAllowed_ComparesSchemeHostAndPort(string origin, string scheme, string host, bool allowed)
    {
        var ctx = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        ctx.Request.Scheme = scheme;
        ctx.Request.Host = new Microsoft.AspNetCore.Http.HostString(host);
        Assert.Equal(allowed, Shequn.Platform.BlazorOrigin.IsAllowed(origin, ctx.Request, new HashSet<string>(["https://partner.brand.cn"], StringComparer.OrdinalIgnoreCase)));
    }
}

public sealed class BlazorOriginTests_Sqlite(SqliteFactory factory) : BlazorOriginTests(factory), IClassFixture<SqliteFactory>;
