using System.Collections.Frozen;

namespace Shequn.Features.Moderation;

public enum LexiconCategory
{
    Ads,
    Porn,
    Gambling,
    Politics,
    ContactSolicitation,
    Custom,
}

/// <summary>A named word list: terms of one category, each hit adding evidence of the list's weight (0–1).</summary>
/// <remarks>
/// A term may be a conjunction "a+b+c": it matches when every part occurs in the message, in any order,
/// as the shared lists write them (疫情+颜色革命).
/// </remarks>
public sealed record WordList(string Name, LexiconCategory Category, double Weight, IReadOnlyList<string> Terms);

/// <summary>One occurrence of a word-list term in a message, in compact (normalised) coordinates.</summary>
public readonly record struct LexiconHit(int Entry, int Start, int Length);

/// <summary>
/// Word lists compiled into one automaton over normalised keys. Immutable: a new instance is built off the
/// hot path and swapped in whole, so checks never see a half-built lexicon.
/// </summary>
public sealed class CompiledLexicon
{
    /// <summary>More hits than this in one message add nothing to the verdict and only cost time.</summary>
    public const int MaxHitsPerMessage = 4096;

    private const int MaxParts = 8;

    private readonly TermAutomaton _automaton;
    private readonly int[] _keyEntryStart;
    private readonly int[] _keyEntries; // entry * MaxParts + part
    private readonly Entry[] _entries;

    // Per key: its length and, when it belongs to exactly one plain (non-conjunction) entry, that entry;
    // the common case then costs one read per hit.
    private readonly KeyInfo[] _keyInfo;

    private CompiledLexicon(IReadOnlyList<WordList> lists, IReadOnlyList<string> keys, TermAutomaton automaton, int[] keyEntryStart, int[] keyEntries, Entry[] entries, int skipped)
    {
        Lists = lists;
        Keys = keys;
        _automaton = automaton;
        _keyEntryStart = keyEntryStart;
        _keyEntries = keyEntries;
        _entries = entries;
        SkippedTerms = skipped;
        _keyInfo = new KeyInfo[keys.Count];
        for (var k = 0; k < keys.Count; k++)
        {
            var single = -1;
            if (keyEntryStart[k + 1] - keyEntryStart[k] == 1)
            {
                var slot = keyEntries[keyEntryStart[k]];
                if (entries[slot / MaxParts].Parts == 1)
                    single = slot / MaxParts;
            }
            _keyInfo[k] = new KeyInfo(keys[k].Length, single);
        }
    }

    public static CompiledLexicon Empty { get; } = Compile([]);

    public IReadOnlyList<WordList> Lists { get; }

    /// <summary>Distinct (list, term) entries that can match.</summary>
    public int EntryCount => _entries.Length;

    /// <summary>Distinct normalised keys in the automaton.</summary>
    public int KeyCount => _automaton.KeyCount;

    /// <summary>The automaton over <see cref="Keys"/>, for raw key-level scans.</summary>
    public TermAutomaton Automaton => _automaton;

    /// <summary>The normalised keys (what is actually searched for), e.g. for comparing with other matchers.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Terms that normalise to nothing (only symbols or emoji) and can never match.</summary>
    public int SkippedTerms { get; }

    public WordList ListOf(int entry) => Lists[_entries[entry].List];

    public string TermOf(int entry) => _entries[entry].Term;

    public static CompiledLexicon Compile(IReadOnlyList<WordList> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var scratch = new NormalisedText();
        var keyIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = new List<string>();
        var entries = new List<Entry>();
        var pairs = new List<(int Key, int Slot)>();
        var seen = new HashSet<(int List, string Term)>();
        var skipped = 0;
        Span<int> partKeys = stackalloc int[MaxParts];

        for (var l = 0; l < lists.Count; l++)
        {
            foreach (var term in lists[l].Terms)
            {
                var parts = SplitConjunction(term);
                if (parts.Length > MaxParts || !seen.Add((l, term)))
                {
                    skipped += parts.Length > MaxParts ? 1 : 0;
                    continue;
                }
                var ok = true;
                for (var p = 0; p < parts.Length; p++)
                {
                    var key = TextNormaliser.NormaliseTerm(parts[p], scratch);
                    if (key.Length == 0)
                    {
                        ok = false;
                        break;
                    }
                    if (!keyIds.TryGetValue(key, out var id))
                    {
                        id = keys.Count;
                        keyIds.Add(key, id);
                        keys.Add(key);
                    }
                    partKeys[p] = id;
                }
                if (!ok)
                {
                    skipped++;
                    continue;
                }
                var entry = entries.Count;
                entries.Add(new Entry(l, term, (byte)parts.Length));
                for (var p = 0; p < parts.Length; p++)
                    pairs.Add((partKeys[p], (entry * MaxParts) + p));
            }
        }

        var keyEntryStart = new int[keys.Count + 1];
        foreach (var (key, _) in pairs)
            keyEntryStart[key + 1]++;
        for (var k = 0; k < keys.Count; k++)
            keyEntryStart[k + 1] += keyEntryStart[k];
        var fill = (int[])keyEntryStart.Clone();
        var keyEntries = new int[pairs.Count];
        foreach (var (key, slot) in pairs)
            keyEntries[fill[key]++] = slot;

        return new CompiledLexicon(lists, keys, TermAutomaton.Build(keys), keyEntryStart, keyEntries, [.. entries], skipped);
    }

    /// <summary>Appends every hit in <paramref name="compact"/> to <paramref name="hits"/>.</summary>
    public void Scan(ReadOnlySpan<char> compact, List<LexiconHit> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var sink = new Collector(this, hits);
        _automaton.Scan(compact, ref sink);
    }

    internal static string[] SplitConjunction(string term)
    {
        if (!term.Contains('+', StringComparison.Ordinal))
            return [term];
        var parts = term.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        // "C++" or a lone "+" is a plain term, not a conjunction.
        return parts.Length >= 2 ? parts : [term];
    }

    private readonly record struct Entry(int List, string Term, byte Parts);

    private readonly record struct KeyInfo(int Length, int SingleEntry);

    private struct Collector(CompiledLexicon lexicon, List<LexiconHit> hits) : IKeyHitSink
    {
        private readonly CompiledLexicon _lexicon = lexicon;
        private readonly List<LexiconHit> _hits = hits;
        private List<(int Entry, int Mask, int Start)>? _partial;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public bool OnHit(int key, int end)
        {
            var info = _lexicon._keyInfo[key];
            if (info.SingleEntry < 0)
                return OnSharedHit(key, end, info.Length);
            _hits.Add(new LexiconHit(info.SingleEntry, end - info.Length, info.Length));
            return _hits.Count < MaxHitsPerMessage;
        }

        /// <summary>A key shared by several entries or part of a conjunction.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private bool OnSharedHit(int key, int end, int length)
        {
            var lexicon = _lexicon;
            var start = end - length;
            for (var i = lexicon._keyEntryStart[key]; i < lexicon._keyEntryStart[key + 1]; i++)
            {
                var slot = lexicon._keyEntries[i];
                var entry = slot / MaxParts;
                var parts = lexicon._entries[entry].Parts;
                if (parts == 1)
                    _hits.Add(new LexiconHit(entry, start, end - start));
                else
                    AddPart(entry, slot % MaxParts, parts, start, end);
                if (_hits.Count >= MaxHitsPerMessage)
                    return false;
            }
            return true;
        }

        private void AddPart(int entry, int part, int parts, int start, int end)
        {
            _partial ??= [];
            var index = _partial.FindIndex(p => p.Entry == entry);
            var full = (1 << parts) - 1;
            if (index < 0)
            {
                _partial.Add((entry, 1 << part, start));
                index = _partial.Count - 1;
            }
            else
            {
                var (e, mask, first) = _partial[index];
                if (mask == full)
                    return; // reported once per message is enough for a conjunction
                _partial[index] = (e, mask | (1 << part), Math.Min(first, start));
            }
            var current = _partial[index];
            if (current.Mask == full)
                _hits.Add(new LexiconHit(entry, current.Start, end - current.Start));
        }
    }

    /// <summary>Word-list category for a file name of the shared lists (used by the CLI and benchmark only).</summary>
    public static LexiconCategory GuessCategory(string fileName)
    {
        var name = fileName.ToLowerInvariant();
        foreach (var (word, category) in CategoryWords)
        {
            if (name.Contains(word, StringComparison.Ordinal))
                return category;
        }
        return LexiconCategory.Custom;
    }

    private static readonly FrozenDictionary<string, LexiconCategory> CategoryWords = new Dictionary<string, LexiconCategory>
    {
        ["ads"] = LexiconCategory.Ads,
        ["porn"] = LexiconCategory.Porn,
        ["gambl"] = LexiconCategory.Gambling,
        ["politic"] = LexiconCategory.Politics,
        ["reaction"] = LexiconCategory.Politics,
        ["contact"] = LexiconCategory.ContactSolicitation,
    }.ToFrozenDictionary();
}
