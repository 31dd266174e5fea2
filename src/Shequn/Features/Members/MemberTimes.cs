using System.Globalization;

namespace Shequn.Features.Members;

/// <summary>How a member export writes a time: ISO 8601 in the workspace's zone, with its offset, so a file read elsewhere is unambiguous.</summary>
public static class MemberTimes
{
    public static string Export(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)), zone)
            .ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
