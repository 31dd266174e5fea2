using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Communities;

public sealed record StaffAssignment(Guid StaffUserId, CommunityRole Role);

public sealed record CommunityInput(
    string? Name,
    ChatPlatform Platform,
    CommunityType Type,
    CommunitySubType SubType,
    CommunityTier Tier,
    int Capacity,
    string? Purpose,
    string? Intro,
    string? Rules,
    CommunityState State,
    IReadOnlyList<StaffAssignment>? Staff);

public enum EditOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
}

public sealed record CommunitySaveResult(EditOutcome Outcome, Community? Community, Validation Validation, IReadOnlyList<string> Warnings);

/// <summary>Creates and edits communities for the console and the API with the same rules.</summary>
public sealed class CommunityEditor(AppDbContext db)
{
    public async Task<CommunitySaveResult> SaveAsync(Guid? id, CommunityInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || (id is null ? !me.CanCreateCommunities : !me.CanEditCommunities))
            return new(EditOutcome.Forbidden, null, validation, []);

        Community? community = null;
        if (id is not null)
        {
            community = await db.Communities.Include(c => c.Staff).SingleOrDefaultAsync(c => c.Id == id, ct);
            if (community is null || !me.Sees(community.Id))
                return new(EditOutcome.NotFound, null, validation, []);
        }

        var name = input.Name?.Trim();
        validation.Required("name", name, Community.NameMaxLength)
            .MaxLength("purpose", input.Purpose, Community.PurposeMaxLength)
            .MaxLength("intro", input.Intro, Community.TextMaxLength)
            .MaxLength("rules", input.Rules, Community.TextMaxLength)
            .Defined("platform", input.Platform)
            .Defined("type", input.Type)
            .Defined("subType", input.SubType)
            .Defined("tier", input.Tier)
            .Defined("state", input.State);
        if (!Community.SubTypeBelongsTo(input.Type, input.SubType))
            validation.Add("subType", "SubTypeMismatch", $"'{input.SubType}' is not a sub-type of '{input.Type}'.");
        var limit = Community.PlatformCapacityLimit(input.Platform);
        if (input.Capacity <= 0)
            validation.Add("capacity", "Positive", "'capacity' must be greater than 0.");
        else if (input.Capacity > limit)
            validation.Add("capacity", "CapacityLimit", $"'capacity' must be at most {limit} on {input.Platform} (got {input.Capacity}).", limit, input.Capacity);
        if (name is not null && await db.Communities.AnyAsync(c => c.Name == name && c.Id != id, ct))
            validation.Add("name", "DuplicateName", $"A community named '{name}' already exists in this workspace.", name);

        var assignments = input.Staff ?? (community?.Staff.Select(s => new StaffAssignment(s.StaffUserId, s.Role)).ToList() ?? []);
        var staffIds = assignments.Select(a => a.StaffUserId).Distinct().ToList();
        if (staffIds.Count != assignments.Count)
            validation.Add("staff", "DuplicateStaff", "A staff member is listed more than once.");
        var known = await db.Users.Where(u => u.WorkspaceId == db.CurrentWorkspaceId && staffIds.Contains(u.Id))
            .Select(u => u.Id).ToListAsync(ct);
        foreach (var missing in staffIds.Except(known))
            validation.Add("staff", "UnknownStaff", $"Unknown staff member '{missing}'.", missing);
        foreach (var a in assignments.Where(a => !Enum.IsDefined(a.Role)))
            validation.Add("staff", "UnknownValue", $"Unknown community role '{a.Role}'.", a.Role);

        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation, []);

        community ??= db.Communities.Add(new Community { Name = name! }).Entity;
        community.Name = name!;
        community.Platform = input.Platform;
        community.Type = input.Type;
        community.SubType = input.SubType;
        community.Tier = input.Tier;
        community.Capacity = input.Capacity;
        community.Purpose = Blank(input.Purpose);
        community.Intro = Blank(input.Intro);
        community.Rules = Blank(input.Rules);
        community.State = input.State;
        community.UpdatedAt = DateTime.UtcNow;

        community.Staff.RemoveAll(s => assignments.All(a => a.StaffUserId != s.StaffUserId));
        foreach (var a in assignments)
        {
            var existing = community.Staff.FirstOrDefault(s => s.StaffUserId == a.StaffUserId);
            if (existing is null)
                community.Staff.Add(new CommunityStaff { CommunityId = community.Id, StaffUserId = a.StaffUserId, Role = a.Role });
            else
                existing.Role = a.Role;
        }
        // A non-owner who creates a community runs it; otherwise they could not see what they made.
        if (id is null && !me.SeesAllCommunities && community.Staff.All(s => s.StaffUserId != me.Id))
            community.Staff.Add(new CommunityStaff { CommunityId = community.Id, StaffUserId = me.Id, Role = StaffUser.DefaultCommunityRole(me.Role) });

        await db.SaveChangesAsync(ct);
        var warnings = await SubOwnerWarningsAsync(db, community.Staff.Where(s => s.Role == CommunityRole.SubOwner).Select(s => s.StaffUserId), ct);
        return new(EditOutcome.Saved, community, validation, warnings);
    }

    /// <summary>Seed 004: a sub-owner runs 2–4 groups; more than that is flagged.</summary>
    public static async Task<IReadOnlyList<string>> SubOwnerWarningsAsync(AppDbContext db, IEnumerable<Guid> staffIds, CancellationToken ct)
    {
        var ids = staffIds.ToList();
        if (ids.Count == 0)
            return [];
        var overloaded = await db.Users
            .Where(u => ids.Contains(u.Id))
            .Select(u => new { u.DisplayName, Count = u.Assignments.Count(a => a.Role == CommunityRole.SubOwner) })
            .Where(x => x.Count > StaffUser.SubOwnerCommunityWarningThreshold)
            .ToListAsync(ct);
        return overloaded.Select(o => $"{o.DisplayName} is sub-owner of {o.Count} communities; seed 004 recommends 2–4.").ToList();
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
