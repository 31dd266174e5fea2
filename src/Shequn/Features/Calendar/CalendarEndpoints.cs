using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Calendar;

/// <summary>A marketing date as the API gives it: named in the caller's language.</summary>
public sealed record MarketingDateDto(string Key, string Name, MarketingDateKind Kind, DateOnly Day, DateOnly? Until);

/// <summary>The playbook's hours (<c>HH:mm</c> in the workspace's zone) and limits; on update a field left out stays.</summary>
public sealed record PlaybookSettingsDto(string? DaytimeStart = null, string? EveningStart = null, string? NightStart = null, int? MaxPostsPerDay = null, int? MaxQuietDays = null);

/// <summary>
/// The communities an SOP template applies to (the whole set): those named, and every active community carrying one of
/// the tags now (resolved when applied: a community tagged later is not added by itself).
/// </summary>
public sealed record SopCommunitiesInput(IReadOnlyList<Guid>? CommunityIds, IReadOnlyList<Guid>? TagIds = null);

/// <summary>The posts a copy made, and those it could not make with the reason.</summary>
public sealed record CopyDto(IReadOnlyList<PostDto> Made, IReadOnlyList<CopySkip> Skipped);

/// <summary>The marketing calendar, posts and the playbook lint.</summary>
public static class CalendarEndpoints
{
    public const int MaxRangeDays = 92;

    public static RouteGroupBuilder MapCalendarEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/calendar").WithTags("Marketing calendar");
        group.MapGet("/dates", Dates).WithName("GetMarketingDates");
        group.MapGet("/lint", Lint).WithName("LintPlan")
            .WithDescription("The playbook lint over the days from..to (yyyy-MM-dd, the workspace's calendar; at most 92 days) for the communities the "
                + "caller sees, or one (communityId): each finding names its rule, community, day and posts, with an English explanation.");
        group.MapGet("/brand-dates", (BrandDates dates, CancellationToken ct) => dates.ListAsync(ct)).WithName("ListBrandDates");
        group.MapPost("/brand-dates", async (BrandDates dates, BrandDateInput input, CancellationToken ct) =>
            MapDate(await dates.SaveAsync(null, input, ct), d => TypedResults.Created($"/api/calendar/brand-dates/{d.Id}", d))).WithName("CreateBrandDate")
            .WithDescription("A date of the brand's own on the marketing calendar: month and day, every year unless year is given; theme is what staff see near it. Owners and sub-owners.");
        group.MapPut("/brand-dates/{id:guid}", async (BrandDates dates, Guid id, BrandDateInput input, CancellationToken ct) =>
            MapDate(await dates.SaveAsync(id, input, ct), TypedResults.Ok)).WithName("UpdateBrandDate");
        group.MapDelete("/brand-dates/{id:guid}", async Task<Results<NoContent, NotFound, ProblemHttpResult>> (BrandDates dates, Guid id, CancellationToken ct) =>
            await dates.DeleteAsync(id, ct) switch
            {
                PostOutcome.Saved => TypedResults.NoContent(),
                PostOutcome.NotFound => TypedResults.NotFound(),
                _ => CommunityEndpoints.Forbidden(),
            }).WithName("DeleteBrandDate");
        group.MapGet("/playbook", GetPlaybook).WithName("GetPlaybookSettings");
        group.MapPut("/playbook", PutPlaybook).WithName("UpdatePlaybookSettings")
            .WithDescription("The lint's hours and limits (owner and sub-owners).");

        var posts = api.MapGroup("/posts").WithTags("Posts");
        posts.MapGet("/", List).WithName("ListPosts")
            .WithDescription("The calendar: each post's copy per community due on the days from..to (yyyy-MM-dd, the workspace's calendar; at most 92 days).");
        posts.MapGet("/{id:guid}", Get).WithName("GetPost");
        posts.MapPost("/", Create).WithName("CreatePost")
            .WithDescription("A post to communities (targets: communityIds, and/or every active community of the tiers and platforms named) at dueAt. "
                + "An owner's or sub-owner's post is approved at once; others' are drafts until approved. The answer lists the lint's findings about it. "
                + "imageId (from POST /api/media) sends an image with the text; miniProgram {title, appId, page, coverImageId} adds a WeCom mini-program card. "
                + "Each is checked against every target platform before anything is scheduled (400 naming the field and the platform).");
        posts.MapPut("/{id:guid}", Update).WithName("UpdatePost")
            .WithDescription("Changes a post (drag to reschedule = a new dueAt). Copies already handed to the outbox stay as they are. "
                + "An approved post changed by someone who may not approve goes back to draft.");
        posts.MapPost("/copy", Copy).WithName("CopyPosts")
            .WithDescription("Copies a community's posts on the days from..to (at most 31) to other communities, moved by shiftDays: each a new post "
                + "(approved when the caller may approve). Posts that cannot be copied (in the past, a WeCom clash) are listed in skipped.");
        posts.MapPost("/{id:guid}/approve", Approve).WithName("ApprovePost");
        posts.MapPost("/{id:guid}/cancel", Cancel).WithName("CancelPost");
        api.MapMediaEndpoints();
        var sop = api.MapGroup("/sop").WithTags("SOP templates");
        sop.MapGet("/", (SopPlanner p, CancellationToken ct) => p.ListAsync(ct)).WithName("ListSopTemplates");
        sop.MapGet("/{id:guid}", async Task<Results<Ok<SopDto>, NotFound>> (SopPlanner p, Guid id, CancellationToken ct) =>
            await p.GetAsync(id, ct) is { } t ? TypedResults.Ok(t) : TypedResults.NotFound()).WithName("GetSopTemplate");
        sop.MapPost("/", async (SopPlanner p, SopInput input, CancellationToken ct) =>
            MapSop(await p.CreateAsync(input, ct), t => TypedResults.Created($"/api/sop/{t!.Id}", t))).WithName("CreateSopTemplate")
            .WithDescription("A repeating plan: trigger fixedDates (each step's date), weekdays (each step's weekdays, planned weeksAhead weeks ahead) or "
                + "daysAfterCommunityCreated (each step's day); each step has title, text, contentType, time (HH:mm in the workspace's zone).");
        sop.MapPut("/{id:guid}", async (SopPlanner p, Guid id, SopInput input, CancellationToken ct) => MapSop(await p.UpdateAsync(id, input, ct), TypedResults.Ok))
            .WithName("UpdateSopTemplate").WithDescription("Changes the template; its posts not handed to the outbox yet follow (words, times; unwanted ones withdrawn).");
        sop.MapPut("/{id:guid}/communities", async (SopPlanner p, Guid id, SopCommunitiesInput input, CancellationToken ct) =>
            MapSop(await p.SetCommunitiesAsync(id, input.CommunityIds, input.TagIds, ct), TypedResults.Ok)).WithName("SetSopCommunities")
            .WithDescription("The communities the template applies to: new ones get its posts, dropped ones lose those not sent yet.");
        sop.MapDelete("/{id:guid}", async (SopPlanner p, Guid id, string? futurePosts, CancellationToken ct) =>
            MapSop(await p.DeleteAsync(id, futurePosts, ct), _ => TypedResults.NoContent())).WithName("DeleteSopTemplate")
            .WithDescription("futurePosts=cancel withdraws the template's posts not sent yet; futurePosts=keep leaves them as ordinary posts. Required.");
        return group;
    }

    private static Results<TOk, ValidationProblem, NotFound, ProblemHttpResult> MapDate<TOk>((PostOutcome Outcome, BrandDateDto? Date, Validation Validation) result, Func<BrandDateDto, TOk> ok)
        where TOk : IResult => result.Outcome switch
        {
            PostOutcome.Saved => ok(result.Date!),
            PostOutcome.Invalid => result.Validation.Problem(),
            PostOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };

    private static Results<TOk, ValidationProblem, NotFound, ProblemHttpResult> MapSop<TOk>(SopResult result, Func<SopDto?, TOk> ok)
        where TOk : IResult => result.Outcome switch
        {
            PostOutcome.Saved => ok(result.Template),
            PostOutcome.Invalid => result.Validation.Problem(),
            PostOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(result.Detail ?? "Your role does not allow this."),
        };

    /// <summary>The year's dates (this year in China's time when none is given), in date order.</summary>
    public static Results<Ok<List<MarketingDateDto>>, ValidationProblem> Dates(IStringLocalizer<Strings> l, TimeProvider time, int? year)
    {
        var y = year ?? time.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).Year;
        if (y < MarketingDates.MinYear || y > MarketingDates.MaxYear)
        {
            return new Validation().Add("year", "Calendar.YearOutOfRange",
                $"'year' must be from {MarketingDates.MinYear} to {MarketingDates.MaxYear} (got {y}).", MarketingDates.MinYear, MarketingDates.MaxYear, y).Problem();
        }
        return TypedResults.Ok(MarketingDates.For(y).Select(d => new MarketingDateDto(d.Key, l["Calendar." + d.Key], d.Kind, d.Day, d.Until)).ToList());
    }

    public static async Task<Results<Ok<IReadOnlyList<LintFinding>>, ValidationProblem>> Lint(PostPlanner planner, string? from, string? to, Guid? communityId, CancellationToken ct)
    {
        var v = new Validation();
        var range = ParseRange(v, from, to);
        if (!v.IsValid)
            return v.Problem();
        return TypedResults.Ok(await planner.LintAsync(range.From, range.To, communityId, ct));
    }

    public static async Task<Results<Ok<IReadOnlyList<CalendarEntryDto>>, ValidationProblem>> List(
        PostPlanner planner, AppDbContext db, WorkspaceZones zones, string? from, string? to, Guid? communityId, CancellationToken ct)
    {
        var v = new Validation();
        var range = ParseRange(v, from, to);
        if (!v.IsValid)
            return v.Problem();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var start = TimeZoneInfo.ConvertTimeToUtc(range.From.ToDateTime(TimeOnly.MinValue), zone);
        var end = TimeZoneInfo.ConvertTimeToUtc(range.To.AddDays(1).ToDateTime(TimeOnly.MinValue), zone);
        return TypedResults.Ok(await planner.EntriesAsync(start, end, communityId, ct));
    }

    public static async Task<Results<Ok<PostDto>, NotFound>> Get(PostPlanner planner, Guid id, CancellationToken ct) =>
        await planner.GetAsync(id, ct) is { } post ? TypedResults.Ok(post) : TypedResults.NotFound();

    public static async Task<Results<Created<PostDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(PostPlanner planner, PostInput input, CancellationToken ct) =>
        Map(await planner.CreateAsync(input, ct), dto => TypedResults.Created($"/api/posts/{dto.Id}", dto));

    public static async Task<Results<Ok<PostDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(PostPlanner planner, Guid id, PostInput input, CancellationToken ct) =>
        Map(await planner.UpdateAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<Ok<PostDto>, ValidationProblem, NotFound, ProblemHttpResult>> Approve(PostPlanner planner, Guid id, CancellationToken ct) =>
        Map(await planner.ApproveAsync(id, ct), TypedResults.Ok);

    public static async Task<Results<Ok<PostDto>, ValidationProblem, NotFound, ProblemHttpResult>> Cancel(PostPlanner planner, Guid id, CancellationToken ct) =>
        Map(await planner.CancelAsync(id, ct), TypedResults.Ok);

    public static async Task<Results<Ok<CopyDto>, ValidationProblem, ProblemHttpResult>> Copy(PostPlanner planner, CopyInput input, CancellationToken ct)
    {
        var result = await planner.CopyAsync(input, ct);
        return result.Outcome switch
        {
            PostOutcome.Saved => TypedResults.Ok(new CopyDto(result.Made, result.Skipped)),
            PostOutcome.Invalid => result.Validation.Problem(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Ok<PlaybookSettingsDto>> GetPlaybook(PostPlanner planner, CancellationToken ct) =>
        TypedResults.Ok(Dto(await planner.SettingsAsync(ct)));

    public static async Task<Results<Ok<PlaybookSettingsDto>, ValidationProblem, ProblemHttpResult>> PutPlaybook(AppDbContext db, PostPlanner planner, PlaybookSettingsDto input, CancellationToken ct)
    {
        if (!PostPlanner.MayApprove(await db.Current.GetProfileAsync(db, ct)))
            return CommunityEndpoints.Forbidden();
        var v = new Validation();
        var row = await db.Set<PlaybookSettings>().SingleOrDefaultAsync(ct);
        var isNew = row is null;
        row ??= PlaybookSettings.Defaults(db.CurrentWorkspaceId);
        row.DaytimeStartMinute = Minute(v, "daytimeStart", input.DaytimeStart) ?? row.DaytimeStartMinute;
        row.EveningStartMinute = Minute(v, "eveningStart", input.EveningStart) ?? row.EveningStartMinute;
        row.NightStartMinute = Minute(v, "nightStart", input.NightStart) ?? row.NightStartMinute;
        if (v.IsValid && !(row.DaytimeStartMinute < row.EveningStartMinute && row.EveningStartMinute < row.NightStartMinute))
            v.Add("eveningStart", "HoursOutOfOrder", "The day must run in order: daytimeStart < eveningStart < nightStart.");
        if (input.MaxPostsPerDay is { } max)
        {
            if (max is < 1 or > 50)
                v.Add("maxPostsPerDay", "OutOfRange", "'maxPostsPerDay' must be between 1 and 50.");
            row.MaxPostsPerDay = max;
        }
        if (input.MaxQuietDays is { } quiet)
        {
            if (quiet is < 0 or > 60)
                v.Add("maxQuietDays", "OutOfRange", "'maxQuietDays' must be between 0 and 60.");
            row.MaxQuietDays = quiet;
        }
        if (!v.IsValid)
            return v.Problem();
        row.UpdatedAt = DateTime.UtcNow;
        if (isNew)
            db.Add(row);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(Dto(row));
    }

    internal static (DateOnly From, DateOnly To) ParseRange(Validation v, string? from, string? to)
    {
        var f = v.ParseDay("from", from, required: true);
        var t = v.ParseDay("to", to, required: true);
        if (f is { } a && t is { } b)
        {
            if (b < a)
                v.Add("to", "OutOfRange", "'to' must not be before 'from'.");
            else if (b.DayNumber - a.DayNumber >= MaxRangeDays)
                v.Add("to", "OutOfRange", $"The range may span at most {MaxRangeDays} days.", MaxRangeDays);
            return (a, b);
        }
        return default;
    }


    private static int? Minute(Validation v, string field, string? text)
    {
        if (text is null)
            return null;
        if (TimeOnly.TryParseExact(text.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
            return t.Hour * 60 + t.Minute;
        v.Add(field, "Malformed", $"'{field}' must be a time as HH:mm (got '{text}').", text);
        return null;
    }

    private static PlaybookSettingsDto Dto(PlaybookSettings s) => new(Hhmm(s.DaytimeStartMinute), Hhmm(s.EveningStartMinute), Hhmm(s.NightStartMinute), s.MaxPostsPerDay, s.MaxQuietDays);

    private static string Hhmm(int minute) => FormattableString.Invariant($"{minute / 60:00}:{minute % 60:00}");

    private static Results<TOk, ValidationProblem, NotFound, ProblemHttpResult> Map<TOk>(PostResult result, Func<PostDto, TOk> ok)
        where TOk : IResult => result.Outcome switch
        {
            PostOutcome.Saved => ok(result.Post!),
            PostOutcome.Invalid => result.Validation.Problem(),
            PostOutcome.NotFound => TypedResults.NotFound(),
            PostOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Conflict),
            _ => CommunityEndpoints.Forbidden(result.Conflict ?? "Your role does not allow this."),
        };
}
