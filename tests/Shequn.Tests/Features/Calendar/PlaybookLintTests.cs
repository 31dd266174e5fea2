using Shequn.Features.Calendar;
using Shequn.Features.Communities;

namespace Shequn.Tests.Features.Calendar;

/// <summary>Each playbook rule with a plan that breaks it and one that keeps it.</summary>
public sealed class PlaybookLintTests
{
    private static readonly Guid Group = Guid.NewGuid();
    private static readonly DateOnly Monday = new(2026, 12, 7);
    private static readonly PlaybookSettings Settings = PlaybookSettings.Defaults(Guid.NewGuid());

    private static LintItem At(int day, int hour, ContentType type = ContentType.Knowledge, ChatPlatform platform = ChatPlatform.Sandbox, int minute = 0) =>
        new(Guid.NewGuid(), $"post {day}-{hour}", Group, platform, Monday.AddDays(day).ToDateTime(new TimeOnly(hour, minute)), type);

    private static List<LintFinding> Check(params LintItem[] items) => PlaybookLint.Check(items, Settings, Monday, Monday.AddDays(13));

    private static IEnumerable<LintRule> Rules(params LintItem[] items) => Check(items).Select(f => f.Rule);

    [Fact]
    public void PromotionInTheDaytime_IsFlagged_InTheEveningNot()
    {
        var noon = At(0, 12, ContentType.ProductOfTheDay);
        var finding = Assert.Single(Check(noon, At(0, 20, ContentType.Campaign)));
        Assert.Equal(LintRule.PromotionInDaytime, finding.Rule);
        Assert.Equal([noon.PostId], finding.PostIds);
        Assert.Equal(Monday, finding.Day);
        Assert.Contains("12:00", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InteractiveAtNight_IsFlagged_InTheDaytimeNot()
    {
        Assert.Equal([LintRule.InteractiveAtNight], Rules(At(0, 23, ContentType.Game)));
        Assert.Equal([LintRule.InteractiveAtNight], Rules(At(0, 6, ContentType.Topic)));
        Assert.Empty(Rules(At(0, 15, ContentType.Game), At(1, 10, ContentType.Topic)));
    }

    [Fact]
    public void CommercialContentOnSevenDaysInARow_IsFlaggedOnce_SixDaysNot()
    {
        var week = Enumerable.Range(0, 7).Select(d => At(d, 20, ContentType.Seeding)).ToArray();
        var finding = Assert.Single(Check(week), f => f.Rule == LintRule.CommercialEveryDay);
        Assert.Equal(7, finding.PostIds.Count);
        Assert.Equal(Monday, finding.Day);
        var withABreak = week.Take(6).Append(At(6, 20, ContentType.Knowledge)).ToArray();
        Assert.DoesNotContain(LintRule.CommercialEveryDay, Rules(withABreak));
    }

    [Fact]
    public void LongSilence_IsFlagged_ShortGapsNot()
    {
        var finding = Assert.Single(Check(At(0, 20), At(5, 20)), f => f.Rule == LintRule.LongSilence);
        Assert.Equal(Monday.AddDays(1), finding.Day);
        Assert.Equal(["4", "2026-12-07", "3"], finding.Args);
        Assert.DoesNotContain(LintRule.LongSilence, Rules(At(0, 20), At(4, 20)));
    }

    [Fact]
    public void TooManyPostsInADay_IsFlagged_TheLimitNot()
    {
        Assert.Contains(LintRule.TooManyPosts, Rules(At(0, 9), At(0, 11), At(0, 14), At(0, 19)));
        Assert.DoesNotContain(LintRule.TooManyPosts, Rules(At(0, 9), At(0, 14), At(0, 19)));
    }

    [Fact]
    public void SecondWeComPostOnADay_IsFlagged_ElsewhereNot()
    {
        var finding = Assert.Single(Check(At(0, 10, platform: ChatPlatform.WeCom), At(0, 20, platform: ChatPlatform.WeCom)), f => f.Rule == LintRule.WeComSecondMassSend);
        Assert.Equal(2, finding.PostIds.Count);
        Assert.DoesNotContain(LintRule.WeComSecondMassSend, Rules(At(0, 10, platform: ChatPlatform.Telegram), At(0, 20, platform: ChatPlatform.Telegram)));
        Assert.DoesNotContain(LintRule.WeComSecondMassSend, Rules(At(0, 10, platform: ChatPlatform.WeCom), At(1, 10, platform: ChatPlatform.WeCom)));
    }

    [Fact]
    public void NoFixedSlot_IsFlagged_ASteadySlotNot()
    {
        Assert.Contains(LintRule.NoFixedSlot, Rules(At(0, 9), At(1, 13), At(2, 17), At(3, 11)));
        // 20:00 on three of four days (one at 20:15: the same half hour) is a fixed slot.
        Assert.DoesNotContain(LintRule.NoFixedSlot, Rules(At(0, 20), At(1, 20, minute: 15), At(2, 9), At(3, 20)));
        Assert.DoesNotContain(LintRule.NoFixedSlot, Rules(At(0, 9), At(1, 13))); // too few days to judge
    }

    [Fact]
    public void FindingsOutsideTheRange_AreLeftOut_AndCommunitiesAreJudgedApart()
    {
        var other = Guid.NewGuid();
        var before = At(-3, 12, ContentType.ProductOfTheDay);
        var mine = At(0, 20, ContentType.ProductOfTheDay);
        var theirs = mine with { PostId = Guid.NewGuid(), CommunityId = other, Local = Monday.ToDateTime(new TimeOnly(21, 0)) };
        Assert.DoesNotContain(Check(before, mine, theirs), f => f.Rule != LintRule.NoFixedSlot);
    }
}
