using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;
using nietras.SeparatedValues;
using Shequn.Data;
using Shequn.Platform.Api;

namespace Shequn.Features.Members;

public enum MemberExportFormat
{
    Csv,
    Xlsx,
}

/// <summary>A finished export: the bytes, their media type and a file name.</summary>
public sealed record MemberExportFile(byte[] Content, string ContentType, string FileName);

/// <summary>
/// Column headings and layer names of an export: the API writes the JSON names (<c>displayName</c>, <c>vip</c>),
/// the console writes what the person reads on the page.
/// </summary>
public sealed record MemberExportLabels(Func<string, string> Header, Func<MemberLayer, string> Layer)
{
    public static readonly MemberExportLabels Api = new(h => h, l => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(l.ToString()));
}

/// <summary>
/// The member directory as a CSV or Excel file: every visible member matching the filter, in the list's order,
/// with the list's columns. Used by <c>GET /api/members/export</c> and by the console's download link.
/// </summary>
public static class MemberExport
{
    /// <summary>Beyond this the export is refused rather than built in memory; a filter narrows it.</summary>
    public const int MaxRows = 100_000;

    public static readonly string[] Columns =
        ["id", "displayName", "groups", "city", "industry", "layer", "channel", "tags", "joinedAt", "lastSpokeAt", "messages"];

    public static MemberExportFormat? ParseFormat(Validation validation, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return MemberExportFormat.Csv;
        if (Enum.TryParse<MemberExportFormat>(text.Trim(), ignoreCase: true, out var format) && Enum.IsDefined(format) && !text.Any(char.IsDigit))
            return format;
        validation.Add("format", "UnknownExportFormat", $"'format' has an unknown value '{text}'. Use csv or xlsx.", text);
        return null;
    }

    /// <summary>Builds the file, or returns the field errors (bad filter, sort or format; too many rows).</summary>
    public static async Task<(MemberExportFile? File, Validation Validation)> BuildAsync(
        AppDbContext db, MemberFilter filter, string? sort, string? format, MemberExportLabels labels, TimeZoneInfo zone, CancellationToken ct)
    {
        var validation = new Validation();
        var parsedFormat = ParseFormat(validation, format);
        var order = MemberEndpoints.ParseSort(validation, sort);
        var me = await db.Current.GetProfileAsync(db, ct);
        var members = db.FilteredMembers(me, filter, validation);
        if (!validation.IsValid)
            return (null, validation);
        var count = await members.CountAsync(ct);
        if (count > MaxRows)
        {
            validation.Add("filter", "ExportTooLarge", $"{count} members match; an export holds at most {MaxRows}. Narrow the filter.", count, MaxRows);
            return (null, validation);
        }

        var rows = await db.Rows(me, members, order).AsSplitQuery().ToListAsync(ct);
        var cells = rows.Select(r => Cells(r, labels, zone)).ToList();
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture);
        return parsedFormat == MemberExportFormat.Xlsx
            ? (new MemberExportFile(Xlsx(cells, labels), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"members-{stamp}.xlsx"), validation)
            : (new MemberExportFile(Csv(cells, labels), "text/csv; charset=utf-8", $"members-{stamp}.csv"), validation);
    }

    private static string[] Cells(MemberListItem r, MemberExportLabels labels, TimeZoneInfo zone) =>
    [
        r.Id.ToString(),
        r.DisplayName,
        string.Join("; ", r.Groups.Select(g => g.Nickname is null ? g.CommunityName : $"{g.CommunityName}: {g.Nickname}")),
        r.City ?? "",
        r.Industry ?? "",
        labels.Layer(r.Layer),
        r.Channel ?? "",
        string.Join("; ", r.Tags.Select(t => t.Name)),
        MemberTimes.Export(r.JoinedAt, zone),
        r.LastSpokeAt is { } spoke ? MemberTimes.Export(spoke, zone) : "",
        r.Messages.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly; cells are guarded against formulas.</summary>
    private static byte[] Csv(List<string[]> rows, MemberExportLabels labels)
    {
        var text = new StringBuilder();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            foreach (var row in rows)
            {
                using var line = writer.NewRow();
                for (var i = 0; i < Columns.Length; i++)
                    line[labels.Header(Columns[i])].Set(DefuseFormula(row[i]));
            }
            if (rows.Count == 0)
            {
                // Sep writes the header with the first row; an empty export still names its columns.
                text.Append(string.Join(',', Columns.Select(c => labels.Header(c)))).AppendLine();
            }
        }
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    /// <summary>Cells are written as text (the count as a number), which Excel never evaluates, so no guard is needed here.</summary>
    private static byte[] Xlsx(List<string[]> rows, MemberExportLabels labels)
    {
        using var sheet = new System.Data.DataTable("members");
        foreach (var column in Columns)
            sheet.Columns.Add(labels.Header(column), column == "messages" ? typeof(int) : typeof(string));
        foreach (var row in rows)
            sheet.Rows.Add([.. row.Select((cell, i) => Columns[i] == "messages" ? (object)int.Parse(cell, CultureInfo.InvariantCulture) : cell)]);
        using var stream = new MemoryStream();
        stream.SaveAs(sheet, sheetName: "members", excelType: ExcelType.XLSX);
        return stream.ToArray();
    }

    /// <summary>
    /// A spreadsheet reading a CSV runs a cell that starts with = + - @ (or a tab or carriage return) as a formula;
    /// a leading apostrophe makes it plain text (OWASP's advice for CSV injection).
    /// </summary>
    public static string DefuseFormula(string value) => Shequn.Platform.Exports.SafeCells.Text(value);
}
