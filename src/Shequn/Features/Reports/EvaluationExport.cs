using System.Data;
using System.Globalization;
using System.Text;
using MiniExcelLibs;
using nietras.SeparatedValues;
using Shequn.Platform.Exports;

namespace Shequn.Features.Reports;

/// <summary>
/// Writes report sheets: .xlsx through MiniExcel (one worksheet per sheet, numbers as numbers) and CSV through Sep
/// (one sheet, UTF-8 with a byte-order mark so that Excel reads Chinese). Text cells go through <see cref="SafeCells"/>
/// in both, so no cell a person typed (a community name, a nickname) can run as a formula.
/// </summary>
public static class EvaluationExport
{
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static string SheetLabelKey(ReportSheetKind kind) => $"Reports.Sheet.{kind}";

    public static string HeaderKey(ReportSheetKind kind, string column) => $"Reports.{kind}.{column}";

    public static byte[] Xlsx(IReadOnlyList<ReportSheet> sheets, Func<string, string> label)
    {
        ArgumentNullException.ThrowIfNull(sheets);
        ArgumentNullException.ThrowIfNull(label);
        var tables = new List<DataTable>();
        try
        {
            var workbook = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var sheet in sheets)
            {
                var table = new DataTable(sheet.Kind.ToString());
                tables.Add(table);
                for (var i = 0; i < sheet.Columns.Count; i++)
                    table.Columns.Add(label(HeaderKey(sheet.Kind, sheet.Columns[i])), ColumnType(sheet, i));
                foreach (var row in sheet.Rows)
                    table.Rows.Add([.. row.Select(cell => cell switch { null => DBNull.Value, string s => SafeCells.Text(s), _ => cell })]);
                workbook[label(SheetLabelKey(sheet.Kind))] = table;
            }
            using var stream = new MemoryStream();
            stream.SaveAs(workbook, excelType: ExcelType.XLSX);
            return stream.ToArray();
        }
        finally
        {
            foreach (var t in tables)
                t.Dispose();
        }
    }

    public static byte[] Csv(ReportSheet sheet, Func<string, string> label)
    {
        ArgumentNullException.ThrowIfNull(sheet);
        ArgumentNullException.ThrowIfNull(label);
        var headers = sheet.Columns.Select(c => SafeCells.Text(label(HeaderKey(sheet.Kind, c)))).ToArray();
        var text = new StringBuilder();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            foreach (var row in sheet.Rows)
            {
                using var line = writer.NewRow();
                for (var i = 0; i < headers.Length; i++)
                    line[headers[i]].Set(Cell(row[i]));
            }
        }
        // Sep writes the header with the first row; an empty sheet still names its columns.
        if (sheet.Rows.Count == 0)
            text.Append(string.Join(',', headers)).Append("\r\n");
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        string s => SafeCells.Text(s),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => SafeCells.Text(value.ToString()),
    };

    /// <summary>A column's type from its first non-empty cell: numbers stay numbers in the sheet, so they sum.</summary>
    private static Type ColumnType(ReportSheet sheet, int column)
    {
        var type = sheet.Rows.Select(r => r[column]).FirstOrDefault(c => c is not null)?.GetType() ?? typeof(string);
        return type == typeof(int) || type == typeof(long) || type == typeof(decimal) || type == typeof(double) ? type : typeof(string);
    }
}
