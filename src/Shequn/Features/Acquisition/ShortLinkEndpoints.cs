using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Calendar;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Sandbox;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Acquisition;

/// <summary>
/// The public side of live codes: the short link <c>/j/{code}</c> (landing page or straight redirect), the join, the
/// code's own QR images, an uploaded group QR, and the Sandbox's pretend join. Every scan is stored (durably, once per
/// address and window) before the visitor is answered.
/// </summary>
public static class ShortLinkEndpoints
{
    public static void MapShortLinkEndpoints(this IEndpointRouteBuilder app)
    {
        // Short-circuited like the campaign claim: a printed code's burst of scans needs none of the console's middleware.
        app.MapGet("/j/{code}", Open).AllowAnonymous().ExcludeFromDescription().ShortCircuit();
        app.MapPost("/j/{code}/join", Join).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/j/{code}/phone", Phone).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapGet("/j/{code}/qr.png", QrPng).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/j/{code}/qr.svg", QrSvg).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/j/{code}/groups/{routeId:guid}/qr", GroupQr).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/j/{code}/sandbox/{routeId:guid}", SandboxPage).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/j/{code}/sandbox/{routeId:guid}", SandboxJoin).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapGet("/j/{code}/{**rest}", (HttpContext http, IStringLocalizer<Strings> l) => NotFound(http, l)).AllowAnonymous().ExcludeFromDescription();
    }

    private static ContentHttpResult Html(string html, int status = 200) => FlashSaleEndpoints.Html(html, status);

    private static ContentHttpResult NotFound(HttpContext http, IStringLocalizer l)
    {
        Speak(http, null);
        return Html(LandingPageView.NotFound(l), StatusCodes.Status404NotFound);
    }

    /// <summary>The page speaks the workspace's language for members unless the visitor picked one (?culture=).</summary>
    private static void Speak(HttpContext http, LiveCodeSnapshot? s) => FlashSaleEndpoints.Speak(http, s?.Language ?? Cultures.Default);

    /// <summary>
    /// Who scanned, without keeping their address: a hash of the code and the address (the forwarded one behind a proxy
    /// the host trusts). One address is one visitor per window, so a bot's burst counts once.
    /// </summary>
    internal static string Visitor(HttpContext http, Guid codeId)
    {
        var address = ClientAddress(http);
        Span<byte> input = stackalloc byte[16 + 16];
        codeId.TryWriteBytes(input);
        var mapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        mapped.TryWriteBytes(input[16..], out var written);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..(16 + written)], hash);
        return Convert.ToHexStringLower(hash[..(LiveCodeScan.VisitorLength / 2)]);
    }

    /// <summary>
    /// The visitor's address. The short link is short-circuited ahead of the forwarded-headers middleware, so the last
    /// X-Forwarded-For entry is taken here the way that middleware would: only from a proxy it trusts (loopback by default).
    /// </summary>
    internal static IPAddress ClientAddress(HttpContext http)
    {
        var remote = http.Connection.RemoteIpAddress ?? IPAddress.None;
        if (remote.IsIPv4MappedToIPv6)
            remote = remote.MapToIPv4();
        var forwarded = http.Request.Headers["X-Forwarded-For"];
        if (forwarded.Count == 0)
            return remote;
        var fw = http.RequestServices.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        if (!fw.KnownProxies.Contains(remote) && !fw.KnownIPNetworks.Any(n => n.Contains(remote)))
            return remote;
        var last = forwarded[^1] ?? "";
        var comma = last.LastIndexOf(',');
        return IPAddress.TryParse(last.AsSpan(comma + 1).Trim(), out var client) ? client : remote;
    }

    private static async Task<IResult> Open(HttpContext http, LiveCodeDirectory directory, ScanBook book, TimeProvider time, IStringLocalizer<Strings> l, string code,
        CancellationToken ct)
    {
        var s = await directory.FindAsync(code, ct);
        Speak(http, s);
        if (s is null)
            return Html(LandingPageView.NotFound(l), StatusCodes.Status404NotFound);
        if (s.Code.State != LiveCodeState.Active)
            return Html(LandingPageView.Stopped(l), StatusCodes.Status410Gone);
        var now = time.GetUtcNow().UtcDateTime;
        if (!s.Code.Landing)
        {
            var outcome = await book.RecordAsync(new ScanRequest(s, ScanKind.Direct, Visitor(http, s.Code.Id), null, now), ct);
            return await GoAsync(http, s, outcome, l, ct);
        }
        await book.RecordAsync(new ScanRequest(s, ScanKind.Visit, Visitor(http, s.Code.Id), null, now), ct);
        var culture = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        var html = directory.CachedPage(code, culture) ?? directory.RememberPage(code, culture, LandingPageView.Landing(l, s, culture));
        return new HtmlBytes(html);
    }

    private static async Task<IResult> Join(HttpContext http, LiveCodeDirectory directory, ScanBook book, LiveCodeLeads leads, TimeProvider time, AccessLimits limits,
        IStringLocalizer<Strings> l, string code, CancellationToken ct)
    {
        // The landing form is limited (per address, per phone), ahead of the lookup so guessing codes is limited too;
        // the short link itself never is: it counts scans.
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : null;
        if (limits.CheckPublic(http, AccessLimits.Person(form?["phone"].ToString(), null)) is { } wait)
        {
            Speak(http, null);
            return AccessLimits.PageRefusal(l, wait);
        }
        var s = await directory.FindAsync(code, ct);
        Speak(http, s);
        if (s is null)
            return Html(LandingPageView.NotFound(l), StatusCodes.Status404NotFound);
        if (s.Code.State != LiveCodeState.Active)
            return Html(LandingPageView.Stopped(l), StatusCodes.Status410Gone);
        var choice = Clip(form?["choice"].ToString(), LiveCodeRoute.ChoiceMaxLength);
        if (choice is not null && !s.Choices.Contains(choice, StringComparer.OrdinalIgnoreCase))
            return Html(LandingPageView.Invalid(l, s, [l["LiveCodePage.ChoiceUnknown", choice]]), StatusCodes.Status400BadRequest);
        var need = Clip(form?["need"].ToString(), LiveCodeLead.AnswerMaxLength);
        var phone = form?["phone"].ToString();
        string? withdraw = null;
        if (!string.IsNullOrWhiteSpace(phone) || need is not null || choice is not null)
        {
            var (problems, link) = await leads.LeaveAsync(s, phone, form?["consent"].ToString() == "true", choice, need, ct,
                seen: ConsentSeen.From(http, ConsentSource.LandingPage, "/j/" + code, ""));
            if (problems.Count > 0)
                return Html(LandingPageView.Invalid(l, s, problems), StatusCodes.Status400BadRequest);
            withdraw = link;
        }
        var outcome = await book.RecordAsync(new ScanRequest(s, ScanKind.Join, Visitor(http, s.Code.Id), choice, time.GetUtcNow().UtcDateTime), ct);
        return await GoAsync(http, s, outcome, l, ct, withdraw);
    }

    private static async Task<IResult> Phone(HttpContext http, LiveCodeDirectory directory, LiveCodeLeads leads, AccessLimits limits, IStringLocalizer<Strings> l, string code,
        CancellationToken ct)
    {
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : null;
        if (limits.CheckPublic(http, AccessLimits.Person(form?["phone"].ToString(), null)) is { } wait)
        {
            Speak(http, null);
            return AccessLimits.PageRefusal(l, wait);
        }
        var s = await directory.FindAsync(code, ct);
        Speak(http, s);
        if (s is null || !s.Code.CollectPhone)
            return Html(LandingPageView.NotFound(l), StatusCodes.Status404NotFound);
        var (problems, withdraw) = await leads.LeaveAsync(s, form?["phone"].ToString(), form?["consent"].ToString() == "true", null, null, ct, phoneRequired: true,
            seen: ConsentSeen.From(http, ConsentSource.LandingPage, "/j/" + code, ""));
        return problems.Count > 0 ? Html(LandingPageView.Invalid(l, s, problems), StatusCodes.Status400BadRequest) : Html(LandingPageView.Thanks(l, s, withdraw));
    }

    /// <summary>
    /// Sends the routed visitor on: a link (Telegram, the Sandbox) by redirect, a QR image on a page; nobody routed: the
    /// full page. A visitor who has just left a phone (<paramref name="withdraw"/>, their withdrawal link, shown only
    /// now) sees it on the QR or full page, or on a page that leads on to the link instead of the redirect.
    /// </summary>
    private static async Task<IResult> GoAsync(HttpContext http, LiveCodeSnapshot s, ScanOutcome outcome, IStringLocalizer l, CancellationToken ct, string? withdraw = null)
    {
        if (outcome.RouteId is not { } routeId || s.Route(routeId) is not { } route)
        {
            await http.RequestServices.GetRequiredService<LiveCodeAlerts>().FullAsync(s, ct);
            return withdraw is null ? new HtmlBytes(FullPage(http, s, l)) : Html(LandingPageView.Full(l, s, withdraw));
        }
        var culture = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        return route.Platform switch
        {
            ChatPlatform.WeCom when route.JoinUrl is null && s.Code.WeComQrUrl is { } qr => Html(LandingPageView.Qr(l, s, route, qr, withdraw)),
            ChatPlatform.Manual when route.QrImageId is not null => Html(LandingPageView.Qr(l, s, route, $"/j/{s.Code.Code}/groups/{route.Id}/qr", withdraw)),
            ChatPlatform.Sandbox => Go($"/j/{s.Code.Code}/sandbox/{route.Id}?culture={culture}"),
            _ when route.JoinUrl is { } url => Go(url),
            _ => withdraw is null ? new HtmlBytes(FullPage(http, s, l)) : Html(LandingPageView.Full(l, s, withdraw)),
        };

        IResult Go(string target) => withdraw is null ? TypedResults.Redirect(target) : Html(LandingPageView.Kept(l, s, target, withdraw));
    }

    /// <summary>The full page, rendered once per code and culture while the code's snapshot lasts (a full code's burst is all this page).</summary>
    private static byte[] FullPage(HttpContext http, LiveCodeSnapshot s, IStringLocalizer l)
    {
        var directory = http.RequestServices.GetRequiredService<LiveCodeDirectory>();
        var key = s.Code.Code + "/full";
        var culture = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        return directory.CachedPage(key, culture) ?? directory.RememberPage(key, culture, LandingPageView.Full(l, s));
    }

    /// <summary>A cached page written as it is kept, UTF-8 bytes with their length.</summary>
    private sealed class HtmlBytes(byte[] html) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "text/html; charset=utf-8";
            http.Response.ContentLength = html.Length;
            return http.Response.Body.WriteAsync(html, 0, html.Length);
        }
    }

    private static async Task<IResult> QrPng(HttpContext http, LiveCodeDirectory directory, LiveCodeImages images, string code, int? size, CancellationToken ct)
    {
        var s = await directory.FindAsync(code, ct);
        if (s is null)
            return NotFound(http, http.RequestServices.GetRequiredService<IStringLocalizer<Strings>>());
        var png = await images.PngAsync(s, LiveCodeImages.Size(size), ct);
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.File(png, "image/png", $"livecode-{code}.png");
    }

    private static async Task<IResult> QrSvg(HttpContext http, LiveCodeDirectory directory, LiveCodeImages images, string code, CancellationToken ct)
    {
        var s = await directory.FindAsync(code, ct);
        if (s is null)
            return NotFound(http, http.RequestServices.GetRequiredService<IStringLocalizer<Strings>>());
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Text(await images.SvgAsync(s, ct), "image/svg+xml", Encoding.UTF8);
    }

    /// <summary>An uploaded group QR, only while the code routes to it and it has not expired.</summary>
    private static async Task<IResult> GroupQr(HttpContext http, AppDbContext db, LiveCodeDirectory directory, TimeProvider time, string code, Guid routeId, CancellationToken ct)
    {
        var s = await directory.FindAsync(code, ct);
        if (s?.Route(routeId) is not { QrImageId: { } imageId } route || route.QrExpiresAt <= time.GetUtcNow().UtcDateTime)
            return NotFound(http, http.RequestServices.GetRequiredService<IStringLocalizer<Strings>>());
        var ws = s.Code.WorkspaceId;
        var image = await db.Set<PostImage>().IgnoreQueryFilters().AsNoTracking().Where(i => i.Id == imageId && i.WorkspaceId == ws)
            .Select(i => new { i.Bytes, i.ContentType }).SingleOrDefaultAsync(ct);
        return image is null ? NotFound(http, http.RequestServices.GetRequiredService<IStringLocalizer<Strings>>()) : TypedResults.File(image.Bytes, image.ContentType);
    }

    private static async Task<IResult> SandboxPage(HttpContext http, LiveCodeDirectory directory, IStringLocalizer<Strings> l, string code, Guid routeId, CancellationToken ct)
    {
        var s = await directory.FindAsync(code, ct);
        Speak(http, s);
        if (s?.Route(routeId) is not { Platform: ChatPlatform.Sandbox } route)
            return Html(LandingPageView.NotFound(l), StatusCodes.Status404NotFound);
        return Html(LandingPageView.SandboxJoin(l, s, route, null));
    }

    /// <summary>A pretend newcomer joins the Sandbox group through the code: a join event carrying the code's key, like a platform's.</summary>
    private static async Task<IResult> SandboxJoin(HttpContext http, LiveCodeDirectory directory, EventIngestor ingestor, IStringLocalizer<Strings> l, string code, Guid routeId,
        CancellationToken ct)
    {
        var s = await directory.FindAsync(code, ct);
        Speak(http, s);
        if (s?.Route(routeId) is not { Platform: ChatPlatform.Sandbox } route || s.Code.State != LiveCodeState.Active)
            return Html(LandingPageView.NotFound(l), StatusCodes.Status404NotFound);
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : null;
        var name = Clip(form?["name"].ToString(), 40);
        if (name is null)
            return Html(LandingPageView.Invalid(l, s, [l["LiveCodePage.SandboxNameRequired"]]), StatusCodes.Status400BadRequest);
        var e = SandboxChat.New(s.Code.WorkspaceId, route.CommunityId, EventKind.MemberJoined, "sbx-" + Guid.NewGuid().ToString("N")[..12], name);
        e.Channel = s.Code.Key;
        await ingestor.IngestAsync([e], ct);
        return Html(LandingPageView.SandboxJoin(l, s, route, name));
    }

    private static string? Clip(string? text, int max)
    {
        var t = text?.Trim();
        return string.IsNullOrEmpty(t) ? null : t.Length <= max ? t : t[..max];
    }
}
