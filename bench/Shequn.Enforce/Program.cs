using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shequn.Bench;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;
using Shequn.Platform.KeyRing;

// ./bench.sh enforce [--messages N] [--rate R] [--seconds S]
// 1. Throughput: N message events (2 % of them ads) are stored first, then the real EventProcessor applies them batch
//    by batch (effects, reactions, enforcement, checkpoint: one transaction per batch), timed; the same run without
//    enforcement is the baseline. Three rounds, taking turns; the medians are reported.
// 2. Latency: the processor runs as in the app while messages are offered at R/s for S s (one ingest call each,
//    every 20th an ad); the time from an ad's acknowledgement (stored) to its delete action being visible in the
//    outbox (committed) is measured by a poller.
var options = Options.Parse(args);
var workDir = Path.Combine(Path.GetTempPath(), "shequn-bench-enforce", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(workDir);
Console.Error.WriteLine($"enforce: SQLite (WAL, synchronous=Full), {options.Messages:N0} messages, {Environment.ProcessorCount} cores");
try
{
    // Small runs first, not reported, with enforcement on and off, until the JIT has settled (bench/Shared/JitWarmUp.cs).
    // A smoke run (the test suite's) warms up on as many messages as it measures: its figures are not read.
    var small = options with { Messages = JitWarmUp.Smoke ? options.Messages : Math.Max(5_000, options.Messages / 20) };
    var warm = await JitWarmUp.UntilSettledAsync(async round =>
    {
        await ThroughputAsync(small, Path.Combine(workDir, $"warmup-{round}-on"), enforce: true, report: false);
        await ThroughputAsync(small, Path.Combine(workDir, $"warmup-{round}-off"), enforce: false, report: false);
    });
    Console.Error.WriteLine("  " + warm);
    // Three rounds taking turns, medians reported: on a shared machine the speed drifts by a quarter within a minute.
    var baselines = new List<double>();
    var enforcedRuns = new List<double>();
    for (var round = 1; round <= JitWarmUp.Rounds(3); round++)
    {
        baselines.Add(await ThroughputAsync(options, Path.Combine(workDir, $"baseline-{round}"), enforce: false));
        enforcedRuns.Add(await ThroughputAsync(options, Path.Combine(workDir, $"enforced-{round}"), enforce: true));
    }
    var baseline = baselines.Order().ElementAt(baselines.Count / 2);
    var enforced = enforcedRuns.Order().ElementAt(enforcedRuns.Count / 2);
    Console.Error.WriteLine($"  medians of 3 rounds: baseline {baseline:N0}/s, with enforcement {enforced:N0}/s");
    var (p50, p99, ads, missing) = await LatencyAsync(options, Path.Combine(workDir, "latency"));
    Console.Error.WriteLine($"  latency at {options.Rate:N0}/s offered for {options.Seconds} s: {ads:N0} ads, p50 {p50:0.0} ms, p99 {p99:0.0} ms" + (missing > 0 ? $", {missing} without a delete action" : ""));
    Console.Error.WriteLine($"  enforcement costs {1 - enforced / baseline:P0} of the processor's throughput ({baseline:N0}/s without it)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"enforce: {enforced:0} messages/s processed, p99 {p99:0} ms message to action at {options.Rate}/s"));
}
finally
{
    SqliteConnection.ClearAllPools();
    try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
}

static async Task<IHost> StartHostAsync(string dataDir, bool enforce, bool processor)
{
    var settings = new List<string>
    {
        "--data-dir", dataDir, "--Events:ProcessorEnabled", processor ? "true" : "false", "--Outbox:DispatcherEnabled", "false",
        "--Enforcement:Enabled", enforce ? "true" : "false",
    };
    var builder = Host.CreateApplicationBuilder([.. settings]);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.AddShequnDatabase();
    // The outbox's connectors decrypt platform secrets with the key ring, as in the import command.
    Directory.CreateDirectory(dataDir);
    builder.Services.AddShequnKeyRing(builder.Configuration, dataDir);
    builder.AddShequnEvents();
    var host = builder.Build();
    await DatabaseSetup.MigrateAsync(host.Services);
    await host.StartAsync();
    return host;
}

static async Task<Synthetic> WorkspaceAsync(IHost host)
{
    await using var scope = host.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    var ws = new Workspace { Name = "bench" };
    db.Workspaces.Add(ws);
    var communities = Enumerable.Range(0, 20).Select(i => new Community { WorkspaceId = ws.Id, Name = "群" + i, Platform = ChatPlatform.Sandbox, Capacity = 500 }).ToList();
    db.Communities.AddRange(communities);
    await db.SaveChangesWithoutAuditAsync();
    return new Synthetic(ws.Id, [.. communities.Select(c => c.Id)]);
}

static async Task<double> ThroughputAsync(Options options, string dataDir, bool enforce, bool report = true)
{
    using var host = await StartHostAsync(dataDir, enforce, processor: false);
    var generator = await WorkspaceAsync(host);
    var ingestor = host.Services.GetRequiredService<EventIngestor>();
    var start = DateTime.UtcNow.AddMinutes(-1);
    const int Warmup = 5_000;
    for (var i = 0; i < options.Messages + Warmup; i += 1000)
        await ingestor.IngestAsync(generator.Batch(i, 1000, start, adEvery: 50));
    var processor = host.Services.GetRequiredService<EventProcessor>();
    var done = 0;
    while (done < Warmup)
        done += await processor.ProcessBatchAsync(Math.Min(EventProcessor.BatchSize, Warmup - done), oneByOne: false, CancellationToken.None);
    var enforcer = host.Services.GetRequiredService<Enforcer>();
    var enforcing = enforcer.Elapsed;
    using var phases = new ProcessorPhases();
    var clock = Stopwatch.StartNew();
    var processed = 0;
    int n;
    while ((n = await processor.ProcessBatchAsync(EventProcessor.BatchSize, oneByOne: false, CancellationToken.None)) > 0)
        processed += n;
    var seconds = clock.Elapsed.TotalSeconds;
    phases.Dispose();
    int cases, actions;
    await using (var scope = host.Services.CreateAsyncScope())
    {
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        cases = await db.Set<ModerationCase>().IgnoreQueryFilters().CountAsync();
        actions = await db.Set<OutboundAction>().IgnoreQueryFilters().CountAsync();
    }
    var inEnforcer = (enforcer.Elapsed - enforcing).TotalSeconds;
    if (report)
        Console.Error.WriteLine(enforce
            ? $"  with enforcement: {processed:N0} messages in {seconds:0.00} s ({processed / seconds:N0}/s); {inEnforcer:0.00} s ({inEnforcer / seconds:P0}) inside the enforcer; {cases:N0} cases, {actions:N0} actions"
            : $"  baseline (enforcement off): {processed:N0} messages in {seconds:0.00} s ({processed / seconds:N0}/s)");
    if (report)
        Console.Error.WriteLine($"    phases: {phases}");
    await host.StopAsync();
    return processed / seconds;
}

static async Task<(double P50, double P99, int Ads, int Missing)> LatencyAsync(Options options, string dataDir)
{
    using var host = await StartHostAsync(dataDir, enforce: true, processor: true);
    var generator = await WorkspaceAsync(host);
    var ingestor = host.Services.GetRequiredService<EventIngestor>();
    var scopes = host.Services.GetRequiredService<IServiceScopeFactory>();
    await ingestor.IngestAsync(generator.Batch(0, 1000, DateTime.UtcNow, adEvery: 0));
    await host.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(CancellationToken.None);

    using var phases = new ProcessorPhases();
    var stored = new ConcurrentDictionary<string, double>();
    var seen = new ConcurrentDictionary<long, double>();
    var clock = Stopwatch.StartNew();
    using var stop = new CancellationTokenSource();
    var poller = Task.Run(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        long last = 0;
        while (!stop.IsCancellationRequested)
        {
            var seqs = await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
                .Where(a => a.Kind == ActionKind.DeleteMessage && a.CausedByEventSeq > last).Select(a => a.CausedByEventSeq!.Value).ToListAsync();
            var now = clock.Elapsed.TotalMilliseconds;
            foreach (var s in seqs)
                seen.TryAdd(s, now);
            if (seqs.Count > 0)
                last = seqs.Max();
            await Task.Delay(2);
        }
    });

    var count = options.Rate * options.Seconds;
    var pending = new List<Task>(count);
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / options.Rate);
        var wait = due - clock.Elapsed;
        if (wait > TimeSpan.FromMilliseconds(1))
            await Task.Delay(wait);
        var e = generator.Batch(1000 + i, 1, DateTime.UtcNow.AddMilliseconds(-(1000 + i)), adEvery: 20)[0];
        var ad = Synthetic.IsAd(1000 + i, 20);
        pending.Add(ingestor.IngestAsync([e]).ContinueWith(_ =>
        {
            if (ad)
                stored[e.PlatformEventId] = clock.Elapsed.TotalMilliseconds;
        }, TaskScheduler.Default));
    }
    await Task.WhenAll(pending);
    await host.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(CancellationToken.None);
    await Task.Delay(200);
    await stop.CancelAsync();
    await poller;
    phases.Dispose();
    Console.Error.WriteLine($"    longest batch phases: {phases.Longest()}");

    Dictionary<long, string> ids;
    await using (var scope = scopes.CreateAsyncScope())
    {
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var seqs = seen.Keys.ToList();
        ids = await db.Set<CommunityEvent>().AsNoTracking().Where(e => seqs.Contains(e.Seq)).ToDictionaryAsync(e => e.Seq, e => e.PlatformEventId);
    }
    var latencies = seen.Where(s => ids.ContainsKey(s.Key) && stored.ContainsKey(ids[s.Key]))
        .Select(s => s.Value - stored[ids[s.Key]]).Order().ToArray();
    await host.StopAsync();
    if (latencies.Length == 0)
        return (double.NaN, double.NaN, stored.Count, stored.Count);
    return (latencies[latencies.Length / 2], latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))], stored.Count, stored.Count - latencies.Length);
}

internal sealed record Options(int Messages, int Rate, int Seconds)
{
    public static Options Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(Int("--messages", 200_000), Int("--rate", 2000), Int("--seconds", 15));
    }
}

/// <summary>
/// Messages as busy groups produce them: 5,000 speakers in 20 communities, short Chinese texts, every n-th an ad
/// with a WeChat id and a phone number (varied, so that no two are the same text).
/// </summary>
internal sealed class Synthetic(Guid workspaceId, Guid[] communities)
{
    private static readonly string[] Texts =
    [
        "请问鱼油一天吃几粒？", "收到，谢谢！", "今天的活动还有名额吗", "已下单，期待到货", "早上好～打卡第7天", "孕妇可以吃吗？",
        "这个和上次买的有什么区别呀", "老师讲得太好了，受益匪浅", "快递什么时候能到呢", "我家宝宝两岁可以喝吗",
    ];

    public static bool IsAd(int i, int adEvery) => adEvery > 0 && i % adEvery == adEvery - 1;

    public List<CommunityEvent> Batch(int first, int count, DateTime start, int adEvery)
    {
        var batch = new List<CommunityEvent>(count);
        for (var i = first; i < first + count; i++)
        {
            var user = (int)((long)i * 7919 % 5000);
            var id = "bench:" + i.ToString(CultureInfo.InvariantCulture);
            var ad = IsAd(i, adEvery);
            batch.Add(new CommunityEvent
            {
                WorkspaceId = workspaceId,
                Platform = ChatPlatform.Sandbox,
                PlatformEventId = id,
                Kind = EventKind.MessagePosted,
                OccurredAt = start.AddMilliseconds(i),
                CommunityId = communities[user % communities.Length],
                UserId = "u" + user.ToString(CultureInfo.InvariantCulture),
                UserName = "用户" + user.ToString(CultureInfo.InvariantCulture),
                MessageKind = MessageKind.Text,
                MessageId = id,
                Text = ad
                    ? $"优惠代购{i % 97}折 加微信 wxid_a{i:D6} 电话 138{i % 100_000_000:D8}"
                    : Texts[i % Texts.Length] + (i % 3 == 0 ? "" : " " + (i % 1000).ToString(CultureInfo.InvariantCulture)),
            });
        }
        return batch;
    }
}
