using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Dashboard;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

// ./bench.sh analytics [--communities C] [--members M] [--orders O] [--days D] [--raw-communities S] [--raw-messages R]
//                      [--iterations N] [--warmup W] [--step-seconds T] [--postgres CONNSTRING]
// A large workspace written by batched inserts into the schema the app's migrations make: C communities (1,000), M
// members (200,000) with their stints over D days (365: joins, leaves, rejoins, second communities), a daily-figures
// row per community-day with activity, the speakers of each day (sparse: most members rarely speak), O orders
// (1,000,000) and R raw messages (100,000) in S sample communities (10), and the joins' settled cohort outcomes as the
// app's settle job stores them (CohortSettle, one pass; its time is printed). Then the pages' reads, each through the app's
// own code, W times untimed and N times timed (a new scope and context each time, as a page view; each path stops after
// T seconds, 60, once it has 10 timed reads): the workspace
// overview ("/": DashboardFigures and WorkspaceTrends' 30 days over every community), one community's 90 days
// (the activity page's reads, communities in turn) and the retention cohorts (default period, by week). Baselines in
// the same run: a plain COUNT over the memberships, and one sample community's 90 days counted from the raw messages.
// Then nine times as many raw messages again, and the same reads: their ratio shows whether the figures scan raw data.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var o = Options.Parse(args);
// --keep DIR writes the generated SQLite workspace into DIR and leaves it there; --reuse DIR reads it again instead of
// generating (minutes at full size), so that a change to a read path can be measured on the same data.
var workDir = o.DataDir ?? Path.Combine(Path.GetTempPath(), "shequn-bench-analytics", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(workDir);
Console.Error.WriteLine($"analytics: {o.Communities:N0} communities, {o.Members:N0} members, {o.Days} days, {o.Orders:N0} orders, " +
    $"{o.RawMessages:N0} raw messages in {o.RawCommunities} communities (then ×10); {o.Iterations} timed reads after {o.Warmup}; " +
    $"{(o.PostgresOnly ? "PostgreSQL only" : o.Postgres is null ? "SQLite" : "SQLite and PostgreSQL")}; {Environment.ProcessorCount} cores, load {Load.Now()}");
var stores = o.PostgresOnly ? new List<Store>() : [Store.Sqlite(workDir)];
if (o.Postgres is not null)
    stores.Add(Store.Postgres(workDir, o.Postgres));
var results = new List<(Store Store, StoreResult Result)>();
try
{
    foreach (var store in stores)
        results.Add((store, await Bench.RunAsync(o, store)));
    Console.Error.WriteLine($"  load after the runs: {Load.Now()}");
    foreach (var (store, r) in results)
        Console.Error.WriteLine($"  {store.Name}: {r.Summary()}; goals {(r.GoalsMet ? "met" : "NOT met")}");
    var line = (o.PostgresOnly ? "analytics (PostgreSQL only): " : "analytics: ") + results[0].Result.Summary();
    if (results.Count > 1)
        line += " (PostgreSQL: " + results[1].Result.Summary() + ")";
    Console.WriteLine(line);
}
finally
{
    SqliteConnection.ClearAllPools();
    NpgsqlConnection.ClearAllPools();
    foreach (var store in stores)
        await store.DropAsync();
    if (o.DataDir is null)
        try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
}
return 0;

internal static class Load
{
    public static string Now() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}

/// <summary>How a path is timed: a page view (many reads, p50/p95 in ms) or a whole run (a few, the median in s).</summary>
internal enum Per
{
    View,
    Run,
}

/// <summary>A measured path: its name in the summary line, how it is timed, its goal, and one execution in a fresh scope.</summary>
internal sealed record Step(string Name, Per Per, double GoalMs, Func<Workload, IServiceProvider, int, Task> Once);

internal static class Steps
{
    /// <summary>The paths the summary line reports, in its order: views by their p95 (goal 50 ms), the advisor as a whole
    /// run over the workspace (goal 2 s).</summary>
    public static List<Step> Measured() =>
    [
        new("overview", Per.View, 50, Workload.OverviewAsync),
        new("community", Per.View, 50, Workload.CommunityAsync),
        new("cohorts", Per.View, 50, Workload.CohortsAsync),
        new("advisor", Per.Run, 2000, Workload.AdvisorAsync),
    ];

    /// <summary>Not goals: what the same store does for a plain query, and what counting raw messages costs.</summary>
    public static List<Step> Baselines() =>
    [
        new("baseline: COUNT(*) memberships", Per.View, double.NaN, Workload.CountMembershipsAsync),
        new("baseline: one sample community's 90 days counted from raw messages", Per.View, double.NaN, Workload.RawNinetyDaysAsync),
        new("part of the overview: DashboardFigures alone", Per.View, double.NaN, Workload.DashboardFiguresAsync),
        new("part of the overview: the 30-day trend alone", Per.View, double.NaN, Workload.TrendAsync),
    ];
}

internal sealed record Timing(Step Step, double P50Ms, double P95Ms, double MaxMs)
{
    /// <summary>The figure the goal is about: p95 of a view, the median of a whole run.</summary>
    public double Figure => Step.Per == Per.View ? P95Ms : P50Ms;

    public bool Met => double.IsNaN(Step.GoalMs) || Figure <= Step.GoalMs;

    public string Short() => Step.Per == Per.View
        ? string.Create(CultureInfo.InvariantCulture, $"{Step.Name} p95 {P95Ms:0} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{Step.Name} {P50Ms / 1000:0.0} s");
}

internal sealed record StoreResult(List<Timing> Once, List<Timing> TenTimes)
{
    /// <summary>The worst ratio of a measured path's figure at ten times the raw volume to its figure before.</summary>
    public double Ratio => Once.Zip(TenTimes, (a, b) => b.Figure / Math.Max(a.Figure, 0.001)).DefaultIfEmpty(double.NaN).Max();

    private string RatioText => TenTimes.Count == 0 ? "10x-volume ratio not measured" : string.Create(CultureInfo.InvariantCulture, $"10x-volume ratio {Ratio:0.00}");

    public bool GoalsMet => Once.All(t => t.Met) && TenTimes.All(t => t.Met) && Ratio <= 1.2;

    public string Summary() => string.Join(", ", Once.Select(t => t.Short())) + ", " + RatioText;
}

internal static class Bench
{
    public static async Task<StoreResult> RunAsync(Options o, Store store)
    {
        using var host = await store.StartHostAsync();
        var clock = Stopwatch.StartNew();
        var kept = Path.Combine(store.WorkDir, "workload.json");
        Workload w;
        if (o.Reuse)
        {
            w = Workload.Load(kept);
            Console.Error.WriteLine($"  {store.Name}: reused {store.WorkDir} ({w.Describe()}); load {Load.Now()}");
        }
        else
        {
            w = await Generator.GenerateAsync(host.Services, o);
            Console.Error.WriteLine($"  {store.Name}: generated in {clock.Elapsed.TotalSeconds:0} s ({w.Describe()}); load {Load.Now()}");
            // What the app's settle job keeps stored: each join's settled cohort outcomes, which the cohort table reads.
            clock.Restart();
            var settled = await host.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(w.WorkspaceId, default);
            Console.Error.WriteLine($"  {store.Name}: cohort joins settled in {clock.Elapsed.TotalSeconds:0} s ({settled.Inserted:N0} rows)");
            await store.UpdateStatisticsAsync(host.Services);
            if (o.DataDir is not null)
                w.Save(kept);
        }
        // What the app's day job keeps stored: the workspace's complete days, which the overview reads.
        clock.Restart();
        var days = await host.Services.GetRequiredService<WorkspaceDaySettle>().RunWorkspaceAsync(w.WorkspaceId, default);
        Console.Error.WriteLine($"  {store.Name}: workspace days stored in {clock.Elapsed.TotalSeconds:0.0} s ({days.Stored} days)");

        var once = await MeasureAsync(o, store, host.Services, w, "raw ×1");
        await using (var scope = host.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(w.WorkspaceId);
            var (rules, advice) = await Workload.AdvisorRulesAsync(w, scope.ServiceProvider);
            Console.Error.WriteLine($"    {store.Name}: one advisor run by rule ({advice} advice): " +
                string.Join(", ", rules.Select(r => $"{r.Key} {r.Value.TotalMilliseconds:0} ms")));
        }
        // A kept workspace stays as generated: the ×10 raw volume is measured only on a throwaway one.
        if (o.DataDir is not null)
            return new StoreResult(once, []);
        clock.Restart();
        await Generator.RawMessagesAsync(host.Services, w, o.RawMessages * 9, first: o.RawMessages);
        Console.Error.WriteLine($"  {store.Name}: {o.RawMessages * 9:N0} more raw messages in {clock.Elapsed.TotalSeconds:0} s ({o.RawMessages * 10:N0} in all)");
        await store.UpdateStatisticsAsync(host.Services);
        var tenTimes = await MeasureAsync(o, store, host.Services, w, "raw ×10");
        for (var i = 0; i < once.Count; i++)
            Console.Error.WriteLine($"  {store.Name}: {once[i].Step.Name} at ×10 raw volume / at ×1: {tenTimes[i].Figure / Math.Max(once[i].Figure, 0.001):0.00} " +
                $"(p50 {tenTimes[i].P50Ms / Math.Max(once[i].P50Ms, 0.001):0.00})");
        return new StoreResult(once, tenTimes);
    }

    private static async Task<List<Timing>> MeasureAsync(Options o, Store store, IServiceProvider services, Workload w, string label)
    {
        var measured = new List<Timing>();
        foreach (var step in Steps.Measured())
            measured.Add(await TimeAsync(o, store, services, w, step, label));
        foreach (var step in Steps.Baselines())
            await TimeAsync(o, store, services, w, step, label);
        return measured;
    }

    private static async Task<Timing> TimeAsync(Options o, Store store, IServiceProvider services, Workload w, Step step, string label)
    {
        var (warmup, count) = step.Per == Per.View ? (o.Warmup, o.Iterations) : (1, 3);
        // Time-boxed, so that a slow path (seconds a read at full size) does not hold the run for an hour: the warm-up
        // stops after a quarter of --step-seconds, the timed reads after all of it, but never before 10 of them.
        var box = Stopwatch.StartNew();
        for (var i = 0; i < warmup && (i == 0 || box.Elapsed.TotalSeconds < o.StepSeconds / 4); i++)
            await OnceAsync(services, w, step, i);
        box.Restart();
        var timed = new List<double>(count);
        for (var i = 0; i < count && (i < 10 || box.Elapsed.TotalSeconds < o.StepSeconds); i++)
        {
            var start = Stopwatch.GetTimestamp();
            await OnceAsync(services, w, step, warmup + i);
            timed.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        var ms = timed.ToArray();
        count = ms.Length;
        Array.Sort(ms);
        var t = new Timing(step, Pct(ms, 0.50), Pct(ms, 0.95), ms[^1]);
        var goal = double.IsNaN(step.GoalMs) ? "" : step.Per == Per.View
            ? $" (goal p95 ≤ {step.GoalMs:0} ms: {(t.Met ? "met" : "NOT met")})"
            : $" (goal ≤ {step.GoalMs / 1000:0.#} s: {(t.Met ? "met" : "NOT met")})";
        Console.Error.WriteLine($"    {store.Name} {label}: {step.Name}: p50 {t.P50Ms:0.0} ms, p95 {t.P95Ms:0.0} ms, max {t.MaxMs:0.0} ms over {count}{goal}; load {Load.Now()}");
        return t;
    }

    private static async Task OnceAsync(IServiceProvider services, Workload w, Step step, int i)
    {
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(w.WorkspaceId);
        await step.Once(w, scope.ServiceProvider, i);
    }

    private static double Pct(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>The generated workspace and the reads timed on it, each as the page or endpoint makes it.</summary>
internal sealed class Workload(Guid workspaceId, Guid[] communities, Guid[] rawCommunities, int members, int memberships, int figureRows, int speakerRows, int orders, int advisorRows)
{
    private sealed record Kept(Guid WorkspaceId, Guid[] Communities, Guid[] RawCommunities, int[] Counts);

    /// <summary>Written next to a kept workspace (--keep), read back by --reuse.</summary>
    public void Save(string path) => File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(
        new Kept(WorkspaceId, Communities, RawCommunities, [Members, memberships, figureRows, speakerRows, orders, advisorRows])));

    public static Workload Load(string path)
    {
        var k = System.Text.Json.JsonSerializer.Deserialize<Kept>(File.ReadAllText(path))
            ?? throw new InvalidOperationException($"{path} holds no workload");
        return new Workload(k.WorkspaceId, k.Communities, k.RawCommunities, k.Counts[0], k.Counts[1], k.Counts[2], k.Counts[3], k.Counts[4], k.Counts[5]);
    }

    public Guid WorkspaceId { get; } = workspaceId;
    public Guid[] Communities { get; } = communities;
    public Guid[] RawCommunities { get; } = rawCommunities;
    public int Members { get; } = members;

    public string Describe() => $"{Communities.Length:N0} communities, {Members:N0} members, {memberships:N0} memberships, " +
        $"{figureRows:N0} daily-figure rows, {speakerRows:N0} daily speakers, {orders:N0} orders, " +
        $"{advisorRows:N0} rows of questions, campaigns, channels and costs for the advisor";

    /// <summary>"/": the dashboard's figures and the workspace trend under them (30 days over every community seen).</summary>
    public static async Task OverviewAsync(Workload w, IServiceProvider sp, int i)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        var zone = await sp.GetRequiredService<WorkspaceZones>().GetAsync(w.WorkspaceId);
        var now = DateTime.UtcNow;
        var figures = await DashboardFigures.ComputeAsync(db, zone, now);
        var me = await db.Current.GetProfileAsync(db);
        var today = DailyFigures.DayOf(now, zone);
        var days = await DailyFigures.ReadAsync(db, db.Visible(me), today.AddDays(-30), today, zone, now, default);
        Keep(figures.Members + DailyTrend.From(days, 30).Days.Count);
    }

    /// <summary>One community's page over 90 days (the activity page's reads: its head, then its daily figures).</summary>
    public static async Task CommunityAsync(Workload w, IServiceProvider sp, int i)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        var zone = await sp.GetRequiredService<WorkspaceZones>().GetAsync(w.WorkspaceId);
        var now = DateTime.UtcNow;
        var me = await db.Current.GetProfileAsync(db);
        var id = w.Communities[(int)((i * 7919L) % w.Communities.Length)];
        var community = db.Visible(me).Where(c => c.Id == id);
        var head = await community.Select(c => new { c.Name, c.Platform }).SingleAsync();
        var today = DailyFigures.DayOf(now, zone);
        var days = await DailyFigures.ReadAsync(db, community, today.AddDays(-90), today, zone, now, default);
        Keep(head.Name.Length + DailyTrend.From(days, 90).Days.Count);
    }

    /// <summary>The cohort table as its page opens: the default period (12 complete weeks and the current one), by join week.</summary>
    public static async Task CohortsAsync(Workload w, IServiceProvider sp, int i)
    {
        var cohorts = sp.GetRequiredService<RetentionCohorts>();
        var (from, to, v) = await cohorts.PeriodAsync(null, null, default);
        if (!v.IsValid)
            throw new InvalidOperationException("the default cohort period is not valid");
        var report = await cohorts.ReportAsync(CohortBy.Week, from, to, null, default)
            ?? throw new InvalidOperationException("the cohorts were not readable");
        Keep(report.Total.Joins);
    }

    /// <summary>The advisor over the whole workspace, as the owner opens /advisor (every rule; the bench acts as no staff
    /// member, so it runs for an owner's profile).</summary>
    public static async Task AdvisorAsync(Workload w, IServiceProvider sp, int i)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        var zone = await sp.GetRequiredService<WorkspaceZones>().GetAsync(w.WorkspaceId);
        var target = sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Shequn.Features.Responses.ResponsesOptions>>().CurrentValue.Target;
        var owner = new Shequn.Platform.Auth.StaffProfile(Guid.Empty, "bench owner", Shequn.Features.Staff.StaffRole.Owner, []);
        var advice = await new Shequn.Features.Advisor.PlaybookAdvisor(db, target).RunAsync(owner, zone, DateTime.UtcNow, includeDismissed: false, default);
        Keep(advice.Count);
    }

    /// <summary>One advisor run with each rule's time, and how many advice it gave (what the generated data triggers).</summary>
    public static async Task<(Dictionary<string, TimeSpan> Rules, string Advice)> AdvisorRulesAsync(Workload w, IServiceProvider sp)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        var zone = await sp.GetRequiredService<WorkspaceZones>().GetAsync(w.WorkspaceId);
        var target = sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Shequn.Features.Responses.ResponsesOptions>>().CurrentValue.Target;
        var owner = new Shequn.Platform.Auth.StaffProfile(Guid.Empty, "bench owner", Shequn.Features.Staff.StaffRole.Owner, []);
        var rules = new Dictionary<string, TimeSpan>();
        var advice = await new Shequn.Features.Advisor.PlaybookAdvisor(db, target).RunAsync(owner, zone, DateTime.UtcNow, includeDismissed: false, default, rules);
        return (rules, string.Join(" ", advice.GroupBy(a => a.Rule).Select(g => $"{g.Key} {g.Count()}")));
    }

    public static async Task DashboardFiguresAsync(Workload w, IServiceProvider sp, int i)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        var zone = await sp.GetRequiredService<WorkspaceZones>().GetAsync(w.WorkspaceId);
        Keep((await DashboardFigures.ComputeAsync(db, zone, DateTime.UtcNow)).Members);
    }

    public static async Task TrendAsync(Workload w, IServiceProvider sp, int i)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        var zone = await sp.GetRequiredService<WorkspaceZones>().GetAsync(w.WorkspaceId);
        var now = DateTime.UtcNow;
        var me = await db.Current.GetProfileAsync(db);
        var today = DailyFigures.DayOf(now, zone);
        Keep((await DailyFigures.ReadAsync(db, db.Visible(me), today.AddDays(-30), today, zone, now, default)).Count);
    }

    public static async Task CountMembershipsAsync(Workload w, IServiceProvider sp, int i)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        Keep(await db.Memberships.CountAsync());
    }

    /// <summary>What the community page would cost if it counted messages and speakers from the raw log.</summary>
    public static async Task RawNinetyDaysAsync(Workload w, IServiceProvider sp, int i)
    {
        var db = sp.GetRequiredService<AppDbContext>();
        var zone = await sp.GetRequiredService<WorkspaceZones>().GetAsync(w.WorkspaceId);
        var id = w.RawCommunities[i % w.RawCommunities.Length];
        var since = DailyFigures.StartOf(DailyFigures.DayOf(DateTime.UtcNow, zone).AddDays(-90), zone);
        var raw = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.CommunityId == id && e.Kind == EventKind.MessagePosted && e.OccurredAt >= since)
            .Select(e => new { e.OccurredAt, e.UserId })
            .ToListAsync();
        var perDay = raw.GroupBy(e => DailyFigures.DayOf(e.OccurredAt, zone)).Select(g => (g.Count(), g.Select(e => e.UserId).Distinct().Count())).ToList();
        Keep(perDay.Count);
    }

    private static int _kept;

    /// <summary>Keeps a result alive so that nothing is optimised away.</summary>
    private static void Keep(int value) => Interlocked.Add(ref _kept, value);
}

/// <summary>Where a run keeps its data: a data directory on SQLite, a fresh database on PostgreSQL.</summary>
internal sealed class Store
{
    private string? _database;

    private Store(string name, string workDir, string? server)
    {
        Name = name;
        WorkDir = workDir;
        Server = server;
    }

    public string Name { get; }
    public string WorkDir { get; }
    public string? Server { get; }

    public static Store Sqlite(string workDir) => new("SQLite", workDir, null);

    public static Store Postgres(string workDir, string server) => new("PostgreSQL", workDir, server);

    /// <summary>The app's database composition (as src/Shequn/Program.cs makes it) and the figures' services; migrated, not started.</summary>
    public async Task<IHost> StartHostAsync()
    {
        // No pause between the stored days: nothing else writes here, and the pause (100 ms a day, for other writers'
        // sake) would be most of the time the storing takes.
        var settings = new List<string> { "--data-dir", Path.Combine(WorkDir, Name.ToLowerInvariant()), "--Analytics:WorkspaceDaysPause", "00:00:00" };
        if (Server is not null)
        {
            _database = "shequn_analytics_" + Guid.NewGuid().ToString("N")[..8];
            settings.AddRange(["--Database:Provider", "Postgres", "--Database:ConnectionString",
                new NpgsqlConnectionStringBuilder(Server) { Database = _database }.ConnectionString]);
        }
        var builder = Host.CreateApplicationBuilder([.. settings]);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddShequnDatabase();
        builder.AddShequnWorkspaces();
        builder.AddShequnAnalytics();
        var host = builder.Build();
        await DatabaseSetup.MigrateAsync(host.Services);
        return host;
    }

    /// <summary>What the app keeps up to date by itself: SQLite's statistics (SqliteStatistics at start and hourly) and its
    /// write-ahead log checkpointed, PostgreSQL's statistics (autovacuum, here at once).</summary>
    public async Task UpdateStatisticsAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        if (Server is null)
        {
            await SqliteStatistics.UpdateAsync(db, default);
            // The app's writers checkpoint as they go (SqliteCheckpointer); the bulk loader writes past them, and a write-ahead
            // log left with hundreds of megabytes of frames slowed every read (a plain COUNT 1.4× at p50 after the ×10 load).
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        else
            await db.Database.ExecuteSqlRawAsync("ANALYZE");
    }

    public async Task DropAsync()
    {
        if (Server is null || _database is null)
            return;
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(Server);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

internal sealed record Options(int Communities, int Members, int Orders, int Days, int RawCommunities, int RawMessages, int Iterations, int Warmup, double StepSeconds, string? Postgres,
    bool Unflagged = false, string? DataDir = null, bool Reuse = false, bool PostgresOnly = false)
{
    public static Options Parse(string[] args)
    {
        int communities = 1_000, members = 200_000, orders = 1_000_000, days = 365, rawCommunities = 10, rawMessages = 100_000, iterations = 200, warmup = 20;
        double stepSeconds = 60;
        string? postgres = null;
        var unflagged = false;
        var reuse = false;
        var postgresOnly = false;
        string? dataDir = null;
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--communities": communities = Next(); break;
                case "--members": members = Next(); break;
                case "--orders": orders = Next(); break;
                case "--days": days = Next(); break;
                case "--raw-communities": rawCommunities = Next(); break;
                case "--raw-messages": rawMessages = Next(); break;
                case "--iterations": iterations = Next(); break;
                case "--warmup": warmup = Next(); break;
                case "--step-seconds": stepSeconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--postgres": postgres = args[++i]; break;
                case "--unflagged": unflagged = true; break;
                case "--postgres-only": postgresOnly = true; break;
                case "--keep": dataDir = Path.GetFullPath(args[++i]); break;
                case "--reuse": dataDir = Path.GetFullPath(args[++i]); reuse = true; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        if (communities < 1 || members < 1 || days < 1 || iterations < 1 || rawCommunities < 1)
            throw new ArgumentException("--communities, --members, --days, --raw-communities and --iterations must be at least 1");
        if (dataDir is not null && postgres is not null)
            throw new ArgumentException("--keep and --reuse are for SQLite only: add --sqlite-only");
        if (postgresOnly && postgres is null)
            throw new ArgumentException("--postgres-only needs a PostgreSQL server: leave out --sqlite-only");
        return new Options(communities, members, orders, days, Math.Min(rawCommunities, communities), rawMessages, iterations, warmup, stepSeconds, postgres, unflagged,
            dataDir, reuse, postgresOnly);
    }
}
