using System.Globalization;
using System.Text;
using nietras.SeparatedValues;
using Shequn.Features.Members;

namespace Shequn.Features.Review;

/// <summary>
/// The moderation log as CSV (Sep): one row per case with its evidence, score, rule, the action taken and how the
/// actions ended. UTF-8 with a byte-order mark so Excel reads Chinese; cells a spreadsheet would run are defused.
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
        var text = new StringBuilder();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            foreach (var c in cases)
            {
                using var row = writer.NewRow();
                var cells = Cells(c);
                for (var i = 0; i < Columns.Length; i++)
                    row[Columns[i]].Set(MemberExport.DefuseFormula(cells[i]));
            }
            if (cases.Count == 0)
                text.Append(string.Join(',', Columns)).AppendLine();
        }
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    private static string[] Cells(CaseDto c) =>
    [
        c.Id.ToString(),
        c.OccurredAt.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        c.CommunityName,
        c.Platform.ToString(),
        c.UserId ?? "",
        c.UserName ?? "",
        c.MessageId ?? "",
        c.Decision.ToString(),
        c.Rule,
        c.Score.ToString("0.####", CultureInfo.InvariantCulture),
        c.ModelScore?.ToString("0.####", CultureInfo.InvariantCulture) ?? "",
        c.Action?.ToString() ?? "",
        c.Violations.ToString(CultureInfo.InvariantCulture),
        c.Verdict.ToString(),
        c.UndoneAt?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "",
        c.UndoNote ?? "",
        string.Join("; ", c.Evidence.Select(e => $"{e.Rule}:{e.Term}")),
        string.Join("; ", c.Actions.Select(a => (a.Undo ? "undo " : "") + $"{a.Kind}={a.Status}")),
        c.Text ?? "",
    ];
}
