using System.Globalization;
using Shequn.Platform.Auth;

namespace Shequn.Features.Workspaces;

public enum TimeStyle
{
    /// <summary>2024-12-02 14:05</summary>
    Minutes = 0,
    /// <summary>2024-12-02 14:05:09</summary>
    Seconds = 1,
    /// <summary>12-02 14:05:09 (chat lines)</summary>
    MonthDaySeconds = 2,
    /// <summary>14:05</summary>
    TimeOfDay = 3,
}

/// <summary>
/// The one way the console shows a time: stored times are UTC, people read them in their workspace's zone,
/// with the offset beside them so that nobody takes them for their own machine's time.
/// One per scope (request or circuit), for the acting staff member's workspace.
/// </summary>
public sealed class WorkspaceClock(CurrentStaff current, WorkspaceZones zones, TimeProvider time)
{
    private TimeZoneInfo? _zone;

    public TimeZoneInfo Zone => _zone ??= current.WorkspaceId is { } ws ? zones.Get(ws) : WorkspaceZones.Default;

    /// <summary>Reads the zone again (after the owner changed it in this circuit).</summary>
    public void Refresh() => _zone = null;

    public DateTimeOffset Now => TimeZoneInfo.ConvertTime(time.GetUtcNow(), Zone);

    public DateOnly Today => DateOnly.FromDateTime(Now.DateTime);

    public DateTimeOffset ToLocal(DateTime utc) =>
        TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)), Zone);

    /// <summary>"UTC+8", "UTC+5:30", "UTC−3": the offset in force at that moment (it moves with daylight saving).</summary>
    public string OffsetLabel(DateTime utc) => OffsetLabel(ToLocal(utc).Offset);

    public string OffsetLabel() => OffsetLabel(Now.Offset);

    public static string OffsetLabel(TimeSpan offset)
    {
        if (offset == TimeSpan.Zero)
            return "UTC";
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        return abs.Minutes == 0
            ? $"UTC{sign}{abs.Hours.ToString(CultureInfo.InvariantCulture)}"
            : $"UTC{sign}{abs.Hours.ToString(CultureInfo.InvariantCulture)}:{abs.Minutes.ToString("00", CultureInfo.InvariantCulture)}";
    }

    /// <summary>The time in the workspace's zone, followed by its offset ("2024-12-02 14:05 UTC+8").</summary>
    public string Format(DateTime utc, TimeStyle style = TimeStyle.Minutes) => $"{Bare(utc, style)} {OffsetLabel(utc)}";

    /// <summary>The time in the workspace's zone without the offset, for places whose heading names it.</summary>
    public string Bare(DateTime utc, TimeStyle style = TimeStyle.Minutes) => ToLocal(utc).ToString(style switch
    {
        TimeStyle.Seconds => "yyyy-MM-dd HH:mm:ss",
        TimeStyle.MonthDaySeconds => "MM-dd HH:mm:ss",
        TimeStyle.TimeOfDay => "HH:mm",
        _ => "yyyy-MM-dd HH:mm",
    }, CultureInfo.InvariantCulture);

    /// <summary>A day as people say it in the current UI language ("12月2日", "December 2").</summary>
    public static string MonthDay(DateOnly day) =>
        day.ToString(CultureInfo.CurrentCulture.DateTimeFormat.MonthDayPattern, CultureInfo.CurrentCulture);

    /// <summary>For a tooltip: the zone's name and the moment in ISO 8601 with its offset.</summary>
    public string Describe(DateTime utc) => $"{Zone.Id} · {ToLocal(utc):yyyy-MM-dd'T'HH:mm:sszzz}";
}
