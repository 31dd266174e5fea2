using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;
using Shequn.Platform.KeyRing;

// ./bench.sh flashsale [--claimants N] [--stock S] [--in-flight F] [--seconds T] [--connections C] [--postgres CONNSTRING] --app Shequn.dll
// A workspace with N members (10,000) in one Sandbox community and a published flash sale (stock S = 100, one per
// person), seeded straight into the database; then the built server (a separate process, as users run it) first
// takes a rehearsal sale's burst (4,000 claimants, not counted: a server up for a while is compiled and warm when a sale
// opens), then one claim from every member of the measured sale over HTTP, F (512) in flight at once, each with its personal token and its own request id,
// plus 50 request ids sent twice at once (double clicks) and, after the burst, the winners' request ids again (replays,
// which must answer the first claim). The database is then checked: units sold = stock taken, stock never below zero,
// nobody over the limit. On SQLite one server; with --postgres two servers on one fresh database, the claimants split
// between them. Last, the page /c/{slug} under wrk (T s, C connections) on the SQLite server.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var o = Options.Parse(args);
var work = Path.Combine(Path.GetTempPath(), "shequn-bench-flashsale", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(work);
Console.Error.WriteLine($"flashsale: {o.Claimants:N0} claimants, stock {o.Stock}, limit 1, {o.InFlight} in flight; {Environment.ProcessorCount} cores, load {Load()}");
string? pgDatabase = null;
var bad = false;
try
{
    // SQLite: one server.
    var sqliteDir = Path.Combine(work, "sqlite");
    var sqlite = await Seed.CreateAsync(new DatabaseOptions { Provider = DatabaseProvider.Sqlite }, sqliteDir, o);
    var sqliteRun = await Run.ClaimsAsync(o, sqlite, [sqliteDir], "SQLite");
    bad |= !sqliteRun.Sound;
    var page = await Run.PageAsync(o, sqlite, sqliteDir);

    string onPostgres = "";
    if (o.Postgres is not null)
    {
        pgDatabase = "shequn_bench_flash_" + Guid.NewGuid().ToString("N")[..8];
        await using (var conn = new NpgsqlConnection(o.Postgres))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {pgDatabase}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(o.Postgres) { Database = pgDatabase, MaxPoolSize = 60 }.ConnectionString;
        var pgDir = Path.Combine(work, "postgres");
        var pg = await Seed.CreateAsync(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = cs }, pgDir, o);
        var pgRun = await Run.ClaimsAsync(o, pg, [pgDir, pgDir], "PostgreSQL");
        bad |= !pgRun.Sound;
        onPostgres = $", 2 hosts on PostgreSQL: {pgRun.Sold}/{o.Stock} sold, {pgRun.Oversold} oversold";
    }
    Console.Error.WriteLine($"  load after the runs: {Load()}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"flashsale: {sqliteRun.ClaimsPerSecond:0} claims/s, {sqliteRun.Sold}/{o.Stock} sold, {sqliteRun.Oversold} oversold, {sqliteRun.OverLimit} over limit{onPostgres}, page {page.Rate:0} views/s p99 {page.P99:0.#} ms"));
}
finally
{
    SqliteConnection.ClearAllPools();
    NpgsqlConnection.ClearAllPools();
    if (pgDatabase is not null)
    {
        await using var conn = new NpgsqlConnection(o.Postgres);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {pgDatabase} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}
return bad ? 1 : 0;

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

internal sealed record Options(int Claimants, int Stock, int InFlight, int Seconds, int Connections, string? Postgres, string App)
{
    public static Options Parse(string[] args)
    {
        int claimants = 10_000, stock = 100, inFlight = 512, seconds = 10, connections = 64;
        string? postgres = null, app = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--claimants": claimants = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--stock": stock = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--in-flight": inFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--connections": connections = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--postgres": postgres = args[++i]; break;
                case "--app": app = args[++i]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Options(claimants, stock, inFlight, seconds, connections, postgres, app ?? throw new ArgumentException("--app Shequn.dll is required"));
    }
}

/// <summary>The seeded workspace: the sale, its members' tokens, and a way to read the database afterwards.</summary>
internal sealed class Seed(DatabaseOptions database, Guid campaignId, string slug, IReadOnlyList<string> tokens, string rehearsalSlug, IReadOnlyList<string> rehearsalTokens)
{
    /// <summary>How many claimants the rehearsal sale takes: enough for every server to run the claim path hot before the burst.</summary>
    public const int RehearsalClaimants = 4_000;

    /// <summary>Shared by the servers and the seeding, so that every one of them reads the same key ring (ADR-007).</summary>
    public const string KeySecret = "flash-sale-bench-key-encryption-secret-0123456789";

    public DatabaseOptions Database { get; } = database;
    public Guid CampaignId { get; } = campaignId;
    public string Slug { get; } = slug;
    public IReadOnlyList<string> Tokens { get; } = tokens;

    /// <summary>
    /// A second sale (same stock, same members) run through before the measured burst, as a server that has been up
    /// takes traffic before a sale opens: the claim path is compiled and tiered, the pools are open. The measured sale's
    /// own caches (campaign, audience, claim book) are still cold when its burst starts.
    /// </summary>
    public string RehearsalSlug { get; } = rehearsalSlug;
    public IReadOnlyList<string> RehearsalTokens { get; } = rehearsalTokens;

    public static async Task<Seed> CreateAsync(DatabaseOptions database, string dataDir, Options o)
    {
        Directory.CreateDirectory(dataDir);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["data-dir"] = dataDir,
            ["Database:Provider"] = database.Provider.ToString(),
            ["Database:ConnectionString"] = database.ConnectionString,
            [KeyEncryptionSecrets.ConfigKey] = KeySecret,
        });
        builder.Services.AddLogging();
        builder.AddShequnDatabase();
        builder.Services.AddShequnKeyRing(builder.Configuration, dataDir);
        builder.Services.AddSingleton<CampaignLinks>();
        var host = builder.Build();
        await DatabaseSetup.MigrateAsync(host.Services);
        var started = Stopwatch.StartNew();
        var ws = new Workspace { Name = "flash-" + Guid.NewGuid().ToString("N")[..6] };
        var community = new Community { WorkspaceId = ws.Id, Name = "秒杀群", Platform = ChatPlatform.Sandbox, Capacity = 100_000 };
        var members = new List<Guid>(o.Claimants);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            db.Workspaces.Add(ws);
            db.Communities.Add(community);
            await db.SaveChangesWithoutAuditAsync();
        }
        foreach (var chunk in Enumerable.Range(0, o.Claimants).Chunk(2000))
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            foreach (var i in chunk)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = "成员" + i };
                db.Members.Add(m);
                db.Memberships.Add(new Membership { WorkspaceId = ws.Id, CommunityId = community.Id, MemberId = m.Id, JoinedAt = DateTime.UtcNow.AddDays(-10) });
                members.Add(m.Id);
            }
            await db.SaveChangesWithoutAuditAsync();
        }
        var now = DateTime.UtcNow;
        var campaign = new Campaign
        {
            WorkspaceId = ws.Id, Name = "土鸡蛋 9.9 元秒杀", Slug = Campaign.NewSlug(), Kind = CampaignKind.FlashSale, Status = CampaignStatus.Published,
            StartsAt = now.AddMinutes(-1), EndsAt = now.AddDays(1), PublishedAt = now,
            Audience = CampaignJson.Write(new CampaignAudience([community.Id])), CommunityIds = CampaignJson.Write(new List<Guid> { community.Id }),
            GoalMetric = GoalMetric.Completions, GoalTarget = o.Stock, StockLeft = o.Stock,
            Rules = CampaignJson.Write(new CampaignRules { PriceFen = 990, OriginalPriceFen = 1990, Stock = o.Stock, PerPersonLimit = 1 }),
            Page = CampaignJson.Write(new List<PageBlock>
            {
                new(PageBlockKind.Hero, "限时 9.9 元", "农场直发土鸡蛋 30 枚"),
                new(PageBlockKind.Proof, "检测报告", "第三方检测：无抗生素残留"),
                new(PageBlockKind.Review, null, "很新鲜，蛋黄很香，已经回购三次。"),
                new(PageBlockKind.CallToAction, "手慢无", "每人限购 1 份"),
            }),
        };
        var rehearsal = new Campaign
        {
            WorkspaceId = ws.Id, Name = "彩排 秒杀", Slug = Campaign.NewSlug(), Kind = CampaignKind.FlashSale, Status = CampaignStatus.Published,
            StartsAt = campaign.StartsAt, EndsAt = campaign.EndsAt, PublishedAt = now, Audience = campaign.Audience, CommunityIds = campaign.CommunityIds,
            GoalMetric = GoalMetric.Completions, GoalTarget = o.Stock, StockLeft = o.Stock, Rules = campaign.Rules, Page = campaign.Page,
        };
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            db.Add(campaign);
            db.Add(rehearsal);
            await db.SaveChangesWithoutAuditAsync();
        }
        var links = host.Services.GetRequiredService<CampaignLinks>();
        var tokens = new List<string>(members.Count);
        foreach (var m in members)
            tokens.Add(await links.TokenAsync(campaign.Id, m));
        var rehearsalTokens = new List<string>();
        foreach (var m in members.Take(RehearsalClaimants))
            rehearsalTokens.Add(await links.TokenAsync(rehearsal.Id, m));
        Console.Error.WriteLine($"  {database.Provider}: seeded {o.Claimants:N0} members and the sale in {started.Elapsed.TotalSeconds:0.0} s");
        await host.StopAsync();
        host.Dispose();
        SqliteConnection.ClearAllPools();
        return new Seed(database, campaign.Id, campaign.Slug, tokens, rehearsal.Slug, rehearsalTokens);
    }

    /// <summary>A fresh context on the seeded database (the seeding host is gone): the checks read through EF as the app does.</summary>
    public async Task<T> ReadAsync<T>(string dataDir, Func<AppDbContext, Task<T>> read)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["data-dir"] = dataDir,
            ["Database:Provider"] = Database.Provider.ToString(),
            ["Database:ConnectionString"] = Database.ConnectionString,
        });
        builder.Services.AddLogging();
        builder.AddShequnDatabase();
        using var h = builder.Build();
        await using var scope = h.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts the built server with this database, as a user would, and waits for /health.</summary>
    public async Task<(Process Process, int Port)> StartServerAsync(string dll, string dataDir)
    {
        dll = Path.GetFullPath(dll);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Database__Provider"] = Database.Provider.ToString();
        start.Environment["Database__ConnectionString"] = Database.ConnectionString ?? "";
        start.Environment["DataProtection__KeyEncryptionSecret"] = KeySecret;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Every claimant posts from 127.0.0.1: the public pages' per-address limit would stop the burst after a few hundred.
        start.Environment["Security__RateLimits__PublicPerAddress__PermitLimit"] = "100000000";
        start.Environment["Security__RateLimits__PublicPerPerson__PermitLimit"] = "100000000";
        var process = Process.Start(start)!;
        var errors = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && errors.Count < 50)
                errors.Enqueue(line);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the server exited with {process.ExitCode}: {string.Join(Environment.NewLine, errors)}");
            try
            {
                if ((await probe.GetAsync("/health")).IsSuccessStatusCode)
                    return (process, port);
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("the server did not answer /health within 90 s");
    }
}

internal sealed record ClaimRun(double ClaimsPerSecond, int Sold, int Oversold, int OverLimit, bool Sound);

internal sealed record PageRun(double Rate, double P99);

internal static class Run
{
    private sealed record Answer(HttpStatusCode Status, Guid? ClaimId, string? Code);

    private static async Task<Answer> ClaimAsync(HttpClient client, string slug, string token, string requestId)
    {
        // As the page's fetch sends it: a JSON string with its length (PostAsJsonAsync would stream it chunked).
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { token, quantity = 1, requestId }));
        content.Headers.ContentType = new("application/json");
        using var response = await client.PostAsync($"/c/{slug}/claim?culture=en", content);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        var r = doc.RootElement;
        return new Answer(response.StatusCode,
            r.TryGetProperty("claimId", out var id) ? id.GetGuid() : null,
            r.TryGetProperty("code", out var code) ? code.GetString() : null);
    }

    /// <summary>Every member claims once over HTTP, hosts taking turns; then replays; then the database's word.</summary>
    public static async Task<ClaimRun> ClaimsAsync(Options o, Seed seed, string[] dataDirs, string name)
    {
        var servers = new List<(Process Process, int Port)>();
        try
        {
            foreach (var dir in dataDirs)
                servers.Add(await seed.StartServerAsync(o.App, dir));
            var clients = servers.Select(s => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = o.InFlight, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{s.Port}"),
                Timeout = TimeSpan.FromSeconds(60),
            }).ToArray();
            // Warm each server: the page, a refused claim (a forged token), then the rehearsal sale's burst split over them.
            foreach (var c in clients)
            {
                for (var i = 0; i < 20; i++)
                {
                    (await c.GetAsync($"/c/{seed.Slug}")).Dispose();
                    await ClaimAsync(c, seed.Slug, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "warm-" + i);
                }
            }
            using (var warm = new SemaphoreSlim(o.InFlight))
            {
                var rehearsalWatch = Stopwatch.StartNew();
                await Task.WhenAll(seed.RehearsalTokens.Select(async (token, i) =>
                {
                    await warm.WaitAsync();
                    try
                    {
                        await ClaimAsync(clients[i % clients.Length], seed.RehearsalSlug, token, "r-" + i);
                    }
                    finally
                    {
                        warm.Release();
                    }
                }));
                Console.Error.WriteLine($"  {name}: rehearsal sale, {seed.RehearsalTokens.Count:N0} claims in {rehearsalWatch.Elapsed.TotalSeconds:0.00} s " +
                    $"= {seed.RehearsalTokens.Count / rehearsalWatch.Elapsed.TotalSeconds:N0} claims/s (the servers' first burst, not counted)");
            }

            // One claim a member, plus 50 request ids sent twice at once (double clicks).
            var jobs = Enumerable.Range(0, seed.Tokens.Count).Select(i => (Token: seed.Tokens[i], RequestId: "b-" + i)).ToList();
            jobs.AddRange(Enumerable.Range(0, 50).Select(i => jobs[i * (seed.Tokens.Count / 50)]));
            var shuffled = jobs.OrderBy(_ => Random.Shared.Next()).ToList();
            var answers = new Answer[shuffled.Count];
            using var gate = new SemaphoreSlim(o.InFlight);
            // The servers' own CPU per claim, which a busy machine slows less than it slows the rate.
            var cpuBefore = servers.Sum(s => { s.Process.Refresh(); return s.Process.TotalProcessorTime.TotalMicroseconds; });
            var databaseBefore = PostgresCpuMicroseconds();
            var clientBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalMicroseconds;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(shuffled.Select(async (job, i) =>
            {
                await gate.WaitAsync();
                try
                {
                    answers[i] = await ClaimAsync(clients[i % clients.Length], seed.Slug, job.Token, job.RequestId);
                }
                finally
                {
                    gate.Release();
                }
            }));
            var seconds = watch.Elapsed.TotalSeconds;
            var rate = shuffled.Count / seconds;
            var cpuPerClaim = (servers.Sum(s => { s.Process.Refresh(); return s.Process.TotalProcessorTime.TotalMicroseconds; }) - cpuBefore) / shuffled.Count;
            var databasePerClaim = (PostgresCpuMicroseconds() - databaseBefore) / shuffled.Count;
            var clientPerClaim = (Process.GetCurrentProcess().TotalProcessorTime.TotalMicroseconds - clientBefore) / shuffled.Count;
            var byStatus = answers.GroupBy(a => a.Code ?? ((int)a.Status).ToString(CultureInfo.InvariantCulture)).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key} {g.Count()}");
            Console.Error.WriteLine($"  {name}, {servers.Count} host(s): {shuffled.Count:N0} claims in {seconds:0.00} s = {rate:N0} claims/s ({string.Join(", ", byStatus)}); " +
                $"server CPU {cpuPerClaim:N0} us per claim (at most {Environment.ProcessorCount * 1e6 / cpuPerClaim:N0} claims/s on {Environment.ProcessorCount} cores with nothing else running)" +
                (databasePerClaim > 0 ? $", PostgreSQL {databasePerClaim:N0} us" : "") + $", this client {clientPerClaim:N0} us");

            // Double clicks: both answers of one request id name the same claim (or neither won).
            var doubled = shuffled.Zip(answers).Where(x => x.Second.Status == HttpStatusCode.OK).GroupBy(x => x.First.RequestId).Count(g => g.Select(x => x.Second.ClaimId).Distinct().Count() > 1);
            // Replays after the burst: every winner's request id again, on the other host where there is one.
            var winners = shuffled.Zip(answers).Where(x => x.Second.Status == HttpStatusCode.OK).DistinctBy(x => x.First.RequestId).ToList();
            var replayed = 0;
            var replayWrong = 0;
            foreach (var (w, i) in winners.Take(20).Select((w, i) => (w, i)))
            {
                var again = await ClaimAsync(clients[(i + 1) % clients.Length], seed.Slug, w.First.Token, w.First.RequestId);
                replayed++;
                if (again.Status != HttpStatusCode.OK || again.ClaimId != w.Second.ClaimId)
                    replayWrong++;
            }

            var readDir = dataDirs[0];
            var left = await seed.ReadAsync(readDir, db => db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == seed.CampaignId).Select(c => c.StockLeft).SingleAsync());
            var claims = await seed.ReadAsync(readDir, db => db.Set<CampaignClaim>().IgnoreQueryFilters().Where(c => c.CampaignId == seed.CampaignId && c.Status != ClaimStatus.Released)
                .Select(c => new { c.MemberId, c.Quantity, c.RequestId }).ToListAsync());
            var overLimitUnits = await seed.ReadAsync(readDir, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().CountAsync(p => p.CampaignId == seed.CampaignId && p.Units > 1));
            var sold = claims.Sum(c => c.Quantity);
            var overLimit = Math.Max(overLimitUnits, claims.GroupBy(c => c.MemberId).Count(g => g.Sum(c => c.Quantity) > 1));
            var oversold = Math.Max(0, sold - o.Stock) + (left < 0 ? -left : 0) + Math.Abs(o.Stock - left - sold);
            var wonAnswers = answers.Count(a => a.Status == HttpStatusCode.OK);
            Console.Error.WriteLine($"    database: {sold} units sold in {claims.Count} claims, stock left {left}, {overLimit} over the limit, {oversold} oversold; " +
                $"{wonAnswers} successful answers ({wonAnswers - claims.Count} of them double clicks answered with the first claim), {doubled} double clicks with two claims; " +
                $"{replayed} replays after the burst, {replayWrong} not answered with the first claim");
            var sound = oversold == 0 && overLimit == 0 && doubled == 0 && replayWrong == 0 && left >= 0 && claims.Count == claims.Select(c => c.RequestId).Distinct().Count();
            foreach (var c in clients)
                c.Dispose();
            return new ClaimRun(rate, sold, oversold, overLimit, sound);
        }
        finally
        {
            foreach (var (p, _) in servers)
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
                p.Dispose();
            }
        }
    }

    /// <summary>CPU used so far by the machine's PostgreSQL processes (server and backends; a backend gone takes its share with it).</summary>
    private static double PostgresCpuMicroseconds()
    {
        var ticks = 0L;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(0, close).EndsWith("(postgres", StringComparison.Ordinal))
                    continue;
                // After "(comm) ": state is field 3, utime field 14, stime field 15.
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return ticks * 1e6 / 100; // USER_HZ is 100 on Linux
    }

    /// <summary>The page under wrk on loopback against one server (SQLite).</summary>
    public static async Task<PageRun> PageAsync(Options o, Seed seed, string dataDir)
    {
        var (process, port) = await seed.StartServerAsync(o.App, dataDir);
        try
        {
            var url = $"http://127.0.0.1:{port}/c/{seed.Slug}";
            await Wrk(["-t2", "-c16", "-d3s", url]);
            var output = await Wrk(["-t2", $"-c{o.Connections}", $"-d{o.Seconds}s", "--latency", url]);
            var rate = double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
            var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } n ? n.Groups[1].Value : "0";
            var p50 = Ms(output, "50");
            var p99 = Ms(output, "99");
            Console.Error.WriteLine($"  page: wrk -t2 -c{o.Connections} -d{o.Seconds}s: {rate:N0} views/s, p50 {p50:0.00} ms, p99 {p99:0.00} ms, {non2xx} non-2xx");
            return new PageRun(rate, p99);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    private static double Ms(string output, string label)
    {
        var m = Regex.Match(output, $@"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success)
            return double.NaN;
        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }

    private static async Task<string> Wrk(string[] arguments)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
