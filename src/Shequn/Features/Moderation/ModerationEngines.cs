using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Features.Moderation;

/// <summary>
/// One engine per workspace, built from its word lists on first use and rebuilt (then swapped in whole)
/// when a list changes; checks that are running meanwhile finish on the previous lexicon.
/// </summary>
/// <remarks>
/// REVIEW: engines and trained models live in this process. With two nodes, a list edited on one reaches the
/// other only when that node next rebuilds, and a model must be trained on each; a change counter on the
/// workspace and a stored model would fix both.
/// </remarks>
public sealed class ModerationEngines
{
    private readonly ConcurrentDictionary<Guid, ModerationEngine> _engines = new();

    public async Task<ModerationEngine> ForWorkspaceAsync(AppDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var workspace = db.CurrentWorkspaceId;
        if (_engines.TryGetValue(workspace, out var engine))
            return engine;
        var lexicon = await LoadLexiconAsync(db, ct);
        return _engines.GetOrAdd(workspace, _ => new ModerationEngine(ModerationSnapshot.Empty with { Lexicon = lexicon }));
    }

    /// <summary>Recompiles the workspace's lists and swaps them into its engine.</summary>
    public async Task ReloadListsAsync(AppDbContext db, CancellationToken ct)
    {
        var engine = await ForWorkspaceAsync(db, ct);
        engine.UseLexicon(await LoadLexiconAsync(db, ct));
    }

    private static async Task<CompiledLexicon> LoadLexiconAsync(AppDbContext db, CancellationToken ct)
    {
        var lists = await db.Set<ModerationWordList>()
            .OrderBy(l => l.Name)
            .Select(l => new { l.Name, l.Category, l.Weight, Terms = l.Terms.Select(t => t.Text).ToList() })
            .ToListAsync(ct);
        return CompiledLexicon.Compile([.. lists.Select(l => new WordList(l.Name, l.Category, l.Weight, l.Terms))]);
    }
}
