using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.Extensions.Localization;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>
/// The campaign's public H5 page (seed 003): top = theme, lure, price against the usual price, stock and the claim
/// button; middle = proof and reviews; bottom = the call to action again. Plain HTML sized for a phone, every word
/// staff wrote HTML-encoded; the only script is the static <c>/c/campaign.js</c> (no inline script, for a CSP of
/// <c>script-src 'self'</c>), which reads the member's token from the address and posts the claim.
/// </summary>
internal static class CampaignPageView
{
    private static readonly HtmlEncoder Enc = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    private const string Style = """
        *{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f5f7;color:#222;font-size:16px}
        main{max-width:560px;margin:0 auto;padding:12px 16px 32px}h1{font-size:1.35rem;margin:6px 0}h2{font-size:1.1rem;margin:0 0 6px}p{line-height:1.5;margin:6px 0}
        .lang{text-align:right;margin:0;font-size:.9rem}.card{background:#fff;border-radius:10px;padding:14px 16px;margin:12px 0;box-shadow:0 1px 3px rgba(0,0,0,.1)}
        .hero{background:linear-gradient(135deg,#c62828,#ef6c00);color:#fff}.price{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
        .now{font-size:1.8rem;font-weight:700;color:#c62828}s{color:#888}.muted{color:#666;font-size:.92rem}.status{font-weight:600}
        .qty{display:flex;align-items:center;gap:8px;margin:10px 0}.qty input{width:72px;padding:8px;font-size:16px;border:1px solid #bbb;border-radius:6px}
        button{width:100%;padding:13px;font-size:17px;border:0;border-radius:8px;background:#c62828;color:#fff;margin-top:10px}button:disabled{background:#bbb}
        button.pay{background:#2e7d32}a.go{display:block;text-align:center;padding:13px;font-size:17px;border-radius:8px;background:#2e7d32;color:#fff;text-decoration:none;margin-top:10px}.result{margin-top:10px;font-weight:600;min-height:1.5em}.result.err{color:#c62828}.result.ok{color:#2e7d32}
        .seats{display:flex;gap:6px;flex-wrap:wrap;margin:8px 0}.seat{width:34px;height:34px;border-radius:50%;background:#ef6c00;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:600}.seat.empty{background:#eee;color:#999}
        .group .share{display:flex;gap:6px;margin-top:8px}.share input{flex:1;min-width:0;padding:8px;border:1px solid #bbb;border-radius:6px;font-size:14px}.share button{width:auto;margin:0;padding:8px 14px;font-size:15px}.tiers{margin:6px 0;padding-left:20px}
        .invite .share{display:flex;gap:6px;margin-top:6px}.coupons{list-style:none;padding:0;margin:6px 0}.coupons li{padding:8px 0;border-top:1px solid #eee;overflow-wrap:anywhere}
        .coupons code{font-size:1.1rem;font-weight:700;letter-spacing:1px;color:#2e7d32}.coupons li.used,.coupons li.void,.coupons li.expired{color:#888}.coupons li.used code,.coupons li.void code,.coupons li.expired code{color:#888;text-decoration:line-through}
        img{max-width:100%;height:auto;border-radius:8px;display:block}blockquote{margin:0;padding-left:10px;border-left:3px solid #ef6c00;color:#444}
        """;

    public static string Page(string title, string body, params string[] scripts) =>
        $"""
        <!DOCTYPE html><html lang="{Enc.Encode(CultureInfo.CurrentUICulture.Name)}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
        <meta name="format-detection" content="telephone=no">
        <title>{Enc.Encode(title)}</title><style>{Style}</style>{string.Concat(scripts.Select(s => $"""<script src="{s}" defer></script>"""))}</head><body><main>{body}</main></body></html>
        """;

    public static string NotFound(IStringLocalizer l) =>
        Page(l["CampaignPage.NotFound.Title"], $"""<div class="card" data-testid="campaign-not-found"><h1>{E(l["CampaignPage.NotFound.Title"])}</h1><p>{E(l["CampaignPage.NotFound"])}</p></div>""");

    public static string Render(IStringLocalizer l, CampaignSnapshot s, DateTime now, string culture, GroupView? group = null, SharedHelp? shared = null)
    {
        ArgumentNullException.ThrowIfNull(l);
        ArgumentNullException.ThrowIfNull(s);
        var c = s.Campaign;
        var rules = s.Rules;
        var phase = c.PhaseAt(now);
        var soldOut = c.Kind == CampaignKind.FlashSale && c.StockLeft <= 0;
        var open = phase == CampaignPhase.Running && c.Kind == CampaignKind.FlashSale && !soldOut;
        var other = culture == Cultures.English ? Cultures.Default : Cultures.English;
        var sb = new StringBuilder(4096);
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"""<div id="campaign" data-slug="{E(c.Slug)}" data-culture="{E(culture)}" data-phase="{phase.ToString().ToLowerInvariant()}" data-sandbox="{(s.Sandbox ? "1" : "0")}" data-open="{(open ? "1" : "0")}">""");
        sb.Append(inv, $"""<p class="lang"><a id="campaign-language" href="?culture={E(other)}" hreflang="{E(other)}" data-testid="campaign-language">{E(l["CampaignPage.OtherLanguage"])}</a></p>""");

        // Top: theme and lure, price, stock, status, the button.
        sb.Append(inv, $"""<section class="card hero"><h1 data-testid="campaign-name">{E(c.Name)}</h1>""");
        foreach (var b in s.Page.Where(b => b.Kind == PageBlockKind.Hero))
            Block(sb, b, c.Slug, inner: true);
        if (!string.IsNullOrWhiteSpace(c.Description))
            sb.Append(inv, $"<p>{E(c.Description)}</p>");
        sb.Append("</section>");

        sb.Append("""<section class="card" data-testid="campaign-offer">""");
        if (rules.PriceFen is { } price)
        {
            sb.Append(inv, $"""<div class="price"><span class="now" data-testid="campaign-price">{E(l["CampaignPage.Price", Yuan(price)])}</span>""");
            if (rules.OriginalPriceFen is { } original && original > price)
                sb.Append(inv, $"""<s>{E(l["CampaignPage.Price", Yuan(original)])}</s>""");
            sb.Append("</div>");
        }
        if (c.Kind == CampaignKind.FlashSale)
        {
            sb.Append(inv, $"""<p data-testid="campaign-stock">{E(soldOut ? l["CampaignPage.SoldOut"] : l["CampaignPage.StockLeft", c.StockLeft])}""");
            if (rules.PerPersonLimit is { } limit)
                sb.Append(inv, $" · {E(l["CampaignPage.Limit", limit])}");
            sb.Append("</p>");
        }
        sb.Append(inv, $"""<p class="muted" data-testid="campaign-period">{E(Period(l, s))}</p>""");
        var (statusKey, until) = phase switch
        {
            CampaignPhase.Upcoming => ("CampaignPage.Status.Upcoming", c.StartsAt),
            CampaignPhase.Running => ("CampaignPage.Status.Running", c.EndsAt),
            CampaignPhase.Cancelled => ("CampaignPage.Status.Cancelled", (DateTime?)null),
            _ => ("CampaignPage.Status.Ended", null),
        };
        var untilAttr = until is { } u ? $""" data-until="{new DateTimeOffset(u, TimeSpan.Zero).ToUnixTimeMilliseconds().ToString(inv)}" """ : "";
        sb.Append(inv, $"""<p class="status" data-testid="campaign-status"{untilAttr}>{E(l[statusKey])} <span class="countdown"></span></p>""");
        if (c.Kind is CampaignKind.Leaderboard or CampaignKind.Quiz or CampaignKind.Swap or CampaignKind.PointsRedemption)
            sb.Append(inv, $"""<p><a class="keep-token" href="/c/{E(c.Slug)}/{BoardPath(c.Kind)}" data-testid="campaign-board-link">{E(l[$"Boards.Link.{c.Kind}"])}</a></p>""");
        if (c.Kind == CampaignKind.FlashSale)
            ClaimBox(sb, l, s, open, soldOut, phase, "top");
        if (c.Kind == CampaignKind.GroupBuy)
            GroupBuyView.Box(sb, l, s, phase, group, now);
        CampaignHelpView.Box(sb, l, s, phase, shared);
        if (c.Kind == CampaignKind.PhotoShare && phase == CampaignPhase.Running)
            PhotoBox(sb, l);
        sb.Append("</section>");
        CampaignSharingView.Box(sb, l, s);

        // Middle: proof, reviews, texts and images, in the order staff put them.
        var middle = s.Page.Where(b => b.Kind is PageBlockKind.Text or PageBlockKind.Image or PageBlockKind.Proof or PageBlockKind.Review).ToList();
        foreach (var b in middle)
            Block(sb, b, c.Slug, inner: false);

        // Bottom: the call to action again.
        var calls = s.Page.Where(b => b.Kind == PageBlockKind.CallToAction).ToList();
        if (calls.Count > 0 || c.Kind == CampaignKind.FlashSale)
        {
            sb.Append("""<section class="card" data-testid="campaign-bottom">""");
            foreach (var b in calls)
                Block(sb, b, c.Slug, inner: true);
            if (c.Kind == CampaignKind.FlashSale)
                ClaimBox(sb, l, s, open, soldOut, phase, "bottom");
            sb.Append("</section>");
        }

        // Words the script shows, in the page's language.
        sb.Append(inv, $"""<div id="campaign-words" hidden data-no-link="{E(l["CampaignPage.NoLink"])}" data-network="{E(l["CampaignPage.Network"])}" """);
        sb.Append(inv, $"""data-days="{E(l["CampaignPage.Countdown.Days"])}" data-busy="{E(l["CampaignPage.Busy"])}" data-pay="{E(l["CampaignPage.SandboxPay"])}" data-until-label="{E(l["CampaignPage.PayBefore"])}"></div>""");
        sb.Append("</div>");
        return c.Kind switch
        {
            CampaignKind.GroupBuy => Page(c.Name, sb.ToString(), "/c/campaign.js", "/c/groupbuy.js", "/c/sharing.js"),
            CampaignKind.PhotoShare => Page(c.Name, sb.ToString(), "/c/campaign.js", "/c/photo.js", "/c/sharing.js"),
            _ => Page(c.Name, sb.ToString(), "/c/campaign.js", "/c/sharing.js"),
        };
    }

    private static void ClaimBox(StringBuilder sb, IStringLocalizer l, CampaignSnapshot s, bool open, bool soldOut, CampaignPhase phase, string where)
    {
        var inv = CultureInfo.InvariantCulture;
        var limit = s.Rules.PerPersonLimit;
        sb.Append(inv, $"""<div class="claim" data-where="{where}">""");
        if (where == "top" && open && limit is > 1)
        {
            sb.Append(inv, $"""<label class="qty">{E(l["CampaignPage.Quantity"])} <input type="number" class="quantity" min="1" max="{limit.Value.ToString(inv)}" value="1" inputmode="numeric" data-testid="campaign-quantity"></label>""");
        }
        var label = open ? l["CampaignPage.Claim"] : soldOut && phase == CampaignPhase.Running ? l["CampaignPage.SoldOut"] : l["CampaignPage.Closed"];
        sb.Append(inv, $"""<button type="button" class="buy" data-testid="campaign-claim-{where}"{(open ? "" : " disabled")}>{E(label)}</button>""");
        if (where == "top")
            sb.Append(inv, $"""<p class="muted" data-testid="campaign-consent">{E(l["CampaignPage.Consent", s.WorkspaceName])}</p>""");
        sb.Append(inv, $"""<div class="result" role="status" aria-live="polite" data-testid="campaign-result-{where}"></div></div>""");
    }

    private static void Block(StringBuilder sb, PageBlock b, string slug, bool inner)
    {
        // A block staff left empty shows nothing (not an empty card).
        if (string.IsNullOrWhiteSpace(b.Title) && string.IsNullOrWhiteSpace(b.Text) && b.ImageId is null)
            return;
        var inv = CultureInfo.InvariantCulture;
        var kind = b.Kind.ToString().ToLowerInvariant();
        sb.Append(inner ? $"""<div class="block {kind}">""" : $"""<section class="card block {kind}">""");
        if (!string.IsNullOrWhiteSpace(b.Title))
            sb.Append(inv, $"<h2>{E(b.Title)}</h2>");
        if (b.ImageId is { } image)
            sb.Append(inv, $"""<img src="/c/{E(slug)}/images/{image}" alt="{E(b.Title ?? "")}" loading="lazy">""");
        if (!string.IsNullOrWhiteSpace(b.Text))
        {
            var lines = string.Join("<br>", b.Text.Split('\n').Select(t => E(t.TrimEnd('\r'))));
            sb.Append(b.Kind == PageBlockKind.Review ? $"<blockquote>{lines}</blockquote>" : $"<p>{lines}</p>");
        }
        sb.Append(inner ? "</div>" : "</section>");
    }

    private static string Period(IStringLocalizer l, CampaignSnapshot s)
    {
        var start = TimeZoneInfo.ConvertTimeFromUtc(s.Campaign.StartsAt, s.Zone);
        var end = TimeZoneInfo.ConvertTimeFromUtc(s.Campaign.EndsAt, s.Zone);
        var offset = s.Zone.GetUtcOffset(start);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        var utc = abs.Minutes == 0 ? $"UTC{sign}{abs.Hours}" : $"UTC{sign}{abs.Hours}:{abs.Minutes:00}";
        return l["CampaignPage.Period", start, end, utc];
    }

    private static string BoardPath(CampaignKind kind) => kind switch { CampaignKind.Quiz => "quiz", CampaignKind.Swap => "swap", CampaignKind.PointsRedemption => "points", _ => "board" };

    internal static string Yuan(long fen) => (fen / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    internal static string E(string? text) => Enc.Encode(text ?? "");

    /// <summary>晒图返现: the day's photo uploaded from the phone (<c>/c/photo.js</c> posts it to <c>/c/{slug}/photo</c>).</summary>
    private static void PhotoBox(StringBuilder sb, IStringLocalizer l)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"""<form id="campaign-photo" class="photo" data-testid="campaign-photo" data-max-bytes="{CampaignPhoto.UploadMaxBytes.ToString(inv)}" data-missing="{E(l["CampaignPage.Refusal.photoMissing"])}" data-too-large="{E(l["CampaignPage.Refusal.photoTooLarge"])}">""");
        sb.Append(inv, $"""<h2>{E(l["CampaignPage.Photo.Title"])}</h2><label>{E(l["CampaignPage.Photo.Choose"])} <input type="file" name="file" accept="image/*" data-testid="campaign-photo-file"></label>""");
        sb.Append(inv, $"""<button type="submit" class="buy" data-testid="campaign-photo-upload">{E(l["CampaignPage.Photo.Upload"])}</button><p class="photo-result" role="status" data-testid="campaign-photo-result"></p></form>""");
    }

}
