using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Members;

/// <summary>
/// The member's own withdrawal of a consent (PIPL): <c>GET /w/{token}</c> shows what they agreed to — the notice as
/// recorded, when, on which page — with a button; <c>POST /w/{token}</c> withdraws through the same steps as staff
/// (<see cref="Consents.WithdrawByLinkAsync"/>). No sign-in: the token is the key, shown once by the page that took the
/// consent. An unknown or used-up token gets the not-found page. The post is limited like the other public forms.
/// </summary>
public static class WithdrawalEndpoints
{
    public static void MapWithdrawalEndpoints(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/w/{token}", Show).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/w/{token}", Withdraw).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    private static async Task<IResult> Show(HttpContext http, AppDbContext db, WorkspaceZones zones, IStringLocalizer<Strings> l, string token, CancellationToken ct)
    {
        Private(http);
        var consent = await Consents.FindByLinkAsync(db, token, ct);
        if (consent is null)
            return NotFound(http, l);
        var (name, language) = await WorkspaceAsync(db, consent.WorkspaceId, ct);
        FlashSaleEndpoints.Speak(http, language);
        var given = Local(await zones.GetAsync(consent.WorkspaceId, ct), consent.GivenAt);
        return FlashSaleEndpoints.Html(WithdrawalView.Consent(l, consent, name, given, token));
    }

    private static async Task<IResult> Withdraw(HttpContext http, AppDbContext db, WorkspaceZones zones, TimeProvider time, AccessLimits limits, IStringLocalizer<Strings> l,
        string token, CancellationToken ct)
    {
        Private(http);
        if (limits.CheckPublic(http, AccessLimits.Person(null, token)) is { } wait)
        {
            FlashSaleEndpoints.Speak(http, (string?)null);
            return AccessLimits.PageRefusal(l, wait);
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (await Consents.WithdrawByLinkAsync(db, token, now, ct) is not { } done)
            return NotFound(http, l);
        var (name, language) = await WorkspaceAsync(db, done.Consent.WorkspaceId, ct);
        FlashSaleEndpoints.Speak(http, language);
        return FlashSaleEndpoints.Html(WithdrawalView.Done(l, name, Local(await zones.GetAsync(done.Consent.WorkspaceId, ct), now)));
    }

    /// <summary>The pages carry the member's token and what they agreed to: no cache keeps them.</summary>
    private static void Private(HttpContext http) => http.Response.Headers.CacheControl = "no-store";

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult NotFound(HttpContext http, IStringLocalizer l)
    {
        FlashSaleEndpoints.Speak(http, (string?)null);
        return FlashSaleEndpoints.Html(WithdrawalView.NotFound(l), StatusCodes.Status404NotFound);
    }

    private static async Task<(string Name, string Language)> WorkspaceAsync(AppDbContext db, Guid workspaceId, CancellationToken ct)
    {
        var name = await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.Name).SingleOrDefaultAsync(ct) ?? "";
        return (name, await WorkspaceSettings.LanguageAsync(db, workspaceId, ct));
    }

    /// <summary>A time as the workspace's members read it: its zone, with the offset ("2026-12-07 12:05 UTC+8").</summary>
    private static string Local(TimeZoneInfo zone, DateTime utc)
    {
        var local = TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)), zone);
        return local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + WorkspaceClock.OffsetLabel(local.Offset);
    }
}

/// <summary>The withdrawal pages (plain HTML in the campaign pages' frame, no script: a form posts the withdrawal) and the offer of the link.</summary>
internal static class WithdrawalView
{
    private static string E(string? text) => CampaignPageView.E(text);

    /// <summary>The line a page that took a consent shows under its confirmation: the link to withdraw it.</summary>
    public static string Offer(IStringLocalizer l, string path)
    {
        ArgumentNullException.ThrowIfNull(l);
        return $"""<p class="muted" data-testid="withdraw-offer">{E(l["Withdrawal.Offer"])} <a href="{E(path)}" data-testid="withdraw-link">{E(l["Withdrawal.Offer.Link"])}</a></p>""";
    }

    internal static string Consent(IStringLocalizer l, ConsentRecord consent, string workspace, string given, string token)
    {
        var inv = CultureInfo.InvariantCulture;
        var culture = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        var other = culture == Cultures.English ? Cultures.Default : Cultures.English;
        var sb = new StringBuilder(2048);
        sb.Append(inv, $"""<p class="lang"><a href="?culture={E(other)}" hreflang="{E(other)}" data-testid="withdraw-language">{E(l["CampaignPage.OtherLanguage"])}</a></p>""");
        sb.Append(inv, $"""<div class="card" data-testid="withdraw-page"><h1>{E(l["Withdrawal.Title"])}</h1><p>{E(l["Withdrawal.Intro", workspace])}</p>""");
        sb.Append(inv, $"""<h2>{E(l["Withdrawal.Agreed"])}</h2><blockquote data-testid="withdraw-notice">{E(consent.NoticeText)}</blockquote>""");
        sb.Append(inv, $"""<p class="muted" data-testid="withdraw-given">{E(l["Withdrawal.Given", given])}</p>""");
        sb.Append(inv, $"""<p class="muted" data-testid="withdraw-where">{E(l["Withdrawal.Where", l[$"Withdrawal.Source.{consent.Source}"].Value, consent.Page])}</p>""");
        sb.Append(inv, $"""<p>{E(l["Withdrawal.Effects", workspace])}</p>""");
        sb.Append(inv, $"""<form method="post" action="/w/{E(token)}?culture={E(culture)}" data-testid="withdraw-form">""");
        sb.Append(inv, $"""<button type="submit" data-testid="withdraw-submit">{E(l["Withdrawal.Submit"])}</button></form></div>""");
        return CampaignPageView.Page(l["Withdrawal.Title"], sb.ToString());
    }

    internal static string Done(IStringLocalizer l, string workspace, string at) =>
        CampaignPageView.Page(l["Withdrawal.Done.Title"],
            $"""<div class="card" data-testid="withdraw-done"><h1>{E(l["Withdrawal.Done.Title"])}</h1><p class="result ok">{E(l["Withdrawal.Done", at, workspace])}</p><p class="muted">{E(l["Withdrawal.Done.Again"])}</p></div>""");

    /// <summary>The same page for a token never issued, one used up and one replaced by a newer link: it says nothing about which.</summary>
    internal static string NotFound(IStringLocalizer l) =>
        CampaignPageView.Page(l["Withdrawal.NotFound.Title"],
            $"""<div class="card" data-testid="withdraw-not-found"><h1>{E(l["Withdrawal.NotFound.Title"])}</h1><p>{E(l["Withdrawal.NotFound"])}</p></div>""");
}
