using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;
using Shequn.Components;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Platform;

public static class ConsoleSetup
{
    public static WebApplicationBuilder AddShequnConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // Notices go bottom-right: every page keeps its main action (新建…) top-right, where they would cover it.
        builder.Services.AddMudServices(o => o.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
        builder.Services.Replace(ServiceDescriptor.Transient<MudBlazor.MudLocalizer, MudStrings>());
        // Chinese text is written as characters, not as &#x...; entities.
        builder.Services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<CircuitHandler, CurrentStaffCircuitHandler>();
        // Replaces the plain server provider: open pages re-check the security stamp (role change, deactivation).
        builder.Services.AddScoped<AuthenticationStateProvider, StaffSessionRevalidation>();
        builder.Services.AddSingleton<SetupState>();
        builder.Services.AddScoped<CommunityEditor>();
        builder.Services.AddScoped<StaffEditor>();
        builder.Services.AddScoped<Features.ApiTokens.ApiTokenEditor>();
        builder.Services.AddScoped<Features.Members.MemberEditor>();
        builder.Services.AddScoped<Features.Members.PersonalData>();
        builder.Services.AddScoped<Features.Tags.TagEditor>();
        return builder;
    }

    public static WebApplication UseShequnPipeline(this WebApplication app)
    {
        // Security headers ahead of routing: endpoints that short-circuit (/j/{code}) skip every middleware after it.
        // Forwarded headers stay behind routing, where they were: the short link reads X-Forwarded-For itself.
        SecuritySwitches.WarnIfOff(app.Services);
        app.UseShequnSecurityHeaders();
        app.UseRouting();
        // Each endpoint's body limit, before anything reads a body (BodyLimits).
        app.UseBodyLimits();
        app.UseForwardedHeaders();
        app.UseBlazorOriginCheck();
        app.UseExceptionHandler();
        // Empty error answers get a problem; a 400 for a query or route value that did not parse names it (BindingFailures).
        app.UseStatusCodePages(new StatusCodePagesOptions { HandleAsync = Api.BindingFailures.HandleAsync });
        app.UseRequestLocalization();
        app.UseMiddleware<SetupRedirectMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseCurrentStaff();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapShequnConsole(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization();
        AccountEndpoints.Map(app);
        app.MapMemberDownloads();
        return app;
    }
}

/// <summary>Interactive circuits have no HttpContext: hand the signed-in user to <see cref="CurrentStaff"/> here.</summary>
internal sealed class CurrentStaffCircuitHandler(AuthenticationStateProvider auth, CurrentStaff current) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        current.SetPrincipal((await auth.GetAuthenticationStateAsync()).User);
        auth.AuthenticationStateChanged += async task => current.SetPrincipal((await task).User);
    }
}

/// <summary>Remembers once a workspace exists, so the setup check costs one query per process.</summary>
public sealed class SetupState
{
    public bool WorkspaceExists { get; set; }
}

/// <summary>On an empty database every console page leads to /setup, which creates the workspace and its owner.</summary>
internal sealed class SetupRedirectMiddleware(RequestDelegate next, SetupState state)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        if (!state.WorkspaceExists)
        {
            // Resolved only until a workspace exists: building a DbContext on every request was a large share of the
            // webhook's per-request cost (docs/benchmarks.md, "Telegram webhook").
            var db = ctx.RequestServices.GetRequiredService<AppDbContext>();
            state.WorkspaceExists = await db.Workspaces.AnyAsync(ctx.RequestAborted);
            var path = ctx.Request.Path;
            if (!state.WorkspaceExists && HttpMethods.IsGet(ctx.Request.Method)
                && !path.StartsWithSegments("/setup") && !path.StartsWithSegments("/api") && !path.StartsWithSegments("/health")
                && !path.StartsWithSegments("/openapi") && !path.StartsWithSegments("/_framework") && !path.StartsWithSegments("/_content")
                && !path.StartsWithSegments("/_blazor") && !Path.HasExtension(path.Value))
            {
                ctx.Response.Redirect("/setup");
                return;
            }
        }
        await next(ctx);
    }
}

internal static class AccountEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/account/login", Login).AllowAnonymous();
        // Anyone may sign out (a session that has just lost its rights too), but only from the console's own form.
        app.MapPost("/account/logout", Logout).AllowAnonymous().WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute());
        app.MapPost("/setup", Setup).AllowAnonymous();
        app.MapGet("/culture", SetCulture).AllowAnonymous();
    }

    private static async Task<IResult> Login(
        HttpContext ctx, SignInManager<StaffUser> signIn, AccessLimits limits, Microsoft.Extensions.Localization.IStringLocalizer<Strings> l,
        AppDbContext db, SecurityLog security,
        [Microsoft.AspNetCore.Mvc.FromForm] string email, [Microsoft.AspNetCore.Mvc.FromForm] string password,
        [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl)
    {
        // Before the lookup and the password hash: a flood costs neither. Per address, then per account from anywhere.
        if ((limits.Take(RateLimitKind.SignInPerAddress, AccessLimits.Address(ctx))
             ?? limits.Take(RateLimitKind.SignInPerAccount, email.Trim().ToUpperInvariant())) is { } wait)
        {
            AccessLimits.SetRetryAfter(ctx, wait);
            return AccessLimits.PageRefusal(l, wait, "/login");
        }
        var address = AccessLimits.Address(ctx);
        var user = await signIn.UserManager.FindByEmailAsync(email);
        if (user is null)
        {
            security.SignInFailedUnknown(email, address);
            return Results.Redirect($"/login?error=1&returnUrl={Uri.EscapeDataString(returnUrl ?? "/")}");
        }
        if (!user.IsActive)
        {
            await RecordSignInAsync(db, security, SecurityEvents.SignInFailed, user, address, "inactive");
            return Results.Redirect($"/login?error=1&returnUrl={Uri.EscapeDataString(returnUrl ?? "/")}");
        }
        var wasLocked = await signIn.UserManager.IsLockedOutAsync(user);
        var result = await signIn.PasswordSignInAsync(user, password, isPersistent: true, lockoutOnFailure: true);
        // Locked (too many wrong passwords, Security:Lockout) is said as such: the right password is refused too until it ends.
        if (result.IsLockedOut)
        {
            await RecordSignInAsync(db, security, wasLocked ? SecurityEvents.SignInFailed : SecurityEvents.LockedOut, user, address, "locked");
            return Results.Redirect($"/login?error=locked&returnUrl={Uri.EscapeDataString(returnUrl ?? "/")}");
        }
        if (!result.Succeeded)
        {
            await RecordSignInAsync(db, security, SecurityEvents.SignInFailed, user, address, "password");
            return Results.Redirect($"/login?error=1&returnUrl={Uri.EscapeDataString(returnUrl ?? "/")}");
        }
        await RecordSignInAsync(db, security, SecurityEvents.SignedIn, user, address, null);
        LocalizationSetup.WriteCultureCookie(ctx.Response, user.Culture);
        return Results.LocalRedirect(SafeReturn(returnUrl));
    }

    private static async Task RecordSignInAsync(AppDbContext db, SecurityLog security, string kind, StaffUser user, string address, string? reason)
    {
        security.AddSignIn(db, kind, user, address, reason);
        await db.SaveChangesAsync();
    }

    private static async Task<IResult> Logout(HttpContext ctx, SignInManager<StaffUser> signIn, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery)
    {
        // No form is bound here, so nothing else acts on the token: a page elsewhere must not sign staff out. A form post
        // was checked by the antiforgery middleware (the endpoint asks for it); anything else carries the token in a header.
        var valid = ctx.Features.Get<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>() is { } checkedForm
            ? checkedForm.IsValid
            : await antiforgery.IsRequestValidAsync(ctx);
        if (!valid)
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "The sign-out form's antiforgery token is missing or invalid.");
        await signIn.SignOutAsync();
        return Results.Redirect("/login");
    }

    private static async Task<IResult> Setup(
        HttpContext ctx, AppDbContext db, UserManager<StaffUser> users, SignInManager<StaffUser> signIn, SetupState state,
        [Microsoft.AspNetCore.Mvc.FromForm] string? workspace, [Microsoft.AspNetCore.Mvc.FromForm] string? displayName,
        [Microsoft.AspNetCore.Mvc.FromForm] string? email, [Microsoft.AspNetCore.Mvc.FromForm] string? password)
    {
        if (await db.Workspaces.AnyAsync())
            return Results.Redirect("/login");
        if (string.IsNullOrWhiteSpace(workspace) || string.IsNullOrWhiteSpace(displayName) || string.IsNullOrWhiteSpace(email)
            || workspace.Length > Workspace.NameMaxLength || displayName.Length > StaffUser.DisplayNameMaxLength)
            return Results.Redirect("/setup?error=Fields");

        await using var tx = await db.Database.BeginTransactionAsync();
        var ws = new Workspace { Name = workspace.Trim() };
        db.Workspaces.Add(ws);
        await db.SaveChangesAsync();
        db.Current.ActAsSystem(ws.Id);
        var owner = new StaffUser
        {
            WorkspaceId = ws.Id, UserName = email.Trim(), Email = email.Trim(), DisplayName = displayName.Trim(),
            Role = StaffRole.Owner, EmailConfirmed = true,
        };
        var created = await users.CreateAsync(owner, password ?? "");
        if (!created.Succeeded)
        {
            await tx.RollbackAsync();
            var code = created.Errors.Any(e => e.Code.Contains("Password", StringComparison.Ordinal)) ? "Password" : "Email";
            return Results.Redirect($"/setup?error={code}");
        }
        await tx.CommitAsync();
        state.WorkspaceExists = true;
        await signIn.SignInAsync(owner, isPersistent: true);
        LocalizationSetup.WriteCultureCookie(ctx.Response, owner.Culture);
        return Results.Redirect("/");
    }

    private static async Task<IResult> SetCulture(
        HttpContext ctx, UserManager<StaffUser> users, string? c, string? returnUrl)
    {
        var culture = Cultures.Normalize(c);
        LocalizationSetup.WriteCultureCookie(ctx.Response, culture);
        if (ctx.User.Identity?.IsAuthenticated == true && await users.GetUserAsync(ctx.User) is { } user)
        {
            user.Culture = culture;
            await users.UpdateAsync(user);
        }
        return Results.LocalRedirect(SafeReturn(returnUrl));
    }

    private static string SafeReturn(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            ? returnUrl : "/";
}
