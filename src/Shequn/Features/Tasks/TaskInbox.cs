using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Tasks;

/// <summary>Whose tasks a list shows.</summary>
public enum TaskScope
{
    /// <summary>Assigned to me.</summary>
    Mine = 0,
    /// <summary>In the communities I am on the staff of, whoever has them.</summary>
    MyCommunities = 1,
    /// <summary>Everything I may see (the owner: the whole workspace; anyone else: the same as my communities).</summary>
    All = 2,
}

/// <param name="Overdue">Open and past its due time, as of the answer.</param>
public sealed record TaskDto(
    Guid Id,
    Guid CommunityId,
    string CommunityName,
    ChatPlatform Platform,
    Guid ActionId,
    ActionKind Kind,
    string Text,
    string? Context,
    CommunityRole? AssignedRole,
    Guid AssignedStaffId,
    string? AssignedStaffName,
    DateTime DueAt,
    bool Overdue,
    StaffTaskStatus Status,
    string? Note,
    Guid? ClosedById,
    string? ClosedByName,
    DateTime? ClosedAt,
    DateTime CreatedAt);

public sealed record TaskCloseInput(string? Note);

public enum TaskCloseOutcome
{
    Closed,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>Someone closed it already (see <see cref="TaskCloseResult.Task"/> for who and how).</summary>
    AlreadyClosed,
}

public sealed record TaskCloseResult(TaskCloseOutcome Outcome, Validation Validation, TaskDto? Task = null);

public sealed record TaskFilter(TaskScope Scope = TaskScope.All, StaffTaskStatus? Status = null, bool? Overdue = null, Guid? CommunityId = null);

/// <summary>
/// The task inbox for the console and the API with the same rules: staff see the tasks of the communities they see
/// (the owner all); KOCs have none. Anyone who sees an open task except a KOC may close it: done, or could not with a
/// note. Closing settles the action it came from (done by staff, or failed with the note) in the same audited save.
/// </summary>
public sealed class TaskInbox(AppDbContext db, TimeProvider time)
{
    public const string KocRefusal = "KOCs have no tasks: tasks go to the community's sub-owners, admins and operators.";

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    public static bool MayUse(StaffProfile? me) => me is not null && me.CanEditCommunities;

    /// <summary>The tasks <paramref name="me"/> may see: those of the communities she sees.</summary>
    public IQueryable<StaffTask> Visible(StaffProfile me)
    {
        var tasks = db.Set<StaffTask>().AsNoTracking();
        return me.SeesAllCommunities ? tasks : tasks.Where(t => db.Visible(me).Any(c => c.Id == t.CommunityId));
    }

    public async Task<Page<TaskDto>?> ListAsync(TaskFilter filter, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayUse(me))
            return null;
        var now = Now;
        var query = Visible(me!);
        var assigned = me!.AssignedCommunityIds.ToList();
        query = filter.Scope switch
        {
            TaskScope.Mine => query.Where(t => t.AssignedStaffId == me.Id),
            TaskScope.MyCommunities => query.Where(t => assigned.Contains(t.CommunityId)),
            _ => query,
        };
        if (filter.Status is { } status)
            query = query.Where(t => t.Status == status);
        if (filter.Overdue is { } overdue)
            query = overdue
                ? query.Where(t => t.Status == StaffTaskStatus.Open && t.DueAt < now)
                : query.Where(t => !(t.Status == StaffTaskStatus.Open && t.DueAt < now));
        if (filter.CommunityId is { } community)
            query = query.Where(t => t.CommunityId == community);
        // Open first, soonest due first; then the most recently closed.
        var rows = await query.OrderBy(t => t.Status == StaffTaskStatus.Open ? 0 : 1).ThenBy(t => t.Status == StaffTaskStatus.Open ? t.DueAt : DateTime.MaxValue)
            .ThenByDescending(t => t.ClosedAt).ThenBy(t => t.Id).ToPageAsync(page, pageSize, ct);
        return new Page<TaskDto>(await DtosAsync(rows.Items, now, ct), rows.Total, rows.PageNumber, rows.PageSize);
    }

    /// <summary>Open tasks assigned to the acting staff member (the nav badge), and how many of them are overdue.</summary>
    public async Task<(int Open, int Overdue)> CountMineAsync(CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayUse(me))
            return (0, 0);
        var now = Now;
        var due = await Visible(me!).Where(t => t.AssignedStaffId == me!.Id && t.Status == StaffTaskStatus.Open).Select(t => t.DueAt).ToListAsync(ct);
        return (due.Count, due.Count(d => d < now));
    }

    /// <returns>The task, or null when it does not exist or is not visible (a KOC sees none).</returns>
    public async Task<TaskDto?> GetAsync(Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayUse(me))
            return null;
        var task = await Visible(me!).SingleOrDefaultAsync(t => t.Id == id, ct);
        return task is null ? null : (await DtosAsync([task], Now, ct))[0];
    }

    public async Task<TaskCloseResult> CloseAsync(Guid id, StaffTaskStatus outcome, string? note, CancellationToken ct)
    {
        if (outcome == StaffTaskStatus.Open)
            throw new ArgumentOutOfRangeException(nameof(outcome), "A task is closed as done or could-not.");
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new TaskCloseResult(TaskCloseOutcome.NotFound, new Validation());
        var task = await db.Set<StaffTask>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (task is null || !me.Sees(task.CommunityId))
            return new TaskCloseResult(TaskCloseOutcome.NotFound, new Validation());
        if (!MayUse(me))
            return new TaskCloseResult(TaskCloseOutcome.Forbidden, new Validation());

        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var validation = new Validation();
        if (outcome == StaffTaskStatus.CouldNot)
            validation.Required("note", note, StaffTask.NoteMaxLength);
        else
            validation.MaxLength("note", note, StaffTask.NoteMaxLength);
        if (!validation.IsValid)
            return new TaskCloseResult(TaskCloseOutcome.Invalid, validation);
        if (task.Status != StaffTaskStatus.Open)
            return new TaskCloseResult(TaskCloseOutcome.AlreadyClosed, validation, (await DtosAsync([task], Now, ct))[0]);

        var now = Now;
        task.Status = outcome;
        task.Note = note;
        task.ClosedById = me.Id;
        task.ClosedAt = now;
        var action = await db.Set<OutboundAction>().SingleOrDefaultAsync(a => a.Id == task.ActionId, ct);
        if (action is { Status: ActionStatus.Task })
        {
            action.Status = outcome == StaffTaskStatus.Done ? ActionStatus.Done : ActionStatus.Failed;
            action.ErrorCategory = outcome == StaffTaskStatus.Done ? null : ErrorCategory.Permanent;
            var reason = outcome == StaffTaskStatus.Done ? null : new Platform.Api.Reason("ActionError.StaffCouldNot", "Staff could not do it by hand: " + note, note ?? "");
            action.Error = reason is null ? null : Events.EventEffects.Clip(reason.English, OutboundAction.ErrorMaxLength);
            action.ErrorReason = ActionError.Store(reason);
            action.CompletedAt = now;
            action.UpdatedAt = now;
        }
        try
        {
            await db.SaveChangesAsync(ct); // the task's and the action's audit rows join this save
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone else closed it between our read and our write.
            db.ChangeTracker.Clear();
            var closed = await db.Set<StaffTask>().AsNoTracking().SingleAsync(t => t.Id == id, ct);
            return new TaskCloseResult(TaskCloseOutcome.AlreadyClosed, validation, (await DtosAsync([closed], Now, ct))[0]);
        }
        return new TaskCloseResult(TaskCloseOutcome.Closed, validation, (await DtosAsync([task], now, ct))[0]);
    }

    private async Task<List<TaskDto>> DtosAsync(IReadOnlyList<StaffTask> tasks, DateTime now, CancellationToken ct)
    {
        var communityIds = tasks.Select(t => t.CommunityId).Distinct().ToList();
        var communities = await db.Communities.AsNoTracking().Where(c => communityIds.Contains(c.Id))
            .Select(c => new { c.Id, c.Name, c.Platform }).ToDictionaryAsync(c => c.Id, ct);
        var staffIds = tasks.Select(t => t.AssignedStaffId).Concat(tasks.Where(t => t.ClosedById is not null).Select(t => t.ClosedById!.Value)).Distinct().ToList();
        var ws = db.CurrentWorkspaceId;
        var names = await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && staffIds.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        return [.. tasks.Select(t => new TaskDto(
            t.Id, t.CommunityId, communities[t.CommunityId].Name, communities[t.CommunityId].Platform, t.ActionId, t.Kind, t.Text, t.Context,
            t.AssignedRole, t.AssignedStaffId, names.GetValueOrDefault(t.AssignedStaffId), t.DueAt, t.IsOverdue(now), t.Status, t.Note,
            t.ClosedById, t.ClosedById is { } c ? names.GetValueOrDefault(c) : null, t.ClosedAt, t.CreatedAt))];
    }
}
