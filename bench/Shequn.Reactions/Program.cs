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
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Responses;
using Shequn.Features.Ritual;
using Shequn.Features.Scripts;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;
using Shequn.Features.Workspaces;
using Shequn.Platform.KeyRing;

// ./bench.sh reactions [--joins N] [--messages M] [--reactions ritual,autoreplies,responses]
// A burst of N joins (10,000) and M messages (50,000) in 20 communities, as they arrive: stamped within the last half
// minute, so every join falls inside its community's welcome window. The events are stored first, then the real
// EventProcessor applies them batch by batch with the member reactions on (joining ritual, auto-replies, response
// tracking), timed; the same burst with the reactions off is the baseline. Then the outbox is counted: welcomes per
// community (one per burst window is the point), the newcomers they name, replies, hand-offs and questions.
var options = Options.Parse(args);
var workDir = Path.Combine(Path.GetTempPath(), "shequn-bench-reactions", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(workDir);
Console.Error.WriteLine($"reactions: SQLite (WAL, synchronous=Full), {options.Joins:N0} joins + {options.Messages:N0} messages in {Synthetic.Communities} communities, {Environment.ProcessorCount} cores");
try
{
    // Small bursts first, not reported, with the reactions on and off, until the JIT has settled (bench/Shared/JitWarmUp.cs).
    var small = options with { Joins = options.Joins / 20, Messages = options.Messages / 20 };
    var warm = await JitWarmUp.UntilSettledAsync(async round =>
    {
        await RunAsync(small, Path.Combine(workDir, $"warmup-{round}-on"), reactions: true, report: false);
        await RunAsync(small, Path.Combine(workDir, $"warmup-{round}-off"), reactions: false, report: false);
    });
    Console.Error.WriteLine("  " + warm);
    var baseline = await RunAsync(options, Path.Combine(workDir, "baseline"), reactions: false);
    var reacting = await RunAsync(options, Path.Combine(workDir, "reactions"), reactions: true);
    Console.Error.WriteLine($"  the reactions cost {1 - reacting.PerSecond / baseline.PerSecond:P0} of the processor's throughput ({baseline.PerSecond:N0}/s without them)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"reactions: {reacting.PerSecond:0} events/s, {reacting.WelcomesPerBurst} welcome per burst"));
}
finally
{
    SqliteConnection.ClearAllPools();
    try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
}

static async Task<IHost> StartHostAsync(string dataDir, Options options, bool reactions)
{
    string On(string name) => reactions && options.Reactions.Contains(name) ? "true" : "false";
    var settings = new List<string>
    {
        "--data-dir", dataDir, "--Events:ProcessorEnabled", "false", "--Outbox:DispatcherEnabled", "false",
        "--Enforcement:Enabled", "false", "--Ritual:Enabled", On("ritual"), "--AutoReplies:Enabled", On("autoreplies"), "--Responses:Enabled", On("responses"),
    };
    var builder = Host.CreateApplicationBuilder([.. settings]);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.AddShequnDatabase();
    Directory.CreateDirectory(dataDir);
    builder.Services.AddShequnKeyRing(builder.Configuration, dataDir);
    builder.AddShequnEvents();
    builder.AddShequnRitual();
    builder.AddShequnResponses();
    builder.AddShequnScripts();
    var host = builder.Build();
    await DatabaseSetup.MigrateAsync(host.Services);
    await host.StartAsync();
    return host;
}

/// <summary>A workspace as a brand sets it up: an owner and an operator per community, a FAQ answer, a complaint rule.</summary>
static async Task<Synthetic> WorkspaceAsync(IHost host)
{
    await using var scope = host.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    var ws = new Workspace { Name = "bench" };
    db.Workspaces.Add(ws);
    var owner = new StaffUser { Id = Guid.CreateVersion7(), WorkspaceId = ws.Id, UserName = "owner@bench", DisplayName = "店长", Role = StaffRole.Owner };
    db.Users.Add(owner);
    var communities = Enumerable.Range(0, Synthetic.Communities)
        .Select(i => new Community { WorkspaceId = ws.Id, Name = "群" + i, Platform = ChatPlatform.Sandbox, Capacity = 2000 }).ToList();
    db.Communities.AddRange(communities);
    var operators = communities.Select((c, i) => new StaffUser
    {
        Id = Guid.CreateVersion7(), WorkspaceId = ws.Id, UserName = $"op{i}@bench", DisplayName = "运营" + i, Role = StaffRole.Operator,
    }).ToList();
    db.Users.AddRange(operators);
    db.CommunityStaff.AddRange(communities.Select((c, i) => new CommunityStaff { CommunityId = c.Id, StaffUserId = operators[i].Id, Role = CommunityRole.Operator }));
    db.Set<AutoReplyRule>().Add(new AutoReplyRule
    {
        WorkspaceId = ws.Id, Name = "鱼油用量", Mode = MatchMode.Contains, Keywords = "几粒\n吃多少", ReplyText = "{nickname} 你好：鱼油每天 2 粒，随餐服用。",
        CooldownSeconds = 60,
    });
    db.Set<AutoReplyRule>().Add(new AutoReplyRule
    {
        WorkspaceId = ws.Id, Name = "投诉转人工", Mode = MatchMode.Contains, Keywords = "投诉", HumanHandoff = true, CooldownSeconds = 60, Priority = -1,
    });
    await db.SaveChangesWithoutAuditAsync();
    return new Synthetic(ws.Id, [.. communities.Select(c => c.Id)]);
}

static async Task<Result> RunAsync(Options options, string dataDir, bool reactions, bool report = true)
{
    using var host = await StartHostAsync(dataDir, options, reactions);
    var generator = await WorkspaceAsync(host);
    var ingestor = host.Services.GetRequiredService<EventIngestor>();
    var total = options.Joins + options.Messages;
    // Stamped as a live burst: the last event a second ago, the first half a minute before.
    var end = DateTime.UtcNow.AddSeconds(-1);
    var step = TimeSpan.FromSeconds(30) / total;
    for (var i = 0; i < total; i += 1000)
        await ingestor.IngestAsync(generator.Batch(i, Math.Min(1000, total - i), options, end - step * (total - i)));
    var processor = host.Services.GetRequiredService<EventProcessor>();
    // Where the time goes: the processor's phase histogram, summed per phase.
    var phases = new ProcessorPhases();
    using var statements = options.Sql && report ? new SqlStatements() : null;
    var clock = Stopwatch.StartNew();
    var processed = 0;
    int n;
    while ((n = await processor.ProcessBatchAsync(EventProcessor.BatchSize, oneByOne: false, CancellationToken.None)) > 0)
        processed += n;
    var seconds = clock.Elapsed.TotalSeconds;
    phases.Dispose();
    statements?.Dispose();

    await using var scope = host.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    var actions = db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking();
    var welcomes = await actions.Where(a => a.IdempotencyKey.StartsWith(RitualReaction.WelcomeKeyPrefix))
        .GroupBy(a => a.CommunityId).Select(g => g.Count()).ToListAsync();
    var named = await db.Set<RitualNewcomer>().IgnoreQueryFilters().CountAsync(r => r.WelcomeActionId != null);
    var replies = await actions.CountAsync(a => a.Kind == ActionKind.Reply && a.Status == ActionStatus.Queued);
    var tasks = await db.Set<StaffTask>().IgnoreQueryFilters().CountAsync();
    var questions = await db.Set<MemberQuestion>().IgnoreQueryFilters().CountAsync();
    var answered = await db.Set<MemberQuestion>().IgnoreQueryFilters().CountAsync(q => q.AnsweredAt != null);
    var perBurst = welcomes.Count == 0 ? 0 : welcomes.Max();
    if (!report)
    {
        await host.StopAsync();
        return new Result(processed / seconds, perBurst);
    }
    Console.Error.WriteLine(reactions
        ? $"  with the reactions: {processed:N0} events in {seconds:0.00} s ({processed / seconds:N0}/s); {welcomes.Sum():N0} welcomes in {welcomes.Count} communities "
          + $"(at most {perBurst} in one) naming {named:N0} newcomers; {replies:N0} auto-replies, {tasks:N0} staff tasks, {questions:N0} questions ({answered:N0} answered)"
        : $"  baseline (reactions off): {processed:N0} events in {seconds:0.00} s ({processed / seconds:N0}/s)");
    Console.Error.WriteLine($"    phases: {phases}");
    if (statements is not null)
    {
        Console.Error.WriteLine($"    statements: {statements.Statements:N0}; the 25 that took longest in all:");
        foreach (var line in statements.Top(25))
            Console.Error.WriteLine("      " + line);
    }
    await host.StopAsync();
    return new Result(processed / seconds, perBurst);
}

internal sealed record Result(double PerSecond, int WelcomesPerBurst);

internal sealed record Options(int Joins, int Messages, string[] Reactions, bool Sql)
{
    public static Options Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        // --reactions ritual,autoreplies,responses (all by default): which reactions are on, to see what each costs.
        return new Options(Int("--joins", 10_000), Int("--messages", 50_000),
            (Get("--reactions") ?? "ritual,autoreplies,responses").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            // --sql: the statements the timed runs executed, by total time (what a batch repeats).
            args.Contains("--sql"));
    }
}

/// <summary>
/// A busy launch: newcomers pour in (one event in six is a join, each a new person, nicknames half in the community's
/// format) while 5,000 regulars and the newcomers talk: questions (some the FAQ answers), thanks, a few complaints,
/// and the community's operator answering now and then.
/// </summary>
internal sealed class Synthetic(Guid workspaceId, Guid[] communities)
{
    public const int Communities = 20;

    private static readonly string[] Texts =
    [
        "请问鱼油一天吃几粒？", "收到，谢谢！", "今天的活动还有名额吗", "已下单，期待到货", "早上好～打卡第7天", "孕妇可以吃吗？",
        "这个和上次买的有什么区别呀", "老师讲得太好了，受益匪浅", "快递什么时候能到呢", "我家宝宝两岁可以喝吗", "我要投诉，快递十天没到",
    ];

    public List<CommunityEvent> Batch(int first, int count, Options options, DateTime firstAt)
    {
        var total = options.Joins + options.Messages;
        var step = TimeSpan.FromSeconds(30) / total;
        var every = Math.Max(1, total / Math.Max(1, options.Joins));
        var batch = new List<CommunityEvent>(count);
        for (var i = first; i < first + count; i++)
        {
            var id = "bench:" + i.ToString(CultureInfo.InvariantCulture);
            var at = firstAt + step * (i - first);
            var join = i % every == 0 && i / every < options.Joins;
            if (join)
            {
                var k = i / every;
                batch.Add(new CommunityEvent
                {
                    WorkspaceId = workspaceId, Platform = ChatPlatform.Sandbox, PlatformEventId = id, Kind = EventKind.MemberJoined, OccurredAt = at,
                    CommunityId = communities[k % communities.Length], UserId = "n" + k.ToString(CultureInfo.InvariantCulture),
                    UserName = k % 2 == 0 ? $"上海-零售-新人{k}" : "新人" + k.ToString(CultureInfo.InvariantCulture),
                });
                continue;
            }
            var user = (int)((long)i * 7919 % 5000);
            var community = communities[user % communities.Length];
            var staff = i % 40 == 7;
            batch.Add(new CommunityEvent
            {
                WorkspaceId = workspaceId, Platform = ChatPlatform.Sandbox, PlatformEventId = id, Kind = EventKind.MessagePosted, OccurredAt = at,
                CommunityId = community, UserId = staff ? "staff" + (user % communities.Length) : "u" + user.ToString(CultureInfo.InvariantCulture),
                UserName = staff ? "运营" : "用户" + user.ToString(CultureInfo.InvariantCulture), FromStaff = staff,
                MessageKind = MessageKind.Text, MessageId = id,
                Text = staff ? "这个问题我来回答：可以的，按说明服用即可" : Texts[i % Texts.Length] + (i % 3 == 0 ? "" : " " + (i % 1000).ToString(CultureInfo.InvariantCulture)),
            });
        }
        return batch;
    }
}
