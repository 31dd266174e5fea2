using System.Text.Json;
using System.Text.Json.Serialization;
using Shequn.Features.Moderation;

namespace Shequn.Features.Enforcement;

/// <summary>
/// One piece of evidence of a <see cref="ModerationCase"/>, in the shape every reader of
/// <see cref="ModerationCase.Evidence"/> expects: the engine's <see cref="Moderation.Evidence"/> (source
/// <c>WordList</c>, <c>Pattern</c>, <c>MessageKind</c>, <c>Model</c>) plus what the rules add: <c>Behaviour</c>
/// (flooding, cross-community repeats), <c>Image</c> (a decoded QR code), <c>Sender</c> (new member, blacklist),
/// <c>Nickname</c>. Start and length index into <see cref="ModerationCase.Text"/> (length 0: no span).
/// </summary>
public sealed record CaseEvidence(string Source, string Rule, string? Term, int Start, int Length, double Weight)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public static CaseEvidence From(Evidence e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Source.ToString(), e.Rule, e.Term, e.Start, e.Length, Math.Round(e.Weight, 4));
    }

    /// <summary>As JSON for <see cref="ModerationCase.Evidence"/>, leaving out the last items if it would not fit the column.</summary>
    public static string Serialize(IReadOnlyList<CaseEvidence> evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var count = evidence.Count;
        while (true)
        {
            var json = JsonSerializer.Serialize(evidence.Take(count), Json);
            if (json.Length <= ModerationCase.EvidenceMaxLength || count == 0)
                return json;
            count = count * 3 / 4;
        }
    }

    public static IReadOnlyList<CaseEvidence> Deserialize(string? json) =>
        string.IsNullOrWhiteSpace(json) ? [] : JsonSerializer.Deserialize<List<CaseEvidence>>(json, Json) ?? [];

    /// <summary>As <see cref="Deserialize"/>, but a row that cannot be read shows no evidence rather than failing a page.</summary>
    public static IReadOnlyList<CaseEvidence> Read(string? json)
    {
        try
        {
            return [.. Deserialize(json).Where(e => e is not null)];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
