using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Communities;

/// <summary>A community tag and how many of the communities the actor sees carry it.</summary>
public sealed record CommunityTagDto(Guid Id, string Name, string? Color, int CommunityCount, DateTime CreatedAt);

/// <summary>A tag as a community shows it.</summary>
public sealed record CommunityTagRefDto(Guid Id, string Name, string? Color);

/// <summary>Create or change a tag; on a change, a colour left out (null) stays, a blank one is cleared.</summary>
public sealed record CommunityTagInput(string? Name, string? Color = null);

/// <summary>A post that still targets a tag someone wants to delete.</summary>
public sealed record CommunityTagUse(Guid PostId, string Title);

public enum CommunityTagOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>Posts not sent yet target the tag (<see cref="CommunityTagResult.UsedBy"/>).</summary>
    InUse,
}

public sealed record CommunityTagResult(CommunityTagOutcome Outcome, CommunityTag? Tag, Validation Validation, IReadOnlyList<CommunityTagUse>? UsedBy = null);

/// <summary>
/// The workspace's community tags, for the console and the API alike. Everyone reads them; whoever may create communities
/// (owner, sub-owners, admins) names, renames, colours and deletes them, since a tag spans communities the actor may not
/// see. Which tags a community carries is part of the community and changes through <see cref="CommunityEditor"/>.
/// Deleting a tag that a post not sent yet targets is refused naming the posts (their copies were chosen by the tag, and
/// a team expects to change those targets on purpose); posts already sent or cancelled simply lose it from their targets.
/// </summary>
public sealed class CommunityTagEditor(AppDbContext db)
{
    public async Task<IReadOnlyList<CommunityTagDto>> ListAsync(CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        return await Project(db.Set<CommunityTag>().OrderBy(t => t.Name), me).ToListAsync(ct);
    }

    public async Task<CommunityTagDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        return me is null ? null : await Project(db.Set<CommunityTag>().Where(t => t.Id == id), me).SingleOrDefaultAsync(ct);
    }

    public static bool MayManage(StaffProfile? me) => me?.CanCreateCommunities == true;

    public async Task<CommunityTagResult> CreateAsync(CommunityTagInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!MayManage(await db.Current.GetProfileAsync(db, ct)))
            return new(CommunityTagOutcome.Forbidden, null, validation);
        var name = input.Name?.Trim();
        var color = Color(validation, input.Color);
        await CheckNameAsync(validation, name, null, ct);
        if (!validation.IsValid)
            return new(CommunityTagOutcome.Invalid, null, validation);
        var tag = db.Add(new CommunityTag { Name = name!, NormalizedName = CommunityTag.Normalize(name!), Color = color }).Entity;
        return await SaveAsync(tag, validation, ct);
    }

    public async Task<CommunityTagResult> UpdateAsync(Guid id, CommunityTagInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!MayManage(await db.Current.GetProfileAsync(db, ct)))
            return new(CommunityTagOutcome.Forbidden, null, validation);
        var tag = await db.Set<CommunityTag>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (tag is null)
            return new(CommunityTagOutcome.NotFound, null, validation);
        var name = input.Name?.Trim();
        var color = input.Color is null ? tag.Color : Color(validation, input.Color);
        await CheckNameAsync(validation, name, id, ct);
        if (!validation.IsValid)
            return new(CommunityTagOutcome.Invalid, null, validation);
        tag.Name = name!;
        tag.NormalizedName = CommunityTag.Normalize(name!);
        tag.Color = color;
        return await SaveAsync(tag, validation, ct);
    }

    public async Task<CommunityTagResult> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!MayManage(await db.Current.GetProfileAsync(db, ct)))
            return new(CommunityTagOutcome.Forbidden, null, validation);
        var tag = await db.Set<CommunityTag>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (tag is null)
            return new(CommunityTagOutcome.NotFound, null, validation);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var posts = await PostsNamingAsync(id, ct);
        var postIds = posts.Select(p => p.Id).ToList();
        var unsent = db.Set<PostDelivery>().Where(d => d.State == DeliveryState.Draft || d.State == DeliveryState.Scheduled).Select(d => d.PostId);
        var pending = await db.Set<Post>().AsNoTracking()
            .Where(p => postIds.Contains(p.Id) && p.Status != PostStatus.Cancelled && unsent.Contains(p.Id))
            .OrderBy(p => p.DueAt).Select(p => new CommunityTagUse(p.Id, p.Title)).ToListAsync(ct);
        if (pending.Count > 0)
            return new(CommunityTagOutcome.InUse, tag, validation, pending);
        // Sent and cancelled posts keep what they chose, less the tag that no longer exists (their copies are what they meant).
        foreach (var post in posts)
        {
            var targets = JsonSerializer.Deserialize<PostTargets>(post.Targets, PostPlanner.Json) ?? new PostTargets();
            post.Targets = JsonSerializer.Serialize(targets with { TagIds = [.. (targets.TagIds ?? []).Where(t => t != id)] }, PostPlanner.Json);
        }
        await db.Set<CommunityTagLink>().Where(l => l.TagId == id).ExecuteDeleteAsync(ct);
        db.Remove(tag);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(CommunityTagOutcome.Saved, tag, validation);
    }

    /// <summary>Posts whose stored targets name the tag (the JSON holds the id as text; each match is checked after parsing).</summary>
    private async Task<List<Post>> PostsNamingAsync(Guid id, CancellationToken ct)
    {
        var text = id.ToString();
        var candidates = await db.Set<Post>().Where(p => p.Targets.Contains(text)).ToListAsync(ct);
        return [.. candidates.Where(p => JsonSerializer.Deserialize<PostTargets>(p.Targets, PostPlanner.Json)?.TagIds?.Contains(id) == true)];
    }

    private static string? Color(Validation validation, string? color)
    {
        if (string.IsNullOrWhiteSpace(color))
            return null;
        color = color.Trim();
        if (!CommunityTag.IsColor(color))
            validation.Add("color", "BadColor", $"'color' must be '#' and six hex digits, like '#3f51b5' (got '{color}').", color);
        return color.ToLowerInvariant();
    }

    private async Task CheckNameAsync(Validation validation, string? name, Guid? id, CancellationToken ct)
    {
        validation.Required("name", name, CommunityTag.NameMaxLength);
        if (name is null || name.Length == 0 || name.Length > CommunityTag.NameMaxLength)
            return;
        var normalized = CommunityTag.Normalize(name);
        if (await db.Set<CommunityTag>().AnyAsync(t => t.NormalizedName == normalized && t.Id != id, ct))
            validation.Add("name", "DuplicateCommunityTag", $"A community tag named '{name}' already exists in this workspace.", name);
    }

    /// <summary>The unique index decides when two staff save the same name at once.</summary>
    private async Task<CommunityTagResult> SaveAsync(CommunityTag tag, Validation validation, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return new(CommunityTagOutcome.Saved, tag, validation);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (!await db.Set<CommunityTag>().AnyAsync(t => t.NormalizedName == tag.NormalizedName && t.Id != tag.Id, ct))
                throw;
            validation.Add("name", "DuplicateCommunityTag", $"A community tag named '{tag.Name}' already exists in this workspace.", tag.Name);
            return new(CommunityTagOutcome.Invalid, null, validation);
        }
    }

    /// <summary>Counts only communities the actor sees, so that counts say nothing about the others.</summary>
    private static IQueryable<CommunityTagDto> Project(IQueryable<CommunityTag> tags, StaffProfile me)
    {
        var all = me.SeesAllCommunities;
        var assigned = me.AssignedCommunityIds.ToArray();
        return tags.Select(t => new CommunityTagDto(t.Id, t.Name, t.Color, t.Communities.Count(l => all || assigned.Contains(l.CommunityId)), t.CreatedAt));
    }
}
