using Shequn.Platform.Api;

namespace Shequn.Features.Enforcement;

/// <summary>
/// A group-card format such as <c>城市-行业-昵称</c> (seed 004: 西安-xxx-白藜芦醇): named parts joined by one separator.
/// A nickname follows it when it has at least as many non-empty parts; the last part (the name itself) may hold
/// the separator too. Dashes of any width count as the same separator, since phones type them differently.
/// </summary>
public sealed class NicknameFormat
{
    public const int MaxLength = 60;
    public const int MinParts = 2;
    public const int MaxParts = 5;
    public const int PartMaxLength = 12;

    private static readonly char[] Dashes = ['-', '－', '—', '–', '‐', '−'];
    private static readonly char[] Others = ['_', '|', '/', '·', '.', ' ', '｜', '／', '＿'];

    private NicknameFormat(char separator, IReadOnlyList<string> parts)
    {
        Separator = separator;
        Parts = parts;
    }

    public char Separator { get; }

    /// <summary>What each part holds (城市, 行业, 昵称), for a reminder that tells the member what to write.</summary>
    public IReadOnlyList<string> Parts { get; }

    /// <summary>Reads a format; a format that is not a usable pattern is refused with the reason.</summary>
    public static bool TryParse(string? format, out NicknameFormat? result, out Reason? error)
    {
        result = null;
        error = Check(format?.Trim(), out var separator, out var parts);
        if (error is not null)
            return false;
        result = new NicknameFormat(separator, parts!);
        return true;
    }

    /// <summary>Whether a nickname follows the format.</summary>
    public bool Matches(string? nickname)
    {
        if (string.IsNullOrWhiteSpace(nickname))
            return false;
        var parts = nickname.Trim().Split(SeparatorsLike(Separator), Parts.Count);
        return parts.Length == Parts.Count && parts.All(p => p.Trim().Length > 0);
    }

    /// <summary>Whether a nickname follows a format as stored in a rule set; a format that does not parse asks nothing.</summary>
    public static bool Matches(string format, string? nickname) =>
        !TryParse(format, out var parsed, out _) || parsed!.Matches(nickname);

    private static char[] SeparatorsLike(char separator) => Dashes.Contains(separator) ? Dashes : [separator];

    private static Reason Why(string code, string english, params object[] args) => new($"RuleSets.Nickname.{code}", english, args);

    private static Reason? Check(string? format, out char separator, out string[]? parts)
    {
        separator = '-';
        parts = null;
        if (string.IsNullOrEmpty(format))
            return Why("Empty", "the format is empty");
        if (format.Length > MaxLength)
            return Why("TooLong", $"the format is longer than {MaxLength} characters", MaxLength);
        var used = format.Where(c => Dashes.Contains(c) || Others.Contains(c)).Select(c => Dashes.Contains(c) ? '-' : c).Distinct().ToList();
        if (used.Count == 0)
            return Why("NoSeparator", "the parts must be joined by a separator such as '-' (城市-行业-昵称)");
        if (used.Count > 1)
            return Why("MixedSeparators", $"use one separator between the parts, not several ({string.Join(" ", used)})", string.Join(" ", used));
        separator = format.First(c => Dashes.Contains(c) || Others.Contains(c));
        parts = format.Split(SeparatorsLike(separator));
        if (parts.Length is < MinParts or > MaxParts)
            return Why("PartCount", $"the format must have {MinParts} to {MaxParts} parts (has {parts.Length})", MinParts, MaxParts, parts.Length);
        if (parts.Any(p => p.Trim().Length == 0))
            return Why("EmptyPart", "a part between two separators is empty");
        if (parts.FirstOrDefault(p => p.Length > PartMaxLength) is { } longPart)
            return Why("PartTooLong", $"the part '{longPart}' is longer than {PartMaxLength} characters", longPart, PartMaxLength);
        if (parts.FirstOrDefault(p => !p.All(char.IsLetterOrDigit)) is { } oddPart)
            return Why("PartCharacters", $"the part '{oddPart}' may hold only letters and digits: name what goes there (城市, 行业, 昵称)", oddPart);
        return null;
    }
}
