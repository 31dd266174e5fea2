using System.Globalization;

namespace Shequn.Features.Audit;

/// <summary>
/// The one place where the audit log turns times into text and rounds them: whole seconds, UTC, labelled.
/// (When workspaces get their own time zone, this is what changes.)
/// </summary>
public static class AuditTimes
{
    public static DateTime WholeSeconds(DateTime utc) =>
        new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    public static string Display(DateTime utc) =>
        WholeSeconds(utc).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A time stored in a before/after snapshot (ISO 8601 text) as <see cref="Display"/> shows it; null when the text is no time.</summary>
    public static string? DisplayStored(string text) =>
        text.Length >= 19 && text[4] == '-' && text[10] == 'T'
        && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? Display(t)
            : null;
}
