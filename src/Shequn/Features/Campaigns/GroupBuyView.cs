using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;

namespace Shequn.Features.Campaigns;

/// <summary>The group a share link (<c>?g=</c>) names, as the page shows it; <see cref="Group"/> null when the link names none of this campaign's.</summary>
internal sealed record GroupView(CampaignGroup? Group, string? LeaderName)
{
    public static async Task<GroupView> LoadAsync(AppDbContext db, CampaignSnapshot s, Guid groupId, CancellationToken ct)
    {
        var group = await db.Set<CampaignGroup>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(g => g.Id == groupId && g.CampaignId == s.Campaign.Id, ct);
        var name = group is null ? null
            : await db.Members.IgnoreQueryFilters().AsNoTracking().Where(m => m.Id == group.LeaderMemberId).Select(m => m.DisplayName).SingleOrDefaultAsync(ct);
        return new(group, Mask(name));
    }

    /// <summary>The leader's name on a public page: the first character and stars (the link travels beyond the group).</summary>
    public static string? Mask(string? name) =>
        string.IsNullOrWhiteSpace(name) ? null : name.Trim().EnumerateRunes().First() + "**";
}

/// <summary>
/// The group-buy part of the public page: the rule (size, hours, tiers), the disclosure of virtual completion when it is
/// enabled, and either the "open a group" button or the shared group's progress with the "join" button. The script
/// (<c>/c/groupbuy.js</c>) posts the join, offers the share link and, in the Sandbox, the pretend checkout.
/// </summary>
internal static class GroupBuyView
{
    public static void Box(StringBuilder sb, IStringLocalizer l, CampaignSnapshot s, CampaignPhase phase, GroupView? view, DateTime now)
    {
        var inv = CultureInfo.InvariantCulture;
        var rules = s.Rules;
        var size = rules.GroupSize ?? 2;
        var E = CampaignPageView.E;
        sb.Append(inv, $"""<div class="group" id="group" data-testid="campaign-group-buy">""");
        sb.Append(inv, $"""<p data-testid="group-rule">{E(l["CampaignPage.Group.Rule", size, rules.GroupHours ?? 24])}</p>""");
        if (rules.Tiers is { Count: > 0 } tiers)
        {
            sb.Append("""<ul class="tiers" data-testid="group-tiers">""");
            sb.Append(inv, $"<li>{E(l["CampaignPage.Group.Tier", size, CampaignPageView.Yuan(rules.PriceFen ?? 0)])}</li>");
            foreach (var t in tiers)
                sb.Append(inv, $"<li>{E(l["CampaignPage.Group.Tier", t.Size, CampaignPageView.Yuan(t.PriceFen)])}</li>");
            sb.Append("</ul>");
            sb.Append(inv, $"""<p class="muted">{E(l["CampaignPage.Group.TierRefund"])}</p>""");
        }
        if (rules.VirtualCompletion)
            sb.Append(inv, $"""<p class="muted" data-testid="group-virtual">{E(l["CampaignPage.Group.VirtualDisclosure", rules.VirtualCompletionPercent ?? 100])}</p>""");

        var running = phase == CampaignPhase.Running;
        var group = view?.Group;
        var joinable = running && (view is null || group is { Status: GroupStatus.Open } && group.ExpiresAt > now && group.Seats < group.MaxSize);
        if (view is not null)
        {
            sb.Append(inv, $"""<div class="card" data-testid="group-progress" data-group="{group?.Id}">""");
            if (group is null)
                sb.Append(inv, $"""<p>{E(l["CampaignPage.Group.NotFound"])}</p>""");
            else
            {
                sb.Append(inv, $"""<h2>{E(l["CampaignPage.Group.Of", view.LeaderName ?? ""])}</h2><div class="seats">""");
                for (var i = 0; i < Math.Max(group.Size, group.Paid); i++)
                    sb.Append(i < group.Paid ? """<span class="seat">✓</span>""" : """<span class="seat empty">?</span>""");
                sb.Append("</div>");
                var zone = TimeZoneInfo.ConvertTimeFromUtc(group.ExpiresAt, s.Zone);
                var state = group.Status switch
                {
                    GroupStatus.Completed when group.Virtual => l["CampaignPage.Group.CompletedVirtual", CampaignPageView.Yuan(group.PriceFen ?? 0)],
                    GroupStatus.Completed => l["CampaignPage.Group.Completed", CampaignPageView.Yuan(group.PriceFen ?? 0)],
                    GroupStatus.Failed => l["CampaignPage.Group.Failed"],
                    _ when group.ExpiresAt <= now => l["CampaignPage.Group.Closing"],
                    _ when group.Paid < group.Size => l["CampaignPage.Group.Needs", group.Paid, group.Size - group.Paid, zone],
                    _ => l["CampaignPage.Group.Reached", group.Paid, CampaignPageView.Yuan(GroupBuys.TierPrice(rules, group.Paid)), zone],
                };
                sb.Append(inv, $"""<p class="status" data-testid="group-state">{E(state)}</p>""");
            }
            sb.Append("</div>");
        }
        var label = !running ? l["CampaignPage.Closed"] : view is null ? l["CampaignPage.Group.Open"] : joinable ? l["CampaignPage.Group.Join"] : l["CampaignPage.Group.Full"];
        sb.Append(inv, $"""<div class="claim"><button type="button" class="join" data-testid="group-join" data-group="{group?.Id}"{(joinable ? "" : " disabled")}>{E(label)}</button>""");
        sb.Append(inv, $"""<p class="muted" data-testid="group-consent">{E(l["CampaignPage.Group.Consent", s.WorkspaceName])}</p>""");
        sb.Append(inv, $"""<div class="result" role="status" aria-live="polite" data-testid="group-result"></div>""");
        sb.Append(inv, $"""<div class="share" hidden data-testid="group-share"><input type="text" readonly aria-label="{E(l["CampaignPage.Group.ShareLabel"])}" data-testid="group-share-url"><button type="button" class="copy">{E(l["CampaignPage.Group.Copy"])}</button></div>""");
        sb.Append(inv, $"""<div id="group-words" hidden data-copied="{E(l["CampaignPage.Group.Copied"])}" data-share="{E(l["CampaignPage.Group.ShareHint"])}"></div></div></div>""");
    }
}
