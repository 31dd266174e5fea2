using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Shequn.Bench;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;
using Shequn.Fakes.Telegram;
using Shequn.Platform;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

// ./bench.sh webhook [--seconds S] [--connections C] [--rate R]
// The real app (the same pipeline as Program.cs) on SQLite, a bot connected through TelegramConnections against the
// fake Bot API, then wrk POSTing distinct Telegram updates with the secret header to /telegram/webhook/{bot}: each
// answer comes after the update's event is committed. The same server answers a bare 200 at /bench/bare-direct
// (short-circuited like the webhook route) as the ceiling, and at /bench/bare through the whole pipeline. Then wrk paced by a Lua delay() to a fixed offered rate for the p99.
var seconds = Arg("--seconds", 15);
var connections = Arg("--connections", 256);
var rate = Arg("--rate", 5000);
var processor = args.Contains("--processor");
var synchronous = args.Contains("--normal") ? "Normal" : "Full";
var runs = 0;
var work = Path.Combine(Path.GetTempPath(), "shequn-bench-webhook", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(work);
await using var fake = await FakeTelegramServer.StartAsync();
var port = FreePort();
var url = $"http://127.0.0.1:{port}";

var builder = WebApplication.CreateBuilder(["--data-dir", work, "--urls", url, "--Telegram:ApiBaseUrl", fake.BaseUrl,
    "--Telegram:PublicBaseUrl", url, "--Logging:LogLevel:Default", "Warning",
    // As in the ingest bench: the processor applies events after the answer, off the measured path; it would compete for the two cores.
    "--Events:ProcessorEnabled", processor ? "true" : "false", "--Events:SqliteSynchronous", synchronous, "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning"]);
builder.UseShequnDefaults();
builder.AddShequnDatabase();
builder.AddShequnAuth();
builder.AddShequnLocalization();
builder.AddShequnApi();
builder.AddShequnEvents();
builder.AddShequnMemberOperations();
builder.AddShequnConsole();
var app = builder.Build();
await DatabaseSetup.MigrateAsync(app.Services);
app.UseShequnPipeline();
app.MapShequnApi();
app.MapShequnConsole();
app.MapPost("/bench/bare", () => Results.Ok()).AllowAnonymous().DisableAntiforgery();
// The webhook route is short-circuited (it runs before the console's middleware), so the like-for-like ceiling is a
// bare 200 that is short-circuited too; /bench/bare above still goes through the whole pipeline.
app.MapPost("/bench/bare-direct", () => Results.Ok()).AllowAnonymous().DisableAntiforgery().ShortCircuit();
await app.StartAsync();

try
{
    var bot = fake.AddBot("7000001:AAbench" + Guid.NewGuid().ToString("N"), "shequn_bench_bot");
    var chatId = -1001000000001L;
    await using (var scope = app.Services.CreateAsyncScope())
    {
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ws = new Workspace { Name = "bench" };
        db.Workspaces.Add(ws);
        await db.SaveChangesAsync();
        db.Current.ActAsSystem(ws.Id);
        var connected = await scope.ServiceProvider.GetRequiredService<TelegramConnections>().ConnectAsync(new TelegramBotInput(bot.Token, "webhook"));
        if (connected.Outcome != Shequn.Features.Communities.EditOutcome.Saved)
            throw new InvalidOperationException("connecting the bot failed: " + string.Join("; ", connected.Validation.Errors.SelectMany(e => e.Value)));
    }
    var secret = fake.Webhook(bot).Secret!;
    // Nobody else should push meanwhile: the fake has nothing queued for this bot.
    var script = Path.Combine(work, "updates.lua");
    var paced = Path.Combine(work, "paced.lua");
    File.WriteAllText(script, Lua(secret, chatId, delayMs: null));
    File.WriteAllText(paced, Lua(secret, chatId, delayMs: 1000.0 * 32 / rate));

    var hook = $"{url}/telegram/webhook/{bot.Id}";
    // Warm-up: every measured route under the measured load, 3 s each a round, until the JIT has settled
    // (bench/Shared/JitWarmUp.cs).
    var warm = await JitWarmUp.UntilSettledAsync(async _ =>
    {
        foreach (var route in new[] { hook, $"{url}/bench/bare-direct", $"{url}/bench/bare" })
            await RunWrk(["-t2", $"-c{connections}", "-d3s", "-s", script, route]);
    });
    Console.Error.WriteLine("  " + warm);
    // The webhook and both ceilings take turns, 3 rounds of a third of the time each, and each reports its median
    // round: two routes measured minutes apart on two shared cores differ by more than the code does.
    var slice = Math.Max(2, seconds / 3);
    var webhookRounds = new List<WrkResult>();
    var bareRounds = new List<WrkResult>();
    var pipelineRounds = new List<WrkResult>();
    var before = await StoredAsync(app);
    var cpuBefore = CpuTicks();
    for (var round = 0; round < 3; round++)
    {
        webhookRounds.Add(await RunWrk(["-t2", $"-c{connections}", $"-d{slice}s", "--latency", "-s", script, hook]));
        bareRounds.Add(await RunWrk(["-t2", $"-c{connections}", $"-d{slice}s", "-s", script, $"{url}/bench/bare-direct"]));
        pipelineRounds.Add(await RunWrk(["-t2", $"-c{connections}", $"-d{slice}s", "-s", script, $"{url}/bench/bare"]));
    }
    var cpuAfter = CpuTicks();
    var stored = await StoredAsync(app) - before;
    var webhook = Median(webhookRounds);
    var bare = Median(bareRounds);
    var barePipeline = Median(pipelineRounds);
    // A virtual machine's CPU taken by the host ("steal") slows everything unevenly; say how much there was.
    if (cpuBefore is { } b && cpuAfter is { } a && a.Total > b.Total)
        Console.Error.WriteLine($"  CPU stolen by the host during the rounds: {(a.Steal - b.Steal) * 100.0 / (a.Total - b.Total):0.0} %");
    Console.Error.WriteLine("  rounds (webhook / bare short-circuited / bare whole pipeline, req/s): " +
        string.Join("; ", Enumerable.Range(0, 3).Select(i => $"{webhookRounds[i].Rate:N0} / {bareRounds[i].Rate:N0} / {pipelineRounds[i].Rate:N0}")));
    var pacedRun = await RunWrk(["-t2", "-c32", $"-d{seconds}s", "--latency", "-s", paced, hook]);
    var offered = pacedRun.Requests / (double)seconds;

    Console.Error.WriteLine($"  webhook: {webhook.Rate:N0} req/s ({webhook.Non2xx} non-2xx), {stored:N0} events stored in {3 * slice} s; p50 {webhook.P50:0.0} ms p99 {webhook.P99:0.0} ms at saturation; server CPU {webhook.CpuUs:0} us/update");
    Console.Error.WriteLine($"  bare 200: {bare.Rate:N0} req/s short-circuited like the webhook (the ceiling), server CPU {bare.CpuUs:0} us/request; {barePipeline.Rate:N0} req/s through the whole pipeline ({webhook.Rate / barePipeline.Rate:0.00}x), {barePipeline.CpuUs:0} us/request");
    Console.Error.WriteLine($"  paced: {offered:N0}/s achieved of {rate}/s offered, p50 {pacedRun.P50:0.00} ms, p99 {pacedRun.P99:0.00} ms ({pacedRun.Non2xx} non-2xx)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"webhook: {webhook.Rate:0} updates/s, {webhook.Rate / bare.Rate:0.00}x bare endpoint, p99 {pacedRun.P99:0} ms at {rate}/s"));
}
finally
{
    await app.StopAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static int FreePort()
{
    using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    l.Start();
    return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
}

static async Task<long> StoredAsync(WebApplication app)
{
    await using var scope = app.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    return await db.Set<CommunityEvent>().LongCountAsync();
}

// The machine's CPU time and the part of it stolen by the hypervisor, from /proc/stat (Linux), in clock ticks.
static (long Total, long Steal)? CpuTicks()
{
    if (!File.Exists("/proc/stat"))
        return null;
    var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
        .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
    return (fields.Sum(), fields.Length > 7 ? fields[7] : 0);
}

static WrkResult Median(List<WrkResult> rounds) => rounds.OrderBy(r => r.Rate).ElementAt(rounds.Count / 2);

// Each request a distinct update (update_id and message_id from a per-thread counter), as Telegram would send them.
static string Lua(string secret, long chatId, double? delayMs) => $$$"""
    local counter = 0
    local threads = 0
    function setup(thread)
      threads = threads + 1
      thread:set("prefix", threads)
    end
    function init(args)
      counter = 0
      run = tonumber(args[1])
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = "{{{secret}}}"
    function request()
      counter = counter + 1
      local id = (run * 2 + prefix) * 10000000 + counter
      local body = '{"update_id":' .. id .. ',"message":{"message_id":' .. id .. ',"from":{"id":' .. (1000 + counter % 500) ..
        ',"is_bot":false,"first_name":"User' .. (counter % 500) .. '"},"chat":{"id":{{{chatId}}},"title":"Bench group","type":"supergroup"},' ..
        '"date":' .. os.time() .. ',"text":"hello from the bench, message ' .. counter .. '"}}'
      return wrk.format(nil, nil, nil, body)
    end
    {{{(delayMs is { } d ? $"function delay() return {d.ToString("0.###", CultureInfo.InvariantCulture)} end" : "")}}}
    """;

// Every run gets its own number, passed to the script, so update ids never repeat between runs (a repeat would be a
// cheaper duplicate, not a new update). Update ids are 32-bit: (run × 2 + thread) × 10⁷ + counter stays below 2³¹.
async Task<WrkResult> RunWrk(string[] arguments)
{
    var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments)
        start.ArgumentList.Add(a);
    start.ArgumentList.Add("--");
    start.ArgumentList.Add((++runs).ToString(CultureInfo.InvariantCulture));
    // The server's CPU per answered request (this process: the app and the idle fake), which a busy machine slows
    // less than it slows the rates.
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    using var process = Process.Start(start)!;
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    return WrkResult.Parse(output, Process.GetCurrentProcess().TotalProcessorTime - cpu);
}

internal sealed partial record WrkResult(double Rate, long Requests, long Non2xx, double P50, double P99, double CpuUs)
{
    public static WrkResult Parse(string output, TimeSpan cpu)
    {
        double Ms(string label)
        {
            var m = Regex.Match(output, $@"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            if (!m.Success)
                return double.NaN;
            var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
        }
        var rate = double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(Regex.Match(output, @"(\d+) requests in").Groups[1].Value, CultureInfo.InvariantCulture);
        var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new WrkResult(rate, requests, non2xx, Ms("50"), Ms("99"), requests > 0 ? cpu.TotalMicroseconds / requests : double.NaN);
    }
}
