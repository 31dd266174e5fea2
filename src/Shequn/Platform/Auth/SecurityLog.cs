using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Shequn.Connectors.Telegram;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Audit;
using Shequn.Features.Profiles;
using Shequn.Features.Staff;

namespace Shequn.Platform.Auth;

/// <summary>What a security event is (docs/security.md, "Secrets and the security log").</summary>
public static class SecurityEvents
{
    // Audit actions of their own: rows written for these events alone (the change tracker sees no entity change).
    public const string SignedIn = "signed-in";
    public const string SignInFailed = "sign-in-failed";
    public const string LockedOut = "locked-out";
    public const string SecretSet = "secret-set";

    // Events read off the rows other code writes.
    public const string RoleChanged = "role-changed";
    public const string Deactivated = "deactivated";
    public const string Reactivated = "reactivated";
    public const string StaffAdded = "staff-added";
    public const string TokenCreated = "token-created";
    public const string TokenRevoked = "token-revoked";
    public const string TokenDeleted = "token-deleted";
    public const string Exported = "exported";
    public const string Erased = "erased";
    public const string Revealed = "revealed";
    /// <summary>A consent withdrawn: by the member through their link (actor <c>member</c>) or recorded by staff (<c>Via</c> says which).</summary>
    public const string ConsentWithdrawn = "consent-withdrawn";
    public const string PurgeRequested = "purge-requested";
    public const string PurgeCancelled = "purge-cancelled";
    public const string Purged = "workspace-purged";

    /// <summary>The audit actions the security log adds, for the audit page's labels and filter.</summary>
    public static readonly string[] AuditActions = [SignedIn, SignInFailed, LockedOut, SecretSet, PurgeRequested, PurgeCancelled];
}

/// <summary>
/// The security log: sign-ins and their failures, lockouts, role changes and deactivations, API tokens made and revoked,
/// exports, connector secrets set, reveals of masked fields, withdrawals of consent and erasures. Each is an audit row (shown on the audit page;
/// in the same transaction as the change it records) and, once saved, one line in the log category
/// <c>Shequn.Security</c> with the actor, the workspace, the time (the app's <see cref="TimeProvider"/>), the client
/// address when known and the subject. In the line, e-mail addresses and phone numbers are masked
/// (<c>a***@example.com</c>, <c>138****5678</c>) and control characters in anyone's text are escaped (<c>\n</c>), so a
/// crafted name cannot forge a line. Secrets never reach it: their columns are not audited, and a secret change is
/// recorded by the names of the fields that changed.
/// </summary>
/// <remarks>
/// It is an EF interceptor, so the events that other code already records (the staff editor's role change, a token's
/// row, <c>ExportAudit</c>, the erasure's audit note, the reveal log) reach the log without that code knowing, and
/// a connector secret changed by any path gets its row in that path's save.
/// </remarks>
public sealed partial class SecurityLog(ILoggerFactory loggers, TimeProvider time, IHttpContextAccessor http) : SaveChangesInterceptor
{
    public const string Category = "Shequn.Security";

    private const int ValueMax = 200;

    private static readonly JsonSerializerOptions Json = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Which fields of which entity hold a secret: a change is recorded by name only.
    private static readonly Dictionary<Type, (string Property, string Field)[]> SecretFields = new()
    {
        [typeof(TelegramBot)] = [(nameof(TelegramBot.ProtectedToken), "Token"), (nameof(TelegramBot.ProtectedWebhookSecret), "WebhookSecret")],
        [typeof(WeComConnection)] =
        [
            (nameof(WeComConnection.ProtectedSecret), "Secret"), (nameof(WeComConnection.ProtectedToken), "CallbackToken"),
            (nameof(WeComConnection.ProtectedAesKey), "EncodingAesKey"),
        ],
    };

    private readonly ILogger _log = loggers.CreateLogger(Category);
    private readonly ConditionalWeakTable<DbContext, List<Line>> _pending = new();

    private sealed record Line(string Kind, Guid? WorkspaceId, Guid? ActorId, string Actor, DateTime At, string? Address, string Subject, string Details);

    /// <summary>
    /// Adds the audit row of a sign-in event (<see cref="SecurityEvents.SignedIn"/>, <see cref="SecurityEvents.SignInFailed"/>,
    /// <see cref="SecurityEvents.LockedOut"/>) for a known account; it is saved, and logged, with the next SaveChanges.
    /// </summary>
    public void AddSignIn(AppDbContext db, string kind, StaffUser user, string address, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(user);
        var after = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Address"] = address };
        if (reason is not null)
            after["Reason"] = reason;
        db.AuditEntries.Add(new AuditEntry
        {
            WorkspaceId = user.WorkspaceId,
            ActorId = user.Id,
            ActorName = user.Email ?? user.UserName ?? "",
            Action = kind,
            EntityType = nameof(StaffUser),
            EntityId = user.Id.ToString(),
            After = JsonSerializer.Serialize(after, Json),
            At = time.GetUtcNow().UtcDateTime,
        });
    }

    /// <summary>A failed sign-in for an e-mail no account has: no workspace to hold a row, so the line alone, worded as any other failure.</summary>
    public void SignInFailedUnknown(string email, string address) =>
        Write(new Line(SecurityEvents.SignInFailed, null, null, email, time.GetUtcNow().UtcDateTime, address, nameof(StaffUser), ""));

    /// <summary>A workspace was purged: its audit rows went with it, so the line alone.</summary>
    public void WorkspacePurged(Guid workspaceId, int rows) =>
        Write(new Line(SecurityEvents.Purged, workspaceId, null, "system", time.GetUtcNow().UtcDateTime, null, $"Workspace {workspaceId}", $"Rows={rows}"));

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Flush(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Flush(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Drop(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return Task.CompletedTask;
    }

    public override void SaveChangesCanceled(DbContextEventData eventData) => Drop(eventData.Context);

    public override Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is not AppDbContext db)
            return;
        var lines = new List<Line>();
        var address = Address();
        var rows = new List<AuditEntry>();
        // The context's own save has just detected the changes (its workspace check): iterate without a second pass.
        var detect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        List<EntityEntry> entries;
        try
        {
            entries = [.. db.ChangeTracker.Entries()];
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detect;
        }
        foreach (var entry in entries)
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified))
                continue;
            switch (entry.Entity)
            {
                case AuditEntry row when entry.State == EntityState.Added && Kind(row) is { } kind:
                    lines.Add(new Line(kind, row.WorkspaceId, row.ActorId, row.ActorName, row.At, Detail(row.After, "Address") ?? address,
                        $"{row.EntityType} {row.EntityId}", Details(row)));
                    break;
                case PersonalDataReveal reveal when entry.State == EntityState.Added:
                    lines.Add(new Line(SecurityEvents.Revealed, reveal.WorkspaceId, reveal.StaffId, db.Current.Principal?.Identity?.Name ?? reveal.StaffName,
                        reveal.At, address, $"Member {reveal.MemberId}", "Field=" + Text(reveal.Field)));
                    break;
                case IWorkspaceOwned owned and IAudited audited when SecretFields.TryGetValue(entry.Entity.GetType(), out var fields):
                    var changed = fields.Where(f => Changed(entry, f.Property)).Select(f => f.Field).ToList();
                    if (changed.Count > 0)
                        rows.Add(SecretRow(db, owned.WorkspaceId, entry.Entity.GetType().Name, audited.Id, changed));
                    break;
            }
        }
        foreach (var row in rows)
        {
            db.AuditEntries.Add(row);
            lines.Add(new Line(row.Action, row.WorkspaceId, row.ActorId, row.ActorName, row.At, address, $"{row.EntityType} {row.EntityId}", Details(row)));
        }
        if (lines.Count > 0)
            _pending.AddOrUpdate(db, lines);
        else
            _pending.Remove(db);
    }

    private static bool Changed(EntityEntry entry, string property)
    {
        var p = entry.Property(property);
        return entry.State == EntityState.Added ? p.CurrentValue is not null : p.IsModified && !Equals(p.OriginalValue, p.CurrentValue);
    }

    private AuditEntry SecretRow(AppDbContext db, Guid workspaceId, string entityType, Guid entityId, List<string> fields) => new()
    {
        WorkspaceId = workspaceId,
        ActorId = db.Current.UserId,
        ActorName = db.Current.Principal?.Identity?.Name ?? "system",
        Action = SecurityEvents.SecretSet,
        EntityType = entityType,
        EntityId = entityId.ToString(),
        After = JsonSerializer.Serialize(new Dictionary<string, object?> { ["Fields"] = fields }, Json),
        At = time.GetUtcNow().UtcDateTime,
    };

    private void Flush(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out var lines))
            return;
        _pending.Remove(context);
        foreach (var line in lines)
            Write(line);
    }

    private void Drop(DbContext? context)
    {
        if (context is not null)
            _pending.Remove(context);
    }

    private void Write(Line line)
    {
        if (!_log.IsEnabled(LogLevel.Information))
            return;
        var actor = Text(line.Actor);
        var actorId = line.ActorId?.ToString() ?? "-";
        var workspace = line.WorkspaceId?.ToString() ?? "-";
        var at = line.At.ToString("O", CultureInfo.InvariantCulture);
        var address = Text(line.Address ?? "-");
        var subject = Text(line.Subject);
        LogEvent(_log, line.Kind, actor, actorId, workspace, at, address, subject, line.Details);
    }

    private string? Address()
    {
        var ctx = http.HttpContext;
        return ctx is null ? null : AccessLimits.Address(ctx);
    }

    /// <summary>The security event an audit row is, or null when it is none.</summary>
    public static string? Kind(AuditEntry row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (SecurityEvents.AuditActions.Contains(row.Action) || row.Action is SecurityEvents.Exported or SecurityEvents.Erased or SecurityEvents.ConsentWithdrawn)
            return row.Action;
        return (row.EntityType, row.Action) switch
        {
            (nameof(ApiToken), "created") => SecurityEvents.TokenCreated,
            (nameof(ApiToken), "deleted") => SecurityEvents.TokenDeleted,
            (nameof(ApiToken), "updated") when Detail(row.After, nameof(ApiToken.RevokedAt)) is not null => SecurityEvents.TokenRevoked,
            (nameof(StaffUser), "created") => SecurityEvents.StaffAdded,
            (nameof(StaffUser), "updated") when Detail(row.After, nameof(StaffUser.IsActive)) == "false" => SecurityEvents.Deactivated,
            (nameof(StaffUser), "updated") when Detail(row.After, nameof(StaffUser.IsActive)) == "true" => SecurityEvents.Reactivated,
            (nameof(StaffUser), "updated") when Detail(row.After, nameof(StaffUser.Role)) is not null => SecurityEvents.RoleChanged,
            _ => null,
        };
    }

    private static string? Detail(string? json, string field)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();
    }

    /// <summary>The row's changes as <c>Field=before→after</c>, masked and escaped (the address has a place of its own).</summary>
    private static string Details(AuditEntry row) =>
        string.Join(" ", AuditChange.Between(row.Before, row.After).Where(c => c.Field != "Address").Select(c =>
            c.Field + "=" + (c.Before is null ? "" : Text(Clip(AuditChange.Display(c.Before))) + "→") + Text(Clip(AuditChange.Display(c.After)))));

    private static string Clip(string s) => s.Length <= ValueMax ? s : s[..ValueMax] + "…";

    /// <summary>Anyone's text as the log line shows it: e-mails and phone numbers masked, then control characters escaped.</summary>
    public static string Text(string? value) => Escape(Mask(value ?? ""));

    /// <summary><c>alice@example.com</c> → <c>a***@example.com</c>; a run of 7 or more digits keeps its first 3 and last 4 (<c>138****5678</c>), or 2 and 2 when shorter than 11.</summary>
    public static string Mask(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value = EmailPattern().Replace(value, m => m.Groups["local"].Value[..1] + "***@" + m.Groups["domain"].Value);
        return DigitsPattern().Replace(value, m =>
        {
            var d = m.Value;
            return d.Length >= 11 ? d[..3] + "****" + d[^4..] : d[..2] + "****" + d[^2..];
        });
    }

    /// <summary>Backslash, control characters and line separators as escapes (<c>\n</c>, <c>\u0007</c>): one event, one line.</summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        StringBuilder? sb = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var escaped = c switch
            {
                '\\' => @"\\",
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085' => $"\\u{(int)c:x4}",
                _ => null,
            };
            if (escaped is null)
            {
                sb?.Append(c);
                continue;
            }
            sb ??= new StringBuilder(value, 0, i, value.Length + 16);
            sb.Append(escaped);
        }
        return sb?.ToString() ?? value;
    }

    [GeneratedRegex(@"(?<local>[^\s@""<>()\[\],;:]+)@(?<domain>[A-Za-z0-9.-]+\.[A-Za-z]{2,})")]
    private static partial Regex EmailPattern();

    // Not inside ids: a digit run touching letters, digits or hyphens (a GUID's group) is left alone.
    [GeneratedRegex(@"(?<![\w-])\d{7,}(?![\w-])")]
    private static partial Regex DigitsPattern();

    [LoggerMessage(EventId = 9100, Level = LogLevel.Information,
        Message = "Security event {Kind}: actor {Actor} ({ActorId}), workspace {WorkspaceId}, at {At}, from {Address}, subject {Subject}; {Details}")]
    private static partial void LogEvent(ILogger logger, string kind, string actor, string actorId, string workspaceId, string at, string address, string subject, string details);
}
