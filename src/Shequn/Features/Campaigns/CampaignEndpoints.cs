using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Data;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

/// <summary>Campaigns (<c>/api/campaigns</c>): plan, publish, announce, cancel, and read results.</summary>
public static class CampaignEndpoints
{
    public static RouteGroupBuilder MapCampaignEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/", List).WithName("ListCampaigns")
            .WithDescription("Campaigns in the communities the caller sees, newest first; filters kind, phase (draft, upcoming, running, ended, cancelled), "
                + "communityId, and from..to (yyyy-MM-dd, the workspace's calendar: campaigns running on any of those days).");
        g.MapGet("/{id:guid}", Get).WithName("GetCampaign");
        g.MapPost("/", Create).WithName("CreateCampaign")
            .WithDescription("Drafts a campaign: name, kind, startsAt, endsAt, audience (communityIds, tiers, platforms, tagIds; layers narrow members), goalMetric and "
                + "goalTarget, budgetFen, rewards (kind, name, valueFen, costFen, quantity; their cost must fit the budget), rules (the mechanic's: priceFen, stock, "
                + "perPersonLimit, sku, groupSize, groupHours, floorPriceFen, helpers, inviteesNeeded, stayDays, keyword, milestones, daysInRow, scoringRule …) "
                + "and page (blocks: hero, text, image, proof, review, callToAction). Money is in fen.");
        g.MapPut("/{id:guid}", Update).WithName("UpdateCampaign")
            .WithDescription("Changes a campaign; once published its rules, rewards, goal metric and (after the start) start are fixed (409).");
        g.MapPost("/{id:guid}/publish", Publish).WithName("PublishCampaign")
            .WithDescription("Publishes a draft (owner or sub-owner): its page opens and, for a flash sale, its stock is set.");
        g.MapPost("/{id:guid}/cancel", Cancel).WithName("CancelCampaign")
            .WithDescription("Cancels a campaign; its announcements not yet sent are withdrawn.");
        g.MapPost("/{id:guid}/announce", Announce).WithName("AnnounceCampaign")
            .WithDescription("Plans an announcement on the content calendar (a post of content type campaign with the page's link): text (built from the campaign "
                + "when blank), dueAt (the start, or in 5 minutes once started) and communityIds (the campaign's by default).");
        g.MapGet("/{id:guid}/invitations", Invitations).WithName("ListCampaignInvitations")
            .WithDescription("The invitation tree: who brought whom (from the joins' inviters), in which community, when it counts, and its status "
                + "(pending, counted, refused, void) with the reason (alreadyMember, selfInvite, loop, leftEarly).");
        g.MapGet("/{id:guid}/checkins", CheckIns).WithName("ListCampaignCheckIns")
            .WithDescription("A check-in campaign's members: days, make-ups used, current and longest streak, milestones reached.");
        g.MapPost("/{id:guid}/checkins/makeup", MakeUp).WithName("UseMakeUpCard")
            .WithDescription("Uses a make-up card (补签) for memberId on day (yyyy-MM-dd, within the last 7 days, a missed day; rules.makeUpCards a month).");
        g.MapGet("/{id:guid}/photos", Photos).WithName("ListCampaignPhotos")
            .WithDescription("A photo-sharing campaign's photos from the groups (one per member and day), filter status (pending, approved, rejected).");
        g.MapPost("/{id:guid}/photos/{photoId:guid}/review", ReviewPhoto).WithName("ReviewCampaignPhoto")
            .WithDescription("Approves ({\"approve\": true}) or rejects a pending photo; a full block of rules.daysInRow approved days grants the first reward. 409 when already reviewed.");
        return g;
    }

    public sealed record MakeUpInput(Guid MemberId, DateOnly? Day);

    public sealed record ReviewInput(bool Approve);

    public static async Task<Results<Ok<IReadOnlyList<CheckInStanding>>, NotFound>> CheckIns(CampaignDesk desk, Guid id, CancellationToken ct) =>
        await desk.CheckInsAsync(id, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();

    public static async Task<Results<Ok<CheckInStanding>, ValidationProblem, NotFound, ProblemHttpResult>> MakeUp(CampaignDesk desk, Guid id, MakeUpInput input, CancellationToken ct) =>
        Map(await desk.MakeUpAsync(id, input.MemberId, input.Day, ct));

    public static async Task<Results<Ok<IReadOnlyList<PhotoDto>>, ValidationProblem, NotFound>> Photos(CampaignDesk desk, Guid id, string? status, CancellationToken ct)
    {
        var v = new Validation();
        var s = v.ParseEnum<PhotoStatus>("status", status);
        if (!v.IsValid)
            return v.Problem();
        return await desk.PhotosAsync(id, s, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<PhotoDto>, ValidationProblem, NotFound, ProblemHttpResult>> ReviewPhoto(CampaignDesk desk, Guid id, Guid photoId, ReviewInput input, CancellationToken ct) =>
        Map(await desk.ReviewPhotoAsync(id, photoId, input.Approve, ct));

    private static Results<Ok<T>, ValidationProblem, NotFound, ProblemHttpResult> Map<T>(MechanicResult<T> result) => result switch
    {
        { Outcome: CampaignOutcome.Saved } => TypedResults.Ok(result.Value!),
        { Outcome: CampaignOutcome.Invalid } => result.Validation.Problem(),
        { Outcome: CampaignOutcome.NotFound } => TypedResults.NotFound(),
        { Outcome: CampaignOutcome.Conflict } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Conflict),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: result.Conflict ?? "Your role does not allow this."),
    };

    public static async Task<Results<Ok<IReadOnlyList<InvitationDto>>, NotFound>> Invitations(CampaignDesk desk, Guid id, CancellationToken ct) =>
        await desk.InvitationsAsync(id, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();

    public static async Task<Results<Ok<IReadOnlyList<CampaignSummaryDto>>, ValidationProblem>> List(
        CampaignDesk desk, AppDbContext db, WorkspaceZones zones, string? kind, string? phase, Guid? communityId, string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var k = v.ParseEnum<CampaignKind>("kind", kind);
        var p = v.ParseEnum<CampaignPhase>("phase", phase);
        var f = v.ParseDay("from", from);
        var t = v.ParseDay("to", to);
        if (f is { } a && t is { } b && b < a)
            v.Add("to", "Campaigns.ToBeforeFrom", "'to' must not be before 'from'.");
        if (!v.IsValid)
            return v.Problem();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        DateTime? start = f is { } fd ? TimeZoneInfo.ConvertTimeToUtc(fd.ToDateTime(TimeOnly.MinValue), zone) : null;
        DateTime? end = t is { } td ? TimeZoneInfo.ConvertTimeToUtc(td.AddDays(1).ToDateTime(TimeOnly.MinValue), zone) : null;
        return TypedResults.Ok(await desk.ListAsync(k, p, communityId, start, end, ct));
    }

    public static async Task<Results<Ok<CampaignDto>, NotFound>> Get(CampaignDesk desk, Guid id, CancellationToken ct) =>
        await desk.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<CampaignDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(CampaignDesk desk, CampaignInput input, CancellationToken ct) =>
        Map(await desk.CreateAsync(input, ct), dto => TypedResults.Created($"/api/campaigns/{dto.Id}", dto));

    public static async Task<Results<Ok<CampaignDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(CampaignDesk desk, Guid id, CampaignInput input, CancellationToken ct) =>
        Map(await desk.UpdateAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<Ok<CampaignDto>, ValidationProblem, NotFound, ProblemHttpResult>> Publish(CampaignDesk desk, Guid id, CancellationToken ct) =>
        Map(await desk.PublishAsync(id, ct), TypedResults.Ok);

    public static async Task<Results<Ok<CampaignDto>, ValidationProblem, NotFound, ProblemHttpResult>> Cancel(CampaignDesk desk, Guid id, CancellationToken ct) =>
        Map(await desk.CancelAsync(id, ct), TypedResults.Ok);

    public static async Task<Results<Ok<CampaignDto>, ValidationProblem, NotFound, ProblemHttpResult>> Announce(CampaignDesk desk, Guid id, AnnounceInput? input, CancellationToken ct) =>
        Map(await desk.AnnounceAsync(id, input ?? new AnnounceInput(), ct), TypedResults.Ok);


    private static Results<T, ValidationProblem, NotFound, ProblemHttpResult> Map<T>(CampaignResult result, Func<CampaignDto, T> saved)
        where T : IResult => result switch
        {
            { Outcome: CampaignOutcome.Saved } => saved(result.Campaign!),
            { Outcome: CampaignOutcome.Invalid } => result.Validation.Problem(),
            { Outcome: CampaignOutcome.NotFound } => TypedResults.NotFound(),
            { Outcome: CampaignOutcome.Conflict } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Conflict),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: result.Conflict ?? "Your role does not allow this: KOCs read campaigns; other staff draft them; owners and sub-owners publish them."),
        };
}
