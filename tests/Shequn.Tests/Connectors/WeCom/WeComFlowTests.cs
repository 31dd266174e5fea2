using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Fakes.WeCom;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Connectors.WeCom;

/// <summary>The app against a fake WeCom: its API at <c>WeCom:ApiBaseUrl</c>; the sync is stepped by the tests.</summary>
public interface IWeComFactory
{
    FakeWeComServer Fake { get; }

    /// <summary>Everything the app logged, at every level.</summary>
    CapturedLogs Logs { get; }
}

/// <summary>Keeps every log message (all levels) so that tests can look for leaked secrets.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    public static void AddTo(IWebHostBuilder builder, CapturedLogs logs) =>
        builder.ConfigureLogging(l => l.AddProvider(logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}

public sealed class WeComSqliteFactory : SqliteFactory, IWeComFactory
{
    public FakeWeComServer Fake { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();

    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        CapturedLogs.AddTo(builder, Logs);
        builder.UseSetting("WeCom:ApiBaseUrl", Fake.BaseUrl);
        builder.UseSetting("WeCom:SyncEnabled", "false");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

public sealed class WeComPostgresFactory : PostgresFactory, IWeComFactory
{
    public FakeWeComServer Fake { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();

    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        CapturedLogs.AddTo(builder, Logs);
        builder.UseSetting("WeCom:ApiBaseUrl", Fake.BaseUrl);
        builder.UseSetting("WeCom:SyncEnabled", "false");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

/// <summary>
/// Whole WeCom flows: the fake pushes signed, encrypted callbacks to the app's endpoint and serves the REST API;
/// what the app stores is read back through the API (and the log where the API shows no more).
/// </summary>
public abstract class WeComFlowTests(ShequnFactory factory)
{
    // Vector W1's key: any 43-character key works, this one is known to be valid.
    private const string AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";

    private FakeWeComServer Fake => ((IWeComFactory)factory).Fake;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Connected(TestWorkspace Ws, FakeWeComCorp Corp, WeComConnectionDto Connection);

    private async Task<Connected> ConnectAsync(string? typedSecret = null)
    {
        var ws = await factory.NewWorkspaceAsync();
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        var secret = "secret" + Guid.NewGuid().ToString("N");
        var corp = Fake.AddCorp(corpId, secret, "tok" + Guid.NewGuid().ToString("N")[..12], AesKey);
        var response = await ws.Owner.Api.PostJsonAsync("/api/wecom/connections",
            new { corpId, secret = typedSecret ?? secret, token = corp.Token, encodingAesKey = AesKey });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dto = await response.ReadAsync<WeComConnectionDto>();
        var client = factory.CreateClient();
        Fake.CallbackClient = client;
        corp.CallbackUrl = new Uri(client.BaseAddress!, dto.CallbackPath);
        return new Connected(ws, corp, dto);
    }

    private Task<bool> SyncAsync(Connected c, bool force = false) =>
        factory.Services.GetRequiredService<WeComSync>().SyncConnectionAsync(c.Connection.Id, force, Ct);

    private async Task CaughtUpAsync() => await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    private async Task<CommunityDto> CommunityAsync(Connected c, string chatId)
    {
        await CaughtUpAsync();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var id = await db.Set<PlatformChat>().IgnoreQueryFilters()
            .Where(p => p.WorkspaceId == c.Ws.Id && p.Platform == ChatPlatform.WeCom && p.ChatId == chatId).Select(p => p.CommunityId).SingleAsync(Ct);
        return await c.Ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{id}");
    }

    private static async Task<List<string>> MemberNamesAsync(Connected c, Guid communityId)
    {
        var page = await c.Ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?communityId={communityId}&pageSize=100");
        return [.. page.Items.Select(m => m.DisplayName).Order(StringComparer.Ordinal)];
    }

    private async Task<List<CommunityEvent>> EventsAsync(Guid workspaceId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<CommunityEvent>().Where(e => e.WorkspaceId == workspaceId).OrderBy(e => e.Seq).ToListAsync(Ct);
    }

    private static FakeGroupMember Customer(string id, string name) => new(id, 2, DateTimeOffset.UtcNow.ToUnixTimeSeconds()) { Name = name };

    [Fact]
    public async Task Callbacks_NewGroupAndJoins_ApiShowsCommunityAndMembers()
    {
        var c = await ConnectAsync();
        Assert.Equal(WeComConnectionStatus.Connected, c.Connection.Status);
        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];

        await Fake.CreateChatAsync(c.Corp, chatId, "销售客服群", "zhangsan");
        Assert.True(await SyncAsync(c)); // the create callback marked the group: fetched for its name and members
        var joined = await Fake.AddMembersAsync(c.Corp, chatId, [Customer("wmA", "王语嫣"), Customer("wmB", "段誉")]);
        Assert.True(joined!.Delivered);
        Assert.Equal(1, joined.Attempts);
        await SyncAsync(c); // names of the joiners (the callback carries ids only)

        var community = await CommunityAsync(c, chatId);
        Assert.Equal(("销售客服群", ChatPlatform.WeCom), (community.Name, community.Platform));
        Assert.Equal(3, (await MemberNamesAsync(c, community.Id)).Count);

        var left = await Fake.RemoveMembersAsync(c.Corp, chatId, ["wmB"], quitScene: 1);
        Assert.True(left!.Delivered);
        await CaughtUpAsync();
        Assert.Equal(2, (await MemberNamesAsync(c, community.Id)).Count);
        var events = await EventsAsync(c.Ws.Id);
        Assert.Contains(events, e => e.Kind == EventKind.MemberRemoved && e.UserId == "wmB");

        await Fake.RenameChatAsync(c.Corp, chatId, "VIP 客服群");
        await SyncAsync(c);
        Assert.Equal("VIP 客服群", (await CommunityAsync(c, chatId)).Name);
        await Fake.DismissChatAsync(c.Corp, chatId);
        Assert.Equal(CommunityState.Dissolved, (await CommunityAsync(c, chatId)).State);
    }

    [Fact]
    public async Task LostCallback_VersionsDisagree_GroupFetchedAndMembershipsReconciled()
    {
        var c = await ConnectAsync();
        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
        await Fake.CreateChatAsync(c.Corp, chatId, "版本群", "lisi");
        await SyncAsync(c);

        // Two join callbacks are lost; the next one starts from a member version we never saw.
        await Fake.AddMembersAsync(c.Corp, chatId, [Customer("wmLost1", "甲"), Customer("wmLost2", "乙")], push: false);
        await Fake.AddMembersAsync(c.Corp, chatId, [Customer("wmSeen", "丙")]);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            Assert.True(await db.Set<WeComChat>().IgnoreQueryFilters().Where(x => x.ChatId == chatId).Select(x => x.NeedsRefresh).SingleAsync(Ct));
        }
        await SyncAsync(c);
        var community = await CommunityAsync(c, chatId);
        Assert.Equal(["lisi", "丙", "乙", "甲"], await MemberNamesAsync(c, community.Id));

        // A member leaves through the API side (no callback at all): the periodic full sync notices.
        await Fake.RemoveMembersAsync(c.Corp, chatId, ["wmLost2"], push: false);
        await SyncAsync(c, force: true);
        await CaughtUpAsync();
        Assert.Equal(["lisi", "丙", "甲"], await MemberNamesAsync(c, community.Id));
        // A second full sync finds nothing new to say.
        var before = (await EventsAsync(c.Ws.Id)).Count;
        await SyncAsync(c, force: true);
        Assert.Equal(before, (await EventsAsync(c.Ws.Id)).Count);
    }

    [Fact]
    public async Task UrlVerification_AnswersTheBarePlaintext()
    {
        var c = await ConnectAsync();
        var (status, body, expected) = await Fake.VerifyUrlAsync(c.Corp);
        Assert.Equal((200, expected), (status, body));
    }

    private async Task<HttpResponseMessage> PostCallbackAsync(Connected c, string xml, string? token = null, string? corpId = null, bool signed = true, string? rawBody = null)
    {
        var encrypt = FakeWeComCrypto.Encrypt(AesKey, corpId ?? c.Corp.CorpId, xml);
        var signature = FakeWeComCrypto.Sign(token ?? c.Corp.Token, "1700000000", "42", encrypt);
        var body = rawBody ?? $"<xml><ToUserName><![CDATA[{c.Corp.CorpId}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>";
        var query = signed ? $"?msg_signature={signature}&timestamp=1700000000&nonce=42" : "";
        using var client = factory.CreateClient();
        return await client.PostAsync(c.Connection.CallbackPath + query, new StringContent(body, Encoding.UTF8, "text/xml"), Ct);
    }

    private static string JoinXml(string corpId, string chatId, string member) =>
        $"<xml><ToUserName><![CDATA[{corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000100</CreateTime>"
        + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>"
        + $"<ChatId><![CDATA[{chatId}]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail>"
        + $"<JoinScene>3</JoinScene><MemChangeCnt>1</MemChangeCnt><MemChangeList><Item>{member}</Item></MemChangeList>"
        + "<LastMemVer>v1</LastMemVer><CurMemVer>v2</CurMemVer></xml>";

    [Fact]
    public async Task BadCallbacks_RefusedAndNothingStored_ReplayStoredOnce_UnknownKeptAndSkipped()
    {
        var c = await ConnectAsync();
        var xml = JoinXml(c.Corp.CorpId, "wrForged", "wmX");

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostCallbackAsync(c, xml, token: "not-our-token")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostCallbackAsync(c, xml, signed: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostCallbackAsync(c, xml, corpId: "wwSomebodyElse")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostCallbackAsync(c, xml, rawBody: "<xml><Encrypt>")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostCallbackAsync(c, "this is not xml")).StatusCode);
        Assert.Empty(await EventsAsync(c.Ws.Id));

        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
        var join = JoinXml(c.Corp.CorpId, chatId, "wmY");
        Assert.Equal(HttpStatusCode.OK, (await PostCallbackAsync(c, join)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostCallbackAsync(c, join)).StatusCode);
        var events = await EventsAsync(c.Ws.Id);
        Assert.Single(events, e => e.Kind == EventKind.MemberJoined && e.UserId == "wmY");

        var tag = $"<xml><ToUserName><![CDATA[{c.Corp.CorpId}]]></ToUserName><CreateTime>1700000200</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            + "<Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[etTAG]]></Id><ChangeType><![CDATA[create]]></ChangeType></xml>";
        Assert.Equal(HttpStatusCode.OK, (await PostCallbackAsync(c, tag)).StatusCode);
        await Fake.PushContactChangeAsync(c.Corp, "add_external_contact", "zhangsan", "wmContact", "live-code-1");
        await CaughtUpAsync();
        events = await EventsAsync(c.Ws.Id);
        var notice = Assert.Single(events, e => e.Kind == EventKind.PlatformNotice);
        Assert.Contains("etTAG", notice.Text, StringComparison.Ordinal);
        var contact = Assert.Single(events, e => e.Kind == EventKind.ContactChanged);
        Assert.Equal(("wmContact", "zhangsan", "live-code-1"), (contact.UserId, contact.ActorId, contact.Channel));
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.True(await db.Set<SkippedEvent>().AnyAsync(s => s.Seq == notice.Seq, Ct));
    }

    [Fact]
    public async Task WrongCorpSecret_ConnectionAndHealthShowAuthFailedWithWeComsWords()
    {
        var c = await ConnectAsync(typedSecret: "wrong-secret-1234");
        Assert.Equal(WeComConnectionStatus.AuthFailed, c.Connection.Status);
        Assert.Contains("40001", c.Connection.StatusDetail, StringComparison.Ordinal);
        Assert.Equal("••••1234", c.Connection.Secret);

        var listed = Assert.Single(await c.Ws.Owner.Api.GetJsonAsync<List<WeComConnectionDto>>("/api/wecom/connections"));
        Assert.Equal(WeComConnectionStatus.AuthFailed, listed.Status);
        Assert.DoesNotContain("wrong-secret", await c.Ws.Owner.Api.GetStringAsync("/api/wecom/connections", Ct), StringComparison.Ordinal);

        // The owner's health details name the corp and WeCom's words; another workspace's owner sees none of it.
        var details = await c.Ws.Owner.Api.GetJsonAsync<System.Text.Json.JsonElement>("/health/details");
        var wecom = details.GetProperty("connectors").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "weCom");
        var connection = Assert.Single(wecom.GetProperty("connections").EnumerateArray());
        Assert.Equal("down", connection.GetProperty("state").GetString());
        Assert.Contains("40001", connection.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var stranger = await factory.NewWorkspaceAsync();
        Assert.DoesNotContain("40001", await stranger.Owner.Api.GetStringAsync("/health/details", Ct), StringComparison.Ordinal);
        using var anonymous = factory.CreateClient();
        Assert.Equal("Degraded", await anonymous.GetStringAsync("/health", Ct));

        // Fixing the secret turns it green.
        var fixedSecret = c.Corp.Secret;
        var updated = await (await c.Ws.Owner.Api.PutJsonAsync($"/api/wecom/connections/{c.Connection.Id}", new { corpId = c.Corp.CorpId, secret = fixedSecret })).ReadAsync<WeComConnectionDto>();
        Assert.Equal((WeComConnectionStatus.Connected, null), (updated.Status, updated.StatusDetail));
    }

    [Fact]
    public async Task Secrets_NeverLogged_AtAnyLevel()
    {
        var c = await ConnectAsync();
        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
        await Fake.CreateChatAsync(c.Corp, chatId, "日志群", "sunqi");
        Fake.InjectError("externalcontact/groupchat/get", 42001, "access_token expired");
        await SyncAsync(c, force: true);
        await (await c.Ws.Owner.Api.PutJsonAsync($"/api/wecom/connections/{c.Connection.Id}", new { corpId = c.Corp.CorpId, secret = "another-secret-5678" })).ReadAsync<WeComConnectionDto>();

        var tokens = Fake.Calls.Where(x => x.CorpId == c.Corp.CorpId).Select(x => x.Path).ToList();
        Assert.Contains("externalcontact/groupchat/get", tokens);
        var logged = string.Join("\n", ((IWeComFactory)factory).Logs.Lines);
        // The capture sees the WeCom client's request logs, where a secret in a query string would show.
        Assert.Contains("System.Net.Http.HttpClient.wecom", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(c.Corp.Secret, logged, StringComparison.Ordinal);
        Assert.DoesNotContain("another-secret-5678", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(c.Corp.Token, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(AesKey, logged, StringComparison.Ordinal);
        Assert.DoesNotContain("fake-token-", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredToken42001_RefreshedAndTheCallMadeOnceMore()
    {
        var c = await ConnectAsync();
        Fake.InjectError("externalcontact/groupchat/list", 42001, "access_token expired");
        Assert.True(await SyncAsync(c, force: true));

        Assert.Equal(2, Fake.CallsOf("gettoken").Count(x => x.CorpId == c.Corp.CorpId && x.ErrCode == 0));
        Assert.Equal([42001, 0], Fake.CallsOf("externalcontact/groupchat/list").Where(x => x.CorpId == c.Corp.CorpId).Select(x => x.ErrCode));
        var listed = Assert.Single(await c.Ws.Owner.Api.GetJsonAsync<List<WeComConnectionDto>>("/api/wecom/connections"));
        Assert.Equal(WeComConnectionStatus.Connected, listed.Status);
        Assert.NotNull(listed.LastSyncAt);
    }

    [Fact]
    public async Task SyncLeaseHeldByAnotherNode_ThisNodeLeavesTheCorpAlone()
    {
        var c = await ConnectAsync();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.Set<WeComConnection>().IgnoreQueryFilters().Where(x => x.Id == c.Connection.Id).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.SyncLeaseOwner, "other-node").SetProperty(x => x.SyncLeaseUntil, DateTime.UtcNow.AddMinutes(1)), Ct);
        }
        Assert.False(await SyncAsync(c, force: true));
        Assert.DoesNotContain(Fake.Calls, x => x.CorpId == c.Corp.CorpId && x.Path == "externalcontact/groupchat/list");

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.Set<WeComConnection>().IgnoreQueryFilters().Where(x => x.Id == c.Connection.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.SyncLeaseUntil, DateTime.UtcNow.AddSeconds(-1)), Ct);
        }
        Assert.True(await SyncAsync(c, force: true));
        Assert.Contains(Fake.Calls, x => x.CorpId == c.Corp.CorpId && x.Path == "externalcontact/groupchat/list");
    }

    [Fact]
    public async Task TwoAppProcesses_SyncTheSameCorp_OnlyOneWorksOnItAtATime()
    {
        var c = await ConnectAsync();
        for (var i = 0; i < 3; i++)
            await Fake.CreateChatAsync(c.Corp, $"wr2h{i}{Guid.NewGuid():N}"[..24], $"双机群{i}", "owner2h", push: false);
        // A second app process on the same database, with its own sync (its own lease owner name).
        await using var other = ((WebApplicationFactory<Program>)factory).WithWebHostBuilder(_ => { });
        var syncs = new[] { factory.Services.GetRequiredService<WeComSync>(), other.Services.GetRequiredService<WeComSync>() };
        Assert.NotEqual(syncs[0].Owner, syncs[1].Owner);

        Fake.CallDelay = TimeSpan.FromMilliseconds(300);
        try
        {
            var ran = await Task.WhenAll(syncs.Select(s => s.SyncConnectionAsync(c.Connection.Id, force: true, Ct)));
            Assert.Equal(1, ran.Count(r => r));
        }
        finally
        {
            Fake.CallDelay = TimeSpan.Zero;
        }
        Assert.Equal(1, Fake.MaxConcurrentCalls);
        Assert.Single(Fake.CallsOf("externalcontact/groupchat/list"), x => x.CorpId == c.Corp.CorpId);
        Assert.Equal(3, Fake.CallsOf("externalcontact/groupchat/get").Count(x => x.CorpId == c.Corp.CorpId));
    }

    private static async Task<ActionDto> SettledAsync(HttpClient api, Guid actionId)
    {
        while (true)
        {
            var a = await api.GetJsonAsync<ActionDto>($"/api/actions/{actionId}");
            if (a.Status is not (ActionStatus.Queued or ActionStatus.Sending))
                return a;
            await Task.Delay(50, Ct);
        }
    }

    [Fact]
    public async Task MassSend_MakesTemplateForTheGroup_WaitsForOwner_ThenShowsSent()
    {
        var c = await ConnectAsync();
        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
        await Fake.CreateChatAsync(c.Corp, chatId, "群发群", "wangwu");
        await SyncAsync(c);
        var community = await CommunityAsync(c, chatId);

        var queued = await (await c.Ws.Owner.Api.PostJsonAsync($"/api/communities/{community.Id}/actions", new { kind = "massSend", text = "本周六活动通知" })).ReadAsync<ActionDto>();
        var done = await SettledAsync(c.Ws.Owner.Api, queued.Id);
        Assert.Equal(ActionStatus.Done, done.Status);
        var call = Assert.Single(Fake.CallsOf("externalcontact/add_msg_template"), x => x.CorpId == c.Corp.CorpId);
        Assert.Equal(("group", "wangwu", chatId, "本周六活动通知"), (call.Body["chat_type"]!.GetValue<string>(), call.Body["sender"]!.GetValue<string>(),
            Assert.Single(call.Body["chat_id_list"]!.AsArray())!.GetValue<string>(), call.Body["text"]!["content"]!.GetValue<string>()));
        var msgId = Assert.Single(Fake.MassMessages.Values, m => m.CorpId == c.Corp.CorpId).MsgId;
        Assert.Equal(msgId, done.PlatformIds);
        Assert.Empty(Fake.Chats[chatId].MassMessages); // nothing reaches the group before the owner confirms

        var waiting = Assert.Single(await c.Ws.Owner.Api.GetJsonAsync<List<WeComGroupMessageDto>>($"/api/wecom/group-messages?communityId={community.Id}"));
        Assert.Equal((WeComGroupMessageState.AwaitingConfirmation, queued.Id), (waiting.State, waiting.ActionId));
        await SyncAsync(c);
        Assert.Equal(WeComGroupMessageState.AwaitingConfirmation,
            Assert.Single(await c.Ws.Owner.Api.GetJsonAsync<List<WeComGroupMessageDto>>($"/api/wecom/group-messages?communityId={community.Id}")).State);

        Fake.ConfirmMassMessage(msgId);
        await SyncAsync(c);
        var sent = Assert.Single(await c.Ws.Owner.Api.GetJsonAsync<List<WeComGroupMessageDto>>($"/api/wecom/group-messages?communityId={community.Id}"));
        Assert.Equal((WeComGroupMessageState.Sent, 1), (sent.State, sent.SendStatus));
        Assert.NotNull(sent.SentAt);
        var posted = Assert.Single(await EventsAsync(c.Ws.Id), e => e.Kind == EventKind.MessagePosted);
        Assert.Equal(("wangwu", true, "本周六活动通知"), (posted.UserId, posted.FromStaff, posted.Text));
    }

    [Fact]
    public async Task Send_InAWeComCommunityNotLinked_FailsAsConfiguration_InTheReadersLanguage()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await (await ws.Owner.Api.PostJsonAsync("/api/communities", Features.Communities.CommunityApiTests.NewCommunity("未关联群", "weCom"))).ReadAsync<CommunityDto>();
        var callsBefore = Fake.Calls.Count;

        var queued = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community.Id}/actions", new { kind = "send", text = "大家好" })).ReadAsync<ActionDto>();
        var failed = await SettledAsync(ws.Owner.Api, queued.Id);

        Assert.Equal((ActionStatus.Failed, ErrorCategory.Configuration), (failed.Status, failed.ErrorCategory));
        Assert.Equal("This community is not linked to a WeCom customer group.", failed.Error); // the API keeps English
        Assert.Equal(callsBefore, Fake.Calls.Count);
        await using var scope = factory.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<OutboundAction>().IgnoreQueryFilters().SingleAsync(a => a.Id == queued.Id, Ct);
        var localizers = new Shequn.Platform.Localization.JsonStringLocalizerFactory();
        Assert.Equal("这个社群还没有关联企业微信客户群。", InCulture("zh-CN", () => ActionError.Text(row, localizers.Create(typeof(Shequn.Platform.Localization.Strings)))));
        Assert.Equal(failed.Error, InCulture("en", () => ActionError.Text(row, localizers.Create(typeof(Shequn.Platform.Localization.Strings)))));
    }

    private static string? InCulture(string culture, Func<string?> show)
    {
        var before = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo(culture);
        try
        {
            return show();
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = before;
        }
    }

    [Fact]
    public async Task Remove_OnWeComCommunity_BecomesStaffTask_AndNothingIsCalled()
    {
        var c = await ConnectAsync();
        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
        await Fake.CreateChatAsync(c.Corp, chatId, "移除群", "zhaoliu");
        await Fake.AddMembersAsync(c.Corp, chatId, [Customer("wmSpam", "广告哥")]);
        await SyncAsync(c);
        var community = await CommunityAsync(c, chatId);
        var callsBefore = Fake.Calls.Count;

        var queued = await (await c.Ws.Owner.Api.PostJsonAsync($"/api/communities/{community.Id}/actions", new { kind = "remove", userId = "wmSpam" })).ReadAsync<ActionDto>();
        var settled = await SettledAsync(c.Ws.Owner.Api, queued.Id);

        Assert.Equal(ActionStatus.Task, settled.Status);
        Assert.False(string.IsNullOrWhiteSpace(settled.Payload.TaskText));
        Assert.Equal(callsBefore, Fake.Calls.Count);
    }

    [Fact]
    public async Task Connections_BadInput_NamesTheFields_AndOperatorsMayNotConfigure()
    {
        var ws = await factory.NewWorkspaceAsync();
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/wecom/connections", new { corpId = "ww 1", secret = "", token = "t", encodingAesKey = "short" }))
            .ReadValidationErrorsAsync();
        Assert.Equal(["corpId", "encodingAesKey", "secret"], errors.Keys.Order(StringComparer.Ordinal));

        var op = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.GetAsync("/api/wecom/connections", Ct)).StatusCode);
    }
}

public sealed class WeComFlowTests_Sqlite(WeComSqliteFactory factory) : WeComFlowTests(factory), IClassFixture<WeComSqliteFactory>;

public sealed class WeComFlowTests_Postgres(WeComPostgresFactory factory) : WeComFlowTests(factory), IClassFixture<WeComPostgresFactory>;
