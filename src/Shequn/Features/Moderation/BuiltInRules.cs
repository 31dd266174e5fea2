using System.Text.Json;

namespace Shequn.Features.Moderation;

/// <summary>One built-in rule as a workspace set it: on or off, and the weight it adds when it fires.</summary>
public sealed record BuiltInRuleSetting(PatternKind Rule, bool Enabled, double Weight);

/// <summary>
/// The built-in rules (links, phone numbers, WeChat ids, solicitation, message kinds …) with a workspace's
/// choices applied: a rule switched off adds neither weight nor evidence; a changed weight replaces the default.
/// Immutable, swapped in with the rest of the snapshot.
/// </summary>
public sealed class BuiltInRules
{
    /// <summary>Every built-in rule in a stable order; the workspace's own patterns are not built in.</summary>
    public static IReadOnlyList<PatternKind> All { get; } = [.. Enum.GetValues<PatternKind>().Where(k => k != PatternKind.Custom)];

    public static BuiltInRules Default { get; } = new([]);

    private readonly bool[] _enabled;
    private readonly double[] _weights;

    public BuiltInRules(IEnumerable<BuiltInRuleSetting> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var count = Enum.GetValues<PatternKind>().Length;
        _enabled = new bool[count];
        _weights = new double[count];
        foreach (var kind in Enum.GetValues<PatternKind>())
        {
            _enabled[(int)kind] = true;
            _weights[(int)kind] = DefaultWeight(kind);
        }
        foreach (var s in settings)
        {
            if (!All.Contains(s.Rule))
                continue;
            _enabled[(int)s.Rule] = s.Enabled;
            _weights[(int)s.Rule] = Math.Clamp(double.IsNaN(s.Weight) ? DefaultWeight(s.Rule) : s.Weight, 0, 1);
        }
    }

    public static double DefaultWeight(PatternKind rule) => ModerationEngine.PatternWeights[rule];

    public bool IsEnabled(PatternKind rule) => _enabled[(int)rule];

    public double Weight(PatternKind rule) => _weights[(int)rule];

    /// <summary>Every built-in rule with its current state.</summary>
    public IReadOnlyList<BuiltInRuleSetting> Settings => [.. All.Select(k => new BuiltInRuleSetting(k, IsEnabled(k), Weight(k)))];

    /// <summary>Only what differs from the defaults, so that a default changed later reaches workspaces that never touched it.</summary>
    public IReadOnlyList<BuiltInRuleSetting> Changes =>
        [.. Settings.Where(s => !s.Enabled || s.Weight != DefaultWeight(s.Rule))];

    internal static BuiltInRules Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return Default;
        var stored = JsonSerializer.Deserialize<List<StoredRule>>(json, JsonSerializerOptions.Web) ?? [];
        return new BuiltInRules(stored
            .Where(s => Enum.TryParse<PatternKind>(s.Rule, ignoreCase: true, out _))
            .Select(s => new BuiltInRuleSetting(Enum.Parse<PatternKind>(s.Rule, ignoreCase: true), s.Enabled, s.Weight)));
    }

    internal string Write() =>
        JsonSerializer.Serialize(Changes.Select(s => new StoredRule(s.Rule.ToString(), s.Enabled, s.Weight)), JsonSerializerOptions.Web);

    /// <summary>Stored by name rather than number, so that a rule added to the enum later cannot shift the others.</summary>
    private sealed record StoredRule(string Rule, bool Enabled, double Weight);
}
