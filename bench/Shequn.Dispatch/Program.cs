using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Outbox;
using Shequn.Fakes.Telegram;
using Shequn.Tests.Connectors.Telegram;

// ./bench.sh dispatch [--actions N] [--chats C] [--global-per-second G] [--postgres CONNSTRING] --app Shequn.dll
// N sends queued in the outbox over C Telegram groups, dispatched by the built server (a child process) through
// Telegram.Bot to the fake Bot API with its limits (1 a second per chat with a burst of 3, 20 a minute per group, G a
// second overall; G is also the server's own global limit, Telegram:GlobalPerSecond). Reports throughput against the
// limits' theoretical maximum, lost and doubled sends, and the server's CPU time per action.
var o = Options.Parse(args);
var ct = CancellationToken.None;
var dataDir = Path.Combine(Path.GetTempPath(), "shequn-bench-dispatch", Guid.NewGuid().ToString("N"));
var database = o.Postgres is null
    ? new DatabaseOptions { Provider = DatabaseProvider.Sqlite }
    : new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = new NpgsqlConnectionStringBuilder(o.Postgres) { Database = "shequn_dispatch_" + Guid.NewGuid().ToString("N")[..8] }.ConnectionString };
Console.Error.WriteLine($"dispatch: {o.Actions:N0} sends over {o.Chats:N0} chats, global {o.GlobalPerSecond}/s, {database.Provider}, {Environment.ProcessorCount} cores");

await using var fake = await FakeTelegramServer.StartAsync();
fake.Limits.GlobalPerSecond = o.GlobalPerSecond;
const string token = "5550001:AAbench";
var bot = fake.AddBot(token, "bench_bot");
var chatIds = Enumerable.Range(1, o.Chats).Select(i => -1_000_000_000_000L - i).ToList();
foreach (var id in chatIds)
    FakeTelegramServer.SeatBot(bot, fake.AddChat(id, "群 " + id));

Process? server = null;
try
{
    var seedWatch = Stopwatch.StartNew();
    await using var seed = await TelegramSeed.CreateAsync(database, dataDir, token, chatIds, ct);
    await seed.QueueAsync(Enumerable.Range(0, o.Actions).Select(i => (chatIds[i % o.Chats], ActionKind.Send, new ActionPayload(Text: $"bench #{i}"))), ct);
    Console.Error.WriteLine($"  queued in {seedWatch.Elapsed.TotalSeconds:0.0} s");

    server = await seed.StartServerAsync(o.App, TelegramSeed.FreePort(), new Dictionary<string, string>
    {
        ["Telegram__ApiBaseUrl"] = fake.BaseUrl,
        ["Telegram__GlobalPerSecond"] = o.GlobalPerSecond.ToString(CultureInfo.InvariantCulture),
    }, ct);
    server.Refresh();
    var cpuAtStart = server.TotalProcessorTime;

    // Wait until every text went out (or nothing moved for two minutes).
    var lastCount = -1;
    var lastMove = DateTime.UtcNow;
    while (true)
    {
        await Task.Delay(1000, ct);
        var count = fake.Calls.Count(c => c.Status == 200 && c.Method == "sendmessage");
        if (count != lastCount)
        {
            lastCount = count;
            lastMove = DateTime.UtcNow;
            Console.Error.Write($"\r  sent {count:N0}");
        }
        if (count >= o.Actions || DateTime.UtcNow - lastMove > TimeSpan.FromMinutes(2))
            break;
    }
    Console.Error.WriteLine();
    server.Refresh();
    var cpu = server.TotalProcessorTime - cpuAtStart;

    // The outbox's own account: every action done (give the last results a moment to be written).
    int done, all;
    await using (var db = seed.Context())
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(500, ct);
            done = await db.Set<OutboundAction>().CountAsync(a => a.Status == ActionStatus.Done, ct);
            all = await db.Set<OutboundAction>().CountAsync(ct);
        }
        while (done < all && DateTime.UtcNow < deadline);
    }

    var sends = fake.Calls.Where(c => c.Method == "sendmessage").ToList();
    var ok = sends.Where(c => c.Status == 200).ToList();
    var perText = ok.GroupBy(c => c.Parameters.Text("text")).ToDictionary(g => g.Key!, g => g.Count());
    var sentTwice = perText.Count(t => t.Value > 1);
    var lost = Enumerable.Range(0, o.Actions).Count(i => !perText.ContainsKey($"bench #{i}")) + (all - done);
    var elapsed = (ok.Max(c => c.At) - ok.Min(c => c.At)).TotalSeconds;
    var minimum = MinimumSeconds(o);
    var ratio = minimum / elapsed;
    var cpuPerAction = cpu.TotalMicroseconds / Math.Max(1, ok.Count);
    Console.Error.WriteLine($"  first to last send: {elapsed:0.0} s ({ok.Count / elapsed:0.0}/s); the limits allow it in {minimum:0.0} s ({o.Actions / minimum:0.0}/s)");
    Console.Error.WriteLine($"  429 answers: {sends.Count(c => c.Status == 429):N0}; actions done {done:N0} of {all:N0}; server CPU {cpu.TotalSeconds:0.0} s");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"dispatch: {o.Actions} actions, {ratio:0.00}x of the limits' maximum, {lost} lost, {sentTwice} sent twice, {cpuPerAction:0} us CPU per action"));
}
finally
{
    if (server is { HasExited: false })
    {
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync(ct);
    }
    SqliteConnection.ClearAllPools();
    NpgsqlConnection.ClearAllPools();
    if (o.Postgres is not null)
    {
        await using var conn = new NpgsqlConnection(o.Postgres);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {new NpgsqlConnectionStringBuilder(database.ConnectionString).Database} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
    try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
}

// The shortest time the limits allow (first send at 0): the global budget, or the busiest chat, whose i-th message
// (from 0) can go no earlier than i s (1 a second) nor 3·(i − 19) s (20 a minute as a bucket of 20).
static double MinimumSeconds(Options o)
{
    var perChat = (o.Actions + o.Chats - 1) / o.Chats;
    var chat = Math.Max(perChat - 1, 60.0 / 20 * (perChat - 20));
    var global = (o.Actions - o.GlobalPerSecond) / o.GlobalPerSecond; // a full second's budget at once, then the rate
    return Math.Max(chat, Math.Max(global, 0));
}

internal sealed record Options(int Actions, int Chats, double GlobalPerSecond, string? Postgres, string App)
{
    public static Options Parse(string[] args)
    {
        int actions = 100_000, chats = 1_000;
        double global = 30;
        string? postgres = null, app = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--actions": actions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--chats": chats = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--global-per-second": global = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--postgres": postgres = args[++i]; break;
                case "--app": app = args[++i]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Options(actions, chats, global, postgres, app ?? throw new ArgumentException("--app Shequn.dll is required"));
    }
}
