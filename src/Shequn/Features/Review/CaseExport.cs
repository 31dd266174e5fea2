using System.Globalization;
using Shequn.Platform.Exports;

namespace Shequn.Features.Review;

/// <summary>
/// The moderation log as CSV (Sep): one row per case with its evidence, score, rule, the action taken and how the
/// actions ended, written by <see cref="ExportFiles"/> (which guards text cells against formulas).
/// </summary>
public static class CaseExport
{
    public static readonly string[] Columns =
    [
        "id", "occurredAt", "community", "platform", "userId", "userName", "messageId", "decision", "rule", "score", "modelScore",
        "action", "violations", "verdict", "undoneAt", "undoNote", "evidence", "outcome", "text",
    ];

    public static byte[] Csv(IReadOnlyList<CaseDto> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        return ExportFiles.Csv(new ExportSheet("cases", Columns, [.. cases.Select(Cells)]));
    }

    /// <summary>Scores and counts are numbers; names, ids and texts are text, which the export guards.</summary>
    private static object?[] Cells(CaseDto c) =>
    [
        c.Id.ToString(),
        c.OccurredAt.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        c.CommunityName,
        c.Platform.ToString(),
        c.UserId,
        c.UserName,
        c.MessageId,
        c.Decision.ToString(),
        c.Rule,
        Math.Round(c.Score, 4),
        c.ModelScore is { } model ? Math.Round(model, 4) : null,
        c.Action?.ToString(),
        c.Violations,
        c.Verdict.ToString(),
        c.UndoneAt?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        c.UndoNote,
        string.Join("; ", c.Evidence.Select(e => $"{e.Rule}:{e.Term}")),
        string.Join("; ", c.Actions.Select(a => (a.Undo ? "undo " : "") + $"{a.Kind}={a.Status}")),
        c.Text,
    ];
}
