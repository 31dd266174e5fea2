using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Data;
using Shequn.Platform.Api;

namespace Shequn.Features.Communities;

/// <summary><c>/api/community-tags</c>: the workspace's labels for communities (see <see cref="CommunityTagEditor"/>).</summary>
public static class CommunityTagEndpoints
{
    public static RouteGroupBuilder MapCommunityTagEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/community-tags").WithTags("Communities");
        group.MapGet("/", List).WithName("ListCommunityTags");
        group.MapGet("/{id:guid}", Get).WithName("GetCommunityTag");
        group.MapPost("/", Create).WithName("CreateCommunityTag");
        group.MapPut("/{id:guid}", Update).WithName("UpdateCommunityTag")
            .WithDescription("Renames the tag (and sets its colour: '#rrggbb', blank clears it, left out keeps it).");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteCommunityTag")
            .WithDescription("Removes the tag from every community. Refused (409, the posts listed under 'posts') while a post not sent yet "
                + "targets it; posts already sent or cancelled lose it from their targets.");
        return group;
    }

    public static async Task<Ok<IReadOnlyList<CommunityTagDto>>> List(AppDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await new CommunityTagEditor(db).ListAsync(ct));

    public static async Task<Results<Ok<CommunityTagDto>, NotFound>> Get(AppDbContext db, Guid id, CancellationToken ct) =>
        await new CommunityTagEditor(db).GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<CommunityTagDto>, ValidationProblem, ProblemHttpResult>> Create(
        AppDbContext db, CommunityTagInput input, CancellationToken ct)
    {
        var editor = new CommunityTagEditor(db);
        var result = await editor.CreateAsync(input, ct);
        return result.Outcome switch
        {
            CommunityTagOutcome.Saved => TypedResults.Created($"/api/community-tags/{result.Tag!.Id}", await editor.GetAsync(result.Tag.Id, ct)),
            CommunityTagOutcome.Invalid => result.Validation.Problem(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<CommunityTagDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        AppDbContext db, Guid id, CommunityTagInput input, CancellationToken ct)
    {
        var editor = new CommunityTagEditor(db);
        var result = await editor.UpdateAsync(id, input, ct);
        return result.Outcome switch
        {
            CommunityTagOutcome.Saved => TypedResults.Ok((await editor.GetAsync(id, ct))!),
            CommunityTagOutcome.Invalid => result.Validation.Problem(),
            CommunityTagOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Delete(AppDbContext db, Guid id, CancellationToken ct)
    {
        var editor = new CommunityTagEditor(db);
        var result = await editor.DeleteAsync(id, ct);
        return result.Outcome switch
        {
            CommunityTagOutcome.Saved => TypedResults.NoContent(),
            CommunityTagOutcome.NotFound => TypedResults.NotFound(),
            CommunityTagOutcome.InUse => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Tag in use",
                detail: $"Posts not sent yet target '{result.Tag!.Name}': {string.Join(", ", result.UsedBy!.Select(p => $"'{p.Title}'"))}. "
                    + "Change their targets (or cancel them) first.",
                extensions: new Dictionary<string, object?> { ["posts"] = result.UsedBy }),
            _ => CommunityEndpoints.Forbidden(),
        };
    }
}
