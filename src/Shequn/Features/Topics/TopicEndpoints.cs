using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Data;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;

namespace Shequn.Features.Topics;

/// <summary>The topic library (<c>/api/topics</c>), topic sessions (<c>/api/topics/sessions</c>) and topic volume.</summary>
public static class TopicEndpoints
{
    public const int MaxVolumeDays = 366;

    public static RouteGroupBuilder MapTopicEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var topics = api.MapGroup("/topics").WithTags("Topics");
        topics.MapGet("/", List).WithName("ListTopics")
            .WithDescription("The topic library (starter topics are made on first use), filtered by kind (universal, professional, personal), tag and q (words in title or description).");
        topics.MapGet("/{id:guid}", Get).WithName("GetTopic");
        topics.MapPost("/", Create).WithName("CreateTopic");
        topics.MapPut("/{id:guid}", Update).WithName("UpdateTopic");
        topics.MapDelete("/{id:guid}", Delete).WithName("DeleteTopic")
            .WithDescription("Deletes a topic no session was made from (409 otherwise).");

        topics.MapGet("/sessions", ListSessions).WithName("ListTopicSessions")
            .WithDescription("Sessions in the communities the caller sees; filters communityId, status (planned, announced, running, done, cancelled), "
                + "from..to (yyyy-MM-dd, the workspace's calendar, by start).");
        topics.MapGet("/sessions/{id:guid}", GetSession).WithName("GetTopicSession");
        topics.MapPost("/sessions", CreateSession).WithName("CreateTopicSession")
            .WithDescription("Plans a session: topicId, communityId, host (staffId, memberId or a guest's name), startsAt, durationMinutes (60), questions "
                + "(the topic's ladder), announcementText (built-in when blank) and announceLeadMinutes ([1440, 60]): each announcement is a post on the "
                + "content calendar, approved at once for owners and sub-owners, a draft otherwise.");
        topics.MapPut("/sessions/{id:guid}", UpdateSession).WithName("UpdateTopicSession")
            .WithDescription("Changes a session; moving it moves its announcements not yet sent. After the start only host, questions and summaryDraft change.");
        topics.MapPost("/sessions/{id:guid}/cancel", CancelSession).WithName("CancelTopicSession");
        topics.MapGet("/sessions/{id:guid}/summary", GetSummary).WithName("GetTopicSessionSummary")
            .WithDescription("Members' messages in the session's window from the event log: counts, the five most active speakers, the questions asked and the draft.");
        topics.MapPost("/sessions/{id:guid}/summary", PostSummary).WithName("PostTopicSessionSummary")
            .WithDescription("Posts the summary (text, else the saved or computed draft) in the community through the outbox, once (key topic:{id}:summary).");
        topics.MapGet("/volume", Volume).WithName("GetTopicVolume")
            .WithDescription("Per community: sessions held, upcoming and cancelled that start on the days from..to (yyyy-MM-dd; the last 30 days by default), "
                + "and members' messages and speakers during those held.");
        return topics;
    }

    public static async Task<Results<Ok<IReadOnlyList<TopicDto>>, ValidationProblem>> List(TopicLibrary library, string? kind, string? tag, string? q, CancellationToken ct)
    {
        var v = new Validation();
        var parsed = v.ParseEnum<TopicKind>("kind", kind);
        if (!v.IsValid)
            return v.Problem();
        return TypedResults.Ok(await library.ListAsync(parsed, tag, q, ct));
    }

    public static async Task<Results<Ok<TopicDto>, NotFound>> Get(TopicLibrary library, Guid id, CancellationToken ct) =>
        await library.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<TopicDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(TopicLibrary library, TopicInput input, CancellationToken ct) =>
        Map(await library.CreateAsync(input, ct), dto => TypedResults.Created($"/api/topics/{dto.Id}", dto));

    public static async Task<Results<Ok<TopicDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(TopicLibrary library, Guid id, TopicInput input, CancellationToken ct) =>
        Map(await library.UpdateAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> Delete(TopicLibrary library, Guid id, CancellationToken ct) =>
        Map(await library.DeleteAsync(id, ct), _ => TypedResults.NoContent());

    public static async Task<Results<Ok<IReadOnlyList<TopicSessionDto>>, ValidationProblem>> ListSessions(
        TopicSessions sessions, AppDbContext db, WorkspaceZones zones, Guid? communityId, string? status, string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var parsed = v.ParseEnum<TopicSessionStatus>("status", status);
        var f = v.ParseDay("from", from);
        var t = v.ParseDay("to", to);
        if (f is { } a && t is { } b && b < a)
            v.Add("to", "OutOfRange", "'to' must not be before 'from'.", from!, to!);
        if (!v.IsValid)
            return v.Problem();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var filter = new TopicSessionFilter(communityId, parsed,
            f is { } fd ? TimeZoneInfo.ConvertTimeToUtc(fd.ToDateTime(TimeOnly.MinValue), zone) : null,
            t is { } td ? TimeZoneInfo.ConvertTimeToUtc(td.AddDays(1).ToDateTime(TimeOnly.MinValue), zone) : null);
        return TypedResults.Ok(await sessions.ListAsync(filter, ct));
    }

    public static async Task<Results<Ok<TopicSessionDto>, NotFound>> GetSession(TopicSessions sessions, Guid id, CancellationToken ct) =>
        await sessions.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<TopicSessionDto>, ValidationProblem, NotFound, ProblemHttpResult>> CreateSession(
        TopicSessions sessions, TopicSessionInput input, CancellationToken ct) =>
        Map(await sessions.CreateAsync(input, ct), dto => TypedResults.Created($"/api/topics/sessions/{dto.Id}", dto));

    public static async Task<Results<Ok<TopicSessionDto>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateSession(
        TopicSessions sessions, Guid id, TopicSessionInput input, CancellationToken ct) =>
        Map(await sessions.UpdateAsync(id, input, ct), TypedResults.Ok);

    public static async Task<Results<Ok<TopicSessionDto>, ValidationProblem, NotFound, ProblemHttpResult>> CancelSession(TopicSessions sessions, Guid id, CancellationToken ct) =>
        Map(await sessions.CancelAsync(id, ct), TypedResults.Ok);

    public static async Task<Results<Ok<TopicSummaryDto>, NotFound>> GetSummary(TopicSummaries summaries, Guid id, CancellationToken ct) =>
        await summaries.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>201 with the new action; 200 with the earlier one when the summary was already posted.</summary>
    public static async Task<Results<Created<TopicSummaryPosted>, Ok<TopicSummaryPosted>, ValidationProblem, NotFound, ProblemHttpResult>> PostSummary(
        TopicSummaries summaries, Guid id, TopicSummaryInput? input, CancellationToken ct)
    {
        var result = await summaries.PostAsync(id, input ?? new TopicSummaryInput(), ct);
        if (result is { Outcome: TopicOutcome.Saved, Value: { } posted })
            return posted.Existing ? TypedResults.Ok(posted) : TypedResults.Created($"/api/actions/{posted.ActionId}", posted);
        return result.Outcome switch
        {
            TopicOutcome.Invalid => result.Validation.Problem(),
            TopicOutcome.NotFound => TypedResults.NotFound(),
            _ => Refused(result.Outcome, result.Conflict),
        };
    }

    public static async Task<Results<Ok<IReadOnlyList<TopicVolumeDto>>, ValidationProblem>> Volume(
        TopicSummaries summaries, AppDbContext db, WorkspaceZones zones, TimeProvider time, string? from, string? to, CancellationToken ct)
    {
        var v = new Validation();
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(time.GetUtcNow().UtcDateTime, zone));
        var f = string.IsNullOrWhiteSpace(from) ? today.AddDays(-29) : v.ParseDay("from", from);
        var t = string.IsNullOrWhiteSpace(to) ? today : v.ParseDay("to", to);
        if (f is { } a && t is { } b && (b < a || b.DayNumber - a.DayNumber >= MaxVolumeDays))
            v.Add("to", "OutOfRange", $"'to' must be on or after 'from' and the range at most {MaxVolumeDays} days.", 0, MaxVolumeDays);
        if (!v.IsValid)
            return v.Problem();
        var start = TimeZoneInfo.ConvertTimeToUtc(f!.Value.ToDateTime(TimeOnly.MinValue), zone);
        var end = TimeZoneInfo.ConvertTimeToUtc(t!.Value.AddDays(1).ToDateTime(TimeOnly.MinValue), zone);
        return TypedResults.Ok(await summaries.VolumeAsync(start, end, ct));
    }


    private static ProblemHttpResult Refused(TopicOutcome outcome, string? conflict) => outcome == TopicOutcome.Conflict
        ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: conflict)
        : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
            detail: "Your role does not allow this: KOCs read topics and sessions; other staff plan them.");

    private static Results<T, ValidationProblem, NotFound, ProblemHttpResult> Map<TValue, T>(TopicResult<TValue> result, Func<TValue, T> saved)
        where T : IResult => result switch
        {
            { Outcome: TopicOutcome.Saved } => saved(result.Value!),
            { Outcome: TopicOutcome.Invalid } => result.Validation.Problem(),
            { Outcome: TopicOutcome.NotFound } => TypedResults.NotFound(),
            _ => Refused(result.Outcome, result.Conflict),
        };
}
