using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Profiles;

/// <summary>A member's value of a template field (not the <see cref="Member"/> columns); <c>masked</c> when personal.</summary>
public sealed record ProfileValueDto(string Key, string? Name, ProfileFieldKind Kind, string? Value, bool Personal, bool Masked);

public sealed record RevealInput(string? Field);

public sealed record RevealResult(string Field, string? Value);

public sealed record RevealLogEntry(DateTime At, Guid StaffId, string StaffName, string Field);

public enum RevealOutcome
{
    Revealed,
    NotFound,
    Forbidden,
    Invalid,
}

/// <summary>
/// Values of template fields per member, masking of personal data (PIPL) and reveals: everyone sees phone numbers and
/// personal fields masked (<see cref="Mask"/>); the owner and sub-owners reveal one field of one member at a time, and
/// every reveal is a <see cref="PersonalDataReveal"/> row the owner reads.
/// </summary>
public static class ProfileValues
{
    public static bool MayReveal(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public static bool MayReadRevealLog(StaffProfile? me) => me?.Role is StaffRole.Owner;

    /// <summary>138****5678: the first three and last four digits of a long number; shorter values keep less.</summary>
    public static string? Mask(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return value;
        var v = value.Trim();
        if (v.Length >= 11)
            return v[..3] + "****" + v[^4..];
        if (v.Length >= 7)
            return v[..2] + "***" + v[^2..];
        return v.Length <= 1 ? "*" : v[..1] + new string('*', v.Length - 1);
    }

    /// <summary>A value sent back as it was shown (masked) leaves the stored one as it is.</summary>
    public static bool IsMaskOf(string? submitted, string? stored) =>
        submitted is not null && stored is not null && submitted.Contains('*', StringComparison.Ordinal) && submitted.Trim() == Mask(stored);

    /// <summary>The template's value fields (not the member's columns) with the member's values, personal ones masked unless <paramref name="plain"/>.</summary>
    public static async Task<IReadOnlyList<ProfileValueDto>> ReadAsync(AppDbContext db, Guid memberId, bool plain, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var template = await ProfileTemplates.ReadAsync(db, ct);
        var ws = db.CurrentWorkspaceId;
        var stored = await db.Set<MemberFieldValue>().AsNoTracking().Where(v => v.WorkspaceId == ws && v.MemberId == memberId)
            .ToDictionaryAsync(v => v.Key, v => v.Value, StringComparer.Ordinal, ct);
        return [.. template.Fields.Where(f => !ProfileBuiltins.Columns.Contains(f.Key)).Select(f =>
        {
            var value = stored.GetValueOrDefault(f.Key);
            var masked = f.Personal && !plain && value is not null;
            return new ProfileValueDto(f.Key, f.Name, f.Kind, masked ? Mask(value) : value, f.Personal, masked);
        })];
    }

    /// <summary>
    /// Applies checked values (see <see cref="ProfileTemplates.Check"/>) to the member: columns on the member, the rest as
    /// value rows; null clears; a masked value sent back unchanged is skipped. Does not save.
    /// </summary>
    public static async Task ApplyAsync(AppDbContext db, Member member, IReadOnlyDictionary<string, string?> values, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(values);
        var rows = await db.Set<MemberFieldValue>().Where(v => v.WorkspaceId == member.WorkspaceId && v.MemberId == member.Id).ToListAsync(ct);
        foreach (var (key, value) in values)
        {
            switch (key)
            {
                case ProfileBuiltins.City: member.City = value; continue;
                case ProfileBuiltins.Industry: member.Industry = value; continue;
                case ProfileBuiltins.Organisations: member.Organisations = value; continue;
                case ProfileBuiltins.Channel: member.Channel = value; continue;
                case ProfileBuiltins.Phone:
                    if (!IsMaskOf(value, member.Phone))
                        member.Phone = value;
                    continue;
            }
            var row = rows.FirstOrDefault(r => r.Key == key);
            if (value is null)
            {
                if (row is not null)
                    db.Set<MemberFieldValue>().Remove(row);
            }
            else if (row is null)
            {
                db.Set<MemberFieldValue>().Add(new MemberFieldValue { WorkspaceId = member.WorkspaceId, MemberId = member.Id, Key = key, Value = value });
            }
            else if (row.Value != value && !IsMaskOf(value, row.Value))
            {
                row.Value = value;
                row.UpdatedAt = DateTime.UtcNow;
            }
        }
    }

    /// <summary>Shows one personal field of one member to the owner or a sub-owner who sees the member, and logs it.</summary>
    public static async Task<(RevealOutcome Outcome, RevealResult? Result, Validation Validation)> RevealAsync(
        AppDbContext db, TimeProvider time, Guid memberId, RevealInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        var member = await db.VisibleMembers(me).AsNoTracking().Where(m => m.Id == memberId).Select(m => new { m.Id, m.Phone }).SingleOrDefaultAsync(ct);
        if (member is null)
            return (RevealOutcome.NotFound, null, validation);
        if (!MayReveal(me))
            return (RevealOutcome.Forbidden, null, validation);
        var field = input.Field?.Trim();
        string? value;
        if (field == ProfileBuiltins.Phone)
        {
            value = member.Phone;
        }
        else
        {
            var template = await ProfileTemplates.ReadAsync(db, ct);
            if (field is null || template.Fields.FirstOrDefault(f => f.Key == field) is not { Personal: true } f || ProfileBuiltins.Columns.Contains(f.Key))
            {
                validation.Add("field", "NotPersonal", $"'field' must be 'phone' or the key of a personal field (got '{field}').", field ?? "");
                return (RevealOutcome.Invalid, null, validation);
            }
            var ws = db.CurrentWorkspaceId;
            value = await db.Set<MemberFieldValue>().Where(v => v.WorkspaceId == ws && v.MemberId == memberId && v.Key == field)
                .Select(v => v.Value).SingleOrDefaultAsync(ct);
        }
        db.Set<PersonalDataReveal>().Add(new PersonalDataReveal
        {
            WorkspaceId = db.CurrentWorkspaceId,
            MemberId = memberId,
            StaffId = me!.Id,
            StaffName = Events.EventEffects.Clip(me.DisplayName, 100)!,
            Field = field,
            At = time.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        return (RevealOutcome.Revealed, new RevealResult(field, value), validation);
    }

    /// <summary>The member's reveal log, newest first (owner only; null otherwise).</summary>
    public static async Task<IReadOnlyList<RevealLogEntry>?> RevealLogAsync(AppDbContext db, Guid memberId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayReadRevealLog(me))
            return null;
        var ws = db.CurrentWorkspaceId;
        return await db.Set<PersonalDataReveal>().AsNoTracking().Where(r => r.WorkspaceId == ws && r.MemberId == memberId)
            .OrderByDescending(r => r.At).Take(200).Select(r => new RevealLogEntry(r.At, r.StaffId, r.StaffName, r.Field)).ToListAsync(ct);
    }
}
