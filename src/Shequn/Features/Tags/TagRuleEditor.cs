using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Features.Tags;

/// <summary>An auto-tag rule as the API and the page show it.</summary>
public sealed record TagRuleDto(Guid Id, string Name, Guid TagId, string TagName, TagRuleKind Kind, TagRuleSpec Spec, bool Enabled,
    DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>A rule to save. <c>kind</c>: channel, keyword, community, active, silent, profileField; <c>spec</c> holds its parameters.</summary>
public sealed record TagRuleInput(string? Name, Guid? TagId, string? Kind, TagRuleSpec? Spec, bool? Enabled = null);

public sealed record TagRuleSaveResult(EditOutcome Outcome, TagRuleDto? Rule, Validation Validation);

/// <summary>
/// Auto-tag rules, shared by the console (<c>/tags/rules</c>) and the API (<c>/api/tag-rules</c>): all staff read; the
/// roles that manage tags change. Every change is audited; the processor and the daily job read the rules as they are.
/// </summary>
public sealed class TagRuleEditor(AppDbContext db)
{
    public async Task<List<TagRuleDto>> ListAsync(CancellationToken ct = default)
    {
        var ws = db.CurrentWorkspaceId;
        var rules = await db.Set<TagRule>().AsNoTracking().Where(r => r.WorkspaceId == ws).Include(r => r.Tag)
            .OrderBy(r => r.CreatedAt).ToListAsync(ct);
        return [.. rules.Select(Dto)];
    }

    public async Task<TagRuleDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var ws = db.CurrentWorkspaceId;
        var rule = await db.Set<TagRule>().AsNoTracking().Include(r => r.Tag).SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
        return rule is null ? null : Dto(rule);
    }

    public Task<TagRuleSaveResult> CreateAsync(TagRuleInput input, CancellationToken ct = default) => SaveAsync(null, input, ct);

    public Task<TagRuleSaveResult> UpdateAsync(Guid id, TagRuleInput input, CancellationToken ct = default) => SaveAsync(id, input, ct);

    public async Task<EditOutcome> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTags)
            return EditOutcome.Forbidden;
        var ws = db.CurrentWorkspaceId;
        var rule = await db.Set<TagRule>().SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
        if (rule is null)
            return EditOutcome.NotFound;
        // Its suggestions stay for staff to review; confirmed and rejected tags keep their rule id for the record.
        db.Remove(rule);
        await db.SaveChangesAsync(ct);
        return EditOutcome.Saved;
    }

    private async Task<TagRuleSaveResult> SaveAsync(Guid? id, TagRuleInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanManageTags)
            return new(EditOutcome.Forbidden, null, validation);
        var ws = db.CurrentWorkspaceId;
        TagRule? rule = null;
        if (id is { } existing)
        {
            rule = await db.Set<TagRule>().SingleOrDefaultAsync(r => r.Id == existing && r.WorkspaceId == ws, ct);
            if (rule is null)
                return new(EditOutcome.NotFound, null, validation);
        }

        Tag? tag = null;
        if (input.TagId is not { } tagId)
            validation.Add("tagId", "Required", "'tagId' is required.");
        else if ((tag = await db.Tags.SingleOrDefaultAsync(t => t.Id == tagId, ct)) is null)
            validation.Add("tagId", "UnknownTag", $"Unknown tag '{tagId}'.", tagId);
        var name = input.Name?.Trim();
        validation.MaxLength("name", name, TagRule.NameMaxLength);
        var kind = validation.ParseEnum<TagRuleKind>("kind", input.Kind);
        if (input.Kind is null)
            validation.Add("kind", "Required", "'kind' is required.");
        TagRuleSpec spec = new();
        if (kind is { } k)
        {
            var communities = (await db.Visible(me).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
            spec = TagRuleSpecs.Validate(validation, k, input.Spec, communities);
        }
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        if (string.IsNullOrEmpty(name))
            name = EventEffects.Clip($"{tag!.Name} · {kind}", TagRule.NameMaxLength)!;
        if (rule is null)
        {
            rule = new TagRule { WorkspaceId = ws, Name = name };
            db.Add(rule);
        }
        var json = spec.ToJson();
        if (rule.Name != name || rule.TagId != tag!.Id || rule.Kind != kind!.Value || rule.Spec != json || (input.Enabled is { } en && en != rule.Enabled)
            || db.Entry(rule).State == EntityState.Added)
        {
            (rule.Name, rule.TagId, rule.Kind, rule.Spec) = (name, tag!.Id, kind!.Value, json);
            rule.Enabled = input.Enabled ?? rule.Enabled;
            rule.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        rule.Tag = tag;
        return new(EditOutcome.Saved, Dto(rule), validation);
    }

    public static TagRuleDto Dto(TagRule r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Id, r.Name, r.TagId, r.Tag?.Name ?? "", r.Kind, r.SpecRecord, r.Enabled, r.CreatedAt, r.UpdatedAt);
    }
}
