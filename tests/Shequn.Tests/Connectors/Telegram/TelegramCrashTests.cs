using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Outbox;
using Shequn.Fakes.Telegram;
using Shequn.Tests.Infrastructure;
using Shequn.Tests.Platform;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>
/// The built server dispatching sends and bans to a slow fake Telegram is killed with SIGKILL while calls are in
/// flight, then started again: no action is lost, every ban is done, sends that were interrupted are uncertain and
/// nothing was sent twice (ADR-006's delivery window).
/// </summary>
[LongRunning]
public abstract class TelegramCrashTests
{
    protected abstract DatabaseProvider Provider { get; }
    protected abstract string? ConnectionString();

    private const int Chats = 10;
    private const int PerChat = 4;

    [Fact]
    public async Task Server_KilledWhileDispatching_LosesNothing_RepeatsNoSend()
    {
        var ct = TestContext.Current.CancellationToken;
        var dll = BuildOutput.AppDll;
        Assert.True(File.Exists(dll), $"Build the app first: {dll} is missing.");
        var dataDir = Path.Combine(Path.GetTempPath(), "shequn-tg-crash", Guid.NewGuid().ToString("N"));
        var database = new DatabaseOptions { Provider = Provider, ConnectionString = ConnectionString() };

        await using var fake = await FakeTelegramServer.StartAsync();
        const string token = "7100200300:AAcrash";
        var bot = fake.AddBot(token, "crash_bot");
        var chatIds = Enumerable.Range(1, Chats).Select(i => -1_000_000_000_000L - i).ToList();
        foreach (var id in chatIds)
        {
            var chat = fake.AddChat(id, "群 " + id);
            FakeTelegramServer.SeatBot(bot, chat);
            for (var k = 0; k < PerChat; k++)
                chat.Members[UserOf(id, k)] = new FakeMember(UserOf(id, k), "member" + k);
        }
        await using var seed = await TelegramSeed.CreateAsync(database, dataDir, token, chatIds, ct);

        var port = TelegramSeed.FreePort();
        var settings = new Dictionary<string, string>
        {
            ["Telegram__ApiBaseUrl"] = fake.BaseUrl,
            ["Outbox__Lease"] = "00:00:06",
            ["Outbox__CallTimeout"] = "00:00:05",
        };
        // Slow answers: the effect happens at once, the answer comes 1.5 s later, so calls are in flight at the kill.
        fake.Latency = TimeSpan.FromSeconds(1.5);
        var enqueued = new List<Guid>();
        using (var server = await seed.StartServerAsync(dll, port, settings, ct))
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", seed.ApiSecret);
            for (var k = 0; k < PerChat; k++)
            {
                foreach (var id in chatIds)
                {
                    var community = seed.Communities[id];
                    foreach (var body in new object[] { new { kind = "send", text = TextOf(id, k) }, new { kind = "ban", userId = UserOf(id, k).ToString(CultureInfo.InvariantCulture) } })
                    {
                        var response = await api.PostJsonAsync($"/api/communities/{community}/actions", body);
                        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                        enqueued.Add((await response.ReadAsync<ActionDto>()).Id);
                    }
                }
            }
            while (fake.CallsOf("sendMessage").Count(c => c.Status == 200) < Chats)
                await Task.Delay(20, ct);
            server.Kill(entireProcessTree: true); // SIGKILL: no shutdown hooks run
            await server.WaitForExitAsync(ct);
        }
        var sentBeforeKill = fake.CallsOf("sendMessage").Count(c => c.Status == 200);
        fake.Latency = TimeSpan.Zero;

        using (var server = await seed.StartServerAsync(dll, port, settings, ct))
        {
            await using var db = seed.Context();
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (await db.Set<OutboundAction>().AnyAsync(a => a.Status == ActionStatus.Queued || a.Status == ActionStatus.Sending, ct))
            {
                Assert.True(DateTime.UtcNow < deadline, "actions are still pending 90 s after the restart");
                await Task.Delay(200, ct);
            }
            var actions = await db.Set<OutboundAction>().AsNoTracking().ToListAsync(ct);
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(ct);

            // Nothing lost.
            Assert.Equal(enqueued.Order(), actions.Select(a => a.Id).Order());
            // Every ban done, and every member banned.
            Assert.All(actions.Where(a => a.Kind == ActionKind.Ban), a => Assert.Equal(ActionStatus.Done, a.Status));
            Assert.All(chatIds, id => Assert.All(Enumerable.Range(0, PerChat), k => Assert.Equal("kicked", fake.Chats[id].Members[UserOf(id, k)].Status)));

            // No text sent twice; a done send was sent once; an interrupted one is uncertain (sent at most once).
            var sent = fake.SentTexts().GroupBy(s => s.Text).ToDictionary(g => g.Key, g => g.Count());
            Assert.All(sent, s => Assert.Equal(1, s.Value));
            var sends = actions.Where(a => a.Kind == ActionKind.Send).ToList();
            Assert.All(sends, a => Assert.True(a.Status is ActionStatus.Done or ActionStatus.Uncertain, $"{a.Status} {a.Error}"));
            Assert.All(sends.Where(a => a.Status == ActionStatus.Done), a => Assert.Equal(1, sent.GetValueOrDefault(ActionPayload.FromJson(a.Payload).Text!)));
            Assert.Contains(sends, a => a.Status == ActionStatus.Uncertain);
            // The sends made after the restart are done (the kill left some for the restart to send).
            Assert.True(sent.Count > sentBeforeKill, $"nothing was sent after the restart ({sentBeforeKill} before the kill)");
        }
        if (Provider == DatabaseProvider.Postgres)
            await DropAsync(database.ConnectionString!);
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }

    private static long UserOf(long chatId, int k) => -chatId % 1_000_000 * 100 + k + 1;

    private static string TextOf(long chatId, int k) => $"公告 {chatId} #{k}";

    private static async Task DropAsync(string cs)
    {
        var b = new NpgsqlConnectionStringBuilder(cs);
        var database = b.Database;
        b.Database = "postgres";
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(b.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

public sealed class TelegramCrashTests_Sqlite : TelegramCrashTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override string? ConnectionString() => null;
}

public sealed class TelegramCrashTests_Postgres : TelegramCrashTests
{
    private static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");

    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;

    protected override string? ConnectionString()
    {
        if (PgServer is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
                throw new InvalidOperationException("CI=true but SHEQUN_TEST_PG is not set.");
            Assert.Skip("PostgreSQL not available (run ./test.sh, which starts a throwaway server).");
        }
        return new NpgsqlConnectionStringBuilder(PgServer) { Database = "shequn_tgcrash_" + Guid.NewGuid().ToString("N")[..12] }.ConnectionString;
    }
}
