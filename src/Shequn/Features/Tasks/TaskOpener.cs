using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Localization;

namespace Shequn.Features.Tasks;

public sealed class TasksOptions
{
    /// <summary>How long staff have for a task of each kind (configuration <c>Tasks:Due:Remove</c> = <c>00:30:00</c>).</summary>
    public Dictionary<ActionKind, TimeSpan> Due { get; set; } = new()
    {
        // Bad content is removed quickly; people wait for an answer; the rest can wait for the next shift.
        [ActionKind.DeleteMessage] = TimeSpan.FromMinutes(15),
        [ActionKind.Remove] = TimeSpan.FromMinutes(30),
        [ActionKind.Ban] = TimeSpan.FromMinutes(30),
        [ActionKind.Restrict] = TimeSpan.FromMinutes(30),
        [ActionKind.Reply] = TimeSpan.FromHours(1),
        [ActionKind.Send] = TimeSpan.FromHours(1),
        [ActionKind.ApproveJoin] = TimeSpan.FromHours(2),
        [ActionKind.DeclineJoin] = TimeSpan.FromHours(2),
    };

    /// <summary>For kinds not in <see cref="Due"/> (mass sends, invite links, unbans).</summary>
    public TimeSpan DefaultDue { get; set; } = TimeSpan.FromHours(4);

    public TimeSpan DueAfter(ActionKind kind) => Due.TryGetValue(kind, out var due) ? due : DefaultDue;
}

/// <summary>
/// Who does a task by hand. Managing the group (deleting, muting, removing, banning, unbanning, join requests, invite
/// links) goes to the community's admins, then its sub-owners, then its operators; speaking in it (send, reply,
/// mass-send) to its operators, then admins, then sub-owners. KOCs never get tasks. Among the holders of the first role
/// that has any active holder, the one with the fewest open tasks gets it (then the longest assigned). A community with
/// nobody fit falls back to the workspace's owners, the same way.
/// </summary>
public static class TaskRouting
{
    private static readonly CommunityRole[] Managing = [CommunityRole.Admin, CommunityRole.SubOwner, CommunityRole.Operator];
    private static readonly CommunityRole[] Speaking = [CommunityRole.Operator, CommunityRole.Admin, CommunityRole.SubOwner];

    public static IReadOnlyList<CommunityRole> RolesFor(ActionKind kind) => OutboundAction.PostsMessage(kind) ? Speaking : Managing;

    /// <summary>Who can be given tasks: each community's active staff, the workspace's active owners, their open tasks and languages.</summary>
    internal sealed record Roster(
        ILookup<Guid, (Guid StaffUserId, CommunityRole Role, DateTime AssignedAt)> Staff,
        List<(Guid Id, DateTime CreatedAt)> Owners,
        Dictionary<Guid, int> Open,
        Dictionary<Guid, string> Cultures);

    /// <summary>The roster of one community, or (<paramref name="communityId"/> null) of all the workspace's communities in three queries.</summary>
    internal static async Task<Roster> RosterAsync(AppDbContext db, Guid workspaceId, Guid? communityId, CancellationToken ct)
    {
        var staff = await db.CommunityStaff.IgnoreQueryFilters()
            .Where(s => (communityId == null || s.CommunityId == communityId) && s.StaffUser!.IsActive && s.StaffUser.WorkspaceId == workspaceId)
            .Select(s => new { s.CommunityId, s.StaffUserId, s.Role, s.AssignedAt, s.StaffUser!.Culture }).ToListAsync(ct);
        var owners = await db.Users.IgnoreQueryFilters().Where(u => u.WorkspaceId == workspaceId && u.IsActive && u.Role == StaffRole.Owner)
            .Select(u => new { u.Id, u.CreatedAt, u.Culture }).ToListAsync(ct);
        var ids = staff.Select(s => s.StaffUserId).Concat(owners.Select(o => o.Id)).Distinct().ToList();
        var open = await db.Set<StaffTask>().IgnoreQueryFilters()
            .Where(t => t.Status == StaffTaskStatus.Open && ids.Contains(t.AssignedStaffId))
            .GroupBy(t => t.AssignedStaffId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var cultures = new Dictionary<Guid, string>();
        foreach (var s in staff)
            cultures[s.StaffUserId] = s.Culture;
        foreach (var o in owners)
            cultures[o.Id] = o.Culture;
        return new Roster(staff.ToLookup(s => s.CommunityId, s => (s.StaffUserId, s.Role, s.AssignedAt)),
            [.. owners.Select(o => (o.Id, o.CreatedAt))], open, cultures);
    }

    internal static (Guid StaffId, CommunityRole? Role) Pick(Roster roster, Guid workspaceId, Guid communityId, ActionKind kind)
    {
        var staff = roster.Staff[communityId];
        foreach (var role in RolesFor(kind))
        {
            var pick = staff.Where(s => s.Role == role)
                .OrderBy(s => roster.Open.GetValueOrDefault(s.StaffUserId)).ThenBy(s => s.AssignedAt).ThenBy(s => s.StaffUserId).FirstOrDefault();
            if (pick != default)
                return (pick.StaffUserId, role);
        }
        var owner = roster.Owners.OrderBy(o => roster.Open.GetValueOrDefault(o.Id)).ThenBy(o => o.CreatedAt).ThenBy(o => o.Id).FirstOrDefault();
        if (owner == default)
            throw new InvalidOperationException($"Workspace {workspaceId} has no active owner to give a task to.");
        return (owner.Id, null);
    }
}

/// <summary>
/// Turns an action a platform cannot do into a <see cref="StaffTask"/>: picks the assignee (<see cref="TaskRouting"/>),
/// writes the text in the assignee's language and commits the task in one transaction with the action's move to
/// <see cref="ActionStatus.Task"/>, so that neither exists without the other.
/// </summary>
public sealed class TaskOpener(JsonStringLocalizerFactory strings, WorkspaceZones zones, IOptions<TasksOptions> options)
{
    private const int ExcerptLength = 80;

    /// <param name="markTask">Moves the action to <see cref="ActionStatus.Task"/> with the given text inside the transaction;
    /// returns the rows changed (0 when this caller no longer holds the action: then nothing is written).</param>
    /// <returns>The task, or null when <paramref name="markTask"/> changed nothing.</returns>
    public async Task<StaffTask?> OpenAsync(AppDbContext db, OutboundAction action, ActionPayload payload, DateTime now,
        Func<string, Task<int>> markTask, CancellationToken ct)
    {
        if (db.Current.WorkspaceId != action.WorkspaceId)
            db.Current.ActAsSystem(action.WorkspaceId);
        var community = await db.Communities.AsNoTracking().Where(c => c.Id == action.CommunityId)
            .Select(c => new { c.Name, c.Platform }).SingleAsync(ct);
        var roster = await TaskRouting.RosterAsync(db, action.WorkspaceId, action.CommunityId, ct);
        var (staffId, role) = TaskRouting.Pick(roster, action.WorkspaceId, action.CommunityId, action.Kind);
        var words = await WordsAsync(roster.Cultures[staffId], action.WorkspaceId, ct);
        var (text, context) = await WriteAsync(db, action, payload, community.Name, community.Platform, words, ct);
        var task = new StaffTask
        {
            WorkspaceId = action.WorkspaceId, CommunityId = action.CommunityId, ActionId = action.Id, Kind = action.Kind,
            Text = EventEffects.Clip(text, StaffTask.TextMaxLength)!, Context = EventEffects.Clip(context, 1000),
            AssignedRole = role, AssignedStaffId = staffId, CreatedAt = now, DueAt = now + options.Value.DueAfter(action.Kind),
        };

        // The demo opens tasks inside the transaction that builds the workspace; the dispatcher opens its own.
        await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        if (await markTask(task.Text) == 0)
            return null;
        // One task per action, even if an earlier attempt got as far as writing it.
        var existing = await db.Set<StaffTask>().SingleOrDefaultAsync(t => t.ActionId == action.Id, ct);
        if (existing is null)
            db.Set<StaffTask>().Add(task);
        await db.SaveChangesAsync(ct);
        if (tx is not null)
            await tx.CommitAsync(ct);
        return existing ?? task;
    }

    /// <summary>
    /// A task a reaction asks of staff directly, not because a platform cannot act (introduce a newcomer, answer a
    /// complaint by hand): the action, already in <see cref="ActionStatus.Task"/>, and its task are added to the
    /// reaction's transaction, not saved. <paramref name="write"/> writes the text to paste and the context in the
    /// assignee's language; the task is due <see cref="TasksOptions.DueAfter"/> after <paramref name="dueFrom"/> (later
    /// than now when quiet hours hold it). False when the workspace has nobody to ask (no active owner).
    /// </summary>
    /// <param name="batch">The reaction's batch: tasks of one kind in one community asked within a batch go to the same
    /// assignee (the open tasks routing counts are those saved before the batch), so the routing is asked once.</param>
    public async Task<bool> AskAsync(AppDbContext db, TaskBatch batch, Guid workspaceId, Guid communityId, ActionKind kind, ActionPayload payload,
        string idempotencyKey, long? causedByEventSeq, DateTime now, DateTime dueFrom, Func<TaskWords, (string Text, string? Context)> write, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(write);
        if (!batch.Assignees.TryGetValue((communityId, kind), out var known))
        {
            try
            {
                // The whole workspace's roster once a batch: a batch's tasks in twenty communities cost three queries, not sixty.
                batch.Roster ??= await TaskRouting.RosterAsync(db, workspaceId, null, ct);
                var (staffId, role) = TaskRouting.Pick(batch.Roster, workspaceId, communityId, kind);
                known = new TaskBatch.Assignee(staffId, role, await WordsAsync(batch.Roster.Cultures[staffId], workspaceId, ct));
            }
            catch (InvalidOperationException)
            {
                known = null; // a workspace without an active owner: nobody to ask
            }
            batch.Assignees[(communityId, kind)] = known;
        }
        if (known is null)
            return false;
        var assignee = (known.StaffId, known.Role);
        var (text, context) = write(known.Words);
        var action = OutboundAction.Create(workspaceId, communityId, kind, payload with { TaskText = text }, idempotencyKey);
        action.Status = ActionStatus.Task;
        action.CausedByEventSeq = causedByEventSeq;
        action.CreatedAt = now;
        action.UpdatedAt = now;
        db.Set<OutboundAction>().Add(action);
        db.Set<StaffTask>().Add(new StaffTask
        {
            WorkspaceId = workspaceId, CommunityId = communityId, ActionId = action.Id, Kind = kind,
            Text = EventEffects.Clip(text, StaffTask.TextMaxLength)!, Context = EventEffects.Clip(context, 1000),
            AssignedRole = assignee.Role, AssignedStaffId = assignee.StaffId, CreatedAt = now, DueAt = dueFrom + options.Value.DueAfter(kind),
        });
        return true;
    }

    /// <summary>
    /// Rewrites tasks a reaction asked for while they are still open (a burst of newcomers growing: one introduction task
    /// names them all): each task's text and context in its assignee's language, and its action's text to paste. One
    /// query finds them all and two set-wise updates write them. Returns the keys rewritten; a key missing from it has
    /// no open task any more (staff closed it): ask a new one then.
    /// </summary>
    public async Task<HashSet<string>> AmendAsync(AppDbContext db, Guid workspaceId,
        IReadOnlyList<(string IdempotencyKey, Func<TaskWords, (string Text, string? Context)> Write)> amendments, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(amendments);
        if (amendments.Count == 0)
            return [];
        var keys = amendments.Select(a => a.IdempotencyKey).Distinct().ToList();
        // The actions, their open tasks and the assignees' languages in one statement.
        var open = await db.Set<OutboundAction>().IgnoreQueryFilters()
            .Where(a => a.WorkspaceId == workspaceId && keys.Contains(a.IdempotencyKey) && a.Status == ActionStatus.Task)
            .Join(db.Set<StaffTask>().IgnoreQueryFilters().Where(t => t.Status == StaffTaskStatus.Open), a => a.Id, t => t.ActionId,
                (a, t) => new { a.IdempotencyKey, ActionId = a.Id, a.Payload, TaskId = t.Id, t.AssignedStaffId })
            .Join(db.Users.IgnoreQueryFilters(), x => x.AssignedStaffId, u => u.Id, (x, u) => new { x.IdempotencyKey, x.ActionId, x.Payload, x.TaskId, u.Culture })
            .AsNoTracking().ToListAsync(ct);
        var byKey = open.GroupBy(x => x.IdempotencyKey).ToDictionary(g => g.Key, g => g.First());
        var words = new Dictionary<string, TaskWords>();
        var tasks = new List<object[]>();
        var actions = new List<object[]>();
        var now = DateTime.UtcNow;
        foreach (var (key, write) in amendments)
        {
            if (!byKey.TryGetValue(key, out var x))
                continue;
            if (!words.TryGetValue(x.Culture, out var w))
                words[x.Culture] = w = await WordsAsync(x.Culture, workspaceId, ct);
            var (text, context) = write(w);
            tasks.Add([x.TaskId, EventEffects.Clip(text, StaffTask.TextMaxLength)!, EventEffects.Clip(context, 1000) ?? ""]);
            actions.Add([x.ActionId, (ActionPayload.FromJson(x.Payload) with { Text = text, TaskText = text }).ToJson(), now]);
        }
        // Only while the task is open and its action a task, as read above (a task staff close meanwhile keeps its text).
        await SetWrites.ExecuteAsync(db, """UPDATE "StaffTasks" SET "Text" = v.column2, "Context" = NULLIF(v.column3, '') FROM (""", tasks,
            $""") AS v WHERE "StaffTasks"."Id" = v.column1 AND "StaffTasks"."Status" = {(int)StaffTaskStatus.Open}""", ct);
        await SetWrites.ExecuteAsync(db, """UPDATE "OutboundActions" SET "Payload" = v.column2, "UpdatedAt" = v.column3 FROM (""", actions,
            $""") AS v WHERE "OutboundActions"."Id" = v.column1 AND "OutboundActions"."Status" = {(int)ActionStatus.Task}""", ct);
        return [.. byKey.Keys];
    }

    /// <summary>Task words in a staff member's language, times in the workspace's zone.</summary>
    private async Task<TaskWords> WordsAsync(string culture, Guid workspaceId, CancellationToken ct) =>
        new(strings.Table(culture), CultureInfo.GetCultureInfo(Cultures.Normalize(culture)), await zones.GetAsync(workspaceId, ct));

    /// <summary>The text to paste and, when staff must first find something, what it is about.</summary>
    private static async Task<(string Text, string? Context)> WriteAsync(AppDbContext db, OutboundAction action, ActionPayload p,
        string group, ChatPlatform platform, TaskWords w, CancellationToken ct)
    {
        switch (action.Kind)
        {
            case ActionKind.Send or ActionKind.MassSend:
                return (p.Text ?? "", await MediaContextAsync(db, action, p, w, ct));
            case ActionKind.Reply:
                var replyTo = await MessageAsync(db, action, p.MessageId, ct);
                return (p.Text ?? "", replyTo is { } r ? w["Tasks.Context.ReplyTo", r.Author, r.Excerpt] : w["Tasks.Context.ReplyToUnknown", p.MessageId ?? ""]);
            case ActionKind.DeleteMessage:
                var message = await MessageAsync(db, action, p.MessageId, ct);
                return message is { } m
                    ? (w["Tasks.Text.DeleteMessage", group, m.Author, m.Excerpt], null)
                    : (w["Tasks.Text.DeleteMessageUnknown", group, p.MessageId ?? ""], null);
            case ActionKind.CreateInviteLink:
                var parts = w["Tasks.Text.CreateInviteLink", group]
                    + (string.IsNullOrWhiteSpace(p.Name) ? "" : w["Tasks.Text.InviteName", p.Name])
                    + (p.MemberLimit is { } limit ? w["Tasks.Text.InviteLimit", limit] : "")
                    + (p.Until is { } expires ? w["Tasks.Text.InviteExpires", w.Time(expires)] : "")
                    + (p.JoinRequest == true ? w["Tasks.Text.InviteJoinRequest"] : "");
                return (parts, null);
            case ActionKind.RevokeInviteLink:
                return (w["Tasks.Text.RevokeInviteLink", group, p.InviteLink ?? ""], null);
            case ActionKind.SendInvite:
                var invited = await PersonAsync(db, action, platform, p.UserId, ct);
                // The words to paste into a private chat with the member, and whom to send them to.
                return p.InviteLink is { } made
                    ? ((string.IsNullOrWhiteSpace(p.Text) ? "" : p.Text.TrimEnd() + "\n") + made, w["Tasks.Context.SendInvite", invited, group])
                    : (w["Tasks.Text.SendInviteNoLink", invited, group], null);
        }
        // About one person: restrict, remove, ban, unban, approve or decline a join request.
        var who = await PersonAsync(db, action, platform, p.UserId, ct);
        return action.Kind switch
        {
            ActionKind.Restrict when p.Until is { } until => (w["Tasks.Text.Restrict", who, group, w.Time(until)], null),
            ActionKind.Restrict => (w["Tasks.Text.RestrictOpen", who, group], null),
            _ => (w[$"Tasks.Text.{action.Kind}", who, group], null),
        };
    }

    /// <summary>
    /// The member's name in this group: their nickname here or their name in the workspace, else the name the log last
    /// gave them, else the platform's id.
    /// </summary>
    private static async Task<string> PersonAsync(AppDbContext db, OutboundAction action, ChatPlatform platform, string? userId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userId))
            return "?";
        // The same person may be a member of several workspaces: this action's.
        var memberId = await db.Set<MemberIdentity>().Where(i => i.WorkspaceId == action.WorkspaceId && i.Platform == platform && i.UserId == userId)
            .Select(i => (Guid?)i.MemberId).FirstOrDefaultAsync(ct);
        string? name = null;
        if (memberId is { } id)
        {
            name = await db.Memberships.Where(m => m.MemberId == id && m.CommunityId == action.CommunityId && m.Nickname != null)
                .OrderByDescending(m => m.JoinedAt).Select(m => m.Nickname).FirstOrDefaultAsync(ct)
                ?? await db.Members.Where(m => m.Id == id).Select(m => m.DisplayName).FirstOrDefaultAsync(ct);
        }
        // REVIEW: the log has no index on users; this scan runs only for tasks, which are few.
        name ??= await db.Set<CommunityEvent>()
            .Where(e => e.WorkspaceId == action.WorkspaceId && e.CommunityId == action.CommunityId && e.UserId == userId && e.UserName != null)
            .OrderByDescending(e => e.Seq).Select(e => e.UserName).FirstOrDefaultAsync(ct);
        return name ?? userId;
    }

    /// <summary>What goes with a post's text: its image (staff find it on the post in the calendar) and mini-program card.</summary>
    private static async Task<string?> MediaContextAsync(AppDbContext db, OutboundAction action, ActionPayload p, TaskWords w, CancellationToken ct)
    {
        var parts = new List<string>();
        if (p.ImageId is { } imageId)
        {
            var image = (await Calendar.PostMedia.DescribeAsync(db.Set<Calendar.PostImage>().IgnoreQueryFilters().Where(i => i.WorkspaceId == action.WorkspaceId), [imageId], ct))
                .GetValueOrDefault(imageId);
            parts.Add(image is null ? w["Tasks.Context.ImageGone"] : w["Tasks.Context.Image", image.FileName, image.Width, image.Height]);
        }
        if (p.MiniProgram is { } card)
            parts.Add(w["Tasks.Context.MiniProgram", card.Title, card.AppId, card.Page]);
        return parts.Count == 0 ? null : string.Join("\n", parts);
    }

    private static async Task<(string Author, string Excerpt)?> MessageAsync(AppDbContext db, OutboundAction action, string? messageId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(messageId))
            return null;
        var m = await db.Set<CommunityEvent>()
            .Where(e => e.WorkspaceId == action.WorkspaceId && e.CommunityId == action.CommunityId && e.Kind == EventKind.MessagePosted && e.MessageId == messageId)
            .OrderByDescending(e => e.Seq).Select(e => new { e.UserName, e.UserId, e.Text }).FirstOrDefaultAsync(ct);
        if (m is null)
            return null;
        var text = m.Text ?? "";
        return (m.UserName ?? m.UserId ?? "?", text.Length <= ExcerptLength ? text : text[..ExcerptLength] + "…");
    }
}

/// <summary>What <see cref="TaskOpener.AskAsync"/> learnt within one batch of a reaction: who gets which community's tasks.</summary>
public sealed class TaskBatch
{
    internal sealed record Assignee(Guid StaffId, CommunityRole? Role, TaskWords Words);

    internal Dictionary<(Guid CommunityId, ActionKind Kind), Assignee?> Assignees { get; } = [];

    /// <summary>The workspace's roster, read at the batch's first task (one batch, one workspace).</summary>
    internal TaskRouting.Roster? Roster { get; set; }
}

/// <summary>One language's task words, and times in the workspace's zone with their offset.</summary>
public sealed class TaskWords(IReadOnlyDictionary<string, string> table, CultureInfo culture, TimeZoneInfo zone)
{
    public string this[string key, params object[] args] =>
        string.Format(culture, table.TryGetValue(key, out var format) ? format : throw new InvalidOperationException($"Missing task text '{key}'."), args);

    public string Time(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        return local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + WorkspaceClock.OffsetLabel(local.Offset);
    }
}
