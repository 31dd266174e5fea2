using System.Globalization;

namespace Shequn.Features.Audit;

/// <summary>
/// How the audit log rounds and reads times: whole seconds, stored in UTC. The console shows them in the
/// workspace's zone through <see cref="Shequn.Features.Workspaces.WorkspaceClock"/>.
/// </summary>
public static class AuditTimes
{
    public static DateTime WholeSeconds(DateTime utc) =>
        new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    /// <summary>A time stored in a before/after snapshot (ISO 8601 text), in whole seconds; null when the text is no time.</summary>
    public static DateTime? ParseStored(string text) =>
        text.Length >= 19 && text[4] == '-' && text[10] == 'T'
        && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? WholeSeconds(t)
            : null;
}
