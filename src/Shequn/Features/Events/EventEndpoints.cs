using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform;

namespace Shequn.Features.Events;

public sealed record IngestedEvent(int Index, string Id, IngestStatus Status);

public sealed record IngestResponse(int Accepted, int Duplicates, IReadOnlyList<IngestedEvent> Events);

/// <summary>Daily figures; days are those of <c>TimeZone</c> (the workspace's), and a day with <c>complete: false</c>
/// (today) is counted up to <c>AsOf</c> only.</summary>
public sealed record CommunityFiguresDto(Guid CommunityId, DateOnly From, DateOnly To, IReadOnlyList<DayFigures> Days,
    string TimeZone, DateTimeOffset AsOf);

public static class EventEndpoints
{
    public const int MaxFigureDays = 366;

    public static RouteGroupBuilder MapEventEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/events", Post).WithTags("Events").WithName("PostEvents").WithBodyLimit(EventInputs.MaxRequestBytes)
            .WithSummary("Store chat events (one object, or an array of up to 1000)")
            .WithDescription("Each event is stored durably before the response. 202 when at least one event was new, 200 when all were " +
                "duplicates (same platform + id as before). A request with any invalid event is rejected whole (400, errors keyed " +
                "'events[i].field') and nothing of it is stored; fix it and send it again.");
        api.MapGet("/communities/{id:guid}/figures", CommunityFigures).WithTags("Events").WithName("GetCommunityFigures");
        api.MapGet("/figures", WorkspaceFigures).WithTags("Events").WithName("GetWorkspaceFigures");
        return api;
    }

    public static async Task<Results<Accepted<IngestResponse>, Ok<IngestResponse>, ValidationProblem, ProblemHttpResult>> Post(
        HttpRequest request, EventIngestor ingestor, AppDbContext db, IOptions<JsonOptions> json, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || me.Role == StaffRole.Koc)
            return CommunityEndpoints.Forbidden();

        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad request",
                detail: $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}");
        }
        using var _ = doc;
        var elements = doc.RootElement.ValueKind switch
        {
            JsonValueKind.Array => doc.RootElement.EnumerateArray().ToList(),
            JsonValueKind.Object => [doc.RootElement],
            _ => null,
        };
        if (elements is null || elements.Count == 0)
            return TypedResults.Problem(statusCode: 400, title: "Bad request", detail: "Send one event object or a non-empty array of events.");
        if (elements.Count > EventInputs.MaxEventsPerRequest)
            return TypedResults.Problem(statusCode: 400, title: "Bad request",
                detail: $"At most {EventInputs.MaxEventsPerRequest} events per request (got {elements.Count}).");

        var errors = new Dictionary<string, string[]>();
        var rows = new CommunityEvent?[elements.Count];
        var now = DateTime.UtcNow;
        for (var i = 0; i < elements.Count; i++)
        {
            var prefix = $"events[{i}]";
            EventInput? input;
            try
            {
                input = elements[i].Deserialize<EventInput>(json.Value.SerializerOptions);
            }
            catch (JsonException ex)
            {
                // "$.occurredAt" → "events[3].occurredAt"
                var field = ex.Path is { Length: > 1 } path ? prefix + path[1..] : prefix;
                errors[field] = [JsonErrors.Describe(ex, typeof(EventInput), "An event")];
                continue;
            }
            if (input is null)
            {
                errors[prefix] = ["An event must be a JSON object."];
                continue;
            }
            var row = EventInputs.ToLogRow(input, db.CurrentWorkspaceId, prefix, now, out var v);
            foreach (var (k, msgs) in v.Errors)
                errors[k] = msgs;
            rows[i] = row;
        }

        // A community named by Shequn id must be one this token's staff member may see.
        var named = rows.Where(r => r?.CommunityId is not null).Select(r => r!.CommunityId!.Value).Distinct().ToList();
        if (named.Count > 0)
        {
            var visible = (await db.Visible(me).Where(c => named.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
            for (var i = 0; i < rows.Length; i++)
            {
                if (rows[i]?.CommunityId is { } id && !visible.Contains(id))
                    errors[$"events[{i}].communityId"] = [$"Community '{id}' does not exist or you may not see it."];
            }
        }
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "Some events are invalid; nothing was stored.");

        var valid = rows.Select(r => r!).ToList();
        IngestStatus[] statuses;
        try
        {
            statuses = await ingestor.IngestAsync(valid, ct);
        }
        catch (Exception ex) when (ex is EventLogClosedException or EventLogUnavailableException)
        {
            return TypedResults.Problem(statusCode: 503, title: "Service unavailable", detail: ex.Message);
        }
        var results = valid.Select((r, i) => new IngestedEvent(i, r.PlatformEventId, statuses[i])).ToList();
        var accepted = statuses.Count(s => s == IngestStatus.Accepted);
        var response = new IngestResponse(accepted, statuses.Length - accepted, results);
        return accepted > 0 ? TypedResults.Accepted((string?)null, response) : TypedResults.Ok(response);
    }

    public static async Task<Results<Ok<CommunityFiguresDto>, NotFound, ValidationProblem>> CommunityFigures(
        AppDbContext db, WorkspaceClock clock, Guid id, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var community = db.Visible(me).Where(c => c.Id == id);
        if (!await community.AnyAsync(ct))
            return TypedResults.NotFound();
        return await FiguresAsync(db, clock, community, id, from, to, ct);
    }

    public static async Task<Results<Ok<CommunityFiguresDto>, NotFound, ValidationProblem>> WorkspaceFigures(
        AppDbContext db, WorkspaceClock clock, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        return await FiguresAsync(db, clock, db.Visible(me), Guid.Empty, from, to, ct);
    }

    private static async Task<Results<Ok<CommunityFiguresDto>, NotFound, ValidationProblem>> FiguresAsync(
        AppDbContext db, WorkspaceClock clock, IQueryable<Community> communities, Guid id, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var now = clock.Now;
        if (Range(from, to, DateOnly.FromDateTime(now.DateTime), out var f, out var t) is { } problem)
            return problem;
        var days = await DailyFigures.ReadAsync(db, communities, f, t, clock.Zone, now.UtcDateTime, ct);
        return TypedResults.Ok(new CommunityFiguresDto(id, f, t, days, clock.Zone.Id, now));
    }

    private static ValidationProblem? Range(DateOnly? from, DateOnly? to, DateOnly today, out DateOnly f, out DateOnly t)
    {
        t = to ?? today;
        f = from ?? t.AddDays(-29);
        if (f > t)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["from"] = ["'from' must not be after 'to'."] });
        if (t.DayNumber - f.DayNumber >= MaxFigureDays)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["from"] = [$"At most {MaxFigureDays} days at a time."] });
        return null;
    }
}
