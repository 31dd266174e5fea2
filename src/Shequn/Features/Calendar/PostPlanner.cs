using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Features.Scripts;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Calendar;

/// <summary>
/// A post to create or change; on update a field left out stays as it is. <c>imageId</c> names an uploaded image
/// (<c>POST /api/media</c>), <c>removeImage</c> takes it off; <c>miniProgram</c> sets a WeCom mini-program card, a blank
/// one (<c>{}</c>) takes it off.
/// </summary>
public sealed record PostInput(
    string? Title = null,
    string? Text = null,
    string? Link = null,
    ContentType? ContentType = null,
    DateTimeOffset? DueAt = null,
    PostTargets? Targets = null,
    Guid? ImageId = null,
    bool? RemoveImage = null,
    MiniProgramInput? MiniProgram = null);

/// <summary>
/// One community's copy and where it is: <c>draft</c>, <c>scheduled</c>, <c>missed</c>, <c>withdrawn</c>, or once handed
/// to the outbox its action's state: <c>queued</c>, <c>sending</c>, <c>sent</c>, <c>failed</c> (with the reason),
/// <c>uncertain</c>, <c>task</c> (done by hand), and on WeCom <c>awaitingConfirmation</c> / <c>notSent</c> / <c>expired</c>.
/// </summary>
public sealed record DeliveryDto(Guid CommunityId, string CommunityName, ChatPlatform Platform, DateTime DueAt, string Status, Guid? ActionId, string? Error);

public sealed record PostDto(
    Guid Id,
    string Title,
    string Text,
    string? Link,
    ContentType ContentType,
    PostTargets Targets,
    DateTime DueAt,
    PostStatus Status,
    Guid? CreatedByStaffId,
    Guid? ApprovedByStaffId,
    DateTime? ApprovedAt,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    IReadOnlyList<DeliveryDto> Deliveries,
    IReadOnlyList<LintFinding> Findings,
    PostImageDto? Image = null,
    MiniProgramCard? MiniProgram = null);

/// <summary>One post on the calendar with how many of the viewer's communities it goes to (the workspace-wide view).</summary>
public sealed record CalendarPostDto(Guid PostId, string Title, ContentType ContentType, DateTime DueAt, PostStatus PostStatus, int Communities);

/// <summary>One post in one community on the calendar.</summary>
public sealed record CalendarEntryDto(Guid PostId, Guid CommunityId, string Title, ContentType ContentType, DateTime DueAt, PostStatus PostStatus, DeliveryState State);

public enum PostOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>The post's state does not allow it (approving a cancelled post), or someone changed it meanwhile.</summary>
    Conflict,
}

/// <summary>
/// What to copy: a community's posts on the days from..to, to other communities (named, or every active community with
/// one of the tags, resolved per copy like a post's targets), moved by shiftDays (0 by default).
/// </summary>
public sealed record CopyInput(
    DateOnly? From, DateOnly? To, Guid? SourceCommunityId, IReadOnlyList<Guid>? TargetCommunityIds, int? ShiftDays = 0, IReadOnlyList<Guid>? TargetTagIds = null);

/// <param name="Why">The refusal itself, for the console to translate.</param>
public sealed record CopySkip(Guid PostId, string Title, string Reason, [property: System.Text.Json.Serialization.JsonIgnore] Validation? Why = null);

public sealed record CopyResult(PostOutcome Outcome, IReadOnlyList<PostDto> Made, IReadOnlyList<CopySkip> Skipped, Validation Validation);

public sealed record PostResult(PostOutcome Outcome, PostDto? Post, Validation Validation, string? Conflict = null);

/// <summary>
/// Posts as staff plan them (console and API alike). Everyone but KOCs writes drafts for the communities they see; an
/// owner's or sub-owner's post, or one they approve, is scheduled; an edit by anyone else sends an approved post back to
/// draft. A copy already handed to the outbox is not changed by edits (cancelling withdraws it while still queued).
/// </summary>
public sealed class PostPlanner(AppDbContext db, WorkspaceZones zones, TimeProvider time, PostSchedulerSignal signal)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly Reason PostCancelled = new("Calendar.Withdrawn", "The post was cancelled before it was sent.");

    public static bool MayApprove(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public static bool MayEdit(StaffProfile? me) => me?.CanEditCommunities == true;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>The calendar: copies in the communities the viewer sees (or one of them) due within [from, to) (UTC), cancelled posts left out.</summary>
    public async Task<IReadOnlyList<CalendarEntryDto>> EntriesAsync(DateTime from, DateTime to, Guid? communityId, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        var visible = db.Visible(me).Select(c => c.Id);
        var q = db.Set<PostDelivery>().AsNoTracking().Where(d => d.DueAt >= from && d.DueAt < to && visible.Contains(d.CommunityId));
        if (communityId is { } cid)
            q = q.Where(d => d.CommunityId == cid);
        return await q.Join(db.Set<Post>().Where(p => p.Status != PostStatus.Cancelled), d => d.PostId, p => p.Id, (d, p) => new { d, p })
            .OrderBy(x => x.d.DueAt).ThenBy(x => x.p.Id).ThenBy(x => x.d.CommunityId)
            .Select(x => new CalendarEntryDto(x.p.Id, x.d.CommunityId, x.p.Title, x.p.ContentType, x.d.DueAt, x.p.Status, x.d.State))
            .ToListAsync(ct);
    }

    /// <summary>
    /// The calendar by post: each post with copies due within [from, to) (UTC) in the communities the viewer sees (or one),
    /// counted per post in the database, so a month of workspace-wide posts to 500 communities reads 90 rows, not 45,000.
    /// </summary>
    public async Task<IReadOnlyList<CalendarPostDto>> PostsAsync(DateTime from, DateTime to, Guid? communityId, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        var q = db.Set<PostDelivery>().AsNoTracking().Where(d => d.DueAt >= from && d.DueAt < to);
        if (!me.SeesAllCommunities)
        {
            var visible = db.Visible(me).Select(c => c.Id);
            q = q.Where(d => visible.Contains(d.CommunityId));
        }
        if (communityId is { } cid)
            q = q.Where(d => d.CommunityId == cid);
        var counts = q.GroupBy(d => d.PostId).Select(g => new { PostId = g.Key, Communities = g.Count() });
        var rows = await counts.Join(db.Set<Post>().Where(p => p.Status != PostStatus.Cancelled), c => c.PostId, p => p.Id,
                (c, p) => new { p.Id, p.Title, p.ContentType, p.DueAt, p.Status, c.Communities })
            .ToListAsync(ct);
        return [.. rows.OrderBy(r => r.DueAt).ThenBy(r => r.Id).Select(r => new CalendarPostDto(r.Id, r.Title, r.ContentType, r.DueAt, r.Status, r.Communities))];
    }

    public async Task<PostDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var post = await db.Set<Post>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, ct);
        if (post is null)
            return null;
        var deliveries = await db.Set<PostDelivery>().AsNoTracking().Where(d => d.PostId == id).ToListAsync(ct);
        // A post is seen by whoever sees one of its communities; they see only those copies.
        if (!me.SeesAllCommunities && deliveries.Count > 0 && !deliveries.Any(d => me.Sees(d.CommunityId)))
            return null;
        return await DtoAsync(me, post, deliveries, ct);
    }

    public async Task<PostResult> CreateAsync(PostInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(PostOutcome.Forbidden, null, v);
        var post = new Post { WorkspaceId = db.CurrentWorkspaceId, Title = "", Text = "", CreatedByStaffId = me!.Id };
        if (input.ContentType is null)
            v.Add("contentType", "Required", "'contentType' is required.");
        if (input.DueAt is null)
            v.Add("dueAt", "Required", "'dueAt' is required.");
        if (input.Targets is null)
            v.Add("targets", "Required", "'targets' is required: communityIds, tiers, platforms or tagIds.");
        var communities = await ApplyAsync(v, me, post, input, ct);
        if (!v.IsValid)
            return new(PostOutcome.Invalid, null, v);
        var approve = MayApprove(me);
        if (approve)
        {
            await CheckWeComQuotaAsync(v, post, communities!, ct);
            if (!v.IsValid)
                return new(PostOutcome.Invalid, null, v);
            post.Status = PostStatus.Approved;
            post.ApprovedByStaffId = me.Id;
            post.ApprovedAt = Now;
        }
        db.Add(post);
        foreach (var c in communities!)
        {
            db.Add(new PostDelivery
            {
                WorkspaceId = post.WorkspaceId, PostId = post.Id, CommunityId = c.Id, DueAt = post.DueAt,
                State = approve ? DeliveryState.Scheduled : DeliveryState.Draft,
            });
        }
        await db.SaveChangesAsync(ct);
        signal.Notify();
        return new(PostOutcome.Saved, await GetAsync(post.Id, ct), v);
    }

    public async Task<PostResult> UpdateAsync(Guid id, PostInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(PostOutcome.Forbidden, null, v);
        var (post, deliveries, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return refusal;
        if (post!.Status == PostStatus.Cancelled)
            return new(PostOutcome.Conflict, null, v, "The post was cancelled; make a new one (or a copy).");
        var communities = await ApplyAsync(v, me!, post, input, ct);
        if (!v.IsValid)
            return new(PostOutcome.Invalid, null, v);
        // Someone who may not approve changed an approved post: it waits for approval again.
        var approved = post.Status == PostStatus.Approved && MayApprove(me);
        if (approved)
            await CheckWeComQuotaAsync(v, post, communities!, ct);
        if (!v.IsValid)
            return new(PostOutcome.Invalid, null, v);
        if (post.Status == PostStatus.Approved && !approved)
        {
            post.Status = PostStatus.Draft;
            post.ApprovedByStaffId = null;
            post.ApprovedAt = null;
        }
        Reconcile(post, deliveries!, communities!, approved ? DeliveryState.Scheduled : DeliveryState.Draft);
        if (db.ChangeTracker.HasChanges())
        {
            // Edited by hand, a template's post no longer follows the template (its key stays, so the template makes no second one).
            post.SopTemplateId = null;
            post.UpdatedAt = Now;
            if (await SaveAsync(ct) is { } conflict)
                return conflict;
        }
        signal.Notify();
        return new(PostOutcome.Saved, await GetAsync(id, ct), v);
    }

    /// <summary>Draft → approved (owner or sub-owner of every community it goes to): each copy is scheduled.</summary>
    public async Task<PostResult> ApproveAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(PostOutcome.Forbidden, null, v);
        var (post, deliveries, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return refusal;
        if (!MayApprove(me))
            return new(PostOutcome.Forbidden, null, v, "Only an owner or a sub-owner approves posts.");
        if (post!.Status != PostStatus.Draft)
            return new(PostOutcome.Conflict, null, v, $"Only a draft can be approved; this post is {post.Status.ToString().ToLowerInvariant()}.");
        if (post.DueAt <= Now)
            v.Add("dueAt", "PostInThePast", $"'dueAt' ({post.DueAt:yyyy-MM-dd HH:mm}Z) has passed: move the post to a later time first.", post.DueAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var communities = await db.Communities.Where(c => deliveries!.Select(d => d.CommunityId).Contains(c.Id)).ToListAsync(ct);
        foreach (var c in communities.Where(c => c.State != CommunityState.Active))
            v.Add("targets", "CommunityNotActive", $"'{c.Name}' is {c.State.ToString().ToLowerInvariant()}: nothing is posted there. Take it out of the targets first.", c.Name);
        if (v.IsValid)
            await CheckWeComQuotaAsync(v, post, communities, ct);
        if (!v.IsValid)
            return new(PostOutcome.Invalid, null, v);
        post.Status = PostStatus.Approved;
        post.ApprovedByStaffId = me!.Id;
        post.ApprovedAt = Now;
        post.UpdatedAt = Now;
        foreach (var d in deliveries!.Where(d => d.State == DeliveryState.Draft))
        {
            d.State = DeliveryState.Scheduled;
            d.UpdatedAt = Now;
        }
        if (await SaveAsync(ct) is { } conflict)
            return conflict;
        signal.Notify();
        return new(PostOutcome.Saved, await GetAsync(id, ct), v);
    }

    /// <summary>Cancels a post: copies not sent yet are withdrawn (a copy the outbox already holds, while still queued).</summary>
    public async Task<PostResult> CancelAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(PostOutcome.Forbidden, null, v);
        var (post, deliveries, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return refusal;
        if (post!.Status == PostStatus.Cancelled)
            return new(PostOutcome.Conflict, null, v, "The post is already cancelled.");
        post.Status = PostStatus.Cancelled;
        post.UpdatedAt = Now;
        foreach (var d in deliveries!.Where(d => d.State is DeliveryState.Draft or DeliveryState.Scheduled))
        {
            d.State = DeliveryState.Withdrawn;
            d.UpdatedAt = Now;
        }
        var queued = deliveries!.Where(d => d.State == DeliveryState.Enqueued && d.ActionId is not null).Select(d => d.ActionId!.Value).ToList();
        // Within a caller's transaction (a topic session withdrawing its announcements) it is part of that one.
        await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        if (await SaveAsync(ct) is { } conflict)
            return conflict;
        if (queued.Count > 0)
        {
            var reason = ActionError.Store(PostCancelled);
            await db.Set<OutboundAction>().Where(a => queued.Contains(a.Id) && a.Status == ActionStatus.Queued).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Status, ActionStatus.Cancelled).SetProperty(a => a.Error, PostCancelled.English)
                .SetProperty(a => a.ErrorReason, reason).SetProperty(a => a.CompletedAt, Now).SetProperty(a => a.UpdatedAt, Now), ct);
        }
        if (tx is not null)
            await tx.CommitAsync(ct);
        return new(PostOutcome.Saved, await GetAsync(id, ct), v);
    }

    /// <summary>
    /// Copies the posts a community has on the days [from, to] (the workspace's calendar) to other communities, moved by
    /// <paramref name="shiftDays"/>: each becomes a new post to the target communities (approved when the copier may
    /// approve, else a draft). Copies that cannot be made (in the past, a WeCom clash) are reported and skipped.
    /// </summary>
    public async Task<CopyResult> CopyAsync(CopyInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(PostOutcome.Forbidden, [], [], v);
        if (input.From is not { } from || input.To is not { } to)
        {
            v.Add("from", "Required", "'from' and 'to' (days, yyyy-MM-dd) are required.");
            return new(PostOutcome.Invalid, [], [], v);
        }
        if (to < from || to.DayNumber - from.DayNumber > 31)
            v.Add("to", "OutOfRange", "'to' must be on or after 'from' and at most 31 days later.", 0, 31);
        if (input.SourceCommunityId is not { } source || !await db.Visible(me).AnyAsync(c => c.Id == source, ct))
            v.Add("sourceCommunityId", "UnknownValue", $"'sourceCommunityId' has an unknown value '{input.SourceCommunityId}'.", input.SourceCommunityId?.ToString() ?? "");
        if (input.TargetCommunityIds is not { Count: > 0 } && input.TargetTagIds is not { Count: > 0 })
            v.Add("targetCommunityIds", "Required", "'targetCommunityIds' needs at least one community (or 'targetTagIds' a tag).");
        if (input.TargetTagIds is { Count: > 0 } tagIds)
            await CommunityTag.KnownAsync(db.Set<CommunityTag>(), v, "targetTagIds", tagIds, ct);
        if (input.ShiftDays is < -366 or > 366)
            v.Add("shiftDays", "OutOfRange", "'shiftDays' must be between -366 and 366.", -366, 366);
        if (!v.IsValid)
            return new(PostOutcome.Invalid, [], [], v);
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var start = TimeZoneInfo.ConvertTimeToUtc(from.ToDateTime(TimeOnly.MinValue), zone);
        var end = TimeZoneInfo.ConvertTimeToUtc(to.AddDays(1).ToDateTime(TimeOnly.MinValue), zone);
        var sourceId = input.SourceCommunityId!.Value;
        var posts = await db.Set<Post>().AsNoTracking()
            .Where(p => p.Status != PostStatus.Cancelled && db.Set<PostDelivery>().Any(d => d.PostId == p.Id && d.CommunityId == sourceId && d.DueAt >= start && d.DueAt < end))
            .OrderBy(p => p.DueAt).ThenBy(p => p.Id).ToListAsync(ct);
        var made = new List<PostDto>();
        var skipped = new List<CopySkip>();
        foreach (var post in posts)
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(post.DueAt, zone).AddDays(input.ShiftDays ?? 0);
            var due = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone), TimeSpan.Zero);
            db.ChangeTracker.Clear();
            var result = await CreateAsync(new PostInput(post.Title, post.Text, post.Link ?? "", post.ContentType, due, new PostTargets(input.TargetCommunityIds, TagIds: input.TargetTagIds),
                post.ImageId, MiniProgram: MiniProgramInput.Of(PostMedia.CardOf(post))), ct);
            if (result.Outcome == PostOutcome.Saved)
                made.Add(result.Post!);
            else
                skipped.Add(new CopySkip(post.Id, post.Title, result.Validation.Errors.SelectMany(e => e.Value).FirstOrDefault() ?? result.Outcome.ToString(), result.Validation.IsValid ? null : result.Validation));
        }
        return new(PostOutcome.Saved, made, skipped, v);
    }

    /// <summary>The lint's findings for the communities the viewer sees (or one) on the days [from, to] of the workspace's calendar.</summary>
    public async Task<IReadOnlyList<LintFinding>> LintAsync(DateOnly from, DateOnly to, Guid? communityId, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        var ids = communityId is { } cid ? [cid] : await db.Visible(me).Select(c => c.Id).ToListAsync(ct);
        return await LintForAsync(me, ids, from, to, ct);
    }

    public async Task<PlaybookSettings> SettingsAsync(CancellationToken ct = default) =>
        await db.Set<PlaybookSettings>().AsNoTracking().SingleOrDefaultAsync(ct) ?? PlaybookSettings.Defaults(db.CurrentWorkspaceId);

    private async Task<IReadOnlyList<LintFinding>> LintForAsync(StaffProfile me, IReadOnlyCollection<Guid> communityIds, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        var start = TimeZoneInfo.ConvertTimeToUtc(from.AddDays(-PlaybookLint.CommercialRun).ToDateTime(TimeOnly.MinValue), zone);
        var end = TimeZoneInfo.ConvertTimeToUtc(to.AddDays(PlaybookLint.CommercialRun + 1).ToDateTime(TimeOnly.MinValue), zone);
        var visible = db.Visible(me).Select(c => c.Id);
        var rows = await db.Set<PostDelivery>().AsNoTracking()
            .Where(d => communityIds.Contains(d.CommunityId) && visible.Contains(d.CommunityId) && d.DueAt >= start && d.DueAt < end
                && d.State != DeliveryState.Withdrawn && d.State != DeliveryState.Missed)
            .Join(db.Set<Post>().Where(p => p.Status != PostStatus.Cancelled), d => d.PostId, p => p.Id, (d, p) => new { d.PostId, p.Title, d.CommunityId, d.DueAt, p.ContentType })
            .Join(db.Communities, x => x.CommunityId, c => c.Id, (x, c) => new { x.PostId, x.Title, x.CommunityId, c.Platform, x.DueAt, x.ContentType })
            .ToListAsync(ct);
        var items = rows.Select(r => new LintItem(r.PostId, r.Title, r.CommunityId, r.Platform, TimeZoneInfo.ConvertTimeFromUtc(r.DueAt, zone), r.ContentType));
        return PlaybookLint.Check(items, await SettingsAsync(ct), from, to);
    }

    private async Task<(Post? Post, List<PostDelivery>? Deliveries, PostResult? Refusal)> LoadForChangeAsync(StaffProfile me, Guid id, CancellationToken ct)
    {
        var post = await db.Set<Post>().SingleOrDefaultAsync(p => p.Id == id, ct);
        if (post is null)
            return (null, null, new(PostOutcome.NotFound, null, new Validation()));
        var deliveries = await db.Set<PostDelivery>().Where(d => d.PostId == id).ToListAsync(ct);
        if (!me.SeesAllCommunities && !deliveries.Any(d => me.Sees(d.CommunityId)))
            return (null, null, new(PostOutcome.NotFound, null, new Validation()));
        // Changing a post changes every community's copy: only someone who sees them all may.
        if (!deliveries.All(d => me.Sees(d.CommunityId)))
            return (null, null, new(PostOutcome.Forbidden, null, new Validation(), "The post also goes to communities you are not assigned to."));
        return (post, deliveries, null);
    }

    private async Task<PostResult?> SaveAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            return new(PostOutcome.Conflict, null, new Validation(), "Someone else changed the post meanwhile; load it again.");
        }
    }

    /// <summary>Validates and applies the fields given; returns the communities the post goes to (null when invalid).</summary>
    private async Task<List<Community>?> ApplyAsync(Validation v, StaffProfile me, Post post, PostInput input, CancellationToken ct)
    {
        if (input.Title is not null || post.Title.Length == 0)
            v.Required("title", input.Title?.Trim(), Post.TitleMaxLength);
        if (input.Text is not null || post.Text.Length == 0)
            PostTexts.Check(v, "text", input.Text, post.JoinedOn is not null);
        var link = input.Link is null ? post.Link : (string.IsNullOrWhiteSpace(input.Link) ? null : input.Link.Trim());
        if (input.Link is not null)
            PostTexts.CheckLink(v, "link", link);
        if (input.ContentType is { } type)
            v.Defined("contentType", type);
        if (input.DueAt is { } due && due.UtcDateTime <= Now)
            v.Add("dueAt", "PostInThePast", $"'dueAt' ({due:yyyy-MM-dd HH:mm zzz}) is in the past: a post is planned for a later time.", due.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

        var targets = input.Targets ?? JsonSerializer.Deserialize<PostTargets>(post.Targets, Json) ?? new PostTargets();
        List<Community>? communities = null;
        if (input.Targets is not null && targets.IsEmpty)
            v.Add("targets", "Required", "'targets' needs communityIds, tiers, platforms or tagIds.");
        else if (input.Targets is not null || post.Targets == "{}")
            communities = await ResolveAsync(v, me, targets, ct);
        else
            communities = await db.Communities.Where(c => db.Set<PostDelivery>().Any(d => d.PostId == post.Id && d.CommunityId == c.Id)).ToListAsync(ct);

        var imageId = input.RemoveImage == true ? null : input.ImageId ?? post.ImageId;
        var card = input.MiniProgram is null ? MiniProgramInput.Of(PostMedia.CardOf(post))
            : input.MiniProgram.IsBlank ? null : input.MiniProgram;
        var text = input.Text?.Trim() ?? post.Text;
        await CheckMediaAsync(v, imageId, card, new Post { Title = "", Text = text, Link = link }, communities, ct);
        if (!v.IsValid)
            return null;

        post.Title = input.Title?.Trim() ?? post.Title;
        post.Text = input.Text?.Trim() ?? post.Text;
        post.Link = link;
        post.ContentType = input.ContentType ?? post.ContentType;
        if (input.DueAt is { } dueAt)
            post.DueAt = new DateTime(dueAt.UtcDateTime.Ticks - dueAt.UtcDateTime.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        if (input.Targets is not null)
            post.Targets = JsonSerializer.Serialize(targets, Json);
        post.ImageId = imageId;
        post.MiniProgramTitle = card?.Title?.Trim();
        post.MiniProgramAppId = card?.AppId?.Trim();
        post.MiniProgramPage = card?.Page?.Trim();
        post.MiniProgramCoverId = card?.CoverImageId;
        return communities;
    }

    /// <summary>
    /// The post's image and mini-program card against every platform it goes to, before anything is scheduled: each
    /// refusal names the field and the platform (<see cref="PostMedia"/>).
    /// </summary>
    private async Task CheckMediaAsync(Validation v, Guid? imageId, MiniProgramInput? card, Post rendered, List<Community>? communities, CancellationToken ct)
    {
        if (imageId is null && card is null)
            return;
        var ids = new[] { imageId, card?.CoverImageId }.OfType<Guid>().Distinct().ToList();
        var images = await PostMedia.DescribeAsync(Campaigns.PhotoUploads.Library(db), ids, ct);
        var platforms = communities?.Select(c => c.Platform).Distinct().Order().ToList() ?? [];
        if (imageId is { } iid)
        {
            if (!images.TryGetValue(iid, out var image))
                v.Add("imageId", "UnknownValue", $"'imageId' has an unknown value '{iid}'.", iid);
            else
                PostMedia.CheckImage(v, "imageId", image, platforms);
            // Telegram puts the text under the photo as its caption, which has a shorter limit than a message.
            foreach (var c in communities?.Where(c => c.Platform == ChatPlatform.Telegram) ?? [])
            {
                var caption = PostTexts.Render(rendered, c);
                if (caption.Length > PostMedia.TelegramCaptionMax)
                {
                    v.Add("text", "CaptionTooLong", $"'text' becomes a photo's caption on Telegram, which takes at most {PostMedia.TelegramCaptionMax} characters; in '{c.Name}' it has {caption.Length}.",
                        PostMedia.PlatformName(ChatPlatform.Telegram), PostMedia.TelegramCaptionMax, c.Name, caption.Length);
                    break;
                }
            }
        }
        if (card is not null)
        {
            PostMedia.CheckMiniProgram(v, "miniProgram", card, card.CoverImageId is { } cover ? images.GetValueOrDefault(cover) : null);
            foreach (var platform in platforms.Where(p => p != ChatPlatform.WeCom))
            {
                v.Add("miniProgram", "MiniProgramNotOn", $"'miniProgram': a mini-program card can only be sent to WeCom groups; the post also goes to {platform}.",
                    PostMedia.PlatformName(platform));
            }
        }
    }

    /// <summary>The active communities <paramref name="targets"/> means for <paramref name="me"/>; refusals are named under <paramref name="field"/> (a campaign's audience uses it too).</summary>
    internal async Task<List<Community>> ResolveAsync(Validation v, StaffProfile me, PostTargets targets, CancellationToken ct, string field = "targets")
    {
        var ids = targets.CommunityIds?.Distinct().ToList() ?? [];
        var named = await db.Visible(me).Where(c => ids.Contains(c.Id)).ToListAsync(ct);
        for (var i = 0; i < ids.Count; i++)
        {
            var c = named.FirstOrDefault(x => x.Id == ids[i]);
            if (c is null)
                v.Add($"{field}.communityIds[{i}]", "UnknownValue", $"'{field}.communityIds[{i}]' has an unknown value '{ids[i]}'.", ids[i]);
            else if (c.State != CommunityState.Active)
                v.Add($"{field}.communityIds[{i}]", "CommunityNotActive", $"'{c.Name}' is {c.State.ToString().ToLowerInvariant()}: nothing is posted there.", c.Name);
        }
        foreach (var tier in targets.Tiers ?? [])
            v.Defined($"{field}.tiers", tier);
        foreach (var platform in targets.Platforms ?? [])
            v.Defined($"{field}.platforms", platform);
        var tagIds = targets.TagIds?.Distinct().ToList() ?? [];
        if (tagIds.Count > 0)
            await CommunityTag.KnownAsync(db.Set<CommunityTag>(), v, $"{field}.tagIds", targets.TagIds!, ct);
        var result = named.Where(c => c.State == CommunityState.Active).ToList();
        if (targets.HasFilters)
        {
            var q = db.Visible(me).Where(c => c.State == CommunityState.Active);
            if (targets.Tiers is { Count: > 0 } tiers)
                q = q.Where(c => tiers.Contains(c.Tier));
            if (targets.Platforms is { Count: > 0 } platforms)
                q = q.Where(c => platforms.Contains(c.Platform));
            if (tagIds.Count > 0)
                q = q.Where(c => c.Tags.Any(l => tagIds.Contains(l.TagId)));
            foreach (var c in await q.ToListAsync(ct))
            {
                if (!result.Any(r => r.Id == c.Id))
                    result.Add(c);
            }
            if (v.IsValid && result.Count == 0)
                v.Add(field, "NoTargetCommunities", $"'{field}' matches no active community you are assigned to.");
        }
        return result;
    }

    /// <summary>Deliveries follow the post: new communities get a copy, dropped ones lose theirs, unsent copies take its time.</summary>
    private void Reconcile(Post post, List<PostDelivery> deliveries, List<Community> communities, DeliveryState unsent)
    {
        var wanted = communities.Select(c => c.Id).ToHashSet();
        foreach (var d in deliveries)
        {
            if (d.State is DeliveryState.Enqueued)
                continue;
            if (!wanted.Contains(d.CommunityId))
            {
                if (d.State is DeliveryState.Draft or DeliveryState.Scheduled)
                    db.Remove(d);
                continue;
            }
            // A missed copy goes again only when the post is moved to a later time, under a new key (a new round).
            var again = d.State == DeliveryState.Missed && post.DueAt > d.DueAt;
            var state = d.State == DeliveryState.Withdrawn || (d.State == DeliveryState.Missed && !again) ? d.State : unsent;
            var round = again ? d.Round + 1 : d.Round;
            if (d.DueAt != post.DueAt || d.State != state || d.Round != round)
            {
                d.DueAt = post.DueAt;
                d.State = state;
                d.Round = round;
                d.UpdatedAt = Now;
            }
        }
        foreach (var c in communities.Where(c => deliveries.All(d => d.CommunityId != c.Id)))
            db.Add(new PostDelivery { WorkspaceId = post.WorkspaceId, PostId = post.Id, CommunityId = c.Id, DueAt = post.DueAt, State = unsent });
    }

    /// <summary>
    /// WeCom delivers one mass message per customer group a day (platforms.md): a second approved post for the same group
    /// on the same day of the workspace's calendar is refused before it is scheduled.
    /// </summary>
    private async Task CheckWeComQuotaAsync(Validation v, Post post, IReadOnlyList<Community> communities, CancellationToken ct)
    {
        var wecom = communities.Where(c => c.Platform == ChatPlatform.WeCom).ToList();
        if (wecom.Count == 0)
            return;
        var zone = await zones.GetAsync(post.WorkspaceId, ct);
        var (start, end) = PostTexts.DayOf(post.DueAt, zone);
        var ids = wecom.Select(c => c.Id).ToList();
        var others = await db.Set<PostDelivery>().AsNoTracking()
            .Where(d => ids.Contains(d.CommunityId) && d.PostId != post.Id && d.DueAt >= start && d.DueAt < end
                && (d.State == DeliveryState.Scheduled || d.State == DeliveryState.Enqueued))
            .Join(db.Set<Post>().Where(p => p.Status == PostStatus.Approved), d => d.PostId, p => p.Id, (d, p) => new { d.CommunityId, p.Title })
            .ToListAsync(ct);
        foreach (var clash in others.GroupBy(o => o.CommunityId))
        {
            var name = wecom.First(c => c.Id == clash.Key).Name;
            var day = TimeZoneInfo.ConvertTimeFromUtc(post.DueAt, zone).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            v.Add("dueAt", "WeComQuota",
                $"'{name}' is a WeCom group and already gets '{clash.First().Title}' on {day}: WeCom delivers one mass message per group a day. Choose another day.",
                name, clash.First().Title, day);
        }
    }

    private async Task<PostDto> DtoAsync(StaffProfile me, Post post, List<PostDelivery> deliveries, CancellationToken ct)
    {
        var mine = deliveries.Where(d => me.Sees(d.CommunityId)).ToList();
        var cids = mine.Select(d => d.CommunityId).ToList();
        var communities = await db.Communities.AsNoTracking().Where(c => cids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var actionIds = mine.Where(d => d.ActionId is not null).Select(d => d.ActionId!.Value).ToList();
        var actions = actionIds.Count == 0 ? [] : await db.Set<OutboundAction>().AsNoTracking().Where(a => actionIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        var wecom = actionIds.Count == 0 ? [] : await db.Set<WeComGroupMessage>().AsNoTracking().Where(m => actionIds.Contains(m.ActionId))
            .ToDictionaryAsync(m => m.ActionId, m => m.State, ct);
        var rows = mine.Where(d => communities.ContainsKey(d.CommunityId)).OrderBy(d => communities[d.CommunityId].Name, StringComparer.Ordinal).Select(d =>
        {
            var c = communities[d.CommunityId];
            var action = d.ActionId is { } aid ? actions.GetValueOrDefault(aid) : null;
            return new DeliveryDto(c.Id, c.Name, c.Platform, d.DueAt, StatusOf(d, action, action is not null && wecom.TryGetValue(action.Id, out var w) ? w : null),
                d.ActionId, action?.Status is ActionStatus.Failed or ActionStatus.Uncertain ? action.Error : null);
        }).ToList();
        var findings = post.Status == PostStatus.Cancelled ? [] : await PostFindingsAsync(me, post, cids, ct);
        var image = post.ImageId is { } iid ? (await PostMedia.DescribeAsync(db.Set<PostImage>(), [iid], ct)).GetValueOrDefault(iid) : null;
        return new PostDto(post.Id, post.Title, post.Text, post.Link, post.ContentType,
            JsonSerializer.Deserialize<PostTargets>(post.Targets, Json) ?? new PostTargets(), post.DueAt, post.Status,
            post.CreatedByStaffId, post.ApprovedByStaffId, post.ApprovedAt, post.CreatedAt, post.UpdatedAt, rows, findings,
            image is null ? null : PostImageDto.Of(image), PostMedia.CardOf(post));
    }

    /// <summary>What the lint says about this post: the findings of its day and the days around it that name it.</summary>
    private async Task<IReadOnlyList<LintFinding>> PostFindingsAsync(StaffProfile me, Post post, List<Guid> communityIds, CancellationToken ct)
    {
        if (communityIds.Count == 0)
            return [];
        var zone = await zones.GetAsync(post.WorkspaceId, ct);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(post.DueAt, zone));
        var all = await LintForAsync(me, communityIds, day.AddDays(-PlaybookLint.CommercialRun), day.AddDays(PlaybookLint.CommercialRun), ct);
        return [.. all.Where(f => f.PostIds.Contains(post.Id))];
    }

    public static string StatusOf(PostDelivery d, OutboundAction? action, WeComGroupMessageState? wecom) => d.State switch
    {
        DeliveryState.Draft => "draft",
        DeliveryState.Scheduled => "scheduled",
        DeliveryState.Missed => "missed",
        DeliveryState.Withdrawn => "withdrawn",
        _ => action?.Status switch
        {
            null or ActionStatus.Queued => "queued",
            ActionStatus.Sending => "sending",
            ActionStatus.Done => wecom switch
            {
                WeComGroupMessageState.AwaitingConfirmation => "awaitingConfirmation",
                WeComGroupMessageState.NotSent => "notSent",
                WeComGroupMessageState.Expired => "expired",
                _ => "sent",
            },
            ActionStatus.Failed => "failed",
            ActionStatus.Uncertain => "uncertain",
            ActionStatus.Task => "task",
            _ => "withdrawn",
        },
    };
}
