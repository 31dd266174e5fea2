using System.Globalization;
using MiniExcelLibs;
using nietras.SeparatedValues;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Orders;

/// <summary>One row of an orders file: its number in the file (the header is row 1) and its cells by column name.</summary>
public sealed record OrderFileRow(int Number, IReadOnlyDictionary<string, string?> Cells);

/// <summary>An order as read and checked, before it is stored.</summary>
public sealed record OrderDraft(string ExternalId, DateTime PlacedAt, long AmountFen, long RefundedFen, OrderStatus Status, string? Phone, ChatPlatform? Platform,
    string? PlatformUserId, string? ShareCode, List<OrderLineDraft> Lines, int Row);

public sealed record OrderLineDraft(string? Sku, string? ProductName, string? Category, int Quantity, long AmountFen);

/// <summary>
/// The orders file (docs/orders.md): CSV (UTF-8, comma) through Sep or the first sheet of an .xlsx through MiniExcel, one
/// row per order line with the order's columns repeated. Every row is checked before anything is stored; each error
/// names the row and the column.
/// </summary>
public static class OrderFile
{
    public const int MaxRows = 20_000;
    public const long MaxBytes = 10 * 1024 * 1024;

    /// <summary>
    /// The most an .xlsx may unpack to, by its zip directory. A real orders workbook unpacks to a few times its size; a
    /// file that unpacks to gigabytes from kilobytes (a zip bomb) is refused before any of it is inflated.
    /// </summary>
    public const long MaxUnpackedBytes = 200L * 1024 * 1024;

    public static readonly string[] Columns =
        ["order_id", "placed_at", "amount", "refunded", "status", "phone", "platform", "platform_user_id", "share_code", "sku", "product", "category", "quantity", "line_amount"];

    private static readonly string[] OrderColumns = ["placed_at", "amount", "refunded", "status", "phone", "platform", "platform_user_id", "share_code"];

    /// <summary>Reads CSV or xlsx (by the name's extension, else by the zip signature) into rows; a header error goes to <paramref name="v"/>.</summary>
    public static List<OrderFileRow> Read(string? fileName, byte[] bytes, Validation v)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(v);
        var xlsx = fileName?.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase) == true || (bytes.Length > 4 && bytes[0] == 'P' && bytes[1] == 'K');
        try
        {
            return xlsx ? ReadXlsx(bytes, v) : ReadCsv(bytes, v);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or IOException or ArgumentException)
        {
            v.Add("file", "OrderFileUnreadable", $"'file' could not be read as {(xlsx ? "an .xlsx workbook" : "CSV")}: {ex.Message}", ex.Message);
            return [];
        }
    }

    private static List<OrderFileRow> ReadCsv(byte[] bytes, Validation v)
    {
        var text = new System.Text.UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF');
        var rows = new List<OrderFileRow>();
        if (string.IsNullOrWhiteSpace(text))
        {
            v.Add("file", "OrderFileEmpty", "'file' is empty: a header row and one row per order line.");
            return rows;
        }
        using var reader = Sep.Reader(o => o with { Unescape = true, Trim = SepTrim.All, DisableColCountCheck = true }).FromText(text);
        var names = reader.Header.ColNames.Select(n => n.Trim().ToLowerInvariant()).ToList();
        if (!Header(names, v))
            return rows;
        foreach (var row in reader)
        {
            if (rows.Count >= MaxRows)
            {
                v.Add("file", "OrderFileTooMany", $"'file' has more than {MaxRows} rows; split it.", MaxRows);
                return rows;
            }
            var cells = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < names.Count && i < row.ColCount; i++)
                cells[names[i]] = Blank(row[i].ToString());
            rows.Add(new OrderFileRow(row.LineNumberFrom, cells));
        }
        return rows;
    }

    private static List<OrderFileRow> ReadXlsx(byte[] bytes, Validation v)
    {
        using var stream = new MemoryStream(bytes);
        long unpacked;
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read, leaveOpen: true))
            unpacked = zip.Entries.Sum(e => e.Length);
        if (unpacked > MaxUnpackedBytes)
        {
            v.Add("file", "OrderFileUnpacksTooLarge", $"'file' unpacks to {unpacked:N0} bytes; at most {MaxUnpackedBytes:N0} are read.", unpacked, MaxUnpackedBytes);
            return [];
        }
        stream.Position = 0;
        var rows = new List<OrderFileRow>();
        List<string>? names = null;
        var number = 0;
        foreach (IDictionary<string, object?> raw in stream.Query(useHeaderRow: false))
        {
            number++;
            var values = raw.Values.Select(Cell).ToList();
            if (names is null)
            {
                names = [.. values.Select(x => (x ?? "").Trim().ToLowerInvariant())];
                while (names.Count > 0 && names[^1].Length == 0)
                    names.RemoveAt(names.Count - 1);
                if (!Header(names, v))
                    return rows;
                continue;
            }
            if (rows.Count >= MaxRows)
            {
                v.Add("file", "OrderFileTooMany", $"'file' has more than {MaxRows} rows; split it.", MaxRows);
                return rows;
            }
            var cells = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < names.Count && i < values.Count; i++)
                if (names[i].Length > 0)
                    cells[names[i]] = Blank(values[i]);
            rows.Add(new OrderFileRow(number, cells));
        }
        if (names is null)
            v.Add("file", "OrderFileEmpty", "'file' is empty: a header row and one row per order line.");
        return rows;
    }

    // Excel keeps dates as dates and numbers as doubles: written back the way the CSV spells them.
    private static string? Cell(object? value) => value switch
    {
        null => null,
        DateTime d => d.ToString(d.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        double n => n.ToString("0.##########", CultureInfo.InvariantCulture),
        decimal n => n.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static bool Header(List<string> names, Validation v)
    {
        foreach (var unknown in names.Where(n => n.Length > 0 && !Columns.Contains(n)))
            v.Add("file", "OrderFileUnknownColumn", $"row 1: unknown column '{unknown}' (known: {string.Join(", ", Columns)}).", unknown, string.Join(", ", Columns));
        foreach (var required in new[] { "order_id", "placed_at", "amount" }.Where(c => !names.Contains(c)))
            v.Add("file", "OrderFileMissingColumn", $"row 1: the header has no '{required}' column.", required);
        return v.IsValid;
    }

    /// <summary>
    /// Checks the rows and groups them into orders (rows with one order id are its lines; their order columns must agree).
    /// Errors: field <c>file</c>, "row N, column C: why".
    /// </summary>
    public static List<OrderDraft> Check(List<OrderFileRow> rows, TimeZoneInfo zone, Validation v)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(v);
        var orders = new Dictionary<string, (OrderDraft Draft, OrderFileRow First)>(StringComparer.Ordinal);
        var list = new List<OrderDraft>();
        foreach (var row in rows)
        {
            if (row.Cells.Values.All(c => c is null))
                continue; // a blank line
            string? Get(string c) => row.Cells.GetValueOrDefault(c);
            void Bad(string column, Reason why) =>
                v.Add("file", "OrderRow", $"row {row.Number}, column {column}: {why.English}", row.Number, column, why);
            var id = Get("order_id");
            if (id is null)
            {
                Bad("order_id", new Reason("Orders.Why.Required", "required"));
                continue;
            }
            if (id.Length > Order.ExternalIdMaxLength)
            {
                Bad("order_id", new Reason("Orders.Why.TooLong", $"longer than {Order.ExternalIdMaxLength} characters", Order.ExternalIdMaxLength));
                continue;
            }
            var line = LineOf(Get, Bad);
            if (orders.TryGetValue(id, out var known))
            {
                // Later rows of an order add lines; their order columns are blank or the same as the first row's.
                foreach (var c in OrderColumns)
                {
                    if (Get(c) is { } value && value != known.First.Cells.GetValueOrDefault(c))
                        Bad(c, new Reason("Orders.Why.Differs", $"differs from row {known.First.Number} of the same order", known.First.Number));
                }
                if (line is not null)
                    known.Draft.Lines.Add(line);
                continue;
            }
            var draft = Fields(Get, Bad, zone, id, row.Number);
            if (draft is null)
                continue;
            if (line is not null)
                draft.Lines.Add(line);
            orders[id] = (draft, row);
            list.Add(draft);
        }
        return list;
    }

    private static OrderLineDraft? LineOf(Func<string, string?> get, Action<string, Reason> bad)
    {
        var (sku, product, category) = (get("sku"), get("product"), get("category"));
        var quantityText = get("quantity");
        var amountText = get("line_amount");
        if (sku is null && product is null && category is null && quantityText is null && amountText is null)
            return null;
        var ok = true;
        foreach (var (c, value) in new[] { ("sku", sku), ("product", product), ("category", category) })
        {
            if (value is { Length: > OrderLine.TextMaxLength })
            {
                bad(c, new Reason("Orders.Why.TooLong", $"longer than {OrderLine.TextMaxLength} characters", OrderLine.TextMaxLength));
                ok = false;
            }
        }
        var quantity = 1;
        if (quantityText is not null && (!int.TryParse(quantityText, NumberStyles.None, CultureInfo.InvariantCulture, out quantity) || quantity < 1))
        {
            bad("quantity", new Reason("Orders.Why.Quantity", $"'{quantityText}' is not a whole number of at least 1", quantityText));
            ok = false;
        }
        long amount = 0;
        if (amountText is not null && Fen(amountText) is not { } fen)
        {
            bad("line_amount", NotMoney(amountText));
            ok = false;
        }
        else if (amountText is not null)
            amount = Fen(amountText)!.Value;
        return ok ? new OrderLineDraft(sku, product, category, quantity, amount) : null;
    }

    private static OrderDraft? Fields(Func<string, string?> get, Action<string, Reason> bad, TimeZoneInfo zone, string id, int row)
    {
        var ok = true;
        var placedText = get("placed_at");
        DateTime placed = default;
        if (placedText is null)
        {
            bad("placed_at", new Reason("Orders.Why.Required", "required"));
            ok = false;
        }
        else if (Time(placedText, zone) is { } t)
            placed = t;
        else
        {
            bad("placed_at", new Reason("Orders.Why.Time", $"'{placedText}' is not a time (yyyy-MM-dd HH:mm[:ss] in the workspace's zone, or ISO 8601 with an offset)", placedText));
            ok = false;
        }
        var amountText = get("amount");
        long amount = 0;
        if (amountText is null)
        {
            bad("amount", new Reason("Orders.Why.Required", "required"));
            ok = false;
        }
        else if (Fen(amountText) is { } a)
            amount = a;
        else
        {
            bad("amount", NotMoney(amountText));
            ok = false;
        }
        var status = OrderStatus.Paid;
        if (get("status") is { } statusText && Status(statusText) is not { } s)
        {
            bad("status", new Reason("Orders.Why.Status", $"'{statusText}' is not paid, refunded or cancelled", statusText));
            ok = false;
        }
        else if (get("status") is { } st)
            status = Status(st)!.Value;
        long refunded = 0;
        if (get("refunded") is { } refundText)
        {
            if (Fen(refundText) is { } r)
                refunded = r;
            else
            {
                bad("refunded", NotMoney(refundText));
                ok = false;
            }
        }
        if (ok && refunded > amount)
        {
            bad("refunded", new Reason("Orders.Why.RefundOverAmount", "more than the amount"));
            ok = false;
        }
        string? phone = null;
        if (get("phone") is { } phoneText && (phone = CampaignLead.NormalizePhone(phoneText)) is null)
        {
            bad("phone", new Reason("Orders.Why.Phone", $"'{phoneText}' is not a phone number (11 digits starting with 1, or + and a country code)", phoneText));
            ok = false;
        }
        ChatPlatform? platform = null;
        var userId = get("platform_user_id");
        if (get("platform") is { } platformText)
        {
            if (Enum.TryParse<ChatPlatform>(platformText, ignoreCase: true, out var p) && Enum.IsDefined(p))
                platform = p;
            else
            {
                bad("platform", new Reason("Orders.Why.Platform", $"'{platformText}' is not sandbox, telegram, wecom or manual", platformText));
                ok = false;
            }
        }
        if (userId is not null && get("platform") is null)
        {
            bad("platform", new Reason("Orders.Why.PlatformNeeded", "required with platform_user_id"));
            ok = false;
        }
        if (userId is { Length: > Order.KeyMaxLength })
        {
            bad("platform_user_id", new Reason("Orders.Why.TooLong", $"longer than {Order.KeyMaxLength} characters", Order.KeyMaxLength));
            ok = false;
        }
        var share = get("share_code");
        if (share is { Length: > Order.ShareCodeMaxLength })
        {
            bad("share_code", new Reason("Orders.Why.TooLong", $"longer than {Order.ShareCodeMaxLength} characters", Order.ShareCodeMaxLength));
            ok = false;
        }
        if (!ok)
            return null;
        (status, refunded) = Settle(status, amount, refunded);
        return new OrderDraft(id, placed, amount, refunded, status, phone, platform, userId, share, [], row);
    }

    /// <summary>A refunded order without a refund amount is refunded in full; a full refund is status refunded.</summary>
    public static (OrderStatus, long) Settle(OrderStatus status, long amount, long refunded)
    {
        if (status == OrderStatus.Refunded && refunded == 0)
            refunded = amount;
        if (status == OrderStatus.Paid && amount > 0 && refunded == amount)
            status = OrderStatus.Refunded;
        return (status, refunded);
    }

    public static Reason NotMoney(string text) =>
        new("Orders.Why.Money", $"'{text}' is not an amount in yuan (digits, at most 2 decimals, not negative)", text);

    /// <summary>Yuan as written (<c>128</c>, <c>128.5</c>, <c>128.50</c>; ¥ and thousands commas allowed) in fen; null when not money.</summary>
    public static long? Fen(string text)
    {
        var t = text.Trim().TrimStart('¥', '￥').Replace(",", "", StringComparison.Ordinal);
        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var yuan))
            return null;
        return Fen(yuan);
    }

    public static long? Fen(decimal yuan) =>
        yuan < 0 || yuan > 10_000_000_000m || decimal.Round(yuan, 2) != yuan ? null : (long)(yuan * 100);

    public static OrderStatus? Status(string text) => text.Trim().ToLowerInvariant() switch
    {
        "paid" or "已支付" or "已付款" => OrderStatus.Paid,
        "refunded" or "已退款" => OrderStatus.Refunded,
        "cancelled" or "canceled" or "已取消" => OrderStatus.Cancelled,
        _ => null,
    };

    private static readonly string[] LocalFormats =
        ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd HH:mm", "yyyy-MM-dd", "yyyy/MM/dd"];

    private static readonly string[] OffsetFormats =
        ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mmK"];

    /// <summary>A time without an offset is in the workspace's zone; with one (or Z), as written. UTC out.</summary>
    public static DateTime? Time(string text, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        text = text.Trim();
        if (DateTime.TryParseExact(text, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
            return zone.IsInvalidTime(unspecified) ? null : TimeZoneInfo.ConvertTimeToUtc(unspecified, zone);
        }
        return OffsetTime(text);
    }

    /// <summary>ISO 8601 with an offset or Z only (the webhook: JSON bodies refuse times without an offset).</summary>
    public static DateTime? OffsetTime(string text)
    {
        text = text.Trim();
        // K also takes no offset at all (local time), which is exactly what must be refused.
        if (!System.Text.RegularExpressions.Regex.IsMatch(text, @"(Z|[+-]\d{2}:?\d{2})$"))
            return null;
        return DateTimeOffset.TryParseExact(text, OffsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at.UtcDateTime : null;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
