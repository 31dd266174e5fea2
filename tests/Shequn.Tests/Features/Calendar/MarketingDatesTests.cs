using System.Globalization;
using Shequn.Features.Calendar;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Calendar;

/// <summary>The marketing calendar's computed dates against the published ones.</summary>
public sealed class MarketingDatesTests
{
    private static DateOnly Day(IReadOnlyList<MarketingDate> dates, string key) => Assert.Single(dates, d => d.Key == key).Day;

    private static DateOnly Parse(string day) => DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    // Published dates (State Council holiday notices and almanacs), 2025–2030.
    [Theory]
    [InlineData(2025, "2025-01-29", "2025-04-04", "2025-05-31", "2025-10-06")]
    [InlineData(2026, "2026-02-17", "2026-04-05", "2026-06-19", "2026-09-25")]
    [InlineData(2027, "2027-02-06", "2027-04-05", "2027-06-09", "2027-09-15")]
    [InlineData(2028, "2028-01-26", "2028-04-04", "2028-05-28", "2028-10-03")]
    [InlineData(2029, "2029-02-13", "2029-04-04", "2029-06-16", "2029-09-22")]
    [InlineData(2030, "2030-02-03", "2030-04-05", "2030-06-05", "2030-09-12")]
    public void TheLunarHolidaysAndQingMing_FallOnThePublishedDays(int year, string springFestival, string qingMing, string dragonBoat, string midAutumn)
    {
        var dates = MarketingDates.For(year);
        Assert.Equal(Parse(springFestival), Day(dates, "SpringFestival"));
        Assert.Equal(Parse(qingMing), Day(dates, "QingMing"));
        Assert.Equal(Parse(dragonBoat), Day(dates, "DragonBoat"));
        Assert.Equal(Parse(midAutumn), Day(dates, "MidAutumn"));
    }

    [Fact]
    public void AYearWithALeapMonth_CountsTheMonthsAfterIt()
    {
        // 2025 has a leap sixth month: 七夕 (7/7) and 中秋 (8/15) come a month later than the month index suggests.
        var dates = MarketingDates.For(2025);
        Assert.Equal(new DateOnly(2025, 8, 29), Day(dates, "Qixi"));
        Assert.Equal(new DateOnly(2025, 2, 12), Day(dates, "LanternFestival"));
        Assert.Equal(new DateOnly(2025, 10, 29), Day(dates, "DoubleNinth"));
    }

    [Fact]
    public void TheYear_IsInDateOrder_WithTheFixedDaysAndTheNewYearGoodsFestivalsThatTouchIt()
    {
        var dates = MarketingDates.For(2026);
        Assert.Equal(dates.OrderBy(d => d.Day), dates);
        Assert.Equal(new DateOnly(2026, 11, 11), Day(dates, "Singles11"));
        Assert.Equal(new DateOnly(2026, 10, 1), Day(dates, "NationalDay"));
        // This year's 年货节 ends a week before 春节 (17 February); next year's (春节 6 February 2027) starts in January 2027.
        var goods = Assert.Single(dates, d => d.Key == "NewYearGoods");
        Assert.Equal((new DateOnly(2026, 1, 18), new DateOnly(2026, 2, 10)), (goods.Day, goods.Until!.Value));
        Assert.Equal(2, MarketingDates.For(2027).Count(d => d.Key == "NewYearGoods")); // 2028's starts on 27 December 2027
    }

    [Fact]
    public void AYearTheCalendarCannotCompute_IsRefusedWithTheRange()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => MarketingDates.For(2100));
        Assert.Contains("2099", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(MarketingDates.For(MarketingDates.MinYear));
        Assert.NotEmpty(MarketingDates.For(MarketingDates.MaxYear));
    }
}

/// <summary>The marketing calendar through the API.</summary>
public sealed class CalendarApiTests(SqliteFactory factory) : IClassFixture<SqliteFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AYearsDates_AreNamed_AndAYearOutOfRangeIsRefusedNamingTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var dates = await ws.Owner.Api.GetJsonAsync<List<MarketingDateDto>>("/api/calendar/dates?year=2026");
        var spring = Assert.Single(dates, d => d.Key == "SpringFestival");
        Assert.Equal((new DateOnly(2026, 2, 17), MarketingDateKind.PublicHoliday), (spring.Day, spring.Kind));
        Assert.Equal("春节", spring.Name);
        Assert.All(dates, d => Assert.False(d.Name.StartsWith("Calendar.", StringComparison.Ordinal), d.Key));

        var errors = await (await ws.Owner.Api.GetAsync(new Uri("/api/calendar/dates?year=2100", UriKind.Relative), Ct)).ReadValidationErrorsAsync();
        Assert.Contains("2099", Assert.Single(errors["year"]), StringComparison.Ordinal);
    }
}
