using Shequn.Platform.Exports;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A 接龙 list as CSV (<see cref="ExportFiles"/>): the entries in list order, then the withdrawn lines, one row each with
/// who added and who withdrew them. Positions and sequence numbers are numbers; names and notes are text, so a
/// withdrawal "-张三" or a note "+1" is kept from running as a formula.
/// </summary>
public static class SignupChainExport
{
    public static readonly string[] Columns =
    [
        "position", "name", "note", "status", "addedBy", "addedById", "firstSeq", "updatedSeq", "withdrawnBy", "withdrawnSeq",
    ];

    public static byte[] Csv(SignupChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var rows = new List<IReadOnlyList<object?>>();
        foreach (var e in chain.Entries)
            rows.Add([e.Position, e.Name, e.Note, "joined", e.AddedByName, e.AddedBy?.ToString(), e.FirstSeq, e.UpdatedSeq, null, null]);
        foreach (var w in chain.Withdrawals)
            rows.Add([null, w.Name, w.Note, "withdrawn", w.AddedByName, w.AddedBy?.ToString(), w.FirstSeq, null, w.WithdrawnByName, w.Seq]);
        return ExportFiles.Csv(new ExportSheet("chain", Columns, rows));
    }
}
