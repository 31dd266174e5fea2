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
    private readonly int[] _groups;
    private readonly Entry[] _entries;
    private readonly int[] _anchorStart; // per key: conjunctions anchored at it, as a range of _anchored
    private readonly int[] _anchored;    // conjunction entries
    private readonly int[][] _partKeys;  // per entry: keys of its parts (conjunctions only, else empty)

    [ThreadStatic]
    private static List<(int Key, int Start, int End)>? _partHits;

    private CompiledLexicon(
        IReadOnlyList<WordList> lists, IReadOnlyList<string> keys, TermAutomaton automaton, int[] groups, Entry[] entries,
        int[] anchorStart, int[] anchored, int[][] partKeys, int skipped)
    {
        Lists = lists;
        Keys = keys;
        _automaton = automaton;
        _groups = groups;
        _entries = entries;
        _anchorStart = anchorStart;
        _anchored = anchored;
        _partKeys = partKeys;
        SkippedTerms = skipped;
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

        // Plain entries per key, and conjunction entries per anchor key (the part with the longest key, as a
        // stand-in for the rarest): a conjunction is only looked at when its anchor occurs.
        var plainOf = new List<int>?[keys.Count];
        var isPart = new bool[keys.Count];
        var anchoredOf = new List<int>?[keys.Count];
        var entryParts = new int[entries.Count][];
        foreach (var group in pairs.GroupBy(p => p.Slot / MaxParts))
        {
            var entry = group.Key;
            if (entries[entry].Parts == 1)
            {
                var key = group.First().Key;
                (plainOf[key] ??= []).Add(entry);
                entryParts[entry] = [];
                continue;
            }
            var parts = group.OrderBy(p => p.Slot % MaxParts).Select(p => p.Key).ToArray();
            entryParts[entry] = parts;
            foreach (var key in parts)
                isPart[key] = true;
            var anchor = parts.MaxBy(k => keys[k].Length);
            (anchoredOf[anchor] ??= []).Add(entry);
        }

        // Payloads let a hit be reported without touching the entry table: (value << 1) | part flag, where the
        // value is the single plain entry (≥ 0), −1 for none, or −2 − offset of a [count, entries…] group.
        var payloads = new int[keys.Count];
        var groups = new List<int>();
        var anchorStart = new int[keys.Count + 1];
        var anchored = new List<int>();
        for (var k = 0; k < keys.Count; k++)
        {
            var plain = plainOf[k];
            int value;
            if (plain is null)
            {
                value = -1;
            }
            else if (plain.Count == 1)
            {
                value = plain[0];
            }
            else
            {
                value = -2 - groups.Count;
                groups.Add(plain.Count);
                groups.AddRange(plain);
            }
            payloads[k] = (value << 1) | (isPart[k] ? 1 : 0);
            anchorStart[k] = anchored.Count;
            if (anchoredOf[k] is { } conjunctions)
                anchored.AddRange(conjunctions);
        }
        anchorStart[keys.Count] = anchored.Count;

        return new CompiledLexicon(
            lists, keys, TermAutomaton.Build(keys, payloads), [.. groups], [.. entries], anchorStart, [.. anchored], entryParts, skipped);
    }

    /// <summary>Appends every hit in <paramref name="compact"/> to <paramref name="hits"/>.</summary>
    public void Scan(ReadOnlySpan<char> compact, List<LexiconHit> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var partHits = _partHits ??= [];
        partHits.Clear();
        var sink = new Collector(_groups, hits, partHits);
        _automaton.Scan(compact, ref sink);
        if (partHits.Count > 0 && hits.Count < MaxHitsPerMessage)
            ResolveConjunctions(partHits, hits);
    }

    /// <summary>A conjunction matches once per message when every part occurred; its span runs from the first part found to the last.</summary>
    private void ResolveConjunctions(List<(int Key, int Start, int End)> partHits, List<LexiconHit> hits)
    {
        HashSet<int>? reported = null;
        foreach (var (anchorKey, _, _) in partHits)
        {
            for (var a = _anchorStart[anchorKey]; a < _anchorStart[anchorKey + 1]; a++)
            {
                var entry = _anchored[a];
                var start = int.MaxValue;
                var end = -1;
                var all = true;
                foreach (var part in _partKeys[entry])
                {
                    var found = -1;
                    for (var i = 0; i < partHits.Count; i++)
                    {
                        if (partHits[i].Key == part)
                        {
                            found = i;
                            break;
                        }
                    }
                    if (found < 0)
                    {
                        all = false;
                        break;
                    }
                    start = Math.Min(start, partHits[found].Start);
                    end = Math.Max(end, partHits[found].End);
                }
                if (all && (reported ??= []).Add(entry))
                {
                    hits.Add(new LexiconHit(entry, start, end - start));
                    if (hits.Count >= MaxHitsPerMessage)
                        return;
                }
            }
        }
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

    private struct Collector(int[] groups, List<LexiconHit> hits, List<(int Key, int Start, int End)> partHits) : IKeyHitSink
    {
        private readonly int[] _groups = groups;
        private readonly List<LexiconHit> _hits = hits;
        private readonly List<(int Key, int Start, int End)> _partHits = partHits;

        public readonly bool OnHit(int key, int payload, int start, int end)
        {
            // Conjunction parts are only recorded here and resolved after the scan.
            if ((payload & 1) != 0 && _partHits.Count < MaxHitsPerMessage)
                _partHits.Add((key, start, end));
            var value = payload >> 1;
            if (value >= 0)
            {
                _hits.Add(new LexiconHit(value, start, end - start));
            }
            else if (value <= -2)
            {
                var at = -2 - value;
                for (var i = 1; i <= _groups[at]; i++)
                    _hits.Add(new LexiconHit(_groups[at + i], start, end - start));
            }
            return _hits.Count < MaxHitsPerMessage;
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
