using Shequn.Features.Campaigns;

namespace Shequn.Tests.Features.Campaigns;

/// <summary><see cref="Streaks"/>: streaks reset on a missed day, make-up cards fill gaps within their rules, milestones
/// come once, and runs of approved days reward each full block.</summary>
public sealed class StreaksTests
{
    private static readonly int[] Milestones = [7, 21, 100];

    private static DateOnly D(string iso) => DateOnly.ParseExact(iso, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<DateOnly> Range(string first, int count) => Enumerable.Range(0, count).Select(i => D(first).AddDays(i));

    [Fact]
    public void Compute_UnbrokenRunToToday_IsCurrentAndLongest()
    {
        var summary = Streaks.Compute(Range("2026-03-01", 10), [], D("2026-03-10"), Milestones);

        Assert.Equal(10, summary.Current);
        Assert.Equal(10, summary.Longest);
        Assert.Equal([new StreakMilestone(7, D("2026-03-07"))], summary.Milestones);
    }

    [Fact]
    public void Compute_TodayNotYetCheckedIn_StreakEndingYesterdayStillCounts()
    {
        var summary = Streaks.Compute(Range("2026-03-01", 5), [], D("2026-03-06"), Milestones);

        Assert.Equal(5, summary.Current);
    }

    [Fact]
    public void Compute_MissedDay_ResetsCurrent_KeepsLongest()
    {
        // 1–8 March, miss the 9th, 10–12 March
        var days = Range("2026-03-01", 8).Concat(Range("2026-03-10", 3));

        var summary = Streaks.Compute(days, [], D("2026-03-12"), Milestones);

        Assert.Equal(3, summary.Current);
        Assert.Equal(8, summary.Longest);
    }

    [Fact]
    public void Compute_LastCheckInTwoDaysAgo_CurrentIsZero()
    {
        var summary = Streaks.Compute(Range("2026-03-01", 5), [], D("2026-03-07"), Milestones);

        Assert.Equal(0, summary.Current);
        Assert.Equal(5, summary.Longest);
    }

    [Fact]
    public void Compute_MakeUpFillsTheGap_JoinsTheRuns()
    {
        var days = Range("2026-03-01", 8).Concat(Range("2026-03-10", 3));

        var summary = Streaks.Compute(days, [D("2026-03-09")], D("2026-03-12"), Milestones);

        Assert.Equal(12, summary.Current);
        Assert.Equal(12, summary.Longest);
    }

    [Fact]
    public void Compute_MilestoneReachedTwice_ReportedOnceOnTheFirstDay()
    {
        // 7 days, a gap, 7 more days, then 21 in a row
        var days = Range("2026-01-01", 7).Concat(Range("2026-01-10", 7)).Concat(Range("2026-02-01", 21));

        var summary = Streaks.Compute(days, [], D("2026-02-21"), Milestones);

        Assert.Equal([new StreakMilestone(7, D("2026-01-07")), new StreakMilestone(21, D("2026-02-21"))], summary.Milestones);
    }

    [Fact]
    public void Compute_AcrossMonthAndYearEnd_IsOneRun()
    {
        // 26 December 2027 to 4 January 2028 (a leap year), and 25 February to 2 March 2028 over 29 February
        var summary = Streaks.Compute(Range("2027-12-26", 10), [], D("2028-01-04"), Milestones);
        var leap = Streaks.Compute(Range("2028-02-25", 7), [], D("2028-03-02"), Milestones);

        Assert.Equal(10, summary.Current);
        Assert.Equal([new StreakMilestone(7, D("2028-01-01"))], summary.Milestones);
        Assert.Equal(7, leap.Current);
        Assert.Equal([new StreakMilestone(7, D("2028-03-02"))], leap.Milestones);
    }

    [Fact]
    public void Compute_FutureDaysAndDuplicates_AreIgnored()
    {
        var days = Range("2026-03-01", 3).Concat(Range("2026-03-01", 3)).Append(D("2026-03-05"));

        var summary = Streaks.Compute(days, [D("2026-03-03")], D("2026-03-03"), Milestones);

        Assert.Equal(3, summary.Current);
        Assert.Equal(3, summary.Longest);
    }

    [Fact]
    public void Compute_HundredDays_ReachesAllMilestonesInOrder()
    {
        var summary = Streaks.Compute(Range("2026-01-01", 100), [], D("2026-04-10"), Milestones);

        Assert.Equal([7, 21, 100], summary.Milestones.Select(m => m.Days));
        Assert.Equal(D("2026-04-10"), summary.Milestones[2].ReachedOn);
    }

    private static readonly MakeUpRules Rules = new(WindowDays: 3, PerPeriod: 1, MakeUpPeriod.Month);

    [Fact]
    public void ValidateMakeUp_MissedDayInWindow_IsAllowed()
    {
        Assert.Null(Streaks.ValidateMakeUp(D("2026-03-09"), D("2026-03-12"), Range("2026-03-01", 8), [], Rules));
    }

    [Theory]
    [InlineData("2026-03-13", "day:")] // future
    [InlineData("2026-03-12", "day:")] // today
    [InlineData("2026-03-08", "day:")] // four days ago, outside the window
    [InlineData("2026-03-05", "day:")] // checked in, and outside the window
    public void ValidateMakeUp_DayNotFillable_IsRefused(string day, string field)
    {
        var reason = Streaks.ValidateMakeUp(D(day), D("2026-03-12"), Range("2026-03-01", 5), [], Rules);

        Assert.NotNull(reason);
        Assert.StartsWith(field, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateMakeUp_DayAlreadyCheckedInOrMadeUp_IsRefused()
    {
        var rules = new MakeUpRules(7, 5, MakeUpPeriod.Month);

        Assert.Contains("checked in", Streaks.ValidateMakeUp(D("2026-03-10"), D("2026-03-12"), [D("2026-03-10")], [], rules), StringComparison.Ordinal);
        Assert.Contains("made up", Streaks.ValidateMakeUp(D("2026-03-10"), D("2026-03-12"), [], [D("2026-03-10")], rules), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateMakeUp_PeriodLimitReached_NamesMakeUps_NextMonthIsFree()
    {
        var rules = new MakeUpRules(WindowDays: 10, PerPeriod: 1, MakeUpPeriod.Month);

        var reason = Streaks.ValidateMakeUp(D("2026-03-30"), D("2026-04-03"), [], [D("2026-03-28")], rules);

        Assert.NotNull(reason);
        Assert.StartsWith("makeUps:", reason, StringComparison.Ordinal);
        Assert.Null(Streaks.ValidateMakeUp(D("2026-04-01"), D("2026-04-03"), [], [D("2026-03-28")], rules));
    }

    [Fact]
    public void ValidateMakeUp_WeekPeriod_StartsOnMonday()
    {
        var rules = new MakeUpRules(WindowDays: 10, PerPeriod: 1, MakeUpPeriod.Week);
        // 2026-03-08 is a Sunday and 2026-03-09 a Monday
        Assert.NotNull(Streaks.ValidateMakeUp(D("2026-03-02"), D("2026-03-10"), [], [D("2026-03-08")], rules));
        Assert.Null(Streaks.ValidateMakeUp(D("2026-03-09"), D("2026-03-10"), [], [D("2026-03-08")], rules));
    }

    [Fact]
    public void ValidateMakeUp_ZeroPerPeriod_RefusesEveryCard()
    {
        Assert.StartsWith("makeUps:", Streaks.ValidateMakeUp(D("2026-03-11"), D("2026-03-12"), [], [], new MakeUpRules(3, 0, MakeUpPeriod.Week)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1, "windowDays:")]
    [InlineData(400, 1, "windowDays:")]
    [InlineData(3, -1, "perPeriod:")]
    public void Validate_BadRules_NamesTheField(int window, int perPeriod, string field)
    {
        Assert.StartsWith(field, Streaks.Validate(new MakeUpRules(window, perPeriod, MakeUpPeriod.Month)), StringComparison.Ordinal);
    }

    [Fact]
    public void RunEndingAt_CountsBackToTheGap()
    {
        var days = Range("2026-03-01", 3).Concat(Range("2026-03-05", 4)).ToList();

        Assert.Equal(4, Streaks.RunEndingAt(days, D("2026-03-08")));
        Assert.Equal(2, Streaks.RunEndingAt(days, D("2026-03-02")));
        Assert.Equal(0, Streaks.RunEndingAt(days, D("2026-03-04")));
    }

    [Fact]
    public void CompletesBlock_SevenDaysInARow_RewardsDay7AndDay14_NotDay8()
    {
        var days = Range("2026-12-25", 15).ToList(); // across the year end

        Assert.False(Streaks.CompletesBlock(days, D("2026-12-30"), 7));
        Assert.True(Streaks.CompletesBlock(days, D("2026-12-31"), 7));
        Assert.False(Streaks.CompletesBlock(days, D("2027-01-01"), 7));
        Assert.True(Streaks.CompletesBlock(days, D("2027-01-07"), 7));
        Assert.False(Streaks.CompletesBlock(days, D("2027-01-08"), 7));
        Assert.Equal([D("2026-12-31"), D("2027-01-07")], Streaks.BlockDays(days, 7));
    }

    [Fact]
    public void BlockDays_RunBrokenAtSix_StartsCountingAgain()
    {
        var days = Range("2026-05-01", 6).Concat(Range("2026-05-08", 7));

        Assert.Equal([D("2026-05-14")], Streaks.BlockDays(days, 7));
    }
}
