using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;

namespace Shequn.Features.Workspaces;

/// <summary>The workspace as the API and the console show it; <c>Now</c> is the current time in its zone.</summary>
public sealed record WorkspaceDto(Guid Id, string Name, string TimeZone, DateTimeOffset Now, DateTime CreatedAt);

public sealed record WorkspaceInput(string? TimeZone);

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
        return new WorkspaceDto(ws.Id, ws.Name, zone.Id, TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone), ws.CreatedAt);
    }

    /// <summary>
    /// Sets the time zone. Days already counted keep their buckets; events processed from now on are counted in
    /// the new zone's days, and the console shows times in it.
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

        if (input.TimeZone is null)
            return new(EditOutcome.Saved, validation);
        validation.Required("timeZone", input.TimeZone, Workspace.TimeZoneMaxLength);
        var zone = validation.IsValid ? WorkspaceZones.Find(input.TimeZone) : null;
        if (validation.IsValid && zone is null)
            validation.Add("timeZone", "UnknownTimeZone",
                $"'timeZone' must be an IANA time zone id such as 'Asia/Shanghai' or 'Europe/Berlin' (got '{input.TimeZone}').", input.TimeZone);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, validation);

        if (ws.TimeZone == zone!.Id)
            return new(EditOutcome.Saved, validation);
        var before = ws.TimeZone;
        ws.TimeZone = zone.Id;
        db.AddAuditNote(nameof(Workspace), ws.Id, "updated",
            new Dictionary<string, object?> { [nameof(Workspace.TimeZone)] = before },
            new Dictionary<string, object?> { [nameof(Workspace.TimeZone)] = zone.Id });
        await db.SaveChangesAsync(ct);
        zones.Forget(ws.Id);
        return new(EditOutcome.Saved, validation);
    }
}
