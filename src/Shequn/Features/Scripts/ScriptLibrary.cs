using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Scripts;

public sealed record ScriptOverrideDto(Guid CommunityId, string CommunityName, string Text, DateTime UpdatedAt);

/// <param name="Overrides">The communities the reader sees that have their own text for it.</param>
public sealed record ScriptDto(
    Guid Id,
    ScriptCategory Category,
    string Name,
    string Text,
    string? Template,
    int UsageCount,
    IReadOnlyList<string> Variables,
    IReadOnlyList<ScriptOverrideDto> Overrides,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>A script to create or change; on update a field left out stays as it is.</summary>
public sealed record ScriptInput(ScriptCategory? Category = null, string? Name = null, string? Text = null);

public sealed record ScriptOverrideInput(string? Text);

/// <summary>A text to render with sample values (in <paramref name="CommunityId"/>'s name, intro and rules when given).</summary>
public sealed record ScriptPreviewInput(string? Text, Guid? CommunityId = null);

/// <summary>A quick reply ready to insert: its variables filled in for the community and member at hand.</summary>
public sealed record QuickReplyDto(Guid ScriptId, string Name, string Text);

public sealed record ScriptPreviewDto(string Rendered, IReadOnlyList<string> UnknownVariables);

public sealed record ScriptResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

/// <summary>The text a community uses for a category: its override, else the workspace's script, else the built-in template.</summary>
/// <param name="ScriptId">The script it comes from (null: the built-in template; nothing to count).</param>
public sealed record ScriptChoice(Guid? ScriptId, string Text, bool IsOverride);

/// <summary>
/// The script library (话术) as staff see and change it, for the console and the API with the same rules: all staff
/// read; everyone but KOCs edits (<see cref="MayEdit"/>); a community's own text is set by whoever may edit and sees
/// that community. Texts are checked with <see cref="ScriptText.Unknown"/> at save: the error names each unknown
/// variable. The workspace starts with <see cref="ScriptTemplates"/>, made the first time anyone reads the library.
/// </summary>
public sealed class ScriptLibrary(AppDbContext db)
{
    public static bool MayEdit(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    private IQueryable<Script> Scripts => db.Set<Script>().Where(s => s.WorkspaceId == db.CurrentWorkspaceId);

    public async Task<IReadOnlyList<ScriptDto>> ListAsync(ScriptCategory? category = null, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        await EnsureTemplatesAsync(db, ct);
        var scripts = await Scripts.AsNoTracking().Where(s => category == null || s.Category == category)
            .OrderBy(s => s.Category).ThenBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(ct);
        var overrides = await OverridesAsync(me, [.. scripts.Select(s => s.Id)], ct);
        return [.. scripts.Select(s => ToDto(s, overrides))];
    }

    public async Task<ScriptDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var script = await Scripts.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        return script is null ? null : ToDto(script, await OverridesAsync(me, [id], ct));
    }

    public async Task<ScriptResult<ScriptDto>> CreateAsync(ScriptInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, null, validation);
        // The starting scripts come first, so that a script made before anyone read the library does not prevent them.
        await EnsureTemplatesAsync(db, ct);
        if (input.Category is null)
            validation.Add("category", "Required", "'category' is required.");
        else
            validation.Defined("category", input.Category.Value);
        var name = input.Name?.Trim();
        await CheckNameAsync(validation, name, null, ct);
        CheckText(validation, "text", input.Text);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var script = new Script { WorkspaceId = db.CurrentWorkspaceId, Category = input.Category!.Value, Name = name!, Text = input.Text!.Trim() };
        db.Add(script);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, await GetAsync(script.Id, ct), validation);
    }

    public async Task<ScriptResult<ScriptDto>> UpdateAsync(Guid id, ScriptInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, null, validation);
        var script = await Scripts.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (script is null)
            return new(EditOutcome.NotFound, null, validation);
        if (input.Category is { } category)
            validation.Defined("category", category);
        var name = input.Name is null ? script.Name : input.Name.Trim();
        await CheckNameAsync(validation, name, id, ct);
        var text = input.Text ?? script.Text;
        CheckText(validation, "text", text);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        script.Category = input.Category ?? script.Category;
        script.Name = name;
        script.Text = text.Trim();
        if (db.ChangeTracker.HasChanges())
        {
            script.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return new(EditOutcome.Saved, await GetAsync(id, ct), validation);
    }

    /// <summary>Deletes a script with its community texts; auto-replies that answered with it keep their own text or stop.</summary>
    public async Task<ScriptResult<bool>> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!MayEdit(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, false, validation);
        var script = await Scripts.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (script is null)
            return new(EditOutcome.NotFound, false, validation);
        foreach (var o in await db.Set<ScriptOverride>().Where(o => o.ScriptId == id).ToListAsync(ct))
            db.Remove(o);
        db.Remove(script);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, true, validation);
    }

    /// <summary>Sets a community's own text for a script (made or changed).</summary>
    public async Task<ScriptResult<ScriptDto>> SetOverrideAsync(Guid id, Guid communityId, ScriptOverrideInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(EditOutcome.Forbidden, null, validation);
        if (!await Scripts.AnyAsync(s => s.Id == id, ct) || !await db.Visible(me).AnyAsync(c => c.Id == communityId, ct))
            return new(EditOutcome.NotFound, null, validation);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, null, validation);
        CheckText(validation, "text", input.Text);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var existing = await db.Set<ScriptOverride>().SingleOrDefaultAsync(o => o.ScriptId == id && o.CommunityId == communityId, ct);
        if (existing is null)
            db.Add(new ScriptOverride { WorkspaceId = db.CurrentWorkspaceId, ScriptId = id, CommunityId = communityId, Text = input.Text!.Trim() });
        else if (existing.Text != input.Text!.Trim())
        {
            existing.Text = input.Text.Trim();
            existing.UpdatedAt = DateTime.UtcNow;
        }
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, await GetAsync(id, ct), validation);
    }

    /// <summary>Removes a community's own text: the community uses the workspace's script again.</summary>
    public async Task<ScriptResult<ScriptDto>> RemoveOverrideAsync(Guid id, Guid communityId, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(EditOutcome.Forbidden, null, validation);
        if (!await Scripts.AnyAsync(s => s.Id == id, ct) || !await db.Visible(me).AnyAsync(c => c.Id == communityId, ct))
            return new(EditOutcome.NotFound, null, validation);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, null, validation);
        var existing = await db.Set<ScriptOverride>().SingleOrDefaultAsync(o => o.ScriptId == id && o.CommunityId == communityId, ct);
        if (existing is null)
            return new(EditOutcome.NotFound, null, validation);
        db.Remove(existing);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, await GetAsync(id, ct), validation);
    }

    /// <summary>Renders a text with sample values (a community's own name, intro and rules when one is given).</summary>
    public async Task<ScriptResult<ScriptPreviewDto>> PreviewAsync(ScriptPreviewInput input, ScriptSamples samples, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(samples);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(EditOutcome.Forbidden, null, validation);
        validation.MaxLength("text", input.Text, ScriptText.MaxLength);
        if (input.Text is null)
            validation.Add("text", "Required", "'text' is required.");
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        string? community = null;
        if (input.CommunityId is { } cid)
        {
            community = await db.Visible(me).Where(c => c.Id == cid).Select(c => c.Name).SingleOrDefaultAsync(ct);
            if (community is null)
                return new(EditOutcome.Invalid, null, validation.Add("communityId", "UnknownValue", $"'communityId' has an unknown value '{cid}'.", cid));
        }
        var values = await SampleValuesAsync(db, db.CurrentWorkspaceId, input.CommunityId, community, samples, ct);
        return new(EditOutcome.Saved, new ScriptPreviewDto(ScriptText.Render(input.Text!, values), ScriptText.Unknown(input.Text!)), validation);
    }

    /// <summary>
    /// The workspace's quick replies (category <see cref="ScriptCategory.QuickReply"/>, oldest first) as staff insert them:
    /// the community's own text where it has one, variables filled in with the community's name and the given nickname
    /// (samples for the rest).
    /// </summary>
    public async Task<IReadOnlyList<QuickReplyDto>> QuickRepliesAsync(Guid? communityId, string? nickname, ScriptSamples samples, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        string? community = null;
        if (communityId is { } cid && (community = await db.Visible(me).Where(c => c.Id == cid).Select(c => c.Name).SingleOrDefaultAsync(ct)) is null)
            communityId = null;
        if (!string.IsNullOrWhiteSpace(nickname))
            samples = samples with { Nickname = nickname.Trim() };
        var values = await SampleValuesAsync(db, db.CurrentWorkspaceId, communityId, community, samples, ct);
        var scripts = await Scripts.AsNoTracking().Where(s => s.Category == ScriptCategory.QuickReply)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).Select(s => new { s.Id, s.Name, s.Text }).ToListAsync(ct);
        var result = new List<QuickReplyDto>(scripts.Count);
        foreach (var s in scripts)
        {
            var text = (await TextOfAsync(db, db.CurrentWorkspaceId, s.Id, s.Text, communityId, ct)).Text;
            result.Add(new QuickReplyDto(s.Id, s.Name, ScriptText.Render(text, values)));
        }
        return result;
    }

    /// <summary>Values for a preview: the community's (or the workspace's) intro and rules, sample names otherwise.</summary>
    public static async Task<Dictionary<string, string?>> SampleValuesAsync(AppDbContext db, Guid workspaceId, Guid? communityId, string? communityName,
        ScriptSamples samples, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var community = communityName ?? samples.Community;
        var values = new Dictionary<string, string?>
        {
            [ScriptText.Nickname] = samples.Nickname,
            [ScriptText.Member] = samples.Nickname,
            [ScriptText.Community] = community,
            [ScriptText.Owner] = samples.Owner,
            [ScriptText.ProfileLink] = samples.ProfileLink,
        };
        var inner = new Dictionary<string, string?>(values);
        values[ScriptText.Intro] = ScriptText.Render((await TextForAsync(db, workspaceId, communityId, ScriptCategory.Intro, ct))?.Text ?? "", inner);
        values[ScriptText.Rules] = ScriptText.Render((await TextForAsync(db, workspaceId, communityId, ScriptCategory.Rules, ct))?.Text ?? "", inner);
        return values;
    }

    /// <summary>
    /// The text a community uses for a category: the community's own text for the workspace's first script of that
    /// category (oldest first), else that script's text, else the built-in template (<see cref="ScriptTemplates"/>).
    /// Reads only; works outside a staff request (the processor): the workspace is given, not taken from the caller.
    /// </summary>
    public static async Task<ScriptChoice?> TextForAsync(AppDbContext db, Guid workspaceId, Guid? communityId, ScriptCategory category, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var script = await db.Set<Script>().IgnoreQueryFilters().AsNoTracking().Where(s => s.WorkspaceId == workspaceId && s.Category == category)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).Select(s => new { s.Id, s.Text }).FirstOrDefaultAsync(ct);
        if (script is null)
            return ScriptTemplates.Fallback(category) is { } fallback ? new ScriptChoice(null, fallback, false) : null;
        return await TextOfAsync(db, workspaceId, script.Id, script.Text, communityId, ct);
    }

    /// <summary>A given script's text in a community: its override there, else the script's own.</summary>
    public static async Task<ScriptChoice?> TextOfScriptAsync(AppDbContext db, Guid workspaceId, Guid scriptId, Guid? communityId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var script = await db.Set<Script>().IgnoreQueryFilters().AsNoTracking().Where(s => s.WorkspaceId == workspaceId && s.Id == scriptId)
            .Select(s => new { s.Id, s.Text }).FirstOrDefaultAsync(ct);
        return script is null ? null : await TextOfAsync(db, workspaceId, script.Id, script.Text, communityId, ct);
    }

    private static async Task<ScriptChoice> TextOfAsync(AppDbContext db, Guid workspaceId, Guid scriptId, string text, Guid? communityId, CancellationToken ct)
    {
        if (communityId is { } cid)
        {
            // The processor reads this with no acting workspace: the workspace is given.
            var own = await db.Set<ScriptOverride>().IgnoreQueryFilters().AsNoTracking()
                .Where(o => o.WorkspaceId == workspaceId && o.ScriptId == scriptId && o.CommunityId == cid)
                .Select(o => o.Text).FirstOrDefaultAsync(ct);
            if (own is not null)
                return new ScriptChoice(scriptId, own, true);
        }
        return new ScriptChoice(scriptId, text, false);
    }

    /// <summary>
    /// Counts sends of <paramref name="workspaceId"/>'s scripts: one UPDATE per script, in the caller's transaction (the
    /// processor's, so a rolled-back batch counts nothing). Not audited: nobody changed the script. Works outside a staff
    /// request (the workspace is given).
    /// </summary>
    public static async Task CountUsesAsync(AppDbContext db, Guid workspaceId, IReadOnlyDictionary<Guid, int> uses, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(uses);
        foreach (var (id, n) in uses)
        {
            await db.Set<Script>().IgnoreQueryFilters().Where(s => s.WorkspaceId == workspaceId && s.Id == id)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.UsageCount, s => s.UsageCount + n), ct);
        }
    }

    /// <summary>
    /// Makes the workspace's starting scripts (<see cref="ScriptTemplates"/>) if it has no script yet. Safe on two nodes
    /// at once: names are unique per workspace, so the second insert fails and is forgotten.
    /// </summary>
    public static async Task EnsureTemplatesAsync(AppDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var ws = db.CurrentWorkspaceId;
        if (ws == Guid.Empty || await db.Set<Script>().AnyAsync(s => s.WorkspaceId == ws, ct))
            return;
        var made = ScriptTemplates.All.Select(t => new Script { WorkspaceId = ws, Category = t.Category, Name = t.Name, Text = t.Text, Template = t.Key }).ToList();
        var at = DateTime.UtcNow;
        for (var i = 0; i < made.Count; i++)
            made[i].CreatedAt = made[i].UpdatedAt = at.AddMilliseconds(i);
        db.AddRange(made);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is DbUpdateException || e.InnerException is DbUpdateException)
        {
            // Another node (or request) made them first: a unique name, or on PostgreSQL a deadlock between the two
            // inserts, which the retrying execution strategy reports wrapped once it gives up.
            foreach (var entry in db.ChangeTracker.Entries().Where(e => e.State == EntityState.Added && (e.Entity is Script || e.Entity is AuditEntry)).ToList())
                entry.State = EntityState.Detached;
        }
    }

    public static void CheckText(Validation validation, string field, string? text)
    {
        ArgumentNullException.ThrowIfNull(validation);
        validation.Required(field, text, ScriptText.MaxLength);
        if (string.IsNullOrWhiteSpace(text))
            return;
        var unknown = ScriptText.Unknown(text);
        if (unknown.Count > 0)
        {
            var names = string.Join(", ", unknown.Select(v => "{" + v + "}"));
            var known = string.Join(", ", ScriptText.Variables.Select(v => "{" + v + "}"));
            validation.Add(field, "UnknownVariables", $"'{field}' uses unknown variables: {names}; known variables: {known}.", names, known);
        }
    }

    private async Task CheckNameAsync(Validation validation, string? name, Guid? id, CancellationToken ct)
    {
        validation.Required("name", name, Script.NameMaxLength);
        if (!string.IsNullOrEmpty(name) && await Scripts.AnyAsync(s => s.Name == name && s.Id != id, ct))
            validation.Add("name", "DuplicateName", $"A script named '{name}' already exists in this workspace.", name);
    }

    private async Task<ILookup<Guid, ScriptOverrideDto>> OverridesAsync(StaffProfile me, List<Guid> ids, CancellationToken ct)
    {
        var visible = db.Visible(me);
        var rows = await db.Set<ScriptOverride>().AsNoTracking()
            .Where(o => ids.Contains(o.ScriptId))
            .Join(visible, o => o.CommunityId, c => c.Id, (o, c) => new { o.ScriptId, o.CommunityId, c.Name, o.Text, o.UpdatedAt })
            .ToListAsync(ct);
        return rows.OrderBy(r => r.Name).ToLookup(r => r.ScriptId, r => new ScriptOverrideDto(r.CommunityId, r.Name, r.Text, r.UpdatedAt));
    }

    private static ScriptDto ToDto(Script s, ILookup<Guid, ScriptOverrideDto> overrides) =>
        new(s.Id, s.Category, s.Name, s.Text, s.Template, s.UsageCount, ScriptText.Used(s.Text), [.. overrides[s.Id]], s.CreatedAt, s.UpdatedAt);
}

/// <summary>Sample values for previews, in the reader's language.</summary>
public sealed record ScriptSamples(string Nickname, string Community, string Owner, string ProfileLink)
{
    public static ScriptSamples From(Microsoft.Extensions.Localization.IStringLocalizer l)
    {
        ArgumentNullException.ThrowIfNull(l);
        return new(l["Scripts.Sample.Nickname"], l["Scripts.Sample.Community"], l["Scripts.Sample.Owner"], "https://example.com/p/abc123");
    }
}
