using Shequn.Connectors.Telegram;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Fakes.Telegram;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>
/// Staff actions on a Telegram community go through the outbox, the dispatcher and Telegram.Bot to the fake Bot API:
/// the fake receives exactly the right calls, and each failure lands in its category.
/// </summary>
public abstract class TelegramActionsTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ITelegramFactory
{
    private FakeTelegramServer Fake => factory.Fake;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long Num(JsonObject p, string name) => p.Number(name) ?? throw new InvalidOperationException($"no {name} in {p.ToJsonString()}");

    [Fact]
    public async Task EveryKind_TheFakeGetsTheRightCall_AndTheActionIsDoneWithIds()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        w.Member(501, "Alice");
        w.Member(502, "Bob");
        w.Member(503, "Carol");
        w.Member(504, "Dan", "kicked");
        var question = w.Said(501, "请问几点开始？");
        var spam = w.Said(502, "加我微信领红包");
        var old = Fake.InviteLinks["https://t.me/+oldlink"] = new FakeInviteLink(w.Chat.Id, "https://t.me/+oldlink", w.Bot.Id, "旧链接", null, null, false);
        Fake.AddJoinRequest(w.Chat, 601, "Eve");
        Fake.AddJoinRequest(w.Chat, 602, "Frank");
        var muteUntil = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds());
        var linkExpiry = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(7).ToUnixTimeSeconds());

        var send = await w.EnqueueAsync(new { kind = "send", text = "欢迎新朋友！" });
        var reply = await w.EnqueueAsync(new { kind = "reply", text = "晚上八点", messageId = question.Id.ToString(CultureInfo.InvariantCulture) });
        var delete = await w.EnqueueAsync(new { kind = "deleteMessage", messageId = spam.Id.ToString(CultureInfo.InvariantCulture) });
        var mute = await w.EnqueueAsync(new { kind = "restrict", userId = "503", until = muteUntil });
        var remove = await w.EnqueueAsync(new { kind = "remove", userId = "502" });
        var ban = await w.EnqueueAsync(new { kind = "ban", userId = "501" });
        var unban = await w.EnqueueAsync(new { kind = "unban", userId = "504" });
        var create = await w.EnqueueAsync(new { kind = "createInviteLink", name = "春季活动", memberLimit = 50, until = linkExpiry });
        var revoke = await w.EnqueueAsync(new { kind = "revokeInviteLink", inviteLink = old.Link });
        var approve = await w.EnqueueAsync(new { kind = "approveJoin", userId = "601" });
        var decline = await w.EnqueueAsync(new { kind = "declineJoin", userId = "602" });
        var massSend = await w.EnqueueAsync(new { kind = "massSend", text = "本周活动预告" });

        var all = new[] { send, reply, delete, mute, remove, ban, unban, create, revoke, approve, decline, massSend };
        var settled = new Dictionary<Guid, ActionDto>();
        foreach (var a in all)
            settled[a.Id] = await w.SettledAsync(a.Id);
        Assert.All(settled.Values, a => Assert.True(a.Status == ActionStatus.Done, $"{a.Kind}: {a.Status} {a.ErrorCategory} {a.Error}"));

        // Sends: one call each, the text as asked, the platform's message id returned.
        var sends = w.Calls(Fake, "sendMessage");
        Assert.Equal(3, sends.Count);
        var sent = sends.Single(c => c.Parameters.Text("text") == "欢迎新朋友！");
        Assert.Equal(w.Chat.Id, Num(sent.Parameters, "chat_id"));
        Assert.Null(sent.Parameters["reply_parameters"]);
        var replied = sends.Single(c => c.Parameters.Text("text") == "晚上八点");
        Assert.Equal(question.Id, Num((JsonObject)replied.Parameters["reply_parameters"]!, "message_id"));
        Assert.Single(sends, c => c.Parameters.Text("text") == "本周活动预告");
        var botMessages = w.Chat.Messages.Values.Where(m => m.FromId == w.Bot.Id).ToDictionary(m => m.Text!, m => m.Id.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(botMessages["欢迎新朋友！"], settled[send.Id].PlatformIds);
        Assert.Equal(botMessages["晚上八点"], settled[reply.Id].PlatformIds);

        // Deleting: the message is gone.
        Assert.Equal(spam.Id, Num(Assert.Single(w.Calls(Fake, "deleteMessage")).Parameters, "message_id"));
        Assert.False(w.Chat.Messages.ContainsKey(spam.Id));

        // Muting: no permissions, until the end time; Carol is restricted.
        var restrict = Assert.Single(w.Calls(Fake, "restrictChatMember")).Parameters;
        Assert.Equal((503L, muteUntil.ToUnixTimeSeconds()), (Num(restrict, "user_id"), Num(restrict, "until_date")));
        Assert.DoesNotContain(((JsonObject)restrict["permissions"]!), kv => kv.Value?.GetValueKind() == System.Text.Json.JsonValueKind.True);
        Assert.Equal(("restricted", muteUntil), (w.Chat.Members[503].Status, w.Chat.Members[503].Until));

        // Removing Bob: ban then unban only-if-banned, so he is out but may come back. Banning Alice: for good.
        var bans = w.Calls(Fake, "banChatMember");
        Assert.Equal([501L, 502L], bans.Select(c => Num(c.Parameters, "user_id")).Order());
        Assert.All(bans, c => Assert.Null(c.Parameters["until_date"]));
        var unbans = w.Calls(Fake, "unbanChatMember");
        Assert.Equal([502L, 504L], unbans.Select(c => Num(c.Parameters, "user_id")).Order());
        Assert.All(unbans, c => Assert.True(c.Parameters.Bool("only_if_banned")));
        Assert.Equal(("left", "kicked", "left"), (w.Chat.Members[502].Status, w.Chat.Members[501].Status, w.Chat.Members[504].Status));

        // Invite links: created with name, limit and expiry, its URL returned; the old one revoked.
        var created = Assert.Single(w.Calls(Fake, "createChatInviteLink")).Parameters;
        Assert.Equal(("春季活动", 50L, linkExpiry.ToUnixTimeSeconds()), (created.Text("name"), Num(created, "member_limit"), Num(created, "expire_date")));
        Assert.False(created.Bool("creates_join_request"));
        var link = Assert.Single(Fake.InviteLinks.Values, l => l.Name == "春季活动");
        Assert.Equal(link.Link, settled[create.Id].PlatformIds);
        Assert.True(old.IsRevoked);
        Assert.Equal(old.Link, settled[revoke.Id].PlatformIds);

        // Join requests: Eve is in, Frank's request is gone without him.
        Assert.Equal(601L, Num(Assert.Single(w.Calls(Fake, "approveChatJoinRequest")).Parameters, "user_id"));
        Assert.Equal(602L, Num(Assert.Single(w.Calls(Fake, "declineChatJoinRequest")).Parameters, "user_id"));
        Assert.Equal("member", w.Chat.Members[601].Status);
        Assert.False(w.Chat.Members.ContainsKey(602));
        Assert.DoesNotContain(Fake.JoinRequests.Keys, k => k.ChatId == w.Chat.Id);
    }

    [Fact]
    public async Task BotMessagesAndDeletions_ComeBackAsEvents_AndCountInTheFigures()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        w.Member(701, "Grace");
        var spam = w.Said(701, "广告");

        var send = await w.SettledAsync((await w.EnqueueAsync(new { kind = "send", text = "大家好" })).Id);
        await w.SettledAsync((await w.EnqueueAsync(new { kind = "deleteMessage", messageId = spam.Id.ToString(CultureInfo.InvariantCulture) })).Id);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var events = await w.EventsAsync(factory);
        var posted = Assert.Single(events, e => e.Kind == EventKind.MessagePosted);
        Assert.Equal((w.Bot.Id.ToString(CultureInfo.InvariantCulture), true, send.PlatformIds, "大家好", w.Community),
            (posted.UserId, posted.FromStaff, posted.MessageId, posted.Text, posted.CommunityId));
        var deleted = Assert.Single(events, e => e.Kind == EventKind.MessageDeleted);
        Assert.Equal((spam.Id.ToString(CultureInfo.InvariantCulture), w.Bot.Id.ToString(CultureInfo.InvariantCulture)), (deleted.MessageId, deleted.ActorId));

        var figures = await w.Ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{w.Community}/figures");
        Assert.Equal((1, 1), (figures.Days.Sum(d => d.StaffMessages), figures.Days.Sum(d => d.DeletedMessages)));
    }

    [Fact]
    public async Task InviteLink_WithMemberLimitAndJoinRequest_IsRefusedAtEnqueue_NamingTheField()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        var response = await w.Ws.Owner.Api.PostJsonAsync($"/api/communities/{w.Community}/actions", new { kind = "createInviteLink", memberLimit = 10, joinRequest = true });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("memberLimit", (await response.ReadValidationErrorsAsync()).Keys);

        // Without the limit, a join-request link is fine.
        var ok = await w.SettledAsync((await w.EnqueueAsync(new { kind = "createInviteLink", name = "需审批", joinRequest = true })).Id);
        Assert.Equal(ActionStatus.Done, ok.Status);
        var call = Assert.Single(w.Calls(Fake, "createChatInviteLink")).Parameters;
        Assert.True(call.Bool("creates_join_request"));
        Assert.Null(call["member_limit"]);
    }

    [Fact]
    public async Task TooManyRequests_IsObeyedWithRetryAfter_NothingDroppedNothingTwice()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        // Stricter than the dispatcher's own pacing (1 a second), so the fake answers 429 and the dispatcher must wait.
        Fake.Limits.PerChatBurst = 1;
        Fake.Limits.PerChatPerSecond = 0.5;
        try
        {
            var texts = Enumerable.Range(1, 4).Select(i => $"第{i}条").ToList();
            var queued = new List<ActionDto>();
            foreach (var t in texts)
                queued.Add(await w.EnqueueAsync(new { kind = "send", text = t }));
            var done = new List<ActionDto>();
            foreach (var a in queued)
                done.Add(await w.SettledAsync(a.Id));

            Assert.All(done, a => Assert.Equal((ActionStatus.Done, 1), (a.Status, a.Attempts))); // a 429 is not an attempt
            var calls = Fake.CallsOf("sendMessage").Where(c => c.Token == w.Bot.Token).ToList();
            Assert.Contains(calls, c => c.Status == 429);
            Assert.Equal(texts.Order(), calls.Where(c => c.Status == 200).Select(c => c.Parameters.Text("text")!).Order());
        }
        finally
        {
            Fake.Limits.PerChatBurst = new FakeTelegramLimits().PerChatBurst;
            Fake.Limits.PerChatPerSecond = new FakeTelegramLimits().PerChatPerSecond;
        }
    }

    [Fact]
    public async Task RevokedToken_FailsAsAuth_InTelegramsWords()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        w.Bot.Revoked = true;
        var a = await w.SettledAsync((await w.EnqueueAsync(new { kind = "send", text = "hello" })).Id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Auth), (a.Status, a.ErrorCategory));
        Assert.Contains("401", a.Error, StringComparison.Ordinal);
        Assert.Contains("Unauthorized", a.Error, StringComparison.Ordinal);

        // The connection shows the refusal at once, and later actions wait for a reconnected bot instead of calling.
        var bot = Assert.Single((await w.Ws.Owner.Api.GetJsonAsync<TelegramConnectionDto>("/api/telegram/bots")).Bots);
        Assert.Equal(TelegramBotStatus.Unauthorized, bot.Status);
        var calls = Fake.CallsOf("sendMessage").Count;
        var next = await w.SettledAsync((await w.EnqueueAsync(new { kind = "send", text = "again" })).Id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Auth), (next.Status, next.ErrorCategory));
        Assert.Contains("401", next.Error, StringComparison.Ordinal);
        Assert.Equal(calls, Fake.CallsOf("sendMessage").Count);
    }

    [Fact]
    public async Task BotWithoutRights_OrKickedOut_FailsAsConfiguration()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        w.Member(801, "Heidi");
        FakeTelegramServer.SeatBot(w.Bot, w.Chat, "member"); // not an administrator
        var ban = await w.SettledAsync((await w.EnqueueAsync(new { kind = "ban", userId = "801" })).Id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Configuration), (ban.Status, ban.ErrorCategory));
        Assert.Contains("not enough rights", ban.Error, StringComparison.Ordinal);

        FakeTelegramServer.SeatBot(w.Bot, w.Chat, "kicked");
        var send = await w.SettledAsync((await w.EnqueueAsync(new { kind = "send", text = "还在吗" })).Id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Configuration), (send.Status, send.ErrorCategory));
        Assert.Contains("403", send.Error, StringComparison.Ordinal);
        Assert.Equal("member", w.Chat.Members[801].Status);
    }

    [Fact]
    public async Task NoConnectedBot_FailsAsConfiguration_WithoutCallingTelegram()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.Set<Shequn.Connectors.Telegram.TelegramBot>().IgnoreQueryFilters().Where(b => b.WorkspaceId == w.Ws.Id).ExecuteDeleteAsync(Ct);
        }
        var a = await w.SettledAsync((await w.EnqueueAsync(new { kind = "send", text = "hi" })).Id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Configuration), (a.Status, a.ErrorCategory));
        Assert.DoesNotContain(Fake.Calls, c => c.Token == w.Bot.Token);
    }

    [Fact]
    public async Task BadRequest_FailsAsPermanent_InTelegramsWords()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        var a = await w.SettledAsync((await w.EnqueueAsync(new { kind = "reply", text = "回复", messageId = "999999" })).Id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Permanent, 1), (a.Status, a.ErrorCategory, a.Attempts));
        Assert.Contains("message to be replied not found", a.Error, StringComparison.Ordinal);

        // A basic group has no restrictions (supergroups only).
        var basic = await TelegramWorld.CreateAsync(factory, Fake, supergroup: false);
        basic.Member(901, "Ivan");
        var mute = await basic.SettledAsync((await basic.EnqueueAsync(new { kind = "restrict", userId = "901" })).Id);
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Permanent), (mute.Status, mute.ErrorCategory));
        Assert.Contains("supergroups", mute.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GroupUpgradedToSupergroup_TheCallGoesToTheNewId_AndTheCommunityFollows()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake, supergroup: false);
        var oldId = w.Chat.Id;
        var newId = -1_009_000_000_000 + oldId;
        Fake.UpgradeChat(oldId, newId);

        var a = await w.SettledAsync((await w.EnqueueAsync(new { kind = "send", text = "升级后" })).Id);
        Assert.Equal(ActionStatus.Done, a.Status);
        var calls = Fake.CallsOf("sendMessage").Where(c => c.Token == w.Bot.Token).ToList();
        Assert.Equal([(oldId, 400), (newId, 200)], calls.Select(c => (Num(c.Parameters, "chat_id"), c.Status)));

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var chat = await db.Set<PlatformChat>().IgnoreQueryFilters().SingleAsync(c => c.CommunityId == w.Community, Ct);
        Assert.Equal(newId.ToString(CultureInfo.InvariantCulture), chat.ChatId);
    }

    [Fact]
    public async Task TelegramDown_ActionsWaitAndThenGo_NoneLostNoneTwice()
    {
        // Two groups (so each send is paced by its own chat only) and a ban.
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        var other = await TelegramWorld.CreateAsync(factory, Fake);
        w.Member(1001, "Judy");
        Fake.Down = true;
        List<(TelegramWorld World, ActionDto Action)> queued;
        try
        {
            queued = [
                (w, await w.EnqueueAsync(new { kind = "send", text = "停机期间 1" })),
                (other, await other.EnqueueAsync(new { kind = "send", text = "停机期间 2" })),
                (w, await w.EnqueueAsync(new { kind = "ban", userId = "1001" })),
            ];
            // Down for the whole outage: the actions are tried, fail transiently, and wait.
            await Task.Delay(TimeSpan.FromSeconds(TelegramWorld.OutageSeconds), Ct);
            foreach (var (world, a) in queued)
            {
                var now = await world.Ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{a.Id}");
                var state = $"{now.Kind}: {now.Status}, {now.Attempts} attempts, {now.ErrorCategory} {now.Error}";
                Assert.True(now.Status is ActionStatus.Queued or ActionStatus.Sending, state);
                Assert.True(now.ErrorCategory == ErrorCategory.Transient && now.Attempts >= 2, state);
            }
        }
        finally
        {
            Fake.Down = false;
        }
        foreach (var (world, a) in queued)
            Assert.Equal(ActionStatus.Done, (await world.SettledAsync(a.Id, TimeSpan.FromSeconds(TelegramWorld.OutageSeconds * 4 + 30))).Status);
        Assert.Equal(["停机期间 1"], w.Calls(Fake, "sendMessage").Select(c => c.Parameters.Text("text")));
        Assert.Equal(["停机期间 2"], other.Calls(Fake, "sendMessage").Select(c => c.Parameters.Text("text")));
        Assert.Equal("kicked", w.Chat.Members[1001].Status);
    }
}

public sealed class TelegramActionsTests_Sqlite(TelegramSqliteFactory factory) : TelegramActionsTests<TelegramSqliteFactory>(factory), IClassFixture<TelegramSqliteFactory>;

public sealed class TelegramActionsTests_Postgres(TelegramPostgresFactory factory) : TelegramActionsTests<TelegramPostgresFactory>(factory), IClassFixture<TelegramPostgresFactory>;
