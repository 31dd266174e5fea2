using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public class BuiltInRulesTests
{
    private const string WeChatAd = "看片加微 sx111505";

    private static ModerationEngine EngineWith(params BuiltInRuleSetting[] settings) =>
        new(ModerationSnapshot.Empty with { Rules = new BuiltInRules(settings) });

    [Fact]
    public void Check_RuleSwitchedOff_AddsNeitherEvidenceNorWeight()
    {
        var on = new ModerationEngine().Check(WeChatAd);
        var off = EngineWith(new BuiltInRuleSetting(PatternKind.WeChatId, false, 0.8)).Check(WeChatAd);

        Assert.Contains(on.Evidence, e => e.Rule == nameof(PatternKind.WeChatId));
        Assert.DoesNotContain(off.Evidence, e => e.Rule == nameof(PatternKind.WeChatId));
        Assert.True(off.Score < on.Score, $"on {on.Score}, off {off.Score}");
    }

    [Fact]
    public void Check_RuleReweighted_ScoresWithTheNewWeight()
    {
        var engine = EngineWith(new BuiltInRuleSetting(PatternKind.QrCodeImage, true, 0.25));

        var result = engine.Check(new ModerationMessage("", MessageKind.QrCodeImage));

        Assert.Equal(0.25, result.Score, 9);
        Assert.Equal(0.25, Assert.Single(result.Evidence).Weight, 9);
    }

    [Fact]
    public void Check_MessageKindRuleSwitchedOff_IsAllowedWithoutEvidence()
    {
        var engine = EngineWith(new BuiltInRuleSetting(PatternKind.RedPacketFromOutsider, false, 0.9));

        var result = engine.Check(new ModerationMessage("", MessageKind.RedPacket, FromMember: false));

        Assert.Empty(result.Evidence);
        Assert.Equal(ModerationDecision.Allow, result.Decision);
    }

    [Fact]
    public void Write_ThenRead_KeepsOnlyChangesAndRoundTrips()
    {
        var rules = new BuiltInRules([
            new BuiltInRuleSetting(PatternKind.Url, false, BuiltInRules.DefaultWeight(PatternKind.Url)),
            new BuiltInRuleSetting(PatternKind.Phone, true, 0.1),
            new BuiltInRuleSetting(PatternKind.Email, true, BuiltInRules.DefaultWeight(PatternKind.Email)),
        ]);

        var copy = BuiltInRules.Read(rules.Write());

        Assert.Equal([PatternKind.Url, PatternKind.Phone], copy.Changes.Select(c => c.Rule));
        Assert.False(copy.IsEnabled(PatternKind.Url));
        Assert.Equal(0.1, copy.Weight(PatternKind.Phone));
        Assert.Equal(BuiltInRules.All.Count, copy.Settings.Count);
        Assert.DoesNotContain(PatternKind.Custom, BuiltInRules.All);
    }
}
