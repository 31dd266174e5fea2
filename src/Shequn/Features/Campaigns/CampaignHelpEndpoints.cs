using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>A start, a cut or a help from the public page: the member's (or the friend's) token and the page's request id.</summary>
public sealed record PublicHelpInput(string? Token = null, string? RequestId = null, string? Inviter = null);

/// <summary>The shop's order confirmation of a bargain, or its redemption of a coupon code.</summary>
public sealed record HelpOrderInput(string? OrderId);

/// <summary>
/// The public page's answer: what was started, cut, helped or claimed, the page's words for it, and (for a start) the
/// link to share with friends.
/// </summary>
public sealed record PublicHelpAnswer(Guid Id, string Status, bool Replayed, string Message, string? ShareUrl = null, long? PriceFen = null, int? Count = null,
    int? Needed = null, string? Code = null, DateTime? ValidUntil = null);

/// <summary>
/// 砍 bargains, 帮 assists and 券 coupons: staff lists, the shop's order confirmation and coupon redemption under
/// <c>/api</c>, and the public page's actions under <c>/c/{slug}</c>.
/// </summary>
public static class CampaignHelpEndpoints
{
    public static void MapCampaignHelpEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/{id:guid}/bargains", Bargains).WithName("ListCampaignBargains")
            .WithDescription("A bargain campaign's bargains, newest first (at most 500): who started each, the price now, cuts against helpers needed, status, and every cut.");
        g.MapPost("/{id:guid}/bargains/{bargainId:guid}/paid", BargainPaid).WithName("ConfirmCampaignBargainPaid")
            .WithDescription("The shop's order confirmation: the bargain is bought at the price it reached (paidPriceFen) and its member completes. "
                + "The same orderId again answers the same bargain; another orderId is a 409.");
        g.MapGet("/{id:guid}/assists", Assists).WithName("ListCampaignAssists")
            .WithDescription("An assist campaign's requests, newest first (at most 500): helps against helpers needed, status, and who helped.");
        g.MapGet("/{id:guid}/coupons", Coupons).WithName("ListCampaignCoupons")
            .WithDescription("A campaign's coupon codes (claimed on its page, or issued for coupon rewards), newest first (at most 1000).");
        api.MapPost("/coupons/{code}/redeem", Redeem).WithTags("Campaigns").WithName("RedeemCoupon")
            .WithDescription("The shop redeems a coupon code for orderId: an unused code becomes used once. The same orderId again answers the same coupon; "
                + "another orderId, a void coupon or one past its validity (rules.couponValidDays) is a 409 naming why; an unknown code is a 404.");
        api.MapPost("/coupons/{code}/void", VoidCoupon).WithTags("Campaigns").WithName("VoidCoupon")
            .WithDescription("Staff void an unused coupon code: it can no longer be redeemed. Only once: a used or already void code is a 409; an unknown code is a 404.");

        app.MapPost("/c/{slug}/bargain", StartBargain).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/c/{slug}/bargain/{bargainId:guid}/cut", Cut).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/c/{slug}/assist", StartAssist).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/c/{slug}/assist/{assistId:guid}/help", Help).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/c/{slug}/coupon", ClaimCoupon).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    public static async Task<Results<Ok<IReadOnlyList<BargainDto>>, NotFound>> Bargains(AppDbContext db, CampaignHelpWork work, Guid id, CancellationToken ct) =>
        (await CampaignDesk.VisibleAsync(db, id, null, ct)).Campaign is null ? TypedResults.NotFound() : TypedResults.Ok(await work.BargainsAsync(id, ct));

    public static async Task<Results<Ok<IReadOnlyList<AssistDto>>, NotFound>> Assists(AppDbContext db, CampaignHelpWork work, Guid id, CancellationToken ct) =>
        (await CampaignDesk.VisibleAsync(db, id, null, ct)).Campaign is null ? TypedResults.NotFound() : TypedResults.Ok(await work.AssistsAsync(id, ct));

    public static async Task<Results<Ok<IReadOnlyList<CouponDto>>, NotFound>> Coupons(AppDbContext db, CampaignHelpWork work, Guid id, CancellationToken ct) =>
        (await CampaignDesk.VisibleAsync(db, id, null, ct)).Campaign is null ? TypedResults.NotFound() : TypedResults.Ok(await work.CouponsAsync(id, ct));

    public static async Task<Results<Ok<BargainDto>, ValidationProblem, NotFound, ProblemHttpResult>> BargainPaid(
        AppDbContext db, CampaignHelpWork work, Guid id, Guid bargainId, HelpOrderInput? input, CancellationToken ct)
    {
        var (campaign, me) = await CampaignDesk.VisibleAsync(db, id, null, ct);
        if (campaign is null)
            return TypedResults.NotFound();
        if (!CampaignDesk.MayEdit(me))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs cannot confirm orders.");
        return Staff(await work.PayBargainAsync(id, bargainId, input?.OrderId, ct));
    }

    public static async Task<Results<Ok<CouponDto>, ValidationProblem, NotFound, ProblemHttpResult>> Redeem(
        AppDbContext db, CampaignHelpWork work, string code, HelpOrderInput? input, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return TypedResults.NotFound();
        if (!CampaignDesk.MayEdit(me))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs cannot redeem coupons.");
        return Staff(await work.RedeemAsync(code, input?.OrderId, c => CampaignDesk.Sees(me, c.CommunityIdsValue()), ct));
    }

    public static async Task<Results<Ok<CouponDto>, ValidationProblem, NotFound, ProblemHttpResult>> VoidCoupon(CampaignHelpWork work, string code, CancellationToken ct) =>
        Staff(await work.VoidByStaffAsync(code, ct));

    private static Results<Ok<T>, ValidationProblem, NotFound, ProblemHttpResult> Staff<T>(HelpResult<T> result) => result.Outcome switch
    {
        HelpOutcome.Done => TypedResults.Ok(result.Value!),
        HelpOutcome.Invalid => result.Validation!.Problem(),
        HelpOutcome.NotFound => TypedResults.NotFound(),
        HelpOutcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: result.Detail),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Detail),
    };

    private static async Task<IResult> StartBargain(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, CampaignHelpWork work, IStringLocalizer<Strings> l,
        string slug, PublicHelpInput? input, CancellationToken ct)
    {
        var (s, member, refusal) = await MemberAsync(http, snapshots, links, l, slug, input, requestId: true, ct);
        if (refusal is not null)
            return refusal;
        var r = await work.StartBargainAsync(s!, member, input!.RequestId, ct);
        await InviterAsync(http, links, s!, member, input, r.Outcome, ct);
        return Public(l, r, b => new PublicHelpAnswer(b.Id, b.Status.ToString().ToLowerInvariant(), r.Replayed,
            l["CampaignPage.Bargain.Started", Yuan(b.PriceFen), Yuan(b.FloorPriceFen), b.Helpers].Value, $"/c/{slug}?b={b.Id}", b.PriceFen, b.Cuts, b.Helpers));
    }

    private static async Task<IResult> Cut(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, CampaignHelpWork work, IStringLocalizer<Strings> l,
        string slug, Guid bargainId, PublicHelpInput? input, CancellationToken ct)
    {
        var (s, helper, refusal) = await MemberAsync(http, snapshots, links, l, slug, input, requestId: false, ct);
        if (refusal is not null)
            return refusal;
        var r = await work.CutAsync(s!, bargainId, helper, ct);
        await InviterAsync(http, links, s!, helper, input, r.Outcome, ct);
        return Public(l, r, b => new PublicHelpAnswer(b.Id, b.Status.ToString().ToLowerInvariant(), r.Replayed,
            l[b.Status == BargainStatus.Open ? "CampaignPage.Bargain.CutDone" : "CampaignPage.Bargain.FloorReached",
                Yuan(b.CutList.FirstOrDefault(x => x.HelperMemberId == helper)?.AmountFen ?? 0), Yuan(b.PriceFen)].Value,
            null, b.PriceFen, b.Cuts, b.Helpers));
    }

    private static async Task<IResult> StartAssist(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, CampaignHelpWork work, IStringLocalizer<Strings> l,
        string slug, PublicHelpInput? input, CancellationToken ct)
    {
        var (s, member, refusal) = await MemberAsync(http, snapshots, links, l, slug, input, requestId: true, ct);
        if (refusal is not null)
            return refusal;
        var r = await work.StartAssistAsync(s!, member, input!.RequestId, ct);
        await InviterAsync(http, links, s!, member, input, r.Outcome, ct);
        return Public(l, r, a => new PublicHelpAnswer(a.Id, a.Status.ToString().ToLowerInvariant(), r.Replayed,
            l["CampaignPage.Assist.Started", a.Needed].Value, $"/c/{slug}?a={a.Id}", null, a.Helps, a.Needed));
    }

    private static async Task<IResult> Help(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, CampaignHelpWork work, IStringLocalizer<Strings> l,
        string slug, Guid assistId, PublicHelpInput? input, CancellationToken ct)
    {
        var (s, helper, refusal) = await MemberAsync(http, snapshots, links, l, slug, input, requestId: false, ct);
        if (refusal is not null)
            return refusal;
        var r = await work.HelpAsync(s!, assistId, helper, ct);
        await InviterAsync(http, links, s!, helper, input, r.Outcome, ct);
        return Public(l, r, a => new PublicHelpAnswer(a.Id, a.Status.ToString().ToLowerInvariant(), r.Replayed,
            l["CampaignPage.Assist.Helped", a.Helps, a.Needed].Value, null, null, a.Helps, a.Needed));
    }

    private static async Task<IResult> ClaimCoupon(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, CampaignHelpWork work, IStringLocalizer<Strings> l,
        string slug, PublicHelpInput? input, CancellationToken ct)
    {
        var (s, member, refusal) = await MemberAsync(http, snapshots, links, l, slug, input, requestId: true, ct);
        if (refusal is not null)
            return refusal;
        var r = await work.ClaimCouponAsync(s!, member, input!.RequestId, ct);
        await InviterAsync(http, links, s!, member, input, r.Outcome, ct);
        return Public(l, r, c => new PublicHelpAnswer(c.Id, c.Status.ToString().ToLowerInvariant(), r.Replayed,
            l["CampaignPage.Coupon.Claimed", c.Code, Yuan(c.FaceValueFen)].Value + ValidUntilText(l, s!, c.ValidUntil), null, c.FaceValueFen, Code: c.Code, ValidUntil: c.ValidUntil));
    }

    /// <summary>After a successful action, the inviter an invite link (<c>?i=</c>) names becomes who brought the member (<see cref="CampaignInvites"/>).</summary>
    private static async Task InviterAsync(HttpContext http, CampaignLinks links, CampaignSnapshot s, Guid member, PublicHelpInput? input, HelpOutcome outcome, CancellationToken ct)
    {
        if (outcome == HelpOutcome.Done)
            await CampaignInvites.RecordFromPageAsync(http, links, s.Campaign.Id, member, input?.Inviter, ct);
    }

    /// <summary>The campaign and the member the token names, or the refusal the page shows.</summary>
    private static async Task<(CampaignSnapshot? S, Guid Member, IResult? Refusal)> MemberAsync(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links,
        IStringLocalizer l, string slug, PublicHelpInput? input, bool requestId, CancellationToken ct)
    {
        if (http.RequestServices.GetRequiredService<AccessLimits>().CheckPublic(http, AccessLimits.Person(null, input?.Token)) is not null)
            return (null, default, AccessLimits.PublicRefusal(l));
        var s = await snapshots.FindAsync(slug, ct);
        FlashSaleEndpoints.Speak(http, s);
        if (s is null)
            return (null, default, FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound"));
        var v = requestId ? CampaignHelpWork.CheckRequest(input?.RequestId) : new Validation();
        if (string.IsNullOrEmpty(input?.Token))
            v.Add("token", "Required", "'token' is required: open the page through your personal link.");
        if (!v.IsValid)
            return (s, default, TypedResults.ValidationProblem(v.Localized(l)));
        if (await links.VerifyAsync(s.Campaign.Id, input!.Token, ct) is not { } member)
            return (s, default, FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "unknownMember"));
        return (s, member, null);
    }

    private static IResult Public<T>(IStringLocalizer l, HelpResult<T> r, Func<T, PublicHelpAnswer> answer) => r.Outcome switch
    {
        HelpOutcome.Done => TypedResults.Ok(answer(r.Value!)),
        HelpOutcome.Invalid => TypedResults.ValidationProblem(r.Validation!.Localized(l)),
        HelpOutcome.NotFound => FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound"),
        HelpOutcome.NotRunning => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "notRunning"),
        HelpOutcome.NotInAudience => FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "notInAudience"),
        HelpOutcome.Excluded => FlashSaleEndpoints.Excluded(l, r.Excluded),
        HelpOutcome.SelfHelp => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "selfHelp"),
        HelpOutcome.Finished => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "finished"),
        HelpOutcome.SoldOut => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "soldOut"),
        HelpOutcome.OverLimit => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "couponLimit"),
        _ => FlashSaleEndpoints.Refusal(l, StatusCodes.Status409Conflict, "conflict"),
    };

    /// <summary>A coupon's last redeemable moment as the member reads it (the workspace's time, with its offset); nothing for a code without expiry.</summary>
    internal static string ValidUntilText(IStringLocalizer l, CampaignSnapshot s, DateTime? validUntil)
    {
        if (validUntil is not { } until)
            return "";
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(until, DateTimeKind.Utc), s.Zone);
        var offset = s.Zone.GetUtcOffset(local);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        var zone = abs.Minutes == 0 ? $"UTC{sign}{abs.Hours}" : $"UTC{sign}{abs.Hours}:{abs.Minutes:00}";
        var text = local.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " (" + zone + ")";
        return " " + l["CampaignPage.Coupon.ValidUntil", text].Value;
    }

    internal static string Yuan(long fen) => CampaignRulesCheck.Yuan(fen);
}
