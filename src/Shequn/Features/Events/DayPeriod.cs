using Shequn.Platform.Api;

namespace Shequn.Features.Events;

/// <summary>
/// A span of whole days in the workspace's zone, both ends included, with its UTC bounds: <see cref="From"/> is the
/// first moment of <see cref="First"/> and <see cref="To"/> the first moment after <see cref="Last"/> (exclusive).
/// </summary>
public sealed record DayPeriod(DateOnly First, DateOnly Last, DateTime From, DateTime To, TimeZoneInfo Zone)
{
    public const int MaxDays = 366;

    public int Days => Last.DayNumber - First.DayNumber + 1;

    public static DayPeriod Of(DateOnly first, DateOnly last, TimeZoneInfo zone) =>
        new(first, last, DailyFigures.StartOf(first, zone), DailyFigures.StartOf(last.AddDays(1), zone), zone);

    /// <summary>
    /// Reads a period from a query's <c>from</c> and <c>to</c> (yyyy-MM-dd, each optional). A missing <c>to</c> is today
    /// in the zone at <paramref name="now"/>; a missing <c>from</c> is <paramref name="defaultFirst"/> of today.
    /// With <paramref name="anchorOnLast"/> a missing <c>from</c> is <paramref name="defaultFirst"/> of the period's last day
    /// instead (e.g. the 30 days ending on <c>to</c>). <paramref name="snap"/> widens the ends (e.g. to whole weeks). Errors name the field, with the codes
    /// <c>{code}</c> (to before from) and <c>{code}Long</c> (more than <paramref name="maxDays"/> days; its argument is <paramref name="limitShown"/>, by default the days).
    /// </summary>
    public static DayPeriod Read(
        Validation v, string? from, string? to, TimeZoneInfo zone, DateTime now, Func<DateOnly, DateOnly> defaultFirst,
        string code, int maxDays = MaxDays, (Func<DateOnly, DateOnly> First, Func<DateOnly, DateOnly> Last)? snap = null, int? limitShown = null,
        bool anchorOnLast = false)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(defaultFirst);
        var f = v.ParseDay("from", from);
        var t = v.ParseDay("to", to);
        var today = DailyFigures.DayOf(now, zone);
        var last = t ?? today;
        var first = f ?? defaultFirst(anchorOnLast ? last : today);
        if (snap is { } s)
            (first, last) = (s.First(first), s.Last(last));
        if (v.IsValid && last < first)
            v.Add("to", code, "'to' must not be before 'from'.");
        else if (v.IsValid && last.DayNumber - first.DayNumber + 1 > maxDays)
            v.Add("to", code + "Long", $"A period covers at most {maxDays} days.", limitShown ?? maxDays);
        if (last < first)
            last = first;
        return Of(first, last, zone);
    }
}
