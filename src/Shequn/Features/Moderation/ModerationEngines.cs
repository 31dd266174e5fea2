using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Features.Moderation;

/// <summary>
/// One engine per workspace, loaded from the database on first use: its word lists, pattern settings,
/// thresholds and stored model. A change is stored first and then swapped in whole; checks running meanwhile
/// finish on the previous snapshot.
/// </summary>
/// <remarks>
/// Several nodes: each caches its engines and looks at the workspace's stamps (<see cref="ModerationPolicy"/>)
/// at most every <see cref="RefreshInterval"/>, reloading the lists or the model when a stamp moved. A change made
/// on this node is visible here at once, on other nodes within the interval.
/// </remarks>
public sealed class ModerationEngines(TimeProvider time)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

#pragma warning disable CA1001 // Entries live as long as the process; their gates are never disposed on purpose.
    private sealed class Entry
#pragma warning restore CA1001
    {
        public readonly ModerationEngine Engine = new();
        public readonly SemaphoreSlim Gate = new(1, 1);
        public bool Loaded;
        public long ListsStamp;
        public long ModelStamp;
        public long CheckedAt;
        public Task? Training;
    }

    public async Task<ModerationEngine> ForWorkspaceAsync(AppDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var entry = _entries.GetOrAdd(db.CurrentWorkspaceId, _ => new Entry());
        if (entry.Loaded && time.GetElapsedTime(Volatile.Read(ref entry.CheckedAt)) < RefreshInterval)
            return entry.Engine;
        await RefreshAsync(db, entry, ct);
        return entry.Engine;
    }

    /// <summary>Reloads whatever changed for the acting workspace now (called after this node stored a change).</summary>
    public async Task RefreshNowAsync(AppDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await RefreshAsync(db, _entries.GetOrAdd(db.CurrentWorkspaceId, _ => new Entry()), ct);
    }

    /// <summary>Whether this node is training a model for the workspace right now.</summary>
    public bool IsTraining(Guid workspaceId) =>
        _entries.TryGetValue(workspaceId, out var entry) && entry.Training is { IsCompleted: false };

    /// <summary>
    /// Starts <paramref name="train"/> unless a training run of the workspace is already going on this node;
    /// returns false in that case.
    /// </summary>
    public bool TryStartTraining(Guid workspaceId, Func<ModerationEngine, Task> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var entry = _entries.GetOrAdd(workspaceId, _ => new Entry());
        lock (entry)
        {
            if (entry.Training is { IsCompleted: false })
                return false;
            entry.Training = Task.Run(() => train(entry.Engine));
            return true;
        }
    }

    private async Task RefreshAsync(AppDbContext db, Entry entry, CancellationToken ct)
    {
        await entry.Gate.WaitAsync(ct);
        try
        {
            // Stamps first, data second: a change committed in between carries a newer stamp and is picked up next time.
            var stamps = await db.Set<ModerationPolicy>().AsNoTracking()
                .Select(p => new { p.ListsStamp, p.ModelStamp })
                .SingleOrDefaultAsync(ct);
            var (lists, model) = (stamps?.ListsStamp ?? 0, stamps?.ModelStamp ?? 0);
            if (!entry.Loaded || lists != entry.ListsStamp)
            {
                var (lexicon, patterns, thresholds, rules) = await LoadRulesAsync(db, ct);
                entry.Engine.Swap(entry.Engine.Snapshot with { Lexicon = lexicon, Patterns = patterns, Thresholds = thresholds, Rules = rules });
                entry.ListsStamp = lists;
            }
            if (!entry.Loaded || model != entry.ModelStamp)
            {
                entry.Engine.UseModel(await LoadModelAsync(db, ct));
                entry.ModelStamp = model;
            }
            entry.Loaded = true;
            Volatile.Write(ref entry.CheckedAt, time.GetTimestamp());
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    private static async Task<(CompiledLexicon, PatternSet, ModerationThresholds, BuiltInRules)> LoadRulesAsync(AppDbContext db, CancellationToken ct)
    {
        var lists = await db.Set<ModerationWordList>().AsNoTracking()
            .OrderBy(l => l.Name)
            .Select(l => new { l.Name, l.Category, l.Weight, Terms = l.Terms.Select(t => t.Text).ToList() })
            .ToListAsync(ct);
        var lexicon = CompiledLexicon.Compile([.. lists.Select(l => new WordList(l.Name, l.Category, l.Weight, l.Terms))]);
        var policy = await db.Set<ModerationPolicy>().AsNoTracking().SingleOrDefaultAsync(ct);
        if (policy is null)
            return (lexicon, PatternSet.Default, ModerationThresholds.Default, BuiltInRules.Default);
        return (lexicon, PatternsOf(policy), new ModerationThresholds(policy.ReviewThreshold, policy.ActThreshold), BuiltInRules.Read(policy.BuiltInRules));
    }

    /// <summary>The stored settings as a pattern set; a stored pattern that no longer compiles is left out.</summary>
    internal static PatternSet PatternsOf(ModerationPolicy policy)
    {
        var custom = new List<CustomPattern>();
        foreach (var spec in ReadPatterns(policy.CustomPatterns))
        {
            if (CustomPattern.TryCreate(spec.Name, spec.Pattern, spec.Weight, out var pattern, out _))
                custom.Add(pattern!);
        }
        return new PatternSet(Lines(policy.AllowedDomains), Lines(policy.DeniedDomains), custom);
    }

    internal static IReadOnlyList<CustomPatternSpec> ReadPatterns(string json) =>
        JsonSerializer.Deserialize<List<CustomPatternSpec>>(json, JsonSerializerOptions.Web) ?? [];

    internal static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<SpamModel?> LoadModelAsync(AppDbContext db, CancellationToken ct)
    {
        var stored = await db.Set<StoredSpamModel>().AsNoTracking().SingleOrDefaultAsync(ct);
        return stored is null ? null : Decode(stored);
    }

    internal static SpamModel Decode(StoredSpamModel stored)
    {
        var metrics = new ModelMetrics(
            stored.TrainingExamples, stored.SpamExamples, stored.HeldOut,
            stored.Accuracy ?? double.NaN, stored.Precision ?? double.NaN, stored.Recall ?? double.NaN,
            new DateTimeOffset(stored.TrainedAt, TimeSpan.Zero));
        using var input = new BrotliStream(new MemoryStream(stored.Weights), CompressionMode.Decompress);
        return SpamModel.ReadFrom(input, metrics);
    }

    internal static byte[] Encode(SpamModel model)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
            model.WriteTo(brotli);
        return output.ToArray();
    }
}
