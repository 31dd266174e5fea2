using System.Globalization;
using System.Text;
using Microsoft.Extensions.Localization;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Platform.Localization;

namespace Shequn.Features.Acquisition;

/// <summary>
/// The pages behind a live code's short link, server-rendered for phones and WeChat's in-app browser (no script: a form
/// posts the answers and the join). Everything staff wrote is HTML-encoded. Shares the campaign page's frame and style.
/// </summary>
internal static class LandingPageView
{
    private static string E(string? text) => CampaignPageView.E(text);

    private static string Card(string testId, string title, string text) =>
        $"""<div class="card" data-testid="{testId}"><h1>{E(title)}</h1><p>{E(text)}</p></div>""";

    /// <summary>The same page for a code that never existed and for any other unknown path: it says nothing about which exist.</summary>
    public static string NotFound(IStringLocalizer l) =>
        CampaignPageView.Page(l["LiveCodePage.NotFound.Title"], Card("livecode-not-found", l["LiveCodePage.NotFound.Title"], l["LiveCodePage.NotFound"]));

    public static string Stopped(IStringLocalizer l) =>
        CampaignPageView.Page(l["LiveCodePage.Stopped.Title"], Card("livecode-stopped", l["LiveCodePage.Stopped.Title"], l["LiveCodePage.Stopped"]));

    /// <summary>
    /// Every community is full (or none is open): staff have been told; the visitor may leave a phone, or, having just
    /// left one, gets their withdrawal link (<paramref name="withdraw"/>).
    /// </summary>
    public static string Full(IStringLocalizer l, LiveCodeSnapshot s, string? withdraw = null)
    {
        var sb = new StringBuilder();
        sb.Append(Card("livecode-full", l["LiveCodePage.Full.Title"], l["LiveCodePage.Full"]));
        if (withdraw is not null)
            sb.Append(Withdrawal(l, withdraw));
        else if (s.Code.CollectPhone)
            PhoneForm(sb, l, s, alone: true);
        return CampaignPageView.Page(l["LiveCodePage.Full.Title"], sb.ToString());
    }

    /// <summary>The withdrawal link of the consent just given, in a card of its own.</summary>
    private static string Withdrawal(IStringLocalizer l, string? withdraw) =>
        withdraw is null ? "" : $"""<div class="card">{Members.WithdrawalView.Offer(l, withdraw)}</div>""";

    /// <summary>
    /// A visitor who left a phone and is sent on to a link (Telegram, the Sandbox): the withdrawal link first, shown only
    /// now, then the way on (a link the visitor follows, in place of the redirect).
    /// </summary>
    public static string Kept(IStringLocalizer l, LiveCodeSnapshot s, string target, string withdraw)
    {
        // Staff set the join link; only a web address or one of our own paths becomes a link.
        var safe = (target.StartsWith('/') && !target.StartsWith("//", StringComparison.Ordinal))
            || (Uri.TryCreate(target, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp));
        var go = safe
            ? $"""<p><a class="go" href="{E(target)}" data-testid="livecode-continue">{E(l["LiveCodePage.Continue"])}</a></p>"""
            : "";
        return CampaignPageView.Page(Title(s), $"""
            <div class="card" data-testid="livecode-kept"><h1>{E(l["LiveCodePage.Thanks.Title"])}</h1><p>{E(l["LiveCodePage.Kept"])}</p>{go}</div>{Withdrawal(l, withdraw)}
            """);
    }

    private static string Title(LiveCodeSnapshot s) =>
        s.Code.Title ?? s.FirstRoute?.CommunityName ?? s.WorkspaceName;

    public static string Landing(IStringLocalizer l, LiveCodeSnapshot s, string culture)
    {
        var c = s.Code;
        var first = s.FirstRoute;
        var inv = CultureInfo.InvariantCulture;
        var other = culture == Cultures.English ? Cultures.Default : Cultures.English;
        var sb = new StringBuilder(2048);
        sb.Append(inv, $"""<div id="livecode" data-code="{E(c.Code)}">""");
        sb.Append(inv, $"""<p class="lang"><a href="?culture={E(other)}" hreflang="{E(other)}" data-testid="livecode-language">{E(l["CampaignPage.OtherLanguage"])}</a></p>""");
        sb.Append(inv, $"""<section class="card hero"><h1 data-testid="livecode-title">{E(Title(s))}</h1><p class="muted" style="color:#fff">{E(s.WorkspaceName)}</p></section>""");
        var intro = c.Intro ?? first?.Intro;
        if (!string.IsNullOrWhiteSpace(intro))
            sb.Append(inv, $"""<section class="card" data-testid="livecode-intro"><h2>{E(l["LiveCodePage.Intro"])}</h2>{Paragraphs(intro)}</section>""");
        if (!string.IsNullOrWhiteSpace(first?.Rules))
            sb.Append(inv, $"""<section class="card" data-testid="livecode-rules"><h2>{E(l["LiveCodePage.Rules"])}</h2>{Paragraphs(first!.Rules!)}</section>""");

        sb.Append(inv, $"""<form class="card" method="post" action="/j/{E(c.Code)}/join?culture={E(culture)}" data-testid="livecode-join-form">""");
        var choices = s.Choices;
        if (choices.Count > 0)
        {
            sb.Append(inv, $"""<label for="choice"><b>{E(c.ChoiceQuestion ?? l["LiveCodePage.ChoiceQuestion"])}</b></label>""");
            sb.Append("""<select id="choice" name="choice" data-testid="livecode-choice" style="width:100%;padding:10px;font-size:16px;margin:6px 0;border:1px solid #bbb;border-radius:6px">""");
            sb.Append(inv, $"""<option value="">{E(l["LiveCodePage.ChoiceNone"])}</option>""");
            foreach (var choice in choices)
                sb.Append(inv, $"""<option value="{E(choice)}">{E(choice)}</option>""");
            sb.Append("</select>");
        }
        if (!string.IsNullOrWhiteSpace(c.NeedQuestion))
        {
            sb.Append(inv, $"""<label for="need"><b>{E(c.NeedQuestion)}</b></label>""");
            sb.Append(inv, $"""<input id="need" name="need" maxlength="{LiveCodeLead.AnswerMaxLength}" data-testid="livecode-need" style="width:100%;padding:10px;font-size:16px;margin:6px 0;border:1px solid #bbb;border-radius:6px">""");
        }
        if (c.CollectPhone)
            PhoneFields(sb, l, s);
        sb.Append(inv, $"""<button type="submit" data-testid="livecode-join">{E(l["LiveCodePage.Join"])}</button></form></div>""");
        return CampaignPageView.Page(Title(s), sb.ToString());
    }

    private static void PhoneFields(StringBuilder sb, IStringLocalizer l, LiveCodeSnapshot s)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"""<label for="phone"><b>{E(l["LiveCodePage.Phone"])}</b></label>""");
        sb.Append("""<input id="phone" name="phone" type="tel" inputmode="tel" maxlength="20" autocomplete="tel" data-testid="livecode-phone" style="width:100%;padding:10px;font-size:16px;margin:6px 0;border:1px solid #bbb;border-radius:6px">""");
        sb.Append(inv, $"""<label class="muted"><input type="checkbox" name="consent" value="true" data-testid="livecode-consent"> {E(l["LiveCodePage.Consent", s.WorkspaceName])}</label>""");
    }

    private static void PhoneForm(StringBuilder sb, IStringLocalizer l, LiveCodeSnapshot s, bool alone)
    {
        sb.Append(CultureInfo.InvariantCulture, $"""<form class="card" method="post" action="/j/{E(s.Code.Code)}/phone" data-testid="livecode-phone-form">""");
        PhoneFields(sb, l, s);
        sb.Append(CultureInfo.InvariantCulture, $"""<button type="submit">{E(l[alone ? "LiveCodePage.LeavePhone" : "LiveCodePage.Join"])}</button></form>""");
    }

    /// <summary>Where the visitor joins: a QR image to long-press (WeCom, personal WeChat) under the group's name.</summary>
    public static string Qr(IStringLocalizer l, LiveCodeSnapshot s, RouteInfo route, string imageUrl, string? withdraw = null)
    {
        var body = $"""
            <section class="card" data-testid="livecode-qr"><h1>{E(route.CommunityName)}</h1>
            <img src="{E(imageUrl)}" alt="{E(l["LiveCodePage.QrAlt", route.CommunityName])}" data-testid="livecode-qr-image" style="max-width:280px;margin:12px auto">
            <p>{E(l[route.Platform == ChatPlatform.WeCom ? "LiveCodePage.QrWeCom" : "LiveCodePage.QrWeChat"])}</p></section>{Withdrawal(l, withdraw)}
            """;
        return CampaignPageView.Page(route.CommunityName, body);
    }

    /// <summary>The Sandbox's join page: a name and a button, acting as a newcomer (demo and tests).</summary>
    public static string SandboxJoin(IStringLocalizer l, LiveCodeSnapshot s, RouteInfo route, string? joinedAs)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""<section class="card" data-testid="livecode-sandbox"><h1>{E(route.CommunityName)}</h1>""");
        if (joinedAs is not null)
            sb.Append(CultureInfo.InvariantCulture, $"""<p class="result ok" data-testid="livecode-sandbox-joined">{E(l["LiveCodePage.SandboxJoined", joinedAs, route.CommunityName])}</p></section>""");
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"""<p class="muted">{E(l["LiveCodePage.SandboxHint"])}</p><form method="post"><label for="name"><b>{E(l["LiveCodePage.SandboxName"])}</b></label>""");
            sb.Append("""<input id="name" name="name" maxlength="40" required data-testid="livecode-sandbox-name" style="width:100%;padding:10px;font-size:16px;margin:6px 0;border:1px solid #bbb;border-radius:6px">""");
            sb.Append(CultureInfo.InvariantCulture, $"""<button type="submit" data-testid="livecode-sandbox-join">{E(l["LiveCodePage.Join"])}</button></form></section>""");
        }
        return CampaignPageView.Page(route.CommunityName, sb.ToString());
    }

    /// <summary>A refusal of the form's answers, naming what is wrong, with the way back.</summary>
    public static string Invalid(IStringLocalizer l, LiveCodeSnapshot s, IEnumerable<string> problems) =>
        CampaignPageView.Page(Title(s), $"""
            <div class="card" data-testid="livecode-invalid"><h1>{E(l["LiveCodePage.Invalid.Title"])}</h1>
            {string.Concat(problems.Select(p => $"<p class=\"result err\">{E(p)}</p>"))}
            <p><a href="/j/{E(s.Code.Code)}">{E(l["LiveCodePage.Back"])}</a></p></div>
            """);

    public static string Thanks(IStringLocalizer l, LiveCodeSnapshot s, string? withdraw = null) =>
        CampaignPageView.Page(Title(s), Card("livecode-thanks", l["LiveCodePage.Thanks.Title"], l["LiveCodePage.Thanks"]) + Withdrawal(l, withdraw));

    private static string Paragraphs(string text) =>
        string.Concat(text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"<p>{E(p)}</p>"));
}
