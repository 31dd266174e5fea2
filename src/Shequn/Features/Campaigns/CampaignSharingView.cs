using System.Globalization;
using System.Text;
using Microsoft.Extensions.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>
/// The campaign page's sharing part: the member's poster link (revealed by <c>/c/sharing.js</c> only when the page knows
/// their token) and, when the rules ask for it, the phone field with the consent line naming the workspace.
/// </summary>
internal static class CampaignSharingView
{
    public static void Box(StringBuilder sb, IStringLocalizer l, CampaignSnapshot s)
    {
        var inv = CultureInfo.InvariantCulture;
        var slug = CampaignPageView.E(s.Campaign.Slug);
        sb.Append(inv, $"""<section class="card" id="sharing" hidden data-testid="campaign-sharing"><a class="poster" href="/c/{slug}/poster.png" target="_blank" rel="noopener" data-testid="campaign-poster-link">{CampaignPageView.E(l["CampaignSharing.Poster.Link"])}</a>""");
        // The member's invite link, filled in by /c/sharing.js from /c/{slug}/mine: forwarding it counts friends as theirs.
        sb.Append(inv, $"""<div class="invite" hidden data-testid="campaign-invite"><p class="muted">{CampaignPageView.E(l["CampaignSharing.Invite.Label"])}</p>""");
        sb.Append(inv, $"""<div class="share"><input type="text" readonly class="invite-url" aria-label="{CampaignPageView.E(l["CampaignSharing.Invite.Label"])}" data-testid="campaign-invite-url">""");
        sb.Append(inv, $"""<button type="button" class="copy" data-copied="{CampaignPageView.E(l["CampaignSharing.Invite.Copied"])}" data-testid="campaign-invite-copy">{CampaignPageView.E(l["CampaignSharing.Invite.Copy"])}</button></div></div></section>""");
        if (s.Campaign.Kind == CampaignKind.Coupon || s.Campaign.RewardsValue().Any(r => r.Kind == RewardKind.Coupon))
        {
            // The member's codes and what each is now (a void or expired code is not offered as usable).
            sb.Append(inv, $"""<section class="card" id="my-coupons" hidden data-testid="campaign-my-coupons"><h2>{CampaignPageView.E(l["CampaignPage.MyCoupons.Title"])}</h2>""");
            sb.Append(inv, $"""<p class="muted none" hidden>{CampaignPageView.E(l["CampaignPage.MyCoupons.None"])}</p><ul class="coupons"></ul></section>""");
        }
        if (s.Rules.CollectPhone != true)
            return;
        sb.Append(inv, $"""<section class="card" id="phone-box" data-testid="campaign-phone"><h2>{CampaignPageView.E(l["CampaignSharing.Phone.Title"])}</h2>""");
        sb.Append(inv, $"""<label class="qty">{CampaignPageView.E(l["CampaignSharing.Phone.Label"])} <input type="tel" class="phone" inputmode="tel" autocomplete="tel" maxlength="32" style="width:auto;flex:1" data-testid="campaign-phone-input"></label>""");
        sb.Append(inv, $"""<label class="muted"><input type="checkbox" class="consent" data-testid="campaign-phone-consent"> <span data-testid="campaign-phone-consent-text">{CampaignPageView.E(l["CampaignSharing.Consent", s.WorkspaceName])}</span></label>""");
        sb.Append(inv, $"""<button type="button" class="phone-submit" data-testid="campaign-phone-submit">{CampaignPageView.E(l["CampaignSharing.Phone.Submit"])}</button>""");
        sb.Append("""<p class="status phone-result" role="status" aria-live="polite" data-testid="campaign-phone-result"></p>""");
        // The member's withdrawal link (/w/{token}), filled in by /c/sharing.js from the answer: the token is shown only there.
        sb.Append(inv, $"""<p class="muted phone-withdraw" hidden>{CampaignPageView.E(l["Withdrawal.Offer"])} <a href="" data-testid="campaign-phone-withdraw">{CampaignPageView.E(l["Withdrawal.Offer.Link"])}</a></p></section>""");
    }
}
