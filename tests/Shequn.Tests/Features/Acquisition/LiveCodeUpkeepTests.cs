using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Fakes.Telegram;
using Shequn.Fakes.WeCom;
using Shequn.Features.Acquisition;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;
using Shequn.Tests.Connectors.Telegram;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Acquisition;

/// <summary>The app with a fake WeCom and a fake Telegram; the live-code upkeep runs when a test calls it.</summary>
public interface ILiveCodeFakes
{
    FakeWeComServer WeCom { get; }
    FakeTelegramServer Telegram { get; }
}

internal static class LiveCodeFakeSettings
{
    public static void Apply(IWebHostBuilder builder, ILiveCodeFakes fakes)
    {
        builder.UseSetting("WeCom:ApiBaseUrl", fakes.WeCom.BaseUrl);
        builder.UseSetting("WeCom:SyncEnabled", "false");
        TelegramTestSettings.Apply(builder, fakes.Telegram);
    }
}

public sealed class LiveCodeSqliteFactory : SqliteFactory, ILiveCodeFakes
{
    public FakeWeComServer WeCom { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();
    public FakeTelegramServer Telegram { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        LiveCodeFakeSettings.Apply(builder, this);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await WeCom.DisposeAsync();
        await Telegram.DisposeAsync();
    }
}

public sealed class LiveCodePostgresFactory : PostgresFactory, ILiveCodeFakes
{
    public FakeWeComServer WeCom { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();
    public FakeTelegramServer Telegram { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        LiveCodeFakeSettings.Apply(builder, this);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await WeCom.DisposeAsync();
        await Telegram.DisposeAsync();
    }
}

/// <summary>
/// The ways in per platform and the upkeep that keeps them working: counts reconciled with the members really there,
/// WeCom's join_way made and rotated to the groups with room (joins through it attributed to the code), Telegram's
/// invite link copied onto the route and its join requests approved (a blacklisted person's declined), personal WeChat
/// group QR codes checked at upload and asked for again a day before they die, and two nodes' passes making nothing twice.
/// </summary>
[LongRunning]
public abstract class LiveCodeUpkeepTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ILiveCodeFakes
{
    private const string AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
    private const string GroupQr = "https://weixin.qq.com/g/AbCdEf123";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LiveCodeUpkeep Upkeep => factory.Services.GetRequiredService<LiveCodeUpkeep>();

    private Task CaughtUpAsync() => factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    private Task<List<LiveCodeRoute>> RoutesAsync(Guid code) =>
        LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking().Where(r => r.LiveCodeId == code).OrderBy(r => r.Position).ToListAsync(Ct));

    private Task<LiveCode> CodeRowAsync(Guid code) =>
        LiveCodeKit.DbAsync(factory, db => db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == code, Ct));

    private async Task DbAsync(Func<AppDbContext, Task> write)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        await write(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    [Fact]
    public async Task Reconcile_CountsMembersAndRecentlyRoutedVisitors_AndAFullCodeWithRoomAgainIsClearedOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var a = await LiveCodeKit.CommunityAsync(ws, "一群", capacity: 50);
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }], limit: 10, target: 10);
        var route = (await RoutesAsync(code.Id)).Single();
        // A member who joined through the Sandbox page, and three visitors routed: two within the pending window, one long ago.
        var joined = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/sandbox/{route.Id}", "192.0.2.1", new() { ["name"] = "小李" });
        Assert.Equal(200, joined.Response.StatusCode);
        await CaughtUpAsync();
        var now = DateTime.UtcNow;
        await DbAsync(async db =>
        {
            foreach (var (ago, who) in new[] { (TimeSpan.FromMinutes(5), "v1"), (TimeSpan.FromMinutes(30), "v2"), (TimeSpan.FromHours(3), "v3") })
                db.Add(new LiveCodeScan { WorkspaceId = ws.Id, LiveCodeId = code.Id, Kind = ScanKind.Join, At = now - ago, Visitor = who, Window = 1, RouteId = route.Id, CommunityId = a });
            await db.SaveChangesWithoutAuditAsync(Ct);
            await db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.Id == route.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Filled, 10), Ct);
            await db.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == code.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.FullSince, now), Ct);
        });

        var pass = await Upkeep.RunOnceAsync(Ct);
        Assert.NotNull(pass);
        Assert.Equal(1 + 2, (await RoutesAsync(code.Id)).Single().Filled);
        Assert.Null((await CodeRowAsync(code.Id)).FullSince);
        Assert.Equal(1, pass.Reopened);
        // The page sees it at once on this node (the directory forgot the code): visitors are routed again.
        var go = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join", "192.0.2.2");
        Assert.Equal(302, go.Response.StatusCode);
        var again = await Upkeep.RunOnceAsync(Ct);
        Assert.Equal(0, again!.Reopened);
    }

    private static byte[] QrPng(string text) => Images.TestImages.QrPng(text);

    private static byte[] PlainPng()
    {
        using var bitmap = new SkiaSharp.SKBitmap(120, 80);
        using var canvas = new SkiaSharp.SKCanvas(bitmap);
        canvas.Clear(SkiaSharp.SKColors.LightBlue);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static async Task<HttpResponseMessage> UploadAsync(TestWorkspace ws, Guid code, Guid route, byte[] bytes, string? expiresAt = null, string name = "qr.png")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", name);
        if (expiresAt is not null)
            form.Add(new StringContent(expiresAt), "expiresAt");
        return await ws.Owner.Api.PostAsync($"/api/live-codes/{code}/routes/{route}/qr", form, Ct);
    }

    [Fact]
    public async Task GroupQrUpload_RefusesWhatIsNotAWeChatGroupQr_NamingTheReason_AndAFreshOneIsAskedForOnceADayBeforeItDies()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var wx = await LiveCodeKit.CommunityAsync(ws, "个人微信群", platform: "manual");
        var sandbox = await LiveCodeKit.CommunityAsync(ws, "沙盒群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = wx }, new { communityId = sandbox }]);
        var (route, other) = (code.Routes[0].Id, code.Routes[1].Id);
        Assert.False(code.Routes[0].Open);

        foreach (var (bytes, reason) in new[] { ("not an image at all"u8.ToArray(), "is not an image"), (PlainPng(), "No QR code was found"), (QrPng("https://example.com/join"), "is not a WeChat group's") })
        {
            var refused = await UploadAsync(ws, code.Id, route, bytes);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync(Ct);
            Assert.Contains("\"file\"", body, StringComparison.Ordinal);
            Assert.Contains(reason, body, StringComparison.Ordinal);
        }
        var tooLate = await UploadAsync(ws, code.Id, route, QrPng(GroupQr), DateTime.UtcNow.AddDays(8).ToString("O", CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.BadRequest, tooLate.StatusCode);
        Assert.Contains("\"expiresAt\"", await tooLate.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var wrongPlatform = await UploadAsync(ws, code.Id, other, QrPng(GroupQr));
        Assert.Equal(HttpStatusCode.BadRequest, wrongPlatform.StatusCode);
        Assert.Contains("\"routeId\"", await wrongPlatform.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Null((await RoutesAsync(code.Id))[0].QrImageId);

        var accepted = await UploadAsync(ws, code.Id, route, QrPng(GroupQr));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var dto = await accepted.ReadAsync<LiveCodeDto>();
        var routed = dto.Routes.Single(r => r.Id == route);
        Assert.True(routed.Open);
        Assert.Equal(GroupQr, routed.QrText);
        Assert.InRange(routed.QrExpiresAt!.Value, DateTime.UtcNow.AddDays(7).AddMinutes(-5), DateTime.UtcNow.AddDays(7).AddMinutes(5));
        // The visitor is shown the uploaded image, served while it lives.
        var go = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join", "198.51.100.20");
        Assert.Contains($"/j/{code.Code}/groups/{route}/qr", await LiveCodeKit.BodyAsync(go), StringComparison.Ordinal);
        var image = await LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}/groups/{route}/qr", "198.51.100.20");
        Assert.Equal("image/png", image.Response.ContentType);

        // Two days before it dies: nothing asked. 23 hours before: one task, once, however often the upkeep runs.
        Task<List<StaffTask>> QrTasksAsync() => LiveCodeKit.DbAsync(factory, db => db.Set<StaffTask>().IgnoreQueryFilters()
            .Where(t => t.WorkspaceId == ws.Id && t.CommunityId == wx && t.Kind == ActionKind.CreateInviteLink).ToListAsync(Ct));
        async Task ExpiresInAsync(TimeSpan left) => await DbAsync(db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.Id == route)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.QrExpiresAt, DateTime.UtcNow + left), Ct));
        await ExpiresInAsync(TimeSpan.FromHours(48));
        await Upkeep.RunOnceAsync(Ct);
        Assert.Empty(await QrTasksAsync());
        await ExpiresInAsync(TimeSpan.FromHours(23));
        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.QrAsked);
        await Upkeep.RunOnceAsync(Ct);
        var task = Assert.Single(await QrTasksAsync());
        Assert.Contains("个人微信群", task.Text, StringComparison.Ordinal);
        Assert.NotNull((await RoutesAsync(code.Id))[0].QrRefreshAskedAt);

        // A fresh upload is asked for again when it in turn runs out; a dead QR closes the route.
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(ws, code.Id, route, QrPng(GroupQr), DateTime.UtcNow.AddHours(20).ToString("O", CultureInfo.InvariantCulture))).StatusCode);
        Assert.Null((await RoutesAsync(code.Id))[0].QrRefreshAskedAt);
        await Upkeep.RunOnceAsync(Ct);
        Assert.Equal(2, (await QrTasksAsync()).Count);
        await ExpiresInAsync(TimeSpan.FromMinutes(-1));
        Assert.False((await ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}")).Routes.Single(r => r.Id == route).Open);
    }

    private sealed record WeComWorld(TestWorkspace Ws, FakeWeComCorp Corp, WeComConnectionDto Connection, List<string> Chats, List<Guid> Communities);

    private async Task<WeComWorld> WeComAsync(int groups)
    {
        var fake = factory.WeCom;
        var ws = await factory.NewWorkspaceAsync();
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        var secret = "secret" + Guid.NewGuid().ToString("N");
        var corp = fake.AddCorp(corpId, secret, "tok" + Guid.NewGuid().ToString("N")[..12], AesKey);
        var response = await ws.Owner.Api.PostJsonAsync("/api/wecom/connections", new { corpId, secret, token = corp.Token, encodingAesKey = AesKey });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var connection = await response.ReadAsync<WeComConnectionDto>();
        var client = factory.CreateClient();
        fake.CallbackClient = client;
        corp.CallbackUrl = new Uri(client.BaseAddress!, connection.CallbackPath);
        var chats = new List<string>();
        for (var i = 0; i < groups; i++)
        {
            var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
            await fake.CreateChatAsync(corp, chatId, $"企微群{i + 1}", "zhangsan");
            chats.Add(chatId);
        }
        await factory.Services.GetRequiredService<WeComSync>().SyncConnectionAsync(connection.Id, false, Ct);
        await CaughtUpAsync();
        var communities = new List<Guid>();
        foreach (var chatId in chats)
            communities.Add(await LiveCodeKit.DbAsync(factory, db => db.Set<PlatformChat>().IgnoreQueryFilters()
                .Where(p => p.WorkspaceId == ws.Id && p.Platform == ChatPlatform.WeCom && p.ChatId == chatId).Select(p => p.CommunityId).SingleAsync(Ct)));
        return new WeComWorld(ws, corp, connection, chats, communities);
    }

    private static List<string> ChatIdsOf(System.Text.Json.Nodes.JsonObject way) => [.. way["chat_id_list"]!.AsArray().Select(n => n!.GetValue<string>())];

    [Fact]
    public async Task WeCom_JoinWayListsTheFirstFiveGroupsWithRoom_WithTheCodesKeyAsState_RotatesWhenOneFills_AndJoinsAreAttributed()
    {
        var w = await WeComAsync(6);
        var channel = await LiveCodeKit.ChannelAsync(w.Ws);
        var code = await LiveCodeKit.CodeAsync(w.Ws, channel, [.. w.Communities.Select(c => (object)new { communityId = c })], limit: 3, target: 3);
        Assert.All(code.Routes, r => Assert.False(r.Open));

        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.WeComConfigs);
        var row = await CodeRowAsync(code.Id);
        Assert.NotNull(row.WeComConfigId);
        var way = factory.WeCom.JoinWays[row.WeComConfigId!];
        Assert.Equal(code.Key, way["state"]!.GetValue<string>());
        Assert.Equal(2, way["scene"]!.GetValue<int>());
        Assert.Equal(1, way["auto_create_room"]!.GetValue<int>());
        Assert.Equal(w.Chats.Take(5), ChatIdsOf(way));
        Assert.Equal(way["qr_code"]!.GetValue<string>(), row.WeComQrUrl);
        var dto = await w.Ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}");
        Assert.All(dto.Routes, r => Assert.True(r.Open));
        // Nothing changed: no call to WeCom.
        Assert.Equal(0, (await Upkeep.RunOnceAsync(Ct))!.WeComConfigs);

        // Two customers join the first group through the code's QR: it is full (3 with the owner), and the sixth group comes in.
        await factory.WeCom.AddMembersAsync(w.Corp, w.Chats[0], [
            new FakeGroupMember("wmZhao", 2, DateTimeOffset.UtcNow.ToUnixTimeSeconds()) { Name = "赵敏", State = code.Key },
            new FakeGroupMember("wmZhou", 2, DateTimeOffset.UtcNow.ToUnixTimeSeconds()) { Name = "周芷若", State = code.Key }], joinScene: 3);
        await factory.Services.GetRequiredService<WeComSync>().SyncConnectionAsync(w.Connection.Id, false, Ct);
        await CaughtUpAsync();
        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.WeComConfigs);
        var rotated = factory.WeCom.JoinWays[row.WeComConfigId!];
        Assert.Equal(w.Chats.Skip(1).Take(5), ChatIdsOf(rotated));
        Assert.Single(factory.WeCom.JoinWays.Values, j => j["state"]?.GetValue<string>() == code.Key);
        Assert.Equal(3, (await RoutesAsync(code.Id))[0].Filled);
        Assert.Equal(string.Join(',', w.Chats.Skip(1)), (await CodeRowAsync(code.Id)).WeComChatIds);

        var channels = await LiveCodeKit.DbAsync(factory, db => db.Memberships.IgnoreQueryFilters()
            .Where(m => m.CommunityId == w.Communities[0] && m.LeftAt == null && m.Channel != null).Select(m => m.Channel).ToListAsync(Ct));
        Assert.Equal([code.Key, code.Key], channels);
    }

    private Task<List<StaffTask>> WeComTasksAsync(Guid ws, Guid code) => LiveCodeKit.DbAsync(factory, db => db.Set<StaffTask>().IgnoreQueryFilters()
        .Where(t => t.WorkspaceId == ws && db.Set<OutboundAction>().IgnoreQueryFilters()
            .Any(a => a.Id == t.ActionId && a.IdempotencyKey.StartsWith($"livecode:{code:N}:wecom:"))).ToListAsync(Ct));

    [Fact]
    public async Task WeCom_AFailureIsKeptOnTheCode_WithOneTaskPerEpisode_AndClearedByTheNextSuccess()
    {
        var w = await WeComAsync(1);
        var channel = await LiveCodeKit.ChannelAsync(w.Ws);
        var code = await LiveCodeKit.CodeAsync(w.Ws, channel, [new { communityId = w.Communities[0] }]);
        factory.WeCom.InjectError("externalcontact/groupchat/add_join_way", -1, "system busy");
        var pass = await Upkeep.RunOnceAsync(Ct);
        Assert.Equal(0, pass!.WeComConfigs);
        var failed = await CodeRowAsync(code.Id);
        Assert.Null(failed.WeComConfigId);
        Assert.Contains("system busy", failed.WeComError, StringComparison.Ordinal);
        Assert.NotNull(failed.WeComErrorAt);
        var dto = await w.Ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}");
        Assert.Contains("system busy", dto.WeComError, StringComparison.Ordinal);
        Assert.NotNull(dto.WeComErrorAt);
        var task = Assert.Single(await WeComTasksAsync(w.Ws.Id, code.Id));
        Assert.Contains("system busy", task.Text, StringComparison.Ordinal);
        Assert.Equal(w.Communities[0], task.CommunityId);

        // Failing again in the same episode: the newest words, no second task.
        factory.WeCom.InjectError("externalcontact/groupchat/add_join_way", 45009, "api freq out of limit");
        await Upkeep.RunOnceAsync(Ct);
        Assert.Contains("45009", (await CodeRowAsync(code.Id)).WeComError, StringComparison.Ordinal);
        Assert.Single(await WeComTasksAsync(w.Ws.Id, code.Id));

        // The next success clears it; a later failure is a new episode with its own task.
        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.WeComConfigs);
        var ok = await CodeRowAsync(code.Id);
        Assert.NotNull(ok.WeComConfigId);
        Assert.Null(ok.WeComError);
        Assert.Null(ok.WeComErrorAt);
        Assert.Null((await w.Ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}")).WeComError);
        await DbAsync(db => db.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == code.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.WeComChatIds, "stale"), Ct));
        factory.WeCom.InjectError("externalcontact/groupchat/update_join_way", -1, "system busy again");
        await Upkeep.RunOnceAsync(Ct);
        Assert.Contains("system busy again", (await CodeRowAsync(code.Id)).WeComError, StringComparison.Ordinal);
        Assert.Equal(2, (await WeComTasksAsync(w.Ws.Id, code.Id)).Count);

        // The next pass mends it and leaves the code at rest: the class's tests share one database and count passes.
        await Upkeep.RunOnceAsync(Ct);
        Assert.Null((await CodeRowAsync(code.Id)).WeComError);
    }

    [Fact]
    public async Task WeCom_AnArchivedCodesJoinWayIsDeletedOnce_AcrossNodes_AndOneWeComLostAlreadyCountsAsDeleted()
    {
        var w = await WeComAsync(2);
        var channel = await LiveCodeKit.ChannelAsync(w.Ws);
        var first = await LiveCodeKit.CodeAsync(w.Ws, channel, [new { communityId = w.Communities[0] }]);
        var second = await LiveCodeKit.CodeAsync(w.Ws, channel, [new { communityId = w.Communities[1] }]);
        var paused = await LiveCodeKit.CodeAsync(w.Ws, channel, [new { communityId = w.Communities[1] }]);
        await Upkeep.RunOnceAsync(Ct);
        var (firstConfig, secondConfig, pausedConfig) = ((await CodeRowAsync(first.Id)).WeComConfigId!, (await CodeRowAsync(second.Id)).WeComConfigId!, (await CodeRowAsync(paused.Id)).WeComConfigId!);
        Assert.True(factory.WeCom.JoinWays.ContainsKey(firstConfig));
        // The second's config is deleted in WeCom's own console meanwhile.
        Assert.True(factory.WeCom.JoinWays.TryRemove(secondConfig, out _));
        foreach (var (id, state) in new[] { (first.Id, "archived"), (second.Id, "archived"), (paused.Id, "paused") })
            Assert.Equal(HttpStatusCode.OK, (await w.Ws.Owner.Api.PostJsonAsync($"/api/live-codes/{id}/state", new { state })).StatusCode);

        factory.WeCom.CallDelay = TimeSpan.FromMilliseconds(200);
        try
        {
            var nodes = Enumerable.Range(0, 3).Select(_ => ActivatorUtilities.CreateInstance<LiveCodeUpkeep>(factory.Services)).ToList();
            var passes = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.RunOnceAsync(Ct), Ct)));
            Assert.Equal(2, passes.Sum(p => p?.WeComRetired ?? 0));
            foreach (var n in nodes)
                Assert.Equal(0, (await n.RunOnceAsync(Ct))!.WeComRetired);
        }
        finally
        {
            factory.WeCom.CallDelay = TimeSpan.Zero;
        }
        Assert.False(factory.WeCom.JoinWays.ContainsKey(firstConfig));
        Assert.Single(factory.WeCom.CallsOf("externalcontact/groupchat/del_join_way"), c => c.Body["config_id"]?.GetValue<string>() == firstConfig && c.ErrCode == 0);
        foreach (var id in new[] { first.Id, second.Id })
        {
            var row = await CodeRowAsync(id);
            Assert.Null(row.WeComConfigId);
            Assert.Null(row.WeComQrUrl);
            Assert.Null(row.WeComError);
        }
        Assert.Empty(await WeComTasksAsync(w.Ws.Id, second.Id));
        // A paused code keeps its config: it may come back.
        Assert.Equal(pausedConfig, (await CodeRowAsync(paused.Id)).WeComConfigId);
        Assert.True(factory.WeCom.JoinWays.ContainsKey(pausedConfig));

        // Active again: a fresh config.
        Assert.Equal(HttpStatusCode.OK, (await w.Ws.Owner.Api.PostJsonAsync($"/api/live-codes/{first.Id}/state", new { state = "active" })).StatusCode);
        await Upkeep.RunOnceAsync(Ct);
        var again = (await CodeRowAsync(first.Id)).WeComConfigId;
        Assert.NotNull(again);
        Assert.NotEqual(firstConfig, again);
        Assert.True(factory.WeCom.JoinWays.ContainsKey(again!));
    }

    [Fact]
    public async Task WeCom_AGroupWeComOpensForTheJoinWay_BecomesTheCodesLastRouteOnce_AndOneStaffTookOffStaysOff()
    {
        var w = await WeComAsync(1);
        var channel = await LiveCodeKit.ChannelAsync(w.Ws);
        var code = await LiveCodeKit.CodeAsync(w.Ws, channel, [new { communityId = w.Communities[0] }], limit: 3, target: 3);
        await Upkeep.RunOnceAsync(Ct);
        var config = (await CodeRowAsync(code.Id)).WeComConfigId!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await factory.WeCom.AddMembersAsync(w.Corp, w.Chats[0], [
            new FakeGroupMember("wmZhao", 2, now) { Name = "赵敏", State = code.Key },
            new FakeGroupMember("wmZhou", 2, now) { Name = "周芷若", State = code.Key }], joinScene: 3);
        // The first group is full: WeCom opens 包裹卡活码1 (auto_create_room) and the next customer lands there.
        var opened = "wr" + Guid.NewGuid().ToString("N")[..20];
        await factory.WeCom.CreateChatAsync(w.Corp, opened, "包裹卡活码1", "zhangsan");
        await factory.WeCom.AddMembersAsync(w.Corp, opened, [new FakeGroupMember("wmQian", 2, now) { Name = "钱多多", State = code.Key }], joinScene: 3);
        // A group someone joined through another code's state is not this code's.
        var other = "wr" + Guid.NewGuid().ToString("N")[..20];
        await factory.WeCom.CreateChatAsync(w.Corp, other, "别的群", "zhangsan");
        await factory.WeCom.AddMembersAsync(w.Corp, other, [new FakeGroupMember("wmSun", 2, now) { Name = "孙", State = "lc-someelse" }], joinScene: 3);
        await factory.Services.GetRequiredService<WeComSync>().SyncConnectionAsync(w.Connection.Id, false, Ct);
        await CaughtUpAsync();
        var community = await LiveCodeKit.DbAsync(factory, db => db.Set<PlatformChat>().IgnoreQueryFilters()
            .Where(p => p.WorkspaceId == w.Ws.Id && p.Platform == ChatPlatform.WeCom && p.ChatId == opened).Select(p => p.CommunityId).SingleAsync(Ct));

        factory.WeCom.CallDelay = TimeSpan.FromMilliseconds(100);
        try
        {
            var nodes = Enumerable.Range(0, 3).Select(_ => ActivatorUtilities.CreateInstance<LiveCodeUpkeep>(factory.Services)).ToList();
            var passes = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.RunOnceAsync(Ct), Ct)));
            Assert.Equal(1, passes.Sum(p => p?.RoomsAdded ?? 0));
            foreach (var n in nodes)
                Assert.Equal(0, (await n.RunOnceAsync(Ct))!.RoomsAdded);
        }
        finally
        {
            factory.WeCom.CallDelay = TimeSpan.Zero;
        }
        var routes = await RoutesAsync(code.Id);
        Assert.Equal([w.Communities[0], community], routes.Select(r => r.CommunityId));
        Assert.Equal([0, 1], routes.Select(r => r.Position));
        Assert.Equal([3, 2], routes.Select(r => r.Filled));
        // The code keeps routing into it: the join_way now lists it (the first group is full).
        Assert.Equal([opened], ChatIdsOf(factory.WeCom.JoinWays[config]));
        var dto = await w.Ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}");
        Assert.True(dto.Routes.Single(r => r.CommunityId == community).Open);

        // Staff take it off: it stays off.
        var put = await w.Ws.Owner.Api.PutJsonAsync($"/api/live-codes/{code.Id}", new
        {
            name = "包裹卡活码", channelId = channel, limit = 3, target = 3, routes = new[] { new { communityId = w.Communities[0] } },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(0, (await Upkeep.RunOnceAsync(Ct))!.RoomsAdded);
        Assert.Equal([w.Communities[0]], (await RoutesAsync(code.Id)).Select(r => r.CommunityId));
    }

    [Fact]
    public async Task Telegram_TheDispatchersLinkBecomesTheRoutes_AndRequestsThroughItAreApproved_ButABlacklistedPersonsDeclined()
    {
        var fake = factory.Telegram;
        var w = await TelegramWorld.CreateAsync(factory, fake);
        var channel = await LiveCodeKit.ChannelAsync(w.Ws);
        var code = await LiveCodeKit.CodeAsync(w.Ws, channel, [new { communityId = w.Community }]);
        var route = code.Routes.Single();
        var action = await LiveCodeKit.DbAsync(factory, db => db.Set<OutboundAction>().IgnoreQueryFilters()
            .SingleAsync(a => a.WorkspaceId == w.Ws.Id && a.IdempotencyKey == LiveCodeUpkeep.LinkKey(route.Id, true), Ct));
        var settled = await w.SettledAsync(action.Id);
        Assert.Equal(ActionStatus.Done, settled.Status);
        var link = Assert.Single(fake.InviteLinks.Values, l => l.ChatId == w.Chat.Id && l.Name == code.Key);
        Assert.True(link.CreatesJoinRequest);

        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.Links);
        Assert.Equal(link.Link, (await RoutesAsync(code.Id)).Single().JoinUrl);
        var go = await LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}", "203.0.113.50");
        Assert.Equal(200, go.Response.StatusCode); // the landing page
        var joined = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join", "203.0.113.50");
        Assert.Equal(link.Link, joined.Response.Headers.Location.ToString());

        await DbAsync(async db =>
        {
            db.Current.ActAsSystem(w.Ws.Id);
            db.Add(new BlacklistEntry { WorkspaceId = w.Ws.Id, Platform = ChatPlatform.Telegram, UserId = "902", UserName = "Mallory", Reason = "spam" });
            await db.SaveChangesWithoutAuditAsync(Ct);
        });
        fake.RequestToJoin(w.Bot, w.Chat, 901, "Alice", link.Link);
        fake.RequestToJoin(w.Bot, w.Chat, 902, "Mallory", link.Link);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (w.Calls(fake, "approveChatJoinRequest").Count == 0 || w.Calls(fake, "declineChatJoinRequest").Count == 0))
            await Task.Delay(100, Ct);
        Assert.Equal([901L], w.Calls(fake, "approveChatJoinRequest").Select(c => c.Parameters.Number("user_id")!.Value));
        Assert.Equal([902L], w.Calls(fake, "declineChatJoinRequest").Select(c => c.Parameters.Number("user_id")!.Value));
        Assert.Equal("member", w.Chat.Members[901].Status);
        Assert.False(w.Chat.Members.ContainsKey(902));
        var keys = await LiveCodeKit.DbAsync(factory, db => db.Set<OutboundAction>().IgnoreQueryFilters()
            .Where(a => a.WorkspaceId == w.Ws.Id && (a.Kind == ActionKind.ApproveJoin || a.Kind == ActionKind.DeclineJoin)).Select(a => a.IdempotencyKey).ToListAsync(Ct));
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k => Assert.Matches("^event:\\d+:livecode:(approve|decline)$", k));
    }

    /// <summary>A Telegram group and a code routing to it, its first link made at the fake and copied onto the route.</summary>
    private async Task<(TelegramWorld W, LiveCodeDto Code, FakeInviteLink Link)> TelegramCodeAsync(bool joinRequests, int limit)
    {
        var fake = factory.Telegram;
        var w = await TelegramWorld.CreateAsync(factory, fake);
        var channel = await LiveCodeKit.ChannelAsync(w.Ws);
        var made = await w.Ws.Owner.Api.PostJsonAsync("/api/live-codes", new { name = "电报活码", channelId = channel, limit, joinRequests, routes = new[] { new { communityId = w.Community } } });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var code = await made.ReadAsync<LiveCodeDto>();
        await SettleAsync(w, LiveCodeUpkeep.LinkKey(code.Routes.Single().Id, joinRequests));
        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.Links);
        var url = (await RoutesAsync(code.Id)).Single().JoinUrl;
        Assert.NotNull(url);
        return (w, code, fake.InviteLinks[url]);
    }

    /// <summary>Waits until the dispatcher has settled the action with this key, which must succeed.</summary>
    private async Task SettleAsync(TelegramWorld w, string key)
    {
        var action = await LiveCodeKit.DbAsync(factory, db => db.Set<OutboundAction>().IgnoreQueryFilters()
            .SingleAsync(a => a.WorkspaceId == w.Ws.Id && a.IdempotencyKey == key, Ct));
        var settled = await w.SettledAsync(action.Id);
        Assert.True(settled.Status == ActionStatus.Done, $"{key}: {settled.Status} {settled.Error}");
    }

    private Task<List<string>> LinkKeysAsync(TelegramWorld w, Guid route) =>
        LiveCodeKit.DbAsync(factory, db => db.Set<OutboundAction>().IgnoreQueryFilters()
            .Where(a => a.WorkspaceId == w.Ws.Id && a.IdempotencyKey.StartsWith($"livecode:{route:N}:")).OrderBy(a => a.IdempotencyKey).Select(a => a.IdempotencyKey).ToListAsync(Ct));

    /// <summary>What <see cref="LiveCodeUpkeep"/> reads to renew a used-up link: joins through it, members, room and the route.</summary>
    private Task<string> RenewalStateAsync(TelegramWorld w, Guid code, string url) => LiveCodeKit.DbAsync(factory, async db =>
    {
        var joins = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.CommunityId == w.Community && e.Kind == EventKind.MemberJoined)
            .Select(e => $"{e.Seq}:{e.UserId}:{(e.InviteLink == url ? "link" : e.InviteLink ?? "none")}").ToListAsync(Ct);
        var members = await db.Memberships.IgnoreQueryFilters().CountAsync(m => m.CommunityId == w.Community && m.LeftAt == null, Ct);
        var community = await db.Communities.IgnoreQueryFilters().AsNoTracking().Where(c => c.Id == w.Community).Select(c => $"{c.State} cap {c.Capacity}").SingleAsync(Ct);
        var limit = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().Where(c => c.Id == code).Select(c => c.Limit).SingleAsync(Ct);
        var routes = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking().Where(r => r.LiveCodeId == code)
            .Select(r => $"{r.JoinUrl} gen {r.LinkGeneration} limit {r.LinkLimit}").ToListAsync(Ct);
        return $"joins [{string.Join(", ", joins)}], {members} members, community {community}, code limit {limit}, routes [{string.Join("; ", routes)}]";
    });

    /// <summary>Waits until the community has this many members in the app (the fake's updates polled and processed).</summary>
    private async Task MembersAsync(TelegramWorld w, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await LiveCodeKit.DbAsync(factory, db => db.Memberships.IgnoreQueryFilters().CountAsync(m => m.CommunityId == w.Community && m.LeftAt == null, Ct)) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the community never had {count} members");
            await Task.Delay(100, Ct);
        }
        await CaughtUpAsync();
    }

    [Fact]
    public async Task Telegram_AMemberLimitLinkUsedUp_IsRevokedAndRenewedWithTheRoomLeft_OnceRoomOpens_AndASecondPassChangesNothing()
    {
        var fake = factory.Telegram;
        var (w, code, link) = await TelegramCodeAsync(joinRequests: false, limit: 2);
        var route = code.Routes.Single();
        Assert.Equal(2, link.MemberLimit);
        Assert.False(link.CreatesJoinRequest);
        Assert.Equal((0, (int?)2), ((await RoutesAsync(code.Id)).Single().LinkGeneration, (await RoutesAsync(code.Id)).Single().LinkLimit));
        // As a route made before link generations: no LinkLimit, so the limit is read from the action that made the link.
        await DbAsync(db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.Id == route.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LinkLimit, (int?)null), Ct));

        fake.JoinViaLink(w.Bot, w.Chat, 901, "Alice", link.Link, code.Key);
        await MembersAsync(w, 1);
        Assert.Equal(0, (await Upkeep.RunOnceAsync(Ct))!.LinksRenewed); // one join of two: not used up
        fake.JoinViaLink(w.Bot, w.Chat, 902, "Bob", link.Link, code.Key);
        await MembersAsync(w, 2);
        Assert.Equal(0, (await Upkeep.RunOnceAsync(Ct))!.LinksRenewed); // used up, but the group is at the code's limit: no room to renew for
        Assert.Equal(link.Link, (await RoutesAsync(code.Id)).Single().JoinUrl);

        fake.Leave(w.Bot, w.Chat, 901, "Alice");
        await MembersAsync(w, 1);
        // Once seen with 3 test threads: no renewal here. The state the renewal reads goes into the message if it recurs.
        var opened = (await Upkeep.RunOnceAsync(Ct))!;
        Assert.True(opened.LinksRenewed == 1, $"{opened}; {await RenewalStateAsync(w, code.Id, link.Link)}");
        var renewed = (await RoutesAsync(code.Id)).Single();
        Assert.Null(renewed.JoinUrl); // closed until the new link is made
        Assert.Equal(1, renewed.LinkGeneration);
        Assert.Equal(1, renewed.LinkLimit);
        var keys = await LinkKeysAsync(w, route.Id);
        Assert.Equal([LiveCodeUpkeep.LinkKey(route.Id, false), LiveCodeUpkeep.LinkKey(route.Id, false, 1), LiveCodeUpkeep.RevokeKey(route.Id, 0)], keys);
        // A second pass renews nothing (it may copy the new link already, if the dispatcher was that quick).
        var again = (await Upkeep.RunOnceAsync(Ct))!;
        Assert.Equal(0, again.LinksRenewed);
        Assert.Equal(keys, await LinkKeysAsync(w, route.Id));

        await SettleAsync(w, LiveCodeUpkeep.RevokeKey(route.Id, 0));
        await SettleAsync(w, LiveCodeUpkeep.LinkKey(route.Id, false, 1));
        Assert.True(fake.InviteLinks[link.Link].IsRevoked);
        var fresh = Assert.Single(fake.InviteLinks.Values, l => l.ChatId == w.Chat.Id && l.Link != link.Link);
        Assert.Equal(1, fresh.MemberLimit);
        Assert.Equal(code.Key, fresh.Name);
        Assert.False(fresh.IsRevoked);

        var pass = (await Upkeep.RunOnceAsync(Ct))!;
        Assert.Equal((1, 0), (again.Links + pass.Links, pass.LinksRenewed));
        Assert.Equal(fresh.Link, (await RoutesAsync(code.Id)).Single().JoinUrl);
        var joined = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join", "203.0.113.60");
        Assert.Equal(fresh.Link, joined.Response.Headers.Location.ToString());
        pass = (await Upkeep.RunOnceAsync(Ct))!;
        Assert.Equal((0, 0), (pass.Links, pass.LinksRenewed));
        Assert.Equal(fresh.Link, (await RoutesAsync(code.Id)).Single().JoinUrl);
        Assert.Equal(keys, await LinkKeysAsync(w, route.Id));
    }

    [Fact]
    public async Task Telegram_AJoinRequestLink_IsNeverRenewed_HoweverManyJoinedThroughIt()
    {
        var fake = factory.Telegram;
        var (w, code, link) = await TelegramCodeAsync(joinRequests: true, limit: 2);
        Assert.True(link.CreatesJoinRequest);
        fake.JoinViaLink(w.Bot, w.Chat, 911, "Carol", link.Link, code.Key);
        fake.JoinViaLink(w.Bot, w.Chat, 912, "Dan", link.Link, code.Key);
        await MembersAsync(w, 2);
        fake.Leave(w.Bot, w.Chat, 911, "Carol");
        await MembersAsync(w, 1); // two joins through it and room in the group: a member-limit link of 2 would be renewed here

        Assert.Equal(0, (await Upkeep.RunOnceAsync(Ct))!.LinksRenewed);
        var route = (await RoutesAsync(code.Id)).Single();
        Assert.Equal(link.Link, route.JoinUrl);
        Assert.Equal(0, route.LinkGeneration);
        Assert.Equal([LiveCodeUpkeep.LinkKey(route.Id, true)], await LinkKeysAsync(w, route.Id));
        Assert.False(fake.InviteLinks[link.Link].IsRevoked);
    }

    [Fact]
    public async Task Telegram_EditingACodeBetweenJoinRequestsAndAMemberLimit_GivesItsRouteALinkOfThatKind_AndAnEditChangingNeitherKeepsTheLink()
    {
        var fake = factory.Telegram;
        var (w, code, link) = await TelegramCodeAsync(joinRequests: true, limit: 5);
        var route = code.Routes.Single().Id;
        object Edit(bool joinRequests) => new { name = code.Name, channelId = code.ChannelId, limit = 5, joinRequests, routes = new[] { new { communityId = w.Community } } };

        Assert.Equal(HttpStatusCode.OK, (await w.Ws.Owner.Api.PutJsonAsync($"/api/live-codes/{code.Id}", Edit(true))).StatusCode);
        Assert.Equal([LiveCodeUpkeep.LinkKey(route, true)], await LinkKeysAsync(w, route));
        Assert.Equal(link.Link, (await RoutesAsync(code.Id)).Single().JoinUrl);

        Assert.Equal(HttpStatusCode.OK, (await w.Ws.Owner.Api.PutJsonAsync($"/api/live-codes/{code.Id}", Edit(false))).StatusCode);
        var switched = (await RoutesAsync(code.Id)).Single();
        Assert.Null(switched.JoinUrl);
        Assert.Equal((1, (int?)5), (switched.LinkGeneration, switched.LinkLimit));
        await SettleAsync(w, LiveCodeUpkeep.RevokeKey(route, 0));
        await SettleAsync(w, LiveCodeUpkeep.LinkKey(route, false, 1));
        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.Links);
        var limited = fake.InviteLinks[(await RoutesAsync(code.Id)).Single().JoinUrl!];
        Assert.Equal((5, false), (limited.MemberLimit, limited.CreatesJoinRequest));
        Assert.True(fake.InviteLinks[link.Link].IsRevoked);

        Assert.Equal(HttpStatusCode.OK, (await w.Ws.Owner.Api.PutJsonAsync($"/api/live-codes/{code.Id}", Edit(true))).StatusCode);
        await SettleAsync(w, LiveCodeUpkeep.RevokeKey(route, 1));
        await SettleAsync(w, LiveCodeUpkeep.LinkKey(route, true, 2));
        Assert.Equal(1, (await Upkeep.RunOnceAsync(Ct))!.Links);
        var back = (await RoutesAsync(code.Id)).Single();
        Assert.Equal((2, (int?)null), (back.LinkGeneration, back.LinkLimit));
        Assert.True(fake.InviteLinks[back.JoinUrl!].CreatesJoinRequest);
        Assert.True(limited.IsRevoked);
    }

    [Fact]
    public async Task TwoNodesRunningTheUpkeepAtOnce_MakeOneJoinWayAndOneTask_AndTheSameCounts()
    {
        var w = await WeComAsync(2);
        var channel = await LiveCodeKit.ChannelAsync(w.Ws);
        var wx = await LiveCodeKit.CommunityAsync(w.Ws, "个人微信群", platform: "manual");
        var code = await LiveCodeKit.CodeAsync(w.Ws, channel, [new { communityId = w.Communities[0] }, new { communityId = w.Communities[1] }, new { communityId = wx }]);
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(w.Ws, code.Id, code.Routes[2].Id, QrPng(GroupQr), DateTime.UtcNow.AddHours(10).ToString("O", CultureInfo.InvariantCulture))).StatusCode);
        await DbAsync(db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.LiveCodeId == code.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Filled, 77), Ct));
        factory.WeCom.CallDelay = TimeSpan.FromMilliseconds(200);
        try
        {
            var nodes = Enumerable.Range(0, 4).Select(_ => ActivatorUtilities.CreateInstance<LiveCodeUpkeep>(factory.Services)).ToList();
            var passes = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.RunOnceAsync(Ct), Ct)));
            Assert.Contains(passes, p => p is not null);
            // Then every node again, one after the other: all is done, nothing more is made.
            foreach (var n in nodes)
                await n.RunOnceAsync(Ct);
        }
        finally
        {
            factory.WeCom.CallDelay = TimeSpan.Zero;
        }
        Assert.Single(factory.WeCom.JoinWays.Values, j => j["state"]?.GetValue<string>() == code.Key);
        var tasks = await LiveCodeKit.DbAsync(factory, db => db.Set<StaffTask>().IgnoreQueryFilters()
            .Where(t => t.WorkspaceId == w.Ws.Id && t.CommunityId == wx && t.Kind == ActionKind.CreateInviteLink).CountAsync(Ct));
        Assert.Equal(1, tasks);
        var routes = await RoutesAsync(code.Id);
        Assert.Equal([1, 1, 0], routes.Select(r => r.Filled));
    }
}

public sealed class LiveCodeUpkeepTests_Sqlite(LiveCodeSqliteFactory factory) : LiveCodeUpkeepTests<LiveCodeSqliteFactory>(factory), IClassFixture<LiveCodeSqliteFactory>;

public sealed class LiveCodeUpkeepTests_Postgres(LiveCodePostgresFactory factory) : LiveCodeUpkeepTests<LiveCodePostgresFactory>(factory), IClassFixture<LiveCodePostgresFactory>;
