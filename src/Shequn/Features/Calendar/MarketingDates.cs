using System.Globalization;

namespace Shequn.Features.Calendar;

/// <summary>What kind of date a marketing date is.</summary>
public enum MarketingDateKind
{
    /// <summary>A statutory public holiday (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆).</summary>
    PublicHoliday,

    /// <summary>A traditional festival that is not a day off (元宵, 七夕, 重阳).</summary>
    Festival,

    /// <summary>A shopping festival of the e-commerce platforms (38, 618, 99, 双11, 双12, 年货节).</summary>
    Shopping,
}

/// <summary>
/// One date of the annual marketing calendar: its key (stable, for texts and suggested themes), kind and day; a
/// shopping festival that runs for days (年货节) has an end.
/// </summary>
public sealed record MarketingDate(string Key, MarketingDateKind Kind, DateOnly Day, DateOnly? Until = null);

/// <summary>
/// The dates a Chinese brand plans its year around, computed for any year the lunisolar calendar covers (1902–2099):
/// the lunar festivals from <see cref="ChineseLunisolarCalendar"/>, 清明 from the sun's position (the solar term at
/// apparent ecliptic longitude 15°, dated in China's time), the fixed holidays and the platforms' shopping days.
/// Statutory days off and their swapped working days are set by the State Council each year and are not computed here:
/// the calendar marks the holiday itself.
/// </summary>
public static class MarketingDates
{
    private static readonly ChineseLunisolarCalendar Lunar = new();
    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    public static int MinYear => Lunar.MinSupportedDateTime.Year + 1;

    public static int MaxYear => Lunar.MaxSupportedDateTime.Year - 2;

    /// <summary>Every marketing date of a Gregorian year, in date order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside <see cref="MinYear"/>–<see cref="MaxYear"/>.</exception>
    public static IReadOnlyList<MarketingDate> For(int year)
    {
        if (year < MinYear || year > MaxYear)
            throw new ArgumentOutOfRangeException(nameof(year), year, $"Years from {MinYear} to {MaxYear} can be computed.");
        var springFestival = LunarDay(year, 1, 1);
        var nextSpringFestival = LunarDay(year + 1, 1, 1);
        var dates = new List<MarketingDate>
        {
            new("NewYear", MarketingDateKind.PublicHoliday, new DateOnly(year, 1, 1)),
            new("SpringFestival", MarketingDateKind.PublicHoliday, springFestival),
            new("LanternFestival", MarketingDateKind.Festival, LunarDay(year, 1, 15)),
            new("WomensDay", MarketingDateKind.Shopping, new DateOnly(year, 3, 8)),
            new("QingMing", MarketingDateKind.PublicHoliday, QingMing(year)),
            new("LabourDay", MarketingDateKind.PublicHoliday, new DateOnly(year, 5, 1)),
            new("DragonBoat", MarketingDateKind.PublicHoliday, LunarDay(year, 5, 5)),
            new("Shopping618", MarketingDateKind.Shopping, new DateOnly(year, 6, 18)),
            new("Qixi", MarketingDateKind.Festival, LunarDay(year, 7, 7)),
            new("Shopping99", MarketingDateKind.Shopping, new DateOnly(year, 9, 9)),
            new("MidAutumn", MarketingDateKind.PublicHoliday, LunarDay(year, 8, 15)),
            new("NationalDay", MarketingDateKind.PublicHoliday, new DateOnly(year, 10, 1)),
            new("DoubleNinth", MarketingDateKind.Festival, LunarDay(year, 9, 9)),
            new("Singles11", MarketingDateKind.Shopping, new DateOnly(year, 11, 11)),
            new("Double12", MarketingDateKind.Shopping, new DateOnly(year, 12, 12)),
        };
        // 年货节 (New Year goods): the platforms run it in the weeks before 春节, ending a few days before it, when
        // deliveries stop. Both this year's (before this year's 春节) and next year's, when it starts in this year.
        foreach (var festival in new[] { springFestival, nextSpringFestival })
        {
            var (from, until) = (festival.AddDays(-30), festival.AddDays(-7));
            if (from.Year == year || until.Year == year)
                dates.Add(new("NewYearGoods", MarketingDateKind.Shopping, from, until));
        }
        return [.. dates.OrderBy(d => d.Day).ThenBy(d => d.Key, StringComparer.Ordinal)];
    }

    /// <summary>The Gregorian day of a day of a (non-leap) lunar month in the lunar year that begins in <paramref name="year"/>.</summary>
    public static DateOnly LunarDay(int year, int month, int day)
    {
        // In a year with a leap month, the months after it are numbered one higher (the leap month takes its place).
        var leap = Lunar.GetLeapMonth(year);
        var index = leap > 0 && month >= leap ? month + 1 : month;
        return DateOnly.FromDateTime(Lunar.ToDateTime(year, index, day, 0, 0, 0, 0));
    }

    /// <summary>
    /// 清明: the day (China time) the sun reaches apparent ecliptic longitude 15°, by the low-precision solar
    /// coordinates (about 0.01°, a quarter of an hour), found to the minute between 3 and 7 April.
    /// </summary>
    public static DateOnly QingMing(int year)
    {
        var low = new DateTime(year, 4, 2, 12, 0, 0, DateTimeKind.Utc);
        var high = new DateTime(year, 4, 7, 0, 0, 0, DateTimeKind.Utc);
        while (high - low > TimeSpan.FromMinutes(1))
        {
            var mid = low + (high - low) / 2;
            if (SunLongitude(mid) < 15)
                low = mid;
            else
                high = mid;
        }
        return DateOnly.FromDateTime(high + ChinaOffset);
    }

    /// <summary>The sun's apparent ecliptic longitude in degrees (0–360) at a UTC instant.</summary>
    public static double SunLongitude(DateTime utc)
    {
        var julianDay = utc.ToOADate() + 2415018.5;
        var t = (julianDay - 2451545.0) / 36525;
        var meanLongitude = 280.46646 + 36000.76983 * t + 0.0003032 * t * t;
        var anomaly = Radians(357.52911 + 35999.05029 * t - 0.0001537 * t * t);
        var centre = (1.914602 - 0.004817 * t - 0.000014 * t * t) * Math.Sin(anomaly)
            + (0.019993 - 0.000101 * t) * Math.Sin(2 * anomaly) + 0.000289 * Math.Sin(3 * anomaly);
        var node = Radians(125.04 - 1934.136 * t);
        var apparent = meanLongitude + centre - 0.00569 - 0.00478 * Math.Sin(node);
        return ((apparent % 360) + 360) % 360;
    }

    private static double Radians(double degrees) => degrees * Math.PI / 180;
}
