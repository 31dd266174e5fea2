using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Scripts;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Topics;

public sealed record TopicHostDto(TopicHostKind Kind, Guid? StaffId, Guid? MemberId, string Name);

/// <summary>One announcement: its calendar post and where the session community's copy is (<see cref="PostPlanner.StatusOf"/>).</summary>
public sealed record AnnouncementDto(Guid PostId, DateTime DueAt, PostStatus PostStatus, string Delivery);

public sealed record TopicSessionDto(
    Guid Id,
    Guid TopicId,
    string TopicTitle,
    TopicKind TopicKind,
    Guid CommunityId,
    string CommunityName,
    TopicHostDto Host,
    DateTime StartsAt,
    DateTime EndsAt,
    int DurationMinutes,
    TopicSessionStatus Status,
    IReadOnlyList<string> Questions,
    string? AnnouncementText,
    IReadOnlyList<int> AnnounceLeadMinutes,
    IReadOnlyList<AnnouncementDto> Announcements,
    string? SummaryDraft,
    bool SummaryPosted,
    Guid? SummaryActionId,
    DateTime? SummaryPostedAt,
    DateTime? CancelledAt,
    Guid? CreatedByStaffId,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>Who hosts: a staff member (<c>staffId</c>), a member or KOC (<c>memberId</c>) or a guest (<c>name</c>).</summary>
public sealed record TopicHostInput(TopicHostKind? Kind = null, Guid? StaffId = null, Guid? MemberId = null, string? Name = null);

/// <summary>A session to create or change; on update a field left out stays as it is.</summary>
/// <param name="AnnouncementText">Blank: the built-in announcement in the members' language.</param>
/// <param name="AnnounceLeadMinutes">Minutes before the start each announcement goes out; empty: none. Default 1 day and 1 hour.</param>
public sealed record TopicSessionInput(
    Guid? TopicId = null,
    Guid? CommunityId = null,
    TopicHostInput? Host = null,
    DateTimeOffset? StartsAt = null,
    int? DurationMinutes = null,
    IReadOnlyList<string>? Questions = null,
    string? AnnouncementText = null,
    IReadOnlyList<int>? AnnounceLeadMinutes = null,
    string? SummaryDraft = null);

/// <summary>Which sessions to list: a community's, in a status, starting on the days from..to of the workspace's calendar.</summary>
public sealed record TopicSessionFilter(Guid? CommunityId = null, TopicSessionStatus? Status = null, DateTime? From = null, DateTime? To = null);

/// <summary>
/// Topic sessions (话题约局) as staff plan them, console and API alike. Everyone but KOCs plans sessions in the
/// communities they see; everyone reads those. A session's announcements are posts on the content calendar
/// (<see cref="PostPlanner"/>, content type topic): approved at once when the planner may approve posts, else drafts an
/// owner or sub-owner approves there; moving the session moves the posts not yet handed over, cancelling it withdraws them.
/// </summary>
public sealed class TopicSessions(AppDbContext db, WorkspaceZones zones, TimeProvider time, PostSchedulerSignal postSignal, JsonStringLocalizerFactory strings)
{
    public const int DefaultMinutes = 60;
    public static readonly IReadOnlyList<int> DefaultLeads = [24 * 60, 60];

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private PostPlanner Planner => new(db, zones, time, postSignal);

    public static bool MayEdit(StaffProfile? me) => TopicLibrary.MayEdit(me);

    public async Task<IReadOnlyList<TopicSessionDto>> ListAsync(TopicSessionFilter filter, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        var visible = db.Visible(me).Select(c => c.Id);
        var q = db.Set<TopicSession>().AsNoTracking().Where(s => visible.Contains(s.CommunityId));
        if (filter.CommunityId is { } cid)
            q = q.Where(s => s.CommunityId == cid);
        if (filter.From is { } from)
            q = q.Where(s => s.StartsAt >= from);
        if (filter.To is { } to)
            q = q.Where(s => s.StartsAt < to);
        var now = Now;
        q = filter.Status switch
        {
            TopicSessionStatus.Cancelled => q.Where(s => s.CancelledAt != null),
            TopicSessionStatus.Done => q.Where(s => s.CancelledAt == null && s.EndsAt <= now),
            TopicSessionStatus.Running => q.Where(s => s.CancelledAt == null && s.StartsAt <= now && s.EndsAt > now),
            TopicSessionStatus.Announced => q.Where(s => s.CancelledAt == null && s.StartsAt > now && s.FirstAnnouncementAt != null && s.FirstAnnouncementAt <= now),
            TopicSessionStatus.Planned => q.Where(s => s.CancelledAt == null && s.StartsAt > now && (s.FirstAnnouncementAt == null || s.FirstAnnouncementAt > now)),
            _ => q,
        };
        var rows = await q.OrderByDescending(s => s.StartsAt).ThenBy(s => s.Id).Take(500).ToListAsync(ct);
        return await DtosAsync(rows, ct);
    }

    public async Task<TopicSessionDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var session = await FindAsync(db, id, ct);
        return session is null ? null : (await DtosAsync([session], ct))[0];
    }

    /// <summary>The session if the caller sees its community (untracked).</summary>
    public static async Task<TopicSession?> FindAsync(AppDbContext db, Guid id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var session = await db.Set<TopicSession>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        return session is not null && me.Sees(session.CommunityId) ? session : null;
    }

    public async Task<TopicResult<TopicSessionDto>> CreateAsync(TopicSessionInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(TopicOutcome.Forbidden, null, v);
        if (input.TopicId is null)
            v.Add("topicId", "Required", "'topicId' is required.");
        if (input.CommunityId is null)
            v.Add("communityId", "Required", "'communityId' is required.");
        if (input.StartsAt is null)
            v.Add("startsAt", "Required", "'startsAt' is required.");
        if (input.Host is null)
            v.Add("host", "Required", "'host' is required: a staff member (staffId), a member (memberId) or a guest (name).");
        var session = new TopicSession
        {
            WorkspaceId = db.CurrentWorkspaceId, HostName = "", CreatedByStaffId = me!.Id,
            AnnounceLeadMinutes = JsonSerializer.Serialize(DefaultLeads),
        };
        var plan = await ApplyAsync(v, me, session, input, true, ct);
        if (!v.IsValid || plan is null)
            return new(TopicOutcome.Invalid, null, v);
        // The announcements (posts) and the session are written together: a refused announcement leaves nothing behind.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (ids, first, refused) = await SyncAnnouncementsAsync([], plan, false, ct);
        if (refused is not null)
            return new(TopicOutcome.Invalid, null, refused);
        plan.Apply(session);
        session.AnnouncementPostIds = JsonSerializer.Serialize(ids);
        session.FirstAnnouncementAt = first;
        db.Add(session);
        await db.SaveChangesAsync(ct);
        // A use of the topic; nobody changed the topic, so no audit row (like a script's use count).
        await db.Set<Topic>().Where(t => t.Id == session.TopicId).ExecuteUpdateAsync(u => u.SetProperty(t => t.UsageCount, t => t.UsageCount + 1), ct);
        await tx.CommitAsync(ct);
        return new(TopicOutcome.Saved, await GetAsync(session.Id, ct), v);
    }

    public async Task<TopicResult<TopicSessionDto>> UpdateAsync(Guid id, TopicSessionInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(TopicOutcome.NotFound, null, v);
        var session = await db.Set<TopicSession>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (session is null || !me.Sees(session.CommunityId))
            return new(TopicOutcome.NotFound, null, v);
        if (!MayEdit(me))
            return new(TopicOutcome.Forbidden, null, v);
        if (session.CancelledAt is not null)
            return new(TopicOutcome.Conflict, null, v, "The session was cancelled; plan a new one.");
        var started = session.StatusAt(Now) is TopicSessionStatus.Running or TopicSessionStatus.Done;
        if (started && (input.TopicId is not null || input.CommunityId is not null || input.StartsAt is not null || input.DurationMinutes is not null
            || input.AnnounceLeadMinutes is not null || input.AnnouncementText is not null))
            return new(TopicOutcome.Conflict, null, v, "The session has started: only its host, questions and summary draft can change.");
        var plan = await ApplyAsync(v, me, session, input, false, ct);
        if (!v.IsValid || plan is null)
            return new(TopicOutcome.Invalid, null, v);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (plan.AnnouncementsChange(session))
        {
            // The posts and the session in one transaction: a refused announcement or a conflict leaves both as they were.
            var (ids, first, refused) = await SyncAnnouncementsAsync(session.PostIds(), plan, false, ct);
            if (refused is not null)
                return new(TopicOutcome.Invalid, null, refused);
            session.AnnouncementPostIds = JsonSerializer.Serialize(ids);
            session.FirstAnnouncementAt = first;
        }
        plan.Apply(session);
        if (db.ChangeTracker.HasChanges())
        {
            session.UpdatedAt = Now;
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                return new(TopicOutcome.Conflict, null, v, "Someone else changed the session meanwhile; load it again.");
            }
        }
        await tx.CommitAsync(ct);
        return new(TopicOutcome.Saved, await GetAsync(id, ct), v);
    }

    /// <summary>Cancels a session that has not ended: its announcements not yet handed to the outbox are withdrawn.</summary>
    public async Task<TopicResult<TopicSessionDto>> CancelAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(TopicOutcome.NotFound, null, v);
        var session = await db.Set<TopicSession>().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (session is null || !me.Sees(session.CommunityId))
            return new(TopicOutcome.NotFound, null, v);
        if (!MayEdit(me))
            return new(TopicOutcome.Forbidden, null, v);
        var status = session.StatusAt(Now);
        if (status is TopicSessionStatus.Cancelled or TopicSessionStatus.Done)
            return new(TopicOutcome.Conflict, null, v, $"The session is {status.ToString().ToLowerInvariant()}: it cannot be cancelled.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (ids, _, refused) = await SyncAnnouncementsAsync(session.PostIds(), null, true, ct);
        if (refused is not null)
            return new(TopicOutcome.Conflict, null, refused, "Its announcements could not be withdrawn.");
        session.AnnouncementPostIds = JsonSerializer.Serialize(ids);
        session.CancelledAt = Now;
        session.UpdatedAt = Now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return new(TopicOutcome.Conflict, null, v, "Someone else changed the session meanwhile; load it again.");
        }
        await tx.CommitAsync(ct);
        return new(TopicOutcome.Saved, await GetAsync(id, ct), v);
    }

    /// <summary>What a valid input makes of a session: every field resolved (the session itself is changed only by <see cref="Apply"/>).</summary>
    private sealed record Plan(
        Guid TopicId, string TopicTitle, string? TopicDescription, Guid CommunityId, TopicHostKind HostKind, Guid? HostStaffId, Guid? HostMemberId, string HostName,
        DateTime StartsAt, DateTime EndsAt, List<string> Questions, string? AnnouncementText, List<int> Leads, string? SummaryDraft)
    {
        public bool AnnouncementsChange(TopicSession s) =>
            s.TopicId != TopicId || s.CommunityId != CommunityId || s.StartsAt != StartsAt || s.EndsAt != EndsAt || s.HostName != HostName
            || s.AnnouncementText != AnnouncementText || JsonSerializer.Serialize(Leads) != s.AnnounceLeadMinutes;

        public void Apply(TopicSession s)
        {
            s.TopicId = TopicId;
            s.CommunityId = CommunityId;
            s.HostKind = HostKind;
            s.HostStaffId = HostStaffId;
            s.HostMemberId = HostMemberId;
            s.HostName = HostName;
            s.StartsAt = StartsAt;
            s.EndsAt = EndsAt;
            if (Topic.WriteList(Questions) != s.Questions)
                s.Questions = Topic.WriteList(Questions);
            s.AnnouncementText = AnnouncementText;
            if (JsonSerializer.Serialize(Leads) != s.AnnounceLeadMinutes)
                s.AnnounceLeadMinutes = JsonSerializer.Serialize(Leads);
            s.SummaryDraft = SummaryDraft;
        }
    }

    private async Task<Plan?> ApplyAsync(Validation v, StaffProfile me, TopicSession s, TopicSessionInput input, bool creating, CancellationToken ct)
    {
        Topic? topic = null;
        var topicId = input.TopicId ?? s.TopicId;
        if (input.TopicId is { } tid || !creating)
        {
            topic = await db.Set<Topic>().AsNoTracking().SingleOrDefaultAsync(t => t.Id == topicId, ct);
            if (topic is null)
                v.Add("topicId", "UnknownValue", $"'topicId' has an unknown value '{topicId}'.", topicId);
        }

        var communityId = input.CommunityId ?? s.CommunityId;
        if (input.CommunityId is { } cid)
        {
            var community = await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == cid, ct);
            if (community is null)
                v.Add("communityId", "UnknownValue", $"'communityId' has an unknown value '{cid}'.", cid);
            else if (community.State != CommunityState.Active)
                v.Add("communityId", "CommunityNotActive", $"'{community.Name}' is {community.State.ToString().ToLowerInvariant()}: no session is held there.", community.Name);
        }

        var (hostKind, hostStaff, hostMember, hostName) = (s.HostKind, s.HostStaffId, s.HostMemberId, s.HostName);
        if (input.Host is { } host)
            (hostKind, hostStaff, hostMember, hostName) = await HostAsync(v, host, ct);

        var now = Now;
        var starts = s.StartsAt;
        if (input.StartsAt is { } at)
        {
            starts = new DateTime(at.UtcDateTime.Ticks - at.UtcDateTime.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
            if (starts <= now)
                v.Add("startsAt", "SessionInThePast", $"'startsAt' ({at:yyyy-MM-dd HH:mm zzz}) is in the past: a session is planned for a later time.",
                    at.ToString("O", CultureInfo.InvariantCulture));
        }
        var length = input.DurationMinutes is { } m ? TimeSpan.FromMinutes(m) : creating ? TimeSpan.FromMinutes(DefaultMinutes) : s.EndsAt - s.StartsAt;
        if (input.DurationMinutes is { } minutes && minutes is < TopicSession.MinMinutes or > TopicSession.MaxMinutes)
        {
            v.Add("durationMinutes", "OutOfRange", $"'durationMinutes' must be between {TopicSession.MinMinutes} and {TopicSession.MaxMinutes} (got {minutes}).",
                TopicSession.MinMinutes, TopicSession.MaxMinutes);
        }

        var questions = input.Questions is not null
            ? TopicLibrary.CleanList(v, "questions", input.Questions, Topic.MaxQuestions, Topic.QuestionMaxLength)
            : creating && topic is not null ? [.. Topic.ReadList(topic.Questions)] : [.. Topic.ReadList(s.Questions)];

        var text = input.AnnouncementText is null ? s.AnnouncementText : string.IsNullOrWhiteSpace(input.AnnouncementText) ? null : input.AnnouncementText.Trim();
        if (input.AnnouncementText is not null && text is not null)
        {
            v.MaxLength("announcementText", text, ScriptText.MaxLength);
            var unknown = ScriptText.Unknown(text, PostTexts.Variables);
            if (unknown.Count > 0)
            {
                var names = string.Join(", ", unknown.Select(x => "{" + x + "}"));
                var known = string.Join(", ", PostTexts.Variables.Select(x => "{" + x + "}"));
                v.Add("announcementText", "UnknownVariables", $"'announcementText' uses variables an announcement cannot fill: {names}; it may use {known}.", names, known);
            }
        }

        var leads = input.AnnounceLeadMinutes is null ? [.. s.Leads()] : input.AnnounceLeadMinutes.Distinct().OrderDescending().ToList();
        if (input.AnnounceLeadMinutes is not null)
        {
            if (leads.Count > TopicSession.MaxLeads)
                v.Add("announceLeadMinutes", "TooMany", $"'announceLeadMinutes' may hold at most {TopicSession.MaxLeads} times (got {leads.Count}).", TopicSession.MaxLeads, leads.Count);
            for (var i = 0; i < input.AnnounceLeadMinutes.Count; i++)
            {
                if (input.AnnounceLeadMinutes[i] is < 1 or > TopicSession.MaxLeadMinutes)
                {
                    v.Add($"announceLeadMinutes[{i}]", "OutOfRange",
                        $"'announceLeadMinutes[{i}]' must be between 1 and {TopicSession.MaxLeadMinutes} minutes (got {input.AnnounceLeadMinutes[i]}).", 1, TopicSession.MaxLeadMinutes);
                }
            }
        }

        var summary = input.SummaryDraft is null ? s.SummaryDraft : string.IsNullOrWhiteSpace(input.SummaryDraft) ? null : input.SummaryDraft.Trim();
        v.MaxLength("summaryDraft", summary, OutboundAction.TextMaxLength);
        if (!v.IsValid)
            return null;
        return new Plan(topicId, topic?.Title ?? "", topic?.Description, communityId, hostKind, hostStaff, hostMember, hostName,
            starts, starts + length, questions, text, leads, summary);
    }

    private async Task<(TopicHostKind, Guid?, Guid?, string)> HostAsync(Validation v, TopicHostInput host, CancellationToken ct)
    {
        var kind = host.Kind ?? (host.StaffId is not null ? TopicHostKind.Staff : host.MemberId is not null ? TopicHostKind.Member : TopicHostKind.Guest);
        switch (kind)
        {
            case TopicHostKind.Staff:
                var staffName = host.StaffId is { } sid
                    ? await db.Users.AsNoTracking().Where(u => u.Id == sid && u.WorkspaceId == db.CurrentWorkspaceId && u.IsActive).Select(u => u.DisplayName).SingleOrDefaultAsync(ct)
                    : null;
                if (staffName is null)
                    v.Add("host.staffId", "UnknownStaff", $"'host.staffId' names no active staff member of this workspace ('{host.StaffId}').", host.StaffId?.ToString() ?? "");
                return (kind, host.StaffId, null, staffName ?? "");
            case TopicHostKind.Member:
                var memberName = host.MemberId is { } mid
                    ? await db.Set<Member>().AsNoTracking().Where(m => m.Id == mid).Select(m => m.DisplayName).SingleOrDefaultAsync(ct)
                    : null;
                if (memberName is null)
                    v.Add("host.memberId", "UnknownMember", $"'host.memberId' names no member of this workspace ('{host.MemberId}').", host.MemberId?.ToString() ?? "");
                return (kind, null, host.MemberId, memberName ?? "");
            case TopicHostKind.Guest:
                var name = host.Name?.Trim();
                v.Required("host.name", name, TopicSession.HostNameMaxLength);
                return (kind, null, null, name ?? "");
            default:
                v.Defined("host.kind", kind);
                return (kind, null, null, "");
        }
    }

    /// <summary>
    /// Makes the session's calendar posts match the plan: one post per announcement time still ahead; posts not yet handed
    /// to the outbox are moved (then made or withdrawn as the count changes); those already handed over stay as history.
    /// </summary>
    private async Task<(List<Guid> Ids, DateTime? First, Validation? Refused)> SyncAnnouncementsAsync(IReadOnlyList<Guid> current, Plan? plan, bool withdrawAll, CancellationToken ct)
    {
        var now = Now;
        var posts = current.Count == 0 ? [] : await db.Set<Post>().AsNoTracking().Where(p => current.Contains(p.Id))
            .Select(p => new { p.Id, p.Status, p.DueAt }).ToListAsync(ct);
        var handed = current.Count == 0 ? [] : await db.Set<PostDelivery>().AsNoTracking()
            .Where(d => current.Contains(d.PostId) && d.State == DeliveryState.Enqueued).Select(d => d.PostId).Distinct().ToListAsync(ct);
        var kept = posts.Where(p => handed.Contains(p.Id)).OrderBy(p => p.DueAt).ToList();
        var movable = posts.Where(p => !handed.Contains(p.Id) && p.Status != PostStatus.Cancelled).OrderBy(p => p.DueAt).ToList();
        var wanted = withdrawAll || plan is null ? [] : plan.Leads.Select(l => plan.StartsAt.AddMinutes(-l)).Where(d => d > now.AddSeconds(30)).Order().ToList();
        var ids = kept.Select(p => p.Id).ToList();
        var dues = kept.Where(p => p.Status != PostStatus.Cancelled).Select(p => p.DueAt).ToList();
        if (wanted.Count > 0)
        {
            var words = await WordsAsync(ct);
            var title = Clip(string.Format(CultureInfo.InvariantCulture, words("Topics.Words.PostTitle"), plan!.TopicTitle), Post.TitleMaxLength);
            var text = plan.AnnouncementText ?? await DefaultAnnouncementAsync(plan, words, ct);
            var targets = new PostTargets([plan.CommunityId]);
            for (var i = 0; i < wanted.Count; i++)
            {
                var due = new DateTimeOffset(wanted[i], TimeSpan.Zero);
                var result = i < movable.Count
                    ? await Planner.UpdateAsync(movable[i].Id, new PostInput(title, text, null, null, due, targets), ct)
                    : await Planner.CreateAsync(new PostInput(title, text, null, ContentType.Topic, due, targets), ct);
                if (result.Outcome != PostOutcome.Saved)
                    return ([], null, Refusal(result));
                ids.Add(result.Post!.Id);
                dues.Add(wanted[i]);
            }
        }
        foreach (var extra in movable.Skip(wanted.Count))
        {
            if (extra.Status == PostStatus.Cancelled)
                continue;
            var result = await Planner.CancelAsync(extra.Id, ct);
            if (result.Outcome != PostOutcome.Saved)
                return ([], null, Refusal(result));
        }
        db.ChangeTracker.Entries().Where(e => e.Entity is Post or PostDelivery).ToList().ForEach(e => e.State = EntityState.Detached);
        // A cancelled session keeps its announcements, withdrawn, so that its page says what became of them.
        if (withdrawAll)
            ids = [.. current];
        return (ids, dues.Count == 0 ? null : dues.Min(), null);
    }

    /// <summary>The planner's refusal, on the session's own fields (the post's text is the announcement, its time follows the start).</summary>
    private static Validation Refusal(PostResult result)
    {
        var v = new Validation();
        var errors = result.Validation.Errors;
        if (errors.Count == 0)
            v.Add("announceLeadMinutes", "Topics.AnnouncementRefused", $"The announcement could not be planned: {result.Conflict ?? result.Outcome.ToString()}", result.Conflict ?? result.Outcome.ToString());
        foreach (var (field, messages) in errors)
        {
            var mapped = field switch
            {
                "text" => "announcementText",
                "dueAt" => "startsAt",
                _ when field.StartsWith("targets", StringComparison.Ordinal) => "communityId",
                _ => "announceLeadMinutes",
            };
            foreach (var m in messages)
                v.Add(mapped, "Topics.AnnouncementRefused", "The announcement could not be planned: " + m, m);
        }
        return v;
    }

    private async Task<Func<string, string>> WordsAsync(CancellationToken ct)
    {
        var table = strings.Table(await WorkspaceSettings.LanguageAsync(db, db.CurrentWorkspaceId, ct));
        return key => table.TryGetValue(key, out var text) ? text : key;
    }

    /// <summary>The built-in announcement in the members' language: topic, time, host and the first question to think about.</summary>
    private async Task<string> DefaultAnnouncementAsync(Plan plan, Func<string, string> words, CancellationToken ct)
    {
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var local = TimeZoneInfo.ConvertTimeFromUtc(plan.StartsAt, zone);
        var when = local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            string.Format(CultureInfo.InvariantCulture, words("Topics.Words.Announcement"), plan.TopicTitle),
            string.Format(CultureInfo.InvariantCulture, words("Topics.Words.AnnouncementTime"), when, plan.EndsAt.Subtract(plan.StartsAt).TotalMinutes),
            string.Format(CultureInfo.InvariantCulture, words("Topics.Words.AnnouncementHost"), plan.HostName),
        };
        if (!string.IsNullOrWhiteSpace(plan.TopicDescription))
            lines.Add(plan.TopicDescription);
        if (plan.Questions.Count > 0)
            lines.Add(string.Format(CultureInfo.InvariantCulture, words("Topics.Words.AnnouncementWarmUp"), plan.Questions[0]));
        lines.Add(words("Topics.Words.AnnouncementInvite"));
        // Braces in staff's words would read as script variables: they become full-width ones.
        return Clip(string.Join("\n", lines).Replace('{', '｛').Replace('}', '｝'), ScriptText.MaxLength);
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];

    private async Task<List<TopicSessionDto>> DtosAsync(List<TopicSession> sessions, CancellationToken ct)
    {
        if (sessions.Count == 0)
            return [];
        var topicIds = sessions.Select(s => s.TopicId).Distinct().ToList();
        var topics = await db.Set<Topic>().AsNoTracking().Where(t => topicIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => new { t.Title, t.Kind }, ct);
        var communityIds = sessions.Select(s => s.CommunityId).Distinct().ToList();
        var communities = await db.Communities.AsNoTracking().Where(c => communityIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var postIds = sessions.SelectMany(s => s.PostIds()).Distinct().ToList();
        var posts = postIds.Count == 0 ? [] : await db.Set<Post>().AsNoTracking().Where(p => postIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var deliveries = postIds.Count == 0 ? [] : await db.Set<PostDelivery>().AsNoTracking().Where(d => postIds.Contains(d.PostId)).ToListAsync(ct);
        var actionIds = deliveries.Where(d => d.ActionId is not null).Select(d => d.ActionId!.Value).ToList();
        var actions = actionIds.Count == 0 ? [] : await db.Set<OutboundAction>().AsNoTracking().Where(a => actionIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        var now = Now;
        return [.. sessions.Select(s =>
        {
            var announcements = s.PostIds().Where(posts.ContainsKey).Select(id =>
            {
                var post = posts[id];
                var copy = deliveries.FirstOrDefault(d => d.PostId == id && d.CommunityId == s.CommunityId);
                var delivery = copy is null ? "withdrawn"
                    : post.Status == PostStatus.Cancelled && copy.State != DeliveryState.Enqueued ? "withdrawn"
                    : PostPlanner.StatusOf(copy, copy.ActionId is { } aid ? actions.GetValueOrDefault(aid) : null, null);
                return new AnnouncementDto(id, copy?.DueAt ?? post.DueAt, post.Status, delivery);
            }).OrderBy(a => a.DueAt).ToList();
            var topic = topics.GetValueOrDefault(s.TopicId);
            return new TopicSessionDto(s.Id, s.TopicId, topic?.Title ?? "", topic?.Kind ?? TopicKind.Universal, s.CommunityId, communities.GetValueOrDefault(s.CommunityId) ?? "",
                new TopicHostDto(s.HostKind, s.HostStaffId, s.HostMemberId, s.HostName), s.StartsAt, s.EndsAt, (int)(s.EndsAt - s.StartsAt).TotalMinutes,
                s.StatusAt(now), Topic.ReadList(s.Questions), s.AnnouncementText, s.Leads(), announcements, s.SummaryDraft, s.SummaryActionId is not null,
                s.SummaryActionId, s.SummaryPostedAt, s.CancelledAt, s.CreatedByStaffId, s.CreatedAt, s.UpdatedAt);
        })];
    }
}
