using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shequn.Data;
using Shequn.Features;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;
using Shequn.Platform.KeyRing;

// ./bench.sh schedule [--posts N] [--communities C] [--window S] [--lead S] [--hosts H] [--postgres CONNSTRING] [--Posts:BatchSize B] [--Posts:PollInterval T]
// N approved posts (10,000), one copy each, spread over C Sandbox communities (2,000; five posts a community), all due
// within one window (60 s) that opens a few seconds (--lead, 5) after the seeding began. The real app host runs its
// post scheduler (dispatcher off: what is measured is the hand-over to the outbox, not the platform's send rate) and the
// bench waits until every copy is handed over, then reads how late each was (EnqueuedAt − DueAt) and counts copies lost
// (never handed over) or handed over twice. On SQLite one host; with --postgres, H hosts (2) on one fresh database.
// Each store also gets a burst (every copy already due at once: the scheduler's throughput) and a floor (the same number
// of outbound actions written by plain EF inserts in batches of 1,000, no scheduler). Then the calendar's month view for
// --month-communities communities (500), timed against reading the month's copies alone.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var o = Options.Parse(args);
var workDir = Path.Combine(Path.GetTempPath(), "shequn-bench-schedule", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(workDir);
Console.Error.WriteLine($"schedule: {o.Posts:N0} posts over {o.Communities:N0} communities due within {o.Window:0.#} s, first due {o.Lead:0.#} s after seeding began; " +
    $"SQLite{(o.Postgres is null ? "" : $" and {o.Hosts} hosts on PostgreSQL")}; {Environment.ProcessorCount} cores, load {Load()}" +
    (o.HostSettings.Count == 0 ? "" : "; " + string.Join(' ', o.HostSettings)));
var sqlite = Store.Sqlite(Path.Combine(workDir, "sqlite"));
Store? postgres = o.Postgres is null ? null : Store.Postgres(Path.Combine(workDir, "postgres"), o.Postgres);
var bad = false;
try
{
    var onSqlite = await Bench.MinuteAsync(o, sqlite.Fresh("minute"), hosts: 1);
    bad |= !onSqlite.Sound;
    bad |= !(await Bench.BurstAsync(o, sqlite.Fresh("burst"), hosts: 1)).Sound;
    await Bench.FloorAsync(o, sqlite.Fresh("floor"));
    await Bench.MonthViewAsync(o, sqlite.Fresh("month"));
    MinuteRun? onPostgres = null;
    if (postgres is not null)
    {
        onPostgres = await Bench.MinuteAsync(o, postgres.Fresh("minute"), o.Hosts);
        bad |= !onPostgres.Sound;
        bad |= !(await Bench.BurstAsync(o, postgres.Fresh("burst"), o.Hosts)).Sound;
        await Bench.FloorAsync(o, postgres.Fresh("floor"));
        await Bench.MonthViewAsync(o, postgres.Fresh("month"));
    }
    Console.Error.WriteLine($"  load after the runs: {Load()}");
    var onBoth = onPostgres is null ? "" : string.Create(CultureInfo.InvariantCulture, $" ({o.Hosts} hosts on PostgreSQL: {onPostgres.SentTwice} sent twice)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"schedule: {o.Posts} posts, last {onSqlite.LastLate.TotalSeconds:0.0} s late, {onSqlite.SentTwice} sent twice{onBoth}"));
}
finally
{
    SqliteConnection.ClearAllPools();
    NpgsqlConnection.ClearAllPools();
    if (postgres is not null)
        await postgres.DropAllAsync();
    try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
}
return bad ? 1 : 0;

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

internal static class Bench
{
    /// <summary>The copies due over one window: how late the last was handed over, and whether any was lost or doubled.</summary>
    public static async Task<MinuteRun> MinuteAsync(Options o, Store store, int hosts)
    {
        var logs = Enumerable.Range(1, hosts).Select(i => new HostLog(i)).ToArray();
        var started = new List<IHost>();
        try
        {
            foreach (var log in logs)
                started.Add(await store.StartHostAsync(o, log, scheduler: true));
            var seed = await Seeding.SeedAsync(started, o, TimeSpan.FromSeconds(o.Lead), TimeSpan.FromSeconds(o.Window));
            var margin = seed.FirstDue - seed.CommittedAt;
            Console.Error.WriteLine($"  {store.Name}, {hosts} host(s): seeded in {seed.Seconds:0.0} s, committed {margin.TotalSeconds:0.0} s before the first copy is due");
            var lastDue = seed.FirstDue + TimeSpan.FromSeconds(o.Window);
            var done = await Waiting.UntilHandedOverAsync(started[0], seed, lastDue + TimeSpan.FromMinutes(2));
            var count = await Counting.CountAsync(started[0], seed.WorkspaceId);
            var observed = done is { } at ? at - count.LastDue : (TimeSpan?)null;
            var late = count.Late;
            Console.Error.WriteLine($"    handed over {count.Handed:N0} of {o.Posts:N0}; late (EnqueuedAt − DueAt) p50 {Pct(late, 0.5):0.00} s, p99 {Pct(late, 0.99):0.00} s, " +
                $"max {Max(late):0.00} s (actions' CreatedAt − DueAt max {Max(count.ActionLate):0.00} s); " +
                (observed is { } ob ? $"every copy committed {ob.TotalSeconds:0.0} s after the last due time (seen by polling every {Waiting.Poll.TotalSeconds:0.0} s)" : "NOT every copy was handed over in time"));
            Console.Error.WriteLine($"    {count.Describe()}; {Hosts(logs)}");
            if (margin < TimeSpan.FromSeconds(1))
                Console.Error.WriteLine("    WARNING: the seeding ended less than 1 s before the first copy was due; raise --lead");
            return new MinuteRun(TimeSpan.FromSeconds(Max(late)), count.SentTwice, count.Lost == 0 && count.SentTwice == 0 && done is not null);
        }
        finally
        {
            await Stopping.StopAsync(started);
        }
    }

    /// <summary>Every copy already due at once (the app was down for half a minute): how fast the scheduler hands over.</summary>
    public static async Task<BurstRun> BurstAsync(Options o, Store store, int hosts)
    {
        var logs = Enumerable.Range(1, hosts).Select(i => new HostLog(i)).ToArray();
        var started = new List<IHost>();
        try
        {
            foreach (var log in logs)
                started.Add(await store.StartHostAsync(o, log, scheduler: true));
            var seed = await Seeding.SeedAsync(started, o, TimeSpan.FromSeconds(-30), TimeSpan.Zero);
            var done = await Waiting.UntilHandedOverAsync(started[0], seed, seed.CommittedAt + TimeSpan.FromMinutes(5));
            var count = await Counting.CountAsync(started[0], seed.WorkspaceId);
            var seconds = done is { } at ? (at - seed.CommittedAt).TotalSeconds : double.NaN;
            Console.Error.WriteLine($"  {store.Name}, {hosts} host(s), burst: {count.Handed:N0} copies due at once handed over {seconds:0.00} s after the commit " +
                $"({o.Posts / seconds:N0}/s, the schedulers woken at the commit); {count.Describe()}; {Hosts(logs)}");
            return new BurstRun(seconds, count.Lost == 0 && count.SentTwice == 0 && done is not null);
        }
        finally
        {
            await Stopping.StopAsync(started);
        }
    }

    /// <summary>The floor: the same number of outbound actions written by plain EF inserts, 1,000 a transaction, no scheduler.</summary>
    public static async Task FloorAsync(Options o, Store store)
    {
        var started = new List<IHost>();
        try
        {
            var host = await store.StartHostAsync(o, new HostLog(1), scheduler: false);
            started.Add(host);
            var (workspaceId, communities) = await Seeding.WorkspaceAsync(host, o);
            // Warm up once (not timed): EF's model and the insert paths compiled.
            await WriteActionsAsync(host, workspaceId, communities, "warm", 0, 100, setWise: false);
            await WriteActionsAsync(host, workspaceId, communities, "warm-set", 0, 100, setWise: true);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < o.Posts; i += 1000)
                await WriteActionsAsync(host, workspaceId, communities, "plain", i, Math.Min(1000, o.Posts - i), setWise: false);
            var plain = clock.Elapsed.TotalSeconds;
            clock.Restart();
            for (var i = 0; i < o.Posts; i += 1000)
                await WriteActionsAsync(host, workspaceId, communities, "set", i, Math.Min(1000, o.Posts - i), setWise: true);
            var setWise = clock.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"  {store.Name}, floor: {o.Posts:N0} outbound actions in batches of 1,000, plain EF inserts {plain:0.00} s ({o.Posts / plain:N0}/s); " +
                $"set-wise inserts as the scheduler saves them {setWise:0.00} s ({o.Posts / setWise:N0}/s)");
        }
        finally
        {
            await Stopping.StopAsync(started);
        }
    }

    /// <summary>
    /// The calendar's month view for the owner of <see cref="Options.MonthCommunities"/> communities (500): three
    /// workspace-wide posts a day for the month (each to every community) and one post of its own per community a week,
    /// read as the page reads them (<see cref="PostPlanner.PostsAsync"/>: posts with their community counts), 50 times
    /// after 10 untimed; the floor is reading the month's copies' ids with nothing joined or counted. The lint over the
    /// same month (every community) is timed the same way, on its own.
    /// </summary>
    public static async Task MonthViewAsync(Options o, Store store)
    {
        var started = new List<IHost>();
        try
        {
            var host = await store.StartHostAsync(o, new HostLog(1), scheduler: false);
            started.Add(host);
            var (workspaceId, communities) = await Seeding.WorkspaceAsync(host, o with { Communities = o.MonthCommunities });
            var zone = TimeZoneInfo.FindSystemTimeZoneById(Workspace.DefaultTimeZone);
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, zone));
            var first = new DateOnly(today.Year, today.Month, 1).AddMonths(1);
            var days = first.AddMonths(1).DayNumber - first.DayNumber;
            var deliveries = 0;
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                db.Current.ActAsSystem(workspaceId);
                (string Title, ContentType Type, TimeOnly At)[] slots =
                [
                    ("早安知识", ContentType.Knowledge, new TimeOnly(9, 30)), ("午后话题", ContentType.Topic, new TimeOnly(15, 0)),
                    ("今晚爆品", ContentType.ProductOfTheDay, new TimeOnly(20, 0)),
                ];
                for (var d = 0; d < days; d++)
                {
                    var day = first.AddDays(d);
                    foreach (var (title, type, at) in slots)
                    {
                        var due = TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(at), zone);
                        var post = NewPost(workspaceId, title, type, due);
                        db.Add(post);
                        foreach (var c in communities)
                            db.Add(new PostDelivery { WorkspaceId = workspaceId, PostId = post.Id, CommunityId = c, DueAt = due, State = DeliveryState.Scheduled });
                        deliveries += communities.Length;
                    }
                    // A post of its own for a seventh of the communities each day: one a week each.
                    for (var i = d % 7; i < communities.Length; i += 7)
                    {
                        var due = TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(new TimeOnly(11, 0)), zone);
                        var post = NewPost(workspaceId, "本群专属", ContentType.Seeding, due);
                        db.Add(post);
                        db.Add(new PostDelivery { WorkspaceId = workspaceId, PostId = post.Id, CommunityId = communities[i], DueAt = due, State = DeliveryState.Scheduled });
                        deliveries++;
                    }
                    await db.SaveChangesSetWiseAsync();
                    db.ChangeTracker.Clear();
                }
            }
            // The planner's statistics, as a running database has them: PostgreSQL's autovacuum analyzes a table within a
            // minute of this many inserts (without, it joined the month's counts to the posts by nested loops: 300 ms);
            // SQLite's are refreshed by the app (Data/SqliteStatistics).
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                await db.Database.ExecuteSqlRawAsync(db.Database.IsNpgsql() ? "ANALYZE" : "PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002");
            }
            var from = TimeZoneInfo.ConvertTimeToUtc(first.ToDateTime(TimeOnly.MinValue), zone);
            var to = TimeZoneInfo.ConvertTimeToUtc(first.AddMonths(1).ToDateTime(TimeOnly.MinValue), zone);
            int posts = 0, findings = 0;
            var view = await TimeAsync(host, workspaceId, async p => posts = (await p.PostsAsync(from, to, null)).Count);
            var floor = await TimeAsync(host, workspaceId, async (p, db) => await db.Set<PostDelivery>().AsNoTracking().Where(x => x.DueAt >= from && x.DueAt < to).Select(x => x.PostId).ToListAsync());
            var lint = await TimeAsync(host, workspaceId, async p => findings = (await p.LintAsync(first, first.AddMonths(1).AddDays(-1), null)).Count);
            Console.Error.WriteLine($"  {store.Name}, month view: {o.MonthCommunities:N0} communities, {posts:N0} posts, {deliveries:N0} copies in {first:yyyy-MM}; " +
                $"the page's data p50 {view.P50:0.0} ms, p95 {view.P95:0.0} ms (floor, the copies' ids alone: p50 {floor.P50:0.0} ms, p95 {floor.P95:0.0} ms); " +
                $"the lint over every community p50 {lint.P50:0.0} ms, p95 {lint.P95:0.0} ms ({findings:N0} findings)");
        }
        finally
        {
            await Stopping.StopAsync(started);
        }
    }

    private static Post NewPost(Guid workspaceId, string title, ContentType type, DateTime due) => new()
    {
        WorkspaceId = workspaceId, Title = title, Text = "{community} " + title, ContentType = type, DueAt = due, Status = PostStatus.Approved,
        ApprovedAt = DateTime.UtcNow,
    };

    private static Task<(double P50, double P95)> TimeAsync(IHost host, Guid workspaceId, Func<PostPlanner, Task> read) =>
        TimeAsync(host, workspaceId, (p, _) => read(p));

    private static async Task<(double P50, double P95)> TimeAsync(IHost host, Guid workspaceId, Func<PostPlanner, AppDbContext, Task> read)
    {
        var times = new List<double>();
        for (var i = 0; i < 60; i++)
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(workspaceId); // the owner's view: every community
            var planner = scope.ServiceProvider.GetRequiredService<PostPlanner>();
            var clock = Stopwatch.StartNew();
            await read(planner, db);
            if (i >= 10)
                times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return (Pct([.. times], 0.5), Pct([.. times], 0.95));
    }

    private static async Task WriteActionsAsync(IHost host, Guid workspaceId, Guid[] communities, string tag, int first, int count, bool setWise)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = DateTime.UtcNow;
        var actions = Enumerable.Range(first, count).Select(i =>
        {
            var a = OutboundAction.Create(workspaceId, communities[i % communities.Length], ActionKind.Send,
                new ActionPayload(Text: Seeding.TextOf(i) + " 群" + (i % communities.Length).ToString(CultureInfo.InvariantCulture)),
                FormattableString.Invariant($"floor:{tag}:{i}"));
            a.NextAttemptAt = now;
            return a;
        }).ToList();
        db.AddRange(actions);
        if (setWise)
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await db.SaveChangesSetWiseAsync();
            await tx.CommitAsync();
        }
        else
        {
            await db.SaveChangesWithoutAuditAsync();
        }
    }

    private static string Hosts(HostLog[] logs) => string.Join(", ", logs.Select(l => l.ToString()));

    private static double Max(double[] values) => values.Length == 0 ? double.NaN : values.Max();

    private static double Pct(double[] values, double p)
    {
        if (values.Length == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

internal sealed record MinuteRun(TimeSpan LastLate, int SentTwice, bool Sound);

internal sealed record BurstRun(double Seconds, bool Sound);

/// <summary>Where a run's hosts keep their data: a data directory per run on SQLite, a fresh database per run on PostgreSQL.</summary>
internal sealed class Store
{
    private readonly List<string> _databases = [];
    private string _run = "";

    private Store(string name, string workDir, string? server)
    {
        Name = name;
        WorkDir = workDir;
        Server = server;
    }

    public string Name { get; }
    public string WorkDir { get; }
    public string? Server { get; }
    private string? Database { get; set; }

    public static Store Sqlite(string workDir) => new("SQLite", workDir, null);

    public static Store Postgres(string workDir, string server) => new("PostgreSQL", workDir, server);

    /// <summary>The same store with a new, empty database for the next run.</summary>
    public Store Fresh(string run)
    {
        _run = run;
        if (Server is not null)
        {
            Database = "shequn_schedule_" + run + "_" + Guid.NewGuid().ToString("N")[..8];
            _databases.Add(Database);
        }
        return this;
    }

    /// <summary>
    /// The app's own composition (as src/Shequn/Program.cs, minus the web parts): database, key ring, events (with the
    /// outbox and its connectors) and the member operations (with the calendar). The event processor and the outbox's
    /// dispatcher are off; the post scheduler runs as it does in the app.
    /// </summary>
    public async Task<IHost> StartHostAsync(Options o, HostLog log, bool scheduler)
    {
        var dataDir = Path.Combine(WorkDir, _run, "host" + log.Index.ToString(CultureInfo.InvariantCulture));
        var settings = new List<string>
        {
            "--data-dir", Server is null ? Path.Combine(WorkDir, _run) : dataDir,
            "--Events:ProcessorEnabled", "false", "--Outbox:DispatcherEnabled", "false",
            "--Posts:SchedulerEnabled", scheduler ? "true" : "false",
            // Nodes sharing a database share the key ring, so they share its key-encryption secret (ADR-007).
            "--" + KeyEncryptionSecrets.ConfigKey, "bench-hosts-share-this-key-encryption-secret",
        };
        if (Server is not null)
            settings.AddRange(["--Database:Provider", "Postgres", "--Database:ConnectionString", new NpgsqlConnectionStringBuilder(Server) { Database = Database }.ConnectionString]);
        settings.AddRange(o.HostSettings);
        var builder = Host.CreateApplicationBuilder([.. settings]);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The scheduler's pass summaries (Debug) are counted per host, not printed.
        builder.Logging.AddFilter(typeof(PostScheduler).FullName, LogLevel.Debug);
        builder.Logging.AddProvider(log);
        builder.AddShequnDatabase();
        var keysDir = DataDirectory.Resolve(builder.Configuration);
        Directory.CreateDirectory(keysDir);
        builder.Services.AddShequnKeyRing(builder.Configuration, keysDir);
        builder.AddShequnEvents();
        builder.AddShequnMemberOperations();
        var host = builder.Build();
        await DatabaseSetup.MigrateAsync(host.Services);
        await host.StartAsync();
        return host;
    }

    public async Task DropAllAsync()
    {
        if (Server is null)
            return;
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(Server);
        await conn.OpenAsync();
        foreach (var database in _databases)
        {
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}

internal sealed record Seeded(Guid WorkspaceId, int Posts, DateTime FirstDue, DateTime CommittedAt, double Seconds);

internal static class Seeding
{
    private static readonly string[] Texts =
    [
        "{community} 今日爆品：深海鱼油买二送一，今晚 8 点开抢", "今日知识：鱼油和磷虾油有什么区别？", "群接龙：明早 10 点到货的请接龙",
        "{community} 的家人们，周末亲子活动报名开始啦", "品质保障：每批次第三方检测报告已上传", "话题：你家宝宝几点睡觉？",
    ];

    public static string TextOf(int i) => Texts[i % Texts.Length];

    /// <summary>A workspace and its Sandbox communities, all active.</summary>
    public static async Task<(Guid WorkspaceId, Guid[] Communities)> WorkspaceAsync(IHost host, Options o)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ws = new Workspace { Name = "bench-" + Guid.NewGuid().ToString("N")[..8] };
        db.Workspaces.Add(ws);
        await db.SaveChangesWithoutAuditAsync();
        db.Current.ActAsSystem(ws.Id);
        var communities = Enumerable.Range(0, o.Communities).Select(i => new Community
        {
            WorkspaceId = ws.Id, Name = "推送群" + i.ToString(CultureInfo.InvariantCulture), Platform = ChatPlatform.Sandbox,
            State = CommunityState.Active, Capacity = 500, Intro = "欢迎来到推送群", Rules = "文明发言",
        }).ToList();
        db.Communities.AddRange(communities);
        await db.SaveChangesWithoutAuditAsync();
        return (ws.Id, [.. communities.Select(c => c.Id)]);
    }

    /// <summary>
    /// Approved posts with one scheduled copy each, post i in community i mod C, due at first + window·i/N where
    /// first = (the start of the insert) + lead. The posts and copies go in one transaction, so the scheduler sees all
    /// or none of them; the hosts' schedulers are woken after the commit, as the planner wakes its node's.
    /// </summary>
    public static async Task<Seeded> SeedAsync(IReadOnlyList<IHost> hosts, Options o, TimeSpan lead, TimeSpan window)
    {
        var (workspaceId, communities) = await WorkspaceAsync(hosts[0], o);
        var clock = Stopwatch.StartNew();
        var first = DateTime.UtcNow + lead;
        await using (var scope = hosts[0].Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(workspaceId);
            await using var tx = await db.Database.BeginTransactionAsync();
            const int chunk = 2000;
            for (var start = 0; start < o.Posts; start += chunk)
            {
                for (var i = start; i < Math.Min(o.Posts, start + chunk); i++)
                {
                    var due = first + window * i / o.Posts;
                    var community = communities[i % communities.Length];
                    var post = new Post
                    {
                        WorkspaceId = workspaceId, Title = "推送 " + i.ToString(CultureInfo.InvariantCulture), Text = TextOf(i),
                        Link = i % 3 == 0 ? "https://shop.example/p/" + (i % 97).ToString(CultureInfo.InvariantCulture) : null,
                        ContentType = (ContentType)(i % 8), Targets = $$"""{"communityIds":["{{community}}"]}""",
                        DueAt = due, Status = PostStatus.Approved, ApprovedAt = DateTime.UtcNow,
                    };
                    db.Add(post);
                    db.Add(new PostDelivery { WorkspaceId = workspaceId, PostId = post.Id, CommunityId = community, DueAt = due, State = DeliveryState.Scheduled });
                }
                await db.SaveChangesSetWiseAsync();
                db.ChangeTracker.Clear();
            }
            await tx.CommitAsync();
        }
        var committed = DateTime.UtcNow;
        foreach (var host in hosts)
            host.Services.GetRequiredService<PostSchedulerSignal>().Notify();
        return new Seeded(workspaceId, o.Posts, first, committed, clock.Elapsed.TotalSeconds);
    }
}

internal static class Waiting
{
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls until no copy of the workspace is still scheduled; returns when that was seen, or null at the deadline.</summary>
    public static async Task<DateTime?> UntilHandedOverAsync(IHost host, Seeded seed, DateTime deadline)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var deliveries = db.Set<PostDelivery>().IgnoreQueryFilters().AsNoTracking().Where(d => d.WorkspaceId == seed.WorkspaceId);
        var reported = DateTime.UtcNow;
        while (true)
        {
            var waiting = await deliveries.CountAsync(d => d.State == DeliveryState.Scheduled);
            var now = DateTime.UtcNow;
            if (waiting == 0)
                return now;
            if (now > deadline)
                return null;
            if (now - reported > TimeSpan.FromSeconds(15))
            {
                Console.Error.WriteLine($"    … {seed.Posts - waiting:N0} handed over, {waiting:N0} waiting");
                reported = now;
            }
            await Task.Delay(Poll);
        }
    }
}

internal sealed record Count(int Handed, int Lost, int Doubled, int Mismatched, int Orphans, double[] Late, double[] ActionLate, DateTime LastDue)
{
    /// <summary>Copies sent twice: two actions for one copy (any round), a copy linked to another action than its key's, an action without its copy.</summary>
    public int SentTwice => Doubled + Mismatched + Orphans;

    public string Describe() =>
        $"{Lost} lost, {SentTwice} sent twice ({Doubled} copies with two actions, {Mismatched} linked to another action than their key's, {Orphans} actions without a copy)";
}

internal static class Counting
{
    public static async Task<Count> CountAsync(IHost host, Guid workspaceId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var deliveries = await db.Set<PostDelivery>().IgnoreQueryFilters().AsNoTracking().Where(d => d.WorkspaceId == workspaceId)
            .Select(d => new { d.PostId, d.CommunityId, d.Round, d.State, d.ActionId, d.DueAt, d.EnqueuedAt }).ToListAsync();
        var actions = await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && a.IdempotencyKey.StartsWith("post:"))
            .Select(a => new { a.Id, a.IdempotencyKey, a.CreatedAt }).ToListAsync();

        var byKey = actions.GroupBy(a => a.IdempotencyKey).ToDictionary(g => g.Key, g => g.ToList());
        // A copy is post and community; its rounds are its keys' last part.
        var perCopy = actions.GroupBy(a => a.IdempotencyKey[..a.IdempotencyKey.LastIndexOf(':')]).ToDictionary(g => g.Key, g => g.Count());
        var keys = new HashSet<string>();
        int handed = 0, lost = 0, mismatched = 0;
        var late = new List<double>();
        var actionLate = new List<double>();
        foreach (var d in deliveries)
        {
            var key = PostDelivery.KeyOf(d.PostId, d.CommunityId, d.Round);
            keys.Add(key);
            if (d.State != DeliveryState.Enqueued || !byKey.TryGetValue(key, out var mine))
            {
                lost++;
                continue;
            }
            handed++;
            if (mine.Count != 1 || d.ActionId != mine[0].Id)
                mismatched++;
            if (d.EnqueuedAt is { } at)
                late.Add((at - d.DueAt).TotalSeconds);
            actionLate.Add((mine[0].CreatedAt - d.DueAt).TotalSeconds);
        }
        var doubled = perCopy.Count(c => c.Value > 1);
        var orphans = actions.Count(a => !keys.Contains(a.IdempotencyKey));
        return new Count(handed, lost, doubled, mismatched, orphans, [.. late], [.. actionLate],
            deliveries.Count == 0 ? default : deliveries.Max(d => d.DueAt));
    }
}

internal static class Stopping
{
    public static async Task StopAsync(List<IHost> hosts)
    {
        foreach (var host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
        hosts.Clear();
    }
}

/// <summary>
/// A host's log: warnings and errors to stderr (tagged with the host), errors counted, and the scheduler's pass
/// summaries counted (copies handed over, passes that handed over any), so each host's share is known.
/// </summary>
internal sealed class HostLog(int index) : ILoggerProvider
{
    private static readonly string Scheduler = typeof(PostScheduler).FullName!;
    private int _handed;
    private int _passes;
    private int _errors;

    public int Index => index;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public override string ToString() =>
        $"host {index}: {_handed:N0} copies in {_passes} passes{(_errors == 0 ? "" : $", {_errors} errors")}";

    private sealed class Logger(HostLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (category == Scheduler && state is IReadOnlyList<KeyValuePair<string, object?>> values
                && values.FirstOrDefault(v => v.Key == "Enqueued").Value is int enqueued && enqueued > 0)
            {
                Interlocked.Add(ref owner._handed, enqueued);
                Interlocked.Increment(ref owner._passes);
            }
            if (logLevel < LogLevel.Warning)
                return;
            if (logLevel >= LogLevel.Error)
                Interlocked.Increment(ref owner._errors);
            Console.Error.WriteLine($"    [host {owner.Index}] {logLevel} {category}: {formatter(state, exception)}" +
                (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})"));
        }
    }
}

internal sealed record Options(int Posts, int Communities, double Window, double Lead, int Hosts, string? Postgres, List<string> HostSettings, int MonthCommunities = 500)
{
    public static Options Parse(string[] args)
    {
        int posts = 10_000, communities = 2_000, hosts = 2, monthCommunities = 500;
        double window = 60, lead = 5;
        string? postgres = null;
        var hostSettings = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--posts": posts = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--communities": communities = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--window": window = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--lead": lead = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--hosts": hosts = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--month-communities": monthCommunities = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--postgres": postgres = args[++i]; break;
                // The scheduler's settings go to every host as they are (--Posts:BatchSize 500, --Posts:PollInterval 00:00:00.5).
                case var s when s.StartsWith("--Posts:", StringComparison.Ordinal): hostSettings.AddRange([s, args[++i]]); break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        return new Options(posts, communities, window, lead, hosts, postgres, hostSettings, monthCommunities);
    }
}
