using Microsoft.Extensions.Localization;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Reports;

/// <summary>
/// <c>/api/reports</c>: the monthly evaluation report as a file, and the console's cookie-authenticated download of the
/// same file (<c>/reports/evaluation/download</c>, the API takes tokens only). Headers and sheet names follow the
/// requester's language (<c>?culture=en</c> or the console's culture cookie; Chinese otherwise).
/// </summary>
public static class ReportEndpoints
{
    public static void MapReportEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        api.MapGroup("/reports").WithTags("Reports").MapGet("/evaluation", Evaluation).WithName("GetEvaluationReport")
            .WithDescription("The monthly evaluation report (month=yyyy-MM in the workspace's zone, default this month): per community (members at month "
                + "end, new members, leaves, messages by members and staff, average daily speakers, questions, response rate and median seconds to "
                + "the first answer, feedback tickets opened and handled, paid orders and net revenue, costs charged) and per staff member (role, "
                + "communities, their communities' staff messages and response rate, answers they gave through Shequn, tickets handled). "
                + "format=xlsx (every sheet: communities, staff and categories, or the one named by sheet) or csv (one sheet: sheet=communities|staff|categories, default communities; UTF-8 with BOM). "
                + "Text cells that a spreadsheet would run as formulas are prefixed with an apostrophe. Owners (every community) and sub-owners "
                + "(their own); others 403. Each export is audited.")
            .Produces(StatusCodes.Status200OK, contentType: EvaluationExport.XlsxType, additionalContentTypes: "text/csv");
        app.MapGet("/reports/evaluation/download", Evaluation).RequireAuthorization().ExcludeFromDescription();
    }

    private static async Task<IResult> Evaluation(
        HttpContext http, EvaluationReport report, IStringLocalizer<Strings> l, string? month, string? format, string? sheet, CancellationToken ct)
    {
        var (file, validation) = await report.ExportAsync(month, format, sheet, key => l[key], ct);
        if (!validation.IsValid)
            return validation.Problem();
        if (file is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: "Only the workspace owner and sub-owners export the evaluation report.");
        // Staff figures: no proxy or browser cache keeps a copy.
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.File(file.Content, file.ContentType, file.FileName);
    }
}
