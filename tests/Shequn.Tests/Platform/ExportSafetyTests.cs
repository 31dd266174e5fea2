using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CsvHelper;
using DocumentFormat.OpenXml.Packaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Platform.Exports;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Members.MemberTestData;
using Xl = DocumentFormat.OpenXml.Spreadsheet;

namespace Shequn.Tests.Platform;

/// <summary>
/// Exports (docs/security.md, "Exports"): a text cell a spreadsheet would run as a formula is written with a leading
/// apostrophe in CSV and in .xlsx, read back with other libraries than the writers (CsvHelper, not Sep; the Open XML SDK,
/// not MiniExcel); numbers stay numbers; and every export leaves an audit row naming who, which and how much.
/// </summary>
public abstract class ExportSafetyTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Display names as they would arrive from a chat platform, and what the export must show.</summary>
    private static readonly (string Name, string Shown)[] Risky =
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
    ];

    private const string RiskyTag = "-5";

    private async Task<TestWorkspace> RiskyMembersAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tag = await TagAsync(ws.Owner, RiskyTag);
        var ids = new List<Guid>();
        foreach (var (_, i) in Risky.Select((r, i) => (r, i)))
            ids.Add((await MemberAsync(ws.Owner, "placeholder" + i, tagIds: [tag.Id])).Id);
        // Written straight to the database: the API trims names, a platform's event does not have to.
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        for (var i = 0; i < Risky.Length; i++)
        {
            var id = ids[i];
            var name = Risky[i].Name;
            await db.Members.Where(m => m.Id == id).ExecuteUpdateAsync(s => s.SetProperty(m => m.DisplayName, name), Ct);
        }
        return ws;
    }

    [Fact]
    public async Task MemberCsv_RiskyNamesAndTags_ReadBackAsPlainText()
    {
        var ws = await RiskyMembersAsync();

        var response = await ws.Owner.Api.GetAsync("/api/members/export?format=csv", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        using var csv = new CsvReader(new StreamReader(new MemoryStream(bytes), Encoding.UTF8), CultureInfo.InvariantCulture);
        var rows = new Dictionary<string, (string Tags, string Messages)>(StringComparer.Ordinal);
        await csv.ReadAsync();
        csv.ReadHeader();
        while (await csv.ReadAsync())
            rows[csv.GetField("displayName")!] = (csv.GetField("tags")!, csv.GetField("messages")!);
        Assert.Equal(Risky.Select(r => r.Shown).Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        Assert.All(rows.Values, r => Assert.Equal("'" + RiskyTag, r.Tags)); // text that looks like a number is still text
        Assert.All(rows.Values, r => Assert.Equal("0", r.Messages)); // a number is written as a number
    }

    [Fact]
    public async Task MemberXlsx_RiskyNamesAndTags_ReadBackAsPlainTextWithoutFormulas()
    {
        var ws = await RiskyMembersAsync();

        var response = await ws.Owner.Api.GetAsync("/api/members/export?format=xlsx", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sheet = ReadXlsx(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.False(sheet.HasFormula, "a cell holds a formula");
        var header = sheet.Rows[0].Select(c => c.Text).ToList();
        var (name, tags, messages) = (header.IndexOf("displayName"), header.IndexOf("tags"), header.IndexOf("messages"));
        var body = sheet.Rows.Skip(1).ToList();
        // An XML reader turns a raw carriage return into a line feed (XML 1.0, end-of-line handling); the apostrophe stays.
        Assert.Equal(Risky.Select(r => r.Shown.Replace('\r', '\n')).Order(StringComparer.Ordinal), body.Select(r => r[name].Text).Order(StringComparer.Ordinal));
        Assert.All(body, r => Assert.Equal(("'" + RiskyTag, true), (r[tags].Text, r[tags].IsText)));
        Assert.All(body, r => Assert.Equal(("0", false), (r[messages].Text, r[messages].IsText)));
    }

    [Fact]
    public async Task MemberExport_Audited_WhoWhichWorkspaceAndSize()
    {
        var ws = await RiskyMembersAsync();
        var before = DateTime.UtcNow.AddSeconds(-1);

        await ws.Owner.Api.GetAsync("/api/members/export?format=xlsx&city=西安", Ct);

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        var entry = Assert.Single(await db.AuditEntries.Where(e => e.WorkspaceId == ws.Id && e.Action == ExportAudit.Action).ToListAsync(Ct));
        Assert.Equal("MemberList", entry.EntityType);
        Assert.Equal(ws.Owner.Id, entry.ActorId);
        Assert.True(entry.At >= before);
        using var after = JsonDocument.Parse(entry.After!);
        Assert.Equal("xlsx", after.RootElement.GetProperty("format").GetString());
        Assert.Equal(0, after.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal("西安", after.RootElement.GetProperty("city").GetString());
    }

    [Fact]
    public async Task ModerationLogExport_Audited()
    {
        var ws = await factory.NewWorkspaceAsync();

        var response = await ws.Owner.Api.GetAsync("/api/moderation/cases/export.csv", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        var entry = Assert.Single(await db.AuditEntries.Where(e => e.WorkspaceId == ws.Id && e.Action == ExportAudit.Action).ToListAsync(Ct));
        Assert.Equal(("ModerationLog", ws.Owner.Id), (entry.EntityType, entry.ActorId));
    }

    [Fact]
    public void ExportFiles_NumbersStayNumbers_TextIsGuarded()
    {
        var sheet = new ExportSheet("s", ["a", "=b"], [[-5, "-5"], [2.5, null]]);

        var csv = Encoding.UTF8.GetString(ExportFiles.Csv(sheet)[3..]);

        Assert.Equal("a,'=b\r\n-5,'-5\r\n2.5,\r\n", csv.ReplaceLineEndings("\r\n"));
    }

    private sealed record XlsxCell(string Text, bool IsText);

    private sealed record XlsxSheet(List<XlsxCell[]> Rows, bool HasFormula);

    /// <summary>The first worksheet, cell by cell, with whether each cell is text (shared or inline string) or a number.</summary>
    private static XlsxSheet ReadXlsx(byte[] bytes)
    {
        using var doc = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        var part = doc.WorkbookPart!;
        var shared = part.SharedStringTablePart?.SharedStringTable.Elements<Xl.SharedStringItem>().Select(i => i.InnerText).ToList() ?? [];
        var first = part.Workbook.Sheets!.Elements<Xl.Sheet>().First();
        var worksheet = ((WorksheetPart)part.GetPartById(first.Id!)).Worksheet;
        var rows = new List<XlsxCell[]>();
        var formula = false;
        foreach (var row in worksheet.Descendants<Xl.Row>())
        {
            var cells = row.Elements<Xl.Cell>().ToList();
            formula |= cells.Any(c => c.CellFormula is not null);
            // Placed by reference (A1, B1 …): a writer may leave empty cells out.
            var values = Enumerable.Repeat(new XlsxCell("", false), cells.Count == 0 ? 0 : cells.Max(c => Column(c.CellReference!.Value!)) + 1).ToArray();
            foreach (var c in cells)
            {
                values[Column(c.CellReference!.Value!)] = c.DataType?.Value == Xl.CellValues.SharedString
                    ? new XlsxCell(shared[int.Parse(c.CellValue!.Text, CultureInfo.InvariantCulture)], true)
                    : c.DataType?.Value == Xl.CellValues.InlineString || c.DataType?.Value == Xl.CellValues.String
                        ? new XlsxCell(c.InlineString?.InnerText ?? c.CellValue?.Text ?? "", true)
                        : new XlsxCell(c.CellValue?.Text ?? "", false);
            }
            rows.Add(values);
        }
        return new XlsxSheet(rows, formula);
    }

    private static int Column(string reference)
    {
        var column = 0;
        foreach (var ch in reference.TakeWhile(char.IsAsciiLetter))
            column = (column * 26) + (char.ToUpperInvariant(ch) - 'A' + 1);
        return column - 1;
    }
}

public sealed class ExportSafetyTests_Sqlite(SqliteFactory factory) : ExportSafetyTests(factory), IClassFixture<SqliteFactory>;

public sealed class ExportSafetyTests_Postgres(PostgresFactory factory) : ExportSafetyTests(factory), IClassFixture<PostgresFactory>;
