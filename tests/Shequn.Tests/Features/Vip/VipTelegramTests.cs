using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Tags;
using Shequn.Features.Tasks;
using Shequn.Features.Vip;
using Shequn.Fakes.Telegram;
using Shequn.Platform.Api;
using Shequn.Tests.Connectors.Telegram;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Vip;

/// <summary>
/// A VIP invitation on Telegram goes to the member by private message: one outbound action makes a one-person link in
/// the VIP group and sends it through the fake Bot API. A member who never started a chat with the bot (Telegram's 403
/// "bot can't initiate conversation with a user") is not retried: the action becomes a staff task carrying the link.
/// </summary>
public abstract class VipTelegramTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ITelegramFactory
{
    private FakeTelegramServer Fake => factory.Fake;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static long _nextChat = Random.Shared.NextInt64(10_000_000, 90_000_000);

    /// <summary>A Telegram VIP group next to the world's general one, and two paying members of 40 days with Telegram accounts.</summary>
    private async Task<(TelegramWorld W, Guid Vip, FakeChat VipChat, Dictionary<string, (Guid Id, long UserId)> Members)> WorldAsync()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        var vip = (await (await w.Ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("VIP会员群", "telegram", tier: "vipPaying")))
            .ReadAsync<CommunityDto>()).Id;
        var chatId = -1_000_000_000_000 - Interlocked.Increment(ref _nextChat);
        var vipChat = Fake.AddChat(chatId, "VIP会员群", "supergroup");
        FakeTelegramServer.SeatBot(w.Bot, vipChat);
        var paid = (await (await w.Ws.Owner.Api.PostJsonAsync("/api/tags", new { name = "已购客户" })).ReadAsync<TagDto>()).Id;
        var members = new Dictionary<string, (Guid, long)>();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(w.Ws.Id);
            db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = w.Ws.Id, Platform = ChatPlatform.Telegram, ChatId = chatId.ToString(CultureInfo.InvariantCulture), CommunityId = vip });
            foreach (var (name, userId) in new[] { ("阿开", 7001L), ("阿关", 7002L) })
            {
                var member = new Member { WorkspaceId = w.Ws.Id, DisplayName = name };
                db.Members.Add(member);
                db.Set<MemberIdentity>().Add(new MemberIdentity { WorkspaceId = w.Ws.Id, Platform = ChatPlatform.Telegram, UserId = userId.ToString(CultureInfo.InvariantCulture), MemberId = member.Id });
                db.Memberships.Add(new Membership { WorkspaceId = w.Ws.Id, CommunityId = w.Community, MemberId = member.Id, JoinedAt = DateTime.UtcNow.AddDays(-40) });
                db.MemberTags.Add(new MemberTag { MemberId = member.Id, TagId = paid });
                members[name] = (member.Id, userId);
            }
            await db.SaveChangesWithoutAuditAsync(Ct);
        }
        Assert.Equal(HttpStatusCode.OK, (await w.Ws.Owner.Api.PutJsonAsync("/api/vip/rules", new { payingTagId = paid, answersMin = 5, answersDays = 30, tenureDays = 30 })).StatusCode);
        return (w, vip, vipChat, members);
    }

    private static async Task<VipInvitationDto> InviteAsync(TelegramWorld w, Guid member, Guid vip)
    {
        var response = await w.Ws.Owner.Api.PostJsonAsync($"/api/vip/candidates/{member}/invite", new { communityId = vip });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAsync<VipInvitationDto>();
    }

    [Fact]
    public async Task Invite_OnTelegram_SendsTheMemberAOnePersonLinkByPrivateMessage()
    {
        var (w, vip, vipChat, members) = await WorldAsync();
        var (member, userId) = members["阿开"];
        Fake.PrivateChats[(w.Bot.Id, userId)] = true; // 阿开 pressed Start in a chat with the bot

        var invitation = await InviteAsync(w, member, vip);
        var action = await w.SettledAsync(invitation.ActionId!.Value);

        Assert.Equal((ActionStatus.Done, ActionKind.SendInvite, 1), (action.Status, action.Kind, action.Payload.MemberLimit));
        var link = Assert.Single(Fake.InviteLinks.Values, l => l.ChatId == vipChat.Id);
        Assert.Equal(link.Link, action.PlatformIds);
        var (_, to, text) = Assert.Single(Fake.PrivateMessages, m => m.BotId == w.Bot.Id);
        Assert.Equal(userId, to);
        Assert.Contains(link.Link, text, StringComparison.Ordinal);
        Assert.Contains("VIP会员群", text, StringComparison.Ordinal);
        Assert.DoesNotContain((await w.Ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?pageSize=200")).Items, t => t.ActionId == action.Id);
    }

    [Fact]
    public async Task Invite_InAWorkspaceSpeakingEnglishToMembers_IsWordedInEnglish()
    {
        var (w, vip, _, members) = await WorldAsync();
        var (member, userId) = members["阿开"];
        Fake.PrivateChats[(w.Bot.Id, userId)] = true;
        Assert.Equal(HttpStatusCode.OK, (await w.Ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "en" })).StatusCode);

        var action = await w.SettledAsync((await InviteAsync(w, member, vip)).ActionId!.Value);

        Assert.Equal(ActionStatus.Done, action.Status);
        var (_, _, text) = Assert.Single(Fake.PrivateMessages, m => m.BotId == w.Bot.Id);
        Assert.StartsWith("Hello 阿开! You are invited to join 「VIP会员群」.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("你好", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_ToAMemberWhoNeverStartedTheBot_FailsOnceAsPermanent_AndBecomesAStaffTaskWithTheLink()
    {
        var (w, vip, vipChat, members) = await WorldAsync();
        var (member, userId) = members["阿关"];

        var invitation = await InviteAsync(w, member, vip);
        var action = await w.SettledAsync(invitation.ActionId!.Value);

        // Telegram's 403, once: not retried, not a configuration problem of the workspace.
        Assert.Equal((ActionStatus.Task, ErrorCategory.Permanent, 1), (action.Status, action.ErrorCategory, action.Attempts));
        Assert.Contains("bot can't initiate conversation with a user", action.Error, StringComparison.Ordinal);
        Assert.Single(Fake.CallsOf("sendMessage"), c => c.Token == w.Bot.Token && c.Parameters.Number("chat_id") == userId && c.Status == 403);
        Assert.DoesNotContain(Fake.PrivateMessages, m => m.UserId == userId);
        // Staff get a task ready to paste: the invitation words with the link that was made, and whom to send it to.
        var link = Assert.Single(Fake.InviteLinks.Values, l => l.ChatId == vipChat.Id);
        Assert.Equal(link.Link, action.Payload.InviteLink);
        var task = Assert.Single((await w.Ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?pageSize=200")).Items, t => t.ActionId == action.Id);
        Assert.Contains(link.Link, task.Text, StringComparison.Ordinal);
        Assert.Contains("阿关", task.Context ?? "", StringComparison.Ordinal);
        // And the VIP list shows the invitation with its action.
        var listed = Assert.Single(await w.Ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates"), c => c.MemberId == member);
        Assert.Equal(action.Id, listed.Invitation?.ActionId);
    }
}

public sealed class VipTelegramTests_Sqlite(TelegramSqliteFactory factory) : VipTelegramTests<TelegramSqliteFactory>(factory), IClassFixture<TelegramSqliteFactory>;

public sealed class VipTelegramTests_Postgres(TelegramPostgresFactory factory) : VipTelegramTests<TelegramPostgresFactory>(factory), IClassFixture<TelegramPostgresFactory>;
