using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Advisor;
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
    IReadOnlyList<StaffAssignment>? Staff,
    IReadOnlyList<Guid>? TagIds = null);

public enum EditOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
}

/// <param name="Refusal">Why a Forbidden save was refused, when there is more to say than "your role does not allow this":
/// an English message for the API and a localization key (<c>Code</c>) with its arguments for the console.</param>
public sealed record CommunitySaveResult(
    EditOutcome Outcome, Community? Community, Validation Validation, IReadOnlyList<string> Warnings, FieldError? Refusal = null);

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
            community = await db.Communities.Include(c => c.Staff).Include(c => c.Tags).ThenInclude(l => l.Tag).SingleOrDefaultAsync(c => c.Id == id, ct);
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
        var involved = staffIds.Concat(community?.Staff.Select(s => s.StaffUserId) ?? []).Distinct().ToList();
        var people = await db.Users.Where(u => u.WorkspaceId == db.CurrentWorkspaceId && involved.Contains(u.Id))
            .Select(u => new StaffAssignmentRules.Person(u.Id, u.DisplayName, u.Role)).ToDictionaryAsync(u => u.Id, ct);
        foreach (var missing in staffIds.Where(i => !people.ContainsKey(i)))
            validation.Add("staff", "UnknownStaff", $"Unknown staff member '{missing}'.", missing);
        foreach (var a in assignments.Where(a => !Enum.IsDefined(a.Role)))
            validation.Add("staff", "UnknownValue", $"Unknown community role '{a.Role}'.", a.Role);

        // Tags: null keeps them; the ids must be the workspace's community tags.
        var tagIds = input.TagIds?.Distinct().ToList();
        var tags = tagIds is null ? [] : await db.Set<CommunityTag>().Where(t => tagIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, ct);
        for (var i = 0; i < (input.TagIds?.Count ?? 0); i++)
        {
            if (!tags.ContainsKey(input.TagIds![i]))
                validation.Add($"tagIds[{i}]", "UnknownValue", $"'tagIds[{i}]' has an unknown value '{input.TagIds[i]}'.", input.TagIds[i]);
        }
        if (tagIds is not null && tagIds.Count > CommunityTag.MaxPerCommunity)
            validation.Add("tagIds", "TooMany", $"A community carries at most {CommunityTag.MaxPerCommunity} tags (got {tagIds.Count}).", CommunityTag.MaxPerCommunity, tagIds.Count);

        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation, []);

        var before = community?.Staff.ToDictionary(s => s.StaffUserId, s => s.Role) ?? new Dictionary<Guid, CommunityRole>();
        var after = assignments.ToDictionary(a => a.StaffUserId, a => a.Role);
        if (id is null && !me.SeesAllCommunities)
            after.TryAdd(me.Id, StaffUser.DefaultCommunityRole(me.Role));
        foreach (var staffId in before.Keys.Union(after.Keys))
        {
            CommunityRole? was = before.TryGetValue(staffId, out var b) ? b : null;
            CommunityRole? becomes = after.TryGetValue(staffId, out var a) ? a : null;
            if (was == becomes)
                continue;
            // Whoever creates a community runs it in their usual role; that is not changing one's own role.
            if (id is null && staffId == me.Id && becomes == StaffUser.DefaultCommunityRole(me.Role))
                continue;
            if (StaffAssignmentRules.Refuse(me, people[staffId], was, becomes) is { } refusal)
                return new(EditOutcome.Forbidden, null, validation, [], refusal);
        }

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

        // A non-owner who creates a community runs it (added to `after` above); otherwise they could not see what they made.
        community.Staff.RemoveAll(s => !after.ContainsKey(s.StaffUserId));
        foreach (var (staffId, role) in after)
        {
            var existing = community.Staff.FirstOrDefault(s => s.StaffUserId == staffId);
            if (existing is null)
                community.Staff.Add(new CommunityStaff { CommunityId = community.Id, StaffUserId = staffId, Role = role });
            else
                existing.Role = role;
        }
        if (tagIds is not null)
            SetTags(community, tags, tagIds);
        people.TryAdd(me.Id, new(me.Id, me.DisplayName, me.Role));
        var staffBefore = StaffAssignmentRules.Describe(before, people);
        var staffAfter = StaffAssignmentRules.Describe(after, people);
        if (!staffBefore.SequenceEqual(staffAfter))
            db.AuditAlso(community, StaffAssignmentRules.AuditField, staffBefore, staffAfter);

        // Unchanged saves change nothing, not even the time of the last change.
        if (db.ChangeTracker.HasChanges())
        {
            community.UpdatedAt = DateTime.UtcNow;
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException) when (tagIds is { Count: > 0 })
            {
                // A tag deleted between the check above and this save: named as unknown, like one that never was.
                await CommunityTag.KnownAsync(db.Set<CommunityTag>().AsNoTracking(), validation, "tagIds", input.TagIds!, ct);
                if (validation.IsValid)
                    throw;
                return new(EditOutcome.Invalid, null, validation, []);
            }
        }
        var warnings = await SubOwnerWarningsAsync(db, community.Staff.Where(s => s.Role == CommunityRole.SubOwner).Select(s => s.StaffUserId), ct);
        return new(EditOutcome.Saved, community, validation, warnings);
    }

    /// <summary>Seed 004: a sub-owner runs 2–4 groups; more than the workspace's limit (<see cref="AdvisorThresholds"/>) is flagged.</summary>
    public static async Task<IReadOnlyList<string>> SubOwnerWarningsAsync(AppDbContext db, IEnumerable<Guid> staffIds, CancellationToken ct) =>
        await SubOwnerWarningsAsync(db, staffIds, null, ct);

    /// <summary>The same, with the workspace's limit when the caller has read it already.</summary>
    public static async Task<IReadOnlyList<string>> SubOwnerWarningsAsync(AppDbContext db, IEnumerable<Guid> staffIds, int? knownLimit, CancellationToken ct)
    {
        var ids = staffIds.ToList();
        if (ids.Count == 0)
            return [];
        var limit = knownLimit ?? (await AdvisorThresholds.ReadAsync(db, ct)).MaxSubOwnerCommunities;
        var overloaded = await db.Users
            .Where(u => ids.Contains(u.Id))
            .Select(u => new { u.DisplayName, Count = u.Assignments.Count(a => a.Role == CommunityRole.SubOwner) })
            .Where(x => x.Count > limit)
            .ToListAsync(ct);
        return overloaded.Select(o => $"{o.DisplayName} is sub-owner of {o.Count} communities, over the workspace's limit of {limit} (seed 004 recommends 2–4).").ToList();
    }

    /// <summary>Makes the community carry exactly <paramref name="wanted"/>; the audit log gets the names before and after.</summary>
    private void SetTags(Community community, Dictionary<Guid, CommunityTag> tags, List<Guid> wanted)
    {
        var before = community.Tags.Select(l => l.Tag?.Name ?? l.TagId.ToString()).Order(StringComparer.Ordinal).ToList();
        community.Tags.RemoveAll(l => !wanted.Contains(l.TagId));
        foreach (var id in wanted.Where(id => community.Tags.All(l => l.TagId != id)))
            community.Tags.Add(new CommunityTagLink { CommunityId = community.Id, TagId = id, Tag = tags[id] });
        var after = wanted.Select(id => tags[id].Name).Order(StringComparer.Ordinal).ToList();
        if (!before.SequenceEqual(after))
            db.AuditAlso(community, TagsAuditField, before, after);
    }

    /// <summary>The pseudo-property under which a community's tag changes appear in the audit log.</summary>
    public const string TagsAuditField = "Tags";

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>
/// Who may change whose place in a community, the same in the community editor and the staff editor:
/// nobody changes their own assignment; a staff member changes only the assignments of people whose workspace
/// role they manage (<see cref="StaffProfile.CanManageRole"/>), and only from and to community roles below their own
/// (the owner grants any).
/// </summary>
public static class StaffAssignmentRules
{
    /// <summary>The pseudo-property under which a community's staff changes appear in the audit log.</summary>
    public const string AuditField = "Staff";

    public sealed record Person(Guid Id, string DisplayName, StaffRole Role);

    public static bool CanGrant(this StaffProfile me, CommunityRole role) =>
        me.CanManageStaff && (me.Role == StaffRole.Owner || (int)role > (int)me.Role);

    /// <summary>Whether <paramref name="me"/> may change <paramref name="person"/>'s assignment at all (whatever the roles).</summary>
    public static bool CanReassign(this StaffProfile me, Guid personId, StaffRole personRole) =>
        personId != me.Id && me.CanManageRole(personRole);

    /// <summary>Null when the change from <paramref name="was"/> to <paramref name="becomes"/> (null: not assigned) is allowed.</summary>
    public static FieldError? Refuse(StaffProfile me, Person person, CommunityRole? was, CommunityRole? becomes)
    {
        if (person.Id == me.Id)
            return new("staff", "Communities.Refused.Own", "You cannot change your own assignment or role in a community.", []);
        if (!me.CanManageRole(person.Role))
            return new("staff", "Communities.Refused.Person",
                $"Your role ({me.Role}) does not allow changing the assignments of {person.DisplayName} ({person.Role}).", [person.DisplayName, person.Role]);
        foreach (var role in new[] { was, becomes }.OfType<CommunityRole>().Where(r => !me.CanGrant(r)))
            return new("staff", "Communities.Refused.Role",
                $"Your role ({me.Role}) does not allow granting or taking away the community role {role} ({person.DisplayName}).", [role, person.DisplayName]);
        return null;
    }

    /// <summary>"Name (Role)" per assignment, sorted, for the audit log.</summary>
    public static List<string> Describe(IReadOnlyDictionary<Guid, CommunityRole> assignments, IReadOnlyDictionary<Guid, Person> people) =>
        assignments.Select(a => $"{(people.TryGetValue(a.Key, out var p) ? p.DisplayName : a.Key.ToString())} ({a.Value})")
            .Order(StringComparer.Ordinal).ToList();
}
