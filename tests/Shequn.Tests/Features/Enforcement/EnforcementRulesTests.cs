using Microsoft.Extensions.Options;
using Shequn.Features.Enforcement;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using EventKind = Shequn.Features.Events.MessageKind;

namespace Shequn.Tests.Features.Enforcement;

/// <summary>The pure parts of enforcement: the ladder, the windows, and what a message breaks.</summary>
public sealed class EnforcementRulesTests
{
    public const string Ad = "优惠代购 加微信 wxid_abc12345 电话 13812345678 http://buy.example.com";
    private static readonly ModerationEngine Engine = new();
    private static readonly DateTime T0 = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Ladder_TakesStepN_AndRepeatsTheLast()
    {
        var spec = new RuleSetSpec { Ladder = [new(LadderAction.Warn), new(LadderAction.Mute, 30), new(LadderAction.Blacklist)] };
        Assert.Equal(LadderAction.Warn, Ladder.StepFor(spec, 1).Action);
        Assert.Equal(LadderAction.Mute, Ladder.StepFor(spec, 2).Action);
        Assert.Equal(LadderAction.Blacklist, Ladder.StepFor(spec, 3).Action);
        Assert.Equal(LadderAction.Blacklist, Ladder.StepFor(spec, 9).Action);
        Assert.Equal(LadderAction.Delete, Ladder.StepFor(spec with { Ladder = [] }, 1).Action);
    }

    [Fact]
    public void Ladder_StepActions_WarnReplies_OthersDelete()
    {
        var now = new DateTimeOffset(T0);
        Assert.Equal([ActionKind.Reply], Kinds(Ladder.Actions(new(LadderAction.Warn), "m1", "u1", "w", now)));
        Assert.Equal([ActionKind.DeleteMessage, ActionKind.Send], Kinds(Ladder.Actions(new(LadderAction.Delete), "m1", "u1", "w", now)));
        var mute = Ladder.Actions(new(LadderAction.Mute, 30), "m1", "u1", "w", now);
        Assert.Equal([ActionKind.DeleteMessage, ActionKind.Restrict], Kinds(mute));
        Assert.Equal(now.AddMinutes(30), mute[1].Payload.Until);
        Assert.Equal("u1", mute[1].Payload.UserId);
        Assert.Equal([ActionKind.DeleteMessage, ActionKind.Remove], Kinds(Ladder.Actions(new(LadderAction.Remove), "m1", "u1", "w", now)));
        Assert.Equal([ActionKind.DeleteMessage, ActionKind.Ban], Kinds(Ladder.Actions(new(LadderAction.Blacklist), "m1", "u1", "w", now)));

        static ActionKind[] Kinds(IReadOnlyList<ReactionAction> actions) => [.. actions.Select(a => a.Kind)];
    }

    private static ActivityWindows Windows(int capacity = 1000) =>
        new(Options.Create(new EnforcementOptions { WindowHorizon = TimeSpan.FromMinutes(30), WindowCapacity = capacity }));

    [Fact]
    public void Windows_CountBySequenceAndTime_NotByArrival()
    {
        var w = Windows();
        var ws = Guid.NewGuid();
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var text = ActivityWindows.Fingerprint(Ad);
        for (var i = 1; i <= 5; i++)
            w.Observe(new WindowPost(i, T0.AddSeconds(i), ws, a, "u1", 0));
        Assert.Equal(5, w.SenderPosts(a, "u1", T0, T0.AddSeconds(10), 5));
        Assert.Equal(3, w.SenderPosts(a, "u1", T0, T0.AddSeconds(10), 3)); // only what came before in the log
        Assert.Equal(2, w.SenderPosts(a, "u1", T0.AddSeconds(4), T0.AddSeconds(10), 5));
        Assert.Equal(0, w.SenderPosts(b, "u1", T0, T0.AddSeconds(10), 5));

        w.Observe(new WindowPost(6, T0.AddMinutes(1), ws, a, "u2", text));
        w.Observe(new WindowPost(7, T0.AddMinutes(2), ws, b, "u2", text));
        w.Observe(new WindowPost(8, T0.AddMinutes(3), ws, b, "u3", text));
        Assert.Equal(2, w.Communities(ws, text, "u2", T0, T0.AddMinutes(5), 8));
        Assert.Equal(1, w.Communities(ws, text, "u3", T0, T0.AddMinutes(5), 8));
        Assert.Equal(2, w.Communities(ws, text, null, T0, T0.AddMinutes(5), 8));
        Assert.Equal(1, w.Communities(ws, text, "u2", T0.AddMinutes(1.5), T0.AddMinutes(5), 8));
        Assert.Equal(0, w.Communities(Guid.NewGuid(), text, null, T0, T0.AddMinutes(5), 8));
    }

    [Fact]
    public void Windows_RewindForgetsAnUncommittedBatch_AndObservingAgainGivesTheSameCounts()
    {
        var w = Windows();
        var ws = Guid.NewGuid();
        var c = Guid.NewGuid();
        for (var i = 1; i <= 4; i++)
            w.Observe(new WindowPost(i, T0.AddSeconds(i), ws, c, "u1", 0));
        w.Rewind(2);
        Assert.Equal(2, w.Through);
        Assert.Equal(2, w.SenderPosts(c, "u1", T0, T0.AddMinutes(1), long.MaxValue));
        for (var i = 3; i <= 4; i++)
            w.Observe(new WindowPost(i, T0.AddSeconds(i), ws, c, "u1", 0));
        w.Observe(new WindowPost(4, T0.AddSeconds(4), ws, c, "u1", 0)); // seen already: ignored
        Assert.Equal(4, w.SenderPosts(c, "u1", T0, T0.AddMinutes(1), long.MaxValue));
    }

    [Fact]
    public void Windows_AreBounded_ByHorizonAndCapacity()
    {
        var w = Windows(capacity: 3);
        var ws = Guid.NewGuid();
        var c = Guid.NewGuid();
        for (var i = 1; i <= 5; i++)
            w.Observe(new WindowPost(i, T0.AddSeconds(i), ws, c, "u1", 0));
        Assert.Equal(3, w.Count);
        w.Observe(new WindowPost(6, T0.AddHours(1), ws, c, "u1", 0));
        Assert.Equal(1, w.Count);
    }

    [Fact]
    public void Fingerprint_SameForNearSameTexts_ZeroForShortOnes()
    {
        Assert.Equal(ActivityWindows.Fingerprint("全场特价 加我微信领取优惠券 限时 3 天"), ActivityWindows.Fingerprint("全场特價！！加我 微信 领取优惠券~ 限时 5 天"));
        Assert.NotEqual(ActivityWindows.Fingerprint("全场特价 加我微信领取优惠券"), ActivityWindows.Fingerprint("今天的直播几点开始呢大家"));
        Assert.Equal(0UL, ActivityWindows.Fingerprint("谢谢老师"));
    }

    [Fact]
    public void Ad_Acts_UnderDefaults_ButNotInTheAdsTier()
    {
        var spec = new RuleSetSpec();
        var finding = MessageRules.Evaluate(spec, Engine, new MessageFacts(Ad, EventKind.Text));
        Assert.NotNull(finding);
        Assert.Equal(CaseDecision.Act, finding.Decision);
        Assert.Contains(finding.Rule, new[] { Rules.Ads, Rules.Solicitation });
        Assert.Contains(finding.Evidence, e => e.Source == "Pattern" && e.Rule == "WeChatId");
        var adsTier = MessageRules.Evaluate(spec, Engine, new MessageFacts(Ad, EventKind.Text, AdsTier: true));
        Assert.True(adsTier is null || adsTier.Rule is not (Rules.Ads or Rules.Solicitation));
        Assert.Null(MessageRules.Evaluate(spec with { Ads = RuleMode.Off, FriendSolicitation = RuleMode.Off, UnlistedLinks = RuleMode.Off }, Engine, new MessageFacts(Ad, EventKind.Text)));
    }

    [Fact]
    public void Flag_SendsToReview_InsteadOfActing()
    {
        var finding = MessageRules.Evaluate(new RuleSetSpec { Ads = RuleMode.Flag, FriendSolicitation = RuleMode.Flag }, Engine, new MessageFacts(Ad, EventKind.Text));
        Assert.Equal(CaseDecision.Review, finding!.Decision);
    }

    [Fact]
    public void OrdinaryText_IsIgnored_FloodAndCrossCommunityAct()
    {
        var spec = new RuleSetSpec();
        Assert.Null(MessageRules.Evaluate(spec, Engine, new MessageFacts("今天的直播几点开始？", EventKind.Text)));
        Assert.Null(MessageRules.Evaluate(spec, Engine, new MessageFacts("好的", EventKind.Text, FloodPosts: spec.FloodMessages)));
        var flood = MessageRules.Evaluate(spec, Engine, new MessageFacts("好的", EventKind.Text, FloodPosts: spec.FloodMessages + 1));
        Assert.Equal((CaseDecision.Act, Rules.Flood), (flood!.Decision, flood.Rule));
        var cross = MessageRules.Evaluate(spec, Engine, new MessageFacts("今天的直播几点开始呀大家", EventKind.Text, SenderCommunities: 2, AnyoneCommunities: 2));
        Assert.Equal((CaseDecision.Act, Rules.CrossCommunity), (cross!.Decision, cross.Rule));
        Assert.Null(MessageRules.Evaluate(spec with { CrossCommunityCount = 0 }, Engine, new MessageFacts("今天的直播几点开始呀大家", EventKind.Text, SenderCommunities: 2, AnyoneCommunities: 2)));
    }

    [Fact]
    public void MessageKinds_QrCodes_VoteAndUnlistedLinks()
    {
        var spec = new RuleSetSpec();
        var qr = MessageRules.Evaluate(spec, Engine, new MessageFacts("", null, ["https://u.wechat.com/EAbCdEfGh12"]));
        Assert.Equal((CaseDecision.Act, Rules.QrCode), (qr!.Decision, qr.Rule));
        Assert.Contains(qr.Evidence, e => e.Source == "Image" && e.Rule == "qr-contact" && e.Term == "https://u.wechat.com/EAbCdEfGh12");
        var qrLink = MessageRules.Evaluate(spec, Engine, new MessageFacts("", null, ["https://promo.example.com/x"]));
        Assert.Equal((CaseDecision.Review, Rules.QrCode), (qrLink!.Decision, qrLink.Rule));
        Assert.Null(MessageRules.Evaluate(spec with { AllowedDomains = ["example.com"] }, Engine, new MessageFacts("", null, ["https://promo.example.com/x"])));
        Assert.Null(MessageRules.Evaluate(spec, Engine, new MessageFacts("", null, ["会员卡号 3.14"])));

        var redPacket = MessageRules.Evaluate(spec, Engine, new MessageFacts("恭喜发财", EventKind.RedPacket, Outsider: true));
        Assert.Equal((CaseDecision.Act, Rules.RedPacket), (redPacket!.Decision, redPacket.Rule));
        Assert.Null(MessageRules.Evaluate(spec, Engine, new MessageFacts("恭喜发财", EventKind.RedPacket)));
        // Flagged cards are a newcomer's; a member of long standing shares cards freely unless the rule set enforces.
        var card = MessageRules.Evaluate(spec, Engine, new MessageFacts("[小程序] 健康优选商城", EventKind.MiniProgram, NewMember: true));
        Assert.Equal((CaseDecision.Review, Rules.MiniProgram), (card!.Decision, card.Rule));
        Assert.Null(MessageRules.Evaluate(spec, Engine, new MessageFacts("[小程序] 健康优选商城", EventKind.MiniProgram)));
        var enforced = MessageRules.Evaluate(spec with { MiniProgramCards = RuleMode.Enforce }, Engine, new MessageFacts("[小程序] 健康优选商城", EventKind.MiniProgram));
        Assert.Equal((CaseDecision.Act, Rules.MiniProgram), (enforced!.Decision, enforced.Rule));
        Assert.Null(MessageRules.Evaluate(spec with { MiniProgramCards = RuleMode.Off }, Engine, new MessageFacts("[小程序] 健康优选商城", EventKind.MiniProgram, NewMember: true)));

        var vote = MessageRules.Evaluate(spec, Engine, new MessageFacts("帮我砍一刀 https://kj.example.com/a", EventKind.Text));
        Assert.Equal((CaseDecision.Act, Rules.VoteLink), (vote!.Decision, vote.Rule));
        Assert.Contains(vote.Evidence, e => e.Rule == Rules.VoteLink && e.Term == "砍一刀");
        var link = MessageRules.Evaluate(spec, Engine, new MessageFacts("资料在这里 https://docs.example.org/a", EventKind.Text));
        Assert.Equal((CaseDecision.Review, Rules.UnlistedLink), (link!.Decision, link.Rule));
        Assert.Null(MessageRules.Evaluate(spec with { AllowedDomains = ["example.org"] }, Engine, new MessageFacts("资料在这里 https://docs.example.org/a", EventKind.Text)));
    }

    [Fact]
    public void NewMembers_AreHeldToStricterThresholds()
    {
        // A phone number alone (0.5) plus a link (0.3): 0.65, between review and act for old members.
        const string text = "有需要的联系 13812345678 https://shop.example.com";
        var spec = new RuleSetSpec { UnlistedLinks = RuleMode.Off, ActThreshold = 0.75 };
        Assert.Equal(CaseDecision.Review, MessageRules.Evaluate(spec, Engine, new MessageFacts(text, EventKind.Text))!.Decision);
        var strict = MessageRules.Evaluate(spec, Engine, new MessageFacts(text, EventKind.Text, NewMember: true));
        Assert.Equal(CaseDecision.Act, strict!.Decision);
        Assert.Contains(strict.Evidence, e => e.Rule == "new-member");
    }

    [Theory]
    [InlineData("城市-行业-昵称", "上海-母婴-小王", true)]
    [InlineData("城市-行业-昵称", "上海－母婴－小王", true)]
    [InlineData("城市-行业-昵称", "小王", false)]
    [InlineData("城市-行业-昵称", "上海--小王", false)]
    [InlineData("城市-行业-昵称", null, false)]
    [InlineData("昵称", "随便", true)]
    public void NicknameFormat_CountsParts(string format, string? nickname, bool matches) =>
        Assert.Equal(matches, NicknameFormat.Matches(format, nickname));

    [Fact]
    public void Evidence_IsStoredInTheSharedShape()
    {
        var json = CaseEvidence.Serialize([new CaseEvidence("Pattern", "WeChatId", "wxid_abc", 3, 8, 0.8)]);
        Assert.Equal("[{\"source\":\"Pattern\",\"rule\":\"WeChatId\",\"term\":\"wxid_abc\",\"start\":3,\"length\":8,\"weight\":0.8}]", json);
        var many = Enumerable.Range(0, 500).Select(i => new CaseEvidence("Pattern", "Url", new string('x', 40), i, 40, 0.3)).ToList();
        Assert.True(CaseEvidence.Serialize(many).Length <= ModerationCase.EvidenceMaxLength);
    }
}
