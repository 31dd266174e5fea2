using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.ApiTokens;

/// <param name="ExpiresAt">Optional: the moment the token stops working (in the future); without it the token lasts until revoked.</param>
public sealed record ApiTokenInput(string? Name, DateTimeOffset? ExpiresAt = null);

/// <param name="Secret">The full token: present once, in the result that issued it; only its hash is stored.</param>
public sealed record ApiTokenIssueResult(EditOutcome Outcome, ApiToken? Token, Validation Validation, string? Secret = null);

/// <summary>Issues and revokes API tokens for the console and the API with the same rules.</summary>
public sealed class ApiTokenEditor(AppDbContext db, TimeProvider time)
{
    public async Task<ApiTokenIssueResult> IssueAsync(ApiTokenInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTokens)
            return new(EditOutcome.Forbidden, null, validation);

        var name = input.Name?.Trim();
        validation.Required("name", name, ApiToken.NameMaxLength);
        var expires = input.ExpiresAt?.UtcDateTime;
        if (expires is { } e && e <= time.GetUtcNow().UtcDateTime)
            validation.Add("expiresAt", "ApiTokens.ExpiryInPast", "'expiresAt' must be in the future.");
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        var secret = ApiToken.NewSecret();
        var token = db.ApiTokens.Add(ApiToken.Issue(db.CurrentWorkspaceId, me.Id, name!, secret, expires)).Entity;
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, token, validation, secret);
    }

    /// <summary>Revoking takes effect on the next request: the bearer handler reads RevokedAt every time.</summary>
    public async Task<EditOutcome> RevokeAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTokens)
            return EditOutcome.Forbidden;
        var token = await Visible(db, me).SingleOrDefaultAsync(t => t.Id == id, ct);
        if (token is null)
            return EditOutcome.NotFound;
        if (token.RevokedAt is null)
        {
            token.RevokedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return EditOutcome.Saved;
    }

    /// <summary>The owner sees every token of the workspace; everyone else only their own.</summary>
    public static IQueryable<ApiToken> Visible(AppDbContext db, StaffProfile me) =>
        me.Role == Staff.StaffRole.Owner ? db.ApiTokens : db.ApiTokens.Where(t => t.StaffUserId == me.Id);
}
