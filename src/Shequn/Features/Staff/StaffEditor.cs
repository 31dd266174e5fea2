using System.Net.Mail;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Staff;

/// <summary>One community assignment; without a role the staff member's default community role is used.</summary>
public sealed record StaffCommunityInput(Guid CommunityId, CommunityRole? Role = null);

/// <summary>A new staff account. Without a password one is generated and returned once.</summary>
public sealed record StaffCreateInput(
    string? Email,
    string? DisplayName,
    StaffRole? Role,
    string? Password = null,
    IReadOnlyList<StaffCommunityInput>? Communities = null);

/// <summary>A change to a staff account; a null field is left as it is. <paramref name="MemberId"/>: a KOC's own member
/// (<see cref="StaffUser.MemberId"/>); the empty GUID unlinks it.</summary>
public sealed record StaffUpdateInput(
    string? DisplayName = null,
    StaffRole? Role = null,
    bool? IsActive = null,
    IReadOnlyList<StaffCommunityInput>? Communities = null,
    Guid? MemberId = null);

public sealed record StaffSaveResult(
    EditOutcome Outcome, StaffUser? Staff, Validation Validation, string? GeneratedPassword = null, string? Detail = null);

/// <summary>
/// Creates, changes and deactivates staff accounts for the console and the API with the same rules:
/// KOCs manage no one; everyone else manages only roles below their own (owners manage all); communities
/// can only be assigned by someone who sees them; the workspace always keeps an active owner.
/// </summary>
public sealed class StaffEditor(AppDbContext db, UserManager<StaffUser> users)
{
    public const int EmailMaxLength = 256;
    private const string PasswordAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    public async Task<StaffSaveResult> CreateAsync(StaffCreateInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageStaff)
            return Refused(validation, "Your role does not allow managing staff.");
        if (input.Role is { } asked && Enum.IsDefined(asked) && !me.CanManageRole(asked))
            return Refused(validation, $"You may only create staff with a role below your own ({me.Role}).");

        var email = input.Email?.Trim();
        var name = input.DisplayName?.Trim();
        validation.Required("email", email, EmailMaxLength);
        if (!string.IsNullOrEmpty(email) && email.Length <= EmailMaxLength)
        {
            if (!IsEmail(email))
                validation.Add("email", "Staff.InvalidEmail", $"'{email}' is not an email address.", email);
            else if (await users.FindByEmailAsync(email) is not null)
                validation.Add("email", "Staff.DuplicateEmail", $"The email '{email}' is already in use.", email);
        }
        validation.Required("displayName", name, StaffUser.DisplayNameMaxLength);
        if (input.Role is null)
            validation.Add("role", "Required", "'role' is required.");
        else
            validation.Defined("role", input.Role.Value);

        var role = input.Role ?? StaffRole.Koc;
        var user = new StaffUser
        {
            Id = Guid.CreateVersion7(),
            WorkspaceId = db.CurrentWorkspaceId,
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = name ?? "",
            Role = role,
        };
        var generated = string.IsNullOrEmpty(input.Password) ? NewPassword() : null;
        var password = generated ?? input.Password!;
        if (generated is null)
        {
            foreach (var validator in users.PasswordValidators)
                AddPasswordErrors(validation, await validator.ValidateAsync(users, user, password));
        }
        var assignments = await ResolveAssignmentsAsync(me, input.Communities ?? [], role, validation, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        if (assignments.FirstOrDefault(a => !me.CanGrant(a.Role)) is { } tooHigh)
            return Refused(validation, $"Your role ({me.Role}) does not allow granting the community role {tooHigh.Role} ({tooHigh.CommunityName}).");

        foreach (var a in assignments)
            user.Assignments.Add(new CommunityStaff { CommunityId = a.CommunityId, StaffUserId = user.Id, Role = a.Role });
        if (assignments.Count > 0)
            db.AuditAlso(user, AssignmentsField, null, assignments.Select(a => Describe(a.CommunityName, a.Role)).Order(StringComparer.Ordinal).ToList());

        // CreateAsync hashes the password and saves the user, its assignments and the audit rows in one SaveChanges.
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            foreach (var e in created.Errors)
            {
                if (e.Code.StartsWith("Password", StringComparison.Ordinal))
                    validation.Add("password", "Staff.PasswordPolicy", e.Description, e.Description);
                else
                    validation.Add("email", e.Code.Contains("Duplicate", StringComparison.Ordinal) ? "Staff.DuplicateEmail" : "Staff.InvalidEmail", e.Description, email ?? "");
            }
            db.ChangeTracker.Clear();
            return new(EditOutcome.Invalid, null, validation);
        }
        return new(EditOutcome.Saved, user, validation, generated);
    }

    public async Task<StaffSaveResult> UpdateAsync(Guid id, StaffUpdateInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageStaff)
            return Refused(validation, "Your role does not allow managing staff.");

        var user = await db.Users
            .Include(u => u.Assignments).ThenInclude(a => a.Community)
            .SingleOrDefaultAsync(u => u.Id == id && u.WorkspaceId == db.CurrentWorkspaceId, ct);
        if (user is null)
            return new(EditOutcome.NotFound, null, validation);
        if (!me.CanManageRole(user.Role))
            return Refused(validation, $"You may only change staff with a role below your own ({me.Role}).");
        if (input.Role is { } asked && Enum.IsDefined(asked) && !me.CanManageRole(asked))
            return Refused(validation, $"You may only give roles below your own ({me.Role}).");
        if (user.Id == me.Id && input.Role is { } own && own != user.Role)
            return Refused(validation, "You cannot change your own role.");

        var name = input.DisplayName?.Trim();
        if (input.DisplayName is not null)
            validation.Required("displayName", name, StaffUser.DisplayNameMaxLength);
        if (input.Role is not null)
            validation.Defined("role", input.Role.Value);

        var role = input.Role ?? user.Role;
        var active = input.IsActive ?? user.IsActive;
        if (user.Role == StaffRole.Owner && user.IsActive && (role != StaffRole.Owner || !active)
            && !await db.Users.AnyAsync(u => u.WorkspaceId == user.WorkspaceId && u.Id != user.Id && u.Role == StaffRole.Owner && u.IsActive, ct))
        {
            var field = role != StaffRole.Owner ? "role" : "isActive";
            validation.Add(field, "Staff.LastOwner", "The workspace would be left without an active owner; make someone else owner first.");
        }

        List<ResolvedAssignment>? assignments = null;
        if (input.Communities is not null)
            assignments = await ResolveAssignmentsAsync(me, input.Communities, role, validation, ct);
        // A KOC's member: one the actor sees (in a community she sees), not another KOC's; leaving the KOC role unlinks it.
        var member = input.MemberId is { } asked2 && asked2 != Guid.Empty ? asked2 : (Guid?)null;
        if (member is { } m)
        {
            if (role != StaffRole.Koc)
                validation.Add("memberId", "Staff.MemberOnlyKoc", "'memberId' links a KOC to their own member; this account is not a KOC.");
            else if (!await Members.MemberEndpoints.VisibleMembers(db, me).AnyAsync(x => x.Id == m, ct))
                validation.Add("memberId", "Staff.UnknownMember", $"Unknown member '{m}'.", m);
            else if (await db.Users.AnyAsync(u => u.WorkspaceId == user.WorkspaceId && u.Id != user.Id && u.MemberId == m, ct))
                validation.Add("memberId", "Staff.MemberTaken", "That member is already another KOC's own member.");
        }
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        if (assignments is not null && RefuseAssignments(me, user, assignments) is { } refusal)
            return Refused(validation, refusal.Message);

        if (name is not null)
            user.DisplayName = name;
        // A new stamp signs the account's console sessions out at their next cookie validation (at most a minute,
        // Security:SessionValidationInterval), so a demotion or a deactivation does not wait for the cookie to expire.
        if (role != user.Role || (user.IsActive && !active))
            user.SecurityStamp = Guid.NewGuid().ToString("N");
        user.Role = role;
        if (input.MemberId is not null)
            user.MemberId = member;
        if (role != StaffRole.Koc)
            user.MemberId = null;
        user.IsActive = active;
        if (assignments is not null)
            ReplaceVisibleAssignments(me, user, assignments);
        user.ConcurrencyStamp = Guid.NewGuid().ToString();

        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, user, validation);
    }

    /// <summary>Deactivation keeps the account and its history; it can no longer sign in or use its tokens.</summary>
    public Task<StaffSaveResult> DeactivateAsync(Guid id, CancellationToken ct = default) =>
        UpdateAsync(id, new StaffUpdateInput(IsActive: false), ct);

    /// <summary>Sixteen random characters in groups of four; satisfies the Identity policy (a digit and a lower-case letter).</summary>
    public static string NewPassword()
    {
        while (true)
        {
            var raw = RandomNumberGenerator.GetString(PasswordAlphabet, 16);
            if (raw.Any(char.IsAsciiDigit) && raw.Any(char.IsAsciiLetterLower))
                return string.Join('-', raw.Chunk(4).Select(c => new string(c)));
        }
    }

    private sealed record ResolvedAssignment(Guid CommunityId, string CommunityName, CommunityRole Role);

    private async Task<List<ResolvedAssignment>> ResolveAssignmentsAsync(
        StaffProfile me, IReadOnlyList<StaffCommunityInput> input, StaffRole staffRole, Validation validation, CancellationToken ct)
    {
        var ids = input.Select(a => a.CommunityId).Distinct().ToList();
        if (ids.Count != input.Count)
            validation.Add("communities", "Staff.DuplicateCommunity", "A community is listed more than once.");
        // Communities the actor cannot see are reported as unknown, so their existence does not leak.
        var visible = await db.Visible(me).Where(c => ids.Contains(c.Id))
            .Select(c => new { c.Id, c.Name }).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        foreach (var missing in ids.Where(i => !visible.ContainsKey(i)))
            validation.Add("communities", "Staff.UnknownCommunity", $"Unknown community '{missing}'.", missing);
        foreach (var a in input.Where(a => a.Role is { } r && !Enum.IsDefined(r)))
            validation.Add("communities", "UnknownValue", $"Unknown community role '{a.Role}'.", a.Role!);

        return input.Where(a => visible.ContainsKey(a.CommunityId))
            .DistinctBy(a => a.CommunityId)
            .Select(a => new ResolvedAssignment(a.CommunityId, visible[a.CommunityId], a.Role ?? StaffUser.DefaultCommunityRole(staffRole)))
            .ToList();
    }

    /// <summary>The community editor's rules (<see cref="StaffAssignmentRules"/>) for each assignment that would change.</summary>
    private static Platform.Api.FieldError? RefuseAssignments(StaffProfile me, StaffUser user, List<ResolvedAssignment> wanted)
    {
        var person = new StaffAssignmentRules.Person(user.Id, user.DisplayName, user.Role);
        var current = user.Assignments.Where(a => me.Sees(a.CommunityId)).ToDictionary(a => a.CommunityId, a => a.Role);
        var next = wanted.ToDictionary(w => w.CommunityId, w => w.Role);
        foreach (var community in current.Keys.Union(next.Keys))
        {
            CommunityRole? was = current.TryGetValue(community, out var b) ? b : null;
            CommunityRole? becomes = next.TryGetValue(community, out var a) ? a : null;
            if (was != becomes && StaffAssignmentRules.Refuse(me, person, was, becomes) is { } refusal)
                return refusal;
        }
        return null;
    }

    /// <summary>Replaces the assignments the actor can see; those in communities hidden from them stay as they are.</summary>
    private void ReplaceVisibleAssignments(StaffProfile me, StaffUser user, List<ResolvedAssignment> wanted)
    {
        var before = user.Assignments.Where(a => me.Sees(a.CommunityId))
            .Select(a => Describe(a.Community?.Name ?? a.CommunityId.ToString(), a.Role)).Order(StringComparer.Ordinal).ToList();

        user.Assignments.RemoveAll(a => me.Sees(a.CommunityId) && wanted.All(w => w.CommunityId != a.CommunityId));
        foreach (var w in wanted)
        {
            var existing = user.Assignments.FirstOrDefault(a => a.CommunityId == w.CommunityId);
            if (existing is null)
                user.Assignments.Add(new CommunityStaff { CommunityId = w.CommunityId, StaffUserId = user.Id, Role = w.Role });
            else
                existing.Role = w.Role;
        }

        var after = wanted.Select(w => Describe(w.CommunityName, w.Role)).Order(StringComparer.Ordinal).ToList();
        // Assignments are rows of their own, so the change joins the staff member's audit row explicitly.
        if (!before.SequenceEqual(after))
            db.AuditAlso(user, AssignmentsField, before, after);
    }

    /// <summary>The pseudo-property under which assignment changes appear in the audit log.</summary>
    public const string AssignmentsField = "Communities";

    private static string Describe(string communityName, CommunityRole role) => $"{communityName} ({role})";

    private static StaffSaveResult Refused(Validation validation, string detail) =>
        new(EditOutcome.Forbidden, null, validation, Detail: detail);

    private static bool IsEmail(string email) =>
        MailAddress.TryCreate(email, out var parsed) && string.Equals(parsed.Address, email, StringComparison.OrdinalIgnoreCase);

    private static void AddPasswordErrors(Validation validation, IdentityResult result)
    {
        foreach (var e in result.Errors)
            validation.Add("password", "Staff.PasswordPolicy", e.Description, e.Description);
    }
}
