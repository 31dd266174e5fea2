using Shequn.Data;

namespace Shequn.Platform.Exports;

/// <summary>
/// Every export leaves an audit row (docs/security.md, "Exports"): who (the acting staff member), which workspace,
/// which export with its filter and size, and when (the row's time). Reading changes nothing, but who took which data
/// out of the system is what an owner asks after a leak.
/// </summary>
public static class ExportAudit
{
    public const string Action = "exported";

    /// <summary>Adds the row and saves it; <paramref name="export"/> is the audit entity type (MemberList, ModerationLog…),
    /// <paramref name="subject"/> what was exported (the workspace for a list, the campaign for its chain).</summary>
    public static async Task RecordAsync(AppDbContext db, string export, Guid subject, string format, int rows,
        IReadOnlyDictionary<string, object?>? details, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var after = new Dictionary<string, object?>(StringComparer.Ordinal) { ["format"] = format, ["rows"] = rows };
        foreach (var (key, value) in details ?? new Dictionary<string, object?>())
        {
            // Only the filters that were used: an empty one says nothing.
            if (value is not null && (value is not string s || s.Length > 0))
                after[key] = value;
        }
        db.AddAuditNote(export, subject, Action, null, after);
        await db.SaveChangesAsync(ct);
    }
}
