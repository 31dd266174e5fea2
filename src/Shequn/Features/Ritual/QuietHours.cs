namespace Shequn.Features.Ritual;

/// <summary>Quiet hours (免打扰): a message due inside them waits until they end, in the workspace's time zone.</summary>
public static class QuietHours
{
    /// <summary>A time of day typed as <c>H:mm</c> or <c>HH:mm</c>, in minutes after midnight; null when it is not one.</summary>
    public static int? ParseClock(string? text) =>
        text is not null && TimeOnly.TryParseExact(text.Trim(), ["H:mm", "HH:mm"], System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out var t) ? (t.Hour * 60) + t.Minute : null;

    /// <summary>Minutes after midnight as <c>HH:mm</c>.</summary>
    public static string Clock(int minute) => $"{minute / 60:00}:{minute % 60:00}";

    /// <summary>Whether a time of day (minutes after midnight) lies in [start, end), which may span midnight.</summary>
    public static bool Contains(int start, int end, int minute) =>
        start < end ? minute >= start && minute < end : minute >= start || minute < end;

    /// <summary>When a message due at <paramref name="dueUtc"/> may go out: then, or the end of the quiet hours it falls in.</summary>
    public static DateTime Hold(DateTime dueUtc, TimeZoneInfo zone, RitualSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.QuietHoursEnabled ? EndOf(s.QuietStartMinute, s.QuietEndMinute, dueUtc, zone) ?? dueUtc : dueUtc;
    }

    /// <summary>
    /// The end (UTC) of the quiet hours [start, end) (minutes after midnight in <paramref name="zone"/>, possibly spanning
    /// midnight) that <paramref name="utc"/> falls in, or null when it falls outside them. Shared by the joining ritual
    /// and auto-replies.
    /// </summary>
    public static DateTime? EndOf(int start, int end, DateTime utc, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (start == end)
            return null;
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
        var minute = (int)local.TimeOfDay.TotalMinutes;
        if (!Contains(start, end, minute))
            return null;
        // Spanning midnight and still before it: the quiet hours end tomorrow morning.
        var day = start > end && minute >= start ? local.Date.AddDays(1) : local.Date;
        var endsAt = DateTime.SpecifyKind(day.AddMinutes(end), DateTimeKind.Unspecified);
        // A clock change can skip the end of the quiet hours: the first valid minute after it.
        while (zone.IsInvalidTime(endsAt))
            endsAt = endsAt.AddMinutes(1);
        return TimeZoneInfo.ConvertTimeToUtc(endsAt, zone);
    }
}
