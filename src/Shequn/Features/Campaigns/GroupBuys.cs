using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Profiles;
using Shequn.Features.Workspaces;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>How a join, a payment or a settlement of a group buy ended.</summary>
public enum GroupOutcome
{
    Done,
    Invalid,
    NotFound,
    NotRunning,
    SoldOut,
    OverLimit,
    NotInAudience,
    /// <summary>The campaign's anti-abuse settings leave the member out (<see cref="GroupResult.Excluded"/>).</summary>
    Excluded,
    /// <summary>The group completed, failed or passed its deadline.</summary>
    GroupClosed,
    GroupFull,
    Conflict,
}

public sealed record SeatDto(Guid Id, Guid GroupId, Guid MemberId, string? MemberName, SeatStatus Status, long PriceFen, DateTime CreatedAt, DateTime ExpiresAt,
    DateTime? PaidAt, string? OrderId, DateTime? ReleasedAt)
{
    public static SeatDto Of(CampaignGroupSeat s, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Id, s.GroupId, s.MemberId, name, s.Status, s.PriceFen, s.CreatedAt, s.ExpiresAt, s.PaidAt, s.OrderId, s.ReleasedAt);
    }
}

public sealed record GroupDto(Guid Id, Guid CampaignId, Guid LeaderMemberId, string? LeaderName, Guid CommunityId, GroupStatus Status, int Size, int MaxSize,
    int Seats, int Paid, DateTime OpenedAt, DateTime ExpiresAt, DateTime? ClosedAt, bool Virtual, long? PriceFen, IReadOnlyList<SeatDto> Members);

public sealed record RefundDto(Guid Id, Guid CampaignId, Guid SeatId, Guid MemberId, string? MemberName, string OrderId, long AmountFen, RefundReason Reason,
    RefundStatus Status, int Attempts, DateTime? NextAttemptAt, string? LastError, DateTime CreatedAt, DateTime? DoneAt, string? Reference)
{
    public static RefundDto Of(CampaignRefund r, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Id, r.CampaignId, r.SeatId, r.MemberId, name, r.OrderId, r.AmountFen, r.Reason, r.Status, r.Attempts, r.NextAttemptAt, r.LastError, r.CreatedAt, r.DoneAt, r.Reference);
    }
}

public sealed record GroupResult(GroupOutcome Outcome, SeatDto? Seat = null, Validation? Validation = null, bool Replayed = false, string? Detail = null,
    ExclusionReason Excluded = ExclusionReason.None);

/// <summary>
/// 拼团 (campaigns.md "group buys"): members open a group or join one through its leader's link; each place is a seat
/// reserved while the member pays; the group completes when its largest tier is paid for, or at its deadline when its
/// first tier is (the tier reached sets the price, and what was paid above it is refunded); otherwise it fails, every
/// reserved seat is released and every paid one refunded. Virtual completion (a nearly full group completed at its
/// deadline) only when the campaign enables it, and the page says so.
/// <para>
/// Every write takes rows in one order — the group, then seats, then the member's participant row, then the campaign's
/// stock — so joins, payments, releases and settlements running at once (on two nodes) wait for each other instead of
/// deadlocking; every change of a counter or a status is a conditional update, so none can apply twice. What is said
/// in the group (progress, success, failure) is an outbound action written in the same transaction.
/// </para>
/// </summary>
public sealed class GroupBuys(AppDbContext db, CampaignSnapshots snapshots, TimeProvider time, IOptions<FlashSaleOptions> options,
    IOptions<GroupBuyOptions> groupOptions, IOptions<ProfilesOptions> profiles, JsonStringLocalizerFactory strings, OutboxSignal signal, WorkspaceZones zones)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public string ShareUrl(string slug, Guid groupId) => $"{profiles.Value.PublicBaseUrl.TrimEnd('/')}/c/{slug}?g={groupId}";

    /// <summary>
    /// Opens a group (<paramref name="groupId"/> null: the member leads it) or joins one, for the member a personal link
    /// named. A replay of the request id, or a member already in the group, is answered with their seat.
    /// </summary>
    public async Task<GroupResult> JoinAsync(CampaignSnapshot s, Guid memberId, Guid? groupId, string? requestId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var v = new Validation().Required("requestId", requestId?.Trim(), CampaignClaim.RequestIdMaxLength);
        if (!v.IsValid)
            return new(GroupOutcome.Invalid, Validation: v);
        var rid = requestId!.Trim();
        var campaign = s.Campaign;
        var rules = s.Rules;
        using var acting = db.Current.ActAsSystemWhile(campaign.WorkspaceId);
        if (await FirstAsync(campaign.Id, rid, memberId, ct) is { } first)
            return first;
        var now = Now;
        if (campaign.Kind != CampaignKind.GroupBuy || campaign.PhaseAt(now) != CampaignPhase.Running)
            return new(GroupOutcome.NotRunning);
        if (await snapshots.AudienceCommunityAsync(s, memberId, ct) is not { } community)
            return new(GroupOutcome.NotInAudience);
        if (rules.Stock is not null && s.SoldOutSeen)
            return new(GroupOutcome.SoldOut);
        if (await snapshots.ExclusionAsync(s, memberId, ct) is not ExclusionReason.None and var excluded)
            return new(GroupOutcome.Excluded, Excluded: excluded);

        var groups = db.Set<CampaignGroup>();
        CampaignGroup? group = null;
        if (groupId is { } gid)
        {
            group = await groups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == gid && g.CampaignId == campaign.Id, ct);
            if (group is null)
                return new(GroupOutcome.NotFound);
            if (await db.Set<CampaignGroupSeat>().AsNoTracking().SingleOrDefaultAsync(x => x.GroupId == gid && x.MemberId == memberId, ct) is { } mine)
                return new(GroupOutcome.Done, SeatDto.Of(mine), Replayed: true);
            if (group.Status != GroupStatus.Open || group.ExpiresAt <= now)
                return new(GroupOutcome.GroupClosed);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (group is null)
        {
            var tiers = rules.Tiers ?? [];
            group = new CampaignGroup
            {
                WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, LeaderMemberId = memberId, CommunityId = community, Status = GroupStatus.Open,
                Size = rules.GroupSize ?? 2, MaxSize = tiers.Count > 0 ? tiers[^1].Size : rules.GroupSize ?? 2, OpenedAt = now,
                ExpiresAt = Min(now.AddHours(rules.GroupHours ?? 24), campaign.EndsAt),
            };
            groups.Add(group);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        // The group first (see the class's note on order): a place only while it is open, not full and not past its deadline.
        var placed = await groups.Where(g => g.Id == group.Id && g.Status == GroupStatus.Open && g.Seats < g.MaxSize && g.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.Seats, g => g.Seats + 1), ct);
        if (placed == 0)
        {
            await tx.RollbackAsync(ct);
            var after = await groups.AsNoTracking().SingleAsync(g => g.Id == group.Id, ct);
            return new(after.Status == GroupStatus.Open && after.ExpiresAt > now ? GroupOutcome.GroupFull : GroupOutcome.GroupClosed);
        }
        var seat = new CampaignGroupSeat
        {
            WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, GroupId = group.Id, MemberId = memberId, RequestId = rid, Status = SeatStatus.Reserved,
            PriceFen = rules.PriceFen ?? 0, CreatedAt = now, ExpiresAt = Min(now + options.Value.PaymentWindow, group.ExpiresAt),
        };
        // Any unique key refuses it: the request id (a replay) or the member's seat in this group (another tab).
        var inserted = await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignGroupSeats" ("Id", "WorkspaceId", "CampaignId", "GroupId", "MemberId", "RequestId", "Status", "PriceFen", "CreatedAt", "ExpiresAt")""",
            [[seat.Id, seat.WorkspaceId, seat.CampaignId, seat.GroupId, memberId, rid, (int)SeatStatus.Reserved, seat.PriceFen, now, seat.ExpiresAt]],
            "ON CONFLICT DO NOTHING", ct);
        if (inserted == 0)
        {
            await tx.RollbackAsync(ct);
            if (await FirstAsync(campaign.Id, rid, memberId, ct) is { } replay)
                return replay;
            var mine = await db.Set<CampaignGroupSeat>().AsNoTracking().SingleOrDefaultAsync(x => x.GroupId == group.Id && x.MemberId == memberId, ct);
            return mine is null ? new(GroupOutcome.Conflict, Detail: "The request id was used meanwhile.") : new(GroupOutcome.Done, SeatDto.Of(mine), Replayed: true);
        }
        await SetWrites.ExecuteAsync(db,
            """INSERT INTO "CampaignParticipants" ("Id", "WorkspaceId", "CampaignId", "MemberId", "CommunityId", "IsNewMember", "JoinedAt", "Units")""",
            [[Guid.CreateVersion7(), campaign.WorkspaceId, campaign.Id, memberId, community, false, now, 0]],
            """ON CONFLICT ("CampaignId", "MemberId") DO NOTHING""", ct);
        if (group.LeaderMemberId != memberId)
        {
            // The leader's link brought them (the first leader who did, if they join several groups).
            var leader = group.LeaderMemberId;
            await db.Set<CampaignParticipant>().Where(p => p.CampaignId == campaign.Id && p.MemberId == memberId && p.InvitedByMemberId == null)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.InvitedByMemberId, leader), ct);
        }
        var limit = rules.PerPersonLimit ?? 1;
        var within = await db.Set<CampaignParticipant>().Where(p => p.CampaignId == campaign.Id && p.MemberId == memberId && p.Units + 1 <= limit)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Units, p => p.Units + 1), ct);
        if (within == 0)
        {
            await tx.RollbackAsync(ct);
            return new(GroupOutcome.OverLimit);
        }
        if (rules.Stock is not null)
        {
            var taken = await db.Set<Campaign>().Where(c => c.Id == campaign.Id && c.Status == CampaignStatus.Published && c.StockLeft >= 1)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.StockLeft, c => c.StockLeft - 1), ct);
            if (taken == 0)
            {
                await tx.RollbackAsync(ct);
                s.SoldOutSeen = true;
                return new(GroupOutcome.SoldOut);
            }
        }
        await tx.CommitAsync(ct);
        return new(GroupOutcome.Done, SeatDto.Of(seat));
    }

    private async Task<GroupResult?> FirstAsync(Guid campaignId, string requestId, Guid memberId, CancellationToken ct)
    {
        var first = await db.Set<CampaignGroupSeat>().AsNoTracking().SingleOrDefaultAsync(x => x.CampaignId == campaignId && x.RequestId == requestId, ct);
        if (first is null)
            return null;
        return first.MemberId == memberId
            ? new(GroupOutcome.Done, SeatDto.Of(first), Replayed: true)
            : new(GroupOutcome.Conflict, Detail: "This request id belongs to another seat.");
    }

    /// <summary>
    /// The shop's order confirmation of a seat: reserved → paid and the group's paid count raised, with the progress (or,
    /// when its largest tier is full, the group's completion) posted in the leader's community, in one transaction.
    /// Idempotent by order id, like a flash-sale claim's.
    /// </summary>
    public async Task<GroupResult> PayAsync(Guid campaignId, Guid seatId, string? orderId, CancellationToken ct = default)
    {
        var v = new Validation().Required("orderId", orderId?.Trim(), CampaignClaim.OrderIdMaxLength);
        if (!v.IsValid)
            return new(GroupOutcome.Invalid, Validation: v);
        var order = orderId!.Trim();
        var seats = db.Set<CampaignGroupSeat>().IgnoreQueryFilters();
        var seat = await seats.AsNoTracking().SingleOrDefaultAsync(x => x.Id == seatId && x.CampaignId == campaignId, ct);
        if (seat is null)
            return new(GroupOutcome.NotFound);
        var now = Now;
        var posted = false;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var counted = await db.Set<CampaignGroup>().IgnoreQueryFilters().Where(g => g.Id == seat.GroupId && g.Status == GroupStatus.Open)
                .ExecuteUpdateAsync(u => u.SetProperty(g => g.Paid, g => g.Paid + 1), ct);
            var paid = counted == 1 && await seats.Where(x => x.Id == seatId && x.Status == SeatStatus.Reserved)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, SeatStatus.Paid).SetProperty(x => x.PaidAt, now).SetProperty(x => x.OrderId, order), ct) == 1;
            if (paid)
            {
                var group = await db.Set<CampaignGroup>().IgnoreQueryFilters().AsNoTracking().SingleAsync(g => g.Id == seat.GroupId, ct);
                var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == campaignId, ct);
                if (group.Paid >= group.MaxSize)
                    await CloseAsync(campaign, group, now, GroupStatus.Completed, isVirtual: false, ct);
                else
                    await PostProgressAsync(campaign, group, seat.MemberId, ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                posted = true;
            }
            else
                await tx.RollbackAsync(ct);
        }
        if (posted)
            signal.Notify();
        var after = await seats.AsNoTracking().SingleAsync(x => x.Id == seatId, ct);
        return after switch
        {
            { Status: SeatStatus.Paid or SeatStatus.Refunding } when after.OrderId == order => new(GroupOutcome.Done, SeatDto.Of(after), Replayed: !posted),
            { Status: SeatStatus.Paid or SeatStatus.Refunding } => new(GroupOutcome.Conflict, SeatDto.Of(after), Detail: "The seat was paid with another order."),
            { Status: SeatStatus.Released } => new(GroupOutcome.Conflict, SeatDto.Of(after), Detail: "The seat was released: the payment window or the group's deadline passed."),
            _ => new(GroupOutcome.GroupClosed, SeatDto.Of(after), Detail: "The group is no longer open."),
        };
    }

    /// <summary>Releases an unpaid seat whose payment window passed (its place, the member's limit and the stock given back); false when paid or closed meanwhile.</summary>
    public async Task<bool> ReleaseSeatAsync(Guid seatId, CancellationToken ct = default)
    {
        var now = Now;
        var seats = db.Set<CampaignGroupSeat>().IgnoreQueryFilters();
        var seat = await seats.AsNoTracking().SingleOrDefaultAsync(x => x.Id == seatId, ct);
        if (seat is null || seat.Status != SeatStatus.Reserved)
            return false;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var freed = await db.Set<CampaignGroup>().IgnoreQueryFilters().Where(g => g.Id == seat.GroupId && g.Status == GroupStatus.Open)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.Seats, g => g.Seats - 1), ct);
        if (freed == 0 || await seats.Where(x => x.Id == seatId && x.Status == SeatStatus.Reserved && x.ExpiresAt <= now)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, SeatStatus.Released).SetProperty(x => x.ReleasedAt, now), ct) == 0)
        {
            await tx.RollbackAsync(ct);
            return false;
        }
        await GiveBackAsync(seat.CampaignId, [seat.MemberId], ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Closes an open group whose deadline passed (or whose campaign was cancelled): completed at the tier its paid seats
    /// reached, completed virtually when enabled and close enough, or failed. The close is conditional on the paid count
    /// read, so a payment arriving meanwhile makes this pass give up (the next one sees it). False when nothing was due.
    /// </summary>
    public async Task<bool> SettleAsync(Guid groupId, CancellationToken ct = default)
    {
        var now = Now;
        var group = await db.Set<CampaignGroup>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(g => g.Id == groupId, ct);
        if (group is null || group.Status != GroupStatus.Open)
            return false;
        var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == group.CampaignId, ct);
        var cancelled = campaign.Status == CampaignStatus.Cancelled;
        if (group.ExpiresAt > now && !cancelled)
            return false;
        var rules = campaign.RulesValue();
        var (status, isVirtual) = cancelled ? (GroupStatus.Failed, false)
            : group.Paid >= group.Size ? (GroupStatus.Completed, false)
            : rules.VirtualCompletion && group.Paid >= 1 && group.Paid * 100 >= (rules.VirtualCompletionPercent ?? 100) * group.Size ? (GroupStatus.Completed, true)
            : (GroupStatus.Failed, false);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await CloseAsync(campaign, group, now, status, isVirtual, ct))
        {
            await tx.RollbackAsync(ct);
            return false;
        }
        await tx.CommitAsync(ct);
        signal.Notify();
        return true;
    }

    /// <summary>
    /// In the caller's transaction: moves the group from open (with the paid count it was read with) to its end, then its
    /// seats — reserved ones released; paid ones completed (refunding the tier difference) or, when failed, refunded
    /// whole — gives back what released and refunded seats held, and posts the end in the group.
    /// </summary>
    private async Task<bool> CloseAsync(Campaign campaign, CampaignGroup group, DateTime now, GroupStatus status, bool isVirtual, CancellationToken ct)
    {
        var rules = campaign.RulesValue();
        long? price = status == GroupStatus.Completed ? isVirtual ? rules.PriceFen ?? 0 : TierPrice(rules, group.Paid) : null;
        var paidBefore = group.Paid;
        var closed = await db.Set<CampaignGroup>().IgnoreQueryFilters().Where(g => g.Id == group.Id && g.Status == GroupStatus.Open && g.Paid == paidBefore)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.Status, status).SetProperty(g => g.ClosedAt, now).SetProperty(g => g.Virtual, isVirtual)
                .SetProperty(g => g.PriceFen, price), ct);
        if (closed == 0)
            return false;
        var seats = db.Set<CampaignGroupSeat>().IgnoreQueryFilters();
        var all = await seats.AsNoTracking().Where(x => x.GroupId == group.Id).ToListAsync(ct);
        var reserved = all.Where(x => x.Status == SeatStatus.Reserved).ToList();
        var paid = all.Where(x => x.Status == SeatStatus.Paid).ToList();
        await seats.Where(x => x.GroupId == group.Id && x.Status == SeatStatus.Reserved)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, SeatStatus.Released).SetProperty(x => x.ReleasedAt, now), ct);
        var giveBack = reserved.Select(x => x.MemberId).ToList();
        var delivery = await RefundDeliveryAsync(campaign, now, ct);
        if (status == GroupStatus.Failed)
        {
            await seats.Where(x => x.GroupId == group.Id && x.Status == SeatStatus.Paid).ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, SeatStatus.Refunding), ct);
            foreach (var x in paid)
                AddRefund(campaign, x, x.PriceFen, RefundReason.GroupFailed, now, delivery);
            giveBack.AddRange(paid.Select(x => x.MemberId));
        }
        else
        {
            foreach (var x in paid.Where(x => x.PriceFen > price))
                AddRefund(campaign, x, x.PriceFen - price!.Value, RefundReason.TierDifference, now, delivery);
            var members = paid.Select(x => x.MemberId).ToList();
            await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == campaign.Id && members.Contains(p.MemberId) && p.CompletedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.CompletedAt, now), ct);
        }
        await GiveBackAsync(campaign.Id, giveBack, ct);
        await PostEndAsync(campaign, group, status, isVirtual, paid.Count, price, ct);
        await db.SaveChangesAsync(ct);
        return true;
    }

    private void AddRefund(Campaign campaign, CampaignGroupSeat seat, long amount, RefundReason reason, DateTime now, DateTime? firstAttempt) =>
        db.Add(new CampaignRefund
        {
            WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, SeatId = seat.Id, MemberId = seat.MemberId, OrderId = seat.OrderId ?? "",
            AmountFen = amount, Reason = reason, Status = RefundStatus.Pending, CreatedAt = now, NextAttemptAt = firstAttempt,
        });

    /// <summary>When refunds are first tried: now when the Sandbox's pretend shop or a shop endpoint can take them, otherwise never (staff refund by hand).</summary>
    private async Task<DateTime?> RefundDeliveryAsync(Campaign campaign, DateTime now, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(groupOptions.Value.ShopRefundUrl))
            return now;
        return await CampaignSnapshots.SandboxOnlyAsync(db, campaign.CommunityIdsValue(), ct) ? now : null;
    }

    /// <summary>The member's units (one per seat) and, when the campaign counts stock, the units back.</summary>
    private async Task GiveBackAsync(Guid campaignId, List<Guid> members, CancellationToken ct)
    {
        if (members.Count == 0)
            return;
        foreach (var (member, n) in members.GroupBy(m => m).Select(g => (g.Key, g.Count())))
            await db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == campaignId && p.MemberId == member)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Units, p => p.Units - n), ct);
        var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == campaignId, ct);
        if (campaign.RulesValue().Stock is not null)
        {
            var count = members.Count;
            await db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == campaignId)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.StockLeft, c => c.StockLeft + count), ct);
            snapshots.Invalidate(campaign.Slug);
        }
    }

    /// <summary>The price for a group with <paramref name="paid"/> paid seats: the biggest tier reached (the first at least).</summary>
    public static long TierPrice(CampaignRules rules, int paid)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var price = rules.PriceFen ?? 0;
        foreach (var t in rules.Tiers ?? [])
        {
            if (paid >= t.Size)
                price = t.PriceFen;
        }
        return price;
    }

    /// <summary>The next tier above <paramref name="paid"/> seats (the first tier while not reached), or null when the largest is reached.</summary>
    public static GroupTier? NextTier(CampaignRules rules, int paid)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var first = new GroupTier(rules.GroupSize ?? 2, rules.PriceFen ?? 0);
        return new[] { first }.Concat(rules.Tiers ?? []).FirstOrDefault(t => t.Size > paid);
    }

    private async Task PostProgressAsync(Campaign campaign, CampaignGroup group, Guid payer, CancellationToken ct)
    {
        var (l, zone) = await WordsAsync(campaign.WorkspaceId, ct);
        var rules = campaign.RulesValue();
        var name = await db.Members.IgnoreQueryFilters().AsNoTracking().Where(m => m.Id == payer).Select(m => m.DisplayName).SingleOrDefaultAsync(ct) ?? "";
        var next = NextTier(rules, group.Paid);
        var deadline = TimeZoneInfo.ConvertTimeFromUtc(group.ExpiresAt, zone).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);
        var link = ShareUrl(campaign.Slug, group.Id);
        var text = group.Paid < group.Size
            ? l("GroupBuy.Post.Progress", campaign.Name, name, group.Paid, group.Size - group.Paid, deadline, link)
            : l("GroupBuy.Post.TierProgress", campaign.Name, name, group.Paid, next!.Size - group.Paid, CampaignRulesCheck.Yuan(next.PriceFen), deadline, link);
        Post(campaign, group, FormattableString.Invariant($"groupbuy:{group.Id:N}:paid:{group.Paid}"), text);
    }

    private async Task PostEndAsync(Campaign campaign, CampaignGroup group, GroupStatus status, bool isVirtual, int paid, long? price, CancellationToken ct)
    {
        var (l, _) = await WordsAsync(campaign.WorkspaceId, ct);
        var text = status == GroupStatus.Failed
            ? l("GroupBuy.Post.Failed", campaign.Name, paid, group.Size)
            : isVirtual
                ? l("GroupBuy.Post.CompletedVirtual", campaign.Name, paid, group.Size, CampaignRulesCheck.Yuan(price ?? 0))
                : l("GroupBuy.Post.Completed", campaign.Name, paid, CampaignRulesCheck.Yuan(price ?? 0));
        Post(campaign, group, FormattableString.Invariant($"groupbuy:{group.Id:N}:end"), text);
    }

    private void Post(Campaign campaign, CampaignGroup group, string key, string text) =>
        db.Set<OutboundAction>().Add(OutboundAction.Create(campaign.WorkspaceId, group.CommunityId, ActionKind.Send, new ActionPayload(Text: text), key));

    private delegate string Words(string key, params object[] args);

    /// <summary>What is said in the group, in the workspace's language, and its time zone for deadlines.</summary>
    private async Task<(Words L, TimeZoneInfo Zone)> WordsAsync(Guid ws, CancellationToken ct)
    {
        var culture = await WorkspaceSettings.LanguageAsync(db, ws, ct);
        var table = strings.Table(culture);
        var zone = await zones.GetAsync(ws, ct);
        return ((key, args) => string.Format(CultureInfo.GetCultureInfo(culture), table[key], args), zone);
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}

/// <summary>Section <c>Campaigns</c>: the group-buy job and where refund requests go.</summary>
public sealed class GroupBuyOptions
{
    /// <summary>Whether this node runs the job closing groups and sending refunds (tests run it by hand).</summary>
    public bool GroupSettleEnabled { get; set; } = true;

    public TimeSpan GroupSettleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The brand's shop endpoint taking refund requests (POST, JSON); blank: staff refund by hand and mark them done.</summary>
    public string? ShopRefundUrl { get; set; }

    /// <summary>The secret signing each refund request (<c>X-Shequn-Signature: sha256=…</c>); blank: unsigned.</summary>
    public string? ShopRefundSecret { get; set; }
}
