using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;
using Shequn.Platform.KeyRing;

// ./bench.sh ingest [--events N] [--producers P] [--batch B] [--rate R] [--latency-seconds S] [--postgres CONNSTRING]
// Pushes synthetic message events through the real ingestion path (EventIngestor: queue, group commit, the same
// writer the HTTP endpoint and the connectors use), then measures acknowledgement latency at a fixed offered rate,
// then the raw rate of one prepared INSERT per row in one transaction into a fresh copy of the same table.
var options = Options.Parse(args);
var workDir = Path.Combine(Path.GetTempPath(), "shequn-bench-ingest", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(workDir);
Console.Error.WriteLine($"ingest: {(options.Postgres is null ? $"SQLite (WAL, synchronous={options.Synchronous})" : "PostgreSQL")}, {options.Events:N0} events, " +
    $"{options.Producers} producers × {options.Batch} events per call, {Environment.ProcessorCount} cores");

try
{
    var (rate, peakDuringThroughput, rssSamples) = await ThroughputAsync(options, workDir);
    var (p50, p99, offered) = await LatencyAsync(options, workDir);
    var raw = await RawAsync(options, workDir);
    var peak = PeakRssMb();
    Console.Error.WriteLine($"  RSS during the throughput run (MB, every ~10%): {string.Join(" ", rssSamples)}");
    Console.Error.WriteLine($"  ack latency at {offered:N0}/s offered: p50 {p50:0.0} ms, p99 {p99:0.0} ms");
    Console.Error.WriteLine($"  raw prepared INSERT, one transaction: {raw:N0} rows/s");
    var db = options.Postgres is null ? "sqlite" : "postgres";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ingest: {rate:0} events/s, {rate / raw:0.00}x raw {db} insert, p99 ack {p99:0.0} ms at {offered}/s, peak RSS {Math.Max(peak, peakDuringThroughput):0} MB"));
}
finally
{
    SqliteConnection.ClearAllPools();
    NpgsqlConnection.ClearAllPools();
    try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
}

static async Task<IHost> StartHostAsync(Options options, string dataDir, string? database)
{
    var settings = new List<string> { "--data-dir", dataDir, "--Events:ProcessorEnabled", "false", "--Events:SqliteSynchronous", options.Synchronous };
    if (options.Postgres is not null)
        settings.AddRange(["--Database:Provider", "Postgres", "--Database:ConnectionString", new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database }.ConnectionString]);
    var builder = Host.CreateApplicationBuilder([.. settings]);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.AddShequnDatabase();
    // The outbox's connectors (registered with the events) decrypt platform secrets with the key ring.
    Directory.CreateDirectory(dataDir);
    builder.Services.AddShequnKeyRing(builder.Configuration, dataDir);
    builder.AddShequnEvents();
    var host = builder.Build();
    await DatabaseSetup.MigrateAsync(host.Services);
    await host.StartAsync();
    return host;
}

static async Task<Guid> NewWorkspaceAsync(IHost host)
{
    await using var scope = host.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    var ws = new Workspace { Name = "bench-" + Guid.NewGuid().ToString("N")[..8] };
    db.Workspaces.Add(ws);
    await db.SaveChangesAsync();
    return ws.Id;
}

static async Task<(double Rate, double PeakRss, List<int> Samples)> ThroughputAsync(Options options, string workDir)
{
    using var host = await StartHostAsync(options, Path.Combine(workDir, "throughput"), "shequn_bench_" + Guid.NewGuid().ToString("N")[..8]);
    var ws = await NewWorkspaceAsync(host);
    var ingestor = host.Services.GetRequiredService<EventIngestor>();
    var generator = new Synthetic(ws);

    // Warm-up (JIT, connection, page cache), not counted.
    await ingestor.IngestAsync(generator.Batch(0, 0, 1000));

    var perProducer = options.Events / options.Producers;
    var total = perProducer * options.Producers;
    long done = 0;
    var samples = new List<int>();
    double peak = 0;
    var clock = Stopwatch.StartNew();
    var producers = Enumerable.Range(0, options.Producers).Select(p => Task.Run(async () =>
    {
        for (var i = 0; i < perProducer; i += options.Batch)
        {
            var n = Math.Min(options.Batch, perProducer - i);
            var statuses = await ingestor.IngestAsync(generator.Batch(p + 1, i, n));
            if (statuses.Any(s => s != IngestStatus.Accepted))
                throw new InvalidOperationException("a fresh event was reported as a duplicate");
            var now = Interlocked.Add(ref done, n);
            if (p == 0 && (now * 10 / total) > samples.Count)
            {
                lock (samples)
                {
                    var rss = CurrentRssMb();
                    samples.Add((int)rss);
                    peak = Math.Max(peak, rss);
                }
            }
        }
    })).ToList();
    await Task.WhenAll(producers);
    var seconds = clock.Elapsed.TotalSeconds;
    await host.StopAsync();
    Console.Error.WriteLine($"  throughput: {total:N0} events in {seconds:0.0} s");
    await DropAsync(options, host);
    return (total / seconds, peak, samples);
}

static async Task<(double P50, double P99, int Offered)> LatencyAsync(Options options, string workDir)
{
    using var host = await StartHostAsync(options, Path.Combine(workDir, "latency"), "shequn_bench_" + Guid.NewGuid().ToString("N")[..8]);
    var ws = await NewWorkspaceAsync(host);
    var ingestor = host.Services.GetRequiredService<EventIngestor>();
    var generator = new Synthetic(ws);
    await ingestor.IngestAsync(generator.Batch(0, 0, 1000));

    // Open loop: events are offered on a schedule whatever the acknowledgements do, one call per event (a webhook each).
    var count = options.Rate * options.LatencySeconds;
    var latencies = new double[count];
    var pending = new List<Task>(count);
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / options.Rate);
        var wait = due - clock.Elapsed;
        if (wait > TimeSpan.FromMilliseconds(1))
            await Task.Delay(wait);
        var index = i;
        var started = clock.Elapsed;
        pending.Add(ingestor.IngestAsync(generator.Batch(1, i, 1)).ContinueWith(_ => latencies[index] = (clock.Elapsed - started).TotalMilliseconds, TaskScheduler.Default));
    }
    await Task.WhenAll(pending);
    await host.StopAsync();
    await DropAsync(options, host);
    Array.Sort(latencies);
    return (latencies[count / 2], latencies[(int)(count * 0.99)], options.Rate);
}

/// <summary>The ceiling: one prepared INSERT per row, all rows in one transaction, same table and indexes.</summary>
static async Task<double> RawAsync(Options options, string workDir)
{
    using var host = await StartHostAsync(options, Path.Combine(workDir, "raw"), "shequn_bench_" + Guid.NewGuid().ToString("N")[..8]);
    var ws = await NewWorkspaceAsync(host);
    string cs;
    await using (var scope = host.Services.CreateAsyncScope())
        cs = scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.GetConnectionString()!;
    await host.StopAsync();
    var generator = new Synthetic(ws);
    var total = options.Events;
    // One parameter per column the app's writer writes, so the two stay the same shape.
    var columns = EventLogWriter.Columns.Split(',').Length;
    var values = "VALUES (" + string.Join(", ", Enumerable.Range(0, columns).Select(i => "$p" + i)) + ")";
    var sql = $"INSERT INTO \"CommunityEvents\" ({EventLogWriter.Columns}) " + values;
    double seconds;
    if (options.Postgres is null)
    {
        await using var conn = new SqliteConnection(cs);
        await conn.OpenAsync();
        await using (var pragma = conn.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={options.Synchronous.ToUpperInvariant()};";
            await pragma.ExecuteNonQueryAsync();
        }
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var p = Enumerable.Range(0, columns).Select(i => cmd.Parameters.Add("$p" + i, i is 1 or 3 or 4 or 5 or 11 or 15 ? SqliteType.Integer : SqliteType.Text)).ToArray();
        cmd.Prepare();
        var clock = Stopwatch.StartNew();
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
        cmd.Transaction = tx;
        for (var i = 0; i < total; i += 1000)
        {
            foreach (var e in generator.Batch(1, i, Math.Min(1000, total - i)))
            {
                e.ReceivedAt = DateTime.UtcNow;
                Bind(p, e, upperGuids: true);
                cmd.ExecuteNonQuery();
            }
        }
        await tx.CommitAsync();
        seconds = clock.Elapsed.TotalSeconds;
    }
    else
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql.Replace("$p", "@p", StringComparison.Ordinal), conn);
        var p = Enumerable.Range(0, columns).Select(i => cmd.Parameters.Add(new NpgsqlParameter("p" + i, i switch
        {
            0 or 6 or 23 => NpgsqlTypes.NpgsqlDbType.Uuid,
            1 or 3 or 15 => NpgsqlTypes.NpgsqlDbType.Integer,
            4 or 5 => NpgsqlTypes.NpgsqlDbType.Bigint,
            11 => NpgsqlTypes.NpgsqlDbType.Boolean,
            _ => NpgsqlTypes.NpgsqlDbType.Text,
        }))).ToArray();
        var clock = Stopwatch.StartNew();
        await using var tx = await conn.BeginTransactionAsync();
        cmd.Transaction = tx;
        await cmd.PrepareAsync();
        for (var i = 0; i < total; i += 1000)
        {
            foreach (var e in generator.Batch(1, i, Math.Min(1000, total - i)))
            {
                e.ReceivedAt = DateTime.UtcNow;
                Bind(p, e, upperGuids: false);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        await tx.CommitAsync();
        seconds = clock.Elapsed.TotalSeconds;
    }
    Console.Error.WriteLine($"  raw: {total:N0} rows in {seconds:0.0} s");
    await DropAsync(options, host);
    return total / seconds;
}

static void Bind(System.Data.Common.DbParameter[] p, CommunityEvent e, bool upperGuids)
{
    p[0].Value = upperGuids ? e.WorkspaceId.ToString().ToUpperInvariant() : e.WorkspaceId;
    p[1].Value = (int)e.Platform;
    p[2].Value = e.PlatformEventId;
    p[3].Value = (int)e.Kind;
    p[4].Value = EventTime.ToUnixMs(e.OccurredAt);
    p[5].Value = EventTime.ToUnixMs(e.ReceivedAt);
    p[6].Value = e.CommunityId is { } c ? (upperGuids ? c.ToString().ToUpperInvariant() : c) : DBNull.Value;
    p[7].Value = DBNull.Value;
    p[8].Value = DBNull.Value;
    p[9].Value = (object?)e.UserId ?? DBNull.Value;
    p[10].Value = (object?)e.UserName ?? DBNull.Value;
    p[11].Value = upperGuids ? (e.FromStaff ? 1 : 0) : e.FromStaff;
    p[12].Value = DBNull.Value;
    p[13].Value = DBNull.Value;
    p[14].Value = DBNull.Value;
    p[15].Value = (int)(e.MessageKind ?? MessageKind.Text);
    p[16].Value = (object?)e.MessageId ?? DBNull.Value;
    p[17].Value = DBNull.Value;
    p[18].Value = (object?)e.Text ?? DBNull.Value;
    for (var i = 19; i < p.Length; i++)
        p[i].Value = DBNull.Value; // invite link, topic, forwarded from, media, action: none in synthetic traffic
}

static async Task DropAsync(Options options, IHost host)
{
    if (options.Postgres is null)
        return;
    string cs;
    await using (var scope = host.Services.CreateAsyncScope())
        cs = scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.GetConnectionString()!;
    var b = new NpgsqlConnectionStringBuilder(cs);
    var database = b.Database;
    b.Database = "postgres";
    NpgsqlConnection.ClearAllPools();
    await using var conn = new NpgsqlConnection(b.ConnectionString);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
    await cmd.ExecuteNonQueryAsync();
}

static double CurrentRssMb() => StatusKb("VmRSS:") / 1024.0;

static double PeakRssMb() => StatusKb("VmHWM:") / 1024.0;

static long StatusKb(string key)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(key, StringComparison.Ordinal))
            return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    return 0;
}

internal sealed record Options(int Events, int Producers, int Batch, int Rate, int LatencySeconds, string? Postgres, string Synchronous)
{
    public static Options Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(Int("--events", 2_000_000), Int("--producers", 64), Int("--batch", 100), Int("--rate", 5000),
            Int("--latency-seconds", 10), Get("--postgres"), Get("--synchronous") ?? "Full");
    }
}

/// <summary>Message events as a busy group produces them: 5,000 speakers in 20 communities, short Chinese texts.</summary>
internal sealed class Synthetic(Guid workspaceId)
{
    private static readonly string[] Texts = ["请问鱼油一天吃几粒？", "收到，谢谢！", "今天的活动还有名额吗", "已下单，期待到货", "早上好～打卡第7天", "孕妇可以吃吗？"];
    private readonly Guid[] _communities = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToArray();
    private readonly DateTime _start = DateTime.UtcNow.AddDays(-1);

    public List<CommunityEvent> Batch(int producer, int first, int count)
    {
        var batch = new List<CommunityEvent>(count);
        for (var i = first; i < first + count; i++)
        {
            var user = (int)(((long)i * 7919 + producer * 104729L) % 5000);
            var id = $"bench:{producer}:{i}";
            batch.Add(new CommunityEvent
            {
                WorkspaceId = workspaceId,
                Platform = ChatPlatform.Sandbox,
                PlatformEventId = id,
                Kind = EventKind.MessagePosted,
                OccurredAt = _start.AddMilliseconds(i * 10 + producer),
                CommunityId = _communities[user % _communities.Length],
                UserId = "u" + user.ToString(CultureInfo.InvariantCulture),
                UserName = "用户" + user.ToString(CultureInfo.InvariantCulture),
                MessageKind = MessageKind.Text,
                MessageId = id,
                Text = Texts[i % Texts.Length],
            });
        }
        return batch;
    }
}
