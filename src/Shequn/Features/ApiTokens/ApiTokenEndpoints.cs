using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.ApiTokens;

/// <param name="Secret">Only in the response that created the token; it cannot be read again.</param>
public sealed record ApiTokenDto(
    Guid Id,
    string Name,
    string Prefix,
    Guid OwnerId,
    string OwnerName,
    DateTime CreatedAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt,
    DateTime? ExpiresAt,
    string? Secret = null);

public static class ApiTokenEndpoints
{
    private const string NotAllowed = "Your role does not allow managing API tokens.";

    public static RouteGroupBuilder MapApiTokenEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tokens").WithTags("API tokens");
        group.MapGet("/", List).WithName("ListApiTokens")
            .WithDescription("The owner sees every token of the workspace; everyone else only their own.");
        group.MapPost("/", Create).WithName("CreateApiToken")
            .WithDescription("Issues a token acting as you (with your role at each call). The 'secret' is returned once and cannot be read again; " +
                "'expiresAt' (optional, in the future) ends it, after which requests with it get 401.");
        group.MapDelete("/{id:guid}", Revoke).WithName("RevokeApiToken")
            .WithDescription("Revokes the token at once; requests with it get 401.");
        return group;
    }

    public static async Task<Results<Ok<Page<ApiTokenDto>>, ProblemHttpResult>> List(
        AppDbContext db, bool? revoked, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTokens)
            return CommunityEndpoints.Forbidden(NotAllowed);
        var query = ApiTokenEditor.Visible(db, me);
        if (revoked is not null)
            query = query.Where(t => (t.RevokedAt != null) == revoked);
        return TypedResults.Ok(await query.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).Select(ToDto).ToPageAsync(page, pageSize, ct));
    }

    public static async Task<Results<Created<ApiTokenDto>, ValidationProblem, ProblemHttpResult>> Create(
        ApiTokenEditor editor, AppDbContext db, ApiTokenInput input, CancellationToken ct)
    {
        var result = await editor.IssueAsync(input, ct);
        if (result.Outcome == EditOutcome.Saved)
        {
            var dto = await db.ApiTokens.Where(t => t.Id == result.Token!.Id).Select(ToDto).SingleAsync(ct);
            return TypedResults.Created($"/api/tokens/{dto.Id}", dto with { Secret = result.Secret });
        }
        return result.Outcome == EditOutcome.Invalid ? result.Validation.Problem() : CommunityEndpoints.Forbidden(NotAllowed);
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Revoke(ApiTokenEditor editor, Guid id, CancellationToken ct) =>
        await editor.RevokeAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(NotAllowed),
        };

    private static readonly System.Linq.Expressions.Expression<Func<ApiToken, ApiTokenDto>> ToDto = t => new ApiTokenDto(
        t.Id, t.Name, t.Prefix, t.StaffUserId, t.StaffUser!.DisplayName, t.CreatedAt, t.LastUsedAt, t.RevokedAt, t.ExpiresAt, null);
}
