using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Staff;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>First run on an empty database: the setup page makes the workspace and its owner; no default password exists.</summary>
public abstract partial class SetupTests(ShequnFactory factory)
{
    [Fact]
    public async Task Setup_EmptyDatabase_CreatesWorkspaceAndOwnerOnce()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        var first = await client.GetAsync("/", ct);
        Assert.Equal("/setup", first.Headers.Location!.ToString());

        async Task<HttpResponseMessage> Submit(string password)
        {
            var html = await client.GetStringAsync("/setup", ct);
            var token = Token().Match(html).Groups[1].Value;
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token, ["workspace"] = "健康优选", ["displayName"] = "王总",
                ["email"] = "boss@brand.example", ["password"] = password,
            });
            return await client.PostAsync("/setup", form, ct);
        }

        var weak = await Submit("short");
        Assert.Equal("/setup?error=Password", weak.Headers.Location!.ToString());
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            Assert.False(await db.Workspaces.AnyAsync(ct));
            Assert.False(await db.Users.AnyAsync(ct));
        }

        var ok = await Submit("a-strong-password-1");
        Assert.Equal("/", ok.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/communities", ct)).StatusCode);

        var again = await Submit("another-password-2");
        Assert.Equal("/login", again.Headers.Location!.ToString());
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var ws = await db.Workspaces.SingleAsync(ct);
            var owner = await db.Users.SingleAsync(ct);
            Assert.Equal("健康优选", ws.Name);
            Assert.Equal(ws.Id, owner.WorkspaceId);
            Assert.Equal(StaffRole.Owner, owner.Role);
        }
    }

    [GeneratedRegex("""type="hidden" name="__RequestVerificationToken" value="([^"]+)""")]
    private static partial Regex Token();
}

public sealed class SetupTests_Sqlite(SqliteFactory factory) : SetupTests(factory), IClassFixture<SqliteFactory>;

public sealed class SetupTests_Postgres(PostgresFactory factory) : SetupTests(factory), IClassFixture<PostgresFactory>;
