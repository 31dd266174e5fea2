using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Scripts;

namespace Shequn.Features.Ritual;

/// <summary>
/// What the script library gives the joining ritual: the workspace's welcome script (its first of that category, in
/// the community's own words where it has them) stands in for the built-in welcome when the community's ritual has no
/// welcome text of its own; the intro (群简介) and rules (具体群规) scripts fill <c>{intro}</c> and <c>{rules}</c> where the
/// community has no intro or rules of its own. Null texts: the workspace has no script of that category.
/// </summary>
public sealed record RitualLibrary(Guid? WelcomeScriptId, string? Welcome, string? Intro, string? Rules)
{
    public static readonly RitualLibrary None = new(null, null, null, null);

    private static readonly ScriptCategory[] Categories = [ScriptCategory.Welcome, ScriptCategory.Intro, ScriptCategory.Rules];

    /// <summary>Each community's texts, read in two queries whatever the number of communities.</summary>
    public static async Task<Dictionary<Guid, RitualLibrary>> ForCommunitiesAsync(AppDbContext db, Guid workspaceId, IReadOnlyCollection<Guid> communities, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(communities);
        var scripts = await db.Set<Script>().IgnoreQueryFilters().AsNoTracking()
            .Where(s => s.WorkspaceId == workspaceId && Categories.Contains(s.Category))
            .Select(s => new { s.Id, s.Category, s.Text, s.CreatedAt }).ToListAsync(ct);
        // As ScriptLibrary.TextForAsync chooses: the oldest script of the category.
        var first = scripts.GroupBy(s => s.Category).ToDictionary(g => g.Key, g => g.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).First());
        if (first.Count == 0)
            return communities.Distinct().ToDictionary(c => c, _ => None);
        var ids = first.Values.Select(s => s.Id).ToList();
        var wanted = communities.Distinct().ToList();
        var overrides = await db.Set<ScriptOverride>().IgnoreQueryFilters().AsNoTracking()
            .Where(o => o.WorkspaceId == workspaceId && ids.Contains(o.ScriptId) && wanted.Contains(o.CommunityId))
            .Select(o => new { o.ScriptId, o.CommunityId, o.Text }).ToListAsync(ct);

        string? TextOf(ScriptCategory category, Guid community) =>
            first.TryGetValue(category, out var s)
                ? overrides.FirstOrDefault(o => o.ScriptId == s.Id && o.CommunityId == community)?.Text ?? s.Text
                : null;

        return wanted.ToDictionary(c => c, c => new RitualLibrary(
            first.TryGetValue(ScriptCategory.Welcome, out var welcome) ? welcome.Id : null,
            TextOf(ScriptCategory.Welcome, c), TextOf(ScriptCategory.Intro, c), TextOf(ScriptCategory.Rules, c)));
    }

    /// <summary>The values with <c>{intro}</c> and <c>{rules}</c> filled from the library where the community has none (their own variables filled too).</summary>
    public RitualValues Fill(RitualValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values with
        {
            Intro = string.IsNullOrWhiteSpace(values.Intro) && Intro is not null ? RitualWords.Render(Intro, values) : values.Intro,
            Rules = string.IsNullOrWhiteSpace(values.Rules) && Rules is not null ? RitualWords.Render(Rules, values) : values.Rules,
        };
    }
}
