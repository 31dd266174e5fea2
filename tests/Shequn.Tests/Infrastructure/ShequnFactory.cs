using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;

namespace Shequn.Tests.Infrastructure;

/// <summary>
/// The whole app over HTTP on a real database. One database per test class; each test makes its own
/// workspaces, so tests never see each other's data.
/// </summary>
public abstract class ShequnFactory : WebApplicationFactory<Program>
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "shequn-tests", Guid.NewGuid().ToString("N"));

    public abstract DatabaseProvider Provider { get; }

    /// <summary>The app's data folder (its SQLite database, the key-encryption secret, the demo's secret).</summary>
    internal string DataDirectory => _dataDir;

    /// <summary>Keeps the data folder and the database when disposed: the demo template is made by a factory like this.</summary>
    internal bool KeepData { get; init; }

    /// <summary>Whether this factory starts from a copy of the seeded demo (<see cref="DemoTemplates"/>) instead of an empty database.</summary>
    protected virtual bool StartsFromDemo => false;

    /// <summary>Why this provider cannot run here, or null.</summary>
    public virtual string? Unavailable => null;

    protected abstract string ConnectionString { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("data-dir", _dataDir);
        if (StartsFromDemo)
            DemoTemplates.CopyInto(this);
        // A copy of the migrated template (TestDatabases): the app's startup finds its migrations applied.
        if (Provider == DatabaseProvider.Sqlite && ConnectionString.Length == 0 && !File.Exists(Path.Combine(_dataDir, "shequn.db")))
            TestDatabases.CopySqliteTemplate(Path.Combine(_dataDir, "shequn.db"));
        builder.UseSetting("Database:Provider", Provider.ToString());
        builder.UseSetting("Database:ConnectionString", ConnectionString);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // Group rules act on messages (delete, warn, remove); tests of other features post freely. Enforcement tests switch it on.
        builder.UseSetting("Enforcement:Enabled", "false");
        // Members' stages are computed when a test asks (MemberLifecycle.RunAsync), not by the hourly job.
        builder.UseSetting("Lifecycle:Enabled", "false");
        // Likewise the time-based auto-tag rules: evaluated when a test asks (AutoTagJob.RunAsync).
        builder.UseSetting("AutoTags:RunDaily", "false");
        // The joining ritual greets every join (welcome, tasks); tests of other features join people freely. Ritual tests switch it on.
        builder.UseSetting("Ritual:Enabled", "false");
        // Friend adds are planned when a test asks (POST /api/friend-adds/plan), not by the job.
        builder.UseSetting("FriendAdds:Enabled", "false");
        // Live codes' upkeep (recounts, links, join_way, QR reminders) runs when a test asks (LiveCodeUpkeep.RunOnceAsync).
        builder.UseSetting("LiveCodes:UpkeepEnabled", "false");
        // Unmatched orders are retried when a test asks (OrderMatchJob.RunOnceAsync).
        builder.UseSetting("Orders:MatchEnabled", "false");
        // Old message ids of the interaction graph are forgotten when a test asks (InteractionPrune.RunOnceAsync).
        builder.UseSetting("Analytics:PruneEnabled", "false");
        builder.UseSetting("Advisor:NicknameRefreshEnabled", "false");
        // Retention passes and workspace purges run when a test asks (MessageRetention / WorkspacePurgeJob.RunOnceAsync).
        builder.UseSetting("Retention:Enabled", "false");
        builder.UseSetting("WorkspacePurge:Enabled", "false");
        // A pass finishes a purge at once (a second sweep finding nothing); WorkspacePurgeTests show the wait for late writes.
        builder.UseSetting("WorkspacePurge:Settle", "00:00:00");
        // The cohorts' outcomes are stored when a test asks (CohortSettle.RunOnceAsync); the report computes the rest.
        builder.UseSetting("Analytics:CohortSettleEnabled", "false");
        // The workspaces' complete days are stored when a test asks (WorkspaceDaySettle.RunOnceAsync); the overview counts the rest.
        builder.UseSetting("Analytics:WorkspaceDaysEnabled", "false");
        // Every test request comes from one (unknown) address: the rate limits stay on but out of reach. Their own tests
        // (Platform/RateLimitTests) set them low.
        foreach (var rule in new[] { "SignInPerAddress", "SignInPerAccount", "BearerFailuresPerAddress", "PublicPerAddress", "PublicPerPerson" })
            builder.UseSetting($"Security:RateLimits:{rule}:PermitLimit", "100000000");
    }

    /// <summary>A fresh workspace with an owner; skips the test when this provider is unavailable.</summary>
    public async Task<TestWorkspace> NewWorkspaceAsync(string? name = null)
    {
        if (Unavailable is { } reason)
            Assert.Skip(reason);
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ws = new Workspace { Name = name ?? "ws-" + Guid.NewGuid().ToString("N")[..8] };
        db.Workspaces.Add(ws);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        var workspace = new TestWorkspace(this, ws.Id);
        workspace.Owner = await workspace.AddStaffAsync(StaffRole.Owner, "Owner");
        return workspace;
    }

    public HttpClient ClientWithToken(string token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        if (!KeepData)
            try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}

public class SqliteFactory : ShequnFactory
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override string ConnectionString => "";
}

public class PostgresFactory : ShequnFactory
{
    private static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");
    private readonly string _database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    /// <summary>This factory's own database on the shared server.</summary>
    internal string Database => _database;

    internal static string? SharedServer => PgServer;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (PgServer is not null && !StartsFromDemo)
            TestDatabases.CreatePostgresFromTemplate(PgServer, _database);
        base.ConfigureWebHost(builder);
    }

    public override string? Unavailable =>
        PgServer is not null ? null
        : Environment.GetEnvironmentVariable("CI") == "true"
            ? throw new InvalidOperationException("CI=true but SHEQUN_TEST_PG is not set: PostgreSQL tests must run in CI (use ./test.sh).")
            : "PostgreSQL not available (run ./test.sh, which starts a throwaway server).";

    protected override string ConnectionString
    {
        get
        {
            if (PgServer is null)
                return "Host=127.0.0.1;Database=unavailable";
            var b = new NpgsqlConnectionStringBuilder(PgServer) { Database = _database };
            return b.ConnectionString;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        if (PgServer is not null && !KeepData)
            await TestDatabases.DropPostgresAsync(PgServer, _database);
    }
}

/// <summary>The app on a copy of the seeded demo workspace (SQLite): the demo is seeded once per test process, not per class.</summary>
public sealed class DemoSqliteFactory : SqliteFactory, IAsyncLifetime
{
    protected override bool StartsFromDemo => true;

    public async ValueTask InitializeAsync() => await DemoTemplates.EnsureAsync(Provider);
}

/// <summary>The app on a copy of the seeded demo workspace (PostgreSQL): the demo is seeded once per test process, not per class.</summary>
public sealed class DemoPostgresFactory : PostgresFactory, IAsyncLifetime
{
    protected override bool StartsFromDemo => true;

    public async ValueTask InitializeAsync()
    {
        if (Unavailable is null)
            await DemoTemplates.EnsureAsync(Provider);
    }
}

/// <summary>A workspace made for one test, with helpers to add staff (each with its own API token).</summary>
public sealed class TestWorkspace(ShequnFactory factory, Guid id)
{
    private static string? s_passwordHash;

    public Guid Id { get; } = id;
    public TestStaff Owner { get; set; } = null!;

    public async Task<TestStaff> AddStaffAsync(StaffRole role, string? name = null, params Guid[] communities)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(Id);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var email = $"{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}@test.local";
        var user = new StaffUser { WorkspaceId = Id, UserName = email, Email = email, DisplayName = name ?? role.ToString(), Role = role };
        // Identity's hasher (PBKDF2) takes about 50 ms a password, and the tests make thousands of staff who share one: its
        // hash is made once per process. Signing in checks it as it checks any other.
        user.PasswordHash = s_passwordHash ??= users.PasswordHasher.HashPassword(user, TestStaff.Password);
        var result = await users.CreateAsync(user);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
        foreach (var c in communities)
            db.CommunityStaff.Add(new CommunityStaff { CommunityId = c, StaffUserId = user.Id, Role = CommunityRole.Operator });
        var secret = ApiToken.NewSecret();
        db.ApiTokens.Add(ApiToken.Issue(Id, user.Id, "test", secret));
        await db.SaveChangesAsync();
        return new TestStaff(user.Id, email, secret, factory.ClientWithToken(secret));
    }
}

public sealed record TestStaff(Guid Id, string Email, string Token, HttpClient Api)
{
    public const string Password = "test-password-123";
}
