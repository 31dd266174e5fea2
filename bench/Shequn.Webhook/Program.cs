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

// ./bench.sh webhook [--seconds S] [--connections C] [--rate R] [--rounds N]
// The real app (the same pipeline as Program.cs) on SQLite, a bot connected through TelegramConnections against the
// fake Bot API, then wrk POSTing distinct Telegram updates with the secret header to /telegram/webhook/{bot}: each
// answer comes after the update's event is committed. The same server answers a bare 200 at /bench/bare-direct
// (short-circuited like the webhook route) as the ceiling, and at /bench/bare through the whole pipeline. Then wrk paced by a Lua delay() to a fixed offered rate for the p99.
// A second app in the same process, on its own database, runs with the security headers and rate limits switched off
// (Security:Headers:Enabled and Security:RateLimits:Enabled false, which it warns about): its webhook takes turns with
// the first one's, and the summary gives the ratio of their median rounds (security on/off).
var seconds = Arg("--seconds", 15);
var connections = Arg("--connections", 256);
var rate = Arg("--rate", 5000);
// At least 3 for a median; a smoke run (the test suite's, JitWarmUp.Smoke) only checks that one round runs.
var rounds = JitWarmUp.Smoke ? 1 : Math.Max(3, Arg("--rounds", 3));
var processor = args.Contains("--processor");
var synchronous = args.Contains("--normal") ? "Normal" : "Full";
var runs = 0;
var work = Path.Combine(Path.GetTempPath(), "shequn-bench-webhook", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(work);
await using var fake = await FakeTelegramServer.StartAsync();
var hosts = new List<WebApplication>();

try
{
    var secured = await StartAsync("on", security: true, botId: 7000001);
    var unsecured = await StartAsync("off", security: false, botId: 7000002);
    var (app, url, hook, script, paced) = secured;

    // Warm-up: every measured route under the measured load, 3 s each a round, until the JIT has settled
    // (bench/Shared/JitWarmUp.cs). The second app's webhook gets the same 3 s a round: each update stores an event, and
    // an event log that has taken five rounds of load costs more per insert than one that has taken two seconds. The
    // two logs must start the measured rounds at about the same size, or the comparison measures their sizes.
    // A smoke run (the test suite's) checks only that the bench runs: one second a route.
    var warmSeconds = JitWarmUp.Smoke ? "-d1s" : "-d3s";
    var warm = await JitWarmUp.UntilSettledAsync(async _ =>
    {
        foreach (var route in new[] { hook, $"{url}/bench/bare-direct", $"{url}/bench/bare" })
            await RunWrk(["-t2", $"-c{connections}", warmSeconds, "-s", script, route]);
        await RunWrk(["-t2", $"-c{connections}", warmSeconds, "-s", unsecured.Script, unsecured.Hook]);
    });
    Console.Error.WriteLine("  " + warm);
    Console.Error.WriteLine($"  events stored before the rounds: {await StoredAsync(app):N0} with security, {await StoredAsync(unsecured.App):N0} without");
    // The webhook and both ceilings take turns, rounds of a third of the time each, and each reports its median
    // round: two routes measured minutes apart on two shared cores differ by more than the code does. The webhook
    // without the security headers and rate limits goes right before or right after the one with them, in turn (on,
    // off; off, on; …), so that neither always follows the same route.
    var slice = Math.Max(JitWarmUp.Smoke ? 1 : 2, seconds / 3);
    var webhookRounds = new List<WrkResult>();
    var withoutRounds = new List<WrkResult>();
    var bareRounds = new List<WrkResult>();
    var pipelineRounds = new List<WrkResult>();
    var before = await StoredAsync(app);
    var cpuBefore = CpuTicks();
    for (var round = 0; round < rounds; round++)
    {
        async Task Secured() => webhookRounds.Add(await RunWrk(["-t2", $"-c{connections}", $"-d{slice}s", "--latency", "-s", script, hook]));
        async Task Unsecured() => withoutRounds.Add(await RunWrk(["-t2", $"-c{connections}", $"-d{slice}s", "--latency", "-s", unsecured.Script, unsecured.Hook]));
        if (round % 2 == 0)
        {
            await Secured();
            await Unsecured();
        }
        else
        {
            await Unsecured();
            await Secured();
        }
        bareRounds.Add(await RunWrk(["-t2", $"-c{connections}", $"-d{slice}s", "-s", script, $"{url}/bench/bare-direct"]));
        pipelineRounds.Add(await RunWrk(["-t2", $"-c{connections}", $"-d{slice}s", "-s", script, $"{url}/bench/bare"]));
    }
    var cpuAfter = CpuTicks();
    var stored = await StoredAsync(app) - before;
    var webhook = Median(webhookRounds);
    var without = Median(withoutRounds);
    var bare = Median(bareRounds);
    var barePipeline = Median(pipelineRounds);
    var security = webhook.Rate / without.Rate;
    // A virtual machine's CPU taken by the host ("steal") slows everything unevenly; say how much there was.
    if (cpuBefore is { } b && cpuAfter is { } a && a.Total > b.Total)
        Console.Error.WriteLine($"  CPU stolen by the host during the rounds: {(a.Steal - b.Steal) * 100.0 / (a.Total - b.Total):0.0} %");
    Console.Error.WriteLine("  rounds (webhook / webhook without security / bare short-circuited / bare whole pipeline, req/s): " +
        string.Join("; ", Enumerable.Range(0, rounds).Select(i => $"{webhookRounds[i].Rate:N0} / {withoutRounds[i].Rate:N0} / {bareRounds[i].Rate:N0} / {pipelineRounds[i].Rate:N0}")));
    var pacedRun = await RunWrk(["-t2", "-c32", $"-d{seconds}s", "--latency", "-s", paced, hook]);
    var offered = pacedRun.Requests / (double)seconds;

    Console.Error.WriteLine($"  webhook: {webhook.Rate:N0} req/s ({webhook.Non2xx} non-2xx), {stored:N0} events stored in {rounds * slice} s; p50 {webhook.P50:0.0} ms p99 {webhook.P99:0.0} ms at saturation; server CPU {webhook.CpuUs:0} us/update");
    Console.Error.WriteLine($"  bare 200: {bare.Rate:N0} req/s short-circuited like the webhook (the ceiling), server CPU {bare.CpuUs:0} us/request; {barePipeline.Rate:N0} req/s through the whole pipeline ({webhook.Rate / barePipeline.Rate:0.00}x), {barePipeline.CpuUs:0} us/request");
    var paired = Enumerable.Range(0, rounds).Select(i => webhookRounds[i].Rate / withoutRounds[i].Rate).ToArray();
    Console.Error.WriteLine($"  security on/off: {webhook.Rate:N0} / {without.Rate:N0} updates/s ({security:0.00}, the medians of {rounds} rounds; per round " +
        string.Join(", ", paired.Select(p => p.ToString("0.00", CultureInfo.InvariantCulture))) + $", their median {paired.Order().ElementAt(rounds / 2):0.00}" +
        $"), server CPU {webhook.CpuUs:0} / {without.CpuUs:0} us/update, p99 at saturation {webhook.P99:0.0} / {without.P99:0.0} ms ({without.Non2xx} non-2xx without)");
    Console.Error.WriteLine($"  paced: {offered:N0}/s achieved of {rate}/s offered, p50 {pacedRun.P50:0.00} ms, p99 {pacedRun.P99:0.00} ms ({pacedRun.Non2xx} non-2xx)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"webhook: {webhook.Rate:0} updates/s, {webhook.Rate / bare.Rate:0.00}x bare endpoint, p99 {pacedRun.P99:0} ms at {rate}/s, security on/off {security:0.00}"));
}
finally
{
    foreach (var started in hosts)
        await started.StopAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}

// One app as Program.cs composes it, on its own SQLite database, with a bot connected in its own workspace; security
// false switches the security headers and the rate limits off through the settings the app honours (it logs a warning).
async Task<BenchHost> StartAsync(string name, bool security, long botId)
{
    var dir = Path.Combine(work, name);
    Directory.CreateDirectory(dir);
    var port = FreePort();
    var url = $"http://127.0.0.1:{port}";
    var builder = WebApplication.CreateBuilder(["--data-dir", dir, "--urls", url, "--Telegram:ApiBaseUrl", fake.BaseUrl,
        "--Telegram:PublicBaseUrl", url, "--Logging:LogLevel:Default", "Warning",
        // As in the ingest bench: the processor applies events after the answer, off the measured path; it would compete for the two cores.
        "--Events:ProcessorEnabled", processor ? "true" : "false", "--Events:SqliteSynchronous", synchronous, "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning",
        "--Security:Headers:Enabled", security ? "true" : "false", "--Security:RateLimits:Enabled", security ? "true" : "false"]);
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
    hosts.Add(app);
    // The setting took: the baseline must not measure the headers it claims to leave out, nor the other app lack them.
    using (var probe = new HttpClient())
    using (var health = await probe.GetAsync(new Uri($"{url}/health")))
    {
        if (health.Headers.Contains("Content-Security-Policy") != security)
            throw new InvalidOperationException($"the security-{name} app {(security ? "lacks" : "still sends")} the security headers");
    }

    var bot = fake.AddBot(botId.ToString(CultureInfo.InvariantCulture) + ":AAbench" + Guid.NewGuid().ToString("N"), "shequn_bench_bot");
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
    var script = Path.Combine(dir, "updates.lua");
    var paced = Path.Combine(dir, "paced.lua");
    File.WriteAllText(script, Lua(secret, chatId, delayMs: null));
    File.WriteAllText(paced, Lua(secret, chatId, delayMs: 1000.0 * 32 / rate));
    return new BenchHost(app, url, $"{url}/telegram/webhook/{bot.Id}", script, paced);
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

internal sealed record BenchHost(WebApplication App, string Url, string Hook, string Script, string Paced);

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
