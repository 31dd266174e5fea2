using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>A member's personal link to a campaign's page.</summary>
public sealed record CampaignLinkDto(Guid MemberId, string Url);

/// <summary>The shop's order confirmation of a claim.</summary>
public sealed record ClaimPaidInput(string? OrderId);

/// <summary>A claim from the public page: the member's token from the personal link, how many units, the page's request id, and the invite token of a share link opened before.</summary>
public sealed record PublicClaimInput(string? Token = null, int? Quantity = null, string? RequestId = null, string? Inviter = null);

/// <summary>The Sandbox's pretend checkout of a reserved claim.</summary>
public sealed record PublicCheckoutInput(string? Token = null, Guid? ClaimId = null);

/// <summary>
/// Flash sales: staff's personal links and order confirmations under <c>/api/campaigns</c>, and the public page
/// <c>/c/{slug}</c> with its claim (and, in the Sandbox, pretend checkout) endpoints.
/// </summary>
public static class FlashSaleEndpoints
{
    public static void MapFlashSaleEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/{id:guid}/links/{memberId:guid}", Link).WithName("GetCampaignMemberLink")
            .WithDescription("A member's personal link to the campaign's page (/c/{slug}?m={token}); the member must be in one of the campaign's communities the caller sees.");
        g.MapGet("/{id:guid}/claims", Claims).WithName("ListCampaignClaims")
            .WithDescription("A flash sale's claims, newest first (at most 500); filter status (reserved, paid, released).");
        g.MapPost("/{id:guid}/claims/{claimId:guid}/paid", Paid).WithName("ConfirmCampaignClaimPaid")
            .WithDescription("The shop's order confirmation: a reserved claim becomes paid with orderId. The same orderId again answers the same claim; "
                + "another orderId for a paid claim, or a released claim, is a 409.");

        app.MapGet("/c/{slug}", Page).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/c/{slug}/images/{imageId:guid}", Image).AllowAnonymous().ExcludeFromDescription();
        // Short-circuited like the Telegram webhook: a sale's burst of claims skips the console's middleware (status-code
        // pages, the setup redirect, cookie authentication, the current staff member), which needs none of it — the token
        // names the member, Speak applies ?culture=, and an exception is Kestrel's bare 500, which the page reports.
        app.MapPost("/c/{slug}/claim", Claim).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription().ShortCircuit();
        app.MapPost("/c/{slug}/checkout", Checkout).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    public static async Task<Results<Ok<CampaignLinkDto>, NotFound, ProblemHttpResult>> Link(AppDbContext db, CampaignLinks links, CampaignDesk desk, Guid id, Guid memberId, CancellationToken ct)
    {
        var (campaign, me) = await CampaignDesk.VisibleAsync(db, id, null, ct);
        if (campaign is null)
            return TypedResults.NotFound();
        // A personal link acts as its member: KOCs (members with duties) share the page, never another member's link.
        if (!CampaignDesk.MayEdit(me))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Your role does not allow handing out members' personal links.");
        if (await CampaignMemberLinks.TokenAsync(db, links, campaign, me!, memberId, ct) is not { } token)
            return TypedResults.NotFound();
        return TypedResults.Ok(new CampaignLinkDto(memberId, $"{desk.PageUrl(campaign.Slug)}?m={token}"));
    }

    public static async Task<Results<Ok<IReadOnlyList<ClaimDto>>, ValidationProblem, NotFound>> Claims(AppDbContext db, Guid id, string? status, CancellationToken ct)
    {
        var v = new Validation();
        var s = v.ParseEnum<ClaimStatus>("status", status);
        if (!v.IsValid)
            return v.Problem();
        var (campaign, _) = await CampaignDesk.VisibleAsync(db, id, null, ct);
        if (campaign is null)
            return TypedResults.NotFound();
        var q = db.Set<CampaignClaim>().AsNoTracking().Where(c => c.CampaignId == id);
        if (s is { } wanted)
            q = q.Where(c => c.Status == wanted);
        var rows = await q.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).Take(500).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<ClaimDto>>([.. rows.Select(ClaimDto.Of)]);
    }

    public static async Task<Results<Ok<ClaimDto>, ValidationProblem, NotFound, ProblemHttpResult>> Paid(
        AppDbContext db, FlashSale sale, Guid id, Guid claimId, ClaimPaidInput? input, CancellationToken ct)
    {
        var (campaign, me) = await CampaignDesk.VisibleAsync(db, id, null, ct);
        if (campaign is null)
            return TypedResults.NotFound();
        if (!CampaignDesk.MayEdit(me))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs cannot confirm orders.");
        var result = await sale.PayAsync(id, claimId, input?.OrderId, ct);
        return result.Outcome switch
        {
            ClaimOutcome.Done => TypedResults.Ok(result.Claim!),
            ClaimOutcome.Invalid => result.Validation!.Problem(),
            ClaimOutcome.NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Detail),
        };
    }

    private static async Task<IResult> Page(HttpContext http, CampaignSnapshots snapshots, IStringLocalizer<Strings> l, TimeProvider time, CampaignHelpWork helps, string slug,
        CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null)
            return Html(CampaignPageView.NotFound(l), StatusCodes.Status404NotFound);
        var culture = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        // A group buy's share link names the group: its progress is read fresh, not cached with the page.
        if (s.Campaign.Kind == CampaignKind.GroupBuy && http.Request.Query.ContainsKey("g"))
        {
            var db = http.RequestServices.GetRequiredService<AppDbContext>();
            var view = Guid.TryParse(http.Request.Query["g"], out var gid) ? await GroupView.LoadAsync(db, s, gid, ct) : new GroupView(null, null);
            return Html(CampaignPageView.Render(l, s, time.GetUtcNow().UtcDateTime, culture, view));
        }
        // A shared bargain or assist link shows that request's progress now: rendered for the request, never cached.
        if (await helps.SharedAsync(s, http.Request.Query, ct) is { } shared)
            return Html(CampaignPageView.Render(l, s, time.GetUtcNow().UtcDateTime, culture, shared: shared));
        var html = snapshots.CachedPage(slug, culture);
        if (html is null)
        {
            html = CampaignPageView.Render(l, s, time.GetUtcNow().UtcDateTime, culture);
            snapshots.RememberPage(slug, culture, html, s);
        }
        return Html(html);
    }

    private static async Task<IResult> Image(AppDbContext db, CampaignSnapshots snapshots, string slug, Guid imageId, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        // Only an image the page shows is served, from the campaign's own workspace.
        if (s is null || !s.Page.Any(b => b.ImageId == imageId))
            return TypedResults.NotFound();
        var ws = s.Campaign.WorkspaceId;
        // A member's uploaded photo is never a page image, whatever a block names.
        var image = await db.Set<PostImage>().IgnoreQueryFilters().AsNoTracking()
            .Where(i => i.Id == imageId && i.WorkspaceId == ws && !db.Set<CampaignPhoto>().IgnoreQueryFilters().Any(p => p.ImageId == i.Id))
            .Select(i => new { i.Bytes, i.ContentType }).SingleOrDefaultAsync(ct);
        return image is null ? TypedResults.NotFound() : TypedResults.File(image.Bytes, image.ContentType);
    }

    private static async Task<IResult> Claim(
        HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, FlashSale sale, AccessLimits limits, IStringLocalizer<Strings> l, string slug,
        CancellationToken ct)
    {
        // Read here, not bound: short-circuited, an unreadable body would not reach the handler that names the bad field.
        PublicClaimInput? input = null;
        if (http.Request.ContentLength != 0 && !http.Request.HasJsonContentType())
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", detail: "The body must be JSON (application/json).");
        try
        {
            if (http.Request.ContentLength != 0)
                input = await http.Request.ReadFromJsonAsync<PublicClaimInput>(ct);
        }
        catch (JsonException json)
        {
            var detail = JsonErrors.Describe(json, typeof(PublicClaimInput));
            var field = JsonErrors.Field(json);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field.Length == 0 ? "body" : field] = [detail] }, detail, title: "Bad request");
        }
        if (limits.CheckPublic(http, AccessLimits.Person(null, input?.Token)) is not null)
            return AccessLimits.PublicRefusal(l);
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null)
            return CachedRefusal(l, StatusCodes.Status404NotFound, "notFound");
        input ??= new PublicClaimInput();
        var v = FlashSale.Check(input.Quantity, input.RequestId, s.Rules.PerPersonLimit);
        if (string.IsNullOrEmpty(input.Token))
            v.Add("token", "Required", "'token' is required: open the page through your personal link.");
        if (!v.IsValid)
            return TypedResults.ValidationProblem(v.Localized(l));
        if (await links.VerifyAsync(s.Campaign.Id, input.Token, ct) is not { } member)
            return CachedRefusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        var result = await sale.ClaimAsync(s, member, input.Quantity, input.RequestId, ct);
        if (result.Outcome == ClaimOutcome.Done)
            await CampaignInvites.RecordFromPageAsync(http, links, s.Campaign.Id, member, input.Inviter, ct);
        return result.Outcome switch
        {
            ClaimOutcome.Done => TypedResults.Ok(new PublicClaimAnswer(result.Claim!.Id, result.Claim.Status, result.Claim.Quantity, result.Claim.ExpiresAt, result.Replayed,
                l[$"CampaignPage.Claim.{result.Claim.Status}"].Value)),
            ClaimOutcome.Invalid => TypedResults.ValidationProblem(result.Validation!.Localized(l)),
            ClaimOutcome.NotRunning => CachedRefusal(l, StatusCodes.Status409Conflict, "notRunning"),
            ClaimOutcome.SoldOut => CachedRefusal(l, StatusCodes.Status409Conflict, "soldOut"),
            ClaimOutcome.OverLimit => CachedRefusal(l, StatusCodes.Status409Conflict, "overLimit", result.Remaining),
            ClaimOutcome.NotInAudience => CachedRefusal(l, StatusCodes.Status403Forbidden, "notInAudience"),
            ClaimOutcome.Excluded => CachedExcluded(l, result.Excluded),
            _ => CachedRefusal(l, StatusCodes.Status409Conflict, "conflict"),
        };
    }

    private static async Task<IResult> Checkout(
        HttpContext http, AppDbContext db, CampaignSnapshots snapshots, CampaignLinks links, FlashSale sale, IStringLocalizer<Strings> l, string slug, PublicCheckoutInput? input,
        CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        // Only in the Sandbox: elsewhere the brand's shop confirms orders through the API.
        if (s is null || !s.Sandbox)
            return Refusal(l, StatusCodes.Status404NotFound, "notFound");
        if (await links.VerifyAsync(s.Campaign.Id, input?.Token, ct) is not { } member)
            return Refusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        using var acting = db.Current.ActAsSystemWhile(s.Campaign.WorkspaceId);
        var claimId = input!.ClaimId ?? Guid.Empty;
        if (!await db.Set<CampaignClaim>().AnyAsync(c => c.Id == claimId && c.CampaignId == s.Campaign.Id && c.MemberId == member, ct))
            return Refusal(l, StatusCodes.Status404NotFound, "notFound");
        // One pretend order per claim, so a second click is answered like the first.
        var result = await sale.PayAsync(s.Campaign.Id, claimId, "sandbox-" + claimId.ToString("N"), ct);
        return result.Outcome == ClaimOutcome.Done
            ? TypedResults.Ok(new PublicClaimAnswer(result.Claim!.Id, result.Claim.Status, result.Claim.Quantity, result.Claim.ExpiresAt, false, l["CampaignPage.Claim.Paid"].Value))
            : Refusal(l, StatusCodes.Status409Conflict, "released");
    }

    /// <summary>A refusal the page shows as is: ProblemDetails with a stable <c>code</c> and the words in the page's language.</summary>
    internal static ProblemHttpResult Refusal(IStringLocalizer l, int status, string code, int? remaining = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (remaining is { } r)
            extensions["remaining"] = r;
        var detail = remaining is { } left ? l[$"CampaignPage.Refusal.{code}", left].Value : l[$"CampaignPage.Refusal.{code}"].Value;
        return TypedResults.Problem(statusCode: status, title: code, detail: detail, extensions: extensions);
    }

    /// <summary>
    /// The refusal of a member the campaign's anti-abuse settings leave out: code <c>excluded</c>, with the
    /// <c>reason</c> (<see cref="CampaignExclusions.Code"/>) and the words saying which rule it was.
    /// </summary>
    internal static ProblemHttpResult Excluded(IStringLocalizer l, ExclusionReason reason)
    {
        var code = CampaignExclusions.Code(reason);
        return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "excluded", detail: l[$"CampaignPage.Refusal.excluded.{code}"].Value,
            extensions: new Dictionary<string, object?> { ["code"] = "excluded", ["reason"] = code });
    }

    private static readonly ConcurrentDictionary<(string Reason, string Culture), byte[]> ExcludedBodies = new();

    /// <summary><see cref="Excluded"/> serialized once per reason and language (the claim path's answers).</summary>
    internal static IResult CachedExcluded(IStringLocalizer l, ExclusionReason reason)
    {
        var body = ExcludedBodies.GetOrAdd((CampaignExclusions.Code(reason), CultureInfo.CurrentUICulture.Name),
            _ => JsonSerializer.SerializeToUtf8Bytes(Excluded(l, reason).ProblemDetails, ProblemJson));
        return new ProblemBytes(StatusCodes.Status403Forbidden, body);
    }

    private static readonly ConcurrentDictionary<(int Status, string Code, string Culture, int? Remaining), byte[]> RefusalBodies = new();

    private static readonly JsonSerializerOptions ProblemJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // As the console's other answers: Chinese as itself, not \u escapes.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    /// <summary>
    /// <see cref="Refusal"/> with its body serialized once per status, code, language and count: a sold-out burst is
    /// thousands of identical answers, and writing each through the problem-details service cost more than the decision.
    /// </summary>
    internal static IResult CachedRefusal(IStringLocalizer l, int status, string code, int? remaining = null)
    {
        var body = RefusalBodies.GetOrAdd((status, code, CultureInfo.CurrentUICulture.Name, remaining),
            _ => JsonSerializer.SerializeToUtf8Bytes(Refusal(l, status, code, remaining).ProblemDetails, ProblemJson));
        return new ProblemBytes(status, body);
    }

    private sealed class ProblemBytes(int status, byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/problem+json";
            response.ContentLength = body.Length;
            return response.Body.WriteAsync(body, 0, body.Length);
        }
    }

    /// <summary>
    /// The page speaks the workspace's language for members unless the visitor chose one (<c>?culture=</c>, applied here
    /// too for the short-circuited claim, which request localization does not see). Set in the handler itself: a culture
    /// set in an awaited method does not flow back.
    /// </summary>
    internal static void Speak(HttpContext http, CampaignSnapshot? s)
    {
        if (s is null && !http.Request.Query.ContainsKey("culture"))
            return;
        Speak(http, s?.Language);
    }

    /// <summary>A public page speaks the visitor's pick (?culture=), else <paramref name="language"/> (the workspace's for members).</summary>
    internal static void Speak(HttpContext http, string? language)
    {
        var chosen = http.Request.Query["culture"].ToString();
        var name = Cultures.Supported.FirstOrDefault(c => string.Equals(c, chosen, StringComparison.OrdinalIgnoreCase)) ?? language;
        if (name is null)
            return;
        var culture = KnownCultures.GetOrAdd(name, CultureInfo.GetCultureInfo);
        (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, culture);
    }

    // GetCultureInfo takes a lock on every call; a claim burst asks for the same one or two thousands of times a second.
    private static readonly ConcurrentDictionary<string, CultureInfo> KnownCultures = new(StringComparer.Ordinal);

    internal static ContentHttpResult Html(string html, int status = 200) => TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
}

/// <summary>The public page's answer to a claim or a pretend checkout.</summary>
public sealed record PublicClaimAnswer(Guid ClaimId, ClaimStatus Status, int Quantity, DateTime ExpiresAt, bool Replayed, string Message);
