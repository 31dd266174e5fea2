using Shequn.Features.Acquisition;
using Shequn.Platform.Api;

namespace Shequn.Features.Budget;

public sealed record CopyFixedInput(string? From, string? To);

/// <summary><c>/api/budget</c>: costs, the monthly cap and its alerts. Money in fen; months as yyyy-MM in the workspace's zone.</summary>
public static class BudgetEndpoints
{
    public static void MapBudgetEndpoints(RouteGroupBuilder api)
    {
        var budget = api.MapGroup("/budget").WithTags("Budget");
        budget.MapGet("/", Month).WithName("GetBudgetMonth")
            .WithDescription("A month's cap, spending (costs entered plus campaign rewards granted, at cost), fixed and floating, by category, the share "
                + "of the cap used and its alerts. month=yyyy-MM (default this month). Owners and sub-owners; others 403.");
        budget.MapPut("/cap", async (BudgetBook book, CapInput? input, CancellationToken ct) => AcquisitionEndpoints.Answer(await book.SetCapAsync(input, ct)))
            .WithName("SetBudgetCap").WithDescription("Sets the monthly cap (capFen) from fromMonth (yyyy-MM, default this month) on. Owner only.");
        budget.MapGet("/costs", Costs).WithName("ListCosts").WithDescription("A month's costs (month=yyyy-MM, default this month), newest first.");
        budget.MapPost("/costs", async (BudgetBook book, CostInput? input, CancellationToken ct) => AcquisitionEndpoints.Answer(await book.SaveCostAsync(null, input, ct), created: true))
            .WithName("CreateCost").WithDescription("Enters a cost: day (yyyy-MM-dd, not in the future), kind (fixed, floating), category (phones, partTimePay, "
                + "activityFunds, productRewards, advertising, tools, other), item, amountFen (> 0) or, for productRewards, quantity and unitCostFen "
                + "(what one cost the brand), and optionally campaignId, channelId, communityId, note. Owner only.");
        budget.MapPut("/costs/{id:guid}", async (BudgetBook book, Guid id, CostInput? input, CancellationToken ct) => AcquisitionEndpoints.Answer(await book.SaveCostAsync(id, input, ct)))
            .WithName("UpdateCost").WithDescription("Changes a cost (all fields).");
        budget.MapDelete("/costs/{id:guid}", Delete).WithName("DeleteCost").WithDescription("Removes a cost. Owner only.");
        budget.MapPost("/costs/copy-fixed", CopyFixed).WithName("CopyFixedCosts")
            .WithDescription("Copies one month's fixed costs (from=yyyy-MM) into another (to=yyyy-MM, not a future month), skipping those already there. Owner only.");
        budget.MapGet("/roi", Roi).WithName("GetRoi")
            .WithDescription("ROI (投入产出比) by=campaign|channel|community over from..to (workspace days, default this month so far): each row's paid "
                + "orders and net revenue attributed to it (docs/orders.md), its cost (costs charged to it, campaign rewards granted at cost, a channel's "
                + "stated cost) and roi = revenue ÷ cost (null without a cost); with the workspace's totals. Owner only.");
        budget.MapGet("/alerts", async (BudgetBook book, CancellationToken ct) => await book.OpenAlertsAsync(ct)).WithName("ListBudgetAlerts")
            .WithDescription("Alerts not yet acknowledged: a month's spending reached 80 % or 100 % of its cap.");
        budget.MapPost("/alerts/{id:guid}/acknowledge", async (BudgetBook book, Guid id, CancellationToken ct) =>
                AcquisitionEndpoints.Answer(await book.AcknowledgeAsync(id, ct))).WithName("AcknowledgeBudgetAlert");
    }

    private static async Task<IResult> Month(BudgetBook book, string? month, CancellationToken ct)
    {
        var v = new Validation();
        var m = await book.ParseMonthAsync(v, "month", month, ct);
        if (!v.IsValid)
            return v.Problem();
        return await book.MonthAsync(m!.Value, ct) is { } dto ? TypedResults.Ok(dto) : Forbidden();
    }

    private static async Task<IResult> Costs(BudgetBook book, string? month, CancellationToken ct)
    {
        var v = new Validation();
        var m = await book.ParseMonthAsync(v, "month", month, ct);
        if (!v.IsValid)
            return v.Problem();
        return await book.CostsAsync(m!.Value, ct) is { } rows ? TypedResults.Ok(rows) : Forbidden();
    }

    private static async Task<IResult> Roi(RoiBoard board, string? by, string? from, string? to, CancellationToken ct)
    {
        var (period, v) = await board.PeriodAsync(from, to, ct);
        var group = v.ParseEnum<RoiBy>("by", by) ?? RoiBy.Campaign;
        if (!v.IsValid)
            return v.Problem();
        return await board.ReportAsync(group, period, ct) is { } report
            ? TypedResults.Ok(report)
            : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Only the workspace owner reads ROI: it spans every community's money.");
    }

    private static async Task<IResult> CopyFixed(BudgetBook book, CopyFixedInput? input, CancellationToken ct)
    {
        var v = new Validation();
        if (string.IsNullOrWhiteSpace(input?.From))
            v.Add("from", "Required", "'from' is required (yyyy-MM).");
        if (string.IsNullOrWhiteSpace(input?.To))
            v.Add("to", "Required", "'to' is required (yyyy-MM).");
        var from = await book.ParseMonthAsync(v, "from", input?.From, ct);
        var to = await book.ParseMonthAsync(v, "to", input?.To, ct);
        if (!v.IsValid)
            return v.Problem();
        return AcquisitionEndpoints.Answer(await book.CopyFixedAsync(from!.Value, to!.Value, ct));
    }

    private static async Task<IResult> Delete(BudgetBook book, Guid id, CancellationToken ct)
    {
        var result = await book.DeleteCostAsync(id, ct);
        return result.Outcome == DeskOutcome.Saved ? TypedResults.NoContent() : AcquisitionEndpoints.Answer(result);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Only the workspace owner and sub-owners read the budget.");
}
