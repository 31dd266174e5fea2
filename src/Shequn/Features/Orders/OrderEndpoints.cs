using Shequn.Platform.Api;
using Shequn.Platform;

namespace Shequn.Features.Orders;

/// <summary><c>/api/orders</c>: the list, the figures, the file import and the settings (docs/orders.md).</summary>
public static class OrderEndpoints
{
    public static void MapOrderEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        var group = api.MapGroup("/orders").WithTags("Orders");
        group.MapGet("/", ListAsync).WithName("ListOrders")
            .WithDescription("Orders, newest first. Filters: from, to (workspace days), status (paid, refunded, cancelled), matched (true/false), communityId "
                + "(attributed to), q (order id). Owners, sub-owners and admins; others 403. Money in yuan; phones masked except for owners and sub-owners.");
        group.MapGet("/summary", SummaryAsync).WithName("GetOrderSummary")
            .WithDescription("Figures for from..to (workspace days, default the last 30): orders, buyers, revenue, refunds, net, repurchase rate (buyers with ≥ 2 "
                + "orders), net per buyer, and the same per attributed community (communityId null: unattributed).");
        group.MapGet("/categories", CategoriesAsync).WithName("GetCategoryRevenue")
            .WithDescription("Figures by product category for from..to (workspace days, default the last 30): orders, buyers, revenue, refunds, net and its share "
                + "(an order's amount shared among its lines' categories by line amount), the top products, the category communities serving each, their members "
                + "in the period, how many of them bought the category while in one (conversion) and that net. Category null: lines without one.");
        group.MapPost("/category-communities", async (CategoryBoard board, CategoryCommunityInput? input, CancellationToken ct) =>
            {
                var r = await board.LinkAsync(input, ct);
                return r.Outcome == OrderOutcome.Done ? TypedResults.Created($"/api/orders/category-communities/{r.Value!.Id}", r.Value) : Answer(r);
            })
            .WithName("LinkCategoryCommunity").WithDescription("Makes a community a category community of a product category: {communityId, category} (the "
                + "category as order lines name it, matched ignoring case). 201 with the link; 400 naming the field; 409 when it already serves it.");
        group.MapDelete("/category-communities/{id:guid}", async (CategoryBoard board, Guid id, CancellationToken ct) =>
                await board.UnlinkAsync(id, ct) switch
                {
                    { Outcome: OrderOutcome.Done, Value: true } => Results.NoContent(),
                    { Outcome: OrderOutcome.Done } => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: CategoryBoard.NotFound),
                    var r => Answer(r),
                })
            .WithName("UnlinkCategoryCommunity").WithDescription("Removes a category community link (204; 404 when there is none you see).");
        group.MapPost("/import", ImportAsync).WithName("ImportOrders").DisableAntiforgery().WithBodyLimit(OrderFile.MaxBytes + BodyLimits.FormRoom)
            .WithDescription("Imports an orders file (multipart 'file': CSV or .xlsx, docs/orders.md). A bad row answers 400 naming the row and column, and "
                + "nothing is imported. An order id already stored takes the file's refunded and status; nothing else of it changes.");
        group.MapGet("/settings", async (OrderDesk desk, CancellationToken ct) =>
                await desk.SettingsAsync(ct) is { } s ? Results.Ok(s) : Forbidden(OrderDesk.NotAllowed))
            .WithName("GetOrderSettings").WithDescription("The attribution window (days) and whether a webhook secret exists, with the webhook's path.");
        group.MapPut("/settings", async (OrderDesk desk, OrderSettingsInput? input, CancellationToken ct) => Answer(await desk.SaveSettingsAsync(input, ct)))
            .WithName("UpdateOrderSettings").WithDescription("attributionDays (1–365; owner). Matched orders are attributed again with the new window.");
        group.MapPost("/webhook-secret", async (OrderDesk desk, CancellationToken ct) => Answer(await desk.RotateSecretAsync(ct), s => new { secret = s }))
            .WithName("RotateOrderWebhookSecret").WithDescription("Makes a new webhook secret (owner) and returns it this once; the old one stops working.");
        OrderHook.MapOrderHook(app);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);

    private static IResult Answer<T>(OrderResult<T> r, Func<T, object>? shape = null) => r.Outcome switch
    {
        OrderOutcome.Done => TypedResults.Ok(shape is null ? r.Value : shape(r.Value!)),
        OrderOutcome.Invalid => r.Validation.Problem(),
        OrderOutcome.Forbidden => Forbidden(r.Detail ?? OrderDesk.NotAllowed),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: r.Detail),
    };

    private static async Task<IResult> ListAsync(OrderDesk desk, string? from, string? to, string? status, bool? matched, Guid? communityId, string? q, int? page,
        int? pageSize, CancellationToken ct)
    {
        var v = new Validation();
        var statusValue = v.ParseEnum<OrderStatus>("status", status);
        DateTime? start = null, end = null;
        if (from is not null || to is not null)
        {
            var period = await desk.PeriodAsync(from, to, ct);
            if (!period.V.IsValid)
                return period.V.Problem();
            (start, end) = (from is null ? null : period.Period.From, to is null ? null : period.Period.To);
        }
        if (!v.IsValid)
            return v.Problem();
        return await desk.ListAsync(new OrderFilter(start, end, statusValue, matched, communityId, q), page, pageSize, ct) is { } rows
            ? TypedResults.Ok(rows) : Forbidden(OrderDesk.NotAllowed);
    }

    private static async Task<IResult> SummaryAsync(OrderDesk desk, string? from, string? to, CancellationToken ct)
    {
        var (period, v) = await desk.PeriodAsync(from, to, ct);
        if (!v.IsValid)
            return v.Problem();
        return await desk.SummaryAsync(period, ct) is { } s ? TypedResults.Ok(s) : Forbidden(OrderDesk.NotAllowed);
    }

    private static async Task<IResult> CategoriesAsync(OrderDesk desk, CategoryBoard board, string? from, string? to, CancellationToken ct)
    {
        var (period, v) = await desk.PeriodAsync(from, to, ct);
        if (!v.IsValid)
            return v.Problem();
        return await board.SummaryAsync(period, ct) is { } s ? TypedResults.Ok(s) : Forbidden(OrderDesk.NotAllowed);
    }

    private static async Task<IResult> ImportAsync(HttpRequest request, OrderDesk desk, CancellationToken ct)
    {
        if (!request.HasFormContentType)
            return new Validation().Add("file", "Required", "Send multipart/form-data with the orders file in 'file'.").Problem();
        var form = await request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file");
        byte[]? bytes = null;
        if (file is not null && file.Length <= OrderFile.MaxBytes)
        {
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }
        else if (file is not null)
            return new Validation().Add("file", "FileTooLarge", $"'file' is {file.Length:N0} bytes; at most {OrderFile.MaxBytes:N0}.", OrderFile.MaxBytes, file.Length).Problem();
        return Answer(await desk.ImportAsync(file?.FileName, bytes, ct));
    }
}
