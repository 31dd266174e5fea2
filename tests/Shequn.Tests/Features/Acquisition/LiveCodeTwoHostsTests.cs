using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Fakes.Telegram;
using Shequn.Fakes.WeCom;
using Shequn.Features.Acquisition;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;
using Shequn.Platform.KeyRing;
using Shequn.Tests.Connectors.Telegram;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Acquisition;

/// <summary>
/// One of two app hosts on one fresh PostgreSQL database, with the fake WeCom and Telegram servers both hosts share;
/// with <paramref name="upkeep"/>, the live-code upkeep runs on its own every second (as it would every 5 minutes).
/// </summary>
public sealed class LiveCodeSharedHost(string database, FakeWeComServer wecom, FakeTelegramServer telegram, bool upkeep) : ShequnFactory, ILiveCodeFakes
{
    internal static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");

    public FakeWeComServer WeCom => wecom;

    public FakeTelegramServer Telegram => telegram;

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public override string? Unavailable => new PostgresFactory().Unavailable;

    protected override string ConnectionString => new NpgsqlConnectionStringBuilder(PgServer ?? "Host=127.0.0.1") { Database = database }.ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        LiveCodeFakeSettings.Apply(builder, this);
        // Nodes sharing a database share the key ring, so they must share its key-encryption secret (ADR-007).
        builder.UseSetting(KeyEncryptionSecrets.ConfigKey, "live-code-hosts-share-this-key-encryption-secret");
        if (upkeep)
        {
            builder.UseSetting("LiveCodes:UpkeepEnabled", "true");
            builder.UseSetting("LiveCodes:UpkeepInterval", "00:00:01");
        }
    }

    public static async Task DropAsync(string database)
    {
        if (PgServer is null)
            return;
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(PgServer);
        await conn.OpenAsync(TestContext.Current.CancellationToken);
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}

/// <summary>
/// The live codes' shared work on two app processes over one PostgreSQL: the short link's scan book (a burst of scans
/// through both hosts at once stores each visitor once and routes no community past its cap) and the upkeep (run by
/// both, its work made once; when one host stops, the other carries on).
/// </summary>
[LongRunning]
public sealed class LiveCodeTwoHostsTests : IAsyncLifetime
{
    private const string AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
    private const string GroupQr = "https://weixin.qq.com/g/AbCdEf123";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _database = "shequn_lc2_" + Guid.NewGuid().ToString("N")[..12];
    private FakeWeComServer _wecom = null!;
    private FakeTelegramServer _telegram = null!;
    private readonly List<LiveCodeSharedHost> _hosts = [];

    public async ValueTask InitializeAsync()
    {
        _wecom = await FakeWeComServer.StartAsync();
        _telegram = await FakeTelegramServer.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
            await host.DisposeAsync();
        await LiveCodeSharedHost.DropAsync(_database);
        await _wecom.DisposeAsync();
        await _telegram.DisposeAsync();
    }

    /// <summary>Two hosts on the one database; the first creates and migrates it, the second starts on it.</summary>
    private async Task<(LiveCodeSharedHost First, LiveCodeSharedHost Second, TestWorkspace Ws)> HostsAsync(bool upkeep)
    {
        var first = new LiveCodeSharedHost(_database, _wecom, _telegram, upkeep);
        var second = new LiveCodeSharedHost(_database, _wecom, _telegram, upkeep);
        _hosts.Add(first);
        _hosts.Add(second);
        var ws = await first.NewWorkspaceAsync();
        _ = second.Services;
        return (first, second, ws);
    }

    [Fact]
    public async Task ABurstOfScansThroughBothHosts_StoresEachVisitorOnce_RoutesNoCommunityPastItsCap_AndTheOverflowIsToldItIsFull()
    {
        var (first, second, ws) = await HostsAsync(upkeep: false);
        var hosts = new[] { first, second };
        var channel = await LiveCodeKit.ChannelAsync(ws);
        // Caps: min(capacity, the code's limit of 20): 12, 20 and 20 seats.
        var communities = new[] { await LiveCodeKit.CommunityAsync(ws, "一群", capacity: 12), await LiveCodeKit.CommunityAsync(ws, "二群"), await LiveCodeKit.CommunityAsync(ws, "三群") };
        var code = await LiveCodeKit.CodeAsync(ws, channel, [.. communities.Select(c => (object)new { communityId = c })], policy: "fillToTarget", target: 8, limit: 20, landing: false);
        var caps = new Dictionary<Guid, int> { [communities[0]] = 12, [communities[1]] = 20, [communities[2]] = 20 };
        const int seats = 52;

        // Each host warmed up on a code of its own (its pipeline, its scan book's connection), so neither lags the other.
        var warm = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = await LiveCodeKit.CommunityAsync(ws, "热身群") }], landing: false);
        foreach (var host in hosts)
            Assert.Equal(StatusCodes.Status302Found, (await LiveCodeKit.SendAsync(host, "GET", $"/j/{warm.Code}", "192.0.2.99")).Response.StatusCode);

        // 200 visitors, alternately through each host; every third scans again at the same moment through the other host.
        const int visitors = 200;
        var sent = new List<(int Visitor, int Host, Task<HttpContext> Answer)>();
        for (var i = 0; i < visitors; i++)
        {
            sent.Add((i, i % 2, LiveCodeKit.SendAsync(hosts[i % 2], "GET", $"/j/{code.Code}", LiveCodeKit.Ip(1000 + i))));
            if (i % 3 == 0)
                sent.Add((i, (i + 1) % 2, LiveCodeKit.SendAsync(hosts[(i + 1) % 2], "GET", $"/j/{code.Code}", LiveCodeKit.Ip(1000 + i))));
        }
        await Task.WhenAll(sent.Select(s => s.Answer));

        var answers = new List<(int Visitor, int Host, int Status, string Where, string Body)>();
        foreach (var (visitor, host, answer) in sent)
        {
            var c = await answer;
            answers.Add((visitor, host, c.Response.StatusCode, c.Response.Headers.Location.ToString(), await LiveCodeKit.BodyAsync(c)));
        }
        Assert.All(answers, a => Assert.True(a.Status == StatusCodes.Status302Found || a.Body.Contains("livecode-full", StringComparison.Ordinal),
            $"visitor {a.Visitor} on host {a.Host}: {a.Status} {a.Body[..Math.Min(200, a.Body.Length)]}"));
        // A visitor who scanned through both hosts was given one answer: the same group, or full on both.
        foreach (var twice in answers.GroupBy(a => a.Visitor).Where(g => g.Count() > 1))
            Assert.Single(twice.Select(a => (a.Status, a.Where)).Distinct());

        // A seat given back by a repeat in a batch may have been missed by that batch (see ScanBook): fresh visitors,
        // one at a time on either host, take any seat left until one is told the code is full.
        var late = 0;
        while (true)
        {
            var c = await LiveCodeKit.SendAsync(hosts[late % 2], "GET", $"/j/{code.Code}", LiveCodeKit.Ip(5000 + late));
            late++;
            if (c.Response.StatusCode != StatusCodes.Status302Found)
            {
                Assert.Contains("livecode-full", await LiveCodeKit.BodyAsync(c), StringComparison.Ordinal);
                break;
            }
            Assert.True(late < 10, "seats were still free after 10 late visitors");
        }

        var scans = await LiveCodeKit.DbAsync(second, db => db.Set<LiveCodeScan>().IgnoreQueryFilters().AsNoTracking().Where(s => s.LiveCodeId == code.Id).ToListAsync(Ct));
        Assert.Equal(visitors + late, scans.Count);
        Assert.Equal(visitors + late, scans.Select(s => s.Visitor).Distinct().Count());
        var routes = await LiveCodeKit.DbAsync(first, db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking().Where(r => r.LiveCodeId == code.Id).ToListAsync(Ct));
        Assert.All(routes, r =>
        {
            Assert.InRange(r.Filled, 0, caps[r.CommunityId]);
            Assert.InRange(r.Routed, 0, caps[r.CommunityId]);
            Assert.Equal(scans.Count(s => s.RouteId == r.Id), r.Routed);
            Assert.Equal(r.Routed, r.Filled);
            Assert.All(scans.Where(s => s.RouteId == r.Id), s => Assert.Equal(r.CommunityId, s.CommunityId));
        });
        var routed = scans.Count(s => s.RouteId != null);
        Assert.Equal(seats, routed);
        Assert.Equal(seats, routes.Sum(r => r.Routed));
        // Everyone else got the full page: the burst's visitors not routed, and the last late one.
        var routedInBurst = answers.Where(a => a.Status == StatusCodes.Status302Found).Select(a => a.Visitor).Distinct().Count();
        Assert.Equal(seats - (late - 1), routedInBurst);
        Assert.Equal(visitors - routedInBurst, answers.Where(a => a.Status != StatusCodes.Status302Found).Select(a => a.Visitor).Distinct().Count());
    }

    [Fact]
    public async Task TheSameVisitorsReloadingTheLandingPageOnBothHostsInOppositeOrders_AreEachStoredOnce_AndNoneIsRefused()
    {
        var (first, second, ws) = await HostsAsync(upkeep: false);
        var hosts = new[] { first, second };
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = await LiveCodeKit.CommunityAsync(ws, "一群") }], landing: true);
        foreach (var host in hosts)
            Assert.Equal(StatusCodes.Status200OK, (await LiveCodeKit.SendAsync(host, "GET", $"/j/{code.Code}", "192.0.2.99")).Response.StatusCode);

        // A landing-page visit locks no route: only the scans' unique key orders two hosts' batches. The first host sees
        // the visitors in one order, the second in the reverse, as a load balancer spreading a crowd's reloads might.
        const int visitors = 150;
        var sent = new List<Task<HttpContext>>();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < visitors; i++)
            {
                sent.Add(LiveCodeKit.SendAsync(first, "GET", $"/j/{code.Code}", LiveCodeKit.Ip(2000 + i)));
                sent.Add(LiveCodeKit.SendAsync(second, "GET", $"/j/{code.Code}", LiveCodeKit.Ip(2000 + visitors - 1 - i)));
            }
        }
        var answers = await Task.WhenAll(sent);
        Assert.All(answers, c => Assert.Equal(StatusCodes.Status200OK, c.Response.StatusCode));
        var scans = await LiveCodeKit.DbAsync(second, db => db.Set<LiveCodeScan>().IgnoreQueryFilters().AsNoTracking()
            .Where(s => s.LiveCodeId == code.Id && s.Kind == ScanKind.Visit).Select(s => s.Visitor).ToListAsync(Ct));
        Assert.Equal(visitors + 1, scans.Count);
        Assert.Equal(visitors + 1, scans.Distinct().Count());
    }

    private static async Task<HttpResponseMessage> UploadQrAsync(TestWorkspace ws, Guid code, Guid route, DateTime expiresAt)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Images.TestImages.QrPng(GroupQr));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "qr.png");
        form.Add(new StringContent(expiresAt.ToString("O", CultureInfo.InvariantCulture)), "expiresAt");
        return await ws.Owner.Api.PostAsync($"/api/live-codes/{code}/routes/{route}/qr", form, Ct);
    }

    private static async Task<T> UntilAsync<T>(string what, Func<Task<T>> read, Func<T, bool> done, int seconds = 60, int everyMs = 50)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(everyMs, Ct);
        }
    }

    [Fact]
    public async Task TheUpkeepRunningOnBothHosts_MakesEachWayInOnce_AndWhenOneHostStopsTheOtherCarriesOn()
    {
        var (first, second, ws) = await HostsAsync(upkeep: true);
        // WeCom: a corp with two groups, synced in (each holds its owner).
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        var corp = _wecom.AddCorp(corpId, "secret" + Guid.NewGuid().ToString("N"), "tok" + Guid.NewGuid().ToString("N")[..12], AesKey);
        var made = await ws.Owner.Api.PostJsonAsync("/api/wecom/connections", new { corpId, secret = corp.Secret, token = corp.Token, encodingAesKey = AesKey });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var connection = await made.ReadAsync<WeComConnectionDto>();
        var client = first.CreateClient();
        _wecom.CallbackClient = client;
        corp.CallbackUrl = new Uri(client.BaseAddress!, connection.CallbackPath);
        var chats = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
            await _wecom.CreateChatAsync(corp, chatId, $"企微群{i + 1}", "zhangsan");
            chats.Add(chatId);
        }
        await first.Services.GetRequiredService<WeComSync>().SyncConnectionAsync(connection.Id, false, Ct);
        await first.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var wecomCommunities = new List<Guid>();
        foreach (var chatId in chats)
            wecomCommunities.Add(await LiveCodeKit.DbAsync(first, db => db.Set<PlatformChat>().IgnoreQueryFilters()
                .Where(p => p.WorkspaceId == ws.Id && p.Platform == ChatPlatform.WeCom && p.ChatId == chatId).Select(p => p.CommunityId).SingleAsync(Ct)));

        // Every WeCom call takes a while, so that a pass on one host overlaps the other host's tries to claim the lease.
        _wecom.CallDelay = TimeSpan.FromMilliseconds(150);
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var wx = await LiveCodeKit.CommunityAsync(ws, "个人微信群", platform: "manual");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = wecomCommunities[0] }, new { communityId = wecomCommunities[1] }, new { communityId = wx }]);
        var wxRoute = code.Routes.Single(r => r.CommunityId == wx).Id;
        // A personal WeChat group QR that dies in 10 hours: staff are asked for a fresh one.
        Assert.Equal(HttpStatusCode.OK, (await UploadQrAsync(ws, code.Id, wxRoute, DateTime.UtcNow.AddHours(10))).StatusCode);
        // Telegram, in a workspace of its own: the dispatchers (on both hosts) make the route's invite link, the upkeep copies it onto the route.
        var tg = await TelegramWorld.CreateAsync(first, _telegram);
        var tgCode = await LiveCodeKit.CodeAsync(tg.Ws, await LiveCodeKit.ChannelAsync(tg.Ws), [new { communityId = tg.Community }]);
        var tgRoute = tgCode.Routes.Single().Id;

        // Both hosts run passes: each claims the lease under a name of its own, so the lease row shows two owners over time.
        var owners = new HashSet<string>(StringComparer.Ordinal);
        await UntilAsync("both hosts to hold the upkeep's lease", async () =>
        {
            var owner = await LiveCodeKit.DbAsync(second, db => db.Set<EventCheckpoint>().AsNoTracking()
                .Where(c => c.Name == LiveCodeUpkeep.CheckpointName).Select(c => c.LeaseOwner).SingleOrDefaultAsync(Ct));
            if (owner is not null)
                owners.Add(owner);
            return owners.Count;
        }, n => n >= 2, everyMs: 2); // a pass with nothing to do holds the lease for some milliseconds only

        Task<int> QrTasksAsync(LiveCodeSharedHost host) => LiveCodeKit.DbAsync(host, db => db.Set<StaffTask>().IgnoreQueryFilters()
            .CountAsync(t => t.WorkspaceId == ws.Id && t.CommunityId == wx && t.Kind == ActionKind.CreateInviteLink, Ct));
        var row = await UntilAsync("the join_way, the QR task and the Telegram link", () => LiveCodeKit.DbAsync(first, async db => new
        {
            Code = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == code.Id, Ct),
            Tasks = await db.Set<StaffTask>().IgnoreQueryFilters().CountAsync(t => t.WorkspaceId == ws.Id && t.CommunityId == wx && t.Kind == ActionKind.CreateInviteLink, Ct),
            Link = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.Id == tgRoute).Select(r => r.JoinUrl).SingleAsync(Ct),
        }), x => x.Code.WeComQrUrl is not null && x.Tasks > 0 && x.Link is not null);
        // Many more passes on both hosts: nothing more is made.
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);

        Assert.Single(_wecom.CallsOf("externalcontact/groupchat/add_join_way"), c => c.CorpId == corpId);
        Assert.DoesNotContain(_wecom.CallsOf("externalcontact/groupchat/update_join_way"), c => c.CorpId == corpId);
        var way = Assert.Single(_wecom.JoinWays.Values, j => j["state"]?.GetValue<string>() == code.Key);
        Assert.Equal(row.Code.WeComQrUrl, way["qr_code"]!.GetValue<string>());
        Assert.Equal(1, await QrTasksAsync(second));
        var link = Assert.Single(_telegram.InviteLinks.Values, l => l.Name == tgCode.Key);
        Assert.Equal(link.Link, row.Link);
        Assert.Equal(1, await LiveCodeKit.DbAsync(second, db => db.Set<OutboundAction>().IgnoreQueryFilters()
            .CountAsync(a => a.WorkspaceId == tg.Ws.Id && a.CommunityId == tg.Community && a.Kind == ActionKind.CreateInviteLink, Ct)));
        // The counts are the members there: each WeCom group its owner, the WeChat group nobody yet.
        var filled = await LiveCodeKit.DbAsync(second, db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.LiveCodeId == code.Id).OrderBy(r => r.Position).Select(r => r.Filled).ToListAsync(Ct));
        Assert.Equal([1, 1, 0], filled);

        // The first host stops. A fresh QR uploaded (here: written as the upload writes it) comes near its end: the second host asks for the next one.
        await first.DisposeAsync();
        _hosts.Remove(first);
        var soon = DateTime.UtcNow.AddHours(3);
        await LiveCodeKit.DbAsync(second, db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.Id == wxRoute)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.QrExpiresAt, soon).SetProperty(r => r.QrRefreshAskedAt, (DateTime?)null), Ct));
        await UntilAsync("the second host to ask for the next QR", () => QrTasksAsync(second), n => n >= 2);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(2, await QrTasksAsync(second));
    }
}
