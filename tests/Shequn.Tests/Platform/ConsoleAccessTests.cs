using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Staff;
using Shequn.Platform.Localization;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>Sign-in, first-run setup, language choice and the public endpoints, over HTTP as a browser would.</summary>
public abstract partial class ConsoleAccessTests(ShequnFactory factory)
{
    private HttpClient Browser() => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(page, TestContext.Current.CancellationToken);
        var match = AntiforgeryField().Match(html);
        Assert.True(match.Success, "No antiforgery field on " + page);
        return match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string page, string action, Dictionary<string, string> fields)
    {
        fields["__RequestVerificationToken"] = await AntiforgeryTokenAsync(client, page);
        using var form = new FormUrlEncodedContent(fields);
        return await client.PostAsync(action, form, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Health_DatabaseReachable_Returns200()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var response = await factory.CreateClient().GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_Document_ListsCommunityEndpoints()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var json = await factory.CreateClient().GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Contains("\"/api/communities\"", json, StringComparison.Ordinal);
        var docs = await Browser().GetAsync("/api/docs/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }

    [Fact]
    public async Task ConsolePage_Anonymous_RedirectsToLogin()
    {
        await factory.NewWorkspaceAsync();
        var response = await Browser().GetAsync("/communities", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_ChineseByDefault_AndWrongPasswordIsRefused()
    {
        var ws = await factory.NewWorkspaceAsync();
        var client = Browser();
        var page = await client.GetStringAsync("/login", TestContext.Current.CancellationToken);
        Assert.Contains("登录", page, StringComparison.Ordinal);

        var bad = await PostFormAsync(client, "/login", "/account/login", new() { ["email"] = ws.Owner.Email, ["password"] = "wrong-password-1" });
        Assert.Contains("error=1", bad.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Login_ThenSwitchToEnglish_IsRememberedForTheUser()
    {
        var ws = await factory.NewWorkspaceAsync();
        var client = Browser();
        var ok = await PostFormAsync(client, "/login", "/account/login", new() { ["email"] = ws.Owner.Email, ["password"] = TestStaff.Password, ["returnUrl"] = "/communities" });
        Assert.Equal("/communities", ok.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/communities", TestContext.Current.CancellationToken)).StatusCode);

        await client.GetAsync("/culture?c=en&returnUrl=/", TestContext.Current.CancellationToken);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var user = await db.Users.SingleAsync(u => u.Id == ws.Owner.Id, TestContext.Current.CancellationToken);
            Assert.Equal(Cultures.English, user.Culture);
        }

        // A new browser (no culture cookie) gets English back at sign-in.
        var fresh = Browser();
        var login = await PostFormAsync(fresh, "/login", "/account/login", new() { ["email"] = ws.Owner.Email, ["password"] = TestStaff.Password });
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.Contains("c%3Den", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Passwords_AreStoredHashed()
    {
        var ws = await factory.NewWorkspaceAsync();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var user = await db.Users.SingleAsync(u => u.Id == ws.Owner.Id, TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(user.PasswordHash));
        Assert.DoesNotContain(TestStaff.Password, user.PasswordHash, StringComparison.Ordinal);
        db.Current.ActAsSystem(ws.Id);
        Assert.DoesNotContain(await db.AuditEntries.Select(a => a.After ?? "").ToListAsync(TestContext.Current.CancellationToken),
            a => a.Contains(user.PasswordHash!, StringComparison.Ordinal));
    }

    [GeneratedRegex("""name="__RequestVerificationToken" type="hidden" value="([^"]+)"|type="hidden" name="__RequestVerificationToken" value="([^"]+)""")]
    private static partial Regex AntiforgeryField();
}

public sealed class ConsoleAccessTests_Sqlite(SqliteFactory factory) : ConsoleAccessTests(factory), IClassFixture<SqliteFactory>;

public sealed class ConsoleAccessTests_Postgres(PostgresFactory factory) : ConsoleAccessTests(factory), IClassFixture<PostgresFactory>;
