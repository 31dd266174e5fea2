using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Features.Staff;
using Shequn.Platform.Auth;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// A console cookie minted before a demotion or a deactivation stops working once the security stamp is next checked
/// (Security:SessionValidationInterval, one minute), measured on the host's clock, which these tests move.
/// </summary>
public abstract class SessionStampTests(ShequnFactory factory, ManualClock clock)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TestWorkspace Ws, TestStaff Admin, HttpClient Browser)> SignedInAdminAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);
        var browser = factory.Browser();
        Assert.Equal("/", (await ConsoleBrowser.SignInAsync(browser, admin.Email, TestStaff.Password)).Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/communities", Ct)).StatusCode);
        // Past one validation interval with nothing changed: the stamp still matches and the session goes on.
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/communities", Ct)).StatusCode);
        return (ws, admin, browser);
    }

    private static void AssertSentToLogin(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demotion_CookieMintedBefore_IsRejectedWithinAMinute()
    {
        var (ws, admin, browser) = await SignedInAdminAsync();

        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/staff/{admin.Id}", new { role = "operator" })).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(61));

        AssertSentToLogin(await browser.GetAsync("/communities", Ct));
        // Signing in again gives a session of the new role.
        Assert.Equal("/", (await ConsoleBrowser.SignInAsync(browser, admin.Email, TestStaff.Password)).Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/communities", Ct)).StatusCode);
    }

    [Fact]
    public async Task Deactivation_CookieMintedBefore_IsRejectedWithinAMinute()
    {
        var (ws, admin, browser) = await SignedInAdminAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/staff/{admin.Id}", Ct)).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(61));

        AssertSentToLogin(await browser.GetAsync("/communities", Ct));
        Assert.Contains("error=1", (await ConsoleBrowser.SignInAsync(browser, admin.Email, TestStaff.Password)).Headers.Location?.ToString() ?? "",
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demotion_OpenConsolePage_FailsItsNextRevalidation()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);
        ClaimsPrincipal principal;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
            principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<StaffUser>>()
                .CreateAsync((await users.FindByIdAsync(admin.Id.ToString()))!);
        }
        // The provider an interactive circuit gets.
        await using var circuit = factory.Services.CreateAsyncScope();
        var provider = Assert.IsType<StaffSessionRevalidation>(circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
        Assert.True(await provider.IsStillValidAsync(principal));

        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/staff/{admin.Id}", new { role = "operator" })).StatusCode);

        Assert.False(await provider.IsStillValidAsync(principal));
    }

    [Fact]
    public async Task DisplayNameChange_CookieMintedBefore_StaysValid()
    {
        var (ws, admin, browser) = await SignedInAdminAsync();

        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/staff/{admin.Id}", new { displayName = "新名字" })).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/communities", Ct)).StatusCode);
    }
}

/// <summary>The host's clock, moved by the test; timers still run on real time.</summary>
public sealed class ManualClock : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
            _now += by;
    }
}

public sealed class StampSqliteFactory : SqliteFactory
{
    public ManualClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
    }
}

public sealed class StampPostgresFactory : PostgresFactory
{
    public ManualClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
    }
}

public sealed class SessionStampTests_Sqlite(StampSqliteFactory factory) : SessionStampTests(factory, factory.Clock), IClassFixture<StampSqliteFactory>;

public sealed class SessionStampTests_Postgres(StampPostgresFactory factory) : SessionStampTests(factory, factory.Clock), IClassFixture<StampPostgresFactory>;
