using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>
/// Lotteries and signup chains: <c>/api/campaigns/{id}/lottery…</c>, <c>/api/campaigns/{id}/chain…</c>, and the public
/// draw page <c>/c/{slug}/draw</c> (anonymous, plain HTML) with its list <c>entries.txt</c> and <c>draw.json</c>.
/// </summary>
public static class LotteryEndpoints
{
    public static void MapLotteryEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/{id:guid}/lottery", Get).WithName("GetCampaignLottery")
            .WithDescription("A lottery's commitment, entries, and after the draw its seed, entries hash, prizes as drawn, winners and any warning.");
        g.MapPost("/{id:guid}/lottery/entries", Enter).WithName("EnterCampaignLottery")
            .WithDescription("Enters a member (memberId) while the lottery runs: 201 with the entry number and the published line; a repeat returns the first entry (200).");
        g.MapPost("/{id:guid}/lottery/draw", Draw).WithName("DrawCampaignLottery")
            .WithDescription("Draws now (owner or sub-owner); 409 before the end or once drawn. The background job draws ended lotteries on its own.");
        g.MapGet("/{id:guid}/chain", Chain).WithName("GetCampaignSignupChain")
            .WithDescription("A signup-chain (接龙) campaign's clean lists, parsed from the messages in its communities during its period.");
        g.MapGet("/{id:guid}/chain.csv", ChainCsv).WithName("ExportCampaignSignupChain")
            .WithDescription("One chain as CSV (UTF-8 with BOM): the one titled 'title', else the first.");
        // The console's download (its cookie, not a bearer token): the same export.
        app.MapGet("/campaigns/{id:guid}/chain.csv", ChainCsv).RequireAuthorization().ExcludeFromDescription();
        app.MapGet("/c/{slug}/draw", Page).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/c/{slug}/draw/entries.txt", EntriesText).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/c/{slug}/draw.json", Json).AllowAnonymous().ExcludeFromDescription();
    }

    public static async Task<Results<Ok<LotteryDto>, NotFound>> Get(LotteryDesk desk, Guid id, CancellationToken ct) =>
        await desk.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<LotteryEntryDto>, Ok<LotteryEntryDto>, ValidationProblem, NotFound, ProblemHttpResult>> Enter(
        LotteryDesk desk, Guid id, LotteryEntryInput input, CancellationToken ct)
    {
        var (outcome, entry, created, validation, conflict) = await desk.EnterAsync(id, input, ct);
        return outcome switch
        {
            CampaignOutcome.Saved when created => TypedResults.Created($"/api/campaigns/{id}/lottery", entry),
            CampaignOutcome.Saved => TypedResults.Ok(entry),
            CampaignOutcome.Invalid => validation.Problem(),
            CampaignOutcome.NotFound => TypedResults.NotFound(),
            CampaignOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: conflict),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs read campaigns; other staff enter members."),
        };
    }

    public static async Task<Results<Ok<LotteryDto>, NotFound, ProblemHttpResult>> Draw(LotteryDesk desk, Guid id, CancellationToken ct)
    {
        var (outcome, conflict) = await desk.DrawAsync(id, ct);
        return outcome switch
        {
            CampaignOutcome.Saved => TypedResults.Ok((await desk.GetAsync(id, ct))!),
            CampaignOutcome.NotFound => TypedResults.NotFound(),
            CampaignOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: conflict),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: conflict ?? "Only an owner or a sub-owner draws a lottery."),
        };
    }

    public static async Task<Results<Ok<SignupChainsDto>, NotFound>> Chain(SignupChainReader reader, Guid id, CancellationToken ct) =>
        await reader.ReadAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<FileContentHttpResult, NotFound>> ChainCsv(SignupChainReader reader, Guid id, string? title, CancellationToken ct) =>
        await reader.CsvAsync(id, title, ct) is { } file ? TypedResults.File(file.Content, "text/csv; charset=utf-8", file.FileName) : TypedResults.NotFound();

    private static async Task<IResult> EntriesText(AppDbContext db, string slug, CancellationToken ct)
    {
        var found = await LotteryDesk.PublicAsync(db, slug, ct);
        if (found is not { } f || f.Dto.DrawnAt is null)
            return TypedResults.NotFound();
        // Exactly the canonical bytes the entries hash is taken over: no BOM, "\n" after every entry.
        return TypedResults.File(LotteryDraw.CanonicalEntries(f.Entries), "text/plain; charset=utf-8", "entries.txt");
    }

    private static async Task<IResult> Json(AppDbContext db, string slug, CancellationToken ct) =>
        await LotteryDesk.PublicAsync(db, slug, ct) is { } f ? TypedResults.Json(f.Dto, CampaignJson.Options) : TypedResults.NotFound();

    private static async Task<IResult> Page(HttpContext http, AppDbContext db, IStringLocalizer<Strings> l, string slug, CancellationToken ct)
    {
        var found = await LotteryDesk.PublicAsync(db, slug, ct);
        // Members' language by default (the workspace's), unless the visitor chose one with ?culture=.
        if (found is { } w && !Cultures.Supported.Contains(http.Request.Query["culture"].ToString(), StringComparer.OrdinalIgnoreCase))
        {
            var culture = CultureInfo.GetCultureInfo(await Workspaces.WorkspaceSettings.LanguageAsync(db, w.WorkspaceId, ct));
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, culture);
        }
        if (found is null)
            return TypedResults.Content(DrawPage.Shell(l["Lottery.Page.NotFoundTitle"], $"<p>{DrawPage.Enc.Encode(l["Lottery.Page.NotFound"])}</p>"),
                "text/html; charset=utf-8", Encoding.UTF8, StatusCodes.Status404NotFound);
        var zone = await db.Set<Workspaces.Workspace>().AsNoTracking().Where(x => x.Id == found.Value.WorkspaceId).Select(x => x.TimeZone).SingleAsync(ct);
        return TypedResults.Content(DrawPage.Render(l, found.Value.Dto, found.Value.Entries, slug, zone), "text/html; charset=utf-8", Encoding.UTF8);
    }
}

/// <summary>The public draw page: plain HTML sized for a phone, everything encoded.</summary>
internal static class DrawPage
{
    public static readonly HtmlEncoder Enc = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    private const string Style = """
        *{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f5f7;color:#222;font-size:16px}
        main{max-width:640px;margin:0 auto;padding:16px}h1{font-size:1.3rem;margin:8px 0}h2{font-size:1.1rem;margin:20px 0 6px}p,li{line-height:1.5}
        section{background:#fff;border-radius:10px;padding:12px 16px;margin:12px 0;box-shadow:0 1px 3px rgba(0,0,0,.1)}
        code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;word-break:break-all;white-space:pre-wrap}
        pre{background:#f0f0f3;padding:10px;border-radius:6px;overflow-x:auto}ol.entries{max-height:320px;overflow-y:auto;padding-left:2.5em}
        .warn{color:#8a5a00}
        """;

    public static string Shell(string title, string body) =>
        $"""
        <!DOCTYPE html><html lang="{Enc.Encode(CultureInfo.CurrentUICulture.Name)}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
        <title>{Enc.Encode(title)}</title><style>{Style}</style></head><body><main>{body}</main></body></html>
        """;

    public static string Render(IStringLocalizer l, PublicLotteryDto d, IReadOnlyList<string> entries, string slug, string timeZone)
    {
        var zone = TryZone(timeZone);
        string When(DateTime utc)
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
            var offset = zone.GetUtcOffset(utc);
            var sign = offset < TimeSpan.Zero ? "-" : "+";
            var hours = offset.Minutes == 0 ? Math.Abs(offset.Hours).ToString(CultureInfo.InvariantCulture) : offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"{local:yyyy-MM-dd HH:mm} UTC{sign}{hours}");
        }
        var language = Cultures.Normalize(CultureInfo.CurrentUICulture.Name);
        var other = language == Cultures.English ? Cultures.Default : Cultures.English;
        var b = new StringBuilder();
        void P(string text) => b.Append("<p>").Append(Enc.Encode(text)).Append("</p>");
        b.Append(CultureInfo.InvariantCulture, $"""<p style="text-align:right;margin:0"><a href="?culture={Enc.Encode(other)}" hreflang="{Enc.Encode(other)}">{Enc.Encode(l["Lottery.Page.OtherLanguage"])}</a></p>""");
        b.Append("<h1>").Append(Enc.Encode(l["Lottery.Page.Title", d.Name])).Append("</h1>");
        P(l["Lottery.Page.Period", When(d.StartsAt), When(d.EndsAt)]);

        b.Append("<section><h2>").Append(Enc.Encode(l["Lottery.Page.Commitment"])).Append("</h2>");
        P(l["Lottery.Page.CommitmentHelp"]);
        b.Append("<p><code id=\"commitment\">").Append(Enc.Encode(d.Commitment)).Append("</code></p>");
        b.Append("<p><a href=\"#algorithm\">").Append(Enc.Encode(l["Lottery.Page.HowTo"])).Append("</a></p>");
        b.Append("<h2>").Append(Enc.Encode(l["Lottery.Page.Prizes"])).Append("</h2><ul>");
        foreach (var p in d.Prizes)
            b.Append("<li>").Append(Enc.Encode(p.Name)).Append(" × ").Append(p.Count.ToString(CultureInfo.InvariantCulture)).Append("</li>");
        b.Append("</ul></section>");

        if (d.DrawnAt is not { } drawn)
        {
            P(l["Lottery.Page.NotDrawn", d.EntryCount.ToString(CultureInfo.InvariantCulture)]);
            return Shell(l["Lottery.Page.Title", d.Name], b.ToString());
        }

        b.Append("<section><h2>").Append(Enc.Encode(l["Lottery.Page.Result"])).Append("</h2>");
        P(l["Lottery.Page.DrawnAt", When(drawn)]);
        if (d.Warning is not null)
            b.Append("<p class=\"warn\">").Append(Enc.Encode(d.Winners.Count == 0 ? l["Lottery.Page.NoEntries"] : l["Lottery.Page.FewerEntrants"])).Append("</p>");
        if (d.Winners.Count > 0)
        {
            b.Append("<h2>").Append(Enc.Encode(l["Lottery.Page.Winners"])).Append("</h2><ul id=\"winners\">");
            foreach (var w in d.Winners)
                b.Append("<li>").Append(Enc.Encode(w.Prize)).Append(": ").Append(Enc.Encode(w.Entry)).Append("</li>");
            b.Append("</ul>");
        }
        b.Append("<h2>").Append(Enc.Encode(l["Lottery.Page.Seed"])).Append("</h2>");
        b.Append("<p><code id=\"seed\">").Append(Enc.Encode(d.Seed ?? "")).Append("</code></p>");
        b.Append("<h2>").Append(Enc.Encode(l["Lottery.Page.EntriesHash"])).Append("</h2>");
        b.Append("<p><code id=\"entries-hash\">").Append(Enc.Encode(d.EntriesHash ?? "")).Append("</code></p>");
        b.Append("<h2>").Append(Enc.Encode(l["Lottery.Page.Entries", entries.Count.ToString(CultureInfo.InvariantCulture)])).Append("</h2>");
        b.Append(CultureInfo.InvariantCulture, $"""<p><a href="/c/{Enc.Encode(slug)}/draw/entries.txt" download>{Enc.Encode(l["Lottery.Page.Download"])}</a></p>""");
        b.Append("<ol class=\"entries\" start=\"0\">");
        foreach (var e in entries)
            b.Append("<li>").Append(Enc.Encode(e)).Append("</li>");
        b.Append("</ol></section>");

        b.Append("<section id=\"algorithm\"><h2>").Append(Enc.Encode(l["Lottery.Page.HowTo"])).Append("</h2><ol>");
        foreach (var step in new[] { "Lottery.Page.Step1", "Lottery.Page.Step2", "Lottery.Page.Step3", "Lottery.Page.Step4", "Lottery.Page.Step5" })
            b.Append("<li>").Append(Enc.Encode(l[step])).Append("</li>");
        b.Append("</ol>");
        var prizes = string.Join(' ', d.Prizes.Select(p => "\"" + p.Name.Replace("\"", "", StringComparison.Ordinal) + ":" + p.Count.ToString(CultureInfo.InvariantCulture) + "\""));
        P(l["Lottery.Page.Command"]);
        b.Append("<pre>").Append(Enc.Encode($"python3 verify.py {d.Commitment} {d.Seed} entries.txt {prizes}")).Append("</pre>");
        P(l["Lottery.Page.Checker"]);
        b.Append("<pre>").Append(Enc.Encode(Checker)).Append("</pre>");
        P(l["Lottery.Page.Spec"]);
        b.Append("</section>");
        return Shell(l["Lottery.Page.Title", d.Name], b.ToString());
    }

    private static TimeZoneInfo TryZone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Utc;
        }
    }

    /// <summary>A minimal checker in Python 3 (standard library), the same algorithm as docs/lottery.md.</summary>
    private const string Checker = """
        import hashlib, hmac, sys

        commitment, seed_hex, path = sys.argv[1:4]
        seed = bytes.fromhex(seed_hex)
        assert hashlib.sha256(seed).hexdigest() == commitment.lower(), "seed does not match the commitment"
        data = open(path, "rb").read()
        lines = data.decode("utf-8").split("\n")[:-1]
        h = hashlib.sha256(data).digest()
        print("entries hash", h.hex())
        pool, counter = list(range(len(lines))), 0
        for arg in sys.argv[4:]:
            prize, _, count = arg.rpartition(":")
            for _ in range(int(count)):
                size = len(pool)
                bound = (2**256 // size) * size
                while True:
                    mac = hmac.new(seed, h + counter.to_bytes(8, "big"), hashlib.sha256).digest()
                    counter += 1
                    x = int.from_bytes(mac, "big")
                    if x < bound:
                        break
                print(prize, lines[pool.pop(x % size)])
        """;
}
