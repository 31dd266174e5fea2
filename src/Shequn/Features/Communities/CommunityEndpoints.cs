using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Communities;

public sealed record CommunityStaffDto(Guid StaffUserId, string DisplayName, CommunityRole Role);

public sealed record CommunityDto(
    Guid Id,
    string Name,
    ChatPlatform Platform,
    CommunityType Type,
    CommunitySubType SubType,
    CommunityTier Tier,
    int Capacity,
    string? Purpose,
    string? Intro,
    string? Rules,
    CommunityState State,
    int MemberCount,
    IReadOnlyList<CommunityStaffDto> Staff,
    IReadOnlyList<CommunityTagRefDto> Tags,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    IReadOnlyList<string>? Warnings = null)
{
    /// <summary>Messages posted today (the figures' day), given by the list only.</summary>
    public int? TodayMessages { get; init; }
}

public static class CommunityEndpoints
{
    public static RouteGroupBuilder MapCommunityEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/communities").WithTags("Communities");
        group.MapGet("/", List).WithName("ListCommunities");
        group.MapGet("/{id:guid}", Get).WithName("GetCommunity");
        group.MapPost("/", Create).WithName("CreateCommunity");
        group.MapPut("/{id:guid}", Update).WithName("UpdateCommunity");
        api.MapCommunityTagEndpoints();
        return group;
    }

    /// <summary>
    /// Enum filters are text so that any case is accepted (see <see cref="Validation.ParseEnum{TEnum}"/>); <c>tag</c> is a
    /// community tag's id (communities carrying it).
    /// </summary>
    public static async Task<Results<Ok<Page<CommunityDto>>, ValidationProblem>> List(
        AppDbContext db, WorkspaceClock clock, string? q, string? platform, string? tier, string? state,
        int? page, int? pageSize, string? tag, CancellationToken ct)
    {
        var validation = new Validation();
        var platformValue = validation.ParseEnum<ChatPlatform>("platform", platform);
        var tierValue = validation.ParseEnum<CommunityTier>("tier", tier);
        var stateValue = validation.ParseEnum<CommunityState>("state", state);
        Guid? tagValue = null;
        if (!string.IsNullOrWhiteSpace(tag))
        {
            if (Guid.TryParse(tag.Trim(), out var parsed))
                tagValue = parsed;
            else
                validation.Add("tag", "UnknownValue", $"'tag' has an unknown value '{tag}'.", tag);
        }
        if (!validation.IsValid)
            return validation.Problem();
        var me = await db.Current.GetProfileAsync(db, ct);
        var query = db.Visible(me);
        if (!string.IsNullOrWhiteSpace(q))
            query = query.Where(c => c.Name.Contains(q) || (c.Purpose != null && c.Purpose.Contains(q)));
        if (platformValue is not null)
            query = query.Where(c => c.Platform == platformValue);
        if (tierValue is not null)
            query = query.Where(c => c.Tier == tierValue);
        if (stateValue is not null)
            query = query.Where(c => c.State == stateValue);
        if (tagValue is { } tagId)
            query = query.Where(c => c.Tags.Any(l => l.TagId == tagId));
        var result = await query.OrderBy(c => c.Name).Select(ToDto).ToPageAsync(page, pageSize, ct);
        return TypedResults.Ok(result with { Items = await WithTodayAsync(db, clock.Today, result.Items, ct) });
    }

    /// <summary>Today's message count per listed community, from the stored daily figures (no scan of the log).</summary>
    private static async Task<IReadOnlyList<CommunityDto>> WithTodayAsync(AppDbContext db, DateOnly today, IReadOnlyList<CommunityDto> items, CancellationToken ct)
    {
        var ids = items.Select(c => c.Id).ToList();
        var messages = await db.Set<CommunityDailyFigure>().AsNoTracking()
            .Where(f => ids.Contains(f.CommunityId) && f.Day == today)
            .ToDictionaryAsync(f => f.CommunityId, f => f.Messages, ct);
        return [.. items.Select(c => c with { TodayMessages = messages.GetValueOrDefault(c.Id) })];
    }

    public static async Task<Results<Ok<CommunityDto>, NotFound>> Get(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var dto = await db.Visible(me).Where(c => c.Id == id).Select(ToDto).SingleOrDefaultAsync(ct);
        return dto is null ? TypedResults.NotFound() : TypedResults.Ok(dto);
    }

    public static async Task<Results<Created<CommunityDto>, ValidationProblem, ProblemHttpResult>> Create(
        CommunityEditor editor, AppDbContext db, CommunityInput input, CancellationToken ct)
    {
        var result = await editor.SaveAsync(null, input, ct);
        if (result.Outcome == EditOutcome.Saved)
        {
            var dto = await db.Communities.Where(c => c.Id == result.Community!.Id).Select(ToDto).SingleAsync(ct);
            return TypedResults.Created($"/api/communities/{dto.Id}", dto with { Warnings = result.Warnings });
        }
        return result.Outcome == EditOutcome.Invalid ? result.Validation.Problem() : Refused(result);
    }

    public static async Task<Results<Ok<CommunityDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        CommunityEditor editor, AppDbContext db, Guid id, CommunityInput input, CancellationToken ct)
    {
        var result = await editor.SaveAsync(id, input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok((await db.Communities.Where(c => c.Id == id).Select(ToDto).SingleAsync(ct)) with { Warnings = result.Warnings }),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Refused(result),
        };
    }

    private static ProblemHttpResult Refused(CommunitySaveResult result) =>
        result.Refusal is { } refusal ? Forbidden(refusal.Message) : Forbidden();

    internal static ProblemHttpResult Forbidden(string detail = "Your role does not allow this.") =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);

    /// <summary>Communities the acting staff member may see: all for the owner, otherwise those assigned.</summary>
    public static IQueryable<Community> Visible(this AppDbContext db, StaffProfile? me) =>
        me is null ? db.Communities.Where(_ => false)
        : me.SeesAllCommunities ? db.Communities
        : db.Communities.Where(c => c.Staff.Any(s => s.StaffUserId == me.Id));

    private static readonly System.Linq.Expressions.Expression<Func<Community, CommunityDto>> ToDto = c => new CommunityDto(
        c.Id, c.Name, c.Platform, c.Type, c.SubType, c.Tier, c.Capacity, c.Purpose, c.Intro, c.Rules, c.State,
        c.Memberships.Count(m => m.LeftAt == null),
        c.Staff.OrderBy(s => s.Role).Select(s => new CommunityStaffDto(s.StaffUserId, s.StaffUser!.DisplayName, s.Role)).ToList(),
        c.Tags.OrderBy(l => l.Tag!.Name).Select(l => new CommunityTagRefDto(l.TagId, l.Tag!.Name, l.Tag.Color)).ToList(),
        c.CreatedAt, c.UpdatedAt, null);
}
