using System.Text.Json;

namespace Shequn.Features.Audit;

/// <summary>One property of an audited entity before and after a change (null when absent on that side).</summary>
public sealed record AuditChange(string Field, JsonElement? Before, JsonElement? After)
{
    /// <summary>Pairs the before and after snapshots of an audit row property by property, in the order first seen.</summary>
    public static IReadOnlyList<AuditChange> Between(string? before, string? after)
    {
        var b = Parse(before);
        var a = Parse(after);
        return b.Keys.Concat(a.Keys).Distinct(StringComparer.Ordinal)
            .Select(k => new AuditChange(k, b.TryGetValue(k, out var x) ? x : null, a.TryGetValue(k, out var y) ? y : null))
            .ToList();
    }

    /// <summary>A value as a person reads it: strings bare, lists joined, null as an empty string.</summary>
    public static string Display(JsonElement? value) => value switch
    {
        null => "",
        { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => "",
        { ValueKind: JsonValueKind.String } v => v.GetString() ?? "",
        { ValueKind: JsonValueKind.Array } v => string.Join("、", v.EnumerateArray().Select(e => Display(e))),
        { } v => v.GetRawText(),
    };

    private static Dictionary<string, JsonElement> Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return [];
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object
            ? doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal)
            : [];
    }
}
