using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform;

namespace Shequn.Features.Demo;

/// <summary>
/// `--demo`: a deterministic health-food brand workspace (seed 004). Created once; later runs only
/// print the sign-in. The owner's password and the API token are derived from a secret kept in the
/// data directory, so they can be printed again without being stored in clear text, and no two
/// installations share them.
/// </summary>
public static class DemoWorkspace
{
    public const string WorkspaceName = "健康优选 (demo)";
    public const string OwnerEmail = "owner@demo.shequn.local";

    public static async Task EnsureAndPrintAsync(IServiceProvider services, TextWriter output, CancellationToken ct = default)
    {
        var dataDir = DataDirectory.Resolve(services.GetRequiredService<IConfiguration>());
        var secret = LoadOrCreateSecret(dataDir);
        var password = Derive(secret, "owner-password", 12) + "a1";
        var token = ApiToken.Scheme + Derive(secret, "api-token", 43);
        var staffPassword = Derive(secret, "staff-password", 12) + "b2";

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var workspace = await db.Workspaces.SingleOrDefaultAsync(w => w.Name == WorkspaceName, ct);
        if (workspace is null)
        {
            // One transaction for the whole demo: a run that fails half-way leaves no workspace behind,
            // so the next run seeds again instead of finding a half-filled demo and skipping it.
            var started = Stopwatch.GetTimestamp();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var founded = DateTime.UtcNow.AddDays(-DemoPlan.HistoryDays - 2);
            workspace = new Workspace { Name = WorkspaceName, CreatedAt = founded };
            db.Workspaces.Add(workspace);
            await db.SaveChangesAsync(ct);
            db.Current.ActAsSystem(workspace.Id);
            var owner = new StaffUser
            {
                WorkspaceId = workspace.Id, UserName = OwnerEmail, Email = OwnerEmail, DisplayName = "王总",
                Role = StaffRole.Owner, EmailConfirmed = true, CreatedAt = founded,
            };
            var created = await users.CreateAsync(owner, password);
            if (!created.Succeeded)
                throw new InvalidOperationException("Demo owner could not be created: " + string.Join("; ", created.Errors.Select(e => e.Description)));
            db.ApiTokens.Add(ApiToken.Issue(workspace.Id, owner.Id, "demo", token));
            await db.SaveChangesAsync(ct);
            await DemoData.SeedAsync(db, users, workspace.Id, staffPassword, ct);
            await DemoTasks.SeedAsync(db, scope.ServiceProvider.GetRequiredService<Tasks.TaskOpener>(), workspace.Id, owner.Id, DateTime.UtcNow, ct);
            await tx.CommitAsync(ct);
            await output.WriteLineAsync($"Created the demo workspace in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s.");
        }
        await DemoRuleSets.EnsureAsync(services, workspace.Id, ct);
        await DemoHistory.EnsureAsync(services, workspace.Id, output, ct);
        await DemoCases.EnsureAsync(services, workspace.Id, ct);
        await DemoMemberOps.EnsureAsync(services, workspace.Id, ct);
        await DemoCalendar.EnsureAsync(services, workspace.Id, ct);
        await DemoCampaigns.EnsureAsync(services, workspace.Id, ct);
        await DemoAcquisition.EnsureAsync(services, workspace.Id, ct);
        await DemoBudget.EnsureAsync(services, workspace.Id, ct);
        await DemoOrders.EnsureAsync(services, workspace.Id, ct);
        services.GetRequiredService<SetupState>().WorkspaceExists = true;

        await output.WriteLineAsync($"""

            Shequn demo workspace: {WorkspaceName}
              sign in:   {OwnerEmail}
              password:  {password}
              API token: {token}
              (try: curl -H "Authorization: Bearer {token}" {ApiAddress(services)}/api/communities)
              other staff, to see what each role sees (password {staffPassword}):
            {StaffList()}

            """);
    }

    /// <summary>
    /// Where the API answers: the addresses the server listens on once started, before that the configured ones
    /// (--urls, ASPNETCORE_URLS, the localhost:5000 default). A wildcard host is reached as localhost.
    /// </summary>
    internal static string ApiAddress(IServiceProvider services)
    {
        var listening = services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
        var configured = services.GetRequiredService<IConfiguration>()["urls"];
        var address = listening?.FirstOrDefault()
            ?? configured?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
            ?? "http://localhost:5000";
        if (!Uri.TryCreate(address.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            return address.TrimEnd('/');
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri.GetLeftPart(UriPartial.Authority);
    }

    private static string StaffList() =>
        string.Join(Environment.NewLine, DemoData.StaffAccounts.Select(s => $"    {s.Email,-32} {s.Role,-9} {s.DisplayName}"));

    private static byte[] LoadOrCreateSecret(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, "demo.secret");
        if (!File.Exists(path))
            File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(32));
        return File.ReadAllBytes(path);
    }

    private static string Derive(byte[] secret, string purpose, int length) =>
        ApiToken.Base64Url(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(purpose)))[..length];
}
