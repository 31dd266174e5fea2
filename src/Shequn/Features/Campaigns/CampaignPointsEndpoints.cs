using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A redemption from the public page: the member's token, the catalog item's position, the page's request id, and the
/// invite token of a share link the page was opened through (<c>?i=</c>).
/// </summary>
public sealed record PublicRedeemInput(string? Token = null, string? RequestId = null, int? ItemIndex = null, string? Inviter = null);

/// <summary>
/// 积分兑换 / 集卡: staff's lists (<c>/api/campaigns/{id}/redemptions</c>, <c>/api/campaigns/{id}/cards</c>) and delivery of
/// a redeemed item; the public page <c>/c/{slug}/points</c> (catalog, and with the personal token the balance and cards)
/// and its redemption <c>/c/{slug}/redeem</c>.
/// </summary>
public static class CampaignPointsEndpoints
{
    public static void MapCampaignPointsEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/{id:guid}/redemptions", Redemptions).WithName("ListCampaignRedemptions")
            .WithDescription("A points campaign's redemptions, newest first: the item, the points spent, redeemed or delivered.");
        g.MapPost("/{id:guid}/redemptions/{redemptionId:guid}/delivered", Delivered).WithName("DeliverCampaignRedemption")
            .WithDescription("Staff handed the item over: redeemed → delivered. Delivering again answers the redemption as it stands.");
        g.MapGet("/{id:guid}/cards", Cards).WithName("ListCampaignCards")
            .WithDescription("A card-collecting campaign's holdings: per member how many of each card (positions of rules.cards), draws, and whether the set is complete.");

        app.MapGet("/c/{slug}/points", PointsPage).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/c/{slug}/redeem", Redeem).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    public static async Task<Results<Ok<IReadOnlyList<RedemptionDto>>, NotFound>> Redemptions(CampaignPoints points, Guid id, CancellationToken ct) =>
        await points.RedemptionsAsync(id, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();

    public static async Task<Results<Ok<IReadOnlyList<CardHolding>>, NotFound>> Cards(CampaignPoints points, Guid id, CancellationToken ct) =>
        await points.CardsAsync(id, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();

    public static async Task<Results<Ok<RedemptionDto>, NotFound, ProblemHttpResult>> Delivered(CampaignPoints points, Guid id, Guid redemptionId, CancellationToken ct)
    {
        var r = await points.DeliverAsync(id, redemptionId, ct);
        return r.Outcome switch
        {
            CampaignOutcome.Saved => TypedResults.Ok(r.Value!),
            CampaignOutcome.NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Your role does not allow this."),
        };
    }

    private static async Task<IResult> PointsPage(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, CampaignPoints points, IStringLocalizer<Strings> l,
        TimeProvider time, string slug, string? m, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.PointsRedemption)
            return Html(CampaignPageView.NotFound(l), StatusCodes.Status404NotFound);
        var member = await links.VerifyAsync(s.Campaign.Id, m, ct);
        var data = await points.PageAsync(s, member, ct);
        return Html(PointsPageView.Render(l, s, data, time.GetUtcNow().UtcDateTime, Cultures.Normalize(CultureInfo.CurrentUICulture.Name)));
    }

    private static async Task<IResult> Redeem(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, CampaignPoints points, IStringLocalizer<Strings> l, string slug,
        PublicRedeemInput? input, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.PointsRedemption)
            return Refusal(l, StatusCodes.Status404NotFound, "notFound");
        input ??= new PublicRedeemInput();
        if (string.IsNullOrEmpty(input.Token))
            return TypedResults.ValidationProblem(new Validation().Add("token", "Required", "'token' is required: open the page through your personal link.").Localized(l));
        if (await links.VerifyAsync(s.Campaign.Id, input.Token, ct) is not { } member)
            return Refusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        var r = await points.RedeemAsync(s, member, input.ItemIndex, input.RequestId, ct);
        if (r.Outcome == RedeemOutcome.Done)
            await CampaignInvites.RecordFromPageAsync(http, links, s.Campaign.Id, member, input.Inviter, ct);
        return r.Outcome switch
        {
            RedeemOutcome.Done => TypedResults.Ok(new { redemption = r.Redemption, balance = r.Balance?.Balance, message = l["CampaignPoints.Redeemed", r.Redemption!.ItemName, r.Redemption.Points].Value }),
            RedeemOutcome.Invalid => TypedResults.ValidationProblem(r.Validation!.Localized(l)),
            RedeemOutcome.NotInAudience => Refusal(l, StatusCodes.Status403Forbidden, "notInAudience"),
            RedeemOutcome.Excluded => FlashSaleEndpoints.Excluded(l, r.Excluded),
            RedeemOutcome.NotRunning => Refusal(l, StatusCodes.Status409Conflict, "notRunning"),
            RedeemOutcome.SoldOut => Refusal(l, StatusCodes.Status409Conflict, "soldOut"),
            RedeemOutcome.NotEnoughPoints => Refusal(l, StatusCodes.Status409Conflict, "notEnoughPoints"),
            _ => Refusal(l, StatusCodes.Status409Conflict, "conflict"),
        };
    }

    /// <summary>A refusal the page shows as is: ProblemDetails with a stable <c>code</c> and the words in the page's language.</summary>
    private static ProblemHttpResult Refusal(IStringLocalizer l, int status, string code) =>
        TypedResults.Problem(statusCode: status, title: code, detail: l[$"CampaignPoints.Refusal.{code}"].Value, extensions: new Dictionary<string, object?> { ["code"] = code });

    private static void Speak(HttpContext http, CampaignSnapshot? s)
    {
        if (s is null || Cultures.Supported.Contains(http.Request.Query["culture"].ToString(), StringComparer.OrdinalIgnoreCase))
            return;
        var culture = CultureInfo.GetCultureInfo(s.Language);
        (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, culture);
    }

    private static ContentHttpResult Html(string html, int status = 200) => TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
}

/// <summary>The points page: the member's balance (personal link), the catalog with redeem buttons, and the cards held.</summary>
internal static class PointsPageView
{
    private static readonly HtmlEncoder Enc = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    private static string E(string? text) => Enc.Encode(text ?? "");

    public static string Render(IStringLocalizer l, CampaignSnapshot s, PointsPageData data, DateTime now, string culture)
    {
        var sb = new StringBuilder(4096);
        var inv = CultureInfo.InvariantCulture;
        var open = s.Campaign.PhaseAt(now) == CampaignPhase.Running;
        BoardPages.Head(sb, l, s, "points", culture, now, open);
        if (data.Balance is { } b)
            sb.Append(inv, $"""<section class="card"><p class="now" data-testid="points-balance" data-balance="{b.Balance.ToString(inv)}">{E(l["CampaignPoints.Balance", b.Balance])}</p><p class="muted">{E(l["CampaignPoints.EarnedSpent", b.Earned, b.Spent])}</p></section>""");
        else
            sb.Append(inv, $"""<section class="card"><p class="muted" data-testid="points-no-link">{E(l["CampaignPoints.NoLink"])}</p></section>""");
        if (data.Catalog.Count > 0)
        {
            sb.Append(inv, $"""<section class="card" data-testid="points-catalog"><h2>{E(l["CampaignPoints.Catalog"])}</h2>""");
            foreach (var item in data.Catalog)
            {
                var can = open && item.Left > 0 && data.Balance is { } bal && bal.Balance >= item.Points;
                sb.Append(inv, $"""<div class="block" data-testid="points-item"><p><b>{E(item.Name)}</b> · {E(l["CampaignPoints.Cost", item.Points])} · {E(item.Left > 0 ? l["CampaignPoints.Left", item.Left] : l["CampaignPoints.SoldOut"])}</p>""");
                sb.Append(inv, $"""<button type="button" class="redeem" data-item="{item.Index.ToString(inv)}"{(can ? "" : " disabled")}>{E(l["CampaignPoints.Redeem"])}</button></div>""");
            }
            sb.Append("""<div class="result" id="points-result" role="status" aria-live="polite" data-testid="points-result"></div></section>""");
        }
        var cards = s.Rules.Cards ?? [];
        if (cards.Count > 0)
        {
            sb.Append(inv, $"""<section class="card" data-testid="points-cards"><h2>{E(l["CampaignPoints.Cards"])}</h2><p class="muted">{E(l["CampaignPoints.CardsHow", s.Rules.CardKeyword ?? ""])}</p><div class="seats">""");
            for (var i = 0; i < cards.Count; i++)
            {
                var held = data.Cards?.Counts.ElementAtOrDefault(i) ?? 0;
                sb.Append(inv, $"""<span class="block" style="padding:6px 10px;border-radius:8px;background:{(held > 0 ? "#ef6c00;color:#fff" : "#eee;color:#999")}" data-testid="points-card" data-held="{held.ToString(inv)}">{E(cards[i])}{(held > 1 ? $" ×{held.ToString(inv)}" : "")}</span>""");
            }
            sb.Append("</div>");
            if (data.Cards is { Complete: true })
                sb.Append(inv, $"""<p class="status" data-testid="points-cards-complete">{E(l["CampaignPoints.CardsComplete"])}</p>""");
            sb.Append("</section>");
        }
        return BoardPages.Tail(sb, l, s);
    }
}
