using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Tags;

public sealed record TagSaveResult(EditOutcome Outcome, Tag? Tag, Validation Validation, int Changed = 0);

/// <summary>
/// Tag management (create, rename, merge, delete: roles that may manage tags) and tagging members in
/// bulk (roles that may edit members, only members they see), shared by the console and the API.
/// </summary>
public sealed class TagEditor(AppDbContext db)
{
    /// <summary>The most members one bulk request may tag; the console sends at most one page.</summary>
    public const int MaxBulkMembers = 1000;

    /// <summary>The most members one "all matching the filter" change may touch (its audit entry lists every id).</summary>
    public const int MaxBulkByFilter = 10_000;

    public async Task<TagSaveResult> CreateAsync(string? name, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTags)
            return new(EditOutcome.Forbidden, null, validation);
        var trimmed = name?.Trim();
        await ValidateNameAsync(validation, trimmed, null, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        var tag = db.Tags.Add(new Tag { Name = trimmed! }).Entity;
        return await SaveNameAsync(tag, validation, ct);
    }

    public async Task<TagSaveResult> RenameAsync(Guid id, string? name, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTags)
            return new(EditOutcome.Forbidden, null, validation);
        var tag = await db.Tags.SingleOrDefaultAsync(t => t.Id == id, ct);
        if (tag is null)
            return new(EditOutcome.NotFound, null, validation);
        var trimmed = name?.Trim();
        await ValidateNameAsync(validation, trimmed, id, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        tag.Name = trimmed!;
        return await SaveNameAsync(tag, validation, ct);
    }

    public async Task<TagSaveResult> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTags)
            return new(EditOutcome.Forbidden, null, validation);
        var tag = await db.Tags.SingleOrDefaultAsync(t => t.Id == id, ct);
        if (tag is null)
            return new(EditOutcome.NotFound, null, validation);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var removed = await db.MemberTags.Where(mt => mt.TagId == id).ExecuteDeleteAsync(ct);
        db.Tags.Remove(tag);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(EditOutcome.Saved, tag, validation, removed);
    }

    /// <summary>Gives the target tag to every member of the source and deletes the source, in one transaction.</summary>
    public async Task<TagSaveResult> MergeAsync(Guid sourceId, Guid targetId, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTags)
            return new(EditOutcome.Forbidden, null, validation);
        var source = await db.Tags.SingleOrDefaultAsync(t => t.Id == sourceId, ct);
        if (source is null)
            return new(EditOutcome.NotFound, null, validation);
        var target = await db.Tags.SingleOrDefaultAsync(t => t.Id == targetId, ct);
        if (targetId == sourceId)
            validation.Add("targetTagId", "TagMergeIntoSelf", "A tag cannot be merged into itself.");
        else if (target is null)
            validation.Add("targetTagId", "UnknownTag", $"Unknown tag '{targetId}'.", targetId);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // A rejected target (hidden by the filter) gives way: the member carries the source tag, which now means the target.
        var sourceMembers = db.MemberTags.Where(mt => mt.TagId == sourceId).Select(mt => mt.MemberId);
        await db.MemberTags.IgnoreQueryFilters()
            .Where(o => o.TagId == targetId && o.State == MemberTagState.Rejected && sourceMembers.Contains(o.MemberId))
            .ExecuteDeleteAsync(ct);
        var moving = await db.MemberTags
            .Where(mt => mt.TagId == sourceId && !db.MemberTags.Any(o => o.TagId == targetId && o.MemberId == mt.MemberId))
            .Select(mt => new { mt.MemberId, mt.AssignedAt, mt.Source, mt.RuleId, mt.State, mt.ReviewedAt, mt.ReviewedById })
            .ToListAsync(ct);
        await db.MemberTags.Where(mt => mt.TagId == sourceId).ExecuteDeleteAsync(ct);
        db.MemberTags.AddRange(moving.Select(m => new MemberTag
        {
            MemberId = m.MemberId, TagId = targetId, AssignedAt = m.AssignedAt,
            Source = m.Source, RuleId = m.RuleId, State = m.State, ReviewedAt = m.ReviewedAt, ReviewedById = m.ReviewedById,
        }));
        db.Tags.Remove(source);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(EditOutcome.Saved, target, validation, moving.Count);
    }

    /// <summary>Tags the given members; all must be visible to the actor, otherwise nothing is written.</summary>
    public Task<TagSaveResult> AssignAsync(Guid tagId, IReadOnlyList<Guid>? memberIds, CancellationToken ct = default) =>
        ChangeMembersAsync(tagId, memberIds, null, assign: true, ct);

    /// <summary>Removes the tag from the given members; all must be visible to the actor, otherwise nothing is written.</summary>
    public Task<TagSaveResult> UnassignAsync(Guid tagId, IReadOnlyList<Guid>? memberIds, CancellationToken ct = default) =>
        ChangeMembersAsync(tagId, memberIds, null, assign: false, ct);

    /// <summary>Tags every visible member matching the member list's filter (all pages: "select all").</summary>
    public Task<TagSaveResult> AssignMatchingAsync(Guid tagId, MemberFilter filter, CancellationToken ct = default) =>
        ChangeMembersAsync(tagId, null, filter, assign: true, ct);

    /// <summary>Removes the tag from every visible member matching the member list's filter.</summary>
    public Task<TagSaveResult> UnassignMatchingAsync(Guid tagId, MemberFilter filter, CancellationToken ct = default) =>
        ChangeMembersAsync(tagId, null, filter, assign: false, ct);

    /// <summary>
    /// One bulk change, either of listed members or of those a filter matches (exactly one of the two). It writes one audit
    /// entry on the tag with the number of members changed and their ids, and none when nothing changed.
    /// </summary>
    private async Task<TagSaveResult> ChangeMembersAsync(Guid tagId, IReadOnlyList<Guid>? memberIds, MemberFilter? filter, bool assign, CancellationToken ct)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanEditMembers)
            return new(EditOutcome.Forbidden, null, validation);
        var tag = await db.Tags.SingleOrDefaultAsync(t => t.Id == tagId, ct);
        if (tag is null)
            return new(EditOutcome.NotFound, null, validation);

        var ids = filter is null
            ? await ListedMembersAsync(validation, me, memberIds, ct)
            : await MatchingMembersAsync(validation, me, filter, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        List<Guid> changed;
        if (assign)
        {
            // Staff tagging a member overrides an earlier rejection of the auto-tag: the row becomes staff's own.
            var rows = await db.MemberTags.IgnoreQueryFilters().Where(mt => mt.TagId == tagId && ids.Contains(mt.MemberId)).ToListAsync(ct);
            foreach (var rejected in rows.Where(r => r.State == MemberTagState.Rejected))
                (rejected.Source, rejected.RuleId, rejected.State, rejected.AssignedAt, rejected.ReviewedAt, rejected.ReviewedById) =
                    (TagSource.Manual, null, MemberTagState.Confirmed, DateTime.UtcNow, null, null);
            var already = rows.Select(r => r.MemberId).ToHashSet();
            changed = [.. ids.Where(id => !already.Contains(id)), .. rows.Where(r => db.Entry(r).State == EntityState.Modified).Select(r => r.MemberId)];
            db.MemberTags.AddRange(ids.Where(id => !already.Contains(id)).Select(id => new MemberTag { MemberId = id, TagId = tagId }));
        }
        else
        {
            changed = await db.MemberTags.Where(mt => mt.TagId == tagId && ids.Contains(mt.MemberId)).Select(mt => mt.MemberId).ToListAsync(ct);
            // An auto-tag taken off is a rejection (kept, so the rule does not give it back); staff's own tags go.
            await db.MemberTags.Where(mt => mt.TagId == tagId && changed.Contains(mt.MemberId) && mt.Source == TagSource.Auto)
                .ExecuteUpdateAsync(u => u.SetProperty(mt => mt.State, MemberTagState.Rejected)
                    .SetProperty(mt => mt.ReviewedAt, DateTime.UtcNow).SetProperty(mt => mt.ReviewedById, me.Id), ct);
            await db.MemberTags.Where(mt => mt.TagId == tagId && changed.Contains(mt.MemberId) && mt.Source == TagSource.Manual).ExecuteDeleteAsync(ct);
        }
        if (changed.Count > 0)
        {
            db.AddAuditNote(nameof(Tag), tagId, "updated", null, new Dictionary<string, object?>
            {
                [assign ? "MembersTagged" : "MembersUntagged"] = changed.Count,
                ["MemberIds"] = changed,
            });
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(EditOutcome.Saved, tag, validation, changed.Count);
    }

    private async Task<List<Guid>> ListedMembersAsync(Validation validation, StaffProfile me, IReadOnlyList<Guid>? memberIds, CancellationToken ct)
    {
        var ids = (memberIds ?? []).Distinct().ToList();
        if (ids.Count == 0)
            validation.Add("memberIds", "Required", "'memberIds' must list at least one member.");
        else if (ids.Count > MaxBulkMembers)
            validation.Add("memberIds", "TooManyMembers", $"'memberIds' may list at most {MaxBulkMembers} members (got {ids.Count}).", MaxBulkMembers, ids.Count);
        else
        {
            var visible = await db.VisibleMembers(me).Where(m => ids.Contains(m.Id)).Select(m => m.Id).ToListAsync(ct);
            var unknown = ids.Except(visible).ToList();
            if (unknown.Count > 0)
                validation.Add("memberIds", "UnknownMembers",
                    $"Unknown members ({unknown.Count}): {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? ", …" : "")}.", unknown.Count);
        }
        return ids;
    }

    private async Task<List<Guid>> MatchingMembersAsync(Validation validation, StaffProfile me, MemberFilter filter, CancellationToken ct)
    {
        var members = db.FilteredMembers(me, filter, validation, "filter.");
        if (!validation.IsValid)
            return [];
        var ids = await members.Select(m => m.Id).Take(MaxBulkByFilter + 1).ToListAsync(ct);
        if (ids.Count > MaxBulkByFilter)
            validation.Add("filter", "TooManyMatching", $"The filter matches more than {MaxBulkByFilter} members; narrow it.", MaxBulkByFilter);
        return ids;
    }

    private async Task ValidateNameAsync(Validation validation, string? name, Guid? id, CancellationToken ct)
    {
        validation.Required("name", name, Tag.NameMaxLength);
        if (validation.IsValid && await db.Tags.AnyAsync(t => t.Name == name && t.Id != id, ct))
            validation.Add("name", "DuplicateTagName", $"A tag named '{name}' already exists in this workspace.", name!);
    }

    /// <summary>The unique index decides when two staff save the same name at once.</summary>
    private async Task<TagSaveResult> SaveNameAsync(Tag tag, Validation validation, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return new(EditOutcome.Saved, tag, validation);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (!await db.Tags.AnyAsync(t => t.Name == tag.Name && t.Id != tag.Id, ct))
                throw;
            validation.Add("name", "DuplicateTagName", $"A tag named '{tag.Name}' already exists in this workspace.", tag.Name);
            return new(EditOutcome.Invalid, null, validation);
        }
    }
}
