using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Platform.Api;

namespace Shequn.Features.Workspaces;

/// <summary>The workspace as the API and the console show it; <c>Now</c> is the current time in its zone.</summary>
public sealed record WorkspaceDto(Guid Id, string Name, string TimeZone, DateTimeOffset Now, DateTime CreatedAt, LifecycleThresholds Lifecycle);

/// <summary>What to change; a field left out stays as it is.</summary>
public sealed record WorkspaceInput(string? TimeZone, LifecycleThresholds? Lifecycle = null);

public sealed record WorkspaceSaveResult(EditOutcome Outcome, Validation Validation);

/// <summary>Reads and changes the acting staff member's workspace settings (the owner only) for the console and the API.</summary>
public sealed class WorkspaceSettings(AppDbContext db, WorkspaceZones zones, TimeProvider time)
{
    public async Task<WorkspaceDto?> ReadAsync(CancellationToken ct = default)
    {
        if (await db.Current.GetProfileAsync(db, ct) is null)
            return null;
        var ws = await db.Workspaces.AsNoTracking().SingleOrDefaultAsync(w => w.Id == db.CurrentWorkspaceId, ct);
        if (ws is null)
            return null;
        var zone = WorkspaceZones.Find(ws.TimeZone) ?? WorkspaceZones.Default;
        return new WorkspaceDto(ws.Id, ws.Name, zone.Id, TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone), ws.CreatedAt, LifecycleThresholds.Of(ws));
    }

    /// <summary>
    /// Sets the time zone and the lifecycle thresholds. Days already counted keep their buckets; events processed from
    /// now on are counted in the new zone's days, and the console shows times in it. New thresholds apply at the next
    /// computation of the members' stages (within the hour).
    /// </summary>
    public async Task<WorkspaceSaveResult> UpdateAsync(WorkspaceInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || me.Role != StaffRole.Owner)
            return new(EditOutcome.Forbidden, validation);
        var ws = await db.Workspaces.SingleOrDefaultAsync(w => w.Id == db.CurrentWorkspaceId, ct);
        if (ws is null)
            return new(EditOutcome.NotFound, validation);

        TimeZoneInfo? zone = null;
        if (input.TimeZone is not null)
        {
            validation.Required("timeZone", input.TimeZone, Workspace.TimeZoneMaxLength);
            zone = validation.IsValid ? WorkspaceZones.Find(input.TimeZone) : null;
            if (validation.IsValid && zone is null)
                validation.Add("timeZone", "UnknownTimeZone",
                    $"'timeZone' must be an IANA time zone id such as 'Asia/Shanghai' or 'Europe/Berlin' (got '{input.TimeZone}').", input.TimeZone);
        }
        input.Lifecycle?.Validate(validation, "lifecycle");
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, validation);

        var before = new Dictionary<string, object?>();
        var after = new Dictionary<string, object?>();
        if (zone is not null && ws.TimeZone != zone.Id)
        {
            before[nameof(Workspace.TimeZone)] = ws.TimeZone;
            after[nameof(Workspace.TimeZone)] = ws.TimeZone = zone.Id;
        }
        if (input.Lifecycle is { } lifecycle && lifecycle != LifecycleThresholds.Of(ws))
        {
            before["Lifecycle"] = LifecycleThresholds.Of(ws);
            (ws.LifecycleNewDays, ws.LifecycleSilentDays, ws.LifecycleChurnDays) = (lifecycle.NewDays, lifecycle.SilentDays, lifecycle.ChurnDays);
            after["Lifecycle"] = lifecycle;
        }
        if (after.Count == 0)
            return new(EditOutcome.Saved, validation);
        db.AddAuditNote(nameof(Workspace), ws.Id, "updated", before, after);
        await db.SaveChangesAsync(ct);
        zones.Forget(ws.Id);
        return new(EditOutcome.Saved, validation);
    }
}
