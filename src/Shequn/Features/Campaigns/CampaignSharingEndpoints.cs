using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Profiles;
using Shequn.Platform.Api;
using Shequn.Features.Staff;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>A phone left on the public page: the member's token, the phone, the ticked consent, the page's request id, and a share link's invite token (<c>?i=</c>).</summary>
public sealed record PublicPhoneInput(string? Token = null, string? Phone = null, bool? Consent = null, string? RequestId = null, string? Inviter = null);

/// <summary>
/// The page's answer: the phone as kept (masked), when consent was given, whether this repeated an earlier submit, and
/// the member's withdrawal link (<c>/w/{token}</c>; a repeat gets a new one, the earlier stops working; none once the
/// consent was withdrawn).
/// </summary>
public sealed record PublicPhoneAnswer(string Phone, DateTime ConsentedAt, bool Replayed, string Message, string? WithdrawUrl = null);

/// <summary>
/// What the page shows only its member (the page itself is the same for everyone, and cached): their invite link to
/// forward, and their coupon codes with what each is now (unused, used, void, expired) in the page's words.
/// </summary>
public sealed record PublicMine(string InviteUrl, IReadOnlyList<PublicCoupon> Coupons);

/// <summary>One of the member's coupon codes: status is unused, used, void or expired; text says it in the page's language.</summary>
public sealed record PublicCoupon(string Code, string Status, string Text);

/// <summary>
/// Sharing on the public page: the member's share poster (<c>/c/{slug}/poster.png?m=</c>, whose QR code carries their
/// invite token), phone capture with consent (<c>/c/{slug}/phone</c>), and the leads for owners and sub-owners.
/// </summary>
public static class CampaignSharingEndpoints
{
    public static void MapCampaignSharingEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        api.MapGroup("/campaigns").WithTags("Campaigns").MapGet("/{id:guid}/leads", Leads).WithName("ListCampaignLeads")
            .WithDescription("Phones members left on the campaign's page with the consent line they saw, newest first (at most 1000). Owners and sub-owners only: phones are personal data.");

        app.MapGet("/c/{slug}/poster.png", Poster).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/c/{slug}/phone", Phone).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapGet("/c/{slug}/mine", Mine).AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>Who may read phones: owners and sub-owners.</summary>
    public static bool MayReadLeads(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public static async Task<Results<Ok<IReadOnlyList<CampaignLeadDto>>, NotFound, ProblemHttpResult>> Leads(AppDbContext db, Guid id, CancellationToken ct)
    {
        var (campaign, me) = await CampaignDesk.VisibleAsync(db, id, null, ct);
        if (campaign is null)
            return TypedResults.NotFound();
        if (!MayReadLeads(me))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Only owners and sub-owners read phones.");
        return TypedResults.Ok(await LeadListAsync(db, id, ct));
    }

    /// <summary>The campaign's leads with members' names (the console reads this too, and masks the phones).</summary>
    public static async Task<IReadOnlyList<CampaignLeadDto>> LeadListAsync(AppDbContext db, Guid campaignId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var rows = await db.Set<CampaignLead>().AsNoTracking().Where(x => x.CampaignId == campaignId)
            .OrderByDescending(x => x.ConsentedAt).ThenByDescending(x => x.Id).Take(1000).ToListAsync(ct);
        var ids = rows.Select(x => x.MemberId).Distinct().ToList();
        var members = await db.Members.AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => new { m.DisplayName, m.ConsentWithdrawnAt }, ct);
        return [.. rows.Select(x => new CampaignLeadDto(x.Id, x.MemberId, members.GetValueOrDefault(x.MemberId)?.DisplayName, x.Phone, x.ConsentText, x.ConsentedAt,
            members.GetValueOrDefault(x.MemberId)?.ConsentWithdrawnAt))];
    }

    private static async Task<IResult> Poster(HttpContext http, AppDbContext db, CampaignSnapshots snapshots, CampaignLinks links, CampaignPosters posters,
        IOptions<ProfilesOptions> profiles, IStringLocalizer<Strings> l, string slug, string? m, string? g, CancellationToken ct)
    {
        var (s, member, refused) = await MembersPageAsync(http, snapshots, links, l, slug, m, ct);
        if (refused is not null)
            return refused;
        var c = s.Campaign;
        Guid? group = null;
        if (!string.IsNullOrEmpty(g))
        {
            if (c.Kind != CampaignKind.GroupBuy || !Guid.TryParse(g, out var gid)
                || !await db.Set<CampaignGroup>().IgnoreQueryFilters().AnyAsync(x => x.Id == gid && x.CampaignId == c.Id, ct))
                return FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "groupNotFound");
            group = gid;
        }
        var invite = await links.InviteTokenAsync(c.Id, member, ct);
        var url = ShareUrl(profiles.Value, c.Slug, invite, group);
        var culture = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        var png = posters.Get(c.Id, member, group, culture, url, await TextAsync(db, l, s, member, ct));
        http.Response.Headers.CacheControl = "private, max-age=60";
        return TypedResults.File(png, "image/png");
    }

    /// <summary>The page a member's link (<c>?m=</c>) opens, in its language; or the refusal (no such page, not a member's link).</summary>
    private static async Task<(CampaignSnapshot S, Guid Member, IResult? Refused)> MembersPageAsync(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links,
        IStringLocalizer<Strings> l, string slug, string? m, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        FlashSaleEndpoints.Speak(http, s);
        if (s is null)
            return (null!, default, FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound"));
        if (await links.VerifyAsync(s.Campaign.Id, m, ct) is not { } member)
            return (s, default, FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "unknownMember"));
        return (s, member, null);
    }

    /// <summary>The member's own part of the page (<c>?m=</c> names them): their invite link and their coupons, newest first.</summary>
    private static async Task<IResult> Mine(HttpContext http, AppDbContext db, CampaignSnapshots snapshots, CampaignLinks links, IOptions<ProfilesOptions> profiles,
        TimeProvider time, IStringLocalizer<Strings> l, string slug, string? m, CancellationToken ct)
    {
        var (s, member, refused) = await MembersPageAsync(http, snapshots, links, l, slug, m, ct);
        if (refused is not null)
            return refused;
        var c = s.Campaign;
        http.Response.Headers.CacheControl = "private, no-store";
        var invite = ShareUrl(profiles.Value, c.Slug, await links.InviteTokenAsync(c.Id, member, ct));
        if (c.Kind != CampaignKind.Coupon && !c.RewardsValue().Any(r => r.Kind == RewardKind.Coupon))
            return TypedResults.Ok(new PublicMine(invite, []));
        var now = time.GetUtcNow().UtcDateTime;
        // The campaign id names one workspace: the public page has no staff workspace to filter by.
        var rows = await db.Set<CampaignCoupon>().IgnoreQueryFilters().AsNoTracking().Where(x => x.CampaignId == c.Id && x.MemberId == member)
            .OrderByDescending(x => x.IssuedAt).ThenByDescending(x => x.Id).Take(50).ToListAsync(ct);
        return TypedResults.Ok(new PublicMine(invite, [.. rows.Select(x =>
        {
            var status = x.Status == CouponStatus.Unused && x.ValidUntil is { } until && until <= now ? "Expired" : x.Status.ToString();
            var text = l["CampaignPage.MyCoupons.Line", CampaignHelpEndpoints.Yuan(x.FaceValueFen), l[$"CampaignPage.MyCoupons.{status}"].Value].Value
                + (status is "Unused" or "Expired" && x.ValidUntil is not null ? " ·" + CampaignHelpEndpoints.ValidUntilText(l, s, x.ValidUntil) : "");
            return new PublicCoupon(x.Code, status.ToLowerInvariant(), text);
        })]));
    }

    /// <summary>The invite link a member shares: the page (or their group) with <c>i</c> naming them as the inviter.</summary>
    public static string ShareUrl(ProfilesOptions profiles, string slug, string inviteToken, Guid? groupId = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var page = $"{profiles.PublicBaseUrl.TrimEnd('/')}/c/{slug}";
        return groupId is { } g ? $"{page}?g={g}&i={inviteToken}" : $"{page}?i={inviteToken}";
    }

    private static async Task<PosterText> TextAsync(AppDbContext db, IStringLocalizer l, CampaignSnapshot s, Guid member, CancellationToken ct)
    {
        var rules = s.Rules;
        var ws = s.Campaign.WorkspaceId;
        var name = await db.Members.IgnoreQueryFilters().AsNoTracking().Where(x => x.Id == member && x.WorkspaceId == ws).Select(x => x.DisplayName).SingleOrDefaultAsync(ct);
        var hero = s.Page.FirstOrDefault(b => b.Kind == PageBlockKind.Hero) is { } b ? b.Text ?? b.Title : null;
        var price = rules.PriceFen is { } p ? l["CampaignPage.Price", CampaignPageView.Yuan(p)].Value : null;
        var original = rules.PriceFen is { } now && rules.OriginalPriceFen is { } o && o > now ? l["CampaignPage.Price", CampaignPageView.Yuan(o)].Value : null;
        return new PosterText(s.WorkspaceName, s.Campaign.Name, price, original, hero,
            string.IsNullOrWhiteSpace(name) ? null : l["CampaignSharing.Poster.Invites", name].Value, l["CampaignSharing.Poster.Scan"].Value);
    }

    private static async Task<IResult> Phone(HttpContext http, AppDbContext db, CampaignSnapshots snapshots, CampaignLinks links, TimeProvider time, AccessLimits limits,
        IStringLocalizer<Strings> l, string slug, PublicPhoneInput? input, CancellationToken ct)
    {
        if (limits.CheckPublic(http, AccessLimits.Person(input?.Phone, input?.Token)) is not null)
            return AccessLimits.PublicRefusal(l);
        var s = await snapshots.FindAsync(slug, ct);
        FlashSaleEndpoints.Speak(http, s);
        if (s is null)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status404NotFound, "notFound");
        input ??= new PublicPhoneInput();
        var v = new Validation().Required("requestId", input.RequestId?.Trim(), CampaignClaim.RequestIdMaxLength);
        if (string.IsNullOrEmpty(input.Token))
            v.Add("token", "Required", "'token' is required: open the page through your personal link.");
        var phone = CampaignLead.NormalizePhone(input.Phone);
        if (phone is null)
            v.Add("phone", "Campaigns.PhoneInvalid", "'phone' must be a mainland mobile number (11 digits starting with 1) or + and a country code.");
        if (input.Consent != true)
            v.Add("consent", "Campaigns.ConsentRequired", "'consent' must be true: the member agrees to be contacted.");
        if (!v.IsValid)
            return TypedResults.ValidationProblem(v.Localized(l));
        if (await links.VerifyAsync(s.Campaign.Id, input.Token, ct) is not { } member)
            return FlashSaleEndpoints.Refusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        // A phone is a lead the campaign counts: one from an account its anti-abuse settings leave out is not taken.
        if (await snapshots.ExclusionAsync(s, member, ct) is not ExclusionReason.None and var excluded)
            return FlashSaleEndpoints.Excluded(l, excluded);
        var c = s.Campaign;
        var consent = Truncate(l["CampaignSharing.Consent", s.WorkspaceName].Value, CampaignLead.ConsentMaxLength);
        bool replayed;
        string? withdraw = null;
        var now = time.GetUtcNow().UtcDateTime;
        // The first submit wins: a second one (another tab, a retry, a changed number) is answered with what was kept.
        // The consent record goes with the lead it allowed, in one transaction.
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var inserted = await SetWrites.ExecuteAsync(db,
                """INSERT INTO "CampaignLeads" ("Id", "WorkspaceId", "CampaignId", "MemberId", "Phone", "ConsentText", "ConsentedAt", "RequestId")""",
                [[Guid.CreateVersion7(), c.WorkspaceId, c.Id, member, phone!, consent, now, input.RequestId!.Trim()]],
                """ON CONFLICT ("CampaignId", "MemberId") DO NOTHING""", ct);
            var page = "/c/" + slug;
            if (inserted > 0)
            {
                withdraw = Consents.NewLink(Consents.Add(db, c.WorkspaceId, member, null, ConsentSeen.From(http, ConsentSource.CampaignPhone, page, consent), now));
                await Consents.ReinstateAsync(db, c.WorkspaceId, member, ct);
                await db.SaveChangesWithoutAuditAsync(ct);
            }
            else if (await db.Set<ConsentRecord>().IgnoreQueryFilters().Where(r => r.WorkspaceId == c.WorkspaceId && r.MemberId == member
                         && r.Source == ConsentSource.CampaignPhone && r.Page == page && r.WithdrawnAt == null)
                     .OrderByDescending(r => r.GivenAt).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(ct) is { } open)
            {
                // The answer repeats what was kept, with the link: the token was shown once, so it is a new one.
                withdraw = await Consents.RenewLinkAsync(db, c.WorkspaceId, open, ct);
            }
            await tx.CommitAsync(ct);
            replayed = inserted == 0;
        }
        var lead = await db.Set<CampaignLead>().IgnoreQueryFilters().AsNoTracking().SingleAsync(x => x.CampaignId == c.Id && x.MemberId == member, ct);
        // Only a member who already has a participant row (claimed, joined, ...) gets the inviter: leaving a phone is not taking part.
        await CampaignInvites.RecordFromPageAsync(http, links, s.Campaign.Id, member, input.Inviter, ct);
        return TypedResults.Ok(new PublicPhoneAnswer(CampaignLead.Masked(lead.Phone), lead.ConsentedAt, replayed, l["CampaignSharing.Phone.Saved"].Value,
            withdraw is null ? null : Consents.LinkPath(withdraw)));
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
