using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Staff;

namespace Shequn.Platform.Auth;

public static class AuthSetup
{
    public const string ApiTokenScheme = "ApiToken";
    public const string ApiPolicy = "Api";
    private const string ChooseScheme = "CookieOrToken";

    public static WebApplicationBuilder AddShequnAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = ChooseScheme;
                o.DefaultChallengeScheme = ChooseScheme;
            })
            .AddPolicyScheme(ChooseScheme, ChooseScheme, o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                || ctx.Request.Path.StartsWithSegments("/api")
                    ? ApiTokenScheme
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenScheme, null)
            .AddIdentityCookies(cookies => cookies.ApplicationCookie?.Configure(o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/account/logout";
                o.AccessDeniedPath = "/login";
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromDays(7);
            }));

        // Names, Secure, HttpOnly and SameSite of the sign-in and antiforgery cookies.
        services.AddShequnHostCookies();

        services.AddIdentityCore<StaffUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Lockout.MaxFailedAccessAttempts = 10;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<StaffClaimsFactory>();

        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicy, p => p.AddAuthenticationSchemes(ApiTokenScheme).RequireAuthenticatedUser());
        services.AddCascadingAuthenticationState();
        return builder;
    }

    /// <summary>Puts the acting staff member into <see cref="CurrentStaff"/> for the rest of the request.</summary>
    public static IApplicationBuilder UseCurrentStaff(this IApplicationBuilder app) =>
        app.Use(async (ctx, next) =>
        {
            ctx.RequestServices.GetRequiredService<CurrentStaff>().SetPrincipal(ctx.User);
            await next();
        });
}

internal sealed class StaffClaimsFactory(UserManager<StaffUser> users, RoleManager<IdentityRole<Guid>> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<StaffUser, IdentityRole<Guid>>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(StaffUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(ShequnClaims.Workspace, user.WorkspaceId.ToString()));
        return identity;
    }
}

/// <summary>Accepts <c>Authorization: Bearer shq_…</c>; the token acts as the staff member who made it.</summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AppDbContext db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (!secret.StartsWith(ApiToken.Scheme, StringComparison.Ordinal))
            return AuthenticateResult.Fail("Not a Shequn API token.");

        var hash = ApiToken.HashOf(secret);
        var token = await db.ApiTokens.IgnoreQueryFilters().AsNoTracking()
            .Where(t => t.Hash == hash && t.RevokedAt == null && t.StaffUser!.IsActive)
            .Select(t => new { t.Id, t.WorkspaceId, t.StaffUserId, t.StaffUser!.Email, t.LastUsedAt })
            .SingleOrDefaultAsync(Context.RequestAborted);
        if (token is null)
            return AuthenticateResult.Fail("Unknown or revoked API token.");

        if (token.LastUsedAt is null || token.LastUsedAt < DateTime.UtcNow.AddMinutes(-1))
        {
            await db.ApiTokens.IgnoreQueryFilters().Where(t => t.Id == token.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, DateTime.UtcNow), Context.RequestAborted);
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, token.StaffUserId.ToString()),
            new Claim(ClaimTypes.Name, token.Email ?? token.StaffUserId.ToString()),
            new Claim(ShequnClaims.Workspace, token.WorkspaceId.ToString()),
        ], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: 401, title: "Unauthorized",
            detail: "Send an API token as 'Authorization: Bearer shq_…'. Tokens are created in the console under API tokens.")
            .ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(statusCode: 403, title: "Forbidden").ExecuteAsync(Context);
    }
}
