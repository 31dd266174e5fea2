using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Topics;

public sealed record TopicDto(
    Guid Id,
    string Title,
    TopicKind Kind,
    IReadOnlyList<string> Tags,
    string? Description,
    IReadOnlyList<string> Questions,
    string? Template,
    Guid? CreatedByStaffId,
    int UsageCount,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>A topic to create or change; on update a field left out stays as it is.</summary>
public sealed record TopicInput(
    string? Title = null,
    TopicKind? Kind = null,
    IReadOnlyList<string>? Tags = null,
    string? Description = null,
    IReadOnlyList<string>? Questions = null);

public enum TopicOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>The state does not allow it (a held session cannot be cancelled), or someone changed it meanwhile.</summary>
    Conflict,
}

public sealed record TopicResult<T>(TopicOutcome Outcome, T? Value, Validation Validation, string? Conflict = null);

/// <summary>
/// The topic library as staff see and change it (console and API alike): all staff read; everyone but KOCs edits. The
/// workspace starts with <see cref="TopicTemplates"/>, made the first time anyone reads the library.
/// </summary>
public sealed class TopicLibrary(AppDbContext db)
{
    public static bool MayEdit(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    /// <summary>The library, filtered by kind, by a tag and by words in the title or description.</summary>
    public async Task<IReadOnlyList<TopicDto>> ListAsync(TopicKind? kind = null, string? tag = null, string? search = null, CancellationToken ct = default)
    {
        if (await db.Current.GetProfileAsync(db, ct) is null)
            return [];
        await EnsureTemplatesAsync(db, ct);
        var q = db.Set<Topic>().AsNoTracking();
        if (kind is { } k)
            q = q.Where(t => t.Kind == k);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim();
            q = q.Where(t => t.Title.Contains(s) || (t.Description != null && t.Description.Contains(s)));
        }
        var rows = await q.OrderBy(t => t.Kind).ThenBy(t => t.CreatedAt).ThenBy(t => t.Id).ToListAsync(ct);
        var dtos = rows.Select(ToDto);
        if (!string.IsNullOrWhiteSpace(tag))
            dtos = dtos.Where(t => t.Tags.Contains(tag.Trim(), StringComparer.OrdinalIgnoreCase));
        return [.. dtos];
    }

    public async Task<TopicDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        if (await db.Current.GetProfileAsync(db, ct) is null)
            return null;
        var topic = await db.Set<Topic>().AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, ct);
        return topic is null ? null : ToDto(topic);
    }

    public async Task<TopicResult<TopicDto>> CreateAsync(TopicInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(TopicOutcome.Forbidden, null, v);
        await EnsureTemplatesAsync(db, ct);
        if (input.Kind is null)
            v.Add("kind", "Required", "'kind' is required: universal, professional or personal.");
        var topic = new Topic { WorkspaceId = db.CurrentWorkspaceId, Title = "", CreatedByStaffId = me!.Id };
        await ApplyAsync(v, topic, input with { Title = input.Title ?? "" }, ct);
        if (!v.IsValid)
            return new(TopicOutcome.Invalid, null, v);
        db.Add(topic);
        await db.SaveChangesAsync(ct);
        return new(TopicOutcome.Saved, ToDto(topic), v);
    }

    public async Task<TopicResult<TopicDto>> UpdateAsync(Guid id, TopicInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(TopicOutcome.Forbidden, null, v);
        var topic = await db.Set<Topic>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (topic is null)
            return new(TopicOutcome.NotFound, null, v);
        if (!MayEdit(me))
            return new(TopicOutcome.Forbidden, null, v);
        await ApplyAsync(v, topic, input, ct);
        if (!v.IsValid)
            return new(TopicOutcome.Invalid, null, v);
        if (db.ChangeTracker.HasChanges())
        {
            topic.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return new(TopicOutcome.Saved, ToDto(topic), v);
    }

    /// <summary>Deletes a topic no session was made from (sessions keep their topic: those are history).</summary>
    public async Task<TopicResult<bool>> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(TopicOutcome.Forbidden, false, v);
        var topic = await db.Set<Topic>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (topic is null)
            return new(TopicOutcome.NotFound, false, v);
        if (!MayEdit(me))
            return new(TopicOutcome.Forbidden, false, v);
        if (await db.Set<TopicSession>().AnyAsync(s => s.TopicId == id, ct))
            return new(TopicOutcome.Conflict, false, v, "Sessions were made from this topic; it stays in the library.");
        db.Remove(topic);
        await db.SaveChangesAsync(ct);
        return new(TopicOutcome.Saved, true, v);
    }

    private async Task ApplyAsync(Validation v, Topic topic, TopicInput input, CancellationToken ct)
    {
        var title = input.Title?.Trim() ?? topic.Title;
        v.Required("title", title, Topic.TitleMaxLength);
        if (!string.IsNullOrEmpty(title) && await db.Set<Topic>().AnyAsync(t => t.Title == title && t.Id != topic.Id, ct))
            v.Add("title", "DuplicateName", $"A topic titled '{title}' already exists in this workspace.", title);
        if (input.Kind is { } kind)
            v.Defined("kind", kind);
        var description = input.Description is null ? topic.Description : (string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim());
        v.MaxLength("description", description, Topic.DescriptionMaxLength);
        var tags = input.Tags is null ? null : CleanList(v, "tags", input.Tags, Topic.MaxTags, Topic.TagMaxLength);
        var questions = input.Questions is null ? null : CleanList(v, "questions", input.Questions, Topic.MaxQuestions, Topic.QuestionMaxLength);
        if (!v.IsValid)
            return;
        topic.Title = title;
        topic.Kind = input.Kind ?? topic.Kind;
        topic.Description = description;
        if (tags is not null && Topic.WriteList(tags) != topic.Tags)
            topic.Tags = Topic.WriteList(tags);
        if (questions is not null && Topic.WriteList(questions) != topic.Questions)
            topic.Questions = Topic.WriteList(questions);
    }

    /// <summary>Trims each item, drops blank ones and repeats (tags case-blind), and checks count and length, naming the item.</summary>
    public static List<string> CleanList(Validation v, string field, IReadOnlyList<string?> items, int max, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(items);
        var result = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i]?.Trim();
            if (string.IsNullOrEmpty(item))
                continue;
            if (item.Length > maxLength)
            {
                v.Add($"{field}[{i}]", "TooLong", $"'{field}[{i}]' must be at most {maxLength} characters (got {item.Length}).", maxLength, item.Length);
                continue;
            }
            if (!result.Contains(item, StringComparer.OrdinalIgnoreCase))
                result.Add(item);
        }
        if (result.Count > max)
            v.Add(field, "TooMany", $"'{field}' may hold at most {max} items (got {result.Count}).", max, result.Count);
        return result;
    }

    /// <summary>
    /// Makes the workspace's starter topics (<see cref="TopicTemplates"/>) if its library is empty. Safe on two nodes at
    /// once: titles are unique per workspace, so the second insert fails and is forgotten.
    /// </summary>
    public static async Task EnsureTemplatesAsync(AppDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var ws = db.CurrentWorkspaceId;
        if (ws == Guid.Empty || await db.Set<Topic>().AnyAsync(t => t.WorkspaceId == ws, ct))
            return;
        var at = DateTime.UtcNow;
        var made = TopicTemplates.All.Select((t, i) => new Topic
        {
            WorkspaceId = ws, Kind = t.Kind, Title = t.Title, Tags = Topic.WriteList(t.Tags), Description = t.Description,
            Questions = Topic.WriteList(t.Questions), Template = t.Key, CreatedAt = at.AddMilliseconds(i), UpdatedAt = at.AddMilliseconds(i),
        }).ToList();
        db.AddRange(made);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another node made them first.
            foreach (var entry in db.ChangeTracker.Entries().Where(e => e.State == EntityState.Added && (e.Entity is Topic || e.Entity is AuditEntry)).ToList())
                entry.State = EntityState.Detached;
        }
    }

    public static TopicDto ToDto(Topic t) =>
        new(t.Id, t.Title, t.Kind, Topic.ReadList(t.Tags), t.Description, Topic.ReadList(t.Questions), t.Template, t.CreatedByStaffId, t.UsageCount, t.CreatedAt, t.UpdatedAt);
}
