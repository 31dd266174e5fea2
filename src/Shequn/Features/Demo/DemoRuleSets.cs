using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;

namespace Shequn.Features.Demo;

/// <summary>
/// The demo's group rules (seed 004): the workspace default from the comprehensive template, and the ads template
/// for the ads community, where ads are allowed. The rule sets are made through the editor, so they are audited as staff would make them.
/// Runs on every start: an existing ads rule set is left as it is (and so is the community's choice), so a second
/// run adds nothing, and a demo made before rule sets existed gets them.
/// </summary>
public static class DemoRuleSets
{
    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        var editor = new RuleSetEditor(db, scope.ServiceProvider.GetRequiredService<RuleSetChanges>());
        await RuleSetEditor.EnsureDefaultAsync(db, null, ct);

        var ads = await db.Communities.Where(c => c.Tier == CommunityTier.Ads).OrderBy(c => c.CreatedAt).Select(c => new { c.Id, c.RuleSetId }).FirstOrDefaultAsync(ct);
        if (ads is null || await db.Set<RuleSet>().AnyAsync(r => r.Template == RuleSetTemplates.Ads, ct))
            return;
        var created = await editor.CreateAsync(new RuleSetInput(null, RuleSetTemplates.Ads), ct);
        if (created.Outcome != Communities.EditOutcome.Saved)
            throw new InvalidOperationException("The demo's ads rule set could not be made: " + string.Join("; ", created.Validation.Errors.SelectMany(e => e.Value)));
        // The ads community is set up following it, as if it had been made with it: no "updated" row for a demo community.
        var id = created.Value!.Id;
        await db.Communities.Where(c => c.Id == ads.Id && c.RuleSetId == null).ExecuteUpdateAsync(s => s.SetProperty(c => c.RuleSetId, id), ct);
    }
}
