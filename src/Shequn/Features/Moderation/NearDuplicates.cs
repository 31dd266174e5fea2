namespace Shequn.Features.Moderation;

/// <summary>
/// Groups messages that are the same template with small changes (another contact ID, another link, a
/// character swapped), so that an evaluation never trains on one copy of an ad and tests on its twin: a
/// labelled file full of reposted spam otherwise rewards memorising strings over recognising ads.
/// </summary>
/// <remarks>
/// Each message becomes a template key: the normalised text (folded, symbols and spaces dropped) with every
/// link collapsed to one mark and every run of Latin letters and digits that holds a digit (IDs, numbers,
/// prices) collapsed to another. Two messages are near-duplicates when the keys are equal or their
/// character 3-gram sets overlap by at least <see cref="Similarity"/> (Jaccard); candidates come from
/// MinHash bands and are confirmed on the exact sets. Groups are the connected components (union-find).
/// </remarks>
public static class NearDuplicates
{
    /// <summary>Jaccard similarity of 3-gram sets at or above which two messages are one group.</summary>
    public const double Similarity = 0.5;

    private const int Bands = 20;
    private const int Rows = 2;
    private const int Hashes = Bands * Rows;

    /// <summary>Per band bucket, how many earlier members a message is compared with (the rest are joined through them).</summary>
    private const int CompareWithinBucket = 8;

    private const char LinkMark = '\u2192';
    private const char NumberMark = '#';

    /// <summary>The group of each text: equal numbers mean near-duplicates (the number is the index of one member).</summary>
    public static int[] Group(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var scratch = new NormalisedText();
        var shingles = new ulong[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
            shingles[i] = Shingles(TemplateKey(texts[i] ?? "", scratch));

        var parent = Enumerable.Range(0, texts.Count).ToArray();
        var buckets = new Dictionary<(int Band, ulong Hash), List<int>>();
        var signature = new ulong[Hashes];
        for (var i = 0; i < texts.Count; i++)
        {
            var set = shingles[i];
            if (set.Length == 0)
                continue;
            MinHash(set, signature);
            for (var band = 0; band < Bands; band++)
            {
                var hash = Mix(signature[band * Rows] ^ Mix(signature[(band * Rows) + 1] + (ulong)band));
                if (!buckets.TryGetValue((band, hash), out var members))
                {
                    buckets[(band, hash)] = [i];
                    continue;
                }
                for (var k = members.Count - 1; k >= Math.Max(0, members.Count - CompareWithinBucket); k--)
                {
                    var other = members[k];
                    if (Find(parent, other) != Find(parent, i) && Jaccard(set, shingles[other]) >= Similarity)
                        parent[Find(parent, i)] = Find(parent, other);
                }
                members.Add(i);
            }
        }

        // Messages that normalise to nothing (stickers, emoji only) are one group of their own kind.
        var empty = -1;
        for (var i = 0; i < texts.Count; i++)
        {
            if (shingles[i].Length != 0)
                continue;
            if (empty < 0)
                empty = i;
            else
                parent[Find(parent, i)] = Find(parent, empty);
        }

        var groups = new int[texts.Count];
        for (var i = 0; i < groups.Length; i++)
            groups[i] = Find(parent, i);
        return groups;
    }

    /// <summary>The template key of one text: normalised, links and numbered tokens collapsed (see the remarks on the class).</summary>
    public static string TemplateKey(string text, NormalisedText scratch)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(scratch);
        TextNormaliser.Normalise(text, scratch);
        var lite = scratch.Lite;
        var key = new System.Text.StringBuilder(lite.Length);
        var i = 0;
        while (i < lite.Length)
        {
            var c = lite[i];
            if (!IsTokenChar(c))
            {
                if (char.IsLetterOrDigit(c) || char.IsSurrogate(c))
                    key.Append(c);
                i++;
                continue;
            }
            var start = i;
            while (i < lite.Length && IsTokenChar(lite[i]))
                i++;
            var token = lite[start..i];
            if (IsLink(token))
                key.Append(LinkMark);
            else if (token.IndexOfAnyInRange('0', '9') >= 0)
                key.Append(NumberMark);
            else
            {
                foreach (var t in token)
                {
                    if (char.IsAsciiLetter(t))
                        key.Append(char.ToLowerInvariant(t));
                }
            }
        }
        return key.ToString();
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '/' or ':' or '@' or '-' or '_';

    private static bool IsLink(ReadOnlySpan<char> token)
    {
        if (token.Contains("://", StringComparison.Ordinal) || token.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
            return true;
        // host.tld or t.me/name: a dot or slash with letters on both sides.
        for (var k = 1; k < token.Length - 1; k++)
        {
            if (token[k] is '.' or '/' && char.IsAsciiLetterOrDigit(token[k - 1]) && char.IsAsciiLetter(token[k + 1]))
                return true;
        }
        return false;
    }

    /// <summary>Distinct hashed character 3-grams, sorted; a key shorter than three characters is its own single shingle.</summary>
    private static ulong[] Shingles(string key)
    {
        if (key.Length == 0)
            return [];
        if (key.Length < 3)
            return [Mix(((ulong)key[0] << 16) | (key.Length > 1 ? key[1] : 0u) | (1UL << 48))];
        var set = new HashSet<ulong>();
        for (var i = 0; i + 3 <= key.Length; i++)
            set.Add(Mix(((ulong)key[i] << 32) | ((ulong)key[i + 1] << 16) | key[i + 2]));
        var sorted = set.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    private static void MinHash(ulong[] set, ulong[] signature)
    {
        for (var h = 0; h < signature.Length; h++)
        {
            var seed = Mix((ulong)(h + 1) * 0x9E3779B97F4A7C15UL);
            var min = ulong.MaxValue;
            foreach (var s in set)
                min = Math.Min(min, Mix(s ^ seed));
            signature[h] = min;
        }
    }

    /// <summary>Jaccard similarity of two sorted sets.</summary>
    internal static double Jaccard(ulong[] a, ulong[] b)
    {
        int i = 0, j = 0, common = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                common++;
                i++;
                j++;
            }
            else if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        var union = a.Length + b.Length - common;
        return union == 0 ? 1 : (double)common / union;
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }
}
