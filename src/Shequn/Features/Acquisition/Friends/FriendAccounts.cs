using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Acquisition;

public sealed record FriendAccountDto(
    Guid Id, string Name, Guid StaffUserId, string? StaffName, int DailyLimit, int WindowStartHour, int WindowEndHour, bool Active, DateTime CreatedAt);

/// <summary>Fields left out keep their value on update; on create they take the defaults (the acting staff member, 20 a day, 09–21).</summary>
public sealed record FriendAccountInput(string? Name, Guid? StaffUserId, int? DailyLimit, int? WindowStartHour, int? WindowEndHour, bool? Active);

public enum FriendEditStatus
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>A duplicate (409): <see cref="FriendEditResult{T}.Conflict"/> says of what.</summary>
    Conflict,
}

public sealed record FriendEditResult<T>(FriendEditStatus Status, Validation Validation, T? Value = default, Reason? Conflict = null);

/// <summary>
/// The accounts that add friends. Owners, sub-owners and admins manage every account of the workspace (for any staff
/// member); everyone else sees her own and plans and records on them. KOCs take no part (the queue holds phones).
/// </summary>
public sealed class FriendAccounts(AppDbContext db)
{
    public const string KocRefusal = "KOCs take no part in friend adds: the queue holds customers' phone numbers.";
    public const string ManageRefusal = "Only owners, sub-owners and admins manage friend-add accounts.";

    public static bool MayUse(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    public static bool MayManage(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;

    public static IQueryable<FriendAccount> Visible(AppDbContext db, StaffProfile me)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(me);
        var accounts = db.Set<FriendAccount>().AsNoTracking();
        return MayManage(me) ? accounts : accounts.Where(a => a.StaffUserId == me.Id);
    }

    /// <returns>The accounts the acting staff member sees, or null when she may not use friend adds.</returns>
    public async Task<IReadOnlyList<FriendAccountDto>?> ListAsync(CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayUse(me))
            return null;
        var rows = await Visible(db, me!).OrderBy(a => a.CreatedAt).ThenBy(a => a.Id).ToListAsync(ct);
        return await DtosAsync(rows, ct);
    }

    public async Task<FriendAccountDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayUse(me))
            return null;
        var row = await Visible(db, me!).SingleOrDefaultAsync(a => a.Id == id, ct);
        return row is null ? null : (await DtosAsync([row], ct))[0];
    }

    public Task<FriendEditResult<FriendAccountDto>> CreateAsync(FriendAccountInput input, CancellationToken ct = default) => SaveAsync(null, input, ct);

    public Task<FriendEditResult<FriendAccountDto>> UpdateAsync(Guid id, FriendAccountInput input, CancellationToken ct = default) => SaveAsync(id, input, ct);

    private async Task<FriendEditResult<FriendAccountDto>> SaveAsync(Guid? id, FriendAccountInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayManage(me))
            return new(FriendEditStatus.Forbidden, validation);
        FriendAccount? account = null;
        if (id is { } existing)
        {
            account = await db.Set<FriendAccount>().SingleOrDefaultAsync(a => a.Id == existing, ct);
            if (account is null)
                return new(FriendEditStatus.NotFound, validation);
        }
        var name = input.Name?.Trim();
        if (account is null || input.Name is not null)
            validation.Required("name", name, FriendAccount.NameMaxLength);
        var staffId = input.StaffUserId ?? account?.StaffUserId ?? me!.Id;
        if (input.StaffUserId is { } s)
        {
            var ws = db.CurrentWorkspaceId;
            if (!await db.Users.AnyAsync(u => u.Id == s && u.WorkspaceId == ws && u.IsActive, ct))
                validation.Add("staffUserId", "FriendUnknownStaff", $"'staffUserId' {s} is not an active staff member of this workspace.", s);
        }
        var limit = input.DailyLimit ?? account?.DailyLimit ?? FriendAccount.DefaultDailyLimit;
        var start = input.WindowStartHour ?? account?.WindowStartHour ?? 9;
        var end = input.WindowEndHour ?? account?.WindowEndHour ?? 21;
        FriendAccount.Check(validation, limit, start, end);
        if (validation.IsValid && name is not null && await db.Set<FriendAccount>().AnyAsync(a => a.Name == name && a.Id != (id ?? Guid.Empty), ct))
            validation.Add("name", "FriendAccountNameTaken", $"An account named '{name}' already exists.", name);
        if (!validation.IsValid)
            return new(FriendEditStatus.Invalid, validation);

        if (account is null)
        {
            account = new FriendAccount { WorkspaceId = db.CurrentWorkspaceId, Name = name!, StaffUserId = staffId };
            db.Add(account);
        }
        else if (name is not null)
        {
            account.Name = name;
        }
        account.StaffUserId = staffId;
        account.DailyLimit = limit;
        account.WindowStartHour = start;
        account.WindowEndHour = end;
        account.Active = input.Active ?? account.Active;
        account.UpdatedAt = DateTime.UtcNow;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two saves of one name at once: the unique index keeps one.
            return new(FriendEditStatus.Invalid, validation.Add("name", "FriendAccountNameTaken", $"An account named '{name}' already exists.", name ?? ""));
        }
        return new(FriendEditStatus.Saved, validation, (await DtosAsync([account], ct))[0]);
    }

    /// <summary>Deletes an account: its planned leads go back to the queue; leads with an outcome keep it, without the account.</summary>
    public async Task<FriendEditStatus> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayUse(me) || !await Visible(db, me!).AnyAsync(a => a.Id == id, ct))
            return FriendEditStatus.NotFound;
        if (!MayManage(me))
            return FriendEditStatus.Forbidden;
        var account = await db.Set<FriendAccount>().SingleAsync(a => a.Id == id, ct);
        var planned = await db.Set<FriendLead>().Where(l => l.AccountId == id && l.Status == FriendLeadStatus.Planned).ToListAsync(ct);
        foreach (var lead in planned)
            lead.Unplan();
        var done = await db.Set<FriendLead>().Where(l => l.AccountId == id && l.Status != FriendLeadStatus.Planned).ToListAsync(ct);
        foreach (var lead in done)
            lead.AccountId = null;
        db.Remove(account);
        await db.SaveChangesAsync(ct);
        return FriendEditStatus.Saved;
    }

    private async Task<List<FriendAccountDto>> DtosAsync(IReadOnlyList<FriendAccount> rows, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        var ids = rows.Select(a => a.StaffUserId).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        return [.. rows.Select(a => new FriendAccountDto(a.Id, a.Name, a.StaffUserId, names.GetValueOrDefault(a.StaffUserId), a.DailyLimit,
            a.WindowStartHour, a.WindowEndHour, a.Active, a.CreatedAt))];
    }
}
