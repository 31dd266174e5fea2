using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Staff;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.ApiTokens;

/// <summary>A token acts with its maker's role at each call and stops at once when revoked, expired or its maker is deactivated.</summary>
public abstract class ApiTokenLifetimeTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> DetailOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? "";
    }

    [Fact]
    public async Task Demotion_CreatorsToken_IsForbiddenOnTheNextCall()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.Api.GetAsync("/api/tokens", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.Api.GetAsync("/api/staff", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/staff/{admin.Id}", new { role = "koc" })).StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.GetAsync("/api/tokens", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.GetAsync("/api/staff", Ct)).StatusCode);
    }

    [Fact]
    public async Task Deactivation_CreatorsToken_Gets401NamingTheReason()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator);
        Assert.Equal(HttpStatusCode.OK, (await op.Api.GetAsync("/api/communities", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/staff/{op.Id}", Ct)).StatusCode);

        var refused = await op.Api.GetAsync("/api/communities", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("deactivated", await DetailOf(refused), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_Token_Gets401NamingTheReasonOnTheNextCall()
    {
        var ws = await factory.NewWorkspaceAsync();
        var created = await (await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = "to revoke" })).ReadAsync<ApiTokenDto>();
        using var client = factory.ClientWithToken(created.Secret!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/communities", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/tokens/{created.Id}", Ct)).StatusCode);

        var refused = await client.GetAsync("/api/communities", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("revoked", await DetailOf(refused), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expiry_TokenPastItsExpiry_Gets401NamingTheExpiry()
    {
        var ws = await factory.NewWorkspaceAsync();
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        var created = await (await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = "short-lived", expiresAt = expires })).ReadAsync<ApiTokenDto>();
        Assert.NotNull(created.ExpiresAt);
        Assert.InRange(created.ExpiresAt.Value, expires.UtcDateTime.AddSeconds(-1), expires.UtcDateTime.AddSeconds(1));
        using var client = factory.ClientWithToken(created.Secret!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/communities", Ct)).StatusCode);

        // An hour later, as far as the token is concerned.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.ApiTokens.IgnoreQueryFilters().Where(t => t.Id == created.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)), Ct);
        }

        var refused = await client.GetAsync("/api/communities", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("expired", await DetailOf(refused), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.GetAsync("/api/communities", Ct)).StatusCode);
    }

    [Fact]
    public async Task Create_ExpiryInThePast_Returns400NamingExpiresAt()
    {
        var ws = await factory.NewWorkspaceAsync();

        var response = await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = "already over", expiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });

        Assert.Contains("expiresAt", (await response.ReadValidationErrorsAsync()).Keys);
    }

    [Fact]
    public async Task CookieOnly_ApiCall_Gets401()
    {
        var ws = await factory.NewWorkspaceAsync();
        var browser = factory.Browser();
        Assert.Equal("/", (await ConsoleBrowser.SignInAsync(browser, ws.Owner.Email, TestStaff.Password)).Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/communities", Ct)).StatusCode);

        var api = await browser.GetAsync("/api/communities", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/tokens", Ct)).StatusCode);
    }

    [Fact]
    public void NewSecret_Carries256RandomBits()
    {
        var a = ApiToken.NewSecret();
        var b = ApiToken.NewSecret();

        Assert.NotEqual(a, b);
        Assert.StartsWith(ApiToken.Scheme, a, StringComparison.Ordinal);
        // 32 bytes in unpadded base64url: 43 characters of 6 bits.
        Assert.Equal(ApiToken.Scheme.Length + 43, a.Length);
        Assert.Equal(64, ApiToken.HashOf(a).Length);
    }
}

public sealed class ApiTokenLifetimeTests_Sqlite(SqliteFactory factory) : ApiTokenLifetimeTests(factory), IClassFixture<SqliteFactory>;

public sealed class ApiTokenLifetimeTests_Postgres(PostgresFactory factory) : ApiTokenLifetimeTests(factory), IClassFixture<PostgresFactory>;
