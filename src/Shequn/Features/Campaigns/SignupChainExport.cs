using System.Globalization;
using System.Text;
using nietras.SeparatedValues;
using Shequn.Features.Members;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A 接龙 list as CSV text (Sep): the entries in list order, then the withdrawn lines, one row each with who added and
/// who withdrew them. Cells a spreadsheet would run as formulas (a withdrawal "-张三", a note "+1") are defused.
/// </summary>
public static class SignupChainExport
{
    public static readonly string[] Columns =
    [
        "position", "name", "note", "status", "addedBy", "addedById", "firstSeq", "updatedSeq", "withdrawnBy", "withdrawnSeq",
    ];

    public static string Csv(SignupChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var text = new StringBuilder();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            foreach (var e in chain.Entries)
                Write(writer, [Number(e.Position), e.Name, e.Note, "joined", e.AddedByName, e.AddedBy?.ToString() ?? "", Number(e.FirstSeq), Number(e.UpdatedSeq), "", ""]);
            foreach (var w in chain.Withdrawals)
                Write(writer, ["", w.Name, w.Note, "withdrawn", w.AddedByName, w.AddedBy?.ToString() ?? "", Number(w.FirstSeq), "", w.WithdrawnByName, Number(w.Seq)]);
            if (chain.Entries.Count == 0 && chain.Withdrawals.Count == 0)
                text.Append(string.Join(',', Columns)).AppendLine(); // Sep writes the header with the first row
        }
        return text.ToString();
    }

    private static void Write(SepWriter writer, string[] cells)
    {
        using var row = writer.NewRow();
        for (var i = 0; i < Columns.Length; i++)
            row[Columns[i]].Set(MemberExport.DefuseFormula(cells[i]));
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
