using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Shequn.Features.Moderation;

/// <summary>Receives every key occurrence in the scanned text: which key, the payload given for it at build time, and where.</summary>
public interface IKeyHitSink
{
    /// <returns>False to stop the scan (a cap on hits for huge messages).</returns>
    bool OnHit(int key, int payload, int start, int end);
}

/// <summary>
/// Aho–Corasick automaton over a set of distinct keys, stored as a double array so that a transition is
/// two array reads and a compare. Reports every occurrence of every key, including overlapping ones.
/// Immutable once built; safe to share between threads.
/// </summary>
/// <remarks>
/// Characters are first mapped to dense symbols (only characters that occur in some key get one), which
/// keeps the double array compact even with thousands of distinct CJK characters. Building sorts the keys
/// and lays out the trie from shared prefixes, so no per-node dictionaries are needed.
/// </remarks>
public sealed class TermAutomaton
{
    private readonly ushort[] _symbolOf;
    private readonly Node[] _nodes;
    private readonly int[] _fail;
    private readonly int[] _firstOutput;
    private readonly Output[] _outputs;
    private readonly int[] _keyLength;

    private TermAutomaton(ushort[] symbolOf, Node[] nodes, int[] fail, int[] firstOutput, Output[] outputs, int[] keyLength)
    {
        _symbolOf = symbolOf;
        _nodes = nodes;
        _fail = fail;
        _firstOutput = firstOutput;
        _outputs = outputs;
        _keyLength = keyLength;
    }

    /// <summary>
    /// The part of a double-array slot that every step reads, 8 bytes so that as many states as possible stay
    /// in cache: the base (bit 31 set when the state reports keys) and the parent check. Failure links and
    /// output chains live in separate arrays, read only on a mismatch or a hit.
    /// </summary>
    private struct Node
    {
        public const int HasOutput = int.MinValue;

        public int Base;
        public int Check;
    }

    /// <summary>
    /// A key reported at a state with its length and payload (so a hit needs no further look-ups), and the
    /// next entry of the chain (keys that are suffixes of it), or −1.
    /// </summary>
    private readonly record struct Output(int Key, int Next, int Length, int Payload);

    public int KeyCount => _keyLength.Length;

    /// <summary>Number of double-array slots; a measure of memory use.</summary>
    public int SlotCount => _nodes.Length;

    public int KeyLength(int key) => _keyLength[key];

    /// <summary>
    /// Builds an automaton; keys must be distinct and non-empty. Key i is reported as i with payload
    /// <paramref name="payloads"/>[i] (or −1).
    /// </summary>
    public static TermAutomaton Build(IReadOnlyList<string> keys, IReadOnlyList<int>? payloads = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (payloads is not null && payloads.Count != keys.Count)
            throw new ArgumentException("One payload per key.", nameof(payloads));
        var symbolOf = new ushort[65536];
        var counts = new int[65536];
        var keyLength = new int[keys.Count];
        for (var k = 0; k < keys.Count; k++)
        {
            var key = keys[k];
            if (string.IsNullOrEmpty(key))
                throw new ArgumentException($"Key {k} is empty.", nameof(keys));
            keyLength[k] = key.Length;
            foreach (var c in key)
                counts[c]++;
        }
        var symbolCount = 0;
        for (var c = 0; c < 65536; c++)
        {
            if (counts[c] > 0)
            {
                if (symbolCount == ushort.MaxValue - 1)
                    throw new ArgumentException("Too many distinct characters.", nameof(keys));
                symbolOf[c] = (ushort)++symbolCount;
            }
        }

        var trie = PrefixTrie.Build(keys, symbolOf);
        var layout = DoubleArrayLayout.Place(trie, symbolCount);
        var (fail, outLink) = FailureLinks(trie, layout);
        var (nodes, firstOutput, outputs) = Pack(layout, fail, outLink, keyLength, payloads);
        return new TermAutomaton(symbolOf, nodes, fail, firstOutput, outputs, keyLength);
    }

    /// <summary>Runs the automaton over <paramref name="text"/>, reporting (key, end) for every occurrence.</summary>
    public void Scan<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : struct, IKeyHitSink
    {
        // Indices are in range by construction (symbols < 65536 entries; base + symbol is inside the padded
        // node array; output links point into the output array), so the loop reads without bounds checks.
        ref var symbols = ref MemoryMarshal.GetArrayDataReference(_symbolOf);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var fail = ref MemoryMarshal.GetArrayDataReference(_fail);
        var firstOutput = _firstOutput;
        var outputs = _outputs;
        var state = 0;
        for (var i = 0; i < text.Length; i++)
        {
            int symbol = Unsafe.Add(ref symbols, text[i]);
            if (symbol == 0)
            {
                state = 0;
                continue;
            }
            while (true)
            {
                var next = (Unsafe.Add(ref nodes, state).Base & int.MaxValue) + symbol;
                if (Unsafe.Add(ref nodes, next).Check == state)
                {
                    state = next;
                    break;
                }
                if (state == 0)
                    break;
                state = Unsafe.Add(ref fail, state);
            }
            if (Unsafe.Add(ref nodes, state).Base >= 0)
                continue;
            for (var o = firstOutput[state]; o >= 0; o = outputs[o].Next)
            {
                var output = outputs[o];
                if (!sink.OnHit(output.Key, output.Payload, i + 1 - output.Length, i + 1))
                    return;
            }
        }
    }

    /// <summary>True when any key occurs in the text (stops at the first).</summary>
    public bool ContainsAny(ReadOnlySpan<char> text)
    {
        var sink = new AnySink();
        Scan(text, ref sink);
        return sink.Found;
    }

    private struct AnySink : IKeyHitSink
    {
        public bool Found;

        public bool OnHit(int key, int payload, int start, int end)
        {
            Found = true;
            return false;
        }
    }

    private static (Node[] Nodes, int[] FirstOutput, Output[] Outputs) Pack(
        DoubleArrayLayout layout, int[] fail, int[] outLink, int[] keyLength, IReadOnlyList<int>? payloads)
    {
        var size = layout.Check.Length;
        var keyAt = layout.KeyAt;
        // One output entry per state that ends a key; its chain continues at the nearest suffix state that does.
        var entryOf = new int[size];
        var outputs = new List<Output>();
        Array.Fill(entryOf, -1);
        for (var s = 0; s < size; s++)
        {
            if (keyAt[s] >= 0)
            {
                entryOf[s] = outputs.Count;
                outputs.Add(default);
            }
        }
        for (var s = 0; s < size; s++)
        {
            if (keyAt[s] >= 0)
            {
                var key = keyAt[s];
                outputs[entryOf[s]] = new Output(key, outLink[s] > 0 ? entryOf[outLink[s]] : -1, keyLength[key], payloads?[key] ?? -1);
            }
        }
        var nodes = new Node[size];
        var firstOutput = new int[size];
        for (var s = 0; s < size; s++)
        {
            firstOutput[s] = keyAt[s] >= 0 ? entryOf[s] : outLink[s] > 0 ? entryOf[outLink[s]] : -1;
            nodes[s] = new Node
            {
                Base = layout.Base[s] | (firstOutput[s] >= 0 ? Node.HasOutput : 0),
                Check = layout.Check[s],
            };
        }
        return (nodes, firstOutput, [.. outputs]);
    }

    private static (int[] Fail, int[] OutLink) FailureLinks(PrefixTrie trie, DoubleArrayLayout layout)
    {
        var size = layout.Check.Length;
        var fail = new int[size];
        var outLink = new int[size];
        var @base = layout.Base;
        var check = layout.Check;
        var keyAt = layout.KeyAt;
        // Trie nodes were placed in breadth-first order, so a node's failure target is final before it is read.
        foreach (var node in layout.BreadthFirst)
        {
            var state = layout.SlotOf[node];
            for (var child = trie.FirstChild[node]; child >= 0; child = trie.NextSibling[child])
            {
                var symbol = trie.Symbol[child];
                var childState = @base[state] + symbol;
                var target = 0;
                if (state != 0)
                {
                    var f = fail[state];
                    while (true)
                    {
                        var t = @base[f] + symbol;
                        if (check[t] == f)
                        {
                            target = t;
                            break;
                        }
                        if (f == 0)
                            break;
                        f = fail[f];
                    }
                }
                fail[childState] = target;
                outLink[childState] = keyAt[target] >= 0 ? target : outLink[target];
            }
        }
        return (fail, outLink);
    }

    /// <summary>A plain trie with first-child/next-sibling links, built from sorted keys without lookups.</summary>
    private sealed class PrefixTrie
    {
        public int[] FirstChild = [];
        public int[] NextSibling = [];
        public ushort[] Symbol = [];
        public int[] Key = [];
        public int Count;

        public static PrefixTrie Build(IReadOnlyList<string> keys, ushort[] symbolOf)
        {
            var order = new int[keys.Count];
            for (var k = 0; k < order.Length; k++)
                order[k] = k;
            Array.Sort(order, (a, b) => string.CompareOrdinal(keys[a], keys[b]));

            long total = 1;
            foreach (var key in keys)
                total += key.Length;
            var capacity = (int)Math.Min(total, Array.MaxLength);
            var trie = new PrefixTrie
            {
                FirstChild = new int[capacity],
                NextSibling = new int[capacity],
                Symbol = new ushort[capacity],
                Key = new int[capacity],
                Count = 1,
            };
            Array.Fill(trie.FirstChild, -1);
            Array.Fill(trie.NextSibling, -1);
            Array.Fill(trie.Key, -1);
            var lastChild = new int[capacity];
            Array.Fill(lastChild, -1);

            // path[d] is the node for the first d characters of the previous key.
            var path = new int[1024];
            var previous = "";
            foreach (var k in order)
            {
                var key = keys[k];
                if (key.Length + 1 > path.Length)
                    Array.Resize(ref path, key.Length + 1);
                var common = 0;
                var limit = Math.Min(previous.Length, key.Length);
                while (common < limit && previous[common] == key[common])
                    common++;
                if (common == key.Length && common == previous.Length && trie.Key[path[common]] >= 0)
                    throw new ArgumentException($"Key '{key}' occurs twice.", nameof(keys));
                var node = path[common];
                for (var d = common; d < key.Length; d++)
                {
                    var child = trie.Count++;
                    trie.Symbol[child] = symbolOf[key[d]];
                    // Sorted input means children arrive in order and are always new.
                    if (lastChild[node] < 0)
                        trie.FirstChild[node] = child;
                    else
                        trie.NextSibling[lastChild[node]] = child;
                    lastChild[node] = child;
                    node = child;
                    path[d + 1] = child;
                }
                trie.Key[node] = k;
                previous = key;
            }
            return trie;
        }
    }

    /// <summary>Places trie nodes into base/check arrays (first fit, skipping the dense front).</summary>
    private sealed class DoubleArrayLayout
    {
        public int[] Base = [];
        public int[] Check = [];
        public int[] KeyAt = [];
        public int[] SlotOf = [];
        public List<int> BreadthFirst = [];

        public static DoubleArrayLayout Place(PrefixTrie trie, int symbolCount)
        {
            var size = Math.Max(1024, (trie.Count * 2) + symbolCount + 2);
            var @base = new int[size];
            var check = new int[size];
            Array.Fill(check, -1);
            check[0] = int.MinValue; // the root occupies slot 0 and has no parent

            var slotOf = new int[trie.Count];
            var order = new List<int>(trie.Count) { 0 };
            var children = new List<ushort>();
            var maxUsed = 0;
            var nextCheck = 1;

            for (var q = 0; q < order.Count; q++)
            {
                var node = order[q];
                children.Clear();
                for (var child = trie.FirstChild[node]; child >= 0; child = trie.NextSibling[child])
                    children.Add(trie.Symbol[child]);
                if (children.Count == 0)
                    continue;

                // Children arrive in ascending symbol order (keys were sorted), so the first is the smallest.
                var first = children[0];
                var pos = Math.Max(first + 1, nextCheck) - 1;
                var occupied = 0;
                var firstFree = true;
                int chosen;
                while (true)
                {
                    pos++;
                    if (pos + symbolCount + 1 >= size)
                    {
                        var grown = Math.Max(size * 2, pos + symbolCount + 2);
                        Array.Resize(ref @base, grown);
                        Array.Resize(ref check, grown);
                        Array.Fill(check, -1, size, grown - size);
                        size = grown;
                    }
                    if (check[pos] != -1)
                    {
                        occupied++;
                        continue;
                    }
                    if (firstFree)
                    {
                        nextCheck = pos;
                        firstFree = false;
                    }
                    var candidate = pos - first;
                    var fits = true;
                    for (var k = 1; k < children.Count; k++)
                    {
                        if (check[candidate + children[k]] != -1)
                        {
                            fits = false;
                            break;
                        }
                    }
                    if (fits)
                    {
                        chosen = candidate;
                        break;
                    }
                }
                // Once the stretch before the chosen slot is nearly full, later searches start past it.
                if (occupied >= 0.95 * (pos - nextCheck + 1))
                    nextCheck = pos;

                var parentSlot = slotOf[node];
                @base[parentSlot] = chosen;
                for (var child = trie.FirstChild[node]; child >= 0; child = trie.NextSibling[child])
                {
                    var slot = chosen + trie.Symbol[child];
                    check[slot] = parentSlot;
                    slotOf[child] = slot;
                    maxUsed = Math.Max(maxUsed, slot);
                    order.Add(child);
                }
            }

            // Every transition probe reads base[s] + symbol; keep that index inside the arrays.
            var finalSize = Math.Max(maxUsed, MaxBase(@base, maxUsed)) + symbolCount + 2;
            if (finalSize > size)
            {
                Array.Resize(ref @base, finalSize);
                Array.Resize(ref check, finalSize);
                Array.Fill(check, -1, size, finalSize - size);
            }
            else
            {
                Array.Resize(ref @base, finalSize);
                Array.Resize(ref check, finalSize);
            }
            var keyAt = new int[finalSize];
            Array.Fill(keyAt, -1);
            for (var node = 0; node < trie.Count; node++)
            {
                if (trie.Key[node] >= 0)
                    keyAt[slotOf[node]] = trie.Key[node];
            }
            return new DoubleArrayLayout { Base = @base, Check = check, KeyAt = keyAt, SlotOf = slotOf, BreadthFirst = order };
        }

        private static int MaxBase(int[] @base, int maxUsed)
        {
            var max = 0;
            for (var i = 0; i <= maxUsed && i < @base.Length; i++)
                max = Math.Max(max, @base[i]);
            return max;
        }
    }
}
