using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Tags;

/// <summary>A tag and how many of the members the actor can see carry it.</summary>
/// <summary>
/// A tag and how many of the members the actor can see carry it (suggested auto-tags included, rejected ones not), and
/// its auto-tags' review: <see cref="TagAccuracy"/>.
/// </summary>
public sealed record TagDto(Guid Id, string Name, int MemberCount, DateTime CreatedAt, TagAccuracy? AutoTags = null);

public sealed record TagInput(string? Name);

public sealed record TagMergeInput(Guid TargetTagId);

/// <summary>Either the members by id, or <c>filter</c>: every member the member list's filter matches, on all its pages.</summary>
public sealed record TagMembersInput(IReadOnlyList<Guid>? MemberIds, MemberFilter? Filter = null);

public sealed record TagMembersResult(Guid TagId, int Changed);

public static class TagEndpoints
{
    public static RouteGroupBuilder MapTagEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tags").WithTags("Tags");
        group.MapGet("/", List).WithName("ListTags");
        group.MapGet("/{id:guid}", Get).WithName("GetTag");
        group.MapPost("/", Create).WithName("CreateTag");
        group.MapPut("/{id:guid}", Rename).WithName("RenameTag");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteTag");
        group.MapPost("/{id:guid}/merge", Merge).WithName("MergeTag");
        group.MapPost("/{id:guid}/members", Assign).WithName("AssignTag")
            .WithDescription("Body: {\"memberIds\": [...]} (at most 1,000) or {\"filter\": {q, tagId, communityId, layer, city, industry}} for every "
                + "member the member list's filter matches. One audit entry records the count and the ids changed.");
        group.MapDelete("/{id:guid}/members", Unassign).WithName("UnassignTag")
            .WithDescription("Same body as assigning: memberIds or filter.");
        return group;
    }

    public static async Task<Ok<Page<TagDto>>> List(AppDbContext db, string? q, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var tags = db.Tags.AsQueryable();
        if (!string.IsNullOrWhiteSpace(q))
        {
            var term = q.Trim().ToLower();
#pragma warning disable CA1862 // The StringComparison overloads do not translate to SQL; ToLower() does on both providers.
            tags = tags.Where(t => t.Name.ToLower().Contains(term));
#pragma warning restore CA1862
        }
        var result = await Project(tags.OrderBy(t => t.Name), me).ToPageAsync(page, pageSize, ct);
        var accuracy = await TagReview.AccuracyAsync(db, me, [.. result.Items.Select(t => t.Id)], ct);
        return TypedResults.Ok(result with { Items = [.. result.Items.Select(t => t with { AutoTags = accuracy.GetValueOrDefault(t.Id, TagAccuracy.None) })] });
    }

    public static async Task<Results<Ok<TagDto>, NotFound>> Get(AppDbContext db, Guid id, CancellationToken ct)
    {
        var dto = await ReadAsync(db, id, ct);
        return dto is null ? TypedResults.NotFound() : TypedResults.Ok(dto);
    }

    public static async Task<Results<Created<TagDto>, ValidationProblem, ProblemHttpResult>> Create(
        TagEditor editor, AppDbContext db, TagInput input, CancellationToken ct)
    {
        var result = await editor.CreateAsync(input.Name, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Created($"/api/tags/{result.Tag!.Id}", await ReadAsync(db, result.Tag.Id, ct)),
            EditOutcome.Invalid => result.Validation.Problem(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<TagDto>, ValidationProblem, NotFound, ProblemHttpResult>> Rename(
        TagEditor editor, AppDbContext db, Guid id, TagInput input, CancellationToken ct)
    {
        var result = await editor.RenameAsync(id, input.Name, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok((await ReadAsync(db, id, ct))!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Delete(TagEditor editor, Guid id, CancellationToken ct)
    {
        var result = await editor.DeleteAsync(id, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    /// <summary>Members of this tag get the target tag; this tag is then deleted.</summary>
    public static async Task<Results<Ok<TagDto>, ValidationProblem, NotFound, ProblemHttpResult>> Merge(
        TagEditor editor, AppDbContext db, Guid id, TagMergeInput input, CancellationToken ct)
    {
        var result = await editor.MergeAsync(id, input.TargetTagId, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok((await ReadAsync(db, input.TargetTagId, ct))!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static Task<Results<Ok<TagMembersResult>, ValidationProblem, NotFound, ProblemHttpResult>> Assign(
        TagEditor editor, Guid id, TagMembersInput input, CancellationToken ct) =>
        MembersResultAsync(id, input, () => input.Filter is { } filter ? editor.AssignMatchingAsync(id, filter, ct) : editor.AssignAsync(id, input.MemberIds, ct));

    public static Task<Results<Ok<TagMembersResult>, ValidationProblem, NotFound, ProblemHttpResult>> Unassign(
        TagEditor editor, Guid id, [FromBody] TagMembersInput input, CancellationToken ct) =>
        MembersResultAsync(id, input, () => input.Filter is { } filter ? editor.UnassignMatchingAsync(id, filter, ct) : editor.UnassignAsync(id, input.MemberIds, ct));

    private static async Task<Results<Ok<TagMembersResult>, ValidationProblem, NotFound, ProblemHttpResult>> MembersResultAsync(
        Guid id, TagMembersInput input, Func<Task<TagSaveResult>> change)
    {
        if (input.Filter is not null && input.MemberIds is not null)
            return new Validation().Add("filter", "FilterOrMemberIds", "Send either 'memberIds' or 'filter', not both.").Problem();
        var result = await change();
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(new TagMembersResult(id, result.Changed)),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    private static async Task<TagDto?> ReadAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var dto = await Project(db.Tags.Where(t => t.Id == id), me).SingleOrDefaultAsync(ct);
        if (dto is null)
            return null;
        var accuracy = await TagReview.AccuracyAsync(db, me, [id], ct);
        return dto with { AutoTags = accuracy.GetValueOrDefault(id, TagAccuracy.None) };
    }

    /// <summary>Counts only members the actor can see, so that counts do not reveal other communities.</summary>
    private static IQueryable<TagDto> Project(IQueryable<Tag> tags, StaffProfile? me)
    {
        var all = me?.SeesAllCommunities == true;
        var assigned = me?.AssignedCommunityIds.ToArray() ?? [];
        return tags.Select(t => new TagDto(
            t.Id, t.Name,
            t.Members.Count(mt => all || mt.Member!.Memberships.Any(ms => assigned.Contains(ms.CommunityId))),
            t.CreatedAt));
    }
}
