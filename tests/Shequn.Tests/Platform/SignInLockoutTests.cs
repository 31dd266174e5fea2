using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>Identity's lockout on wrong passwords, measured over HTTP with a short lockout (Security:Lockout).</summary>
public abstract class SignInLockoutTests(ShequnFactory factory)
{
    public const int Attempts = 3;
    public static readonly TimeSpan Lockout = TimeSpan.FromSeconds(4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Security:Lockout:MaxFailedAccessAttempts", Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Security:Lockout:DefaultLockoutTimeSpan", Lockout.ToString());
    }

    private async Task<(int Failed, DateTimeOffset? LockoutEnd)> StateAsync(Guid userId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var user = await db.Users.IgnoreQueryFilters().AsNoTracking().SingleAsync(u => u.Id == userId, Ct);
        return (user.AccessFailedCount, user.LockoutEnd);
    }

    private static string Location(HttpResponseMessage r) => r.Headers.Location?.ToString() ?? $"(no redirect: {(int)r.StatusCode})";

    [Fact]
    public async Task SignIn_WrongPasswordNTimes_LocksAndRefusesTheRightPasswordUntilTheLockoutEnds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var browser = factory.Browser();
        var antiforgery = await ConsoleBrowser.AntiforgeryTokenAsync(browser);

        for (var i = 1; i < Attempts; i++)
        {
            var wrong = await ConsoleBrowser.SignInAsync(browser, ws.Owner.Email, "wrong-password-" + i, antiforgery);
            Assert.Contains("error=1", Location(wrong), StringComparison.Ordinal);
        }
        Assert.Equal((Attempts - 1, (DateTimeOffset?)null), await StateAsync(ws.Owner.Id));

        var before = DateTimeOffset.UtcNow;
        var last = await ConsoleBrowser.SignInAsync(browser, ws.Owner.Email, "wrong-password-last", antiforgery);
        Assert.Contains("error=locked", Location(last), StringComparison.Ordinal);
        var end = (await StateAsync(ws.Owner.Id)).LockoutEnd;
        Assert.NotNull(end);
        Assert.InRange(end.Value, before + Lockout - TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow + Lockout + TimeSpan.FromSeconds(1));

        // The right password, tried every 300 ms: refused while locked, accepted once the lockout has ended.
        var refused = 0;
        while (true)
        {
            var attemptAt = DateTimeOffset.UtcNow;
            var right = await ConsoleBrowser.SignInAsync(browser, ws.Owner.Email, TestStaff.Password, antiforgery);
            var doneAt = DateTimeOffset.UtcNow;
            if (Location(right).Contains("error=locked", StringComparison.Ordinal))
            {
                Assert.True(attemptAt < end.Value + TimeSpan.FromSeconds(1), $"still locked at {attemptAt:O}, lockout ended {end:O}");
                Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/communities", Ct)).StatusCode);
                refused++;
                await Task.Delay(300, Ct);
                continue;
            }
            Assert.Equal("/", Location(right));
            Assert.True(doneAt >= end.Value, $"signed in at {doneAt:O} before the lockout ended {end:O}");
            break;
        }
        Assert.True(refused >= 3, $"only {refused} refusals during a {Lockout.TotalSeconds} s lockout");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/communities", Ct)).StatusCode);
        Assert.Equal(0, (await StateAsync(ws.Owner.Id)).Failed);
    }

    [Fact]
    public async Task LoginPage_LockedAccount_SaysSoInChineseAndEnglish()
    {
        await factory.NewWorkspaceAsync();
        var browser = factory.Browser();

        var zh = await browser.GetStringAsync("/login?error=locked", Ct);
        Assert.Contains("已被暂时锁定", zh, StringComparison.Ordinal);
        Assert.DoesNotContain("邮箱或密码不正确", zh, StringComparison.Ordinal);
        Assert.Contains("邮箱或密码不正确", await browser.GetStringAsync("/login?error=1", Ct), StringComparison.Ordinal);

        await browser.GetAsync("/culture?c=en&returnUrl=/login", Ct);
        var en = await browser.GetStringAsync("/login?error=locked", Ct);
        Assert.Contains("this account is locked for a while", en, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_LockedAccountOfAnotherWorkspaceMember_DoesNotLockTheOthers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var other = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Admin);
        var browser = factory.Browser();
        var antiforgery = await ConsoleBrowser.AntiforgeryTokenAsync(browser);
        for (var i = 0; i < Attempts; i++)
            await ConsoleBrowser.SignInAsync(browser, ws.Owner.Email, "wrong-password-" + i, antiforgery);

        var right = await ConsoleBrowser.SignInAsync(factory.Browser(), other.Email, TestStaff.Password);

        Assert.Equal("/", Location(right));
    }
}

public sealed class LockoutSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        SignInLockoutTests.Configure(builder);
    }
}

public sealed class LockoutPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        SignInLockoutTests.Configure(builder);
    }
}

public sealed class SignInLockoutTests_Sqlite(LockoutSqliteFactory factory) : SignInLockoutTests(factory), IClassFixture<LockoutSqliteFactory>;

public sealed class SignInLockoutTests_Postgres(LockoutPostgresFactory factory) : SignInLockoutTests(factory), IClassFixture<LockoutPostgresFactory>;
