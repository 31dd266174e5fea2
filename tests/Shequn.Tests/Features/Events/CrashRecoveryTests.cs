using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;
using Shequn.Tests.Infrastructure;
using Shequn.Tests.Platform;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Events;

/// <summary>
/// The built server as a user would run it (dotnet Shequn.dll), killed with SIGKILL while it acknowledges events
/// and then started again: every acknowledged event is in the log exactly once and the figures equal a recount.
/// </summary>
[LongRunning]
public abstract class CrashRecoveryTests
{
    protected abstract DatabaseProvider Provider { get; }
    protected abstract string? ConnectionString(string dataDir);

    [Fact]
    public async Task Server_KilledWhileAcknowledging_LosesAndDoublesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Path.Combine(Path.GetTempPath(), "shequn-crash", Guid.NewGuid().ToString("N"));
        var cs = ConnectionString(dataDir);
        var settings = new DatabaseOptions { Provider = Provider, ConnectionString = cs };
        var (workspaceId, communityId, token) = await SeedAsync(settings, dataDir, ct);

        var acknowledged = new ConcurrentBag<string>();
        var port = FreePort();
        using (var server = await StartAsync(settings, dataDir, port, ct))
        {
            using var client = Client(port, token);
            var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 6).Select(s => Task.Run(async () =>
            {
                var random = new Random(s);
                for (var batch = 0; !stop.IsCancellationRequested; batch++)
                {
                    var events = Enumerable.Range(0, 25).Select(i =>
                    {
                        var id = $"s{s}-b{batch}-{i}";
                        var user = "u" + random.Next(200);
                        var at = Noon.AddMinutes(random.Next(-3000, 3000));
                        return random.Next(8) switch
                        {
                            0 => Join(communityId, id, user, at),
                            1 => Leave(communityId, id, user, at),
                            _ => Message(communityId, id, user, at),
                        };
                    }).ToList();
                    try
                    {
                        var response = await client.PostAsJsonAsync("/api/events", events, Json.Options, CancellationToken.None);
                        if (response.StatusCode == HttpStatusCode.Accepted)
                            foreach (var e in events)
                                acknowledged.Add((string)e["id"]!);
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server is gone
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            }, CancellationToken.None)).ToList();

            while (acknowledged.Count < 3000 && senders.All(t => !t.IsCompleted))
                await Task.Delay(20, ct);
            server.Kill(entireProcessTree: true); // SIGKILL: no shutdown hooks run
            await server.WaitForExitAsync(ct);
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }
        Assert.True(acknowledged.Count >= 3000, $"only {acknowledged.Count} events were acknowledged before the kill");

        using (var server = await StartAsync(settings, dataDir, port, ct))
        {
            await using var db = Context(settings, dataDir);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            long max, checkpoint;
            do
            {
                await Task.Delay(200, ct);
                max = await db.Set<CommunityEvent>().MaxAsync(e => (long?)e.Seq, ct) ?? 0;
                checkpoint = await db.Set<EventCheckpoint>().AsNoTracking().Where(c => c.Name == EventProcessor.CheckpointName).Select(c => c.Seq).SingleAsync(ct);
            }
            while (checkpoint < max && DateTime.UtcNow < deadline);
            Assert.Equal(max, checkpoint);

            var stored = await db.Set<CommunityEvent>().Where(e => e.WorkspaceId == workspaceId).Select(e => e.PlatformEventId).ToListAsync(ct);
            Assert.Equal(stored.Count, stored.Distinct().Count());
            var missing = acknowledged.Except(stored).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events are missing, e.g. {string.Join(", ", missing.Take(5))}");

            var (expected, actual) = FigureRecount.Compare(await FigureRecount.FromLogAsync(db, workspaceId), await FigureRecount.StoredAsync(db, workspaceId));
            Assert.Equal(expected, actual);
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(ct);
        }
        if (Provider == DatabaseProvider.Postgres)
            await DropAsync(cs!);
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }

    private static AppDbContext Context(DatabaseOptions settings, string dataDir)
    {
        var b = new DbContextOptionsBuilder<AppDbContext>();
        DatabaseSetup.Configure(b, settings, dataDir);
        return settings.Provider == DatabaseProvider.Postgres
            ? new PostgresAppDbContext(b.Options, new CurrentStaff())
            : new SqliteAppDbContext(b.Options, new CurrentStaff());
    }

    private static async Task<(Guid Workspace, Guid Community, string Token)> SeedAsync(DatabaseOptions settings, string dataDir, CancellationToken ct)
    {
        await using var db = Context(settings, dataDir);
        await db.Database.MigrateAsync(ct);
        var ws = new Workspace { Name = "crash" };
        var email = "owner@crash.test";
        var owner = new StaffUser
        {
            WorkspaceId = ws.Id, UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email,
            NormalizedEmail = email.ToUpperInvariant(), DisplayName = "Owner", Role = StaffRole.Owner, SecurityStamp = Guid.NewGuid().ToString(),
        };
        var community = new Community { WorkspaceId = ws.Id, Name = "压测群", Platform = ChatPlatform.Sandbox, Capacity = 500 };
        var secret = ApiToken.NewSecret();
        db.Workspaces.Add(ws);
        db.Users.Add(owner);
        db.Communities.Add(community);
        db.ApiTokens.Add(ApiToken.Issue(ws.Id, owner.Id, "crash", secret));
        await db.SaveChangesAsync(ct);
        return (ws.Id, community.Id, secret);
    }

    private static async Task<Process> StartAsync(DatabaseOptions settings, string dataDir, int port, CancellationToken ct)
    {
        var dll = BuildOutput.AppDll;
        Assert.True(File.Exists(dll), $"Build the app first: {dll} is missing.");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Database__Provider"] = settings.Provider.ToString();
        start.Environment["Database__ConnectionString"] = settings.ConnectionString ?? "";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"the server exited with {(process.HasExited ? process.ExitCode : 0)}");
            try
            {
                if ((await probe.GetAsync("/health", ct)).IsSuccessStatusCode)
                    return process;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, ct);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("the server did not become healthy within 60 s");
    }

    private static HttpClient Client(int port, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task DropAsync(string cs)
    {
        var b = new NpgsqlConnectionStringBuilder(cs);
        var database = b.Database;
        b.Database = "postgres";
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(b.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

public sealed class CrashRecoveryTests_Sqlite : CrashRecoveryTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override string? ConnectionString(string dataDir) => null;
}

public sealed class CrashRecoveryTests_Postgres : CrashRecoveryTests
{
    private static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");

    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;

    protected override string? ConnectionString(string dataDir)
    {
        if (PgServer is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
                throw new InvalidOperationException("CI=true but SHEQUN_TEST_PG is not set.");
            Assert.Skip("PostgreSQL not available (run ./test.sh, which starts a throwaway server).");
        }
        return new NpgsqlConnectionStringBuilder(PgServer) { Database = "shequn_crash_" + Guid.NewGuid().ToString("N")[..12] }.ConnectionString;
    }
}
