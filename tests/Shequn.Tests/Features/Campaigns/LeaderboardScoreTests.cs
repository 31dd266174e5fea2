using Shequn.Features.Campaigns;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>The leaderboard's scoring engine on fixtures: points per action, check-ins once a day, invitees once, the daily cap, and the tie order.</summary>
public sealed class LeaderboardScoreTests
{
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid C1 = Guid.Parse("00000000-0000-0000-0000-0000000000c1");
    private static readonly Guid C2 = Guid.Parse("00000000-0000-0000-0000-0000000000c2");
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    // 2026-03-02 12:00 in Shanghai is 04:00 UTC.
    private static DateTime At(int day, int hour = 12) => new DateTime(2026, 3, day, hour, 0, 0, DateTimeKind.Utc).AddHours(-8);

    [Fact]
    public void Compute_PointsPerAction_CheckInOnceADay_InviteeOnce()
    {
        var scoring = new LeaderboardScoring { MessagePoints = 1, PhotoPoints = 3, InvitePoints = 10, CheckInPoints = 5, CheckInKeyword = "打卡" };
        var invitee = Guid.NewGuid();
        var events = new[]
        {
            new ScoreEvent(1, A, C1, At(2, 9), ScoreSource.Message, "早上好 打卡"),   // 1 + 5
            new ScoreEvent(2, A, C1, At(2, 10), ScoreSource.Message, "再打卡"),       // 1 (check-in counted today)
            new ScoreEvent(3, A, C2, At(2, 11), ScoreSource.Photo),                  // 3
            new ScoreEvent(4, A, C1, At(3, 9), ScoreSource.Message, "打卡"),         // 1 + 5 (a new day)
            new ScoreEvent(5, B, C2, At(2, 9), ScoreSource.Invite, Invitee: invitee), // 10
            new ScoreEvent(6, A, C2, At(2, 9), ScoreSource.Invite, Invitee: invitee), // 0: invited already
            new ScoreEvent(7, B, C2, At(2, 9), ScoreSource.Invite, Invitee: B),       // 0: a self-invite
        };
        var scores = LeaderboardScore.Compute(events, scoring, Shanghai).ToDictionary(s => s.MemberId);
        Assert.Equal(16, scores[A].Points);
        Assert.Equal(13, scores[A].ByCommunity[C1]);
        Assert.Equal(3, scores[A].ByCommunity[C2]);
        Assert.Equal(10, scores[B].Points);
        Assert.Equal(At(3, 9), scores[A].ReachedAt);
    }

    [Fact]
    public void Compute_DailyCap_CutsTheDayNotTheNext_InTheWorkspacesCalendar()
    {
        var scoring = new LeaderboardScoring { MessagePoints = 2, DailyCap = 5 };
        // 23:30 and 00:30 Shanghai time are two days although the same UTC day.
        var events = Enumerable.Range(0, 4).Select(i => new ScoreEvent(i, A, C1, At(2, 20).AddMinutes(i), ScoreSource.Message))
            .Append(new ScoreEvent(10, A, C1, At(2, 23).AddMinutes(30), ScoreSource.Message))
            .Append(new ScoreEvent(11, A, C1, At(3, 0).AddMinutes(30), ScoreSource.Message));
        var score = Assert.Single(LeaderboardScore.Compute(events, scoring, Shanghai));
        // Day one: 2+2+1 (capped), then nothing; day two: 2.
        Assert.Equal(7, score.Points);
    }

    [Fact]
    public void Order_TiesGoToWhoeverReachedTheScoreFirst_ThenName()
    {
        var rows = new[] { ("乙", 10L, At(2, 12)), ("甲", 10L, At(2, 12)), ("丙", 10L, At(2, 9)), ("丁", 20L, At(2, 23)) };
        var ordered = LeaderboardScore.Order(rows, r => r.Item2, r => r.Item3, r => r.Item1, r => Guid.Empty);
        // 乙 (U+4E59) sorts before 甲 (U+7532) ordinally.
        Assert.Equal(["丁", "丙", "乙", "甲"], ordered.Select(r => r.Item1));
    }
}
