using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Profiles;

public static class ProfileEndpoints
{
    public static RouteGroupBuilder MapProfileEndpoints(this RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var template = api.MapGroup("/profile-template").WithTags("Profiles");
        template.MapGet("/", GetTemplate).WithName("GetProfileTemplate")
            .WithSummary("The workspace's profile template (the built-in fields until one is saved); all staff read it");
        template.MapPut("/", PutTemplate).WithName("PutProfileTemplate")
            .WithSummary("Replace the template (owner and sub-owners); list order is the form's order")
            .WithDescription("Built-in keys: city, industry, needs, organisations, channel, phone, infoChannels, favouriteCommunities (name and kind fixed). "
                + "A field without key is a new custom field: name, kind (text, number, choice, date), options (choice), required, personal. "
                + "Values of removed custom fields, and of fields whose kind changed, are deleted.");
        var members = api.MapGroup("/members").WithTags("Members");
        members.MapPost("/{id:guid}/profile-link", CreateLink).WithName("CreateProfileLink")
            .WithSummary("A single-use form link for the member (expires after Profiles:LinkLifetime, 7 days); the URL is shown only here");
        members.MapPost("/{id:guid}/reveal", Reveal).WithName("RevealMemberField")
            .WithSummary("Show one masked personal field ('phone' or a personal custom field's key): owner and sub-owners; every reveal is logged");
        members.MapGet("/{id:guid}/reveals", RevealLog).WithName("ListMemberReveals")
            .WithSummary("Who revealed the member's personal fields, newest first (owner only)");
        app.MapGet("/p/{token}", FormPage).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/p/{token}", FormSubmit).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        return template;
    }

    public static async Task<Ok<ProfileTemplateDto>> GetTemplate(AppDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await ProfileTemplates.ReadAsync(db, ct));

    public static async Task<Results<Ok<ProfileTemplateDto>, ValidationProblem, ProblemHttpResult>> PutTemplate(
        AppDbContext db, ProfileTemplateInput input, CancellationToken ct)
    {
        var (outcome, template, validation) = await new ProfileTemplates(db).SaveAsync(input, ct);
        return outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(template!),
            EditOutcome.Invalid => validation.Problem(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Created<ProfileLinkDto>, NotFound, ProblemHttpResult>> CreateLink(
        AppDbContext db, ProfileLinks links, Guid id, CancellationToken ct)
    {
        var (outcome, link) = await links.CreateAsync(db, id, ct);
        return outcome switch
        {
            EditOutcome.Saved => TypedResults.Created(link!.Url, link),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<RevealResult>, NotFound, ValidationProblem, ProblemHttpResult>> Reveal(
        AppDbContext db, TimeProvider time, Guid id, RevealInput input, CancellationToken ct)
    {
        var (outcome, result, validation) = await ProfileValues.RevealAsync(db, time, id, input, ct);
        return outcome switch
        {
            RevealOutcome.Revealed => TypedResults.Ok(result!),
            RevealOutcome.NotFound => TypedResults.NotFound(),
            RevealOutcome.Invalid => validation.Problem(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<IReadOnlyList<RevealLogEntry>>, NotFound, ProblemHttpResult>> RevealLog(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!await db.VisibleMembers(me).AnyAsync(m => m.Id == id, ct))
            return TypedResults.NotFound();
        var log = await ProfileValues.RevealLogAsync(db, id, ct);
        return log is null ? CommunityEndpoints.Forbidden() : TypedResults.Ok(log);
    }

    private static async Task<IResult> FormPage(HttpContext http, AppDbContext db, ProfileLinks links, IStringLocalizer<Strings> l, string token, CancellationToken ct)
    {
        var (state, link) = await links.FindAsync(db, token, ct);
        Speak(await MembersCultureAsync(http, db, link, ct));
        if (state != LinkState.Open)
            return Html(ProfileForm.Closed(l, state));
        using var acting = db.Current.ActAsSystemWhile(link!.WorkspaceId);
        return Html(await ProfileForm.RenderAsync(db, l, link, null, null, ct));
    }

    private static async Task<IResult> FormSubmit(HttpContext http, AppDbContext db, ProfileLinks links, IStringLocalizer<Strings> l, string token, CancellationToken ct)
    {
        var form = await http.Request.ReadFormAsync(ct);
        var values = form.Where(f => f.Key.StartsWith("f.", StringComparison.Ordinal))
            .ToDictionary(f => f.Key[2..], f => (string?)f.Value.ToString(), StringComparer.Ordinal);
        var needs = form["needs"].Where(n => n is not null).Select(n => n!).ToList();
        var consent = form["consent"] == "yes";
        var (_, link) = await links.FindAsync(db, token, ct);
        Speak(await MembersCultureAsync(http, db, link, ct));
        // The consent as the form showed it: the line in the form's language with the workspace's name.
        var workspace = link is null ? "" : await db.Workspaces.Where(w => w.Id == link.WorkspaceId).Select(w => w.Name).SingleOrDefaultAsync(ct) ?? "";
        var seen = Members.ConsentSeen.From(http, Members.ConsentSource.ProfileForm, "/p", l["Profiles.Form.Consent", workspace].Value);
        var (state, validation, withdraw) = await links.SubmitAsync(db, token, values, needs, consent, ct, seen);
        if (state == LinkState.Submitted)
            return Html(ProfileForm.Thanks(l, withdraw));
        if (state != LinkState.Open)
            return Html(ProfileForm.Closed(l, state));
        using var acting = db.Current.ActAsSystemWhile(link!.WorkspaceId);
        return Html(await ProfileForm.RenderAsync(db, l, link, values.Append(new("needs", string.Join(',', needs))).ToDictionary(), validation.Localized(l), ct), 400);
    }

    /// <summary>
    /// The form speaks the workspace's language for members (<see cref="Workspaces.Workspace.Language"/>) unless the
    /// visitor chose one with the link on the page (<c>?culture=</c>, kept on submit); null when the visitor chose.
    /// </summary>
    private static async Task<CultureInfo?> MembersCultureAsync(HttpContext http, AppDbContext db, ProfileLink? link, CancellationToken ct) =>
        link is null || Cultures.Supported.Contains(http.Request.Query["culture"].ToString(), StringComparer.OrdinalIgnoreCase)
            ? null
            : CultureInfo.GetCultureInfo(await Workspaces.WorkspaceSettings.LanguageAsync(db, link.WorkspaceId, ct));

    /// <summary>Set in the handler itself: a culture set inside an awaited method does not flow back to its caller.</summary>
    private static void Speak(CultureInfo? culture)
    {
        if (culture is not null)
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, culture);
    }

    private static ContentHttpResult Html(string html, int status = 200) => TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
}

/// <summary>The member's form: a plain HTML page (no console, no script), sized for a phone.</summary>
internal static class ProfileForm
{
    private static readonly HtmlEncoder Enc = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    private const string Style = """
        *{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f5f7;color:#222;font-size:16px}
        main{max-width:560px;margin:0 auto;padding:16px}h1{font-size:1.3rem;margin:8px 0 4px}p{line-height:1.5}
        form{background:#fff;border-radius:10px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
        label.f{display:block;font-weight:600;margin:14px 0 6px}input[type=text],input[type=tel],input[type=number],input[type=date],select{width:100%;padding:10px;font-size:16px;border:1px solid #bbb;border-radius:6px;background:#fff}
        .req{color:#c62828}.err{color:#c62828;font-size:.9rem;margin-top:4px}.checks label{display:inline-flex;align-items:center;gap:6px;margin:4px 14px 4px 0}
        .consent{display:flex;gap:8px;align-items:flex-start;margin:18px 0 6px;line-height:1.4}.consent input{width:20px;height:20px;flex:none;margin-top:2px}
        button{width:100%;padding:12px;font-size:17px;border:0;border-radius:8px;background:#1565c0;color:#fff;margin-top:14px}
        """;

    public static string Page(IStringLocalizer l, string title, string body) =>
        $"""
        <!DOCTYPE html><html lang="{Enc.Encode(CultureInfo.CurrentUICulture.Name)}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
        <title>{Enc.Encode(title)}</title><style>{Style}</style></head><body><main>{body}</main></body></html>
        """;

    public static string Closed(IStringLocalizer l, LinkState state)
    {
        var key = state == LinkState.Used ? "Profiles.Form.Used" : "Profiles.Form.Expired";
        return Page(l, l["Profiles.Form.Title"], $"""<h1 data-testid="profile-form-closed">{Enc.Encode(l[key + ".Title"])}</h1><p>{Enc.Encode(l[key])}</p>""");
    }

    /// <summary>The form was saved: thanks, and the withdrawal link of the consent just given (shown only here).</summary>
    public static string Thanks(IStringLocalizer l, string? withdraw = null) =>
        Page(l, l["Profiles.Form.Title"], $"""<h1 data-testid="profile-form-thanks">{Enc.Encode(l["Profiles.Form.Thanks.Title"])}</h1><p>{Enc.Encode(l["Profiles.Form.Thanks"])}</p>"""
            + (withdraw is null ? "" : WithdrawalView.Offer(l, withdraw)));

    public static async Task<string> RenderAsync(
        AppDbContext db, IStringLocalizer l, ProfileLink link, IReadOnlyDictionary<string, string?>? submitted, IDictionary<string, string[]>? errors, CancellationToken ct)
    {
        var template = await ProfileTemplates.ReadAsync(db, ct);
        var workspace = await db.Workspaces.Where(w => w.Id == link.WorkspaceId).Select(w => w.Name).SingleOrDefaultAsync(ct) ?? "";
        var member = await db.Members.AsNoTracking().SingleAsync(m => m.Id == link.MemberId, ct);
        var stored = await db.Set<MemberFieldValue>().AsNoTracking().Where(v => v.WorkspaceId == link.WorkspaceId && v.MemberId == member.Id)
            .ToDictionaryAsync(v => v.Key, v => v.Value, ct);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""<h1>{Enc.Encode(l["Profiles.Form.Title"])}</h1><p>{Enc.Encode(l["Profiles.Form.Intro", workspace, member.DisplayName])}</p>""");
        // The form's language: the workspace's for members unless the visitor switched (?culture=, kept on submit).
        var language = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        var other = language == Cultures.English ? Cultures.Default : Cultures.English;
        sb.Append(CultureInfo.InvariantCulture, $"""<p style="text-align:right;margin:0"><a href="?culture={Enc.Encode(other)}" hreflang="{Enc.Encode(other)}" data-testid="profile-language">{Enc.Encode(l["Profiles.Form.OtherLanguage"])}</a></p>""");
        sb.Append(CultureInfo.InvariantCulture, $"""<form method="post" action="?culture={Enc.Encode(language)}" data-testid="profile-form">""");
        foreach (var f in template.Fields)
        {
            var label = f.Builtin ? l[$"Profiles.Field.{f.Key}"].Value : f.Name ?? f.Key;
            var id = "f-" + f.Key;
            // Personal values already held are not shown on a page anyone with the link can open.
            var current = submitted is not null ? submitted.GetValueOrDefault(f.Key) : f.Personal ? null : f.Key switch
            {
                ProfileBuiltins.City => member.City,
                ProfileBuiltins.Industry => member.Industry,
                ProfileBuiltins.Organisations => member.Organisations,
                ProfileBuiltins.Channel => member.Channel,
                ProfileBuiltins.Phone => null,
                ProfileBuiltins.Needs => string.Join(',', MemberEndpoints.SplitNeeds(member.Needs).Select(n => n.ToString().ToLowerInvariant())),
                _ => stored.GetValueOrDefault(f.Key),
            };
            var req = f.Required ? """ <span class="req">*</span>""" : "";
            if (f.Key == ProfileBuiltins.Needs)
            {
                var chosen = (current ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
                sb.Append(CultureInfo.InvariantCulture, $"""<label class="f">{Enc.Encode(label)}{req}</label><div class="checks">""");
                foreach (var need in new[] { MemberNeeds.Business, MemberNeeds.Knowledge, MemberNeeds.Life })
                {
                    var v = need.ToString().ToLowerInvariant();
                    var on = chosen.Contains(v) ? " checked" : "";
                    sb.Append(CultureInfo.InvariantCulture, $"""<label><input type="checkbox" name="needs" value="{v}" data-testid="profile-need-{v}"{on}>{Enc.Encode(l[$"MemberNeeds.{need}"])}</label>""");
                }
                sb.Append("</div>");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"""<label class="f" for="{Enc.Encode(id)}">{Enc.Encode(label)}{req}</label>""");
                var name = Enc.Encode("f." + f.Key);
                var testId = Enc.Encode("profile-field-" + f.Key);
                var value = Enc.Encode(current ?? "");
                var required = f.Required ? " required" : "";
                if (f.Kind == ProfileFieldKind.Choice)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"""<select id="{Enc.Encode(id)}" name="{name}" data-testid="{testId}"{required}><option value=""></option>""");
                    foreach (var o in f.Options)
                        sb.Append(CultureInfo.InvariantCulture, $"""<option{(o == current ? " selected" : "")}>{Enc.Encode(o)}</option>""");
                    sb.Append("</select>");
                }
                else
                {
                    var type = f.Key == ProfileBuiltins.Phone ? "tel" : f.Kind switch { ProfileFieldKind.Number => "number", ProfileFieldKind.Date => "date", _ => "text" };
                    var extra = f.Kind == ProfileFieldKind.Number ? """ step="any" inputmode="decimal" """ : "";
                    var max = f.Key == ProfileBuiltins.Phone ? Member.PhoneMaxLength : MemberFieldValue.ValueMaxLength;
                    sb.Append(CultureInfo.InvariantCulture, $"""<input type="{type}" id="{Enc.Encode(id)}" name="{name}" value="{value}" maxlength="{max}" data-testid="{testId}"{extra}{required}>""");
                }
            }
            if (errors is not null && errors.TryGetValue(f.Key, out var messages))
                sb.Append(CultureInfo.InvariantCulture, $"""<div class="err">{Enc.Encode(string.Join(" ", messages))}</div>""");
        }
        sb.Append(CultureInfo.InvariantCulture, $"""<label class="consent"><input type="checkbox" name="consent" value="yes" data-testid="profile-consent"><span>{Enc.Encode(l["Profiles.Form.Consent", workspace])}</span></label>""");
        if (errors is not null && errors.TryGetValue("consent", out var consentErrors))
            sb.Append(CultureInfo.InvariantCulture, $"""<div class="err" data-testid="profile-consent-error">{Enc.Encode(string.Join(" ", consentErrors))}</div>""");
        sb.Append(CultureInfo.InvariantCulture, $"""<button type="submit" data-testid="profile-submit">{Enc.Encode(l["Profiles.Form.Submit"])}</button></form>""");
        // The page is the member's own: it also offers to withdraw the consent they gave last (a new link each time it is shown).
        if (await Consents.LatestLinkAsync(db, link.WorkspaceId, member.Id, ct) is { } withdraw)
            sb.Append(WithdrawalView.Offer(l, Consents.LinkPath(withdraw)));
        return Page(l, l["Profiles.Form.Title"], sb.ToString());
    }
}
