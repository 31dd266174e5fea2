using System.Text.RegularExpressions;

namespace Shequn.Features.Feedback;

public enum FeedbackKind
{
    Complaint = 0,
    Suggestion = 1,
}

/// <summary>What the detector made of a line: the kind, the department it routes to and the word or pattern that decided.</summary>
public sealed record FeedbackVerdict(FeedbackKind Kind, string Department, string Signal);

/// <summary>
/// Recognises complaints and suggestions in a group-chat line by a workspace's <see cref="FeedbackRules"/>. Pure and
/// thread-safe once made. The line loses URLs and stickers ([强]); then the phrases that are never feedback are taken out
/// (没问题, 建议大家, 希望明天, 退款已到账, a hypothetical question like 如果坏了可以换吗); a complaint word counts unless a
/// negation (不, 没, 别, 无) stands just before it (没坏, 不失望); a complaint wins over a suggestion when a line has both,
/// because it needs an answer sooner. The department is the first whose words appear, else the kind's fallback.
/// Precision is worth more than recall here: a false ticket costs a person's time, a missed one is still in the chat.
/// Measured on tests/Shequn.Tests/Features/Feedback/feedback.tsv (see FeedbackDetectorTests).
/// </summary>
public sealed partial class FeedbackDetector
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(100);
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.NonBacktracking;

    private readonly FeedbackRules _rules;
    private readonly Regex[] _complaint;
    private readonly Regex[] _suggestion;
    private readonly Regex[] _ignore;

    private FeedbackDetector(FeedbackRules rules)
    {
        _rules = rules;
        _complaint = Compile(rules.ComplaintPatterns);
        _suggestion = Compile(rules.SuggestionPatterns);
        _ignore = Compile(rules.IgnorePatterns);
    }

    public static FeedbackDetector Create(FeedbackRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return new FeedbackDetector(rules);
    }

    /// <summary>The shipped rules' detector.</summary>
    public static FeedbackDetector Default { get; } = Create(FeedbackRules.Defaults());

    public FeedbackRules Rules => _rules;

    /// <summary>A complaint or suggestion with its department, or null when the line is neither.</summary>
    public FeedbackVerdict? Detect(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var line = Sticker().Replace(Url().Replace(text, " "), " ").Trim();
        if (Content().Count(line) < 4)
            return null; // "+1", "好的", emoji: too short to be about anything
        var rest = line;
        foreach (var ignore in _ignore)
            rest = Replace(ignore, rest);

        var kind = FeedbackKind.Complaint;
        var signal = FirstWord(rest, _rules.ComplaintWords, negatable: true) ?? FirstMatch(rest, _complaint);
        if (signal is null)
        {
            kind = FeedbackKind.Suggestion;
            signal = FirstWord(rest, _rules.SuggestionWords, negatable: false) ?? FirstMatch(rest, _suggestion);
        }
        if (signal is null)
            return null;
        return new FeedbackVerdict(kind, DepartmentOf(line, kind), signal);
    }

    /// <summary>The first department (in the rules' order) one of whose words appears in <paramref name="line"/>, else the kind's fallback.</summary>
    public string DepartmentOf(string line, FeedbackKind kind)
    {
        ArgumentNullException.ThrowIfNull(line);
        foreach (var department in _rules.Departments)
            if (department.Words.Any(w => w.Length > 0 && line.Contains(w, StringComparison.OrdinalIgnoreCase)))
                return department.Key;
        return kind == FeedbackKind.Complaint ? _rules.ComplaintDepartment : _rules.SuggestionDepartment;
    }

    private static string? FirstWord(string line, IReadOnlyList<string> words, bool negatable)
    {
        foreach (var word in words)
        {
            if (word.Length == 0)
                continue;
            for (var at = line.IndexOf(word, StringComparison.OrdinalIgnoreCase); at >= 0;
                 at = at + 1 < line.Length ? line.IndexOf(word, at + 1, StringComparison.OrdinalIgnoreCase) : -1)
            {
                if (!negatable || !Negated(line, at))
                    return word;
            }
        }
        return null;
    }

    /// <summary>不, 没, 别 or 无 one or two characters before the word (没坏, 不太失望); the 不 of an A-not-A question (是不是) is none.</summary>
    private static bool Negated(string line, int at)
    {
        for (var i = Math.Max(0, at - 2); i < at; i++)
            if (line[i] is '不' or '没' or '别' or '无' && !(line[i] == '不' && i > 0 && i + 1 < line.Length && line[i - 1] == line[i + 1]))
                return true; // 是不是 asks; it does not negate
        return false;
    }

    private static string? FirstMatch(string line, Regex[] patterns)
    {
        foreach (var pattern in patterns)
        {
            try
            {
                if (pattern.Match(line) is { Success: true } m)
                    return m.Value;
            }
            catch (RegexMatchTimeoutException)
            {
                // a pattern too slow on this line says nothing about it
            }
        }
        return null;
    }

    private static string Replace(Regex pattern, string line)
    {
        try
        {
            return pattern.Replace(line, " ");
        }
        catch (RegexMatchTimeoutException)
        {
            return line;
        }
    }

    private static Regex[] Compile(IReadOnlyList<string> patterns)
    {
        var compiled = new List<Regex>(patterns.Count);
        foreach (var p in patterns)
        {
            try
            {
                compiled.Add(new Regex(p, Options, Timeout));
            }
            catch (ArgumentException)
            {
                // refused at save; one stored before that rule existed is skipped rather than stopping detection
            }
            catch (NotSupportedException)
            {
            }
        }
        return [.. compiled];
    }

    [GeneratedRegex(@"https?://\S+|www\.\S+", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    [GeneratedRegex(@"\[[^\[\]]{1,8}\]")]
    private static partial Regex Sticker();

    [GeneratedRegex(@"[\p{L}\p{N}]")]
    private static partial Regex Content();
}
