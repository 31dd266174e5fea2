using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;

namespace Shequn.Platform.Auth;

/// <summary>
/// The sign-in and antiforgery cookies (docs/security.md, "Cookies"). Over HTTPS (directly or through a proxy whose
/// X-Forwarded-Proto is trusted) they are named <c>__Host-…</c> and sent Secure, so no subdomain and no plain-http page
/// can set or read them. Over plain http (the demo, a LAN trial, the tests) they keep the bare name and are not Secure:
/// Chromium would take Secure cookies from http://localhost, but Safari and other clients do not, and a sign-in that
/// silently fails there helps nobody. Both are HttpOnly; the sign-in cookie is SameSite=Lax (a link from WeCom or an
/// e-mail into a console page must arrive signed in), the antiforgery cookie Strict (only our own forms post it).
/// </summary>
public static class HostCookies
{
    public const string Prefix = "__Host-";
    public const string SignIn = "shequn.auth";
    public const string Antiforgery = "shequn.af";

    public static IServiceCollection AddShequnHostCookies(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<IHttpContextAccessor>((o, http) => o.Cookie = new HostCookieBuilder(http, SignIn, SameSiteMode.Lax));
        services.AddOptions<AntiforgeryOptions>()
            .Configure<IHttpContextAccessor>((o, http) => o.Cookie = new HostCookieBuilder(http, Antiforgery, SameSiteMode.Strict));
        return services;
    }

    /// <summary>The name a cookie has on this request.</summary>
    public static string NameFor(HttpRequest request, string name) => request.IsHttps ? Prefix + name : name;
}

/// <summary>
/// A cookie whose name and Secure flag follow the request's scheme. The handlers ask for <see cref="Name"/> on every
/// request (to read and to write), so the name is taken from the request being served.
/// </summary>
internal sealed class HostCookieBuilder : CookieBuilder
{
    private readonly IHttpContextAccessor _http;

    public HostCookieBuilder(IHttpContextAccessor http, string name, SameSiteMode sameSite)
    {
        _http = http;
        base.Name = name;
        // __Host- requires Path=/ and no Domain.
        Path = "/";
        HttpOnly = true;
        IsEssential = true;
        SameSite = sameSite;
        SecurePolicy = CookieSecurePolicy.SameAsRequest;
    }

    public override string? Name
    {
        get => _http.HttpContext?.Request is { } request ? HostCookies.NameFor(request, base.Name!) : base.Name;
        set => base.Name = value;
    }
}
