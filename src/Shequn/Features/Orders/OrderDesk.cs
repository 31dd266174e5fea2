using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Orders;

public enum OrderOutcome
{
    Done,
    Invalid,
    Forbidden,
    Conflict,
}

public sealed record OrderResult<T>(OrderOutcome Outcome, Validation Validation, T? Value = default, string? Detail = null);

/// <param name="Imported">New orders stored.</param>
/// <param name="Updated">Orders already stored whose refund or status the file changed.</param>
/// <param name="Unchanged">Orders already stored, as the file has them.</param>
/// <param name="Matched">New orders whose member was found at once.</param>
public sealed record OrderImportResult(int Imported, int Updated, int Unchanged, int Matched);

public sealed record OrderLineDto(string? Sku, string? ProductName, string? Category, int Quantity, decimal Amount);

public sealed record OrderDto(Guid Id, string OrderId, DateTime PlacedAt, decimal Amount, decimal Refunded, OrderStatus Status, OrderSource Source,
    Guid? MemberId, string? MemberName, OrderMatch? MatchedBy, string? Phone, OrderTouch? Touch, DateTime? TouchAt, Guid? CommunityId, string? CommunityName,
    string? Channel, Guid? LiveCodeId, Guid? CampaignId, string? CampaignName, Guid? InviterMemberId, int? AttributionDays, IReadOnlyList<OrderLineDto> Lines);

public sealed record OrderFilter(DateTime? From = null, DateTime? To = null, OrderStatus? Status = null, bool? Matched = null, Guid? CommunityId = null, string? Q = null);

/// <summary>One community's figures; <see cref="CommunityId"/> null is the orders attributed to none.</summary>
public sealed record CommunityRevenue(Guid? CommunityId, string? Name, int Orders, int Buyers, decimal Revenue, decimal Refunds, decimal Net, decimal? NetPerBuyer,
    decimal? RepurchaseRate);

/// <summary>The period's figures (docs/orders.md "Figures"): money in yuan, rates 0–1 (null without buyers).</summary>
public sealed record OrderSummary(DateOnly From, DateOnly To, string TimeZone, int Orders, int Buyers, int RepeatBuyers, decimal Revenue, decimal Refunds, decimal Net,
    decimal? RepurchaseRate, decimal? NetPerBuyer, int Unmatched, int Unattributed, int AttributionDays, IReadOnlyList<CommunityRevenue> Communities);

public sealed record OrderSettingsDto(int AttributionDays, bool HasWebhookSecret, DateTime? WebhookSecretAt, string WebhookPath);

public sealed record OrderSettingsInput(int? AttributionDays);

/// <summary>
/// Orders and revenue (issue 15): the one class the API (<c>/api/orders</c>) and the console (<c>/orders</c>) call.
/// Owners, sub-owners and admins read and import; the owner changes the settings and the webhook secret; operators
/// and KOCs see nothing. Whoever does not see every community sees the orders attributed to a community she sees or
/// bought by a member of one.
/// </summary>
public sealed class OrderDesk(AppDbContext db, CampaignLinks links, WorkspaceZones zones, IDataProtectionProvider protection, TimeProvider time)
{
    public const string NotAllowed = "Orders are read by owners, sub-owners and admins.";
    public const string OwnerOnly = "Only the owner changes the order settings and the webhook secret.";

    public static bool MayRead(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;

    public static bool MayManage(StaffProfile? me) => me?.Role is StaffRole.Owner;

    public static IDataProtector Protector(IDataProtectionProvider provider) =>
        (provider ?? throw new ArgumentNullException(nameof(provider))).CreateProtector("Shequn.Orders.Webhook.v1");

    public static string WebhookPath(Guid workspaceId) => $"/hooks/orders/{workspaceId}";

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    public async Task<OrderResult<OrderImportResult>> ImportAsync(string? fileName, byte[]? bytes, CancellationToken ct = default)
    {
        var v = new Validation();
        if (!MayRead(await MeAsync(ct)))
            return new(OrderOutcome.Forbidden, v, Detail: NotAllowed);
        if (bytes is null || bytes.Length == 0)
            return new(OrderOutcome.Invalid, v.Add("file", "Required", "'file' is required: a CSV or .xlsx orders file (docs/orders.md)."));
        if (bytes.Length > OrderFile.MaxBytes)
            return new(OrderOutcome.Invalid, v.Add("file", "FileTooLarge", $"'file' is {bytes.Length:N0} bytes; at most {OrderFile.MaxBytes:N0}.", OrderFile.MaxBytes, bytes.Length));
        var ws = db.CurrentWorkspaceId;
        var zone = await zones.GetAsync(ws, ct);
        var rows = OrderFile.Read(fileName, bytes, v);
        var drafts = v.IsValid ? OrderFile.Check(rows, zone, v) : [];
        if (v.IsValid && drafts.Count == 0)
            v.Add("file", "OrderFileEmpty", "'file' has no orders: a header row and one row per order line.");
        if (!v.IsValid)
            return new(OrderOutcome.Invalid, v);

        var ids = drafts.Select(d => d.ExternalId).ToList();
        var known = new Dictionary<string, Order>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(500))
        {
            foreach (var o in await db.Set<Order>().Where(o => chunk.Contains(o.ExternalId)).ToListAsync(ct))
                known[o.ExternalId] = o;
        }
        var now = Now;
        var days = await OrderMatching.DaysAsync(db, ws, ct);
        var matching = new OrderMatching(db, links);
        int imported = 0, updated = 0, unchanged = 0, matched = 0;
        foreach (var d in drafts)
        {
            if (known.TryGetValue(d.ExternalId, out var stored))
            {
                // A re-imported order: the file's refund and status are the truth now; what it was first stored with stays.
                if (stored.RefundedFen == d.RefundedFen && stored.Status == d.Status)
                {
                    unchanged++;
                    continue;
                }
                var (status, refunded) = OrderFile.Settle(d.Status, stored.AmountFen, Math.Min(d.RefundedFen, stored.AmountFen));
                (stored.Status, stored.RefundedFen, stored.UpdatedAt) = (status, refunded, now);
                updated++;
                continue;
            }
            var order = await NewOrderAsync(matching, ws, d, OrderSource.Import, days, now, ct);
            if (order.MemberId is not null)
                matched++;
            db.Add(order);
            imported++;
        }
        try
        {
            await db.SaveChangesAsync(ct); // one transaction: every order of the file or none
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return new(OrderOutcome.Conflict, v, Detail: "Some of these orders were stored by someone else meanwhile; nothing was imported. Import the file again.");
        }
        return new(OrderOutcome.Done, v, new OrderImportResult(imported, updated, unchanged, matched));
    }

    /// <summary>An order made from a checked draft, matched and attributed when its member is known. Not added.</summary>
    internal static async Task<Order> NewOrderAsync(OrderMatching matching, Guid ws, OrderDraft d, OrderSource source, int days, DateTime now, CancellationToken ct)
    {
        var order = new Order
        {
            WorkspaceId = ws, ExternalId = d.ExternalId, PlacedAt = d.PlacedAt, AmountFen = d.AmountFen, RefundedFen = d.RefundedFen, Status = d.Status,
            Source = source, Phone = d.Phone, Platform = d.Platform, PlatformUserId = d.PlatformUserId, ShareCode = d.ShareCode, CreatedAt = now, UpdatedAt = now,
        };
        // A single line without its own amount is the whole order.
        var lines = d.Lines.Count == 1 && d.Lines[0].AmountFen == 0 ? [d.Lines[0] with { AmountFen = d.AmountFen }] : d.Lines;
        order.Lines = [.. lines.Select((l, i) => new OrderLine
        {
            WorkspaceId = ws, OrderId = order.Id, Position = i, Sku = l.Sku, ProductName = l.ProductName, Category = l.Category, Quantity = l.Quantity, AmountFen = l.AmountFen,
        })];
        var buyer = await matching.FindAsync(ws, d.Phone, d.Platform, d.PlatformUserId, d.ShareCode, ct);
        var attribution = buyer.MemberId is { } member
            ? await matching.AttributeAsync(ws, member, d.PlacedAt, days, buyer.SharedCampaignId, buyer.SharedByMemberId, ct) : null;
        OrderMatching.Apply(order, buyer, attribution, days, now);
        return order;
    }

    /// <summary>Orders the viewer may see (see the class summary).</summary>
    private IQueryable<Order> Scope(StaffProfile me) => Scope(db, me);

    /// <summary>The orders <paramref name="me"/> reads (see the class's summary).</summary>
    internal static IQueryable<Order> Scope(AppDbContext db, StaffProfile me)
    {
        var orders = db.Set<Order>().AsNoTracking();
        if (me.SeesAllCommunities)
            return orders;
        var visible = db.Visible(me).Select(c => c.Id);
        return orders.Where(o => (o.CommunityId != null && visible.Contains(o.CommunityId.Value))
            || (o.MemberId != null && db.Memberships.Any(m => m.MemberId == o.MemberId && visible.Contains(m.CommunityId))));
    }

    private static IQueryable<Order> Filtered(IQueryable<Order> q, OrderFilter f)
    {
        if (f.From is { } from)
            q = q.Where(o => o.PlacedAt >= from);
        if (f.To is { } to)
            q = q.Where(o => o.PlacedAt < to);
        if (f.Status is { } status)
            q = q.Where(o => o.Status == status);
        if (f.Matched is { } matched)
            q = matched ? q.Where(o => o.MemberId != null) : q.Where(o => o.MemberId == null);
        if (f.CommunityId is { } community)
            q = q.Where(o => o.CommunityId == community);
        if (f.Q?.Trim() is { Length: > 0 } text)
            q = q.Where(o => o.ExternalId.Contains(text));
        return q;
    }

    public async Task<Page<OrderDto>?> ListAsync(OrderFilter filter, int? page, int? pageSize, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return null;
        var rows = await Filtered(Scope(me!), filter).Include(o => o.Lines).OrderByDescending(o => o.PlacedAt).ThenByDescending(o => o.Id).ToPageAsync(page, pageSize, ct);
        var memberIds = rows.Items.Where(o => o.MemberId != null).Select(o => o.MemberId!.Value).Distinct().ToList();
        var members = await db.Members.AsNoTracking().Where(m => memberIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        var communityIds = rows.Items.Where(o => o.CommunityId != null).Select(o => o.CommunityId!.Value).Distinct().ToList();
        var communities = await db.Communities.AsNoTracking().Where(c => communityIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var campaignIds = rows.Items.Where(o => o.CampaignId != null).Select(o => o.CampaignId!.Value).Distinct().ToList();
        var campaigns = await db.Set<Campaign>().AsNoTracking().Where(c => campaignIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var plain = Profiles.ProfileValues.MayReveal(me);
        return new Page<OrderDto>([.. rows.Items.Select(o => new OrderDto(o.Id, o.ExternalId, o.PlacedAt, Yuan(o.AmountFen), Yuan(o.RefundedFen), o.Status, o.Source,
                o.MemberId, o.MemberId is { } m ? members.GetValueOrDefault(m) : null, o.MatchedBy,
                o.Phone is null ? null : plain ? o.Phone : CampaignLead.Masked(o.Phone), o.Touch, o.TouchAt,
                o.CommunityId, o.CommunityId is { } c ? communities.GetValueOrDefault(c) : null, o.Channel, o.LiveCodeId,
                o.CampaignId, o.CampaignId is { } k ? campaigns.GetValueOrDefault(k) : null, o.InviterMemberId, o.AttributionDays,
                [.. o.Lines.OrderBy(l => l.Position).Select(l => new OrderLineDto(l.Sku, l.ProductName, l.Category, l.Quantity, Yuan(l.AmountFen)))]))],
            rows.Total, rows.PageNumber, rows.PageSize);
    }

    /// <summary>The period's bounds in the workspace's days (default: the last 30 days, today included).</summary>
    public async Task<(DayPeriod Period, Validation V)> PeriodAsync(string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        return (DayPeriod.Read(v, from, to, zone, Now, today => today.AddDays(-29), "OrdersPeriod"), v);
    }

    /// <summary>
    /// Figures of the orders placed from <paramref name="first"/> to <paramref name="last"/> (workspace days, both
    /// included). A paid order counts as an order; refunded and cancelled ones do not. Revenue is the amount of paid and
    /// refunded orders, net that less refunds. A buyer is the matched member, else the order's phone, platform user or
    /// order id; repurchase rate is the share of buyers with at least two orders in the period.
    /// </summary>
    public async Task<OrderSummary?> SummaryAsync(DayPeriod period, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(period);
        var (first, last, from, to, zone) = (period.First, period.Last, period.From, period.To, period.Zone);
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return null;
        var rows = await Scope(me!).Where(o => o.PlacedAt >= from && o.PlacedAt < to)
            .Select(o => new { o.ExternalId, o.MemberId, o.Phone, o.Platform, o.PlatformUserId, o.Status, o.AmountFen, o.RefundedFen, o.CommunityId, o.Touch })
            .ToListAsync(ct);
        var items = rows.Select(o => new Row(
            Buyer(o.MemberId, o.Phone, o.Platform, o.PlatformUserId, o.ExternalId),
            o.Status, o.Status == OrderStatus.Cancelled ? 0 : o.AmountFen, o.Status == OrderStatus.Cancelled ? 0 : o.RefundedFen, o.CommunityId)).ToList();
        var all = Figures(items);
        var ids = items.Where(i => i.Community != null).Select(i => i.Community!.Value).Distinct().ToList();
        var names = await db.Communities.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var communities = items.GroupBy(i => i.Community)
            .Select(g =>
            {
                var f = Figures([.. g]);
                return new CommunityRevenue(g.Key, g.Key is { } c ? names.GetValueOrDefault(c) : null, f.Orders, f.Buyers, Yuan(f.Revenue), Yuan(f.Refunds), Yuan(f.Revenue - f.Refunds),
                    f.Buyers == 0 ? null : Math.Round(Yuan(f.Revenue - f.Refunds) / f.Buyers, 2), f.Buyers == 0 ? null : Math.Round((decimal)f.Repeat / f.Buyers, 4));
            })
            .OrderByDescending(c => c.Net).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        var days = await OrderMatching.DaysAsync(db, db.CurrentWorkspaceId, ct);
        return new OrderSummary(first, last, zone.Id, all.Orders, all.Buyers, all.Repeat, Yuan(all.Revenue), Yuan(all.Refunds), Yuan(all.Revenue - all.Refunds),
            all.Buyers == 0 ? null : Math.Round((decimal)all.Repeat / all.Buyers, 4), all.Buyers == 0 ? null : Math.Round(Yuan(all.Revenue - all.Refunds) / all.Buyers, 2),
            rows.Count(o => o.MemberId == null), rows.Count(o => o.MemberId != null && o.Touch == null), days, communities);
    }

    /// <summary>Who bought (see <see cref="SummaryAsync"/>): the matched member, else the phone, else the platform user, else the order.</summary>
    internal static string Buyer(Guid? memberId, string? phone, ChatPlatform? platform, string? platformUserId, string externalId) =>
        memberId is { } m ? "m:" + m : phone is { } p ? "p:" + p : platformUserId is { } u ? $"u:{platform}:{u}" : "o:" + externalId;

    private sealed record Row(string Buyer, OrderStatus Status, long Amount, long Refunded, Guid? Community);

    private static (int Orders, int Buyers, int Repeat, long Revenue, long Refunds) Figures(List<Row> rows)
    {
        var counted = rows.Where(r => r.Status == OrderStatus.Paid).ToList();
        var perBuyer = counted.GroupBy(r => r.Buyer).Select(g => g.Count()).ToList();
        return (counted.Count, perBuyer.Count, perBuyer.Count(n => n >= 2), rows.Sum(r => r.Amount), rows.Sum(r => r.Refunded));
    }

    public static decimal Yuan(long fen) => fen / 100m;

    public async Task<OrderSettingsDto?> SettingsAsync(CancellationToken ct = default)
    {
        if (!MayRead(await MeAsync(ct)))
            return null;
        var s = await db.Set<OrderSettings>().AsNoTracking().SingleOrDefaultAsync(ct);
        return new OrderSettingsDto(s?.AttributionDays ?? OrderSettings.DefaultAttributionDays, s?.ProtectedWebhookSecret is not null, s?.WebhookSecretAt,
            WebhookPath(db.CurrentWorkspaceId));
    }

    /// <summary>Changes the attribution window (owner) and works out the matched orders' attribution again with it.</summary>
    public async Task<OrderResult<OrderSettingsDto>> SaveSettingsAsync(OrderSettingsInput? input, CancellationToken ct = default)
    {
        var v = new Validation();
        if (!MayManage(await MeAsync(ct)))
            return new(OrderOutcome.Forbidden, v, Detail: OwnerOnly);
        if (input?.AttributionDays is not { } days || days < 1 || days > OrderSettings.MaxAttributionDays)
            return new(OrderOutcome.Invalid, v.Add("attributionDays", "OrdersAttributionDays",
                $"'attributionDays' must be a whole number of days from 1 to {OrderSettings.MaxAttributionDays}.", OrderSettings.MaxAttributionDays));
        var s = await SettingsRowAsync(ct);
        if (s.AttributionDays != days)
        {
            (s.AttributionDays, s.UpdatedAt) = (days, Now);
            await db.SaveChangesAsync(ct);
            await ReattributeAsync(days, ct);
        }
        return new(OrderOutcome.Done, v, (await SettingsAsync(ct))!);
    }

    /// <summary>Makes a new webhook secret (owner): the old one stops working at once. The secret is returned this once.</summary>
    public async Task<OrderResult<string>> RotateSecretAsync(CancellationToken ct = default)
    {
        var v = new Validation();
        if (!MayManage(await MeAsync(ct)))
            return new(OrderOutcome.Forbidden, v, Detail: OwnerOnly);
        var secret = "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var s = await SettingsRowAsync(ct);
        (s.ProtectedWebhookSecret, s.WebhookSecretAt, s.UpdatedAt) = (Protector(protection).Protect(secret), Now, Now);
        db.AddAuditNote(nameof(OrderSettings), s.Id, "webhook-secret", null, new Dictionary<string, object?> { ["At"] = s.WebhookSecretAt });
        await db.SaveChangesAsync(ct);
        return new(OrderOutcome.Done, v, secret);
    }

    private async Task<OrderSettings> SettingsRowAsync(CancellationToken ct)
    {
        if (await db.Set<OrderSettings>().SingleOrDefaultAsync(ct) is { } s)
            return s;
        var made = new OrderSettings { WorkspaceId = db.CurrentWorkspaceId };
        db.Add(made);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Made by someone else at the same moment: theirs is the row.
            db.ChangeTracker.Clear();
            return await db.Set<OrderSettings>().SingleAsync(ct);
        }
        return made;
    }

    private async Task ReattributeAsync(int days, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        var matching = new OrderMatching(db, links);
        var orders = await db.Set<Order>().AsNoTracking().Where(o => o.MemberId != null)
            .Select(o => new { o.Id, MemberId = o.MemberId!.Value, o.PlacedAt, o.SharedCampaignId, o.SharedByMemberId }).ToListAsync(ct);
        var now = Now;
        foreach (var o in orders)
        {
            var a = await matching.AttributeAsync(ws, o.MemberId, o.PlacedAt, days, o.SharedCampaignId, o.SharedByMemberId, ct);
            await db.Set<Order>().Where(x => x.Id == o.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.AttributionDays, days).SetProperty(x => x.Touch, a == null ? null : a.Touch)
                    .SetProperty(x => x.TouchAt, a == null ? null : a.At).SetProperty(x => x.CommunityId, a == null ? null : a.CommunityId)
                    .SetProperty(x => x.Channel, a == null ? null : a.Channel).SetProperty(x => x.LiveCodeId, a == null ? null : a.LiveCodeId)
                    .SetProperty(x => x.CampaignId, a == null ? null : a.CampaignId).SetProperty(x => x.InviterMemberId, a == null ? null : a.InviterMemberId)
                    .SetProperty(x => x.UpdatedAt, now), ct);
        }
    }
}
