using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.Extensions.Localization;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>
/// The public pages of 比 问答 换 (server-rendered, localized, every word members or staff wrote encoded): the standings
/// with the published rule; the quiz (questions and options only — the correct answers appear after the member's one
/// submission); the swap board (items and offers, the member's own items with accept buttons). The only script is the
/// static <c>/c/board.js</c>, which posts with the member's token from the address and reloads.
/// </summary>
internal static class BoardPages
{
    private static readonly HtmlEncoder Enc = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    private static string E(string? text) => Enc.Encode(text ?? "");

    internal static void Head(StringBuilder sb, IStringLocalizer l, CampaignSnapshot s, string kind, string culture, DateTime now, bool open)
    {
        var other = culture == Cultures.English ? Cultures.Default : Cultures.English;
        var phase = s.Campaign.PhaseAt(now);
        sb.Append(CultureInfo.InvariantCulture,
            $"""<div id="board" data-slug="{E(s.Campaign.Slug)}" data-culture="{E(culture)}" data-kind="{kind}" data-phase="{phase.ToString().ToLowerInvariant()}" data-open="{(open ? "1" : "0")}">""");
        sb.Append(CultureInfo.InvariantCulture, $"""<p class="lang"><a id="board-language" href="?culture={E(other)}" hreflang="{E(other)}">{E(l["CampaignPage.OtherLanguage"])}</a></p>""");
        sb.Append(CultureInfo.InvariantCulture, $"""<section class="card hero"><h1 data-testid="board-name">{E(s.Campaign.Name)}</h1>""");
        if (!string.IsNullOrWhiteSpace(s.Campaign.Description))
            sb.Append(CultureInfo.InvariantCulture, $"<p>{E(s.Campaign.Description)}</p>");
        var status = phase switch
        {
            CampaignPhase.Upcoming => l["CampaignPage.Status.Upcoming"],
            CampaignPhase.Running => l["CampaignPage.Status.Running"],
            CampaignPhase.Cancelled => l["CampaignPage.Status.Cancelled"],
            _ => l["CampaignPage.Status.Ended"],
        };
        sb.Append(CultureInfo.InvariantCulture, $"""<p class="status" data-testid="board-status">{E(status)}</p></section>""");
    }

    internal static string Tail(StringBuilder sb, IStringLocalizer l, CampaignSnapshot s)
    {
        sb.Append(CultureInfo.InvariantCulture,
            $"""<div id="board-words" hidden data-no-link="{E(l["CampaignPage.NoLink"])}" data-network="{E(l["CampaignPage.Network"])}" data-busy="{E(l["CampaignPage.Busy"])}"></div></div>""");
        return CampaignPageView.Page(s.Campaign.Name, sb.ToString(), "/c/board.js");
    }

    public static string Board(IStringLocalizer l, CampaignSnapshot s, LeaderboardDto board, string culture)
    {
        ArgumentNullException.ThrowIfNull(l);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(board);
        var sb = new StringBuilder(4096);
        var inv = CultureInfo.InvariantCulture;
        Head(sb, l, s, "board", culture, board.ComputedAt, open: false);
        sb.Append(inv, $"""<section class="card" data-testid="board-standings"><h2>{E(l[board.BetweenCommunities ? "Boards.Page.Communities" : "Boards.Page.Members"])}</h2>""");
        if (board.Rows.Count == 0)
            sb.Append(inv, $"""<p class="muted">{E(l["Boards.Empty"])}</p>""");
        else
        {
            var perMember = board.BetweenCommunities && board.Basis == CommunityScoreBasis.PerMember;
            sb.Append(inv, $"""<table style="width:100%;border-collapse:collapse"><thead><tr><th align="left">#</th><th align="left">{E(l["Boards.Page.Name"])}</th><th align="right">{E(l[perMember ? "Boards.Page.PerMember" : "Boards.Page.Points"])}</th></tr></thead><tbody>""");
            foreach (var r in board.Rows.Take(board.Top))
            {
                var value = perMember ? r.Score.ToString("0.##", inv) : r.Points.ToString(inv);
                sb.Append(inv, $"""<tr data-testid="board-row"><td>{r.Rank.ToString(inv)}</td><td style="overflow-wrap:anywhere">{E(r.Name)}</td><td align="right">{value}</td></tr>""");
            }
            sb.Append("</tbody></table>");
        }
        sb.Append(inv, $"""<p class="muted">{E(l["Boards.Page.ComputedAt", TimeZoneInfo.ConvertTimeFromUtc(board.ComputedAt, s.Zone).ToString("yyyy-MM-dd HH:mm", inv)])}</p></section>""");
        sb.Append(inv, $"""<section class="card" data-testid="board-rule"><h2>{E(l["Boards.Page.Rule"])}</h2><ul>""");
        foreach (var line in LeaderboardRuleText.Lines(l, s.Rules))
            sb.Append(inv, $"<li>{E(line)}</li>");
        sb.Append("</ul>");
        if (!string.IsNullOrWhiteSpace(board.ScoringRule))
            sb.Append(inv, $"<p>{E(board.ScoringRule)}</p>");
        sb.Append("</section>");
        return Tail(sb, l, s);
    }

    public static string Quiz(IStringLocalizer l, CampaignSnapshot s, QuizResultDto? result, DateTime now, string culture)
    {
        ArgumentNullException.ThrowIfNull(l);
        ArgumentNullException.ThrowIfNull(s);
        var sb = new StringBuilder(4096);
        var inv = CultureInfo.InvariantCulture;
        var open = s.Campaign.PhaseAt(now) == CampaignPhase.Running && result is null;
        Head(sb, l, s, "quiz", culture, now, open);
        var questions = s.Rules.Questions ?? [];
        if (result is not null)
            sb.Append(inv, $"""<section class="card"><p class="result ok" data-testid="quiz-result">{E(CampaignBoardEndpoints.QuizMessage(l, result))}</p></section>""");
        sb.Append("""<form id="quiz" data-testid="quiz-form">""");
        for (var i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var multiple = q.Correct.Count > 1;
            var marked = result?.Questions.FirstOrDefault(x => x.Index == i);
            sb.Append(inv, $"""<section class="card question" data-index="{i.ToString(inv)}"><h2>{(i + 1).ToString(inv)}. {E(q.Text)}</h2>""");
            if (multiple)
                sb.Append(inv, $"""<p class="muted">{E(l["Boards.Quiz.Multiple"])}</p>""");
            for (var o = 0; o < q.Options.Count; o++)
            {
                var chosen = marked?.Chosen.Contains(o) == true;
                // The correct options are shown only with the member's own result.
                var mark = marked is null ? "" : marked.Correct.Contains(o) ? " ✅" : chosen ? " ❌" : "";
                sb.Append(inv, $"""<p><label><input type="{(multiple ? "checkbox" : "radio")}" name="q{i.ToString(inv)}" value="{o.ToString(inv)}"{(chosen ? " checked" : "")}{(open ? "" : " disabled")}> {E(q.Options[o])}{mark}</label></p>""");
            }
            sb.Append("</section>");
        }
        sb.Append(inv, $"""<button type="submit" class="buy" data-testid="quiz-submit"{(open ? "" : " disabled")}>{E(l[result is null ? "Boards.Quiz.Submit" : "Boards.Quiz.Submitted"])}</button>""");
        sb.Append("""<div class="result" role="status" aria-live="polite" data-testid="board-result"></div></form>""");
        return Tail(sb, l, s);
    }

    public static string Swap(IStringLocalizer l, CampaignSnapshot s, IReadOnlyList<SwapItemDto> items, Guid? member, DateTime now, string culture)
    {
        ArgumentNullException.ThrowIfNull(l);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(items);
        var sb = new StringBuilder(4096);
        var inv = CultureInfo.InvariantCulture;
        var open = s.Campaign.PhaseAt(now) == CampaignPhase.Running;
        Head(sb, l, s, "swap", culture, now, open);
        if (open)
        {
            sb.Append(inv, $"""<section class="card"><h2>{E(l["Boards.Swap.ListTitle"])}</h2><form id="swap-list" data-testid="swap-list-form">""");
            sb.Append(inv, $"""<p><input name="title" maxlength="{SwapItem.TitleMaxLength.ToString(inv)}" placeholder="{E(l["Boards.Swap.Title"])}" style="width:100%;padding:8px;font-size:16px"></p>""");
            sb.Append(inv, $"""<p><textarea name="description" maxlength="{SwapItem.DescriptionMaxLength.ToString(inv)}" rows="3" placeholder="{E(l["Boards.Swap.Description"])}" style="width:100%;padding:8px;font-size:16px"></textarea></p>""");
            sb.Append(inv, $"""<button type="submit" class="buy">{E(l["Boards.Swap.List"])}</button><div class="result" role="status" aria-live="polite"></div></form></section>""");
        }
        if (items.Count == 0)
            sb.Append(inv, $"""<section class="card"><p class="muted">{E(l["Boards.Swap.Empty"])}</p></section>""");
        foreach (var item in items)
        {
            var mine = member == item.OwnerId;
            var offers = item.Offers.Where(o => o.HiddenAt is null).ToList();
            sb.Append(inv, $"""<section class="card swap-item" data-item="{item.Id}" data-testid="swap-item"><h2>{E(item.Title)}</h2>""");
            if (!string.IsNullOrWhiteSpace(item.Description))
                sb.Append(inv, $"<p>{string.Join("<br>", item.Description.Split('\n').Select(t => E(t.TrimEnd('\r'))))}</p>");
            var state = item.Status == SwapItemStatus.Swapped ? l["Boards.Swap.Swapped"] : l["Boards.Swap.Offers", offers.Count(o => o.Status == SwapOfferStatus.Open)];
            sb.Append(inv, $"""<p class="muted">{E(l["Boards.Swap.By", item.OwnerName])} · {E(state)}</p>""");
            if (mine)
            {
                foreach (var o in offers)
                {
                    sb.Append(inv, $"""<p data-testid="swap-offer">{E(o.OffererName)}: {E(o.Text)} · {E(l[$"Boards.Swap.Offer.{o.Status}"])}</p>""");
                    if (open && item.Status == SwapItemStatus.Open && o.Status == SwapOfferStatus.Open)
                        sb.Append(inv, $"""<button type="button" class="accept" data-offer="{o.Id}" data-testid="swap-accept">{E(l["Boards.Swap.Accept"])}</button>""");
                }
            }
            else if (member is { } me && offers.FirstOrDefault(o => o.OffererId == me) is { } myOffer)
                sb.Append(inv, $"""<p>{E(l["Boards.Swap.YourOffer", myOffer.Text])} · {E(l[$"Boards.Swap.Offer.{myOffer.Status}"])}</p>""");
            else if (open && item.Status == SwapItemStatus.Open)
            {
                sb.Append(inv, $"""<form class="swap-offer"><p><input name="text" maxlength="{SwapOffer.TextMaxLength.ToString(inv)}" placeholder="{E(l["Boards.Swap.OfferText"])}" style="width:100%;padding:8px;font-size:16px"></p>""");
                sb.Append(inv, $"""<button type="submit">{E(l["Boards.Swap.MakeOffer"])}</button></form>""");
            }
            sb.Append("""<div class="result" role="status" aria-live="polite"></div></section>""");
        }
        return Tail(sb, l, s);
    }
}
