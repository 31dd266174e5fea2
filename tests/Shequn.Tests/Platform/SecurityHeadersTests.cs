using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Shequn.Platform;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Members.MemberTestData;

namespace Shequn.Tests.Platform;

/// <summary>
/// Response headers and cookies (docs/security.md): every kind of answer carries the policy headers and no Server header;
/// over HTTPS the sign-in and antiforgery cookies are __Host- and Secure and still sign a person in.
/// </summary>
public abstract partial class SecurityHeadersTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Browser(string baseAddress = "http://localhost") =>
        factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(baseAddress) });

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, TestStaff staff)
    {
        var html = await client.GetStringAsync("/login", Ct);
        var token = AntiforgeryField().Match(html);
        Assert.True(token.Success, "No antiforgery field on /login");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = staff.Email, ["password"] = TestStaff.Password, ["returnUrl"] = "/communities",
            ["__RequestVerificationToken"] = token.Groups[1].Success ? token.Groups[1].Value : token.Groups[2].Value,
        });
        return await client.PostAsync("/account/login", form, Ct);
    }

    /// <summary>
    /// The headers every answer carries. A page (HTML) has the app's policy; any other answer (JSON, a file, an export, a
    /// redirect) the resource policy, which lets nothing load or run at all.
    /// </summary>
    private static void AssertPolicyHeaders(HttpResponseMessage response)
    {
        var what = $"{response.RequestMessage?.RequestUri}";
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        if (response.Content.Headers.ContentType?.MediaType == "text/html")
        {
            Assert.Equal(SecurityHeaders.ContentSecurityPolicy, csp);
            foreach (var directive in new[] { "script-src 'self';", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "style-src 'self' 'unsafe-inline'" })
                Assert.True(csp.Contains(directive, StringComparison.Ordinal), $"{what}: CSP lacks {directive}");
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        }
        else
        {
            Assert.Equal("default-src 'none'; frame-ancestors 'none'", csp);
        }
        Assert.DoesNotContain("unsafe", csp.Replace("style-src 'self' 'unsafe-inline'", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.False(response.Headers.Contains("Server"), $"{what}: Server header");
        // Plain http: HSTS would be ignored, and must not be sent (RFC 6797).
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), $"{what}: HSTS over http");
    }

    [Theory]
    [InlineData("text/html; charset=utf-8", true)]
    [InlineData("TEXT/HTML", true)]
    [InlineData("image/svg+xml", true)] // a QR poster opened on its own
    [InlineData("application/json; charset=utf-8", false)]
    [InlineData("application/xhtml+xml", false)] // not ours: it gets the policy that runs nothing
    [InlineData("text/csv", false)]
    [InlineData(null, false)] // an empty answer, a redirect
    public void Policy_ThePagesForDocuments_TheResourcePolicyForTheRest(string? contentType, bool document) =>
        Assert.Equal(document, SecurityHeaders.IsDocument(contentType));

    [Fact]
    public async Task ConsolePage_SignedIn_CarriesThePolicyHeaders()
    {
        var ws = await factory.NewWorkspaceAsync();
        var client = Browser();
        var login = await client.GetAsync("/login", Ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        AssertPolicyHeaders(login);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(client, ws.Owner)).StatusCode);

        var page = await client.GetAsync("/communities", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        AssertPolicyHeaders(page);
        // No inline script on a console page: scripts come from files only.
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotMatch(InlineScript(), html);
    }

    [Theory]
    [InlineData("/j/AAAAAAAA")] // the live-code landing page: short-circuited routing, ahead of most middleware
    [InlineData("/c/no-such-campaign")]
    [InlineData("/p/no-such-token")]
    [InlineData("/w/no-such-token")]
    public async Task H5Page_CarriesThePolicyHeaders(string path)
    {
        await factory.NewWorkspaceAsync();

        var response = await factory.CreateClient().GetAsync(path, Ct);

        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        AssertPolicyHeaders(response);
        Assert.DoesNotMatch(InlineScript(), await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task ApiAnswer_CarriesThePolicyHeadersAndIsNotStored()
    {
        var ws = await factory.NewWorkspaceAsync();
        await MemberAsync(ws.Owner, "张三");

        var response = await ws.Owner.Api.GetAsync("/api/members", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertPolicyHeaders(response);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store on personal data");
        // Framing is for documents: JSON goes without X-Frame-Options (its policy's frame-ancestors still forbids it).
        Assert.False(response.Headers.Contains("X-Frame-Options"), "X-Frame-Options on a JSON answer");
        // Errors too: a 401 names no server either.
        var anonymous = await factory.CreateClient().GetAsync("/api/members", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        AssertPolicyHeaders(anonymous);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("xlsx")]
    public async Task Export_Download_IsNotStoredAndCarriesThePolicyHeaders(string format)
    {
        var ws = await factory.NewWorkspaceAsync();
        await MemberAsync(ws.Owner, "张三");
        var client = Browser();
        await SignInAsync(client, ws.Owner);

        foreach (var response in new[]
        {
            await ws.Owner.Api.GetAsync($"/api/members/export?format={format}", Ct),
            await client.GetAsync($"/members/export?format={format}", Ct), // the console's download link
        })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
            Assert.True(response.Headers.CacheControl?.NoStore, $"{response.RequestMessage?.RequestUri}: Cache-Control: no-store");
            AssertPolicyHeaders(response);
        }
    }

    [Fact]
    public async Task Https_SignIn_HostPrefixedSecureCookiesAndHsts()
    {
        var ws = await factory.NewWorkspaceAsync();
        var client = Browser("https://shequn.example");

        var login = await client.GetAsync("/login", Ct);
        var antiforgery = Assert.Single(SetCookies(login), c => c.StartsWith("__Host-shequn.af=", StringComparison.Ordinal));
        AssertHostCookie(antiforgery, "strict");
        Assert.Equal("max-age=31536000", Assert.Single(login.Headers.GetValues("Strict-Transport-Security")));

        var signedIn = await SignInAsync(client, ws.Owner);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/communities", signedIn.Headers.Location?.ToString());
        var auth = Assert.Single(SetCookies(signedIn), c => c.StartsWith("__Host-shequn.auth=", StringComparison.Ordinal));
        AssertHostCookie(auth, "lax");
        Assert.DoesNotContain(SetCookies(signedIn), c => c.StartsWith("shequn.", StringComparison.Ordinal));
        // The prefixed cookie is read back: the console opens signed in.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/communities", Ct)).StatusCode);
    }

    [Fact]
    public async Task PlainHttp_SignIn_HttpOnlyLaxCookieWithoutSecureOrPrefix()
    {
        var ws = await factory.NewWorkspaceAsync();
        var client = Browser();

        var signedIn = await SignInAsync(client, ws.Owner);

        var auth = Assert.Single(SetCookies(signedIn), c => c.StartsWith("shequn.auth=", StringComparison.Ordinal));
        var attributes = Attributes(auth);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=lax", attributes);
        Assert.Contains("path=/", attributes);
        // A browser drops a Secure cookie sent over plain http (Safari even from localhost): the demo must still sign in.
        Assert.DoesNotContain("secure", attributes);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/communities", Ct)).StatusCode);
    }

    [Fact]
    public async Task Https_Loopback_NoHsts()
    {
        await factory.NewWorkspaceAsync();

        var response = await Browser("https://localhost").GetAsync("/login", Ct);

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        Assert.Contains(SetCookies(response), c => c.StartsWith("__Host-shequn.af=", StringComparison.Ordinal));
    }

    private static void AssertHostCookie(string cookie, string sameSite)
    {
        var attributes = Attributes(cookie);
        Assert.Contains("secure", attributes);
        Assert.Contains("httponly", attributes);
        Assert.Contains("path=/", attributes);
        Assert.Contains("samesite=" + sameSite, attributes);
        Assert.DoesNotContain(attributes, a => a.StartsWith("domain", StringComparison.Ordinal));
    }

    private static List<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? [.. values] : [];

    private static List<string> Attributes(string cookie) =>
        [.. cookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant())];

    [GeneratedRegex("""name="__RequestVerificationToken" type="hidden" value="([^"]+)"|type="hidden" name="__RequestVerificationToken" value="([^"]+)""")]
    private static partial Regex AntiforgeryField();

    /// <summary>A script element without src, or an on…= handler attribute.</summary>
    [GeneratedRegex("""<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=\s*["']""", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}

public sealed class SecurityHeadersTests_Sqlite(SqliteFactory factory) : SecurityHeadersTests(factory), IClassFixture<SqliteFactory>;

public sealed class SecurityHeadersTests_Postgres(PostgresFactory factory) : SecurityHeadersTests(factory), IClassFixture<PostgresFactory>;
