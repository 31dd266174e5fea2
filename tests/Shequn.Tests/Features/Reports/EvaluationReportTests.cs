using System.Globalization;
using System.Net;
using CsvHelper;
using CsvHelper.Configuration;
using DocumentFormat.OpenXml.Packaging;
using Xl = DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Feedback;
using Shequn.Features.Members;
using Shequn.Features.Orders;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Reports;

/// <summary>
/// The monthly evaluation report over HTTP (issue 15): a seeded October in Asia/Shanghai, downloaded as .xlsx and read
/// back with the Open XML SDK (not MiniExcel, the writer) and as CSV read back with CsvHelper (not Sep): sheet names,
/// headers, hand-computed figures, formula-looking names neutralised, a sub-owner's scope, bad input naming its field.
/// </summary>
public abstract class EvaluationReportTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Month = "2026-10";

    /// <summary>A UTC moment given as Shanghai local time (UTC+8, no daylight saving).</summary>
    private static DateTime Sh(int month, int day, int hour, int minute = 0) => new DateTime(2026, month, day, hour, minute, 0, DateTimeKind.Utc).AddHours(-8);

    private sealed record Seeded(TestWorkspace Ws, Guid A, Guid B, TestStaff SubOwner);

    private async Task WithDbAsync(Guid ws, Func<AppDbContext, Task> act)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        await act(db);
        await db.SaveChangesWithoutAuditAsync(Ct);
    }

    /// <summary>
    /// Community A ("A 鱼油群", the sub-owner's) and B ("=1+1 群", a name a spreadsheet would run). Rows just outside
    /// October in Shanghai (Sept 30, Nov 1 local; 17:00 UTC on Oct 31 is already November) must not count.
    /// </summary>
    private async Task<Seeded> SeedAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;
        var a = (await (await api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("A 鱼油群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var b = (await (await api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("=1+1 群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "=cmd|' /C calc'!A0", a);

        await WithDbAsync(ws.Id, async db =>
        {
            // Made before the month, so that they belong in it.
            await db.Communities.Where(c => c.Id == a || c.Id == b).ExecuteUpdateAsync(u => u.SetProperty(c => c.CreatedAt, Sh(9, 1, 0)), Ct);

            db.AddRange(
                Figure(ws.Id, a, 9, 30, joins: 50, leaves: 0, messages: 99, staff: 9, speakers: 9),
                Figure(ws.Id, a, 10, 1, joins: 3, leaves: 0, messages: 10, staff: 4, speakers: 3),
                Figure(ws.Id, a, 10, 31, joins: 1, leaves: 1, messages: 20, staff: 5, speakers: 5),
                Figure(ws.Id, a, 11, 1, joins: 7, leaves: 0, messages: 70, staff: 7, speakers: 7),
                Figure(ws.Id, b, 10, 15, joins: 2, leaves: 0, messages: 6, staff: 0, speakers: 2));

            var m = Enumerable.Range(0, 5).Select(i => new Member { WorkspaceId = ws.Id, DisplayName = $"成员{i}" }).ToList();
            db.Members.AddRange(m);
            db.Memberships.AddRange(
                Stint(ws.Id, a, m[0].Id, Sh(9, 20, 10), null),            // still in: counts at month end
                Stint(ws.Id, a, m[1].Id, Sh(10, 1, 9), Sh(10, 31, 18)),   // left in October
                Stint(ws.Id, a, m[2].Id, Sh(11, 1, 1), null),             // joined in November (Oct 31, 17:00 UTC)
                Stint(ws.Id, a, m[3].Id, Sh(10, 5, 9), Sh(11, 2, 9)),     // left after the month: counts
                Stint(ws.Id, b, m[4].Id, Sh(10, 15, 9), null));

            var subAnswerer = ResponseTracker.StaffAnswerer(sub.Id);
            db.AddRange(
                Question(ws.Id, a, m[0].Id, Sh(10, 3, 10), 60, subAnswerer),
                Question(ws.Id, a, m[0].Id, Sh(10, 4, 10), 120, subAnswerer),
                Question(ws.Id, a, m[1].Id, Sh(10, 5, 10), 1000, "u9"),
                Question(ws.Id, a, m[3].Id, Sh(10, 6, 10), null, null),
                Question(ws.Id, a, m[3].Id, Sh(11, 1, 1), 10, subAnswerer),                    // November
                Question(ws.Id, a, m[3].Id, Sh(10, 7, 10), null, null, dismissed: true));       // not a question

            db.AddRange(
                Ticket(ws.Id, a, Sh(10, 10, 9), Sh(10, 12, 9), FeedbackStatus.Resolved, sub.Id),
                Ticket(ws.Id, a, Sh(10, 20, 9), null, FeedbackStatus.New, sub.Id),
                Ticket(ws.Id, a, Sh(9, 25, 9), Sh(10, 3, 9), FeedbackStatus.WontFix, sub.Id),
                Ticket(ws.Id, b, Sh(11, 1, 1), Sh(11, 1, 2), FeedbackStatus.Resolved, ws.Owner.Id));
        });

        async Task CostAsync(string day, long fen, Guid? community)
        {
            var r = await api.PostJsonAsync("/api/budget/costs", new { day, kind = "floating", category = "activityFunds", item = "红包", amountFen = fen, communityId = community });
            Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync(Ct));
        }
        await CostAsync("2026-10-08", 12_345, a);
        await CostAsync("2026-10-09", 5_000, null);
        await CostAsync("2026-11-02", 7_000, a);
        return new Seeded(ws, a, b, sub);
    }

    private static CommunityDailyFigure Figure(Guid ws, Guid c, int month, int day, int joins, int leaves, int messages, int staff, int speakers) => new()
    {
        WorkspaceId = ws, CommunityId = c, Day = new DateOnly(2026, month, day), Joins = joins, Leaves = leaves, Messages = messages,
        StaffMessages = staff, Speakers = speakers,
    };

    private static Membership Stint(Guid ws, Guid c, Guid member, DateTime joined, DateTime? left) =>
        new() { WorkspaceId = ws, CommunityId = c, MemberId = member, JoinedAt = joined, LeftAt = left };

    private static long _seq = 1_000;

    private static MemberQuestion Question(Guid ws, Guid c, Guid member, DateTime asked, int? seconds, string? by, bool dismissed = false) => new()
    {
        WorkspaceId = ws, CommunityId = c, MemberId = member, UserId = "asker", Text = "怎么吃？", AskedAt = asked, EventSeq = Interlocked.Increment(ref _seq),
        AnsweredAt = seconds is { } s ? asked.AddSeconds(s) : null, AnswerSeconds = seconds, AnsweredByKind = by is null ? null : AnswererKind.Staff,
        AnsweredByUserId = by, DismissedAt = dismissed ? asked.AddMinutes(1) : null,
    };

    private static FeedbackTicket Ticket(Guid ws, Guid c, DateTime created, DateTime? closed, FeedbackStatus status, Guid assigned) => new()
    {
        WorkspaceId = ws, CommunityId = c, Kind = FeedbackKind.Complaint, Source = FeedbackSource.Staff, Text = "发货慢", Department = "service",
        Status = status, AssignedStaffId = assigned, CreatedAt = created, UpdatedAt = closed ?? created, ClosedAt = closed,
    };

    [Fact]
    public async Task Xlsx_ReadBackWithOpenXml_HasBothSheetsHeadersAndHandComputedFigures_NamesNeutralised()
    {
        var s = await SeedAsync();

        var response = await s.Ws.Owner.Api.GetAsync($"/api/reports/evaluation?month={Month}&format=xlsx", Ct);

        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("evaluation-2026-10.xlsx", response.Content.Headers.ContentDisposition?.FileName ?? "", StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");

        var book = Workbook.Read(bytes);
        Assert.Equal(["社群", "员工", "品类"], book.Keys);
        Assert.Single(book["品类"]); // no orders in this month: the headings only
        Assert.False(book.HasFormula, "no cell of the report is a formula");

        var communities = book["社群"];
        Assert.Equal(
            ["社群", "状态", "月末成员数", "新增成员", "退群", "消息数", "成员消息", "员工消息", "日均发言人数", "成员提问", "应答率 %", "首次应答中位时长（秒）",
             "新建工单", "已处理工单", "订单数", "净收入（元）", "计入费用（元）"],
            communities[0]);
        Assert.Equal(3, communities.Count);
        // Ordinal order: '=' before 'A'. The formula-looking name comes out as text with an apostrophe.
        Assert.Equal(["'=1+1 群", "运营中", "1", "2", "0", "6", "6", "0", "0.06", "0", "", "", "0", "0", "0", "0", "0"], Normalised(communities[1]));
        // A: 4 joins, 1 leave, 30 messages (9 staff), speakers 8 over 31 days; 4 questions, 2 within 5 minutes; median of
        // 60, 120, 1000 is 120; 2 tickets opened, 2 closed in October; 123.45 yuan charged in October.
        Assert.Equal(["A 鱼油群", "运营中", "2", "4", "1", "30", "21", "9", "0.26", "4", "50", "120", "2", "2", "0", "0", "123.45"],
            Normalised(communities[2]));

        var staff = book["员工"];
        Assert.Equal(["姓名", "角色", "负责社群数", "负责社群", "所负责社群的员工消息", "所负责社群的成员提问", "所负责社群应答率 %", "本人首次应答数",
            "本人首次应答中位时长（秒）", "已处理工单"], staff[0]);
        Assert.Equal(3, staff.Count);
        Assert.Equal(["Owner", "总群主", "0", "", "0", "0", "", "0", "", "0"], Normalised(staff[1]));
        Assert.Equal(["'=cmd|' /C calc'!A0", "分群主", "1", "A 鱼油群", "9", "4", "50", "2", "60", "2"], Normalised(staff[2]));

        // The export is in the audit log.
        await WithDbAsync(s.Ws.Id, async db =>
            Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.EntityType == "EvaluationReport" && e.Action == "exported", Ct)));
    }

    [Fact]
    public async Task Csv_ReadBackWithCsvHelper_HasBomEnglishHeadersAndNeutralisedNames()
    {
        var s = await SeedAsync();

        var response = await s.Ws.Owner.Api.GetAsync($"/api/reports/evaluation?month={Month}&format=csv&sheet=staff&culture=en", Ct);

        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var staff = ReadCsv(bytes);
        Assert.Equal("Name", staff[0][0]);
        Assert.Equal("Response rate in their communities %", staff[0][6]);
        Assert.Equal(["'=cmd|' /C calc'!A0", "Sub-owner", "1", "A 鱼油群", "9", "4", "50", "2", "60", "2"], Normalised(staff[2]));

        var communities = ReadCsv(await (await s.Ws.Owner.Api.GetAsync($"/api/reports/evaluation?month={Month}&format=csv", Ct)).Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("社群", communities[0][0]);
        Assert.Equal("'=1+1 群", communities[1][0]);
        Assert.Equal(["A 鱼油群", "运营中", "2", "4", "1", "30", "21", "9", "0.26", "4", "50", "120", "2", "2", "0", "0", "123.45"], Normalised(communities[2]));
    }

    /// <summary>The categories sheet: the month's orders by category as the orders page has them (an order shared among
    /// its lines' categories, November's order left out), the category community's members, in CSV read back with CsvHelper.</summary>
    [Fact]
    public async Task Categories_Sheet_HasTheMonthsRevenueByCategory_AndItsCommunity()
    {
        var s = await SeedAsync();
        var api = s.Ws.Owner.Api;
        Assert.Equal(HttpStatusCode.Created, (await api.PostJsonAsync("/api/orders/category-communities", new { communityId = s.A, category = "鱼油" })).StatusCode);
        var csv = "order_id,placed_at,amount,refunded,status,phone,platform,platform_user_id,share_code,sku,product,category,quantity,line_amount\n"
            + "O-1,2026-10-10 10:00,150,,,13100131000,,,,FISH-1,鱼油胶囊,鱼油,1,100\n"
            + "O-1,,,,,,,,,NUT-1,坚果,零食,1,50\n"
            + "O-2,2026-10-12 10:00,60,20,,13200132000,,,,FISH-1,鱼油胶囊,鱼油,2,60\n"
            + "O-3,2026-11-01 10:00,99,,,13300133000,,,,FISH-1,鱼油胶囊,鱼油,1,99\n";
        using (var form = new MultipartFormDataContent())
        {
            var file = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(csv));
            file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
            form.Add(file, "file", "orders.csv");
            var imported = await api.PostAsync("/api/orders/import", form, Ct);
            Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync(Ct));
        }

        var response = await api.GetAsync($"/api/reports/evaluation?month={Month}&format=csv&sheet=categories", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Contains("evaluation-2026-10-categories.csv", response.Content.Headers.ContentDisposition?.FileName ?? "", StringComparison.Ordinal);
        var rows = ReadCsv(bytes);
        Assert.Equal(["品类", "订单数", "购买人数", "收入（元）", "退款（元）", "净收入（元）", "净收入占比 %", "类目社群", "类目社群成员", "在群内购买的成员",
            "群内转化率 %", "群成员净收入（元）"], rows[0]);
        Assert.Equal(3, rows.Count);
        // 鱼油: O-1's line of 100 and O-2's 60 less its 20 refunded = 140 of 190 net; A's members in October are three
        // (one joined in November), none of whom bought (the orders' phones are no member's). 零食: O-1's other 50.
        var board = await (await api.GetAsync("/api/orders/categories?from=2026-10-01&to=2026-10-31", Ct)).ReadAsync<CategorySummary>();
        var fish = board.Categories.Single(k => k.Category == "鱼油");
        Assert.Equal(["鱼油", "2", fish.Buyers.ToString(CultureInfo.InvariantCulture), "160", "20", "140", "73.68", "A 鱼油群", "3", "0", "0", "0"], Normalised(rows[1]));
        Assert.Equal(["零食", "1", board.Categories.Single(k => k.Category == "零食").Buyers.ToString(CultureInfo.InvariantCulture), "50", "0", "50", "26.32", "", "0", "0", "", "0"],
            Normalised(rows[2]));
    }

    [Fact]
    public async Task SubOwner_GetsOnlyTheirCommunitiesAndStaff_OperatorIsRefused()
    {
        var s = await SeedAsync();

        var response = await s.SubOwner.Api.GetAsync($"/api/reports/evaluation?month={Month}", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(bytes));
        var book = Workbook.Read(bytes);
        Assert.Equal(["A 鱼油群"], book["社群"].Skip(1).Select(r => r[0]));
        Assert.Equal(["'=cmd|' /C calc'!A0"], book["员工"].Skip(1).Select(r => r[0]));

        var op = await s.Ws.AddStaffAsync(StaffRole.Operator, "运营", s.A);
        var refused = await op.Api.GetAsync($"/api/reports/evaluation?month={Month}", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task ConsoleDownload_SignedOutRedirectsToSignIn_SignedInGetsTheSameFileInEnglish()
    {
        var s = await SeedAsync();
        using var anonymous = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var refused = await anonymous.GetAsync($"/reports/evaluation/download?month={Month}", Ct);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/login", refused.Headers.Location?.PathAndQuery ?? "", StringComparison.Ordinal);

        var response = await s.Ws.Owner.Api.GetAsync($"/reports/evaluation/download?month={Month}&format=xlsx&culture=en", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(bytes));
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
        var book = Workbook.Read(bytes);
        Assert.Equal(["Communities", "Staff", "Categories"], book.Keys);
        Assert.Equal("Members at month end", book["Communities"][0][2]);
        Assert.Equal(["'=1+1 群", "A 鱼油群"], book["Communities"].Skip(1).Select(r => r[0]));
    }

    [Theory]
    [InlineData("month=2026-13", "month")]
    [InlineData("month=oct", "month")]
    [InlineData("month=2999-01", "month")]
    [InlineData("month=2026-10&format=pdf", "format")]
    [InlineData("month=2026-10&format=csv&sheet=money", "sheet")]
    public async Task BadInput_Is400NamingTheField(string query, string field)
    {
        var ws = await factory.NewWorkspaceAsync();
        var errors = await (await ws.Owner.Api.GetAsync($"/api/reports/evaluation?{query}", Ct)).ReadValidationErrorsAsync();
        Assert.Equal([field], errors.Keys);
    }

    /// <summary>Numbers as the sheet stores them ("50", "50.0" or "5E1" are one value): compared as decimals in invariant text.</summary>
    private static string[] Normalised(string[] row) =>
        [.. row.Select(c => decimal.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !c.StartsWith('\'')
            ? d.ToString("0.##", CultureInfo.InvariantCulture) : c)];

    private static List<string[]> ReadCsv(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { HasHeaderRecord = false });
        var rows = new List<string[]>();
        while (csv.Read())
            rows.Add(csv.Parser.Record!);
        return rows;
    }

    /// <summary>Reads an .xlsx with the Open XML SDK: each sheet (in workbook order) as rows of cell text, empty for a missing cell.</summary>
    private sealed class Workbook
    {
        public List<string> Keys { get; } = [];
        public bool HasFormula { get; private set; }
        private readonly Dictionary<string, List<string[]>> _sheets = [];

        public List<string[]> this[string name] => _sheets[name];

        public static Workbook Read(byte[] bytes)
        {
            var result = new Workbook();
            using var doc = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
            var part = doc.WorkbookPart!;
            var shared = part.SharedStringTablePart?.SharedStringTable.Elements<Xl.SharedStringItem>().Select(i => i.InnerText).ToList() ?? [];
            foreach (var sheet in part.Workbook.Sheets!.Elements<Xl.Sheet>())
            {
                var ws = ((WorksheetPart)part.GetPartById(sheet.Id!)).Worksheet;
                var rows = new List<string[]>();
                foreach (var row in ws.Descendants<Xl.Row>())
                {
                    var cells = row.Elements<Xl.Cell>().ToList();
                    result.HasFormula |= cells.Any(c => c.CellFormula is not null);
                    var width = cells.Count == 0 ? 0 : cells.Max(c => Column(c.CellReference!.Value!)) + 1;
                    var values = Enumerable.Repeat("", width).ToArray();
                    foreach (var c in cells)
                        values[Column(c.CellReference!.Value!)] = Text(c, shared);
                    rows.Add(values);
                }
                var widest = rows.Count == 0 ? 0 : rows.Max(r => r.Length);
                result._sheets[sheet.Name!.Value!] = [.. rows.Select(r => r.Length == widest ? r : [.. r, .. Enumerable.Repeat("", widest - r.Length)])];
                result.Keys.Add(sheet.Name!.Value!);
            }
            return result;
        }

        private static string Text(Xl.Cell c, List<string> shared)
        {
            if (c.DataType?.Value == Xl.CellValues.SharedString)
                return shared[int.Parse(c.CellValue!.Text, CultureInfo.InvariantCulture)];
            if (c.DataType?.Value == Xl.CellValues.InlineString)
                return c.InlineString?.InnerText ?? "";
            return c.CellValue?.Text ?? "";
        }

        private static int Column(string reference)
        {
            var n = 0;
            foreach (var ch in reference.TakeWhile(char.IsLetter))
                n = (n * 26) + (char.ToUpperInvariant(ch) - 'A' + 1);
            return n - 1;
        }
    }
}

public sealed class EvaluationReportTests_Sqlite(SqliteFactory factory) : EvaluationReportTests(factory), IClassFixture<SqliteFactory>;

public sealed class EvaluationReportTests_Postgres(PostgresFactory factory) : EvaluationReportTests(factory), IClassFixture<PostgresFactory>;
