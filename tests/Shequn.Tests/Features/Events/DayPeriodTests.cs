using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Tests.Features.Events;

public sealed class DayPeriodTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    // 2026-12-06 17:30 UTC is already 12-07 01:30 in Shanghai: "today" is the 7th there.
    private static readonly DateTime Now = new(2026, 12, 6, 17, 30, 0, DateTimeKind.Utc);

    [Fact]
    public void Read_NoDays_DefaultsToTodayInTheZoneAndItsDefaultFirst()
    {
        var v = new Validation();

        var p = DayPeriod.Read(v, null, null, Shanghai, Now, today => today.AddDays(-29), "X");

        Assert.True(v.IsValid);
        Assert.Equal((new DateOnly(2026, 11, 8), new DateOnly(2026, 12, 7)), (p.First, p.Last));
        Assert.Equal(30, p.Days);
        // Shanghai's midnight is 16:00 UTC the day before; the end is the first moment after the last day.
        Assert.Equal(new DateTime(2026, 11, 7, 16, 0, 0, DateTimeKind.Utc), p.From);
        Assert.Equal(new DateTime(2026, 12, 7, 16, 0, 0, DateTimeKind.Utc), p.To);
    }

    [Fact]
    public void Read_ToBeforeFrom_NamesToWithTheCallersCode()
    {
        var v = new Validation();

        DayPeriod.Read(v, "2026-12-05", "2026-12-01", Shanghai, Now, t => t, "OrdersPeriod");

        Assert.False(v.IsValid);
        Assert.Equal(["to"], v.Errors.Keys);
        Assert.Contains(v.Items, e => e.Code == "OrdersPeriod");
    }

    [Fact]
    public void Read_LongerThanTheLimit_RefusedButTheLimitItselfIsAllowed()
    {
        var ok = new Validation();
        var tooLong = new Validation();

        DayPeriod.Read(ok, "2025-01-01", "2025-12-31", Shanghai, Now, t => t, "RoiPeriod", maxDays: 365);
        DayPeriod.Read(tooLong, "2025-01-01", "2026-01-01", Shanghai, Now, t => t, "RoiPeriod", maxDays: 365);

        Assert.True(ok.IsValid);
        Assert.Contains(tooLong.Items, e => e.Code == "RoiPeriodLong" && e.Field == "to");
    }

    [Fact]
    public void Read_MalformedDay_NamesTheField()
    {
        var v = new Validation();

        DayPeriod.Read(v, "6/12/2026", null, Shanghai, Now, t => t, "X");

        Assert.Equal(["from"], v.Errors.Keys);
    }

    [Fact]
    public void Read_Snapped_WidensToWholeWeeks()
    {
        var v = new Validation();
        static DateOnly Monday(DateOnly d) => d.AddDays(-(((int)d.DayOfWeek + 6) % 7));

        var p = DayPeriod.Read(v, "2026-11-04", "2026-11-18", Shanghai, Now, t => t, "X", snap: (Monday, d => Monday(d).AddDays(6)));

        Assert.Equal((new DateOnly(2026, 11, 2), new DateOnly(2026, 11, 22)), (p.First, p.Last));
    }
}
