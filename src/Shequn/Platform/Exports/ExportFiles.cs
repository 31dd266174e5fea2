using System.Data;
using System.Globalization;
using System.Text;
using MiniExcelLibs;
using nietras.SeparatedValues;

namespace Shequn.Platform.Exports;

/// <summary>One worksheet of an export: its name, column headings and rows of cells.</summary>
/// <remarks>A cell is text (a string), a number (int, long, decimal, double) or null (empty).</remarks>
public sealed record ExportSheet(string Name, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<object?>> Rows);

/// <summary>
/// Every CSV and .xlsx file the app hands out is written here (docs/security.md, "Exports"), so that no export can
/// forget the formula guard: every text cell, headings included, goes through <see cref="SafeCells"/>. Numbers are
/// written as numbers and left alone (a spreadsheet does not run -5); text that looks like a number ("-5" typed as a
/// phone or an id) is text, and is guarded. CSV is UTF-8 with a byte-order mark so that Excel reads Chinese.
/// </summary>
public static class ExportFiles
{
    public const string CsvType = "text/csv; charset=utf-8";
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static byte[] Csv(ExportSheet sheet)
    {
        ArgumentNullException.ThrowIfNull(sheet);
        var header = sheet.Header.Select(SafeCells.Text).ToArray();
        var text = new StringBuilder();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            // Written before the rows, so that a file without rows still names its columns.
            writer.Header.Add(header);
            writer.Header.Write();
            foreach (var row in sheet.Rows)
            {
                using var line = writer.NewRow();
                for (var i = 0; i < header.Length; i++)
                    line[header[i]].Set(CsvCell(row[i]));
            }
        }
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    /// <summary>One worksheet per sheet, through MiniExcel; number columns stay numbers, so they sum.</summary>
    public static byte[] Xlsx(IReadOnlyList<ExportSheet> sheets)
    {
        ArgumentNullException.ThrowIfNull(sheets);
        var tables = new List<DataTable>();
        try
        {
            var workbook = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var sheet in sheets)
            {
                var table = new DataTable(sheet.Name);
                tables.Add(table);
                var types = new Type[sheet.Header.Count];
                for (var i = 0; i < sheet.Header.Count; i++)
                {
                    types[i] = ColumnType(sheet, i);
                    table.Columns.Add(SafeCells.Text(sheet.Header[i]), types[i]);
                }
                foreach (var row in sheet.Rows)
                    table.Rows.Add([.. row.Select((cell, i) => XlsxCell(cell, types[i]))]);
                workbook[sheet.Name] = table;
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

    private static bool IsNumber(object? value) => value is int or long or decimal or double or float or short;

    private static string CsvCell(object? value) => value switch
    {
        null => "",
        string s => SafeCells.Text(s),
        _ when IsNumber(value) => ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture),
        IFormattable f => SafeCells.Text(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => SafeCells.Text(value.ToString()),
    };

    private static object XlsxCell(object? value, Type column) => value switch
    {
        null => DBNull.Value,
        _ when column != typeof(string) && IsNumber(value) => value,
        string s => SafeCells.Text(s),
        IFormattable f => SafeCells.Text(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => SafeCells.Text(value.ToString()),
    };

    /// <summary>A column's type from its cells: a number type when every non-empty cell is that number type, else text.</summary>
    private static Type ColumnType(ExportSheet sheet, int column)
    {
        Type? type = null;
        foreach (var row in sheet.Rows)
        {
            if (row[column] is not { } cell)
                continue;
            if (!IsNumber(cell) || (type is not null && type != cell.GetType()))
                return typeof(string);
            type = cell.GetType();
        }
        return type ?? typeof(string);
    }
}
