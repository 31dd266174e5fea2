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
public sealed partial class ModerationEngines(TimeProvider time)
{
    private readonly IServiceScopeFactory? _scopes;
    private readonly ILogger? _logger;

    /// <summary>With a scope factory a model retrained in the background (see <see cref="RetrainRefusedAsync"/>) is also stored.</summary>
    public ModerationEngines(TimeProvider time, IServiceScopeFactory scopes, ILogger<ModerationEngines> logger)
        : this(time)
    {
        _scopes = scopes;
        _logger = logger;
    }

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
                var (loaded, refused) = await LoadModelAsync(db, ct);
                entry.Engine.UseModel(loaded);
                entry.ModelStamp = model;
                if (refused)
                    await RetrainRefusedAsync(db, ct);
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

    /// <summary>The stored model; one of an older format (or unreadable) is refused: no model, and <c>Refused</c> says so.</summary>
    private async Task<(SpamModel? Model, bool Refused)> LoadModelAsync(AppDbContext db, CancellationToken ct)
    {
        var stored = await db.Set<StoredSpamModel>().AsNoTracking().SingleOrDefaultAsync(ct);
        if (stored is null)
            return (null, false);
        try
        {
            return (Decode(stored), false);
        }
        catch (Exception e) when (e is ObsoleteSpamModelException or InvalidDataException or EndOfStreamException)
        {
            if (_logger is not null)
                LogModelRefused(_logger, db.CurrentWorkspaceId, e.Message);
            return (null, true);
        }
    }

    /// <summary>
    /// A stored model this version cannot use is replaced by one trained on the workspace's labels, in the
    /// background like any training run; until it is done the rules score alone. Stored when this node has a
    /// scope factory (the server), so other nodes and the next start load the new one.
    /// </summary>
    private async Task RetrainRefusedAsync(AppDbContext db, CancellationToken ct)
    {
        var examples = await db.Set<LabelledMessage>().AsNoTracking().Select(m => new LabelledExample(m.IsSpam, m.Text)).ToListAsync(ct);
        if (!examples.Any(e => e.IsSpam) || examples.All(e => e.IsSpam))
            return;
        var workspace = db.CurrentWorkspaceId;
        TryStartTraining(workspace, async engine =>
        {
            try
            {
                var model = await ModelTraining.TrainAndSwapAsync(engine, examples);
                if (_scopes is null)
                    return;
                await using var scope = _scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                store.Current.ActAsSystem(workspace);
                await ModerationSettings.StoreModelAsync(store, model, CancellationToken.None);
            }
#pragma warning disable CA1031 // A background run must not take the process down; the failure is logged and the rules keep scoring.
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (_logger is not null)
                    LogRetrainFailed(_logger, workspace, e);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored spam model of workspace {Workspace} refused ({Reason}); retraining from its labels")]
    private static partial void LogModelRefused(ILogger logger, Guid workspace, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retraining the refused spam model of workspace {Workspace} failed")]
    private static partial void LogRetrainFailed(ILogger logger, Guid workspace, Exception exception);

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
