using System.Linq.Expressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Advisor;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Staff;

public sealed record StaffCommunityDto(Guid CommunityId, string CommunityName, CommunityRole Role);

/// <param name="Communities">Assignments in communities the caller can see.</param>
/// <param name="SubOwnerCommunityCount">All communities this person is sub-owner of (seed 004: 2–4).</param>
/// <param name="InitialPassword">Only in the response that created the account, and only when the password was generated.</param>
public sealed record StaffDto(
    Guid Id,
    string Email,
    string DisplayName,
    StaffRole Role,
    bool IsActive,
    DateTime CreatedAt,
    IReadOnlyList<StaffCommunityDto> Communities,
    int SubOwnerCommunityCount,
    IReadOnlyList<string>? Warnings = null,
    string? InitialPassword = null,
    Guid? MemberId = null,
    string? MemberName = null);

public static class StaffEndpoints
{
    public static RouteGroupBuilder MapStaffEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/staff").WithTags("Staff");
        group.MapGet("/", List).WithName("ListStaff");
        group.MapGet("/{id:guid}", Get).WithName("GetStaff");
        group.MapPost("/", Create).WithName("CreateStaff")
            .WithDescription("Creates a staff account. Without 'password' one is generated and returned once as 'initialPassword'.");
        group.MapPut("/{id:guid}", Update).WithName("UpdateStaff")
            .WithDescription("Changes display name, role, active flag, community assignments and a KOC's own member (memberId; the empty GUID "
                + "unlinks); omitted fields stay as they are.");
        group.MapDelete("/{id:guid}", Deactivate).WithName("DeactivateStaff")
            .WithDescription("Deactivates the account: it can no longer sign in and its API tokens stop working. The account and its history remain.");
        return group;
    }

    public static async Task<Results<Ok<Page<StaffDto>>, ProblemHttpResult>> List(
        AppDbContext db, string? q, StaffRole? role, bool? active, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageStaff)
            return CommunityEndpoints.Forbidden("Your role does not allow managing staff.");
        var query = InWorkspace(db);
        if (!string.IsNullOrWhiteSpace(q))
            query = query.Where(u => u.DisplayName.Contains(q) || (u.Email != null && u.Email.Contains(q)));
        if (role is not null)
            query = query.Where(u => u.Role == role);
        if (active is not null)
            query = query.Where(u => u.IsActive == active);
        var result = await query.OrderBy(u => u.Role).ThenBy(u => u.DisplayName).Select(ToDto(db, me)).ToPageAsync(page, pageSize, ct);
        var items = new List<StaffDto>(result.Items.Count);
        var limit = await SubOwnerLimitAsync(db, ct);
        foreach (var dto in result.Items)
            items.Add(await WithWarningsAsync(db, dto, limit, ct));
        return TypedResults.Ok(result with { Items = items });
    }

    public static async Task<Results<Ok<StaffDto>, NotFound, ProblemHttpResult>> Get(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageStaff)
            return CommunityEndpoints.Forbidden("Your role does not allow managing staff.");
        var dto = await InWorkspace(db).Where(u => u.Id == id).Select(ToDto(db, me)).SingleOrDefaultAsync(ct);
        return dto is null ? TypedResults.NotFound() : TypedResults.Ok(await WithWarningsAsync(db, dto, await SubOwnerLimitAsync(db, ct), ct));
    }

    public static async Task<Results<Created<StaffDto>, ValidationProblem, ProblemHttpResult>> Create(
        StaffEditor editor, AppDbContext db, StaffCreateInput input, CancellationToken ct)
    {
        var result = await editor.CreateAsync(input, ct);
        if (result.Outcome == EditOutcome.Saved)
        {
            var dto = await ReadAsync(db, result.Staff!.Id, ct);
            return TypedResults.Created($"/api/staff/{dto.Id}", dto with { InitialPassword = result.GeneratedPassword });
        }
        return result.Outcome == EditOutcome.Invalid ? result.Validation.Problem() : CommunityEndpoints.Forbidden(result.Detail!);
    }

    public static async Task<Results<Ok<StaffDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        StaffEditor editor, AppDbContext db, Guid id, StaffUpdateInput input, CancellationToken ct)
    {
        var result = await editor.UpdateAsync(id, input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(await ReadAsync(db, id, ct)),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(result.Detail!),
        };
    }

    public static async Task<Results<NoContent, ValidationProblem, NotFound, ProblemHttpResult>> Deactivate(
        StaffEditor editor, Guid id, CancellationToken ct)
    {
        var result = await editor.DeactivateAsync(id, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(result.Detail!),
        };
    }

    /// <summary>StaffUser has no query filter (Identity finds users before a workspace is known), so filter here.</summary>
    public static IQueryable<StaffUser> InWorkspace(AppDbContext db) =>
        db.Users.Where(u => u.WorkspaceId == db.CurrentWorkspaceId);

    private static async Task<StaffDto> ReadAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var dto = await InWorkspace(db).AsNoTracking().Where(u => u.Id == id).Select(ToDto(db, me!)).SingleAsync(ct);
        return await WithWarningsAsync(db, dto, await SubOwnerLimitAsync(db, ct), ct);
    }

    /// <summary>The workspace's most groups per sub-owner, read once per request (not once per listed staff member).</summary>
    private static async Task<int> SubOwnerLimitAsync(AppDbContext db, CancellationToken ct) =>
        (await AdvisorThresholds.ReadAsync(db, ct)).MaxSubOwnerCommunities;

    private static async Task<StaffDto> WithWarningsAsync(AppDbContext db, StaffDto dto, int limit, CancellationToken ct) =>
        dto with
        {
            Warnings = dto.SubOwnerCommunityCount > limit ? await CommunityEditor.SubOwnerWarningsAsync(db, [dto.Id], limit, ct) : [],
        };

    /// <summary>Non-owners see only assignments in communities they can see themselves.</summary>
    private static Expression<Func<StaffUser, StaffDto>> ToDto(AppDbContext db, StaffProfile me)
    {
        var all = me.SeesAllCommunities;
        var visible = me.AssignedCommunityIds.ToList();
        return u => new StaffDto(
            u.Id, u.Email ?? "", u.DisplayName, u.Role, u.IsActive, u.CreatedAt,
            u.Assignments.Where(a => all || visible.Contains(a.CommunityId))
                .OrderBy(a => a.Community!.Name)
                .Select(a => new StaffCommunityDto(a.CommunityId, a.Community!.Name, a.Role)).ToList(),
            u.Assignments.Count(a => a.Role == CommunityRole.SubOwner),
            null, null, u.MemberId,
            u.MemberId == null ? null : db.Members.Where(m => m.Id == u.MemberId).Select(m => m.DisplayName).FirstOrDefault());
    }
}
