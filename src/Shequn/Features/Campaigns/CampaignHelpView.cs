using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.Extensions.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>The bargain or assist request a shared link (<c>?b=</c>, <c>?a=</c>) names, shown with its progress.</summary>
public sealed record SharedHelp(BargainDto? Bargain = null, AssistDto? Assist = null);

/// <summary>
/// The public page's box for 砍 bargains, 帮 assists and 券 coupons: the rule, a shared request's progress with the
/// button to help it, and the button to start one's own (or claim a coupon). The buttons carry the path they post to;
/// <c>/c/campaign.js</c> adds the member's token and a request id.
/// </summary>
internal static class CampaignHelpView
{
    private static readonly HtmlEncoder Enc = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    public static void Box(StringBuilder sb, IStringLocalizer l, CampaignSnapshot s, CampaignPhase phase, SharedHelp? shared)
    {
        var c = s.Campaign;
        var r = s.Rules;
        if (c.Kind is not (CampaignKind.Bargain or CampaignKind.Assist or CampaignKind.Coupon))
            return;
        var inv = CultureInfo.InvariantCulture;
        var running = phase == CampaignPhase.Running;
        var off = running ? "" : " disabled";
        sb.Append("""<div class="helps" data-testid="campaign-helps">""");
        switch (c.Kind)
        {
            case CampaignKind.Bargain:
                sb.Append(inv, $"""<p data-testid="bargain-rule">{E(l["CampaignPage.Bargain.Rule", Yuan(r.PriceFen ?? 0), Yuan(r.FloorPriceFen ?? 0), r.Helpers ?? 0])}</p>""");
                if (shared?.Bargain is { } b)
                {
                    sb.Append(inv, $"""<div class="card" data-testid="bargain-progress"><p class="status">{E(l["CampaignPage.Bargain.Progress", b.MemberName, Yuan(b.PriceFen), Yuan(b.FloorPriceFen), b.Cuts, b.Helpers])}</p>""");
                    sb.Append(inv, $"""<progress max="{b.Helpers}" value="{b.Cuts}" style="width:100%"></progress>""");
                    if (b.CutList.Count > 0)
                        sb.Append(inv, $"""<p class="muted">{string.Join(" · ", b.CutList.Select(x => "−¥" + Yuan(x.AmountFen)))}</p>""");
                    if (b.Status == BargainStatus.Open)
                        sb.Append(inv, $"""<button type="button" class="help-action" data-path="/bargain/{b.Id}/cut" data-testid="bargain-cut"{off}>{E(l["CampaignPage.Bargain.Cut"])}</button>""");
                    else
                        sb.Append(inv, $"""<p class="status">{E(l[$"CampaignPage.Bargain.{b.Status}"])}</p>""");
                    sb.Append("</div>");
                }
                sb.Append(inv, $"""<button type="button" class="help-action" data-path="/bargain" data-start="1" data-testid="bargain-start"{off}>{E(l["CampaignPage.Bargain.Start"])}</button>""");
                break;
            case CampaignKind.Assist:
                sb.Append(inv, $"""<p data-testid="assist-rule">{E(l["CampaignPage.Assist.Rule", r.InviteesNeeded ?? 1])}</p>""");
                if (shared?.Assist is { } a)
                {
                    sb.Append(inv, $"""<div class="card" data-testid="assist-progress"><p class="status">{E(l["CampaignPage.Assist.Progress", a.MemberName, a.Helps, a.Needed])}</p>""");
                    sb.Append(inv, $"""<progress max="{a.Needed}" value="{a.Helps}" style="width:100%"></progress>""");
                    if (a.Status == AssistStatus.Open)
                        sb.Append(inv, $"""<button type="button" class="help-action" data-path="/assist/{a.Id}/help" data-testid="assist-help"{off}>{E(l["CampaignPage.Assist.Help"])}</button>""");
                    else
                        sb.Append(inv, $"""<p class="status">{E(l["CampaignPage.Assist.Completed"])}</p>""");
                    sb.Append("</div>");
                }
                sb.Append(inv, $"""<button type="button" class="help-action" data-path="/assist" data-start="1" data-testid="assist-start"{off}>{E(l["CampaignPage.Assist.Start"])}</button>""");
                break;
            default:
                var face = c.RewardsValue().FirstOrDefault(x => x.Kind == RewardKind.Coupon)?.ValueFen ?? 0;
                var left = Math.Max(0, c.StockLeft);
                sb.Append(inv, $"""<p data-testid="coupon-face">{E(l["CampaignPage.Coupon.Face", Yuan(face), left])}</p>""");
                var label = left == 0 && running ? l["CampaignPage.SoldOut"] : l["CampaignPage.Coupon.Claim"];
                sb.Append(inv, $"""<button type="button" class="help-action" data-path="/coupon" data-start="1" data-testid="coupon-claim"{(running && left > 0 ? "" : " disabled")}>{E(label)}</button>""");
                break;
        }
        sb.Append(inv, $"""<div class="result" role="status" aria-live="polite" data-testid="campaign-help-result"></div>""");
        sb.Append(inv, $"""<p class="muted share" hidden data-testid="campaign-share">{E(l["CampaignPage.Share"])} <a class="share-url" href="#"></a></p></div>""");
    }

    private static string Yuan(long fen) => (fen / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    private static string E(string? text) => Enc.Encode(text ?? "");
}
