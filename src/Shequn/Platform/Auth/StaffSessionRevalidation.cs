using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Shequn.Features.Staff;

namespace Shequn.Platform.Auth;

/// <summary>
/// An open console page (an interactive circuit) keeps the user it started with; the cookie's stamp check never runs on
/// it. This checks the security stamp on the same interval (Security:SessionValidationInterval), so a demoted or
/// deactivated staff member's open page is signed out within it, not at its next reload.
/// </summary>
internal sealed class StaffSessionRevalidation(
    ILoggerFactory logger, IServiceScopeFactory scopes, IOptions<SecurityStampValidatorOptions> stamps, IOptions<IdentityOptions> identity)
    : RevalidatingServerAuthenticationStateProvider(logger)
{
    protected override TimeSpan RevalidationInterval => stamps.Value.ValidationInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        IsStillValidAsync(authenticationState.User);

    /// <summary>Whether the signed-in user still exists, is active and has the security stamp the session was issued with.</summary>
    internal async Task<bool> IsStillValidAsync(ClaimsPrincipal principal)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = await users.GetUserAsync(principal);
        if (user is null || !user.IsActive)
            return false;
        var stamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return stamp is not null && stamp == await users.GetSecurityStampAsync(user);
    }
}
