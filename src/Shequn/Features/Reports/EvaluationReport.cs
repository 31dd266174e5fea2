using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Budget;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Feedback;
using Shequn.Features.Orders;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Exports;

namespace Shequn.Features.Reports;

public enum ReportSheetKind
{
    Communities,
    Staff,
    Categories,
}

public enum ReportFormat
{
    Xlsx,
    Csv,
}

/// <summary>
/// One sheet of the report: column keys (headers are looked up as <c>Reports.{Sheet}.{column}</c>) and rows whose cells
/// are text, whole numbers, decimals or null (not available: no questions asked, nothing to measure).
/// </summary>
public sealed record ReportSheet(ReportSheetKind Kind, IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows);

/// <summary>The report of one month over the communities the reader sees; <see cref="Complete"/> is false for the current month.</summary>
public sealed record EvaluationData(DateOnly Month, string TimeZone, bool Complete, ReportSheet Communities, ReportSheet Staff, ReportSheet Categories)
{
    public ReportSheet Sheet(ReportSheetKind kind) => kind switch
    {
        ReportSheetKind.Staff => Staff,
        ReportSheetKind.Categories => Categories,
        _ => Communities,
    };
}

/// <summary>A finished file: bytes, media type, name.</summary>
public sealed record ReportFile(byte[] Content, string ContentType, string FileName);

/// <summary>
/// The monthly evaluation report (product.md §1 and §3.8, issue 15): per community and per staff member, one month in
/// the workspace's zone, read from stored rows only (daily figures, memberships, questions, tickets, orders, costs),
/// never the event log. Owners see every community; sub-owners their own, and the staff assigned to them. Shared by
/// <c>GET /api/reports/evaluation</c> and the console's download on <c>/reports</c>.
/// </summary>
public sealed class EvaluationReport(AppDbContext db, OrderDesk orders, CategoryBoard categoryBoard, ResponseBoards responses, WorkspaceZones zones, TimeProvider time)
{
    public static readonly string[] CommunityColumns =
    [
        "community", "state", "membersAtMonthEnd", "newMembers", "leaves", "messages", "memberMessages", "staffMessages",
        "averageDailySpeakers", "questions", "responseRatePercent", "medianFirstAnswerSeconds", "ticketsOpened", "ticketsHandled",
        "orders", "netRevenueYuan", "costsYuan",
    ];

    /// <summary>The orders page's "by category" figures for the month (docs/orders.md); no rows for a reader who may not read orders.</summary>
    public static readonly string[] CategoryColumns =
    [
        "category", "orders", "buyers", "revenueYuan", "refundsYuan", "netRevenueYuan", "sharePercent", "communities",
        "communityMembers", "memberBuyers", "conversionPercent", "memberNetYuan",
    ];

    public static readonly string[] StaffColumns =
    [
        "name", "role", "communityCount", "communities", "staffMessagesInCommunities", "questionsInCommunities",
        "responseRatePercentInCommunities", "answersGiven", "medianFirstAnswerSeconds", "ticketsHandled",
    ];

    public static bool MayRead(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public async Task<DateOnly> ThisMonthAsync(CancellationToken ct)
    {
        var today = DailyFigures.DayOf(time.GetUtcNow().UtcDateTime, await zones.GetAsync(db.CurrentWorkspaceId, ct));
        return new DateOnly(today.Year, today.Month, 1);
    }

    /// <summary>A month as yyyy-MM, not after this one (blank: this month); a field error naming <paramref name="field"/> otherwise.</summary>
    public async Task<DateOnly?> ParseMonthAsync(Validation v, string field, string? text, CancellationToken ct)
    {
        var thisMonth = await ThisMonthAsync(ct);
        if (string.IsNullOrWhiteSpace(text))
            return thisMonth;
        if (!DateOnly.TryParseExact(text.Trim() + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month)
            || text.Trim().Length != 7)
        {
            v.Add(field, "MonthMalformed", $"'{field}' must be a month as yyyy-MM (got '{text}').", text);
            return null;
        }
        if (month > thisMonth)
        {
            v.Add(field, "MonthInFuture", $"'{field}' {text} has not begun in the workspace's time zone.", text);
            return null;
        }
        return month;
    }

    public static ReportFormat? ParseFormat(Validation v, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return ReportFormat.Xlsx;
        if (Enum.TryParse<ReportFormat>(text.Trim(), ignoreCase: true, out var f) && Enum.IsDefined(f) && !text.Any(char.IsDigit))
            return f;
        v.Add("format", "UnknownExportFormat", $"'format' has an unknown value '{text}'. Use xlsx or csv.", text);
        return null;
    }

    public static ReportSheetKind? ParseSheet(Validation v, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (Enum.TryParse<ReportSheetKind>(text.Trim(), ignoreCase: true, out var s) && Enum.IsDefined(s) && !text.Any(char.IsDigit))
            return s;
        v.Add("sheet", "UnknownSheet", $"'sheet' has an unknown value '{text}'. Use communities, staff or categories.", text);
        return null;
    }

    /// <summary>
    /// The file for a request: month (yyyy-MM), format (xlsx, the default, both sheets unless one is named; csv one sheet,
    /// communities unless staff is named). Null file with no errors: the reader may not see the report. Each export is
    /// written to the audit log.
    /// </summary>
    public async Task<(ReportFile? File, Validation Validation)> ExportAsync(
        string? month, string? format, string? sheet, Func<string, string> label, CancellationToken ct)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        var m = await ParseMonthAsync(v, "month", month, ct);
        var f = ParseFormat(v, format);
        var s = ParseSheet(v, sheet);
        if (!v.IsValid)
            return (null, v);
        if (!MayRead(me))
            return (null, v);
        var first = m!.Value;
        var data = await BuildAsync(me!, first, label, ct);
        var stamp = first.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        ReportFile file;
        if (f == ReportFormat.Csv)
        {
            var one = data.Sheet(s ?? ReportSheetKind.Communities);
            file = new ReportFile(EvaluationExport.Csv(one, label), ExportFiles.CsvType,
                $"evaluation-{stamp}-{one.Kind.ToString().ToLowerInvariant()}.csv");
        }
        else
        {
            ReportSheet[] sheets = s is { } only ? [data.Sheet(only)] : [data.Communities, data.Staff, data.Categories];
            file = new ReportFile(EvaluationExport.Xlsx(sheets, label), EvaluationExport.XlsxType, $"evaluation-{stamp}.xlsx");
        }

        // Reading figures changes nothing, but who took which month's staff figures out of the system is worth a trace.
        await ExportAudit.RecordAsync(db, "EvaluationReport", db.CurrentWorkspaceId, f.ToString()!.ToLowerInvariant(),
            data.Communities.Rows.Count + data.Staff.Rows.Count + data.Categories.Rows.Count, new Dictionary<string, object?>
            {
                ["month"] = stamp,
                ["sheet"] = f == ReportFormat.Csv ? (s ?? ReportSheetKind.Communities).ToString().ToLowerInvariant() : s?.ToString().ToLowerInvariant() ?? "all",
                ["communities"] = data.Communities.Rows.Count,
                ["staff"] = data.Staff.Rows.Count,
                ["categories"] = data.Categories.Rows.Count,
            }, ct);
        return (file, v);
    }

    /// <summary>The two sheets of <paramref name="month"/> over the communities <paramref name="me"/> sees; states and roles named through <paramref name="label"/>.</summary>
    public async Task<EvaluationData> BuildAsync(StaffProfile me, DateOnly month, Func<string, string> label, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(label);
        var seesAll = me.SeesAllCommunities;
        var ws = db.CurrentWorkspaceId;
        var zone = await zones.GetAsync(ws, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var today = DailyFigures.DayOf(now, zone);
        var last = month.AddMonths(1).AddDays(-1);
        var (start, end) = (DailyFigures.StartOf(month, zone), DailyFigures.StartOf(month.AddMonths(1), zone));
        // Days of the month that have begun: the average of a month under way is over the days so far.
        var daysSoFar = Math.Max(1, Math.Min(last.DayNumber, today.DayNumber) - month.DayNumber + 1);

        // Ordered here, not by the database: SQLite and PostgreSQL collate Chinese names differently.
        var communities = (await db.Visible(me).Where(c => c.WorkspaceId == ws && c.CreatedAt < end)
            .Select(c => new { c.Id, c.Name, c.State }).ToListAsync(ct)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var ids = communities.Select(c => c.Id).ToList();

        var figures = new Dictionary<Guid, IReadOnlyList<DayFigures>>();
        foreach (var c in communities)
            figures[c.Id] = await DailyFigures.ReadAsync(db, db.Communities.Where(x => x.Id == c.Id), month, last, zone, now, ct);

        var questions = await db.Set<MemberQuestion>().AsNoTracking()
            .Where(q => q.WorkspaceId == ws && ids.Contains(q.CommunityId) && q.DismissedAt == null && q.AskedAt >= start && q.AskedAt < end)
            .Select(q => new Question(q.CommunityId, q.AnswerSeconds, q.AnsweredByKind, q.AnsweredByUserId))
            .ToListAsync(ct);
        var target = (int)responses.For(db).Target.TotalSeconds;

        var tickets = await db.Set<FeedbackTicket>().AsNoTracking()
            .Where(t => t.WorkspaceId == ws && ids.Contains(t.CommunityId)
                && ((t.CreatedAt >= start && t.CreatedAt < end) || (t.ClosedAt != null && t.ClosedAt >= start && t.ClosedAt < end)))
            .Select(t => new { t.CommunityId, t.CreatedAt, t.ClosedAt, t.Status, t.AssignedStaffId })
            .ToListAsync(ct);
        bool Handled(FeedbackStatus status, DateTime? closed) =>
            status is FeedbackStatus.Resolved or FeedbackStatus.WontFix && closed >= start && closed < end;

        var period = new DayPeriod(month, last, start, end, zone);
        var revenue = (await orders.SummaryAsync(period, ct))?.Communities
            .Where(r => r.CommunityId is not null).ToDictionary(r => r.CommunityId!.Value);

        var costs = await db.Set<CostEntry>().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && c.CommunityId != null && ids.Contains(c.CommunityId.Value) && c.Day >= month && c.Day <= last)
            .GroupBy(c => c.CommunityId!.Value).Select(g => new { g.Key, Sum = g.Sum(c => c.AmountFen) })
            .ToDictionaryAsync(x => x.Key, x => x.Sum, ct);

        var communityRows = new List<object?[]>();
        foreach (var c in communities)
        {
            var days = figures[c.Id];
            var asked = questions.Where(q => q.CommunityId == c.Id).ToList();
            var (rate, median) = Responses(asked, target);
            var r = revenue?.GetValueOrDefault(c.Id);
            communityRows.Add(
            [
                c.Name,
                label($"CommunityState.{c.State}"),
                days.Count == 0 ? 0 : days[^1].Members,
                days.Sum(d => d.NewMembers),
                days.Sum(d => d.Leaves),
                days.Sum(d => d.Messages),
                days.Sum(d => d.MemberMessages),
                days.Sum(d => d.StaffMessages),
                Math.Round((decimal)days.Sum(d => d.ActiveMembers) / daysSoFar, 2),
                asked.Count,
                rate,
                median,
                tickets.Count(t => t.CommunityId == c.Id && t.CreatedAt >= start && t.CreatedAt < end),
                tickets.Count(t => t.CommunityId == c.Id && Handled(t.Status, t.ClosedAt)),
                // Orders are not for every reader (OrderDesk.MayRead); null is "not available", not zero.
                revenue is null ? null : r?.Orders ?? 0,
                revenue is null ? null : r?.Net ?? 0m,
                OrderDesk.Yuan(costs.GetValueOrDefault(c.Id)),
            ]);
        }

        // Staff: everyone on the workspace for its owner; for a sub-owner, themselves and whoever shares a community with them.
        var assignments = await db.CommunityStaff.AsNoTracking().Where(s => ids.Contains(s.CommunityId))
            .Select(s => new { s.StaffUserId, s.CommunityId }).ToListAsync(ct);
        var staffIds = assignments.Select(a => a.StaffUserId).Append(me.Id).ToHashSet();
        var staff = (await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && (u.IsActive || staffIds.Contains(u.Id)))
            .Where(u => seesAll || staffIds.Contains(u.Id))
            .Select(u => new { u.Id, u.DisplayName, u.Role }).ToListAsync(ct))
            .OrderBy(u => u.Role).ThenBy(u => u.DisplayName, StringComparer.Ordinal).ToList();
        var names = communities.ToDictionary(c => c.Id, c => c.Name);
        var staffRows = new List<object?[]>();
        foreach (var u in staff)
        {
            var mine = assignments.Where(a => a.StaffUserId == u.Id).Select(a => a.CommunityId).Distinct()
                .OrderBy(id => names[id], StringComparer.Ordinal).ToList();
            var inMine = questions.Where(q => mine.Contains(q.CommunityId)).ToList();
            var (rate, _) = Responses(inMine, target);
            // Staff are known to answers by the platform user id; a reply sent through Shequn carries the staff id.
            var answerer = ResponseTracker.StaffAnswerer(u.Id);
            var answers = questions.Where(q => q.Kind == AnswererKind.Staff && q.UserId == answerer && q.Seconds is not null)
                .Select(q => q.Seconds!.Value).Order().ToList();
            staffRows.Add(
            [
                u.DisplayName,
                label($"StaffRole.{u.Role}"),
                mine.Count,
                string.Join("; ", mine.Select(id => names[id])),
                mine.Sum(id => figures[id].Sum(d => d.StaffMessages)),
                inMine.Count,
                rate,
                answers.Count,
                ResponseBoard.Percentile(answers, 0.5),
                tickets.Count(t => t.AssignedStaffId == u.Id && Handled(t.Status, t.ClosedAt)),
            ]);
        }

        // By category, as the orders page shows them for the month (a category community's members and their net).
        var categoryRows = new List<object?[]>();
        foreach (var k in (await categoryBoard.SummaryAsync(period, ct))?.Categories ?? [])
        {
            categoryRows.Add(
            [
                k.Category ?? label("Reports.Categories.None"),
                k.Orders,
                k.Buyers,
                k.Revenue,
                k.Refunds,
                k.Net,
                k.Share is { } share ? Math.Round(100 * share, 2) : null,
                string.Join("; ", k.Communities.Select(c => c.CommunityName)),
                k.Members,
                k.MemberBuyers,
                k.Conversion is { } conversion ? Math.Round(100 * conversion, 2) : null,
                k.MemberNet,
            ]);
        }

        return new EvaluationData(month, zone.Id, month.AddMonths(1) <= today,
            new ReportSheet(ReportSheetKind.Communities, CommunityColumns, communityRows),
            new ReportSheet(ReportSheetKind.Staff, StaffColumns, staffRows),
            new ReportSheet(ReportSheetKind.Categories, CategoryColumns, categoryRows));
    }

    private sealed record Question(Guid CommunityId, int? Seconds, AnswererKind? Kind, string? UserId);

    /// <summary>As the responses page counts: rate = answered within the target ÷ asked, in percent; median over the answered.</summary>
    private static (decimal? Rate, int? Median) Responses(List<Question> asked, int target)
    {
        var seconds = asked.Where(q => q.Seconds is not null).Select(q => q.Seconds!.Value).Order().ToList();
        decimal? rate = asked.Count == 0 ? null : Math.Round(100m * seconds.Count(s => s <= target) / asked.Count, 1);
        return (rate, ResponseBoard.Percentile(seconds, 0.5));
    }
}
