using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Staff;

namespace Shequn.Platform.Auth;

public static class ShequnClaims
{
    public const string Workspace = "shequn:workspace";
}

/// <summary>
/// Who is acting in this scope (an HTTP request or a console circuit). Everything workspace-scoped
/// reads the workspace from here; role and assignments are read from the database once per scope so
/// that a changed role or a deactivated account takes effect at once.
/// </summary>
public sealed class CurrentStaff
{
    private ClaimsPrincipal? _principal;
    private StaffProfile? _profile;

    public Guid? UserId { get; private set; }
    public Guid? WorkspaceId { get; private set; }

    public bool IsAuthenticated => UserId is not null && WorkspaceId is not null;

    public void SetPrincipal(ClaimsPrincipal? principal)
    {
        _principal = principal;
        _profile = null;
        UserId = Guid.TryParse(principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
        WorkspaceId = Guid.TryParse(principal?.FindFirstValue(ShequnClaims.Workspace), out var ws) ? ws : null;
    }

    /// <summary>For background work and seeding that acts inside one workspace without a user.</summary>
    public void ActAsSystem(Guid workspaceId)
    {
        _principal = null;
        UserId = null;
        WorkspaceId = workspaceId;
        _profile = new StaffProfile(Guid.Empty, "system", StaffRole.Owner, []);
    }

    /// <summary>
    /// Acts as the system in <paramref name="workspaceId"/> until disposed, then as before: for work that goes through
    /// several workspaces in one context (the processor's reactions), so that what it leaves behind is what it found.
    /// </summary>
    public IDisposable ActAsSystemWhile(Guid workspaceId)
    {
        var before = (_principal, _profile, UserId, WorkspaceId);
        ActAsSystem(workspaceId);
        return new Restore(() => (_principal, _profile, UserId, WorkspaceId) = before);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    public ClaimsPrincipal? Principal => _principal;

    public async Task<StaffProfile?> GetProfileAsync(AppDbContext db, CancellationToken ct = default)
    {
        if (_profile is not null || UserId is null)
            return _profile;
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == UserId && u.IsActive)
            .Select(u => new { u.Id, u.DisplayName, u.Role })
            .SingleOrDefaultAsync(ct);
        if (user is null)
            return null;
        var assigned = await db.CommunityStaff.AsNoTracking()
            .Where(s => s.StaffUserId == user.Id)
            .Select(s => s.CommunityId)
            .ToListAsync(ct);
        _profile = new StaffProfile(user.Id, user.DisplayName, user.Role, [.. assigned]);
        return _profile;
    }
}

public sealed record StaffProfile(Guid Id, string DisplayName, StaffRole Role, HashSet<Guid> AssignedCommunityIds)
{
    public bool SeesAllCommunities => Role == StaffRole.Owner;
    public bool CanManageStaff => Role != StaffRole.Koc;
    public bool CanManageTokens => Role != StaffRole.Koc;
    public bool CanManageTags => Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;
    public bool CanCreateCommunities => Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;
    public bool CanEditCommunities => Role != StaffRole.Koc;
    public bool CanEditMembers => Role != StaffRole.Koc;
    public bool CanManageModeration => Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;
    public bool CanLabelMessages => Role != StaffRole.Koc;
    public bool CanReadAudit => Role is StaffRole.Owner or StaffRole.SubOwner;

    public bool Sees(Guid communityId) => SeesAllCommunities || AssignedCommunityIds.Contains(communityId);

    /// <summary>Staff manage only roles below their own; owners also manage other owners.</summary>
    public bool CanManageRole(StaffRole role) =>
        CanManageStaff && (Role == StaffRole.Owner || Role < role);
}
