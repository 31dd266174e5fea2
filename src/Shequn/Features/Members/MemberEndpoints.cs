using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Members;

public sealed record TagRef(Guid Id, string Name);

public sealed record MemberListItem(
    Guid Id,
    string DisplayName,
    string? City,
    string? Industry,
    MemberLayer Layer,
    string? Channel,
    IReadOnlyList<TagRef> Tags,
    int CommunityCount,
    DateTime CreatedAt);

public sealed record MembershipDto(
    Guid Id,
    Guid CommunityId,
    string CommunityName,
    DateTime JoinedAt,
    DateTime? LeftAt,
    string? Nickname,
    string? Channel,
    Guid? InviterMemberId,
    string? InviterName);

public sealed record MemberDto(
    Guid Id,
    string DisplayName,
    string? City,
    string? Industry,
    IReadOnlyList<MemberNeeds> Needs,
    string? Channel,
    string? Organisations,
    MemberLayer Layer,
    IReadOnlyList<TagRef> Tags,
    IReadOnlyList<MembershipDto> Memberships,
    DateTime CreatedAt);

/// <summary>
/// Filters of the member directory. <c>communityId</c> matches current members (not those who left);
/// <c>layer</c> takes the JSON spelling (<c>vip</c>) or the enum name, in any case.
/// </summary>
public sealed record MemberQuery(
    string? Q = null,
    Guid? TagId = null,
    Guid? CommunityId = null,
    string? Layer = null,
    string? City = null,
    string? Industry = null,
    int? Page = null,
    int? PageSize = null);

public static class MemberEndpoints
{
    public static RouteGroupBuilder MapMemberEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/members").WithTags("Members");
        group.MapGet("/", List).WithName("ListMembers");
        group.MapGet("/{id:guid}", Get).WithName("GetMember");
        group.MapPost("/", Create).WithName("CreateMember");
        group.MapPut("/{id:guid}", Update).WithName("UpdateMember");
        return group;
    }

    public static async Task<Results<Ok<Page<MemberListItem>>, ValidationProblem>> List(
        AppDbContext db, [AsParameters] MemberQuery query, CancellationToken ct)
    {
        var validation = new Validation();
        var layer = validation.ParseEnum<MemberLayer>("layer", query.Layer);
        if (!validation.IsValid)
            return validation.Problem();
        var me = await db.Current.GetProfileAsync(db, ct);
        var members = db.VisibleMembers(me);
        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            var q = query.Q.Trim().ToLower();
#pragma warning disable CA1862 // The StringComparison overloads do not translate to SQL; ToLower() does on both providers.
            members = members.Where(m => m.DisplayName.ToLower().Contains(q)
                || m.Memberships.Any(ms => ms.Nickname != null && ms.Nickname.ToLower().Contains(q)));
#pragma warning restore CA1862
        }
        if (query.TagId is { } tagId)
            members = members.Where(m => m.Tags.Any(t => t.TagId == tagId));
        if (query.CommunityId is { } communityId)
        {
            // Filtering by a community the actor may not see would reveal who is in it.
            members = me is not null && me.Sees(communityId)
                ? members.Where(m => m.Memberships.Any(ms => ms.CommunityId == communityId && ms.LeftAt == null))
                : members.Where(_ => false);
        }
        if (layer is not null)
            members = members.Where(m => m.Layer == layer);
        if (!string.IsNullOrWhiteSpace(query.City))
        {
            var city = query.City.Trim();
            members = members.Where(m => m.City == city);
        }
        if (!string.IsNullOrWhiteSpace(query.Industry))
        {
            var industry = query.Industry.Trim();
            members = members.Where(m => m.Industry == industry);
        }
        var (all, assigned) = Scope(me);
        var page = await members
            .OrderBy(m => m.DisplayName).ThenBy(m => m.Id)
            .Select(m => new MemberListItem(
                m.Id, m.DisplayName, m.City, m.Industry, m.Layer, m.Channel,
                m.Tags.OrderBy(t => t.Tag!.Name).Select(t => new TagRef(t.TagId, t.Tag!.Name)).ToList(),
                m.Memberships.Count(ms => ms.LeftAt == null && (all || assigned.Contains(ms.CommunityId))),
                m.CreatedAt))
            .ToPageAsync(query.Page, query.PageSize, ct);
        return TypedResults.Ok(page);
    }

    public static async Task<Results<Ok<MemberDto>, NotFound>> Get(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var dto = await ReadAsync(db, me, id, ct);
        return dto is null ? TypedResults.NotFound() : TypedResults.Ok(dto);
    }

    public static async Task<Results<Created<MemberDto>, ValidationProblem, ProblemHttpResult>> Create(
        MemberEditor editor, AppDbContext db, NewMemberInput input, CancellationToken ct)
    {
        var result = await editor.CreateAsync(input, ct);
        if (result.Outcome == EditOutcome.Saved)
        {
            var dto = await ReadAsync(db, await db.Current.GetProfileAsync(db, ct), result.Member!.Id, ct);
            return TypedResults.Created($"/api/members/{dto!.Id}", dto);
        }
        return result.Outcome == EditOutcome.Invalid ? result.Validation.Problem() : CommunityEndpoints.Forbidden();
    }

    public static async Task<Results<Ok<MemberDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        MemberEditor editor, AppDbContext db, Guid id, MemberInput input, CancellationToken ct)
    {
        var result = await editor.UpdateAsync(id, input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok((await ReadAsync(db, await db.Current.GetProfileAsync(db, ct), id, ct))!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    /// <summary>
    /// Members the acting staff member may see: all for the owner, otherwise those with a membership
    /// (current or past) in a community assigned to them.
    /// </summary>
    public static IQueryable<Member> VisibleMembers(this AppDbContext db, StaffProfile? me)
    {
        if (me is null)
            return db.Members.Where(_ => false);
        if (me.SeesAllCommunities)
            return db.Members;
        var assigned = me.AssignedCommunityIds.ToArray();
        return db.Members.Where(m => m.Memberships.Any(ms => assigned.Contains(ms.CommunityId)));
    }

    /// <summary>The member as the actor may see them: memberships only in communities visible to the actor.</summary>
    internal static async Task<MemberDto?> ReadAsync(AppDbContext db, StaffProfile? me, Guid id, CancellationToken ct)
    {
        var (all, assigned) = Scope(me);
        var row = await db.VisibleMembers(me).Where(m => m.Id == id).Select(m => new
        {
            m.Id,
            m.DisplayName,
            m.City,
            m.Industry,
            m.Needs,
            m.Channel,
            m.Organisations,
            m.Layer,
            m.CreatedAt,
            Tags = m.Tags.OrderBy(t => t.Tag!.Name).Select(t => new TagRef(t.TagId, t.Tag!.Name)).ToList(),
            Memberships = m.Memberships
                .Where(ms => all || assigned.Contains(ms.CommunityId))
                .OrderByDescending(ms => ms.JoinedAt)
                .Select(ms => new MembershipDto(
                    ms.Id, ms.CommunityId, ms.Community!.Name, ms.JoinedAt, ms.LeftAt, ms.Nickname, ms.Channel,
                    ms.InviterMemberId, ms.Inviter == null ? null : ms.Inviter.DisplayName))
                .ToList(),
        }).AsSplitQuery().SingleOrDefaultAsync(ct);
        return row is null ? null : new MemberDto(
            row.Id, row.DisplayName, row.City, row.Industry, SplitNeeds(row.Needs), row.Channel, row.Organisations, row.Layer,
            row.Tags, row.Memberships, row.CreatedAt);
    }

    public static IReadOnlyList<MemberNeeds> SplitNeeds(MemberNeeds needs) =>
        Enum.GetValues<MemberNeeds>().Where(n => n != MemberNeeds.None && needs.HasFlag(n)).ToList();

    private static (bool All, Guid[] Assigned) Scope(StaffProfile? me) =>
        (me?.SeesAllCommunities == true, me?.AssignedCommunityIds.ToArray() ?? []);
}
