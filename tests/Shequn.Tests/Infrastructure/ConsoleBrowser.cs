using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Shequn.Tests.Infrastructure;

/// <summary>The console as a browser sees it: cookies kept, redirects not followed, forms posted with their antiforgery token.</summary>
public static partial class ConsoleBrowser
{
    public static HttpClient Browser(this ShequnFactory factory) =>
        factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string page = "/login")
    {
        var html = await client.GetStringAsync(page, TestContext.Current.CancellationToken);
        var match = AntiforgeryField().Match(html);
        Assert.True(match.Success, "No antiforgery field on " + page);
        return match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
    }

    /// <summary>Posts the sign-in form; <paramref name="antiforgery"/> is fetched from /login when not given.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password, string? antiforgery = null,
        string? forwardedFor = null)
    {
        antiforgery ??= await AntiforgeryTokenAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = email, ["password"] = password, ["__RequestVerificationToken"] = antiforgery,
            }),
        };
        if (forwardedFor is not null)
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Whether a response is the console letting the browser in (not a redirect to /login).</summary>
    public static bool IsSignedIn(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.OK;

    /// <summary>
    /// Test servers leave the client address empty; this makes it loopback, as behind a local proxy, so that
    /// X-Forwarded-For is honoured the way the livecode bench's loopback client is.
    /// </summary>
    public static IWebHostBuilder FromLoopback(this IWebHostBuilder builder) =>
        builder.ConfigureServices(s => s.AddTransient<IStartupFilter, LoopbackClients>());

    private sealed class LoopbackClients : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((ctx, n) =>
            {
                ctx.Connection.RemoteIpAddress ??= IPAddress.Loopback;
                return n(ctx);
            });
            next(app);
        };
    }

    [GeneratedRegex("""name="__RequestVerificationToken" type="hidden" value="([^"]+)"|type="hidden" name="__RequestVerificationToken" value="([^"]+)""")]
    private static partial Regex AntiforgeryField();
}
