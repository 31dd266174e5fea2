using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Platform.Api;
using Shequn.Platform.Exports;

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
        var sheet = new ExportSheet("members", [.. Columns.Select(labels.Header)], [.. rows.Select(r => Cells(r, labels, zone))]);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture);
        var xlsx = parsedFormat == MemberExportFormat.Xlsx;
        await ExportAudit.RecordAsync(db, "MemberList", db.CurrentWorkspaceId, xlsx ? "xlsx" : "csv", rows.Count, new Dictionary<string, object?>
        {
            ["q"] = filter.Q, ["tagId"] = filter.TagId, ["communityId"] = filter.CommunityId, ["layer"] = filter.Layer, ["city"] = filter.City,
            ["industry"] = filter.Industry, ["stage"] = filter.Stage, ["sort"] = sort,
        }, ct);
        return xlsx
            ? (new MemberExportFile(ExportFiles.Xlsx([sheet]), ExportFiles.XlsxType, $"members-{stamp}.xlsx"), validation)
            : (new MemberExportFile(ExportFiles.Csv(sheet), ExportFiles.CsvType, $"members-{stamp}.csv"), validation);
    }

    /// <summary>The count is a number; everything else is text (the export guards text cells).</summary>
    private static object?[] Cells(MemberListItem r, MemberExportLabels labels, TimeZoneInfo zone) =>
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
        r.Messages,
    ];

    /// <summary>
    /// A spreadsheet reading a CSV runs a cell that starts with = + - @ (or a tab or carriage return) as a formula;
    /// a leading apostrophe makes it plain text (OWASP's advice for CSV injection). A whole file is written by
    /// <see cref="ExportFiles"/>, which does this to every text cell; this is for a single value shown elsewhere.
    /// </summary>
    public static string DefuseFormula(string value) => SafeCells.Text(value);
}
