namespace Shequn.Features.Enforcement;

/// <summary>
/// Nickname formats of seed 004 such as <c>城市-行业-昵称</c>: parts separated by a dash. A nickname matches when it has
/// as many non-empty parts, separated by any dash (<c>-</c>, <c>－</c>, <c>—</c>, <c>_</c>) or a vertical bar.
/// </summary>
public static class NicknameFormat
{
    private static readonly char[] Separators = ['-', '－', '—', '–', '_', '|', '｜'];

    public static bool Matches(string format, string? nickname)
    {
        ArgumentNullException.ThrowIfNull(format);
        var want = format.Split(Separators).Length;
        if (want <= 1)
            return true;
        if (string.IsNullOrWhiteSpace(nickname))
            return false;
        var parts = nickname.Split(Separators);
        return parts.Length == want && parts.All(p => p.Trim().Length > 0);
    }
}
