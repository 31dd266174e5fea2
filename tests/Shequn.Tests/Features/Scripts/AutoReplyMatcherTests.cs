using Shequn.Features.Scripts;
using Shequn.Features.Workspaces;

namespace Shequn.Tests.Features.Scripts;

/// <summary>Matching and quiet hours without a database.</summary>
public sealed class AutoReplyMatcherTests
{
    private static AutoReplyRule Rule(MatchMode mode, params string[] keywords) =>
        new() { Name = "r", Mode = mode, Keywords = string.Join('\n', keywords), ReplyText = "ok", UpdatedAt = DateTime.UtcNow.AddTicks(Random.Shared.Next()) };

    [Fact]
    public void Modes_MatchAsDocumented()
    {
        Assert.True(AutoReplyMatcher.Matches(Rule(MatchMode.Exact, "Price"), "  price "));
        Assert.False(AutoReplyMatcher.Matches(Rule(MatchMode.Exact, "价格"), "价格多少"));
        Assert.True(AutoReplyMatcher.Matches(Rule(MatchMode.Contains, "发货"), "什么时候发货？"));
        Assert.False(AutoReplyMatcher.Matches(Rule(MatchMode.Contains, "发货"), "谢谢"));
        Assert.True(AutoReplyMatcher.Matches(Rule(MatchMode.Regex, @"退(款|钱)"), "我要退钱"));
        Assert.False(AutoReplyMatcher.Matches(Rule(MatchMode.Regex, @"^退款$"), "不退款"));
    }

    [Fact]
    public void Scope_LimitsTheRuleToItsCommunities_AndTheFirstRuleWins()
    {
        var here = Guid.NewGuid();
        var elsewhere = Rule(MatchMode.Contains, "发货");
        elsewhere.AllCommunities = false;
        elsewhere.CommunityIds = Guid.NewGuid().ToString();
        var general = Rule(MatchMode.Contains, "发");
        Assert.Same(general, AutoReplyMatcher.First([elsewhere, general], "发货了吗", here));
        elsewhere.CommunityIds = here.ToString();
        elsewhere.UpdatedAt = elsewhere.UpdatedAt.AddSeconds(1);
        Assert.Same(elsewhere, AutoReplyMatcher.First([elsewhere, general], "发货了吗", here));
    }

    [Fact]
    public void QuietHours_AcrossMidnight_EndNextMorningInTheWorkspaceZone()
    {
        var zone = WorkspaceZones.Find("Asia/Shanghai")!;
        var rule = Rule(MatchMode.Contains, "x");
        rule.QuietFromMinute = 22 * 60;
        rule.QuietToMinute = 8 * 60;
        // 23:30 in Shanghai is 15:30 UTC: held until 08:00 Shanghai, 00:00 UTC the next day.
        Assert.Equal(new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc), AutoReplyReaction.QuietUntil(rule, new DateTime(2026, 12, 3, 15, 30, 0, DateTimeKind.Utc), zone));
        // 07:59 Shanghai (23:59 UTC the day before): the same morning.
        Assert.Equal(new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc), AutoReplyReaction.QuietUntil(rule, new DateTime(2026, 12, 3, 23, 59, 0, DateTimeKind.Utc), zone));
        // 12:00 Shanghai: not quiet.
        Assert.Null(AutoReplyReaction.QuietUntil(rule, new DateTime(2026, 12, 3, 4, 0, 0, DateTimeKind.Utc), zone));
        rule.QuietFromMinute = rule.QuietToMinute = null;
        Assert.Null(AutoReplyReaction.QuietUntil(rule, new DateTime(2026, 12, 3, 15, 30, 0, DateTimeKind.Utc), zone));
    }
}
