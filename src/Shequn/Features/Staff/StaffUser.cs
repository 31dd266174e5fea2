using Microsoft.AspNetCore.Identity;
using Shequn.Data;

namespace Shequn.Features.Staff;

/// <summary>Workspace roles, strongest first; a staff member manages only roles below their own.</summary>
public enum StaffRole
{
    Owner = 0,
    SubOwner = 1,
    Admin = 2,
    Operator = 3,
    Koc = 4,
}

public sealed class StaffUser : IdentityUser<Guid>, IWorkspaceOwned, IAudited
{
    public const int DisplayNameMaxLength = 60;
    public const int SubOwnerCommunityWarningThreshold = 4;

    public Guid WorkspaceId { get; set; }
    public string DisplayName { get; set; } = "";
    public StaffRole Role { get; set; }
    public string Culture { get; set; } = Platform.Localization.Cultures.Default;
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>A KOC's own member in the chats (a KOC is a member with duties): their messages, the speakers they reach
    /// and their interactions are their KPIs (<see cref="Analytics.StaffKpis"/>). Only KOCs have one.</summary>
    public Guid? MemberId { get; set; }

    public List<Communities.CommunityStaff> Assignments { get; set; } = [];

    public bool Outranks(StaffRole other) => Role < other;

    /// <summary>The role a staff member takes in a community when none is given: the nearest community role to their workspace role.</summary>
    public static Communities.CommunityRole DefaultCommunityRole(StaffRole role) => role switch
    {
        StaffRole.Owner or StaffRole.SubOwner => Communities.CommunityRole.SubOwner,
        StaffRole.Admin => Communities.CommunityRole.Admin,
        StaffRole.Operator => Communities.CommunityRole.Operator,
        _ => Communities.CommunityRole.Koc,
    };
}
