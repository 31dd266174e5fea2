using Shequn.Features.Enforcement;
using Shequn.Features.Moderation;
using Shequn.Platform.Api;

namespace Shequn.Tests.Features.Enforcement;

public sealed class RuleSetSpecValidationTests
{
    private static readonly (double Review, double Act) Workspace = (0.5, 0.8);

    private static Validation Check(RuleSetSpec spec, out RuleSetSpec clean)
    {
        var validation = new Validation();
        clean = RuleSetSpecValidation.Check(validation, spec, Workspace);
        return validation;
    }

    [Fact]
    public void Check_EveryTemplateAndAnEmptySpec_AreValid()
    {
        foreach (var spec in RuleSetTemplates.All.Select(t => t.Spec).Append(new RuleSetSpec()))
            Assert.Empty(Check(spec, out _).Errors);
    }

    [Fact]
    public void Check_DomainsAndTexts_AreCleaned()
    {
        var spec = new RuleSetSpec { AllowedDomains = ["  Shop.Example.COM ", "shop.example.com", ""], WarningText = "   ", AnnouncementText = " {name} 已移出 " };

        Assert.Empty(Check(spec, out var clean).Errors);

        Assert.Equal(["shop.example.com"], clean.AllowedDomains);
        Assert.Null(clean.WarningText);
        Assert.Equal("{name} 已移出", clean.AnnouncementText);
    }

    [Theory]
    [InlineData(0.9, null, "spec.reviewThreshold")]   // above the workspace's act threshold 0.8
    [InlineData(null, 0.3, "spec.actThreshold")]      // below the workspace's review threshold 0.5
    [InlineData(0.7, 0.6, "spec.actThreshold")]
    public void Check_ThresholdsOutOfOrder_CountingTheWorkspacesForAnEmptyOne(double? review, double? act, string field)
    {
        var errors = Check(new RuleSetSpec { ReviewThreshold = review, ActThreshold = act }, out _).Errors;
        Assert.Contains("must not be below", Assert.Single(errors[field]), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LadderAfterBlacklistOrGoingDown_IsRefusedAtTheStep()
    {
        var spec = new RuleSetSpec { Ladder = [new(LadderAction.Mute, 120), new(LadderAction.Mute, 60), new(LadderAction.Blacklist), new(LadderAction.Blacklist)] };

        var errors = Check(spec, out _).Errors;

        Assert.Contains("milder", Assert.Single(errors["spec.ladder[1].action"]), StringComparison.Ordinal);
        Assert.Contains("never be reached", Assert.Single(errors["spec.ladder[3].action"]), StringComparison.Ordinal);
        Assert.False(errors.ContainsKey("spec.ladder[2].action"));
        Assert.True(Check(new RuleSetSpec { Ladder = [] }, out _).Errors.ContainsKey("spec.ladder"));
    }

    [Fact]
    public void Check_RuleOnWithoutItsSetting_NamesTheSetting()
    {
        var errors = Check(new RuleSetSpec { Nickname = RuleMode.Enforce, MembershipLimit = RuleMode.Flag, MaxCommunitiesPerMember = 0 }, out _).Errors;

        Assert.True(errors.ContainsKey("spec.nicknameFormat"));
        Assert.True(errors.ContainsKey("spec.maxCommunitiesPerMember"));
    }

    [Fact]
    public void Check_ManyPatterns_RefusedLikeTheWorkspaces()
    {
        var patterns = Enumerable.Range(0, ModerationSettings.MaxCustomPatterns + 1).Select(i => new CustomPatternSpec($"p{i}", $"x{i}y", 0.5)).ToList();
        var errors = Check(new RuleSetSpec { CustomPatterns = patterns }, out _).Errors;
        Assert.Contains("at most", Assert.Single(errors["spec.customPatterns"]), StringComparison.Ordinal);

        errors = Check(new RuleSetSpec { CustomPatterns = [new("a", "加v\\d+", 0.5), new("a", "wx\\d+", 0.5), new("look", "(?=x)x", 0.5)] }, out _).Errors;
        Assert.Contains("Two patterns", Assert.Single(errors["spec.customPatterns[1]"]), StringComparison.Ordinal);
        Assert.Contains("linear time", Assert.Single(errors["spec.customPatterns[2]"]), StringComparison.Ordinal);
    }
}

public sealed class NicknameFormatTests
{
    [Theory]
    [InlineData("城市-行业-昵称", 3)]
    [InlineData("城市－需求产品－昵称", 3)]
    [InlineData("城市_昵称", 2)]
    public void TryParse_UsableFormat_HasItsParts(string format, int parts)
    {
        Assert.True(NicknameFormat.TryParse(format, out var parsed, out var error), error?.English);
        Assert.Equal(parts, parsed!.Parts.Count);
    }

    [Theory]
    [InlineData("城市行业昵称", "NoSeparator")]
    [InlineData("城市-行业_昵称", "MixedSeparators")]
    [InlineData("城市--昵称", "EmptyPart")]
    [InlineData("a-b-c-d-e-f", "PartCount")]
    [InlineData("城市-[行业]-昵称", "PartCharacters")]
    [InlineData("   ", "Empty")]
    public void TryParse_UnusableFormat_SaysWhy(string format, string code)
    {
        Assert.False(NicknameFormat.TryParse(format, out _, out var error));
        Assert.Equal($"RuleSets.Nickname.{code}", error!.Key);
    }

    [Theory]
    [InlineData("西安-电商-小王", true)]
    [InlineData("西安—电商—小王", true)]      // a phone's long dash
    [InlineData("西安-电商-小-王", true)]     // the name may hold the separator
    [InlineData("西安-小王", false)]
    [InlineData("西安--小王", false)]
    [InlineData("小王", false)]
    public void Matches_ANickname_WhenItHasEveryPart(string nickname, bool matches)
    {
        Assert.True(NicknameFormat.TryParse("城市-行业-昵称", out var format, out _));
        Assert.Equal(matches, format!.Matches(nickname));
    }
}
