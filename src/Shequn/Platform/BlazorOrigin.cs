using Microsoft.Net.Http.Headers;

namespace Shequn.Platform;

/// <summary>
/// The console's live connection (<c>/_blazor</c>: negotiate, WebSocket, long polling) is opened only from the console's
/// own pages. A browser sends the page's <c>Origin</c> with each of those requests, and the signed-in cookie goes along
/// (SameSite=Lax lets a top-level WebSocket from a foreign page carry it): a foreign origin, or the opaque origin
/// <c>null</c>, gets 403 before the hub sees the request. Requests without an Origin come from no browser page and carry
/// no one's session by accident. Same origin means the scheme, host and port the request was made to (after the
/// forwarded headers), or one listed in <c>Security:AllowedOrigins</c> (a console behind a second domain).
/// </summary>
public static class BlazorOrigin
{
    public static IApplicationBuilder UseBlazorOriginCheck(this IApplicationBuilder app)
    {
        var allowed = app.ApplicationServices.GetRequiredService<IConfiguration>().GetSection("Security:AllowedOrigins").Get<string[]>() ?? [];
        var extra = allowed.Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return app.Use((ctx, next) =>
        {
            if (ctx.Request.Path.StartsWithSegments("/_blazor") && ctx.Request.Headers.TryGetValue(HeaderNames.Origin, out var origin)
                && !IsAllowed(origin.ToString(), ctx.Request, extra))
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
            return next(ctx);
        });
    }

    /// <summary>Whether <paramref name="origin"/> is the request's own scheme, host and port, or one of <paramref name="extra"/>.</summary>
    public static bool IsAllowed(string origin, HttpRequest request, IReadOnlySet<string> extra)
    {
        if (extra.Contains(origin.TrimEnd('/')))
            return true;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
            return false;
        var host = request.Host;
        if (!host.HasValue)
            return false;
        var port = host.Port ?? (string.Equals(request.Scheme, "https", StringComparison.OrdinalIgnoreCase) ? 443 : 80);
        return string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Host, host.Host, StringComparison.OrdinalIgnoreCase)
            && uri.Port == port;
    }
}
