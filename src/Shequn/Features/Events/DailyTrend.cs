using System.Globalization;
using MudBlazor;

namespace Shequn.Features.Events;

/// <summary>
/// Daily figures made ready to chart honestly: only complete days are plotted (today is still counting and
/// would show as a drop), the value axis starts at 0 and its ticks step in 1, 2 or 5 × 10ⁿ so that small counts
/// get readable labels. Today's partial figures are kept aside for the "today" cards.
/// </summary>
public sealed class DailyTrend
{
    /// <summary>At most this many labelled ticks on a value axis.</summary>
    public const int MaxTicks = 6;

    private DailyTrend(IReadOnlyList<DayFigures> days, DayFigures? today)
    {
        Days = days;
        Today = today;
    }

    /// <summary>Complete days, oldest first.</summary>
    public IReadOnlyList<DayFigures> Days { get; }

    /// <summary>The day in progress, when the figures reach it.</summary>
    public DayFigures? Today { get; }

    /// <summary>The last <paramref name="count"/> complete days of <paramref name="days"/>, and today apart.</summary>
    public static DailyTrend From(IReadOnlyList<DayFigures> days, int count) =>
        new([.. days.Where(d => d.Complete).TakeLast(count)], days.LastOrDefault(d => !d.Complete));

    /// <summary>A date under every fifth point and under the last, so the axis stays legible on a phone.</summary>
    public string[] Labels(CultureInfo culture) => [.. Days.Select((d, i) =>
        i % 5 == (Days.Count - 1) % 5 ? d.Day.ToString(culture.DateTimeFormat.MonthDayPattern, culture) : "")];

    public double[] Values(Func<DayFigures, double> value) => [.. Days.Select(value)];

    /// <summary>Line chart options: value axis from 0 with round steps, both axes titled.</summary>
    public LineChartOptions LineOptions(string xTitle, string yTitle, params Func<DayFigures, double>[] series)
    {
        var (step, top) = Axis(series);
        return new()
        {
            YAxisRequireZeroPoint = true,
            ClampToZero = true,
            YAxisTicks = step,
            MaxNumYAxisTicks = MaxTicks + 1,
            YAxisSuggestedMax = top,
            YAxisFormat = "N0",
            XAxisTitle = xTitle,
            YAxisTitle = yTitle,
        };
    }

    /// <summary>Bar chart options: bars stand on 0, value ticks in round steps, both axes titled.</summary>
    public BarChartOptions BarOptions(string xTitle, string yTitle, params Func<DayFigures, double>[] series)
    {
        var (step, top) = Axis(series);
        return new()
        {
            YAxisTicks = step,
            MaxNumYAxisTicks = MaxTicks + 1,
            YAxisSuggestedMax = top,
            YAxisFormat = "N0",
            XAxisTitle = xTitle,
            YAxisTitle = yTitle,
        };
    }

    /// <summary>The tick step for the series and the top of the axis (a whole number of steps, at least one).</summary>
    public (int Step, double Top) Axis(params Func<DayFigures, double>[] series)
    {
        var max = Days.Count == 0 || series.Length == 0 ? 0 : series.Max(s => Days.Max(s));
        var step = TickStep(max);
        return (step, step * Math.Max(1, Math.Ceiling(max / step)));
    }

    /// <summary>The smallest of 1, 2, 5, 10, 20, 50, … that labels 0…<paramref name="max"/> with at most <see cref="MaxTicks"/> steps.</summary>
    public static int TickStep(double max)
    {
        if (max <= MaxTicks)
            return 1;
        for (var magnitude = 1L; ; magnitude *= 10)
        {
            foreach (var m in (ReadOnlySpan<int>)[1, 2, 5])
            {
                var step = m * magnitude;
                if (Math.Ceiling(max / step) <= MaxTicks)
                    return (int)Math.Min(step, int.MaxValue);
            }
        }
    }
}
