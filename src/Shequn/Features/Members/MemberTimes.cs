using System.Globalization;

namespace Shequn.Features.Members;

/// <summary>
/// How the member pages, the communities list and the member export write a time: today in UTC, labelled so.
/// REVIEW: the one place to switch to the workspace's time zone when that lands (engineer "figures").
/// </summary>
public static class MemberTimes
{
    public const string Zone = "UTC";

    public static string Display(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
