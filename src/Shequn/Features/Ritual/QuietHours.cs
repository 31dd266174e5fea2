namespace Shequn.Features.Ritual;

/// <summary>Quiet hours (免打扰): a message due inside them waits until they end, in the workspace's time zone.</summary>
public static class QuietHours
{
    /// <summary>Whether a time of day (minutes after midnight) lies in [start, end), which may span midnight.</summary>
    public static bool Contains(int start, int end, int minute) =>
        start < end ? minute >= start && minute < end : minute >= start || minute < end;

    /// <summary>When a message due at <paramref name="dueUtc"/> may go out: then, or the end of the quiet hours it falls in.</summary>
    public static DateTime Hold(DateTime dueUtc, TimeZoneInfo zone, RitualSettings s)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(s);
        if (!s.QuietHoursEnabled || s.QuietStartMinute == s.QuietEndMinute)
            return dueUtc;
        var utc = DateTime.SpecifyKind(dueUtc, DateTimeKind.Utc);
        var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
        var minute = (int)local.TimeOfDay.TotalMinutes;
        if (!Contains(s.QuietStartMinute, s.QuietEndMinute, minute))
            return dueUtc;
        // Spanning midnight and still before it: the quiet hours end tomorrow morning.
        var day = s.QuietStartMinute > s.QuietEndMinute && minute >= s.QuietStartMinute ? local.Date.AddDays(1) : local.Date;
        var end = DateTime.SpecifyKind(day.AddMinutes(s.QuietEndMinute), DateTimeKind.Unspecified);
        // A clock change can skip the end of the quiet hours: the first valid minute after it.
        while (zone.IsInvalidTime(end))
            end = end.AddMinutes(1);
        return TimeZoneInfo.ConvertTimeToUtc(end, zone);
    }
}
