using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Shequn.Platform.Api;

namespace Shequn.Features.Moderation;

public enum DomainStatus
{
    Unlisted,
    Allowed,
    Denied,
}

/// <summary>
/// A workspace's pattern settings: allowed and denied domains and its own regular expressions.
/// Immutable, swapped in whole like the lexicon.
/// </summary>
public sealed class PatternSet
{
    private readonly FrozenSet<string> _allowed;
    private readonly FrozenSet<string> _denied;

    public PatternSet(IEnumerable<string> allowedDomains, IEnumerable<string> deniedDomains, IReadOnlyList<CustomPattern> custom)
    {
        _allowed = Clean(allowedDomains);
        _denied = Clean(deniedDomains);
        Custom = custom;
    }

    public static PatternSet Default { get; } = new([], [], []);

    public IReadOnlyList<CustomPattern> Custom { get; }

    public IReadOnlyCollection<string> AllowedDomains => _allowed;

    public IReadOnlyCollection<string> DeniedDomains => _denied;

    /// <summary>A host is listed when it or any parent domain is ("m.example.com" under "example.com"); deny wins.</summary>
    public DomainStatus Classify(ReadOnlySpan<char> host)
    {
        if (_allowed.Count == 0 && _denied.Count == 0)
            return DomainStatus.Unlisted;
        var allowed = _allowed.GetAlternateLookup<ReadOnlySpan<char>>();
        var denied = _denied.GetAlternateLookup<ReadOnlySpan<char>>();
        var status = DomainStatus.Unlisted;
        var rest = host;
        while (!rest.IsEmpty)
        {
            if (denied.Contains(rest))
                return DomainStatus.Denied;
            if (allowed.Contains(rest))
                status = DomainStatus.Allowed;
            var dot = rest.IndexOf('.');
            if (dot < 0)
                break;
            rest = rest[(dot + 1)..];
        }
        return status;
    }

    private static FrozenSet<string> Clean(IEnumerable<string> domains) =>
        domains.Select(d => d.Trim().TrimStart('.').ToLowerInvariant())
            .Select(d => d.StartsWith("www.", StringComparison.Ordinal) ? d[4..] : d)
            .Where(d => d.Length > 0)
            .ToFrozenSet(StringComparer.Ordinal);
}

/// <summary>
/// A workspace's own regular expression. It runs on the lite view (folded: lower case, half width,
/// simplified) with the non-backtracking engine and a timeout, so no pattern can stall checks.
/// </summary>
public sealed class CustomPattern
{
    public const int MaxLength = 500;

    /// <summary>Each match attempt on one message gives up after this long.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;

    private CustomPattern(string name, string pattern, double weight, Regex regex)
    {
        Name = name;
        Pattern = pattern;
        Weight = weight;
        Regex = regex;
    }

    public string Name { get; }

    public string Pattern { get; }

    public double Weight { get; }

    internal Regex Regex { get; }

    /// <summary>
    /// Validates a pattern before it is saved. Refused: syntax errors, constructs the linear-time engine cannot
    /// run (backreferences, lookarounds, atomic groups), nested unbounded quantifiers such as (a+)+ that are
    /// catastrophic for backtracking engines, patterns that match empty text, and patterns that are slow on
    /// adversarial probe inputs.
    /// </summary>
    public static bool TryCreate(string name, string pattern, double weight, out CustomPattern? result, out Reason? error)
    {
        result = null;
        error = Validate(name, pattern, weight, out var regex);
        if (error is not null)
            return false;
        result = new CustomPattern(name, pattern, weight, regex!);
        return true;
    }

    private static Reason Why(string code, string english, params object[] args) => new($"Moderation.Reason.{code}", english, args);

    private static Reason? Validate(string name, string pattern, double weight, out Regex? regex)
    {
        regex = null;
        if (string.IsNullOrWhiteSpace(name))
            return Why("NameEmpty", "pattern name is empty");
        if (weight is < 0 or > 1 || double.IsNaN(weight))
            return Why("WeightRange", "weight must be between 0 and 1");
        if (string.IsNullOrEmpty(pattern))
            return Why("PatternEmpty", "pattern is empty");
        if (pattern.Length > MaxLength)
            return Why("PatternTooLong", $"pattern is longer than {MaxLength} characters", MaxLength);
        if (FindNestedQuantifier(pattern) is { } at)
            return Why("NestedQuantifier", $"pathological pattern: a quantified group contains another unbounded quantifier (near character {at + 1}), which can take exponential time", at + 1);
        try
        {
            regex = new Regex(pattern, Options, MatchTimeout);
        }
        catch (RegexParseException e)
        {
            return Why("InvalidRegex", $"invalid regular expression: {e.Error} at character {e.Offset}", e.Error.ToString(), e.Offset);
        }
        catch (NotSupportedException)
        {
            return Why("NotLinear", "pathological pattern: uses a construct that cannot run in guaranteed linear time (backreference, lookaround, atomic group or conditional), or is too large");
        }
        catch (ArgumentException e)
        {
            return Why("InvalidRegexOther", $"invalid regular expression: {e.Message}", e.Message);
        }
        try
        {
            if (regex.IsMatch(""))
                return Why("MatchesEmpty", "pattern matches empty text and would flag every message");
            // Builds the lazily constructed matcher now, so the first real message does not pay for it.
            _ = regex.Count("领取优惠码ab12 加微sx111505 https://example.com".AsSpan());
            var probe = TimeSpan.FromSeconds(1);
            var probing = new Regex(pattern, Options, probe);
            foreach (var input in ProbeInputs)
                _ = probing.Count(input);
        }
        catch (RegexMatchTimeoutException)
        {
            return Why("TooSlow", "pathological pattern: too slow on long input");
        }
        catch (NotSupportedException)
        {
            return Why("TooLarge", "pathological pattern: too large to run in linear time");
        }
        return null;
    }

    private static readonly string[] ProbeInputs =
    [
        new string('a', 20_000),
        string.Concat(Enumerable.Repeat("ab", 10_000)) + "!",
        string.Concat(Enumerable.Repeat("加微12345 ", 2_000)),
    ];

    /// <summary>
    /// Returns the position of a group that is quantified without bound while containing an unbounded
    /// quantifier itself ("(a+)+", "(a*b?)*", "(?:x+){2,}"), or null when there is none.
    /// </summary>
    internal static int? FindNestedQuantifier(string pattern)
    {
        var groups = new Stack<(int Start, bool HasUnbounded)>();
        var hasUnbounded = false; // for the innermost open group (or the top level)
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    i++;
                    break;
                case '[':
                    i = SkipClass(pattern, i);
                    break;
                case '(':
                    groups.Push((i, hasUnbounded));
                    hasUnbounded = false;
                    break;
                case ')':
                    if (groups.Count == 0)
                        break;
                    var (start, outer) = groups.Pop();
                    var inner = hasUnbounded;
                    var quantifierUnbounded = IsUnboundedQuantifierAt(pattern, i + 1);
                    if (inner && quantifierUnbounded)
                        return start;
                    hasUnbounded = outer || inner || quantifierUnbounded;
                    break;
                default:
                    if (IsUnboundedQuantifierAt(pattern, i) && i > 0)
                        hasUnbounded = true;
                    break;
            }
        }
        return null;
    }

    private static bool IsUnboundedQuantifierAt(string pattern, int i)
    {
        if (i >= pattern.Length)
            return false;
        if (pattern[i] is '*' or '+')
            return true;
        if (pattern[i] != '{')
            return false;
        var close = pattern.IndexOf('}', i);
        return close > i && pattern[(i + 1)..close] is var body && body.EndsWith(',') && body.TrimEnd(',').All(char.IsAsciiDigit);
    }

    private static int SkipClass(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] == '^')
            i++;
        if (i < pattern.Length && pattern[i] == ']')
            i++;
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
                i++;
            else if (pattern[i] == ']')
                return i;
        }
        return pattern.Length;
    }

    /// <summary>Appends matches on the lite view; a match attempt that times out is skipped, not fatal.</summary>
    internal bool Scan(ReadOnlySpan<char> lite, List<PatternHit> hits, int limit)
    {
        try
        {
            foreach (var match in Regex.EnumerateMatches(lite))
            {
                if (match.Length == 0)
                    continue;
                hits.Add(new PatternHit(PatternKind.Custom, match.Index, match.Length, true, Name));
                if (--limit <= 0)
                    break;
            }
            return true;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
