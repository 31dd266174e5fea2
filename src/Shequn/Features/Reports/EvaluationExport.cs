using Shequn.Platform.Exports;

namespace Shequn.Features.Reports;

/// <summary>
/// Writes report sheets through <see cref="ExportFiles"/>: .xlsx with one worksheet per sheet (numbers as numbers), CSV
/// with one sheet. Text cells (a community name, a nickname) are guarded there, so none can run as a formula.
/// </summary>
public static class EvaluationExport
{
    public const string XlsxType = ExportFiles.XlsxType;

    public static string SheetLabelKey(ReportSheetKind kind) => $"Reports.Sheet.{kind}";

    public static string HeaderKey(ReportSheetKind kind, string column) => $"Reports.{kind}.{column}";

    public static byte[] Xlsx(IReadOnlyList<ReportSheet> sheets, Func<string, string> label)
    {
        ArgumentNullException.ThrowIfNull(sheets);
        ArgumentNullException.ThrowIfNull(label);
        return ExportFiles.Xlsx([.. sheets.Select(s => Sheet(s, label))]);
    }

    public static byte[] Csv(ReportSheet sheet, Func<string, string> label)
    {
        ArgumentNullException.ThrowIfNull(sheet);
        ArgumentNullException.ThrowIfNull(label);
        return ExportFiles.Csv(Sheet(sheet, label));
    }

    private static ExportSheet Sheet(ReportSheet sheet, Func<string, string> label) =>
        new(label(SheetLabelKey(sheet.Kind)), [.. sheet.Columns.Select(c => label(HeaderKey(sheet.Kind, c)))], sheet.Rows);
}
