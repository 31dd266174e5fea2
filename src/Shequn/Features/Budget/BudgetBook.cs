using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Budget;

public sealed record CostInput(
    string? Day, string? Kind, string? Category, string? Item, long? AmountFen = null, int? Quantity = null, long? UnitCostFen = null,
    Guid? CampaignId = null, Guid? ChannelId = null, Guid? CommunityId = null, string? Note = null);

public sealed record CostDto(Guid Id, DateOnly Day, CostKind Kind, CostCategory Category, string Item, long AmountFen, int? Quantity, long? UnitCostFen,
    Guid? CampaignId, string? CampaignName, Guid? ChannelId, string? ChannelName, Guid? CommunityId, string? CommunityName, string? Note, DateTime CreatedAt);

public sealed record CapInput(long? CapFen, string? FromMonth = null);

public sealed record CategorySpend(CostCategory Category, long AmountFen);

public sealed record BudgetAlertDto(Guid Id, DateOnly Month, int Percent, long SpentFen, long CapFen, DateTime RaisedAt, bool Acknowledged);

/// <summary>
/// A month's money: its cap, what was spent (costs entered plus campaign rewards granted, at cost), split fixed and
/// floating and by category, the share of the cap used and the alerts raised. <see cref="Complete"/> is false for the
/// current month.
/// </summary>
public sealed record BudgetMonthDto(
    string Month, long? CapFen, long SpentFen, long FixedFen, long FloatingFen, long RewardGrantsFen, double? UsedShare,
    IReadOnlyList<CategorySpend> Categories, IReadOnlyList<BudgetAlertDto> Alerts, bool Complete);

/// <summary>
/// Costs, the monthly cap and its alerts (product.md §3.10, seed 004), as the API and the console use them. The owner
/// enters costs and sets the cap; sub-owners read. Money is in fen throughout, like campaign budgets and rewards.
/// A cost is never in the future (in the workspace's zone) and never negative.
/// </summary>
public sealed class BudgetBook(AppDbContext db, WorkspaceZones zones, TimeProvider time)
{
    /// <summary>The shares of the cap that raise an alert.</summary>
    public static readonly int[] Thresholds = [80, 100];

    public const long MaxAmountFen = 10_000_000_000; // 100 million yuan: past it, a typo

    public static bool MayRead(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public static bool MayEdit(StaffProfile? me) => me?.Role is StaffRole.Owner;

    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<DateOnly> TodayAsync(CancellationToken ct) =>
        DailyFigures.DayOf(Now, await zones.GetAsync(db.CurrentWorkspaceId, ct));

    public static DateOnly MonthOf(DateOnly day) => new(day.Year, day.Month, 1);

    /// <summary>A month as yyyy-MM (blank: this month); a field error otherwise.</summary>
    public async Task<DateOnly?> ParseMonthAsync(Validation v, string field, string? text, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text))
            return MonthOf(await TodayAsync(ct));
        if (DateOnly.TryParseExact(text.Trim() + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var m))
            return m;
        v.Add(field, "MonthMalformed", $"'{field}' must be a month as yyyy-MM (got '{text}').", text);
        return null;
    }

    public async Task<IReadOnlyList<CostDto>?> CostsAsync(DateOnly month, CancellationToken ct)
    {
        if (!MayRead(await MeAsync(ct)))
            return null;
        var next = month.AddMonths(1);
        var rows = await db.Set<CostEntry>().AsNoTracking().Where(c => c.Day >= month && c.Day < next)
            .OrderByDescending(c => c.Day).ThenByDescending(c => c.CreatedAt).ToListAsync(ct);
        return await DtosAsync(rows, ct);
    }

    private async Task<IReadOnlyList<CostDto>> DtosAsync(List<CostEntry> rows, CancellationToken ct)
    {
        var campaignIds = rows.Where(r => r.CampaignId is not null).Select(r => r.CampaignId!.Value).Distinct().ToList();
        var channelIds = rows.Where(r => r.ChannelId is not null).Select(r => r.ChannelId!.Value).Distinct().ToList();
        var communityIds = rows.Where(r => r.CommunityId is not null).Select(r => r.CommunityId!.Value).Distinct().ToList();
        var campaigns = campaignIds.Count == 0 ? [] : await db.Set<Campaign>().Where(c => campaignIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var channels = channelIds.Count == 0 ? [] : await db.Set<AcquisitionChannel>().Where(c => channelIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var communities = communityIds.Count == 0 ? [] : await db.Communities.Where(c => communityIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        return [.. rows.Select(r => new CostDto(r.Id, r.Day, r.Kind, r.Category, r.Item, r.AmountFen, r.Quantity, r.UnitCostFen,
            r.CampaignId, Name(campaigns, r.CampaignId), r.ChannelId, Name(channels, r.ChannelId), r.CommunityId, Name(communities, r.CommunityId), r.Note, r.CreatedAt))];
    }

    private static string? Name(Dictionary<Guid, string> names, Guid? id) => id is { } x ? names.GetValueOrDefault(x) : null;

    public async Task<DeskResult<CostDto>> SaveCostAsync(Guid? id, CostInput? input, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayEdit(me))
            return Desk.Refused<CostDto>("Only the workspace owner enters costs.");
        input ??= new CostInput(null, null, null, null);
        var v = new Validation().Required("item", input.Item?.Trim(), CostEntry.ItemMaxLength).MaxLength("note", input.Note, CostEntry.NoteMaxLength);
        var day = v.ParseDay("day", input.Day, required: true);
        var kind = v.ParseEnum<CostKind>("kind", input.Kind);
        if (kind is null && string.IsNullOrWhiteSpace(input.Kind))
            v.Add("kind", "Required", "'kind' is required: fixed or floating.");
        var category = v.ParseEnum<CostCategory>("category", input.Category);
        if (category is null && string.IsNullOrWhiteSpace(input.Category))
            v.Add("category", "Required", "'category' is required: phones, partTimePay, activityFunds, productRewards, advertising, tools or other.");
        if (day is { } d && d > await TodayAsync(ct))
            v.Add("day", "CostInFuture", $"'day' {d:yyyy-MM-dd} is in the future; enter a cost on the day it was incurred.", d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

        long amount = 0;
        int? quantity = null;
        long? unitCost = null;
        if (category == CostCategory.ProductRewards)
        {
            // Products given away count at what they cost the brand: quantity × unit cost, never the shelf price.
            if (input.Quantity is not (>= 1 and <= 1_000_000))
                v.Add("quantity", "CostQuantity", "'quantity' is required for product rewards: from 1 to 1,000,000.");
            if (input.UnitCostFen is not (> 0 and <= MaxAmountFen))
                v.Add("unitCostFen", "CostUnitCost", "'unitCostFen' is required for product rewards: what one cost the brand, in fen, above 0.");
            if (v.IsValid)
            {
                (quantity, unitCost) = (input.Quantity, input.UnitCostFen);
                amount = (long)input.Quantity!.Value * input.UnitCostFen!.Value;
                if (input.AmountFen is { } given && given != amount)
                    v.Add("amountFen", "CostAmountMismatch", $"'amountFen' {given} is not quantity × unitCostFen ({amount}); leave it out or make it match.", given, amount);
                if (amount > MaxAmountFen)
                    v.Add("amountFen", "CostAmountRange", $"'amountFen' must be above 0 and at most {MaxAmountFen}.", MaxAmountFen);
            }
        }
        else if (input.AmountFen is not { } a)
            v.Add("amountFen", "Required", "'amountFen' is required: the cost in fen.");
        else if (a is <= 0 or > MaxAmountFen)
            v.Add("amountFen", "CostAmountRange", $"'amountFen' must be above 0 and at most {MaxAmountFen}.", MaxAmountFen);
        else
            amount = a;

        if (input.CampaignId is { } campaign && !await db.Set<Campaign>().AnyAsync(c => c.Id == campaign, ct))
            v.Add("campaignId", "CostCampaignUnknown", "'campaignId' names no campaign of this workspace.");
        if (input.ChannelId is { } channel && !await db.Set<AcquisitionChannel>().AnyAsync(c => c.Id == channel, ct))
            v.Add("channelId", "CostChannelUnknown", "'channelId' names no channel of this workspace.");
        if (input.CommunityId is { } community && !await db.Communities.AnyAsync(c => c.Id == community, ct))
            v.Add("communityId", "CostCommunityUnknown", "'communityId' names no community of this workspace.");
        if (!v.IsValid)
            return Desk.Bad<CostDto>(v);

        CostEntry? row;
        if (id is { } existing)
        {
            row = await db.Set<CostEntry>().SingleOrDefaultAsync(c => c.Id == existing, ct);
            if (row is null)
                return Desk.Missing<CostDto>();
        }
        else
            db.Add(row = new CostEntry { Item = "", WorkspaceId = db.CurrentWorkspaceId, CreatedById = me!.Id, CreatedAt = Now });
        var before = id is null ? (DateOnly?)null : row.Day;
        row.Day = day!.Value;
        row.Kind = kind!.Value;
        row.Category = category!.Value;
        row.Item = input.Item!.Trim();
        row.AmountFen = amount;
        row.Quantity = quantity;
        row.UnitCostFen = unitCost;
        row.CampaignId = input.CampaignId;
        row.ChannelId = input.ChannelId;
        row.CommunityId = input.CommunityId;
        row.Note = string.IsNullOrWhiteSpace(input.Note) ? null : input.Note.Trim();
        row.UpdatedAt = Now;
        await db.SaveChangesAsync(ct);
        await RaiseAlertsAsync(db, db.CurrentWorkspaceId, MonthOf(row.Day), Now, ct);
        if (before is { } b && MonthOf(b) != MonthOf(row.Day))
            await RaiseAlertsAsync(db, db.CurrentWorkspaceId, MonthOf(b), Now, ct);
        return Desk.Ok((await DtosAsync([row], ct))[0]);
    }

    public async Task<DeskResult<bool>> DeleteCostAsync(Guid id, CancellationToken ct)
    {
        if (!MayEdit(await MeAsync(ct)))
            return Desk.Refused<bool>("Only the workspace owner removes costs.");
        var row = await db.Set<CostEntry>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (row is null)
            return Desk.Missing<bool>();
        db.Remove(row);
        await db.SaveChangesAsync(ct);
        return Desk.Ok(true);
    }

    /// <summary>
    /// Copies the fixed costs of <paramref name="from"/> into <paramref name="to"/> (the same day of the month, or its
    /// last day), skipping those already there (same item, category and amount): seed 004's phones and part-time pay
    /// recur every month. Never into a future month.
    /// </summary>
    public async Task<DeskResult<int>> CopyFixedAsync(DateOnly from, DateOnly to, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayEdit(me))
            return Desk.Refused<int>("Only the workspace owner enters costs.");
        var today = await TodayAsync(ct);
        var v = new Validation();
        if (to > MonthOf(today))
            v.Add("to", "CostInFuture", $"'to' {to:yyyy-MM} is a future month; costs are entered when incurred.", to.ToString("yyyy-MM", CultureInfo.InvariantCulture));
        if (from == to)
            v.Add("from", "CopySameMonth", "'from' and 'to' must be different months.");
        if (!v.IsValid)
            return Desk.Bad<int>(v);
        var fixedCosts = await db.Set<CostEntry>().AsNoTracking().Where(c => c.Kind == CostKind.Fixed && c.Day >= from && c.Day < from.AddMonths(1)).ToListAsync(ct);
        var there = await db.Set<CostEntry>().AsNoTracking().Where(c => c.Kind == CostKind.Fixed && c.Day >= to && c.Day < to.AddMonths(1))
            .Select(c => new { c.Item, c.Category, c.AmountFen }).ToListAsync(ct);
        var copied = 0;
        foreach (var c in fixedCosts)
        {
            if (there.Any(t => t.Item == c.Item && t.Category == c.Category && t.AmountFen == c.AmountFen))
                continue;
            var day = new DateOnly(to.Year, to.Month, Math.Min(c.Day.Day, DateTime.DaysInMonth(to.Year, to.Month)));
            if (day > today)
                day = today;
            db.Add(new CostEntry
            {
                WorkspaceId = db.CurrentWorkspaceId, Day = day, Kind = CostKind.Fixed, Category = c.Category, Item = c.Item, AmountFen = c.AmountFen,
                Quantity = c.Quantity, UnitCostFen = c.UnitCostFen, CampaignId = c.CampaignId, ChannelId = c.ChannelId, CommunityId = c.CommunityId,
                Note = c.Note, CreatedById = me!.Id, CreatedAt = Now, UpdatedAt = Now,
            });
            copied++;
        }
        await db.SaveChangesAsync(ct);
        if (copied > 0)
            await RaiseAlertsAsync(db, db.CurrentWorkspaceId, to, Now, ct);
        return Desk.Ok(copied);
    }

    public async Task<DeskResult<BudgetMonthDto>> SetCapAsync(CapInput? input, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayEdit(me))
            return Desk.Refused<BudgetMonthDto>("Only the workspace owner sets the budget.");
        var v = new Validation();
        var from = await ParseMonthAsync(v, "fromMonth", input?.FromMonth, ct);
        if (input?.CapFen is not { } cap)
            v.Add("capFen", "Required", "'capFen' is required: the monthly cap in fen.");
        else if (cap is <= 0 or > MaxAmountFen)
            v.Add("capFen", "CostAmountRange", $"'capFen' must be above 0 and at most {MaxAmountFen}.", MaxAmountFen);
        if (!v.IsValid)
            return Desk.Bad<BudgetMonthDto>(v);
        var row = await db.Set<BudgetCap>().SingleOrDefaultAsync(c => c.FromMonth == from!.Value, ct);
        if (row is null)
            db.Add(row = new BudgetCap { WorkspaceId = db.CurrentWorkspaceId, FromMonth = from!.Value });
        row.CapFen = input!.CapFen!.Value;
        row.SetById = me!.Id;
        row.SetAt = Now;
        await db.SaveChangesAsync(ct);
        await RaiseAlertsAsync(db, db.CurrentWorkspaceId, from!.Value, Now, ct);
        return Desk.Ok((await MonthAsync(from.Value, ct))!);
    }

    public async Task<BudgetMonthDto?> MonthAsync(DateOnly month, CancellationToken ct)
    {
        if (!MayRead(await MeAsync(ct)))
            return null;
        var ws = db.CurrentWorkspaceId;
        var spend = await SpendAsync(db, ws, month, ct);
        var categories = await db.Set<CostEntry>().Where(c => c.Day >= month && c.Day < month.AddMonths(1))
            .GroupBy(c => c.Category).Select(g => new { g.Key, Sum = g.Sum(c => c.AmountFen) }).ToListAsync(ct);
        var alerts = await db.Set<BudgetAlert>().AsNoTracking().Where(a => a.Month == month).OrderBy(a => a.Percent)
            .Select(a => new BudgetAlertDto(a.Id, a.Month, a.Percent, a.SpentFen, a.CapFen, a.RaisedAt, a.AcknowledgedAt != null)).ToListAsync(ct);
        var today = await TodayAsync(ct);
        return new BudgetMonthDto(month.ToString("yyyy-MM", CultureInfo.InvariantCulture), spend.CapFen, spend.Total, spend.Fixed, spend.Floating, spend.Grants,
            spend.CapFen is > 0 and var c ? (double)spend.Total / c : null,
            [.. categories.OrderBy(x => x.Key).Select(x => new CategorySpend(x.Key, x.Sum))], alerts, month.AddMonths(1) <= today);
    }

    /// <summary>Open alerts (not acknowledged) of any month, newest first: what the dashboard shows the owner.</summary>
    public async Task<IReadOnlyList<BudgetAlertDto>> OpenAlertsAsync(CancellationToken ct)
    {
        if (!MayRead(await MeAsync(ct)))
            return [];
        return await db.Set<BudgetAlert>().AsNoTracking().Where(a => a.AcknowledgedAt == null).OrderByDescending(a => a.Month).ThenByDescending(a => a.Percent)
            .Select(a => new BudgetAlertDto(a.Id, a.Month, a.Percent, a.SpentFen, a.CapFen, a.RaisedAt, false)).ToListAsync(ct);
    }

    public async Task<DeskResult<bool>> AcknowledgeAsync(Guid id, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayEdit(me))
            return Desk.Refused<bool>("Only the workspace owner acknowledges budget alerts.");
        var row = await db.Set<BudgetAlert>().SingleOrDefaultAsync(a => a.Id == id, ct);
        if (row is null)
            return Desk.Missing<bool>();
        if (row.AcknowledgedAt is null)
        {
            row.AcknowledgedAt = Now;
            row.AcknowledgedById = me!.Id;
            await db.SaveChangesAsync(ct);
        }
        return Desk.Ok(true);
    }

    internal sealed record Spend(long? CapFen, long Fixed, long Floating, long Grants)
    {
        public long Total => Fixed + Floating + Grants;
    }

    /// <summary>
    /// What a month cost: the costs entered on its days, and the campaign rewards granted in it (issued or delivered,
    /// at their cost to the brand; held and withdrawn ones are not spent). The cap is the latest set from a month not after it.
    /// </summary>
    internal static async Task<Spend> SpendAsync(AppDbContext db, Guid ws, DateOnly month, CancellationToken ct)
    {
        var next = month.AddMonths(1);
        var costs = await db.Set<CostEntry>().IgnoreQueryFilters().Where(c => c.WorkspaceId == ws && c.Day >= month && c.Day < next)
            .GroupBy(c => c.Kind).Select(g => new { g.Key, Sum = g.Sum(c => c.AmountFen) }).ToListAsync(ct);
        var zone = WorkspaceZones.Find(await db.Workspaces.Where(w => w.Id == ws).Select(w => w.TimeZone).SingleOrDefaultAsync(ct)) ?? WorkspaceZones.Default;
        var (start, end) = (DailyFigures.StartOf(month, zone), DailyFigures.StartOf(next, zone));
        var grants = await db.Set<CampaignRewardGrant>().IgnoreQueryFilters()
            .Where(g => g.WorkspaceId == ws && g.CreatedAt >= start && g.CreatedAt < end && (g.Status == GrantStatus.Issued || g.Status == GrantStatus.Delivered))
            .SumAsync(g => (long?)g.CostFen, ct) ?? 0;
        var cap = await db.Set<BudgetCap>().IgnoreQueryFilters().Where(c => c.WorkspaceId == ws && c.FromMonth <= month)
            .OrderByDescending(c => c.FromMonth).Select(c => (long?)c.CapFen).FirstOrDefaultAsync(ct);
        return new Spend(cap, costs.Where(c => c.Key == CostKind.Fixed).Sum(c => c.Sum), costs.Where(c => c.Key == CostKind.Floating).Sum(c => c.Sum), grants);
    }

    /// <summary>
    /// Raises the month's alerts its spending has reached (80 %, 100 % of the cap), each once: the unique key on month
    /// and threshold decides between two hosts, and the loser finds the row there. Returns how many it raised.
    /// </summary>
    internal static async Task<int> RaiseAlertsAsync(AppDbContext db, Guid ws, DateOnly month, DateTime now, CancellationToken ct)
    {
        var spend = await SpendAsync(db, ws, month, ct);
        if (spend.CapFen is not { } cap || cap <= 0)
            return 0;
        var raised = 0;
        foreach (var percent in Thresholds)
        {
            if (spend.Total * 100 < cap * percent)
                continue;
            var exists = await db.Set<BudgetAlert>().IgnoreQueryFilters().AnyAsync(a => a.WorkspaceId == ws && a.Month == month && a.Percent == percent, ct);
            if (exists)
                continue;
            var alert = new BudgetAlert { WorkspaceId = ws, Month = month, Percent = percent, SpentFen = spend.Total, CapFen = cap, RaisedAt = now };
            db.Add(alert);
            try
            {
                await db.SaveChangesAsync(ct);
                raised++;
            }
            catch (DbUpdateException)
            {
                // The other host raised it between the check and the insert.
                db.Entry(alert).State = EntityState.Detached;
            }
        }
        return raised;
    }
}
