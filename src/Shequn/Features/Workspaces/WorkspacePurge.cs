using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Workspaces;

public sealed class PurgeOptions
{
    /// <summary>How long after the owner asks the workspace is deleted; she can cancel until then.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromDays(7);

    public bool Enabled { get; set; } = true;

    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    public int BatchSize { get; set; } = 2_000;

    /// <summary>
    /// How long after a purge began its workspace row is kept, so that rows written late (an event accepted by a node whose
    /// bot directory had not yet forgotten the bot, a job's pass that read the workspace before) are swept too. Longer
    /// than the directories' 30 s; the pass after it deletes the row once a sweep finds nothing.
    /// </summary>
    public TimeSpan Settle { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>A purge asked for: when it was asked and when the job deletes the workspace.</summary>
public sealed record WorkspacePurgeDto(DateTime RequestedAt, DateTime DueAt);

/// <summary>The owner's confirmation: the workspace's name, typed.</summary>
public sealed record WorkspacePurgeInput(string? ConfirmName);

public sealed record WorkspacePurgeResult(EditOutcome Outcome, Validation Validation, WorkspacePurgeDto? Purge = null);

/// <summary>
/// Offboarding: the owner asks for her workspace to be purged (typing its name), may cancel during the grace period
/// (<see cref="PurgeOptions.Grace"/>), and then <see cref="WorkspacePurgeJob"/> deletes every row of the workspace. Asking
/// and cancelling are audited and are security events.
/// </summary>
public sealed class WorkspacePurge(AppDbContext db, IOptions<PurgeOptions> options, TimeProvider time)
{
    public async Task<WorkspacePurgeResult> RequestAsync(WorkspacePurgeInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var (outcome, ws) = await OwnWorkspaceAsync(ct);
        if (ws is null)
            return new(outcome, validation);
        if (!string.Equals(input.ConfirmName?.Trim(), ws.Name.Trim(), StringComparison.Ordinal))
        {
            validation.Add("confirmName", "PurgeNameMismatch", "'confirmName' must be the workspace's name, typed exactly.");
            return new(EditOutcome.Invalid, validation);
        }
        if (ws.PurgeRequestedAt is { } asked && ws.PurgeDueAt is { } due)
            return new(EditOutcome.Saved, validation, new(asked, due));
        var now = time.GetUtcNow().UtcDateTime;
        ws.PurgeRequestedAt = now;
        ws.PurgeDueAt = now + options.Value.Grace;
        db.AddAuditNote(nameof(Workspace), ws.Id, SecurityEvents.PurgeRequested, null,
            new Dictionary<string, object?> { [nameof(Workspace.PurgeDueAt)] = ws.PurgeDueAt });
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, validation, new(now, ws.PurgeDueAt.Value));
    }

    /// <summary>Cancels an asked purge; NotFound when none is pending (or it is already under way).</summary>
    public async Task<WorkspacePurgeResult> CancelAsync(CancellationToken ct = default)
    {
        var validation = new Validation();
        var (outcome, ws) = await OwnWorkspaceAsync(ct);
        if (ws is null)
            return new(outcome, validation);
        if (ws.PurgeDueAt is not { } due || due <= time.GetUtcNow().UtcDateTime)
            return new(EditOutcome.NotFound, validation);
        ws.PurgeRequestedAt = null;
        ws.PurgeDueAt = null;
        db.AddAuditNote(nameof(Workspace), ws.Id, SecurityEvents.PurgeCancelled,
            new Dictionary<string, object?> { [nameof(Workspace.PurgeDueAt)] = due }, null);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, validation);
    }

    public async Task<WorkspacePurgeDto?> ReadAsync(CancellationToken ct = default) =>
        await db.Workspaces.AsNoTracking().Where(w => w.Id == db.CurrentWorkspaceId && w.PurgeDueAt != null)
            .Select(w => new WorkspacePurgeDto(w.PurgeRequestedAt!.Value, w.PurgeDueAt!.Value)).SingleOrDefaultAsync(ct);

    private async Task<(EditOutcome Outcome, Workspace? Workspace)> OwnWorkspaceAsync(CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || me.Role != StaffRole.Owner)
            return (EditOutcome.Forbidden, null);
        var ws = await db.Workspaces.SingleOrDefaultAsync(w => w.Id == db.CurrentWorkspaceId, ct);
        return ws is null ? (EditOutcome.NotFound, null) : (EditOutcome.Saved, ws);
    }
}

/// <summary>One table of a workspace purge: how to find the workspace's rows in it (<see cref="Where"/>, with the
/// workspace id as parameter <c>@ws</c>) and its key columns.</summary>
public sealed record PurgeTable(IEntityType EntityType, string Table, IReadOnlyList<string> Key, string Where)
{
    public string Quoted => Q(Table);

    internal static string Q(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// Which tables hold a workspace's rows and in which order to delete them, derived from the EF model (never a hand
/// list): a table is the workspace's when its entity has a <c>WorkspaceId</c> (or is the <see cref="Workspace"/>
/// itself), or when a foreign key points at a table that is (Identity's user roles, claims, logins and tokens through
/// <see cref="StaffUser"/>; rows that belong to a member or a community). Dependents come before their principals, so
/// every delete satisfies the foreign keys; a self-reference is cut first by setting it null.
/// </summary>
public static class PurgePlan
{
    public const string WorkspaceIdProperty = "WorkspaceId";

    public static IReadOnlyList<PurgeTable> For(IModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var types = model.GetEntityTypes().Where(t => !t.IsOwned() && t.GetTableName() is not null && t.BaseType is null && t.FindPrimaryKey() is not null).ToList();
        var where = new Dictionary<IEntityType, string>();
        foreach (var t in types)
        {
            var id = StoreObjectIdentifier.Table(t.GetTableName()!, t.GetSchema());
            if (t.ClrType == typeof(Workspace))
                where[t] = $"{PurgeTable.Q(t.FindProperty(nameof(Workspace.Id))!.GetColumnName(id)!)} = @ws";
            else if (t.FindProperty(WorkspaceIdProperty) is { } p)
                where[t] = $"{PurgeTable.Q(p.GetColumnName(id)!)} = @ws";
        }
        // Reach the rest through foreign keys, until nothing more is found.
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var t in types.Where(t => !where.ContainsKey(t)))
            {
                var id = StoreObjectIdentifier.Table(t.GetTableName()!, t.GetSchema());
                var parts = new List<string>();
                foreach (var fk in t.GetForeignKeys().Where(fk => fk.PrincipalEntityType != t))
                {
                    var principal = Root(fk.PrincipalEntityType);
                    if (!where.TryGetValue(principal, out var pw))
                        continue;
                    var pid = StoreObjectIdentifier.Table(principal.GetTableName()!, principal.GetSchema());
                    var cols = string.Join(", ", fk.Properties.Select(p => PurgeTable.Q(p.GetColumnName(id)!)));
                    var pcols = string.Join(", ", fk.PrincipalKey.Properties.Select(p => PurgeTable.Q(p.GetColumnName(pid)!)));
                    parts.Add($"({cols}) IN (SELECT {pcols} FROM {PurgeTable.Q(principal.GetTableName()!)} WHERE {pw})");
                }
                if (parts.Count > 0)
                {
                    where[t] = string.Join(" OR ", parts);
                    changed = true;
                }
            }
        }

        // Dependents first: a table goes when no remaining table points at it.
        var left = where.Keys.ToHashSet();
        var ordered = new List<PurgeTable>();
        while (left.Count > 0)
        {
            var next = left.Where(t => !left.Any(d => d != t && d.GetForeignKeys().Any(fk => Root(fk.PrincipalEntityType) == t)))
                .OrderBy(t => t.GetTableName(), StringComparer.Ordinal).ToList();
            if (next.Count == 0)
                throw new InvalidOperationException("The purge cannot order these tables by their foreign keys (a cycle): " +
                    string.Join(", ", left.Select(t => t.GetTableName())));
            foreach (var t in next)
            {
                var id = StoreObjectIdentifier.Table(t.GetTableName()!, t.GetSchema());
                ordered.Add(new PurgeTable(t, t.GetTableName()!, [.. t.FindPrimaryKey()!.Properties.Select(p => p.GetColumnName(id)!)], where[t]));
                left.Remove(t);
            }
        }
        return ordered;
    }

    private static IEntityType Root(IEntityType t) => t.GetRootType();
}

/// <summary>
/// Deletes the workspaces whose purge is due, table by table in <see cref="PurgePlan"/>'s order and in batches. Safe on
/// two nodes at once (PostgreSQL batches are claimed with <c>FOR UPDATE SKIP LOCKED</c>; a delete that finds its rows
/// gone deletes nothing) and after a crash (the next pass starts again; the workspace row goes last, so a purge cut
/// short is found again). The connectors stop with it: the bots' and WeCom connections' rows go, and this node forgets
/// the bots at once, so their webhooks are refused.
/// </summary>
/// <remarks>
/// Writers that do not know of the purge are fenced or outlasted. The first pass sets
/// <see cref="Workspace.PurgeStartedAt"/> in the transaction that marks the processor's log as rewritten, so a batch in
/// flight commits first and every later batch passes the workspace's events unapplied. Everything else that may still
/// write (a webhook accepted on a node whose bot directory is up to 30 s behind, a job's pass that read the workspace
/// before) is swept up: the workspace row, whose absence ends the purge, goes only on a pass that starts
/// <see cref="PurgeOptions.Settle"/> after the purge began and whose second sweep finds nothing.
/// </remarks>
public sealed partial class WorkspacePurgeJob(IServiceScopeFactory scopes, IOptions<PurgeOptions> options, TimeProvider time,
    SecurityLog security, Connectors.Telegram.TelegramBotDirectory bots, Connectors.Telegram.TelegramClients telegram,
    Connectors.Telegram.TelegramSecrets telegramSecrets, ILogger<WorkspacePurgeJob> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(30), time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Purges every workspace whose grace period is over; returns the rows this node deleted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<Guid> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var now = time.GetUtcNow().UtcDateTime;
            due = await db.Workspaces.AsNoTracking().Where(w => w.PurgeDueAt != null && w.PurgeDueAt <= now).Select(w => w.Id).ToListAsync(ct);
        }
        var deleted = 0;
        foreach (var ws in due)
            deleted += await PurgeAsync(ws, ct);
        return deleted;
    }

    /// <summary>Deletes every row of <paramref name="ws"/> in every table of the model; returns the rows deleted.</summary>
    public Task<int> PurgeAsync(Guid ws, CancellationToken ct) => PurgeAsync(ws, options.Value.Settle, ct);

    /// <summary><see cref="PurgeAsync(Guid, CancellationToken)"/> with its own settle time (tests of a pass before it).</summary>
    internal async Task<int> PurgeAsync(Guid ws, TimeSpan settle, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var started = await FenceAsync(db, ws, ct);
        var telegramBots = await db.Set<Connectors.Telegram.TelegramBot>().IgnoreQueryFilters().AsNoTracking().Where(b => b.WorkspaceId == ws)
            .Select(b => new { b.BotUserId, b.Mode, b.ProtectedToken }).ToListAsync(ct);
        // Telegram stops pushing the groups' updates to a workspace that is going (a second node asking again is harmless).
        // Purged either way: if Telegram cannot be told, its later pushes find no bot and are refused.
        foreach (var bot in telegramBots.Where(b => b.Mode == Connectors.Telegram.TelegramUpdateMode.Webhook))
        {
            if (await Connectors.Telegram.TelegramConnections.TryDeleteWebhookAsync(telegram, telegramSecrets, bot.ProtectedToken, ct) is { } error)
                LogWebhookLeft(log, bot.BotUserId, error);
        }
        var pg = db.Database.IsNpgsql();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        var plan = PurgePlan.For(db.Model);
        var workspaceTable = plan.Single(t => t.EntityType.ClrType == typeof(Workspace));
        var tables = plan.Where(t => t != workspaceTable).ToList();
        var deleted = await SweepAsync(connection, tables, ws, pg, ct);
        foreach (var bot in telegramBots)
            bots.Forget(bot.BotUserId);
        // Late writes are swept until the purge has settled; then a second sweep that finds nothing lets the workspace row go.
        var settled = time.GetUtcNow().UtcDateTime - started >= settle;
        var late = settled ? await SweepAsync(connection, tables, ws, pg, ct) : 0;
        deleted += late;
        if (!settled || late > 0)
        {
            LogSettling(log, ws, deleted);
            return deleted;
        }
        deleted += await SweepAsync(connection, [workspaceTable], ws, pg, ct);
        security.WorkspacePurged(ws, deleted);
        LogPurged(log, ws, deleted);
        return deleted;
    }

    /// <summary>
    /// Marks the purge begun (once; under the processor's checkpoint lock, so a batch being applied commits first and the
    /// ones after see the mark) and returns when it began.
    /// </summary>
    private async Task<DateTime> FenceAsync(AppDbContext db, Guid ws, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await Events.EventProcessor.MarkLogRewrittenAsync(db, ct);
        await db.Workspaces.IgnoreQueryFilters().Where(w => w.Id == ws && w.PurgeStartedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.PurgeStartedAt, now), ct);
        var started = await db.Workspaces.IgnoreQueryFilters().Where(w => w.Id == ws).Select(w => w.PurgeStartedAt).SingleOrDefaultAsync(ct);
        await tx.CommitAsync(ct);
        // Gone already: another node finished it in the meantime.
        return started ?? now;
    }

    /// <summary>Deletes the workspace's rows from the tables, in order and in batches; returns the rows deleted.</summary>
    private async Task<int> SweepAsync(DbConnection connection, IEnumerable<PurgeTable> tables, Guid ws, bool pg, CancellationToken ct)
    {
        var deleted = 0;
        var batch = options.Value.BatchSize;
        foreach (var table in tables)
        {
            // Cut self-references first, so that batches can go in any order.
            foreach (var fk in table.EntityType.GetForeignKeys().Where(fk => fk.PrincipalEntityType.GetRootType() == table.EntityType && !fk.IsRequired))
            {
                var id = StoreObjectIdentifier.Table(table.Table, table.EntityType.GetSchema());
                var sets = string.Join(", ", fk.Properties.Select(p => $"{PurgeTable.Q(p.GetColumnName(id)!)} = NULL"));
                await ExecuteAsync(connection, $"UPDATE {table.Quoted} SET {sets} WHERE {table.Where}", ws, pg, ct);
            }
            var key = string.Join(", ", table.Key.Select(PurgeTable.Q));
            var sql = $"DELETE FROM {table.Quoted} WHERE ({key}) IN (SELECT {key} FROM {table.Quoted} WHERE {table.Where} LIMIT {batch}{(pg ? " FOR UPDATE SKIP LOCKED" : "")})";
            while (true)
            {
                var n = await ExecuteAsync(connection, sql, ws, pg, ct);
                deleted += n;
                if (n > 0)
                    continue;
                // Nothing this node could claim: done, unless another node's claim is still being deleted.
                if (await ExecuteScalarAsync(connection, $"SELECT COUNT(*) FROM {table.Quoted} WHERE {table.Where}", ws, pg, ct) == 0)
                    break;
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct);
            }
        }
        return deleted;
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, string sql, Guid ws, bool pg, CancellationToken ct)
    {
        await using var command = Command(connection, sql, ws, pg);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> ExecuteScalarAsync(DbConnection connection, string sql, Guid ws, bool pg, CancellationToken ct)
    {
        await using var command = Command(connection, sql, ws, pg);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A command over the plan's SQL (names from the model, never from input) with the workspace as <c>@ws</c>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities",
        Justification = "The SQL is built by PurgePlan from the EF model's table and column names; the workspace is a parameter.")]
    public static DbCommand Command(DbConnection connection, string sql, Guid ws, bool pg)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        var p = command.CreateParameter();
        p.ParameterName = "ws";
        // SQLite keeps a Guid as upper-case text (EF's mapping), PostgreSQL as uuid.
        p.Value = pg ? ws : ws.ToString().ToUpperInvariant();
        command.Parameters.Add(p);
        return command;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purged workspace {WorkspaceId}: {Rows} rows deleted")]
    private static partial void LogPurged(ILogger logger, Guid workspaceId, int rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purging workspace {WorkspaceId}: {Rows} rows deleted so far; its row stays until the purge settles")]
    private static partial void LogSettling(ILogger logger, Guid workspaceId, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purge: could not remove the webhook of Telegram bot {BotUserId} ({Error}); its pushes will be refused")]
    private static partial void LogWebhookLeft(ILogger logger, long botUserId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A workspace purge pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
