using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Review;
using Shequn.Fakes.Telegram;
using Shequn.Tests.Connectors.Telegram;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Review;

/// <summary>Undo on Telegram goes through the outbox to the fake Bot API: a removed member is unbanned and gets a new link, a muted one may post again.</summary>
public abstract class ReviewTelegramUndoTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ITelegramFactory
{
    private FakeTelegramServer Fake => factory.Fake;

    [Fact]
    public async Task Undo_RemovalAndMute_UnbanWithANewLink_AndLiftTheRestriction()
    {
        var w = await TelegramWorld.CreateAsync(factory, Fake);
        var removed = w.Member(701, "Removed", "kicked");
        var muted = w.Member(702, "Muted", "restricted");
        var removal = await CaseSeed.AddAsync(factory, w.Ws, CaseSeed.Case(w.Ws, w.Community, CaseDecision.Act, 0.97, text: "代理加盟 加V", action: LadderAction.Remove, userId: "701", platform: ChatPlatform.Telegram));
        var mute = await CaseSeed.AddAsync(factory, w.Ws, CaseSeed.Case(w.Ws, w.Community, CaseDecision.Act, 0.93, text: "刷屏了刷屏了", rule: "flood", action: LadderAction.Mute, userId: "702", platform: ChatPlatform.Telegram));

        var undoRemoval = await (await w.Ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{removal.Id}/undo", new { note = "是老会员" })).ReadAsync<CaseDto>();
        var undoMute = await (await w.Ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{mute.Id}/undo", new { note = "误判" })).ReadAsync<CaseDto>();
        foreach (var a in undoRemoval.Actions.Concat(undoMute.Actions))
        {
            var settled = await w.SettledAsync(a.Id);
            Assert.True(settled.Status == ActionStatus.Done, $"{settled.Kind}: {settled.Status} {settled.Error}");
        }

        var unban = Assert.Single(w.Calls(Fake, "unbanChatMember")).Parameters;
        Assert.Equal(701, unban.Number("user_id"));
        Assert.Equal("left", removed.Status);
        var link = Assert.Single(w.Calls(Fake, "createChatInviteLink")).Parameters;
        Assert.Equal(1, link.Number("member_limit"));
        var lift = Assert.Single(w.Calls(Fake, "restrictChatMember")).Parameters;
        Assert.Equal(702, lift.Number("user_id"));
        Assert.Equal("member", muted.Status);
        var linkAction = await w.SettledAsync(undoRemoval.Actions.Single(a => a.Kind == ActionKind.CreateInviteLink).Id);
        Assert.StartsWith("https://t.me/", linkAction.PlatformIds, StringComparison.Ordinal);
        // The ad's undo is a "not spam" label; the flood's is not: "刷屏了" repeated says nothing about spam text.
        Assert.Equal(new LabelCounts(1, 0), await w.Ws.Owner.Api.GetJsonAsync<LabelCounts>("/api/moderation/labels"));
    }
}

public sealed class ReviewTelegramUndoTests_Sqlite(TelegramSqliteFactory factory) : ReviewTelegramUndoTests<TelegramSqliteFactory>(factory), IClassFixture<TelegramSqliteFactory>;

public sealed class ReviewTelegramUndoTests_Postgres(TelegramPostgresFactory factory) : ReviewTelegramUndoTests<TelegramPostgresFactory>(factory), IClassFixture<TelegramPostgresFactory>;
