using System.Globalization;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

namespace Shequn.Tests.Features.Events;

public sealed class DailyTrendTests
{
    private static readonly DateOnly Today = new(2026, 12, 2);

    private static List<DayFigures> Days(params int[] messages) => [.. messages.Select((m, i) =>
    {
        var day = Today.AddDays(i - messages.Length + 1);
        return new DayFigures(day, NewMembers: m % 3, Leaves: m % 2, NetGrowth: 0, Messages: m, MemberMessages: m, StaffMessages: 0,
            ActiveMembers: m / 4, Members: 500, ActivityRate: 0, Complete: day < Today);
    })];

    [Fact]
    public void From_TodayInTheFigures_LeftOutOfTheTrendAndKeptApart()
    {
        var trend = DailyTrend.From(Days(180, 175, 190, 3), 30);

        Assert.Equal([180, 175, 190], trend.Days.Select(d => d.Messages));
        Assert.Equal(Today, trend.Today!.Day);
        Assert.Equal(3, trend.Labels(CultureInfo.InvariantCulture).Length);
    }

    [Fact]
    public void From_MoreCompleteDaysThanWanted_KeepsTheLatest()
    {
        var trend = DailyTrend.From(Days(1, 2, 3, 4, 5), 3);

        Assert.Equal([2, 3, 4], trend.Days.Select(d => d.Messages));
    }

    [Fact]
    public void LineOptions_CountsFarFromZero_AxisStillStartsAtZero()
    {
        var trend = DailyTrend.From(Days(160, 175, 200, 181, 9), 30);

        var options = trend.LineOptions("day", "count", d => d.Messages);

        Assert.True(options.YAxisRequireZeroPoint);
        Assert.Equal(50, options.YAxisTicks);
        Assert.Equal(200, options.YAxisSuggestedMax);
        Assert.Equal(("day", "count"), (options.XAxisTitle, options.YAxisTitle));
    }

    [Fact]
    public void BarOptions_JoinsOfOneOrTwo_TicksEveryOne()
    {
        var trend = DailyTrend.From(Days(1, 2, 4, 5, 0), 30);

        var options = trend.BarOptions("day", "people", d => d.NewMembers, d => d.Leaves);

        Assert.Equal(1, options.YAxisTicks);
        Assert.Equal(2, options.YAxisSuggestedMax);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 1)]
    [InlineData(6, 1)]
    [InlineData(7, 2)]
    [InlineData(20, 5)]
    [InlineData(200, 50)]
    [InlineData(1234, 500)]
    public void TickStep_MaximumValue_AtMostSixRoundSteps(double max, int step)
    {
        Assert.Equal(step, DailyTrend.TickStep(max));
        Assert.True(Math.Ceiling(max / step) <= DailyTrend.MaxTicks);
    }

    [Fact]
    public void DayOf_Shanghai_DayTurnsAtSixteenUtc()
    {
        var zone = WorkspaceZones.Default;

        Assert.Equal(new DateOnly(2026, 12, 1), DailyFigures.DayOf(new DateTime(2026, 12, 1, 15, 59, 59, DateTimeKind.Utc), zone));
        Assert.Equal(new DateOnly(2026, 12, 2), DailyFigures.DayOf(new DateTime(2026, 12, 1, 16, 0, 0, DateTimeKind.Utc), zone));
        Assert.Equal(new DateTime(2026, 12, 1, 16, 0, 0, DateTimeKind.Utc), DailyFigures.StartOf(new DateOnly(2026, 12, 2), zone));
    }

    [Fact]
    public void StartOf_DaylightSavingStarts_DayIs23HoursLong()
    {
        var zone = WorkspaceZones.Find("America/New_York")!;
        var day = new DateOnly(2026, 3, 8);

        var start = DailyFigures.StartOf(day, zone);
        var next = DailyFigures.StartOf(day.AddDays(1), zone);

        Assert.Equal(new DateTime(2026, 3, 8, 5, 0, 0, DateTimeKind.Utc), start);
        Assert.Equal(TimeSpan.FromHours(23), next - start);
        Assert.Equal(day, DailyFigures.DayOf(next.AddTicks(-1), zone));
    }
}
