using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Feedback;
using Shequn.Features.Moderation;
using Shequn.Features.Responses;
using Shequn.Features.Tasks;

namespace Shequn.Features.Workspaces;

public sealed class RetentionOptions
{
    public bool Enabled { get; set; } = true;

    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows per claimed batch (one short transaction each).</summary>
    public int BatchSize { get; set; } = 2_000;
}

/// <summary>What one pass cleared, per kind of row.</summary>
public sealed record RetentionPass(int Events, int Cases, int Questions, int InteractionMessages, int Labels, int RawUpdates,
    int Tickets, int Tasks)
{
    public static readonly RetentionPass None = new(0, 0, 0, 0, 0, 0, 0, 0);

    public int Total => Events + Cases + Questions + InteractionMessages + Labels + RawUpdates + Tickets + Tasks;

    public static RetentionPass operator +(RetentionPass a, RetentionPass b) => new(a.Events + b.Events, a.Cases + b.Cases,
        a.Questions + b.Questions, a.InteractionMessages + b.InteractionMessages, a.Labels + b.Labels, a.RawUpdates + b.RawUpdates,
        a.Tickets + b.Tickets, a.Tasks + b.Tasks);
}

/// <summary>
/// The retention policy (<see cref="Workspace.KeepMessageTextDays"/>): members' raw words older than the workspace's
/// limit are cleared — the event log's <see cref="CommunityEvent.Text"/>, <see cref="CommunityEvent.MediaId"/> and
/// <see cref="CommunityEvent.ForwardedFrom"/> of message-like events, moderation cases' and member questions' texts, the
/// texts of feedback tickets and the quoted messages of staff tasks once they have been closed that long — and the rows
/// that exist only to hold them (the interaction graph's message ids, labelled training messages, raw Telegram updates)
/// are deleted. Counts, times, kinds, senders' pseudonymous ids and every stored figure stay, so the analytics
/// read the same before and after.
/// </summary>
/// <remarks>
/// Only events both the processor and the image inspector have passed are touched, so nothing is cleared before it was
/// counted or inspected. Each batch is a short transaction that claims its rows first: on PostgreSQL with
/// <c>FOR UPDATE SKIP LOCKED</c>, so two nodes take disjoint batches; the update re-checks the condition, so a row is
/// cleared (and counted) by exactly one node and a second pass finds nothing to do.
/// </remarks>
public sealed partial class MessageRetention(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, TimeProvider time, ILogger<MessageRetention> log)
    : BackgroundService
{
    /// <summary>Event kinds whose text (or media) is a member's words; a rename's title or a restriction's end is not.</summary>
    public static readonly EventKind[] ScrubbedKinds =
        [EventKind.MessagePosted, EventKind.MessageEdited, EventKind.JoinRequested, EventKind.MessageInspected, EventKind.PlatformNotice];

    private int BatchSize => options.Value.BatchSize;

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

    /// <summary>One pass over every workspace with a retention limit; returns what this node cleared.</summary>
    public async Task<RetentionPass> RunOnceAsync(CancellationToken ct)
    {
        List<(Guid Id, int Days)> workspaces;
        long limit;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            workspaces = [.. (await db.Workspaces.AsNoTracking().Where(w => w.KeepMessageTextDays > 0 && w.PurgeDueAt == null)
                .Select(w => new { w.Id, w.KeepMessageTextDays }).ToListAsync(ct)).Select(w => (w.Id, w.KeepMessageTextDays!.Value))];
            string[] readers = [EventProcessor.CheckpointName, Images.ImageInspector.CheckpointName];
            limit = await db.Set<EventCheckpoint>().AsNoTracking().Where(c => readers.Contains(c.Name)).Select(c => (long?)c.Seq).MinAsync(ct) ?? 0;
        }
        var total = RetentionPass.None;
        foreach (var (id, days) in workspaces)
        {
            var pass = await RunWorkspaceAsync(id, time.GetUtcNow().UtcDateTime.AddDays(-days), limit, ct);
            if (pass.Total > 0)
            {
                LogCleared(log, id, days, pass.Events, pass.Cases, pass.Questions, pass.Tickets, pass.Tasks, pass.InteractionMessages, pass.Labels,
                    pass.RawUpdates);
            }
            total += pass;
        }
        return total;
    }

    private async Task<RetentionPass> RunWorkspaceAsync(Guid ws, DateTime before, long limit, CancellationToken ct)
    {
        var kinds = ScrubbedKinds;
        var kindList = string.Join(", ", kinds.Select(k => (int)k));
        var events = await BatchesAsync<long>(
            db => db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws && e.OccurredAt < before && e.Seq <= limit && kinds.Contains(e.Kind)
                && (e.Text != null || e.MediaId != null || e.ForwardedFrom != null)).OrderBy(e => e.Seq).Select(e => e.Seq),
            $$"""
            SELECT "Seq" AS "Value" FROM "CommunityEvents" WHERE "WorkspaceId" = {0} AND "OccurredAt" < {1} AND "Seq" <= {2}
                AND "Kind" IN ({{kindList}}) AND ("Text" IS NOT NULL OR "MediaId" IS NOT NULL OR "ForwardedFrom" IS NOT NULL)
                ORDER BY "Seq" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED
            """, [ws, EventTime.ToUnixMs(before), limit],
            (db, ids) => db.Set<CommunityEvent>().Where(e => ids.Contains(e.Seq) && e.OccurredAt < before && (e.Text != null || e.MediaId != null || e.ForwardedFrom != null))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Text, (string?)null).SetProperty(e => e.MediaId, (string?)null).SetProperty(e => e.ForwardedFrom, (string?)null), ct),
            ct);
        var cases = await BatchesAsync<Guid>(
            db => db.Set<ModerationCase>().IgnoreQueryFilters().Where(c => c.WorkspaceId == ws && c.OccurredAt < before && c.Text != null)
                .OrderBy(c => c.OccurredAt).Select(c => c.Id),
            $$"""
            SELECT "Id" AS "Value" FROM "ModerationCases" WHERE "WorkspaceId" = {0} AND "OccurredAt" < {1} AND "Text" IS NOT NULL
                ORDER BY "OccurredAt" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED
            """, [ws, before],
            (db, ids) => db.Set<ModerationCase>().IgnoreQueryFilters().Where(c => ids.Contains(c.Id) && c.Text != null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Text, (string?)null), ct),
            ct);
        var questions = await BatchesAsync<Guid>(
            db => db.Set<MemberQuestion>().IgnoreQueryFilters().Where(q => q.WorkspaceId == ws && q.AskedAt < before && q.Text != "")
                .OrderBy(q => q.AskedAt).Select(q => q.Id),
            $$"""
            SELECT "Id" AS "Value" FROM "MemberQuestions" WHERE "WorkspaceId" = {0} AND "AskedAt" < {1} AND "Text" <> ''
                ORDER BY "AskedAt" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED
            """, [ws, before],
            (db, ids) => db.Set<MemberQuestion>().IgnoreQueryFilters().Where(q => ids.Contains(q.Id) && q.Text != "")
                .ExecuteUpdateAsync(s => s.SetProperty(q => q.Text, ""), ct),
            ct);
        var labels = await BatchesAsync<Guid>(
            db => db.Set<LabelledMessage>().IgnoreQueryFilters().Where(l => l.WorkspaceId == ws && l.CreatedAt < before).OrderBy(l => l.CreatedAt).Select(l => l.Id),
            $$"""
            SELECT "Id" AS "Value" FROM "LabelledMessage" WHERE "WorkspaceId" = {0} AND "CreatedAt" < {1}
                ORDER BY "CreatedAt" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED
            """, [ws, before],
            (db, ids) => db.Set<LabelledMessage>().IgnoreQueryFilters().Where(l => ids.Contains(l.Id)).ExecuteDeleteAsync(ct),
            ct);
        var raw = await BatchesAsync<long>(
            db => db.Set<Connectors.Telegram.TelegramRawUpdate>().IgnoreQueryFilters().Where(r => r.WorkspaceId == ws && r.ReceivedAt < before)
                .OrderBy(r => r.Id).Select(r => r.Id),
            $$"""
            SELECT "Id" AS "Value" FROM "TelegramRawUpdates" WHERE "WorkspaceId" = {0} AND "ReceivedAt" < {1}
                ORDER BY "Id" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED
            """, [ws, before],
            (db, ids) => db.Set<Connectors.Telegram.TelegramRawUpdate>().IgnoreQueryFilters().Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct),
            ct);
        // A ticket or a task is work in hand until it is closed: its words go once it has been closed for the period.
        var tickets = await BatchesAsync<Guid>(
            db => db.Set<FeedbackTicket>().IgnoreQueryFilters().Where(t => t.WorkspaceId == ws && t.ClosedAt < before && t.Text != "")
                .OrderBy(t => t.ClosedAt).Select(t => t.Id),
            $$"""
            SELECT "Id" AS "Value" FROM "FeedbackTickets" WHERE "WorkspaceId" = {0} AND "ClosedAt" < {1} AND "Text" <> ''
                ORDER BY "ClosedAt" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED
            """, [ws, before],
            (db, ids) => db.Set<FeedbackTicket>().IgnoreQueryFilters().Where(t => ids.Contains(t.Id) && t.ClosedAt < before && t.Text != "")
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Text, ""), ct),
            ct);
        var tasks = await BatchesAsync<Guid>(
            db => db.Set<StaffTask>().IgnoreQueryFilters().Where(t => t.WorkspaceId == ws && t.ClosedAt < before && t.Context != null)
                .OrderBy(t => t.ClosedAt).Select(t => t.Id),
            $$"""
            SELECT "Id" AS "Value" FROM "StaffTasks" WHERE "WorkspaceId" = {0} AND "ClosedAt" < {1} AND "Context" IS NOT NULL
                ORDER BY "ClosedAt" LIMIT {{BatchSize}} FOR UPDATE SKIP LOCKED
            """, [ws, before],
            (db, ids) => db.Set<StaffTask>().IgnoreQueryFilters().Where(t => ids.Contains(t.Id) && t.ClosedAt < before && t.Context != null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Context, (string?)null), ct),
            ct);
        var messages = await InteractionPrune.ForgetAsync(scopes, before, ws, ct);
        return new RetentionPass(events, cases, questions, messages, labels, raw, tickets, tasks);
    }

    /// <summary>
    /// Claims batches of keys (PostgreSQL: <paramref name="claimSql"/> with <c>FOR UPDATE SKIP LOCKED</c>; SQLite, one
    /// writer: <paramref name="candidates"/>) and applies <paramref name="apply"/> to each in its transaction, until a
    /// batch comes back short. Returns the rows changed.
    /// </summary>
    private async Task<int> BatchesAsync<TKey>(Func<AppDbContext, IQueryable<TKey>> candidates, string claimSql, object[] args,
        Func<AppDbContext, List<TKey>, Task<int>> apply, CancellationToken ct)
    {
        var changed = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var ids = db.Database.IsNpgsql()
                ? await db.Database.SqlQueryRaw<TKey>(claimSql, args).ToListAsync(ct)
                : await candidates(db).Take(BatchSize).ToListAsync(ct);
            if (ids.Count > 0)
                changed += await apply(db, ids);
            await tx.CommitAsync(ct);
            // A short batch: nothing old is left, or the rest is another node's claim (which it clears).
            if (ids.Count < BatchSize)
                return changed;
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Retention for workspace {WorkspaceId} ({Days} days): cleared {Events} events, {Cases} cases, {Questions} questions, {Tickets} tickets, {Tasks} tasks; deleted {Messages} message ids, {Labels} labels, {RawUpdates} raw updates")]
    private static partial void LogCleared(ILogger logger, Guid workspaceId, int days, int events, int cases, int questions, int tickets, int tasks,
        int messages, int labels, int rawUpdates);

    [LoggerMessage(Level = LogLevel.Error, Message = "A retention pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
