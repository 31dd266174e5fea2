using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Shequn.Bench;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

// ./bench.sh livecode [--seconds T] [--connections C] [--communities N] [--cap K] [--rounds R] [--postgres CONNSTRING] --app Shequn.dll
// A live code without a landing page (the short link routes and redirects at once) over N (20) Sandbox communities of K
// (2,000) seats each, fill-to-target, seeded straight into the database; the built server (a separate process, as users
// run it) takes wrk on loopback for T s (10) with C (64) connections, every request from its own address (X-Forwarded-For
// from loopback, which the server trusts as a proxy), so every one is a new visitor: stored, routed while there is room,
// answered with the full page after. Before it, a rehearsal code takes 10 s of the same (not counted). The database is then
// checked: a scan stored for every request wrk saw answered (none lost), no community routed past its cap, and each
// route's count equal to the scans routed there. Then a code with a landing page under the same load (page views). With
// --postgres, two servers on one fresh database take the redirect load at once, each from its own wrk.
// The cost of the security headers and rate limits: two more servers on SQLite, each on its own freshly seeded database,
// one as configured and one with Security:Headers:Enabled and Security:RateLimits:Enabled false, take R (5) alternated
// rounds of T/2 s of the redirect load on their measured code; the summary gives the ratio of their median rounds.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var o = Options.Parse(args);
var work = Path.Combine(Path.GetTempPath(), "shequn-bench-livecode", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(work);
var script = Path.Combine(work, "visitors.lua");
await File.WriteAllTextAsync(script, Lua.Visitors);
Console.Error.WriteLine($"livecode: {o.Communities} communities x {o.Cap:N0} seats, wrk -c{o.Connections} {o.Seconds}s; {Environment.ProcessorCount} cores, load {BenchServer.Load()}");
string? pgDatabase = null;
var bad = false;
try
{
    var sqliteDir = Path.Combine(work, "sqlite");
    var sqlite = await Seed.CreateAsync(new DatabaseOptions { Provider = DatabaseProvider.Sqlite }, sqliteDir, o);
    var (run, landing) = await Run.OnSqliteAsync(o, sqlite, sqliteDir, script);
    bad |= run.Lost > 0 || run.OverCap > 0 || run.Mismatched > 0;
    var (security, securityRuns) = await Run.SecurityOnOffAsync(o, work, script);
    bad |= securityRuns.Any(r => r.Lost > 0 || r.OverCap > 0 || r.Mismatched > 0);

    var onPostgres = "";
    if (o.Postgres is not null)
    {
        pgDatabase = "shequn_bench_livecode_" + Guid.NewGuid().ToString("N")[..8];
        await using (var conn = new NpgsqlConnection(o.Postgres))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {pgDatabase}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(o.Postgres) { Database = pgDatabase, MaxPoolSize = 60 }.ConnectionString;
        var pgDir = Path.Combine(work, "postgres");
        var pg = await Seed.CreateAsync(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = cs }, pgDir, o);
        var pgRun = await Run.TwoHostsAsync(o, pg, pgDir, script);
        bad |= pgRun.Lost > 0 || pgRun.OverCap > 0 || pgRun.Mismatched > 0;
        onPostgres = $", 2 hosts on PostgreSQL: {pgRun.Rate:0} redirects/s, p99 {pgRun.P99:0.#} ms, {pgRun.OverCap} over cap, {pgRun.Lost} lost";
    }
    Console.Error.WriteLine($"  load after the runs: {BenchServer.Load()}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"livecode: {run.Rate:0} redirects/s, p99 {run.P99:0.#} ms, {run.OverCap} over cap, {run.Lost} lost{onPostgres}, landing {landing.Rate:0} views/s p99 {landing.P99:0.#} ms, security on/off {security:0.00}"));
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

internal sealed record Options(int Seconds, int Connections, int Communities, int Cap, int Rounds, string? Postgres, string App)
{
    public static Options Parse(string[] args)
    {
        int seconds = 10, connections = 64, communities = 20, cap = 2000, rounds = 5;
        string? postgres = null, app = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--connections": connections = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--communities": communities = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--cap": cap = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                // At least 3 for a median; at most 10, so that each round's visitors get first octets of their own (see SecurityOnOffAsync).
                case "--rounds": rounds = Math.Clamp(int.Parse(args[++i], CultureInfo.InvariantCulture), 3, 10); break;
                case "--postgres": postgres = args[++i]; break;
                case "--app": app = args[++i]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Options(seconds, connections, communities, cap, rounds, postgres, app ?? throw new ArgumentException("--app Shequn.dll is required"));
    }
}

internal static class Lua
{
    /// <summary>Every request from its own address: the first octet is the wrk process's base plus the thread, the rest a counter.</summary>
    public const string Visitors = """
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("tid", threads)
        end
        local counter = 0
        local base = 10
        function init(args)
          if args[1] then base = tonumber(args[1]) end
        end
        request = function()
          counter = counter + 1
          local ip = string.format("%d.%d.%d.%d", base + tid, math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256)
          return wrk.format(nil, nil, { ["X-Forwarded-For"] = ip })
        end
        """;
}

/// <summary>The seeded workspace: the measured code (no landing page), a rehearsal code and a landing-page code.</summary>
internal sealed record Seed(DatabaseOptions Database, Guid CodeId, string Code, string Rehearsal, string Landing, Guid LandingId, int Cap)
{
    public const string KeySecret = "live-code-bench-key-encryption-secret-0123456789";

    public static async Task<Seed> CreateAsync(DatabaseOptions database, string dataDir, Options o)
    {
        Directory.CreateDirectory(dataDir);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["data-dir"] = dataDir,
            ["Database:Provider"] = database.Provider.ToString(),
            ["Database:ConnectionString"] = database.ConnectionString,
        });
        builder.Services.AddLogging();
        builder.AddShequnDatabase();
        using var host = builder.Build();
        await DatabaseSetup.MigrateAsync(host.Services);
        var ws = new Workspace { Name = "livecode-" + Guid.NewGuid().ToString("N")[..6] };
        var channel = new AcquisitionChannel { WorkspaceId = ws.Id, Name = "包裹卡", Kind = ChannelKind.PackageCard };
        LiveCode NewCode(string name, bool landing, int limit) => new()
        {
            WorkspaceId = ws.Id, ChannelId = channel.Id, Name = name, Code = LiveCode.NewCode(), Landing = landing, Limit = limit,
            Target = Math.Max(1, limit * 3 / 4), Intro = "每天分享健康食谱，群内专属优惠。",
        };
        var measured = NewCode("包裹卡活码", landing: false, o.Cap);
        var rehearsal = NewCode("彩排", landing: false, 200_000);
        var landingCode = NewCode("落地页", landing: true, 200_000);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        db.Workspaces.Add(ws);
        db.Add(channel);
        db.AddRange(measured, rehearsal, landingCode);
        for (var i = 0; i < o.Communities; i++)
        {
            var c = new Community { WorkspaceId = ws.Id, Name = $"包裹卡{i + 1}群", Platform = ChatPlatform.Sandbox, Capacity = o.Cap, Rules = "不发广告" };
            db.Communities.Add(c);
            var route = new LiveCodeRoute { WorkspaceId = ws.Id, LiveCodeId = measured.Id, CommunityId = c.Id, Position = i };
            route.JoinUrl = $"/j/{measured.Code}/sandbox/{route.Id}";
            db.Add(route);
        }
        var big = new Community { WorkspaceId = ws.Id, Name = "大群", Platform = ChatPlatform.Sandbox, Capacity = 200_000, Intro = "新人福利群", Rules = "不发广告" };
        db.Communities.Add(big);
        foreach (var code in new[] { rehearsal, landingCode })
        {
            var route = new LiveCodeRoute { WorkspaceId = ws.Id, LiveCodeId = code.Id, CommunityId = big.Id };
            route.JoinUrl = $"/j/{code.Code}/sandbox/{route.Id}";
            db.Add(route);
        }
        await db.SaveChangesWithoutAuditAsync();
        SqliteConnection.ClearAllPools();
        return new Seed(database, measured.Id, measured.Code, rehearsal.Code, landingCode.Code, landingCode.Id, o.Cap);
    }
}

internal sealed record RedirectRun(double Rate, double P99, long Completed, long Scans, long Lost, int OverCap, int Mismatched, long Errors);

internal sealed record PageRun(double Rate, double P99);

internal static class Run
{
    /// <summary>
    /// Seconds of the same load on an unlimited code before anything is measured: long enough for the JIT's tiers to settle
    /// (seen still compiling 15 s after start with a 3 s rehearsal), as they have on a server that has run for a while.
    /// </summary>
    private const int Rehearsal = 10;

    public static async Task<(RedirectRun Redirects, PageRun Landing)> OnSqliteAsync(Options o, Seed seed, string dataDir, string script)
    {
        var (process, port) = await BenchServer.StartAsync(o.App, dataDir, seed.Database, Seed.KeySecret);
        try
        {
            await BenchServer.WrkAsync(["-t2", $"-c{o.Connections}", $"-d{Rehearsal}s", "-s", script, $"http://127.0.0.1:{port}/j/{seed.Rehearsal}", "--", "100"]);
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var output = await BenchServer.WrkAsync(["-t2", $"-c{o.Connections}", $"-d{o.Seconds}s", "--latency", "-s", script, $"http://127.0.0.1:{port}/j/{seed.Code}", "--", "10"]);
            process.Refresh();
            var used = process.TotalProcessorTime - cpu;
            var run = await CheckAsync(seed, dataDir, [output], "SQLite");
            Console.Error.WriteLine($"    server CPU {used.TotalMicroseconds / Math.Max(1, run.Completed):N0} us per redirect");
            process.Refresh();
            cpu = process.TotalProcessorTime;
            var landingOut = await BenchServer.WrkAsync(["-t2", $"-c{o.Connections}", $"-d{o.Seconds}s", "--latency", "-s", script, $"http://127.0.0.1:{port}/j/{seed.Landing}", "--", "50"]);
            process.Refresh();
            used = process.TotalProcessorTime - cpu;
            var landing = new PageRun(BenchServer.Rate(landingOut), BenchServer.Ms(landingOut, "99"));
            var views = await BenchServer.ReadAsync(seed.Database, dataDir, db => db.Set<LiveCodeScan>().IgnoreQueryFilters().LongCountAsync(s => s.LiveCodeId == seed.LandingId));
            Console.Error.WriteLine($"  landing: {landing.Rate:N0} views/s, p50 {BenchServer.Ms(landingOut, "50"):0.00} ms, p99 {landing.P99:0.00} ms, " +
                $"{BenchServer.Completed(landingOut):N0} answered, {views:N0} visits stored, {BenchServer.Errors(landingOut)} errors; " +
                $"server CPU {used.TotalMicroseconds / Math.Max(1, BenchServer.Completed(landingOut)):N0} us per view");
            return (run, landing);
        }
        finally
        {
            await BenchServer.StopAsync(process);
        }
    }

    /// <summary>
    /// What the security headers and rate limits cost the redirect: a server as configured and one with both switched
    /// off, each on its own freshly seeded database (the same routing work, then the same full page), take turns under
    /// the same load, on first and then off first by turns, because the machine's speed drifts between rounds. Each
    /// round's visitors are new to the code (their own first octets). Returns the ratio of the median rounds and each
    /// server's checked run.
    /// </summary>
    public static async Task<(double Ratio, RedirectRun[] Runs)> SecurityOnOffAsync(Options o, string work, string script)
    {
        var slice = Math.Max(2, o.Seconds / 2);
        var sides = new List<Side>();
        try
        {
            foreach (var (name, on) in new[] { ("security on", true), ("security off", false) })
            {
                var dir = Path.Combine(work, on ? "security-on" : "security-off");
                var seed = await Seed.CreateAsync(new DatabaseOptions { Provider = DatabaseProvider.Sqlite }, dir, o);
                var settings = on ? null : new Dictionary<string, string> { ["Security:Headers:Enabled"] = "false", ["Security:RateLimits:Enabled"] = "false" };
                var (process, port) = await BenchServer.StartAsync(o.App, dir, seed.Database, Seed.KeySecret, settings);
                sides.Add(new Side(name, seed, dir, process, port));
                // The setting took: the baseline must not measure the headers it claims to leave out, nor the other side lack them.
                using var probe = new HttpClient();
                using var health = await probe.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
                if (health.Headers.Contains("Content-Security-Policy") != on)
                    throw new InvalidOperationException($"the {name} server {(on ? "lacks" : "still sends")} the security headers");
            }
            foreach (var side in sides)
                await BenchServer.WrkAsync(["-t2", $"-c{o.Connections}", $"-d{Rehearsal}s", "-s", script, $"http://127.0.0.1:{side.Port}/j/{side.Seed.Rehearsal}", "--", "100"]);
            for (var round = 0; round < o.Rounds; round++)
            {
                foreach (var i in round % 2 == 0 ? new[] { 0, 1 } : [1, 0])
                {
                    var side = sides[i];
                    side.Process.Refresh();
                    var cpu = side.Process.TotalProcessorTime;
                    side.Rounds.Add(await BenchServer.WrkAsync(["-t2", $"-c{o.Connections}", $"-d{slice}s", "--latency", "-s", script,
                        $"http://127.0.0.1:{side.Port}/j/{side.Seed.Code}", "--", (150 + 10 * round).ToString(CultureInfo.InvariantCulture)]));
                    side.Process.Refresh();
                    side.Cpu += side.Process.TotalProcessorTime - cpu;
                }
            }
            var runs = new RedirectRun[sides.Count];
            for (var i = 0; i < sides.Count; i++)
            {
                var side = sides[i];
                runs[i] = await CheckAsync(side.Seed, side.Dir, [.. side.Rounds], $"SQLite, {side.Name}, {o.Rounds} rounds of {slice} s", Median(side.Rounds.Select(BenchServer.Rate)));
                Console.Error.WriteLine($"    server CPU {side.Cpu.TotalMicroseconds / Math.Max(1, runs[i].Completed):N0} us per redirect; rounds (redirects/s): " +
                    string.Join(", ", side.Rounds.Select(r => BenchServer.Rate(r).ToString("N0", CultureInfo.InvariantCulture))));
            }
            var ratio = runs[0].Rate / runs[1].Rate;
            var paired = Enumerable.Range(0, o.Rounds).Select(r => BenchServer.Rate(sides[0].Rounds[r]) / BenchServer.Rate(sides[1].Rounds[r])).ToArray();
            Console.Error.WriteLine($"  security on/off: {runs[0].Rate:N0} / {runs[1].Rate:N0} redirects/s ({ratio:0.00}, the medians of {o.Rounds} rounds; per round " +
                $"{string.Join(", ", paired.Select(p => p.ToString("0.00", CultureInfo.InvariantCulture)))}, their median {Median(paired):0.00}), p99 (worst round) {runs[0].P99:0.00} / {runs[1].P99:0.00} ms");
            return (ratio, runs);
        }
        finally
        {
            foreach (var side in sides)
                await BenchServer.StopAsync(side.Process);
        }
    }

    private sealed class Side(string name, Seed seed, string dir, Process process, int port)
    {
        public string Name { get; } = name;
        public Seed Seed { get; } = seed;
        public string Dir { get; } = dir;
        public Process Process { get; } = process;
        public int Port { get; } = port;
        public List<string> Rounds { get; } = [];
        public TimeSpan Cpu { get; set; }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    public static async Task<RedirectRun> TwoHostsAsync(Options o, Seed seed, string dataDir, string script)
    {
        var servers = new List<(Process Process, int Port)>();
        try
        {
            servers.Add(await BenchServer.StartAsync(o.App, dataDir, seed.Database, Seed.KeySecret));
            servers.Add(await BenchServer.StartAsync(o.App, dataDir, seed.Database, Seed.KeySecret));
            await Task.WhenAll(servers.Select((s, i) => BenchServer.WrkAsync(["-t1", $"-c{o.Connections / 2}", $"-d{Rehearsal}s", "-s", script, $"http://127.0.0.1:{s.Port}/j/{seed.Rehearsal}", "--", (100 + 10 * i).ToString(CultureInfo.InvariantCulture)])));
            var outputs = await Task.WhenAll(servers.Select((s, i) => BenchServer.WrkAsync(["-t1", $"-c{o.Connections / 2}", $"-d{o.Seconds}s", "--latency", "-s", script,
                $"http://127.0.0.1:{s.Port}/j/{seed.Code}", "--", (10 + 10 * i).ToString(CultureInfo.InvariantCulture)])));
            return await CheckAsync(seed, dataDir, outputs, "PostgreSQL, 2 hosts");
        }
        finally
        {
            foreach (var (p, _) in servers)
                await BenchServer.StopAsync(p);
        }
    }

    /// <summary>The database's word: a scan for every answer, no route past its cap, each route's count equal to its scans.</summary>
    /// <remarks>The rate is the outputs' sum (wrk runs at the same time) unless <paramref name="medianRate"/> gives another (runs one after another).</remarks>
    private static async Task<RedirectRun> CheckAsync(Seed seed, string dataDir, string[] outputs, string name, double? medianRate = null)
    {
        var completed = outputs.Sum(BenchServer.Completed);
        var rate = medianRate ?? outputs.Sum(BenchServer.Rate);
        var p99 = outputs.Max(x => BenchServer.Ms(x, "99"));
        var errors = outputs.Sum(BenchServer.Errors);
        var scans = await BenchServer.ReadAsync(seed.Database, dataDir, db => db.Set<LiveCodeScan>().IgnoreQueryFilters().LongCountAsync(s => s.LiveCodeId == seed.CodeId));
        var routes = await BenchServer.ReadAsync(seed.Database, dataDir, db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.LiveCodeId == seed.CodeId)
            .Select(r => new { r.Id, r.Filled, r.Routed, Scans = db.Set<LiveCodeScan>().IgnoreQueryFilters().Count(s => s.RouteId == r.Id) }).ToListAsync());
        var overCap = routes.Count(r => r.Filled > seed.Cap || r.Scans > seed.Cap);
        var mismatched = routes.Count(r => r.Filled != r.Scans || r.Routed != r.Scans);
        var routed = routes.Sum(r => r.Scans);
        // wrk counts the requests it saw answered; a request in flight when it stopped may be stored without being counted.
        var lost = Math.Max(0, completed - scans);
        Console.Error.WriteLine($"  redirects ({name}): {rate:N0}/s, p50 {outputs.Max(x => BenchServer.Ms(x, "50")):0.00} ms, p99 {p99:0.00} ms, {completed:N0} answered, " +
            $"{errors} errors; database: {scans:N0} scans stored, {routed:N0} routed into {routes.Count} communities (cap {seed.Cap:N0}: {overCap} over), " +
            $"{mismatched} routes whose count differs from their scans, {lost} answered but not stored");
        return new RedirectRun(rate, p99, completed, scans, lost, overCap, mismatched, errors);
    }
}
