using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform;

namespace Shequn.Features.Orders;

/// <summary>A line of a webhook order (money in yuan).</summary>
public sealed record OrderHookLine(string? Sku, string? Product, string? Category, int? Quantity, decimal? Amount);

/// <summary>
/// The shop's webhook body (docs/orders.md "Webhook"). <see cref="Event"/> <c>order</c> (the default) delivers an
/// order once; <c>refund</c> sets the refunded total (and status) of an order already delivered.
/// </summary>
public sealed record OrderHookBody(string? Event, string? OrderId, string? PlacedAt, decimal? Amount, decimal? Refunded, string? Status, string? Phone,
    string? Platform, string? PlatformUserId, string? ShareCode, IReadOnlyList<OrderHookLine>? Lines);

/// <summary>stored (a new order), duplicate (that event was seen: nothing changed) or updated (a refund changed an order).</summary>
public sealed record OrderHookAnswer(string Result, Guid OrderId, bool Matched);

/// <summary>
/// <c>POST /hooks/orders/{workspace}</c>: the brand's shop sends orders, signed like Shequn's own refund requests to the
/// shop (<see cref="GroupRefunds"/>): <c>X-Shequn-Signature: sha256=&lt;hex HMAC-SHA256(secret, raw body)&gt;</c>, the
/// secret the workspace's owner made in the console (kept encrypted). The MAC is compared in fixed time before the body
/// is read as JSON; a missing or wrong one is 401 and nothing is stored. The order id is the idempotency key: a
/// replayed order is answered "duplicate" and changes nothing.
/// </summary>
public static class OrderHook
{
    public const string SignatureHeader = "X-Shequn-Signature";
    public const int MaxBodyBytes = 256 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    public static void MapOrderHook(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/hooks/orders/{workspace:guid}", ReceiveAsync).AllowAnonymous().DisableAntiforgery().WithTags("Orders").WithName("ReceiveOrderWebhook")
            .WithBodyLimit(MaxBodyBytes)
            .WithDescription("The shop's signed order webhook (docs/orders.md): X-Shequn-Signature: sha256=<hex HMAC-SHA256 of the raw body with the workspace's "
                + "webhook secret>. 401 when the signature is missing or wrong (nothing stored); event 'order' stores an order once (201 stored, 200 duplicate); "
                + "event 'refund' sets the refunded total of a known order (200 updated or duplicate; 404 unknown order id).");
    }

    /// <summary>The signature header's value for a body: what the shop sends.</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), body));

    public static async Task<IResult> ReceiveAsync(HttpRequest request, Guid workspace, AppDbContext db, IDataProtectionProvider protection, CampaignLinks links,
        TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(db);
        if (request.ContentLength > MaxBodyBytes)
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large", detail: $"At most {MaxBodyBytes:N0} bytes.");
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > MaxBodyBytes)
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large", detail: $"At most {MaxBodyBytes:N0} bytes.");
        var body = buffer.ToArray();
        var secret = await db.Set<OrderSettings>().IgnoreQueryFilters().AsNoTracking().Where(s => s.WorkspaceId == workspace)
            .Select(s => s.ProtectedWebhookSecret).FirstOrDefaultAsync(ct);
        if (!Verified(secret is null ? null : OrderDesk.Protector(protection).Unprotect(secret), body, request.Headers[SignatureHeader].ToString()))
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: $"The {SignatureHeader} header is missing or does not match the body signed with the workspace's webhook secret.");

        OrderHookBody? input;
        try
        {
            input = JsonSerializer.Deserialize<OrderHookBody>(body, Json);
        }
        catch (JsonException ex)
        {
            return new Validation().Add("body", "OrdersHookJson", $"The body is not the order JSON: {ex.Message}", ex.Message).Problem();
        }
        if (input is null)
            return new Validation().Add("body", "OrdersHookJson", "The body is not the order JSON.", "null").Problem();
        db.Current.ActAsSystem(workspace);
        var now = time.GetUtcNow().UtcDateTime;
        var kind = string.IsNullOrWhiteSpace(input.Event) ? "order" : input.Event.Trim().ToLowerInvariant();
        return kind switch
        {
            "order" => await OrderAsync(db, links, workspace, input, now, ct),
            "refund" => await RefundAsync(db, workspace, input, now, ct),
            _ => new Validation().Add("event", "OrdersHookEvent", $"'event' must be order or refund (got '{input.Event}').", input.Event ?? "").Problem(),
        };
    }

    private static bool Verified(string? secret, byte[] body, string header)
    {
        if (secret is null || !header.StartsWith("sha256=", StringComparison.Ordinal))
            return false;
        var hex = header["sha256=".Length..].Trim();
        if (hex.Length != 64)
            return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        var expected = HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private static async Task<IResult> OrderAsync(AppDbContext db, CampaignLinks links, Guid ws, OrderHookBody input, DateTime now, CancellationToken ct)
    {
        var v = new Validation();
        var draft = Check(input, v);
        if (draft is null || !v.IsValid)
            return v.Problem();
        if (await db.Set<Order>().AsNoTracking().Where(o => o.ExternalId == draft.ExternalId).Select(o => new { o.Id, o.MemberId }).FirstOrDefaultAsync(ct) is { } seen)
            return TypedResults.Ok(new OrderHookAnswer("duplicate", seen.Id, seen.MemberId is not null));
        var days = await OrderMatching.DaysAsync(db, ws, ct);
        var order = await OrderDesk.NewOrderAsync(new OrderMatching(db, links), ws, draft, OrderSource.Webhook, days, now, ct);
        db.Add(order);
        try
        {
            await db.SaveChangesWithoutAuditAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same order delivered twice at once: the other delivery stored it.
            db.ChangeTracker.Clear();
            var other = await db.Set<Order>().AsNoTracking().Where(o => o.ExternalId == draft.ExternalId).Select(o => new { o.Id, o.MemberId }).FirstOrDefaultAsync(ct);
            if (other is null)
                throw;
            return TypedResults.Ok(new OrderHookAnswer("duplicate", other.Id, other.MemberId is not null));
        }
        return TypedResults.Json(new OrderHookAnswer("stored", order.Id, order.MemberId is not null), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RefundAsync(AppDbContext db, Guid ws, OrderHookBody input, DateTime now, CancellationToken ct)
    {
        var v = new Validation();
        var id = input.OrderId?.Trim();
        v.Required("orderId", id, Order.ExternalIdMaxLength);
        long? refunded = null;
        if (input.Refunded is { } r && (refunded = OrderFile.Fen(r)) is null)
            v.Add("refunded", "OrdersHookField", $"'refunded': {OrderFile.NotMoney(r.ToString(System.Globalization.CultureInfo.InvariantCulture)).English}", r);
        OrderStatus? status = null;
        if (input.Status is { } st && (status = OrderFile.Status(st)) is null)
            v.Add("status", "OrdersHookField", $"'status' must be paid, refunded or cancelled (got '{st}').", st);
        if (v.IsValid && refunded is null && status is null)
            v.Add("refunded", "Required", "'refunded' (the total refunded so far, yuan) or 'status' is required for a refund.");
        if (!v.IsValid)
            return v.Problem();
        var order = await db.Set<Order>().SingleOrDefaultAsync(o => o.ExternalId == id, ct);
        if (order is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No order '{id}' was delivered to this workspace.");
        var total = refunded ?? (status == OrderStatus.Refunded ? order.AmountFen : order.RefundedFen);
        if (total > order.AmountFen)
            return new Validation().Add("refunded", "OrdersHookField", "'refunded' is more than the order's amount.", total).Problem();
        var (newStatus, newRefunded) = OrderFile.Settle(status ?? (total == order.AmountFen && total > 0 ? OrderStatus.Refunded : order.Status == OrderStatus.Refunded ? OrderStatus.Paid : order.Status),
            order.AmountFen, total);
        if (newStatus == order.Status && newRefunded == order.RefundedFen)
            return TypedResults.Ok(new OrderHookAnswer("duplicate", order.Id, order.MemberId is not null));
        (order.Status, order.RefundedFen, order.UpdatedAt) = (newStatus, newRefunded, now);
        await db.SaveChangesWithoutAuditAsync(ct);
        return TypedResults.Ok(new OrderHookAnswer("updated", order.Id, order.MemberId is not null));
    }

    private static OrderDraft? Check(OrderHookBody input, Validation v)
    {
        void Bad(string field, Reason why) => v.Add(field, "OrdersHookField", $"'{field}': {why.English}", why);
        var id = input.OrderId?.Trim();
        v.Required("orderId", id, Order.ExternalIdMaxLength);
        DateTime placed = default;
        if (string.IsNullOrWhiteSpace(input.PlacedAt))
            v.Add("placedAt", "Required", "'placedAt' is required (ISO 8601 with an offset).");
        else if (OrderFile.OffsetTime(input.PlacedAt) is { } t)
            placed = t;
        else
            Bad("placedAt", new Reason("Orders.Why.OffsetTime", $"'{input.PlacedAt}' is not ISO 8601 with an offset (2026-12-01T20:15:00+08:00)", input.PlacedAt));
        long amount = 0;
        if (input.Amount is null)
            v.Add("amount", "Required", "'amount' is required (yuan).");
        else if (OrderFile.Fen(input.Amount.Value) is { } a)
            amount = a;
        else
            Bad("amount", OrderFile.NotMoney(input.Amount.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        long refunded = 0;
        if (input.Refunded is { } r)
        {
            if (OrderFile.Fen(r) is { } f)
                refunded = f;
            else
                Bad("refunded", OrderFile.NotMoney(r.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        var status = OrderStatus.Paid;
        if (input.Status is { } st)
        {
            if (OrderFile.Status(st) is { } s)
                status = s;
            else
                Bad("status", new Reason("Orders.Why.Status", $"'{st}' is not paid, refunded or cancelled", st));
        }
        string? phone = null;
        if (!string.IsNullOrWhiteSpace(input.Phone) && (phone = CampaignLead.NormalizePhone(input.Phone)) is null)
            Bad("phone", new Reason("Orders.Why.Phone", $"'{input.Phone}' is not a phone number (11 digits starting with 1, or + and a country code)", input.Phone));
        ChatPlatform? platform = null;
        if (!string.IsNullOrWhiteSpace(input.Platform))
        {
            if (Enum.TryParse<ChatPlatform>(input.Platform, ignoreCase: true, out var p) && Enum.IsDefined(p))
                platform = p;
            else
                Bad("platform", new Reason("Orders.Why.Platform", $"'{input.Platform}' is not sandbox, telegram, wecom or manual", input.Platform));
        }
        var userId = string.IsNullOrWhiteSpace(input.PlatformUserId) ? null : input.PlatformUserId.Trim();
        if (userId is not null && platform is null && string.IsNullOrWhiteSpace(input.Platform))
            Bad("platform", new Reason("Orders.Why.PlatformNeeded", "required with platform_user_id"));
        v.MaxLength("platformUserId", userId, Order.KeyMaxLength);
        var share = string.IsNullOrWhiteSpace(input.ShareCode) ? null : input.ShareCode.Trim();
        v.MaxLength("shareCode", share, Order.ShareCodeMaxLength);
        var lines = new List<OrderLineDraft>();
        for (var i = 0; i < (input.Lines?.Count ?? 0); i++)
        {
            var l = input.Lines![i];
            var p = $"lines[{i}].";
            v.MaxLength(p + "sku", l.Sku, OrderLine.TextMaxLength).MaxLength(p + "product", l.Product, OrderLine.TextMaxLength)
                .MaxLength(p + "category", l.Category, OrderLine.TextMaxLength);
            if (l.Quantity is < 1)
                Bad(p + "quantity", new Reason("Orders.Why.Quantity", $"'{l.Quantity}' is not a whole number of at least 1", l.Quantity));
            long lineFen = 0;
            if (l.Amount is { } la && (lineFen = OrderFile.Fen(la) ?? -1) < 0)
                Bad(p + "amount", OrderFile.NotMoney(la.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            lines.Add(new OrderLineDraft(Trim(l.Sku), Trim(l.Product), Trim(l.Category), l.Quantity ?? 1, Math.Max(0, lineFen)));
        }
        if (v.IsValid && refunded > amount)
            Bad("refunded", new Reason("Orders.Why.RefundOverAmount", "more than the amount"));
        if (!v.IsValid)
            return null;
        (status, refunded) = OrderFile.Settle(status, amount, refunded);
        return new OrderDraft(id!, placed, amount, refunded, status, phone, platform, userId, share, lines, 0);
    }

    private static string? Trim(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
