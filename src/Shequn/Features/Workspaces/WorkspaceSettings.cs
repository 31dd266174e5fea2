using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Advisor;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Workspaces;

/// <summary>
/// The workspace as the API and the console show it; <c>Now</c> is the current time in its zone; <c>language</c> is
/// what Shequn writes to members in where no script gives the words (<c>zh-CN</c> or <c>en</c>).
/// </summary>
/// <c>keepMessageTextDays</c> is the retention of members' raw words (null: kept); <c>purge</c> a pending purge, if asked;
/// <c>advisor</c> the numbers the advisor's rules use.
public sealed record WorkspaceDto(Guid Id, string Name, string TimeZone, DateTimeOffset Now, DateTime CreatedAt, LifecycleThresholds Lifecycle, string Language,
    int? KeepMessageTextDays = null, WorkspacePurgeDto? Purge = null, AdvisorThresholds? Advisor = null);

/// <summary>What to change; a field left out stays as it is.
/// <c>keepMessageTextDays</c>: 0 keeps message text (no retention), 1–3650 clears it after that many days.
/// <c>advisor</c>: all six of the advisor's numbers (<see cref="AdvisorThresholds"/>).</summary>
public sealed record WorkspaceInput(string? TimeZone, LifecycleThresholds? Lifecycle = null, string? Language = null, int? KeepMessageTextDays = null,
    AdvisorThresholds? Advisor = null);

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
        return new WorkspaceDto(ws.Id, ws.Name, zone.Id, TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone), ws.CreatedAt, LifecycleThresholds.Of(ws),
            Cultures.Normalize(ws.Language), ws.KeepMessageTextDays is > 0 ? ws.KeepMessageTextDays : null,
            ws.PurgeRequestedAt is { } asked && ws.PurgeDueAt is { } due ? new WorkspacePurgeDto(asked, due) : null, AdvisorThresholds.Of(ws));
    }

    /// <summary>
    /// The language Shequn words member-facing texts in for <paramref name="workspaceId"/> (see <see cref="Workspace.Language"/>).
    /// Works outside a staff request: workspaces are not filtered.
    /// </summary>
    public static async Task<string> LanguageAsync(AppDbContext db, Guid workspaceId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Cultures.Normalize(await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.Language).SingleOrDefaultAsync(ct));
    }

    /// <summary>The workspace language a request names: <c>zh-CN</c> (or <c>zh</c>) or <c>en</c>, in any case; null otherwise.</summary>
    public static string? ParseLanguage(string? text)
    {
        var t = text?.Trim();
        if (string.Equals(t, "zh", StringComparison.OrdinalIgnoreCase))
            return Cultures.Default;
        return Cultures.Supported.FirstOrDefault(c => string.Equals(c, t, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Sets the time zone, the lifecycle thresholds, the advisor's numbers and the members' language. Days already counted keep their buckets; events processed from
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
        input.Advisor?.Validate(validation, "advisor");
        var language = input.Language is null ? null : ParseLanguage(input.Language);
        if (input.Language is not null && language is null)
            validation.Add("language", "UnknownLanguage", $"'language' must be 'zh-CN' or 'en' (got '{input.Language}').", input.Language);
        if (input.KeepMessageTextDays is < 0 or > Workspace.KeepMessageTextMaxDays)
            validation.Add("keepMessageTextDays", "KeepMessageTextDaysRange",
                $"'keepMessageTextDays' must be 0 (keep) or 1–{Workspace.KeepMessageTextMaxDays} days (got {input.KeepMessageTextDays}).",
                Workspace.KeepMessageTextMaxDays, input.KeepMessageTextDays);
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
        if (input.Advisor is { } advisor && advisor != AdvisorThresholds.Of(ws))
        {
            before["Advisor"] = AdvisorThresholds.Of(ws);
            advisor.ApplyTo(ws);
            after["Advisor"] = advisor;
        }
        if (language is not null && Cultures.Normalize(ws.Language) != language)
        {
            before[nameof(Workspace.Language)] = ws.Language;
            after[nameof(Workspace.Language)] = ws.Language = language;
        }
        var keep = input.KeepMessageTextDays is 0 ? null : input.KeepMessageTextDays;
        if (input.KeepMessageTextDays is not null && keep != (ws.KeepMessageTextDays is > 0 ? ws.KeepMessageTextDays : null))
        {
            before[nameof(Workspace.KeepMessageTextDays)] = ws.KeepMessageTextDays;
            after[nameof(Workspace.KeepMessageTextDays)] = ws.KeepMessageTextDays = keep;
        }
        if (after.Count == 0)
            return new(EditOutcome.Saved, validation);
        db.AddAuditNote(nameof(Workspace), ws.Id, "updated", before, after);
        await db.SaveChangesAsync(ct);
        zones.Forget(ws.Id);
        return new(EditOutcome.Saved, validation);
    }
}
