using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Scripts;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Calendar;

/// <summary>A template to create or change; on update a field left out stays as it is.</summary>
public sealed record SopInput(string? Name = null, SopTrigger? Trigger = null, IReadOnlyList<SopStep>? Steps = null, int? WeeksAhead = null);

public sealed record SopDto(Guid Id, string Name, SopTrigger Trigger, IReadOnlyList<SopStep> Steps, int WeeksAhead, IReadOnlyList<Guid> CommunityIds, int FuturePosts, DateTime UpdatedAt);

/// <summary>What a sync did to the template's posts.</summary>
public readonly record struct SopSync(int Created, int Updated, int Withdrawn);

public sealed record SopResult(PostOutcome Outcome, SopDto? Template, Validation Validation, SopSync Sync = default, string? Detail = null);

/// <summary>
/// SOP templates as staff see them (console and API alike): all staff read, everyone but KOCs edits and applies them
/// to the communities they see. Each applied community gets one post per occurrence of each step (key
/// <see cref="Post.SopKey"/>), approved when whoever applied or last edited the template may approve, else a draft; a
/// WeCom occurrence that would be a second mass message that day stays a draft (the lint says why).
/// </summary>
public sealed class SopPlanner(AppDbContext db, WorkspaceZones zones, TimeProvider time, PostSchedulerSignal signal)
{
    private static readonly string[] TimeFormats = ["HH:mm", "H:mm"];

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<IReadOnlyList<SopDto>> ListAsync(CancellationToken ct = default)
    {
        if (await db.Current.GetProfileAsync(db, ct) is null)
            return [];
        var templates = await db.Set<SopTemplate>().AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
        var result = new List<SopDto>();
        foreach (var t in templates)
            result.Add(await DtoAsync(t, ct));
        return result;
    }

    public async Task<SopDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        if (await db.Current.GetProfileAsync(db, ct) is null)
            return null;
        return await db.Set<SopTemplate>().AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, ct) is { } t ? await DtoAsync(t, ct) : null;
    }

    public async Task<SopResult> CreateAsync(SopInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        if (!PostPlanner.MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return new(PostOutcome.Forbidden, null, v);
        var template = new SopTemplate { WorkspaceId = db.CurrentWorkspaceId, Name = "" };
        if (input.Trigger is null)
            v.Add("trigger", "Required", "'trigger' is required: fixedDates, weekdays, daysAfterCommunityCreated or daysAfterMemberJoined.");
        if (input.Steps is null)
            v.Add("steps", "Required", "'steps' needs at least one step.");
        await ApplyInputAsync(v, template, input, ct);
        if (!v.IsValid)
            return new(PostOutcome.Invalid, null, v);
        db.Add(template);
        await db.SaveChangesAsync(ct);
        return new(PostOutcome.Saved, await GetAsync(template.Id, ct), v);
    }

    /// <summary>Changes the template, then its posts not handed over yet follow it.</summary>
    public async Task<SopResult> UpdateAsync(Guid id, SopInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!PostPlanner.MayEdit(me))
            return new(PostOutcome.Forbidden, null, v);
        var template = await db.Set<SopTemplate>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (template is null)
            return new(PostOutcome.NotFound, null, v);
        var applications = await db.Set<SopApplication>().Where(a => a.TemplateId == id).ToListAsync(ct);
        if (!applications.All(a => me!.Sees(a.CommunityId)))
            return new(PostOutcome.Forbidden, null, v, Detail: "The template is applied to communities you are not assigned to.");
        await ApplyInputAsync(v, template, input, ct);
        if (!v.IsValid)
            return new(PostOutcome.Invalid, null, v);
        template.UpdatedAt = Now;
        // A change by someone who may not approve makes the template's coming posts drafts again.
        if (!PostPlanner.MayApprove(me))
        {
            foreach (var a in applications)
                a.AppliedByStaffId = me!.Id;
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        var sync = await SyncAsync(template, ct);
        await tx.CommitAsync(ct);
        signal.Notify();
        return new(PostOutcome.Saved, await GetAsync(id, ct), v, sync);
    }

    /// <summary>
    /// Sets the communities the template applies to: new ones get its posts, dropped ones lose their unsent posts.
    /// <paramref name="tagIds"/> adds every active community the actor sees that carries one of the tags now.
    /// </summary>
    public async Task<SopResult> SetCommunitiesAsync(Guid id, IReadOnlyList<Guid>? communityIds, IReadOnlyList<Guid>? tagIds = null, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!PostPlanner.MayEdit(me))
            return new(PostOutcome.Forbidden, null, v);
        var template = await db.Set<SopTemplate>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (template is null)
            return new(PostOutcome.NotFound, null, v);
        var wanted = communityIds?.Distinct().ToList() ?? [];
        var known = await db.Visible(me).Where(c => wanted.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        for (var i = 0; i < wanted.Count; i++)
        {
            if (!known.TryGetValue(wanted[i], out var c))
                v.Add($"communityIds[{i}]", "UnknownValue", $"'communityIds[{i}]' has an unknown value '{wanted[i]}'.", wanted[i]);
            else if (c.State != CommunityState.Active)
                v.Add($"communityIds[{i}]", "CommunityNotActive", $"'{c.Name}' is {c.State.ToString().ToLowerInvariant()}: nothing is posted there.", c.Name);
        }
        if (tagIds is { Count: > 0 })
        {
            var knownTags = await CommunityTag.KnownAsync(db.Set<CommunityTag>(), v, "tagIds", tagIds, ct);
            var tagged = await db.Visible(me).Where(c => c.State == CommunityState.Active && c.Tags.Any(l => knownTags.Contains(l.TagId)))
                .ToListAsync(ct);
            foreach (var c in tagged.Where(c => !known.ContainsKey(c.Id)))
                known[c.Id] = c;
            wanted.AddRange(tagged.Select(c => c.Id).Where(c => !wanted.Contains(c)));
        }
        if (v.IsValid)
            await CheckStepImagesAsync(v, template.StepList, [.. known.Values], ct);
        var applications = await db.Set<SopApplication>().Where(a => a.TemplateId == id).ToListAsync(ct);
        if (applications.Any(a => !wanted.Contains(a.CommunityId) && !me!.Sees(a.CommunityId)))
            return new(PostOutcome.Forbidden, null, v, Detail: "The template is applied to communities you are not assigned to.");
        if (!v.IsValid)
            return new(PostOutcome.Invalid, null, v);
        foreach (var a in applications.Where(a => !wanted.Contains(a.CommunityId)))
            db.Remove(a);
        foreach (var c in wanted.Where(c => applications.All(a => a.CommunityId != c)))
            db.Add(new SopApplication { WorkspaceId = template.WorkspaceId, TemplateId = id, CommunityId = c, AppliedByStaffId = me!.Id, AppliedAt = Now });
        db.AddAuditNote(nameof(SopTemplate), id, "updated",
            new Dictionary<string, object?> { ["Communities"] = applications.Select(a => a.CommunityId).Order().ToList() },
            new Dictionary<string, object?> { ["Communities"] = wanted.Order().ToList() });
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        var sync = await SyncAsync(template, ct);
        await tx.CommitAsync(ct);
        signal.Notify();
        return new(PostOutcome.Saved, await GetAsync(id, ct), v, sync);
    }

    /// <summary>
    /// Deletes the template. <paramref name="futurePosts"/> says what happens to its posts not handed over yet:
    /// <c>cancel</c> withdraws them, <c>keep</c> leaves them as ordinary posts; nothing else is accepted.
    /// </summary>
    public async Task<SopResult> DeleteAsync(Guid id, string? futurePosts, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!PostPlanner.MayEdit(me))
            return new(PostOutcome.Forbidden, null, v);
        var template = await db.Set<SopTemplate>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (template is null)
            return new(PostOutcome.NotFound, null, v);
        var choice = futurePosts?.Trim().ToLowerInvariant();
        if (choice is not ("cancel" or "keep"))
        {
            var pending = await PendingPostsAsync(id, ct);
            v.Add("futurePosts", "SopFuturePosts",
                $"Say what happens to the template's {pending.Count} posts not sent yet: futurePosts=cancel withdraws them, futurePosts=keep leaves them as ordinary posts.", pending.Count);
            return new(PostOutcome.Invalid, null, v);
        }
        if (await db.Set<SopApplication>().AnyAsync(a => a.TemplateId == id && !me!.Sees(a.CommunityId) && !me.SeesAllCommunities, ct))
            return new(PostOutcome.Forbidden, null, v, Detail: "The template is applied to communities you are not assigned to.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var withdrawn = 0;
        if (choice == "cancel")
        {
            foreach (var (post, delivery) in await PendingPostsAsync(id, ct))
            {
                Withdraw(post, delivery);
                withdrawn++;
            }
        }
        db.Remove(template);
        await db.SaveChangesAsync(ct);
        // Kept posts outlive the template as ordinary posts (the key is dropped so nothing re-makes them).
        await db.Set<Post>().Where(p => p.SopKey != null && p.SopTemplateId == null && p.SopKey.StartsWith(id.ToString("N") + ":"))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.SopKey, (string?)null), ct);
        await tx.CommitAsync(ct);
        return new(PostOutcome.Saved, null, v, new SopSync(0, 0, withdrawn));
    }

    /// <summary>
    /// Brings the template's posts in line with it: occurrences within the horizon that have no post get one; posts not
    /// handed over yet take the template's words and times; those it no longer wants are withdrawn. Saves; the caller
    /// holds the transaction. Also run by <see cref="SopHorizon"/> to keep weekly templates planned ahead.
    /// </summary>
    public async Task<SopSync> SyncAsync(SopTemplate template, CancellationToken ct)
    {
        var zone = await zones.GetAsync(template.WorkspaceId, ct);
        var now = Now;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(now, zone));
        var applications = await db.Set<SopApplication>().IgnoreQueryFilters().Where(a => a.TemplateId == template.Id).ToListAsync(ct);
        var cids = applications.Select(a => a.CommunityId).ToList();
        var communities = await db.Communities.IgnoreQueryFilters().Where(c => cids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var approvers = await ApproversAsync(applications, ct);
        var steps = template.StepList;
        var newcomers = template.Trigger == SopTrigger.DaysAfterMemberJoined
            ? await NewcomerDaysAsync(applications, steps, zone, today, ct)
            : [];

        var desired = new Dictionary<string, (SopStep Step, Guid Community, DateTime Due, bool Approved, DateOnly? JoinedOn)>(StringComparer.Ordinal);
        foreach (var a in applications)
        {
            if (!communities.TryGetValue(a.CommunityId, out var community) || community.State != CommunityState.Active)
                continue;
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                if (!TimeOnly.TryParseExact(step.Time, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
                    continue;
                foreach (var (day, joinedOn) in Days(template, step, community, zone, today, newcomers.GetValueOrDefault(a.CommunityId)))
                {
                    var due = TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(at), zone);
                    if (due <= now)
                        continue;
                    desired[KeyOf(template.Id, a.CommunityId, i, day)] = (step, a.CommunityId, due, a.AppliedByStaffId is { } by && approvers.Contains(by), joinedOn);
                }
            }
        }

        // Every post this template made (its key starts with the template's id), also those staff took over by editing them.
        var prefix = template.Id.ToString("N") + ":";
        var existing = await db.Set<Post>().IgnoreQueryFilters().Where(p => p.WorkspaceId == template.WorkspaceId && p.SopKey != null && p.SopKey.StartsWith(prefix))
            .Join(db.Set<PostDelivery>().IgnoreQueryFilters(), p => p.Id, d => d.PostId, (p, d) => new { p, d }).ToListAsync(ct);
        int created = 0, updated = 0, withdrawn = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var x in existing)
        {
            seen.Add(x.p.SopKey!);
            if (x.p.SopTemplateId != template.Id || x.p.Status == PostStatus.Cancelled
                || x.d.State is DeliveryState.Enqueued or DeliveryState.Missed or DeliveryState.Withdrawn)
                continue; // staff took it over or cancelled it, or it is out of the template's hands
            if (!desired.TryGetValue(x.p.SopKey!, out var want))
            {
                Withdraw(x.p, x.d);
                x.p.SopKey = null; // a step added back later makes a new post
                withdrawn++;
                continue;
            }
            var title = want.Step.Title!.Trim();
            var text = want.Step.Text!.Trim();
            var link = string.IsNullOrWhiteSpace(want.Step.Link) ? null : want.Step.Link.Trim();
            if (x.p.Title != title || x.p.Text != text || x.p.Link != link || x.p.ContentType != want.Step.ContentType || x.p.DueAt != want.Due
                || x.p.ImageId != want.Step.ImageId)
            {
                x.p.ImageId = want.Step.ImageId;
                x.p.Title = title;
                x.p.Text = text;
                x.p.Link = link;
                x.p.ContentType = want.Step.ContentType!.Value;
                x.p.DueAt = want.Due;
                x.p.UpdatedAt = now;
                x.d.DueAt = want.Due;
                x.d.UpdatedAt = now;
                updated++;
            }
        }
        foreach (var (key, want) in desired.Where(d => !seen.Contains(d.Key)).OrderBy(d => d.Value.Due))
        {
            var community = communities[want.Community];
            var approved = want.Approved && !await SecondWeComPostAsync(community, want.Due, zone, ct);
            var post = new Post
            {
                WorkspaceId = template.WorkspaceId, Title = want.Step.Title!.Trim(), Text = want.Step.Text!.Trim(),
                Link = string.IsNullOrWhiteSpace(want.Step.Link) ? null : want.Step.Link.Trim(), ContentType = want.Step.ContentType!.Value,
                ImageId = want.Step.ImageId,
                Targets = JsonSerializer.Serialize(new PostTargets([want.Community]), PostPlanner.Json), DueAt = want.Due,
                Status = approved ? PostStatus.Approved : PostStatus.Draft, SopTemplateId = template.Id, SopKey = key, JoinedOn = want.JoinedOn,
                ApprovedAt = approved ? now : null, CreatedAt = now, UpdatedAt = now,
            };
            db.Add(post);
            db.Add(new PostDelivery
            {
                WorkspaceId = template.WorkspaceId, PostId = post.Id, CommunityId = want.Community, DueAt = want.Due,
                State = approved ? DeliveryState.Scheduled : DeliveryState.Draft, UpdatedAt = now,
            });
            created++;
        }
        // The template's own posts are bulk rows no staff member wrote one by one: the template's change is the audited act.
        await db.SaveChangesWithoutAuditAsync(ct);
        return new SopSync(created, updated, withdrawn);
    }

    /// <summary>
    /// The days a step falls on, from today to the template's horizon; for steps after members join, with the day those
    /// members joined (<paramref name="joinDays"/>: the days members still there joined the community).
    /// </summary>
    private static IEnumerable<(DateOnly Day, DateOnly? JoinedOn)> Days(
        SopTemplate template, SopStep step, Community community, TimeZoneInfo zone, DateOnly today, IReadOnlySet<DateOnly>? joinDays)
    {
        switch (template.Trigger)
        {
            case SopTrigger.FixedDates when step.Date is { } date && date >= today:
                yield return (date, null);
                break;
            case SopTrigger.Weekdays when step.Weekdays is { Count: > 0 } weekdays:
                for (var d = today; d < today.AddDays(7 * template.WeeksAhead); d = d.AddDays(1))
                {
                    if (weekdays.Contains(d.DayOfWeek))
                        yield return (d, null);
                }
                break;
            case SopTrigger.DaysAfterCommunityCreated when step.Day is { } n:
                var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(community.CreatedAt, zone)).AddDays(n);
                if (day >= today)
                    yield return (day, null);
                break;
            case SopTrigger.DaysAfterMemberJoined when step.Day is { } n && joinDays is not null:
                foreach (var joined in joinDays.Where(j => j.AddDays(n) >= today).Order())
                    yield return (joined.AddDays(n), joined);
                break;
        }
    }

    /// <summary>
    /// Per community, the days (workspace zone) on which members still in it joined, since the template was applied there
    /// and recently enough for a step to fall today or later.
    /// </summary>
    private async Task<Dictionary<Guid, IReadOnlySet<DateOnly>>> NewcomerDaysAsync(
        List<SopApplication> applications, IReadOnlyList<SopStep> steps, TimeZoneInfo zone, DateOnly today, CancellationToken ct)
    {
        if (applications.Count == 0 || steps.Count == 0)
            return [];
        var longest = steps.Max(s => s.Day ?? 0);
        var since = Events.DailyFigures.StartOf(today.AddDays(-longest), zone);
        var applied = applications.ToDictionary(a => a.CommunityId, a => a.AppliedAt);
        var earliest = applications.Min(a => a.AppliedAt);
        if (earliest > since)
            since = earliest;
        var cids = applied.Keys.ToList();
        var joins = await db.Memberships.IgnoreQueryFilters()
            .Where(m => cids.Contains(m.CommunityId) && m.LeftAt == null && m.JoinedAt >= since)
            .Select(m => new { m.CommunityId, m.JoinedAt }).ToListAsync(ct);
        return joins.Where(j => j.JoinedAt >= applied[j.CommunityId])
            .GroupBy(j => j.CommunityId)
            .ToDictionary(g => g.Key, g => (IReadOnlySet<DateOnly>)g.Select(j => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(j.JoinedAt, zone))).ToHashSet());
    }

    private static string KeyOf(Guid template, Guid community, int step, DateOnly day) =>
        FormattableString.Invariant($"{template:N}:{community:N}:{step}:{day:yyyyMMdd}");

    private async Task<HashSet<Guid>> ApproversAsync(List<SopApplication> applications, CancellationToken ct)
    {
        var ids = applications.Where(a => a.AppliedByStaffId is not null).Select(a => a.AppliedByStaffId!.Value).Distinct().ToList();
        return [.. await db.Users.Where(u => ids.Contains(u.Id) && u.IsActive && (u.Role == Staff.StaffRole.Owner || u.Role == Staff.StaffRole.SubOwner))
            .Select(u => u.Id).ToListAsync(ct)];
    }

    private async Task<bool> SecondWeComPostAsync(Community community, DateTime due, TimeZoneInfo zone, CancellationToken ct)
    {
        if (community.Platform != ChatPlatform.WeCom)
            return false;
        var (start, end) = PostTexts.DayOf(due, zone);
        return await db.Set<PostDelivery>().IgnoreQueryFilters()
                   .AnyAsync(d => d.CommunityId == community.Id && d.DueAt >= start && d.DueAt < end
                       && (d.State == DeliveryState.Scheduled || d.State == DeliveryState.Enqueued), ct)
               || db.ChangeTracker.Entries<PostDelivery>().Any(e => e.State == EntityState.Added && e.Entity.CommunityId == community.Id
                   && e.Entity.State == DeliveryState.Scheduled && e.Entity.DueAt >= start && e.Entity.DueAt < end);
    }

    private void Withdraw(Post post, PostDelivery delivery)
    {
        post.Status = PostStatus.Cancelled;
        post.UpdatedAt = Now;
        delivery.State = DeliveryState.Withdrawn;
        delivery.UpdatedAt = Now;
    }

    private async Task<List<(Post Post, PostDelivery Delivery)>> PendingPostsAsync(Guid templateId, CancellationToken ct)
    {
        var rows = await db.Set<Post>().Where(p => p.SopTemplateId == templateId && p.Status != PostStatus.Cancelled)
            .Join(db.Set<PostDelivery>(), p => p.Id, d => d.PostId, (p, d) => new { p, d })
            .Where(x => x.d.State == DeliveryState.Draft || x.d.State == DeliveryState.Scheduled).ToListAsync(ct);
        return [.. rows.Select(x => (x.p, x.d))];
    }

    /// <summary>A step's image against the platforms of the communities the template applies to (as a post's is, <see cref="PostMedia"/>).</summary>
    private async Task CheckStepImagesAsync(Validation v, IReadOnlyList<SopStep> steps, IReadOnlyList<Community> communities, CancellationToken ct)
    {
        var ids = steps.Select(s => s.ImageId).OfType<Guid>().Distinct().ToList();
        if (ids.Count == 0)
            return;
        var images = await PostMedia.DescribeAsync(Campaigns.PhotoUploads.Library(db), ids, ct);
        var platforms = communities.Select(c => c.Platform).Distinct().Order().ToList();
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].ImageId is not { } imageId)
                continue;
            var field = $"steps[{i}].imageId";
            if (!images.TryGetValue(imageId, out var image))
            {
                v.Add(field, "UnknownValue", $"'{field}' has an unknown value '{imageId}'.", imageId);
                continue;
            }
            PostMedia.CheckImage(v, field, image, platforms);
            var rendered = new Post { Title = "", Text = steps[i].Text?.Trim() ?? "", Link = string.IsNullOrWhiteSpace(steps[i].Link) ? null : steps[i].Link!.Trim() };
            foreach (var c in communities.Where(c => c.Platform == ChatPlatform.Telegram))
            {
                var caption = PostTexts.Render(rendered, c);
                if (caption.Length > PostMedia.TelegramCaptionMax)
                {
                    v.Add($"steps[{i}].text", "CaptionTooLong", $"'steps[{i}].text' becomes a photo's caption on Telegram, which takes at most {PostMedia.TelegramCaptionMax} characters; in '{c.Name}' it has {caption.Length}.",
                        PostMedia.PlatformName(ChatPlatform.Telegram), PostMedia.TelegramCaptionMax, c.Name, caption.Length);
                    break;
                }
            }
        }
    }

    private async Task ApplyInputAsync(Validation v, SopTemplate template, SopInput input, CancellationToken ct)
    {
        var name = input.Name?.Trim() ?? (template.Name.Length == 0 ? null : template.Name);
        v.Required("name", name, SopTemplate.NameMaxLength);
        if (!string.IsNullOrEmpty(name) && await db.Set<SopTemplate>().AnyAsync(t => t.Name == name && t.Id != template.Id, ct))
            v.Add("name", "DuplicateName", $"A template named '{name}' already exists in this workspace.", name);
        if (input.Trigger is { } trigger)
            v.Defined("trigger", trigger);
        var finalTrigger = input.Trigger ?? template.Trigger;
        if (input.WeeksAhead is { } weeks && weeks is < 1 or > SopTemplate.MaxWeeksAhead)
            v.Add("weeksAhead", "OutOfRange", $"'weeksAhead' must be between 1 and {SopTemplate.MaxWeeksAhead}.", 1, SopTemplate.MaxWeeksAhead);
        var steps = input.Steps ?? template.StepList;
        if (input.Steps is not null && (steps.Count == 0 || steps.Count > SopTemplate.MaxSteps))
            v.Add("steps", "OutOfRange", $"'steps' holds 1 to {SopTemplate.MaxSteps} steps (got {steps.Count}).", 1, SopTemplate.MaxSteps);
        for (var i = 0; i < steps.Count && i < SopTemplate.MaxSteps; i++)
        {
            var s = steps[i];
            var f = $"steps[{i}]";
            v.Required(f + ".title", s.Title?.Trim(), Post.TitleMaxLength);
            PostTexts.Check(v, f + ".text", s.Text, finalTrigger == SopTrigger.DaysAfterMemberJoined);
            if (s.ContentType is null)
                v.Add(f + ".contentType", "Required", $"'{f}.contentType' is required.");
            else
                v.Defined(f + ".contentType", s.ContentType.Value);
            if (!TimeOnly.TryParseExact(s.Time, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                v.Add(f + ".time", "Malformed", $"'{f}.time' must be a time of day as HH:mm (got '{s.Time}').", s.Time ?? "");
            PostTexts.CheckLink(v, f + ".link", s.Link);
            switch (finalTrigger)
            {
                case SopTrigger.FixedDates when s.Date is null:
                    v.Add(f + ".date", "Required", $"'{f}.date' is required for a template on fixed dates.");
                    break;
                case SopTrigger.Weekdays when s.Weekdays is not { Count: > 0 }:
                    v.Add(f + ".weekdays", "Required", $"'{f}.weekdays' needs at least one weekday for a weekly template.");
                    break;
                case SopTrigger.DaysAfterCommunityCreated or SopTrigger.DaysAfterMemberJoined when s.Day is not (>= 0 and <= 365):
                    v.Add(f + ".day", "OutOfRange", $"'{f}.day' (days after the community was created or the member joined) must be between 0 and 365.", 0, 365);
                    break;
            }
        }
        if (v.IsValid && steps.Any(s => s.ImageId is not null))
        {
            var applied = db.Set<SopApplication>().Where(a => a.TemplateId == template.Id).Select(a => a.CommunityId);
            await CheckStepImagesAsync(v, steps, await db.Communities.Where(c => applied.Contains(c.Id)).ToListAsync(ct), ct);
        }
        if (!v.IsValid)
            return;
        template.Name = name!;
        template.Trigger = finalTrigger;
        template.WeeksAhead = input.WeeksAhead ?? template.WeeksAhead;
        if (input.Steps is not null)
        {
            template.Steps = JsonSerializer.Serialize(steps.Select(s => s with
            {
                Title = s.Title!.Trim(),
                Text = s.Text!.Trim(),
                Time = TimeOnly.ParseExact(s.Time!, TimeFormats, CultureInfo.InvariantCulture).ToString("HH:mm", CultureInfo.InvariantCulture),
                Link = string.IsNullOrWhiteSpace(s.Link) ? null : s.Link.Trim(),
            }).ToList(), PostPlanner.Json);
        }
    }

    private async Task<SopDto> DtoAsync(SopTemplate t, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var communities = await db.Set<SopApplication>().Where(a => a.TemplateId == t.Id).Select(a => a.CommunityId).ToListAsync(ct);
        var future = await db.Set<Post>().Where(p => p.SopTemplateId == t.Id && p.Status != PostStatus.Cancelled)
            .CountAsync(p => db.Set<PostDelivery>().Any(d => d.PostId == p.Id && (d.State == DeliveryState.Draft || d.State == DeliveryState.Scheduled)), ct);
        return new SopDto(t.Id, t.Name, t.Trigger, t.StepList, t.WeeksAhead, [.. communities.Where(c => me?.Sees(c) == true)], future, t.UpdatedAt);
    }
}

/// <summary>
/// Keeps templates that move with time planned: weekly ones <see cref="SopTemplate.WeeksAhead"/> weeks ahead (hourly),
/// and those after members join, whose newcomers get their posts (every few minutes). Called by the post scheduler.
/// </summary>
public static class SopHorizon
{
    public static async Task<int> ExtendAsync(IServiceProvider services, SopTrigger trigger, CancellationToken ct)
    {
        var db = services.GetRequiredService<AppDbContext>();
        var planner = ActivatorUtilities.CreateInstance<SopPlanner>(services);
        var templates = await db.Set<SopTemplate>().IgnoreQueryFilters().Where(t => t.Trigger == trigger).ToListAsync(ct);
        var created = 0;
        foreach (var t in templates)
        {
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                created += (await planner.SyncAsync(t, ct)).Created;
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another node made the same occurrences (their keys are unique): its posts stand.
                db.ChangeTracker.Clear();
            }
        }
        return created;
    }
}
