using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Platform.Api;

namespace Shequn.Tests.Platform;

/// <summary>
/// A required route or query value that does not parse takes the exception path (<c>ThrowOnBadRequest</c>), not the
/// status-code page that names optional ones (<see cref="ApiErrorTests"/>). No endpoint of the app has a required enum
/// today, so these run the app's exception handler in a pipeline of their own with such endpoints.
/// </summary>
public sealed class RequiredValueBindingTests
{
    public enum Shade
    {
        Light,
        Dark,
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/shades/purple", "'shade' is \"purple\": expected one of \"Light\", \"Dark\".")]
    [InlineData("/paint?shade=purple", "'shade' is \"purple\": expected one of \"Light\", \"Dark\".")]
    [InlineData("/paint?shade=Dark&coats=two", "'coats' is \"two\": expected a whole number.")]
    [InlineData("/paint", "'shade' is required.")]
    public async Task RequiredValue_NotReadable_IsNamedWithWhatIsExpected(string url, string expected)
    {
        await using var app = await StartAsync();
        using var client = app.GetTestClient();

        var response = await client.GetAsync(url, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(expected, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task RequiredValues_Readable_ReachTheHandler()
    {
        await using var app = await StartAsync();
        using var client = app.GetTestClient();

        Assert.Equal("Dark", await client.GetStringAsync("/shades/Dark", Ct));
        Assert.Equal("Light×3", await client.GetStringAsync("/paint?shade=Light&coats=3", Ct));
    }

    private static async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapGet("/shades/{shade}", (Shade shade) => shade.ToString());
        app.MapGet("/paint", (Shade shade, int? coats) => $"{shade}×{coats ?? 1}");
        await app.StartAsync(Ct);
        return app;
    }
}
