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
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<StaffClaimsFactory>();

        // Lockout on failed sign-ins (the login passes lockoutOnFailure): explicit here, overridable in Security:Lockout
        // (MaxFailedAccessAttempts, DefaultLockoutTimeSpan as "hh:mm:ss", AllowedForNewUsers).
        services.AddOptions<IdentityOptions>().Configure<IConfiguration>((o, config) =>
        {
            o.Lockout.AllowedForNewUsers = true;
            o.Lockout.MaxFailedAccessAttempts = 5;
            o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            config.GetSection("Security:Lockout").Bind(o.Lockout);
        });
        // A changed security stamp (new role, deactivation) signs the console session out within this interval
        // (Security:SessionValidationInterval, at most a minute by default); the clock is the app's, so tests can move it.
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IConfiguration, TimeProvider>((o, config, time) =>
        {
            o.ValidationInterval = config.GetValue("Security:SessionValidationInterval", TimeSpan.FromMinutes(1));
            o.TimeProvider = time;
        });
        services.AddOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<TimeProvider>((o, time) => o.TimeProvider = time);
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => o.Rules.All(r => r.Rule.IsValid), $"{RateLimitOptions.Section}: every PermitLimit and WindowSeconds must be positive.")
            .ValidateOnStart();
        services.AddSingleton<AccessLimits>();

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

/// <summary>
/// Accepts <c>Authorization: Bearer shq_…</c>; the token acts as the staff member who made it.
/// Every call reads the token, its expiry and its maker's active state; the maker's current role is read by
/// <see cref="CurrentStaff"/> per request, so a demotion, a deactivation or a revocation applies to the next call.
/// </summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AppDbContext db, AccessLimits limits, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string FailureKey = "shequn:token-failure";
    private const string RetryAfterKey = "shequn:token-retry-after";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        // An address that has spent its failures is refused before the lookup: guessing tokens costs the guesser, not the database.
        var address = AccessLimits.Address(Context);
        if (limits.Spent(RateLimitKind.BearerFailuresPerAddress, address) is { } wait)
        {
            Context.Items[RetryAfterKey] = wait;
            return AuthenticateResult.Fail("Too many failed API token attempts from this address.");
        }

        var secret = header["Bearer ".Length..].Trim();
        if (!secret.StartsWith(ApiToken.Scheme, StringComparison.Ordinal))
            return Failed(address, "Not a Shequn API token.");

        var hash = ApiToken.HashOf(secret);
        var token = await db.ApiTokens.IgnoreQueryFilters().AsNoTracking()
            .Where(t => t.Hash == hash)
            .Select(t => new { t.Id, t.WorkspaceId, t.StaffUserId, t.StaffUser!.Email, t.StaffUser.IsActive, t.LastUsedAt, t.RevokedAt, t.ExpiresAt })
            .SingleOrDefaultAsync(Context.RequestAborted);
        var now = time.GetUtcNow().UtcDateTime;
        // The holder of a real secret may learn why it no longer works; a guess learns only that it is unknown.
        if (token is null)
            return Failed(address, "Unknown API token.");
        if (token.RevokedAt is not null)
            return Failed(address, "This API token has been revoked.");
        if (token.ExpiresAt is { } expires && expires <= now)
            return Failed(address, $"This API token expired at {expires:yyyy-MM-ddTHH:mm:ssZ}.");
        if (!token.IsActive)
            return Failed(address, "The staff account that made this API token is deactivated.");

        if (token.LastUsedAt is null || token.LastUsedAt < now.AddMinutes(-1))
        {
            await db.ApiTokens.IgnoreQueryFilters().Where(t => t.Id == token.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, token.StaffUserId.ToString()),
            new Claim(ClaimTypes.Name, token.Email ?? token.StaffUserId.ToString()),
            new Claim(ShequnClaims.Workspace, token.WorkspaceId.ToString()),
        ], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    private AuthenticateResult Failed(string address, string reason)
    {
        limits.Take(RateLimitKind.BearerFailuresPerAddress, address);
        Context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterKey] is TimeSpan wait)
        {
            AccessLimits.SetRetryAfter(Context, wait);
            await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                detail: "Too many failed API token attempts from this address; try again after the Retry-After delay.")
                .ExecuteAsync(Context);
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var reason = Context.Items[FailureKey] as string;
        await Results.Problem(statusCode: 401, title: "Unauthorized",
            detail: reason ?? "Send an API token as 'Authorization: Bearer shq_…'. Tokens are created in the console under API tokens.")
            .ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(statusCode: 403, title: "Forbidden").ExecuteAsync(Context);
    }
}
