using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>Joining (or opening) a group from the public page: the member's token, the leader's group (none: open one), the page's request id, a share link's invite token.</summary>
public sealed record PublicJoinInput(string? Token = null, Guid? GroupId = null, string? RequestId = null, string? Inviter = null);

/// <summary>The Sandbox's pretend checkout of a reserved seat.</summary>
public sealed record PublicSeatCheckoutInput(string? Token = null, Guid? SeatId = null);

public sealed record PublicJoinAnswer(Guid SeatId, Guid GroupId, SeatStatus Status, long PriceFen, DateTime ExpiresAt, bool Replayed, string ShareUrl, string Message);

/// <summary>A refund staff made by hand (or the shop confirmed out of band).</summary>
public sealed record RefundDoneInput(string? Reference);

/// <summary>Group buys: staff's view of groups, order confirmations and refunds under <c>/api/campaigns</c>, and the public page's join.</summary>
public static class GroupBuyEndpoints
{
    public static void MapGroupBuyEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/{id:guid}/groups", Groups).WithName("ListCampaignGroups")
            .WithDescription("A group buy's groups with their seats, newest first (at most 500); filter status (open, completed, failed).");
        g.MapPost("/{id:guid}/seats/{seatId:guid}/paid", Paid).WithName("ConfirmCampaignSeatPaid")
            .WithDescription("The shop's order confirmation of a group-buy seat: reserved becomes paid with orderId, and the group's progress is posted in its community. "
                + "The same orderId again answers the same seat; another orderId, a released seat or a closed group is a 409.");
        g.MapGet("/{id:guid}/refunds", Refunds).WithName("ListCampaignRefunds")
            .WithDescription("Refund requests of a group buy (failed groups, tier differences), newest first; filter status (pending, done).");
        g.MapPost("/{id:guid}/refunds/{refundId:guid}/done", RefundDone).WithName("MarkCampaignRefundDone")
            .WithDescription("Records that a refund was made (by hand, or confirmed by the shop out of band) with its reference; a done refund answers as it is.");

        app.MapPost("/c/{slug}/join", Join).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/c/{slug}/seat-checkout", SeatCheckout).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    public static async Task<Results<Ok<IReadOnlyList<GroupDto>>, ValidationProblem, NotFound>> Groups(AppDbContext db, Guid id, string? status, CancellationToken ct)
    {
        var v = new Validation();
        var wanted = v.ParseEnum<GroupStatus>("status", status);
        if (!v.IsValid)
            return v.Problem();
        if ((await CampaignDesk.VisibleAsync(db, id, null, ct)).Campaign is null)
            return TypedResults.NotFound();
        return TypedResults.Ok(await GroupListAsync(db, id, wanted, ct));
    }

    /// <summary>The campaign's groups with their seats and names (the console's list reads this too).</summary>
    public static async Task<IReadOnlyList<GroupDto>> GroupListAsync(AppDbContext db, Guid campaignId, GroupStatus? status, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var q = db.Set<CampaignGroup>().AsNoTracking().Where(x => x.CampaignId == campaignId);
        if (status is { } s)
            q = q.Where(x => x.Status == s);
        var groups = await q.OrderByDescending(x => x.OpenedAt).ThenByDescending(x => x.Id).Take(500).ToListAsync(ct);
        var ids = groups.Select(x => x.Id).ToList();
        var seats = await db.Set<CampaignGroupSeat>().AsNoTracking().Where(x => ids.Contains(x.GroupId)).OrderBy(x => x.CreatedAt).ToListAsync(ct);
        var memberIds = seats.Select(x => x.MemberId).Concat(groups.Select(x => x.LeaderMemberId)).Distinct().ToList();
        var names = await db.Members.AsNoTracking().Where(m => memberIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        var byGroup = seats.ToLookup(x => x.GroupId);
        return [.. groups.Select(x => new GroupDto(x.Id, x.CampaignId, x.LeaderMemberId, names.GetValueOrDefault(x.LeaderMemberId), x.CommunityId, x.Status, x.Size, x.MaxSize,
            x.Seats, x.Paid, x.OpenedAt, x.ExpiresAt, x.ClosedAt, x.Virtual, x.PriceFen, [.. byGroup[x.Id].Select(s => SeatDto.Of(s, names.GetValueOrDefault(s.MemberId)))]))];
    }

    public static async Task<Results<Ok<SeatDto>, ValidationProblem, NotFound, ProblemHttpResult>> Paid(
        AppDbContext db, GroupBuys buys, Guid id, Guid seatId, ClaimPaidInput? input, CancellationToken ct)
    {
        var (campaign, me) = await CampaignDesk.VisibleAsync(db, id, null, ct);
        if (campaign is null)
            return TypedResults.NotFound();
        if (!CampaignDesk.MayEdit(me))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs cannot confirm orders.");
        var result = await buys.PayAsync(id, seatId, input?.OrderId, ct);
        return result.Outcome switch
        {
            GroupOutcome.Done => TypedResults.Ok(result.Seat!),
            GroupOutcome.Invalid => result.Validation!.Problem(),
            GroupOutcome.NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Detail),
        };
    }

    public static async Task<Results<Ok<IReadOnlyList<RefundDto>>, ValidationProblem, NotFound>> Refunds(AppDbContext db, Guid id, string? status, CancellationToken ct)
    {
        var v = new Validation();
        var wanted = v.ParseEnum<RefundStatus>("status", status);
        if (!v.IsValid)
            return v.Problem();
        if ((await CampaignDesk.VisibleAsync(db, id, null, ct)).Campaign is null)
            return TypedResults.NotFound();
        return TypedResults.Ok(await RefundListAsync(db, id, wanted, ct));
    }

    public static async Task<IReadOnlyList<RefundDto>> RefundListAsync(AppDbContext db, Guid campaignId, RefundStatus? status, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var q = db.Set<CampaignRefund>().AsNoTracking().Where(r => r.CampaignId == campaignId);
        if (status is { } s)
            q = q.Where(r => r.Status == s);
        var rows = await q.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(500).ToListAsync(ct);
        var memberIds = rows.Select(r => r.MemberId).Distinct().ToList();
        var names = await db.Members.AsNoTracking().Where(m => memberIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        return [.. rows.Select(r => RefundDto.Of(r, names.GetValueOrDefault(r.MemberId)))];
    }

    public static async Task<Results<Ok<RefundDto>, ValidationProblem, NotFound, ProblemHttpResult>> RefundDone(
        AppDbContext db, GroupRefunds refunds, Guid id, Guid refundId, RefundDoneInput? input, CancellationToken ct)
    {
        var (campaign, me) = await CampaignDesk.VisibleAsync(db, id, null, ct);
        if (campaign is null)
            return TypedResults.NotFound();
        if (!CampaignDesk.MayEdit(me))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs cannot record refunds.");
        var v = new Validation().Required("reference", input?.Reference?.Trim(), CampaignRefund.ReferenceMaxLength);
        if (!v.IsValid)
            return v.Problem();
        if (!await db.Set<CampaignRefund>().AnyAsync(r => r.Id == refundId && r.CampaignId == id, ct))
            return TypedResults.NotFound();
        await refunds.MarkDoneAsync(refundId, input!.Reference!.Trim(), ct);
        var row = await db.Set<CampaignRefund>().AsNoTracking().SingleAsync(r => r.Id == refundId, ct);
        return TypedResults.Ok(RefundDto.Of(row));
    }

    private static async Task<IResult> Join(
        HttpContext http, AppDbContext db, CampaignSnapshots snapshots, CampaignLinks links, GroupBuys buys, AccessLimits limits, IStringLocalizer<Strings> l, string slug,
        PublicJoinInput? input, CancellationToken ct)
    {
        if (limits.CheckPublic(http, AccessLimits.Person(null, input?.Token)) is not null)
            return AccessLimits.PublicRefusal(l);
        var s = await snapshots.FindAsync(slug, ct);
        FlashSaleEndpoints.Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.GroupBuy)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound");
        input ??= new PublicJoinInput();
        var v = new Validation().Required("requestId", input.RequestId?.Trim(), CampaignClaim.RequestIdMaxLength);
        if (string.IsNullOrEmpty(input.Token))
            v.Add("token", "Required", "'token' is required: open the page through your personal link.");
        if (!v.IsValid)
            return TypedResults.ValidationProblem(v.Localized(l));
        if (await links.VerifyAsync(s.Campaign.Id, input.Token, ct) is not { } member)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        var result = await buys.JoinAsync(s, member, input.GroupId, input.RequestId, ct);
        // A group's leader already counts as the inviter of who joins it; a share link opened before names one for a leader.
        if (result.Outcome == GroupOutcome.Done)
            await CampaignInvites.RecordAsync(db, links, s.Campaign.Id, member, input.Inviter, ct);
        return result.Outcome switch
        {
            GroupOutcome.Done => TypedResults.Ok(Answer(l, buys, s, result.Seat!, result.Replayed)),
            GroupOutcome.Invalid => TypedResults.ValidationProblem(result.Validation!.Localized(l)),
            GroupOutcome.NotFound => FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "groupNotFound"),
            GroupOutcome.NotRunning => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "notRunning"),
            GroupOutcome.SoldOut => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "soldOut"),
            GroupOutcome.OverLimit => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "groupLimit"),
            GroupOutcome.NotInAudience => FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "notInAudience"),
            GroupOutcome.Excluded => FlashSaleEndpoints.Excluded(l, result.Excluded),
            GroupOutcome.GroupClosed => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "groupClosed"),
            GroupOutcome.GroupFull => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "groupFull"),
            _ => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "conflict"),
        };
    }

    private static PublicJoinAnswer Answer(IStringLocalizer l, GroupBuys buys, CampaignSnapshot s, SeatDto seat, bool replayed) =>
        new(seat.Id, seat.GroupId, seat.Status, seat.PriceFen, seat.ExpiresAt, replayed, buys.ShareUrl(s.Campaign.Slug, seat.GroupId), l[$"CampaignPage.Seat.{seat.Status}"].Value);

    private static async Task<IResult> SeatCheckout(
        HttpContext http, AppDbContext db, CampaignSnapshots snapshots, CampaignLinks links, GroupBuys buys, IStringLocalizer<Strings> l, string slug, PublicSeatCheckoutInput? input,
        CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        FlashSaleEndpoints.Speak(http, s);
        // Only in the Sandbox: elsewhere the brand's shop confirms orders through the API.
        if (s is null || !s.Sandbox || s.Campaign.Kind != CampaignKind.GroupBuy)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound");
        if (await links.VerifyAsync(s.Campaign.Id, input?.Token, ct) is not { } member)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        using var acting = db.Current.ActAsSystemWhile(s.Campaign.WorkspaceId);
        var seatId = input!.SeatId ?? Guid.Empty;
        if (!await db.Set<CampaignGroupSeat>().AnyAsync(x => x.Id == seatId && x.CampaignId == s.Campaign.Id && x.MemberId == member, ct))
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound");
        // One pretend order per seat, so a second click is answered like the first.
        var result = await buys.PayAsync(s.Campaign.Id, seatId, "sandbox-" + seatId.ToString("N"), ct);
        return result.Outcome == GroupOutcome.Done
            ? TypedResults.Ok(Answer(l, buys, s, result.Seat!, result.Replayed))
            : FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, result.Seat?.Status == SeatStatus.Released ? "released" : "groupClosed");
    }
}
