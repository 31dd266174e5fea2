using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shequn.Connectors.WeCom;
using Shequn.Fakes.WeCom;
using Shequn.Features.Outbox;

namespace Shequn.Tests.Connectors.WeCom;

/// <summary>The REST client against the fake WeCom, and the fake's own rules (platforms.md A3, Part E).</summary>
public sealed class WeComApiTests : IAsyncLifetime
{
    private const string AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
    private FakeWeComServer _fake = null!;
    private WeComApi _api = null!;
    private FakeWeComCorp _corp = null!;
    private WeComCredentials _cred = null!;
    private ServiceProvider _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeWeComServer.StartAsync();
        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        _api = new WeComApi(_services.GetRequiredService<IHttpClientFactory>(), Options.Create(new WeComOptions { ApiBaseUrl = _fake.BaseUrl }), TimeProvider.System);
        _corp = _fake.AddCorp("wwapitest", "s3cret-value", "tok", AesKey);
        _cred = new WeComCredentials(_corp.CorpId, _corp.Secret);
    }

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Token_CachedUntilExpiry_SameTokenFromWeComWithinItsValidity()
    {
        var first = await _api.TokenAsync(_cred, Ct);
        var again = await _api.TokenAsync(_cred, Ct);
        var fresh = await _api.TokenAsync(_cred, Ct, fresh: true);

        Assert.Equal(first, again);
        Assert.Equal(first, fresh); // WeCom hands out the same token while it is valid
        Assert.Equal(2, _fake.CallsOf("gettoken").Count);
    }

    [Theory]
    [InlineData(45009, ErrorCategory.RateLimited)]
    [InlineData(40001, ErrorCategory.Auth)]
    [InlineData(60011, ErrorCategory.Configuration)]
    [InlineData(84061, ErrorCategory.Permanent)]
    [InlineData(-1, ErrorCategory.Transient)]
    [InlineData(99999, ErrorCategory.Transient)]
    public async Task ErrCode_AnsweredWithHttp200_BecomesItsCategory(int code, ErrorCategory category)
    {
        _fake.InjectError("externalcontact/groupchat/list", code, "injected");
        var e = await Assert.ThrowsAsync<WeComApiException>(() => _api.ListGroupChatsAsync(_cred, null, 10, Ct));
        Assert.Equal((code, category), (e.ErrCode, e.Category));
        Assert.Equal(category, e.ToConnectorException().Category);
    }

    [Fact]
    public async Task InvalidToken40014_RefreshedOnce_ThenTheErrorStands()
    {
        await _api.TokenAsync(_cred, Ct);
        _fake.InjectError("externalcontact/groupchat/list", 40014, "invalid access_token");
        Assert.Empty((await _api.ListGroupChatsAsync(_cred, null, 10, Ct)).GroupChatList);

        _fake.InjectError("externalcontact/groupchat/list", 40014, "invalid access_token");
        _fake.InjectError("externalcontact/groupchat/list", 40014, "invalid access_token");
        var e = await Assert.ThrowsAsync<WeComApiException>(() => _api.ListGroupChatsAsync(_cred, null, 10, Ct));
        Assert.Equal(ErrorCategory.Auth, e.Category);
    }

    [Fact]
    public async Task JoinWay_LimitsEnforced_CreatedReadUpdatedDeleted()
    {
        for (var i = 0; i < 6; i++)
            _fake.Chats[$"wrJ{i}"] = new FakeGroupChat(_corp.CorpId, $"wrJ{i}", $"群{i}", "owner", 1_700_000_000);
        string[] five = ["wrJ0", "wrJ1", "wrJ2", "wrJ3", "wrJ4"];

        var six = await Assert.ThrowsAsync<WeComApiException>(() => _api.AddJoinWayAsync(_cred, new WeComJoinWay(2, null, 1, null, null, [.. five, "wrJ5"], null), Ct));
        Assert.Equal(ErrorCategory.Permanent, six.Category);
        await Assert.ThrowsAsync<WeComApiException>(() => _api.AddJoinWayAsync(_cred, new WeComJoinWay(2, new string('r', 31), 1, null, null, five, null), Ct));
        await Assert.ThrowsAsync<WeComApiException>(() => _api.AddJoinWayAsync(_cred, new WeComJoinWay(2, null, 1, null, null, five, new string('s', 31)), Ct));
        await Assert.ThrowsAsync<WeComApiException>(() => _api.AddJoinWayAsync(_cred, new WeComJoinWay(2, null, 1, new string('n', 41), 1, five, null), Ct));

        var id = await _api.AddJoinWayAsync(_cred, new WeComJoinWay(2, "春季活码", 1, "客服群", 10, five, "spring"), Ct);
        var read = await _api.GetJoinWayAsync(_cred, id, Ct);
        Assert.Equal((id, "spring", 5), (read.ConfigId, read.State, read.ChatIdList.Count));
        Assert.StartsWith("https://", read.QrCode, StringComparison.Ordinal);

        await _api.UpdateJoinWayAsync(_cred, id, new WeComJoinWay(2, "夏季活码", 0, null, null, ["wrJ5"], "summer"), Ct);
        Assert.Equal(("summer", "wrJ5"), ((await _api.GetJoinWayAsync(_cred, id, Ct)).State, (await _api.GetJoinWayAsync(_cred, id, Ct)).ChatIdList.Single()));
        await _api.DeleteJoinWayAsync(_cred, id, Ct);
        await Assert.ThrowsAsync<WeComApiException>(() => _api.GetJoinWayAsync(_cred, id, Ct));
    }

    [Fact]
    public async Task ApiMadeChanges_PushNoCallbacks_AndThereIsNoRemovalEndpoint()
    {
        _fake.Chats["wrQ"] = new FakeGroupChat(_corp.CorpId, "wrQ", "群", "owner", 1_700_000_000);
        await _api.AddJoinWayAsync(_cred, new WeComJoinWay(2, null, 1, null, null, ["wrQ"], null), Ct);
        await _api.AddGroupMsgTemplateAsync(_cred, "owner", ["wrQ"], "hi", Ct);
        Assert.Empty(_fake.Deliveries);

        var e = await Assert.ThrowsAsync<WeComApiException>(() => _api.CallAsync(_cred, "externalcontact/groupchat/del_member", new { chat_id = "wrQ" }, Ct));
        Assert.NotEqual(0, e.ErrCode);
    }

    /// <summary>Answers with the given statuses in turn, then 200.</summary>
    private sealed class Flaky(params HttpStatusCode[] statuses) : HttpMessageHandler
    {
        private int _calls;
        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _calls);
            return Task.FromResult(new HttpResponseMessage(n <= statuses.Length ? statuses[n - 1] : HttpStatusCode.OK));
        }
    }

    [Fact]
    public async Task CallbackPusher_RetriesUpToThreeTimes_WhileTheAppDoesNotAnswer200()
    {
        _corp.CallbackUrl = new Uri("http://app.invalid/wecom/callback/x");
        var chat = await _fake.CreateChatAsync(_corp, "wrP", "群", "owner", push: false);

        using (var flaky = new Flaky(HttpStatusCode.InternalServerError, HttpStatusCode.Found))
        {
            _fake.CallbackClient = new HttpClient(flaky);
            var delivered = await _fake.AddMembersAsync(_corp, chat.ChatId, [new FakeGroupMember("wmR", 2, 1_700_000_001)]);
            Assert.Equal((true, 3, 3), (delivered!.Delivered, delivered.Attempts, flaky.Calls));
        }
        using (var down = new Flaky(Enumerable.Repeat(HttpStatusCode.ServiceUnavailable, 10).ToArray()))
        {
            _fake.CallbackClient = new HttpClient(down);
            var lost = await _fake.RemoveMembersAsync(_corp, chat.ChatId, ["wmR"]);
            Assert.Equal((false, 4, 503), (lost!.Delivered, lost.Attempts, lost.Status));
        }
    }

    [Fact]
    public void FakeCrypto_AndShequnsCrypto_ReadEachOther()
    {
        var shequn = new WeComCrypto("tok", AesKey, "wwapitest");
        Assert.Equal("<xml>你好</xml>", shequn.Decrypt(FakeWeComCrypto.Encrypt(AesKey, "wwapitest", "<xml>你好</xml>")));
        Assert.Equal("<xml>回</xml>", FakeWeComCrypto.Decrypt(AesKey, shequn.Encrypt("<xml>回</xml>")));
        Assert.Equal(WeComCrypto.Signature("tok", "1", "2", "abc"), FakeWeComCrypto.Sign("tok", "1", "2", "abc"));
    }
}
