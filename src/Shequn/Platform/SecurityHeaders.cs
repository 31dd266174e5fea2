using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Shequn.Platform;

/// <summary>Section <c>Security:Headers</c>.</summary>
public sealed class SecurityHeaderOptions
{
    public const string Section = "Security:Headers";

    /// <summary>
    /// On unless configuration says <c>false</c>. Off only to measure what the headers cost (<c>./bench.sh webhook</c> and
    /// <c>livecode</c> run a server with them off beside one with them on); a server started with them off logs a
    /// warning at every start (<see cref="SecuritySwitches"/>).
    /// </summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Response headers on every answer: console pages, the public H5 pages, the REST API, files and exports
/// (docs/security.md, "Response headers"). One place, so that no endpoint can forget them.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// Scripts only from the app's own files (no inline script, no eval); styles may be inline because MudBlazor and our
    /// pages set style attributes; images also as data: URLs (thumbnails, the QR logo); Blazor's WebSocket is same-origin.
    /// No form-action: the live-code landing page posts a form that redirects to the platform's join link on another host.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

    /// <summary>
    /// Every answer that is not a page (JSON, an empty 200 to a platform's webhook, a redirect, a file, an export): nothing
    /// in it may load or run anything, should a browser ever show it as a document, and nothing may frame it. Stricter than
    /// the pages' policy, and a sixth of its length on answers that are mostly small.
    /// </summary>
    public const string ResourceContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>
    /// The API reference (Scalar, /api/docs) starts itself with an inline script; it shows the public API description
    /// only, no workspace data, so it alone may run inline script.
    /// </summary>
    public const string ApiDocsContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

    /// <summary>One year, as HSTS preload lists and audits expect; subdomains are left out because a workspace's domain
    /// may have plain-http neighbours we do not control.</summary>
    public const string StrictTransportSecurity = "max-age=31536000";

    /// <summary>Personal links carry tokens in their path or query (/p/{token}, /c/{slug}?m=…): other sites get no referrer.</summary>
    public const string ReferrerPolicy = "same-origin";

    public static WebApplicationBuilder AddShequnSecurityHeaders(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        builder.Services.AddOptions<SecurityHeaderOptions>().BindConfiguration(SecurityHeaderOptions.Section);
        return builder;
    }

    /// <summary>
    /// Must run before routing: short-circuited endpoints (/j/{code}) skip every middleware after it. Not added at all
    /// when <c>Security:Headers:Enabled</c> is false (the benchmarks' baseline; <see cref="SecuritySwitches"/> warns).
    /// </summary>
    public static IApplicationBuilder UseShequnSecurityHeaders(this IApplicationBuilder app)
    {
        if (!app.ApplicationServices.GetRequiredService<IOptions<SecurityHeaderOptions>>().Value.Enabled)
            return app;
        return app.Use((ctx, next) =>
        {
            // Decided when the answer starts, from what it turned out to be: an error page or a file is known only then,
            // and the exception handler clears headers set earlier.
            ctx.Response.OnStarting(static state => Apply((HttpContext)state), ctx);
            return next(ctx);
        });
    }

    private static Task Apply(HttpContext ctx)
    {
        var request = ctx.Request;
        var headers = ctx.Response.Headers;
        headers.Remove(HeaderNames.Server);
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = ReferrerPolicy;
        if (IsDocument(ctx.Response.ContentType))
        {
            headers.ContentSecurityPolicy = request.Path.StartsWithSegments("/api/docs") ? ApiDocsContentSecurityPolicy : ContentSecurityPolicy;
            // frame-ancestors for older in-app browsers. Only a document can be framed to any effect, so the other answers
            // (most of them small: a webhook's empty 200, a redirect) go without it.
            headers.XFrameOptions = "DENY";
        }
        else
        {
            headers.ContentSecurityPolicy = ResourceContentSecurityPolicy;
        }
        if (request.IsHttps && !IsLoopback(request.Host))
            headers.StrictTransportSecurity = StrictTransportSecurity;

        // A download (every export, a member's personal data) must not stay in a browser's or a proxy's cache.
        if (IsDownload(headers))
            headers.CacheControl = "no-store";
        // API answers are per staff member and mostly personal data; an endpoint that wants caching says so itself.
        else if (request.Path.StartsWithSegments("/api") && string.IsNullOrEmpty(headers.CacheControl))
            headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }

    /// <summary>
    /// What a browser renders as a page with the app's own scripts and styles: HTML, and SVG (a QR poster opened on its
    /// own draws with its style attributes and embedded logo).
    /// </summary>
    internal static bool IsDocument(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) || contentType.StartsWith("image/svg+xml", StringComparison.OrdinalIgnoreCase));

    private static bool IsDownload(IHeaderDictionary headers) =>
        headers.ContentDisposition.ToString().StartsWith("attachment", StringComparison.OrdinalIgnoreCase);

    /// <summary>As ASP.NET Core's own HSTS middleware: a developer's https://localhost must not be pinned in her browser.</summary>
    internal static bool IsLoopback(HostString host) =>
        string.Equals(host.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
