using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Platform;

/// <summary>
/// The Content-Security-Policy (docs/security.md, "Response headers") breaks nothing: console pages built with
/// MudBlazor, the public H5 pages and the API reference load and run without one refused script, style, image, font or
/// connection. Chromium reports each refusal as a console message ("Refused to …") and a securitypolicyviolation event.
/// </summary>
public sealed class ContentSecurityPolicyTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConsolePages_SignedIn_NoContentSecurityPolicyViolations()
    {
        await using var context = await app.NewContextAsync();
        var refused = await WatchAsync(context);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        var response = await page.GotoAsync("/");
        await page.WaitForInteractiveAsync();
        Assert.Contains("script-src 'self';", await response!.HeaderValueAsync("content-security-policy") ?? "", StringComparison.Ordinal);

        foreach (var path in new[] { "/", "/communities", "/members", "/campaigns", "/calendar", "/audit", "/reports", "/analytics/cohorts", "/moderation/log" })
        {
            await page.OpenAsync(path);
            await ViolationsSeenAsync(page);
        }
        // Something interactive: a MudBlazor popover opens through the circuit and MudBlazor's script places it.
        await page.OpenAsync("/members");
        await page.GetByTestId("member-filter-layer").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").First.WaitForAsync();
        await ViolationsSeenAsync(page);

        Assert.True(refused.Count == 0, "CSP refused:\n" + string.Join("\n", refused));
    }

    [Fact]
    public async Task PublicPagesAndApiDocs_NoContentSecurityPolicyViolations()
    {
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        using var api = app.ApiClient();
        using var listed = await api.GetAsync("/api/live-codes", Ct);
        Assert.Empty(listed.Headers.Server);
        Assert.True(listed.Headers.CacheControl?.NoStore, "API answer: Cache-Control: no-store");
        var codes = await listed.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var code = codes.EnumerateArray().Select(c => c.GetProperty("code").GetString()).First(c => !string.IsNullOrEmpty(c));
        var refused = await WatchAsync(context);
        var page = await context.NewPageAsync();

        foreach (var path in new[] { $"/j/{code}", "/j/AAAAAAAA", "/login" })
        {
            var response = await page.GotoAsync(path);
            Assert.Contains("frame-ancestors 'none'", await response!.HeaderValueAsync("content-security-policy") ?? "", StringComparison.Ordinal);
            // The real server (Kestrel, which the in-process tests do not run) names itself nowhere.
            Assert.Null(await response.HeaderValueAsync("server"));
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            await ViolationsSeenAsync(page);
        }

        await page.GotoAsync("/api/docs/");
        await page.GetByText("Shequn API").First.WaitForAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await ViolationsSeenAsync(page);

        Assert.True(refused.Count == 0, "CSP refused:\n" + string.Join("\n", refused));
    }

    /// <summary>Collects every refusal in the context's pages: console messages that name the policy, and the pages'
    /// own securitypolicyviolation events (<see cref="ViolationsSeenAsync"/>).</summary>
    private static async Task<List<string>> WatchAsync(IBrowserContext context)
    {
        // Injected by the browser itself, ahead of the page's scripts: the policy does not apply to it.
        await context.AddInitScriptAsync(
            "window.__cspViolations = [];"
            + "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push("
            + "e.violatedDirective + ' refused ' + e.blockedURI + ' (' + e.sourceFile + ':' + e.lineNumber + ')'));");
        var refused = new List<string>();
        context.Console += (_, message) =>
        {
            if ((message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)
                || message.Text.StartsWith("Refused to", StringComparison.Ordinal))
                && !(IsApiDocs(message.Page?.Url) && message.Text.Contains("'unsafe-eval'", StringComparison.Ordinal)))
            {
                lock (refused)
                    refused.Add($"{message.Page?.Url}: {message.Text}");
            }
        };
        return refused;
    }

    private static async Task ViolationsSeenAsync(IPage page)
    {
        var seen = (await page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []"))
            .Where(v => !(IsApiDocs(page.Url) && v.StartsWith("script-src refused eval (", StringComparison.Ordinal))).ToList();
        Assert.True(seen.Count == 0, $"{page.Url}: " + string.Join("\n", seen));
    }

    /// <summary>
    /// The one refusal we expect: Scalar's bundled Zod probes <c>Function('')</c> once to choose its faster validators and
    /// falls back when eval is refused (ApiDocsPageTests shows the reference working). The policy keeps eval refused.
    /// </summary>
    private static bool IsApiDocs(string? url) => url is not null && new Uri(url).AbsolutePath.StartsWith("/api/docs", StringComparison.Ordinal);
}
