using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Moderation;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Enforcement;

/// <summary>A community that follows a rule set; <see cref="Inherited"/>: through the workspace default, not by name.</summary>
public sealed record RuleSetCommunityDto(Guid Id, string Name, CommunityTier Tier, bool Inherited);

/// <param name="Communities">The communities following it that the reader may see.</param>
/// <param name="HiddenCommunities">How many more follow it that the reader may not see.</param>
public sealed record RuleSetDto(
    Guid Id,
    string Name,
    bool IsDefault,
    string? Template,
    RuleSetSpec Spec,
    IReadOnlyList<RuleSetCommunityDto> Communities,
    int HiddenCommunities,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>
/// A rule set to create or change. On create, <see cref="Template"/> (a key of <see cref="RuleSetTemplates"/>) gives
/// the rules and the name unless they are given; on update a field left out stays as it is and the template is not used.
/// </summary>
public sealed record RuleSetInput(string? Name, string? Template = null, RuleSetSpec? Spec = null);

public sealed record CommunityRuleSetInput(Guid? RuleSetId);

/// <summary>The rule set a community follows: its own, or (<see cref="Inherited"/>) the workspace default.</summary>
public sealed record EffectiveRuleSetDto(Guid CommunityId, string CommunityName, bool Inherited, RuleSetDto RuleSet);

/// <param name="Conflict">Why a delete was refused (the default, or still followed by communities).</param>
public sealed record RuleSetResult<T>(EditOutcome Outcome, T? Value, Validation Validation, Reason? Conflict = null);

/// <summary>
/// Rule sets (群规) as staff see and change them, for the console and the API with the same rules: everyone reads,
/// owners and sub-owners change them (<see cref="MayEdit"/>), whoever may edit a community chooses its rule set.
/// Every change is audited; every workspace has exactly one default, made from the comprehensive template the
/// first time anyone asks for it (<see cref="EnsureDefaultAsync"/>).
/// </summary>
public sealed class RuleSetEditor(AppDbContext db, RuleSetChanges changes)
{
    /// <summary>Rule sets bind every community of the workspace, so only the workspace's leaders change them.</summary>
    public static bool MayEdit(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public async Task<IReadOnlyList<RuleSetDto>> ListAsync(CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        await EnsureDefaultAsync(db, changes, ct);
        var sets = await db.Set<RuleSet>().AsNoTracking().OrderByDescending(r => r.IsDefault).ThenBy(r => r.Name).ToListAsync(ct);
        var usage = await UsageAsync(me, ct);
        return [.. sets.Select(s => ToDto(s, usage))];
    }

    public async Task<RuleSetDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        await EnsureDefaultAsync(db, changes, ct);
        var set = await db.Set<RuleSet>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        return set is null ? null : ToDto(set, await UsageAsync(me, ct));
    }

    public async Task<RuleSetResult<RuleSetDto>> CreateAsync(RuleSetInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, null, validation);
        await EnsureDefaultAsync(db, changes, ct);

        RuleSetTemplate? template = null;
        if (!string.IsNullOrWhiteSpace(input.Template) && (template = RuleSetTemplates.Find(input.Template)) is null)
            validation.Add("template", "UnknownValue", $"'template' has an unknown value '{input.Template}'; known templates: {string.Join(", ", RuleSetTemplates.All.Select(t => t.Key))}.", input.Template);
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) && template is not null)
            name = await FreeNameAsync(template.Name, ct);
        var spec = await CheckAsync(validation, name, null, input.Spec ?? template?.Spec ?? new RuleSetSpec(), ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        var set = new RuleSet { Name = name!, Template = template?.Key, Spec = spec.ToJson() };
        db.Add(set);
        return await SavedAsync(set, validation, ct);
    }

    public async Task<RuleSetResult<RuleSetDto>> UpdateAsync(Guid id, RuleSetInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, null, validation);
        var set = await db.Set<RuleSet>().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (set is null)
            return new(EditOutcome.NotFound, null, validation);
        var name = input.Name is null ? set.Name : input.Name.Trim();
        var spec = await CheckAsync(validation, name, id, input.Spec ?? RuleSetSpec.FromJson(set.Spec), ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        set.Name = name;
        set.Spec = spec.ToJson();
        // Unchanged saves change nothing, not even the time of the last change (which tells the runtime to reload).
        if (!db.ChangeTracker.HasChanges())
            return new(EditOutcome.Saved, ToDto(set, await UsageAsync(me!, ct)), validation);
        set.UpdatedAt = DateTime.UtcNow;
        return await SavedAsync(set, validation, ct);
    }

    /// <summary>Refused (with the reason) for the default and for a rule set that communities still follow.</summary>
    public async Task<RuleSetResult<bool>> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, false, validation);
        var set = await db.Set<RuleSet>().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (set is null)
            return new(EditOutcome.NotFound, false, validation);
        if (set.IsDefault)
            return new(EditOutcome.Invalid, false, validation, new Reason("RuleSets.Refused.Default",
                $"'{set.Name}' is the workspace default: make another rule set the default before deleting it.", set.Name));
        var followers = await db.Communities.Where(c => c.RuleSetId == id).CountAsync(ct);
        if (followers > 0)
        {
            var seen = await db.Visible(me).Where(c => c.RuleSetId == id).OrderBy(c => c.Name).Select(c => c.Name).Take(5).ToListAsync(ct);
            var names = seen.Count == 0 ? "" : string.Join(", ", seen);
            return new(EditOutcome.Invalid, false, validation, new Reason("RuleSets.Refused.InUse",
                $"'{set.Name}' is still followed by {followers} communities ({names}): choose another rule set for them first.", set.Name, followers, names));
        }
        db.Remove(set);
        await db.SaveChangesAsync(ct);
        changes.Notify(db.CurrentWorkspaceId);
        return new(EditOutcome.Saved, true, validation);
    }

    /// <summary>
    /// Makes a rule set the workspace default in one statement over all the workspace's rule sets, so that two such
    /// changes at once (on two nodes) still leave exactly one default: the later one.
    /// </summary>
    public async Task<RuleSetResult<RuleSetDto>> MakeDefaultAsync(Guid id, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, null, validation);
        await EnsureDefaultAsync(db, changes, ct);
        var set = await db.Set<RuleSet>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (set is null)
            return new(EditOutcome.NotFound, null, validation);
        if (!set.IsDefault)
        {
            var previous = await db.Set<RuleSet>().Where(r => r.IsDefault).Select(r => new { r.Id, r.Name }).ToListAsync(ct);
            var now = DateTime.UtcNow;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Set<RuleSet>().ExecuteUpdateAsync(s => s
                .SetProperty(r => r.UpdatedAt, r => r.IsDefault != (r.Id == id) ? now : r.UpdatedAt)
                .SetProperty(r => r.IsDefault, r => r.Id == id), ct);
            foreach (var p in previous)
                db.AddAuditNote(nameof(RuleSet), p.Id, "updated", Flag(true), Flag(false));
            db.AddAuditNote(nameof(RuleSet), id, "updated", Flag(false), Flag(true));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            changes.Notify(db.CurrentWorkspaceId);
        }
        return new(EditOutcome.Saved, await GetAsync(id, ct), validation);

        static Dictionary<string, object?> Flag(bool value) => new() { [nameof(RuleSet.IsDefault)] = value };
    }

    /// <summary>The rule set a community follows; null when the reader may not see the community.</summary>
    public async Task<EffectiveRuleSetDto?> EffectiveAsync(Guid communityId, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var community = await db.Visible(me).Where(c => c.Id == communityId).Select(c => new { c.Id, c.Name, c.RuleSetId }).SingleOrDefaultAsync(ct);
        if (community is null)
            return null;
        var fallback = await EnsureDefaultAsync(db, changes, ct);
        var id = community.RuleSetId ?? fallback.Id;
        var set = await GetAsync(id, ct) ?? await GetAsync(fallback.Id, ct);
        return new EffectiveRuleSetDto(community.Id, community.Name, community.RuleSetId is null, set!);
    }

    /// <summary>Chooses a community's rule set (null: the workspace default). Audited as a change of the community.</summary>
    public async Task<RuleSetResult<EffectiveRuleSetDto>> AssignAsync(Guid communityId, CommunityRuleSetInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        var community = await db.Visible(me).SingleOrDefaultAsync(c => c.Id == communityId, ct);
        if (community is null)
            return new(EditOutcome.NotFound, null, validation);
        if (me is not { CanEditCommunities: true })
            return new(EditOutcome.Forbidden, null, validation);
        if (input.RuleSetId is { } id && !await db.Set<RuleSet>().AnyAsync(r => r.Id == id, ct))
            return new(EditOutcome.Invalid, null, validation.Add("ruleSetId", "RuleSets.UnknownRuleSet", $"Unknown rule set '{id}'.", id));
        if (community.RuleSetId != input.RuleSetId)
        {
            community.RuleSetId = input.RuleSetId;
            community.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
            changes.Notify(db.CurrentWorkspaceId);
        }
        return new(EditOutcome.Saved, await EffectiveAsync(communityId, ct), validation);
    }

    /// <summary>
    /// The workspace's default rule set, made from the comprehensive template if there is none yet. Safe on two nodes
    /// at once: the name is unique per workspace, so the second insert fails and the retry finds the first one's row.
    /// Public for the runtime, which applies the default where a community names no rule set.
    /// </summary>
    public static async Task<RuleSet> EnsureDefaultAsync(AppDbContext db, RuleSetChanges? changes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        for (var attempt = 0; ; attempt++)
        {
            var found = await db.Set<RuleSet>().Where(r => r.IsDefault).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).FirstOrDefaultAsync(ct);
            if (found is not null)
                return found;
            var template = RuleSetTemplates.Default;
            // A rule set already holds the name but none is the default (made before defaults existed): it becomes the default.
            var set = await db.Set<RuleSet>().SingleOrDefaultAsync(r => r.Name == template.Name, ct);
            if (set is not null)
                set.IsDefault = true;
            else
                set = db.Add(new RuleSet { Name = template.Name, IsDefault = true, Template = template.Key, Spec = template.Spec.ToJson() }).Entity;
            try
            {
                await db.SaveChangesAsync(ct);
                changes?.Notify(db.CurrentWorkspaceId);
                return set;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another node made it first: forget this attempt (and its audit row) and read theirs.
                foreach (var entry in db.ChangeTracker.Entries().Where(e => e.Entity == set || (e.Entity is AuditEntry && e.State == EntityState.Added)).ToList())
                    entry.State = EntityState.Detached;
            }
        }
    }

    /// <summary>Validates the name (required, unique) and the rules; returns the rules cleaned.</summary>
    private async Task<RuleSetSpec> CheckAsync(Validation validation, string? name, Guid? id, RuleSetSpec spec, CancellationToken ct)
    {
        validation.Required("name", name, RuleSet.NameMaxLength);
        if (!string.IsNullOrEmpty(name) && await db.Set<RuleSet>().AnyAsync(r => r.Name == name && r.Id != id, ct))
            validation.Add("name", "DuplicateName", $"A rule set named '{name}' already exists in this workspace.", name);
        var policy = await db.Set<ModerationPolicy>().AsNoTracking().Select(p => new { p.ReviewThreshold, p.ActThreshold }).SingleOrDefaultAsync(ct);
        var thresholds = policy is null ? (ModerationThresholds.Default.Review, ModerationThresholds.Default.Act) : (policy.ReviewThreshold, policy.ActThreshold);
        var clean = RuleSetSpecValidation.Check(validation, spec, thresholds);
        if (clean.ExemptMembers.Count > 0 && clean.ExemptMembers.Count <= RuleSetSpecValidation.MaxExemptMembers)
        {
            var ids = clean.ExemptMembers.ToList();
            var known = await db.Members.Where(m => ids.Contains(m.Id)).Select(m => m.Id).ToListAsync(ct);
            foreach (var unknown in ids.Except(known).Take(5))
                validation.Add(RuleSetSpecValidation.Prefix + "exemptMembers", "UnknownMember", $"Unknown member '{unknown}'.", unknown);
        }
        if (validation.IsValid && clean.ToJson().Length > RuleSet.SpecMaxLength)
            validation.Add("spec", "TooLong", $"'spec' must be at most {RuleSet.SpecMaxLength} characters as JSON.", RuleSet.SpecMaxLength, clean.ToJson().Length);
        return clean;
    }

    private async Task<RuleSetResult<RuleSetDto>> SavedAsync(RuleSet set, Validation validation, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        // Also wakes the advisor's nickname flags' recheck (NicknameFlagRefresh), in the background: minutes for a rule set
        // followed by hundreds of large communities, so never in this request; the advisor checks them itself meanwhile.
        changes.Notify(db.CurrentWorkspaceId);
        // Read back as stored, so the times are those the next read gives (PostgreSQL keeps microseconds).
        return new(EditOutcome.Saved, await GetAsync(set.Id, ct), validation);
    }

    /// <summary>The template's name, or with a number after it when that is taken ("综合群群规 2").</summary>
    private async Task<string> FreeNameAsync(string name, CancellationToken ct)
    {
        var taken = await db.Set<RuleSet>().Where(r => r.Name.StartsWith(name)).Select(r => r.Name).ToListAsync(ct);
        var candidate = name;
        for (var n = 2; taken.Contains(candidate, StringComparer.Ordinal); n++)
            candidate = $"{name} {n}";
        return candidate;
    }

    private sealed record Usage(Guid? DefaultId, ILookup<Guid?, RuleSetCommunityDto> Visible, Dictionary<Guid, int> All);

    /// <summary>Which communities follow which rule set: by name for those the reader sees, counted for all.</summary>
    private async Task<Usage> UsageAsync(StaffProfile me, CancellationToken ct)
    {
        var defaultId = await db.Set<RuleSet>().Where(r => r.IsDefault).OrderBy(r => r.CreatedAt).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(ct);
        var visible = await db.Visible(me).OrderBy(c => c.Name).Select(c => new { c.Id, c.Name, c.Tier, c.RuleSetId }).ToListAsync(ct);
        var all = await db.Communities.GroupBy(c => c.RuleSetId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return new Usage(
            defaultId,
            visible.ToLookup(c => c.RuleSetId ?? defaultId, c => new RuleSetCommunityDto(c.Id, c.Name, c.Tier, c.RuleSetId is null)),
            all.GroupBy(g => g.Key ?? defaultId ?? Guid.Empty).ToDictionary(g => g.Key, g => g.Sum(x => x.Count)));
    }

    private static RuleSetDto ToDto(RuleSet set, Usage usage)
    {
        var seen = usage.Visible[set.Id].ToList();
        return new RuleSetDto(set.Id, set.Name, set.IsDefault, set.Template, RuleSetSpec.FromJson(set.Spec), seen,
            usage.All.GetValueOrDefault(set.Id) - seen.Count, set.CreatedAt, set.UpdatedAt);
    }
}
