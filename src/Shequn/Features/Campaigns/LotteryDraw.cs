using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Shequn.Features.Campaigns;

/// <summary>One prize of a draw: its name and how many winners it has. Prizes are drawn in the order given.</summary>
public sealed record LotteryPrize(string Name, int Count);

/// <summary>A winner: the prize (by name and position in the prize list), the draw number k (0-based over the whole draw),
/// and the entry's 0-based index in the published list with its text.</summary>
public sealed record LotteryWinner(string Prize, int PrizeIndex, int Draw, int EntryIndex, string Entry);

/// <summary>The outcome of a draw: the SHA-256 (lower-case hex) of the canonical entry list the draw is bound to, and the
/// winners in draw order.</summary>
public sealed record LotteryResult(string EntriesHash, IReadOnlyList<LotteryWinner> Winners);

/// <summary>
/// A lottery anyone can check (commit, then reveal). When entries open Shequn keeps a random 32-byte seed and publishes
/// only <see cref="Commitment"/>; after they close it publishes the entry list and the seed, and anyone recomputes the
/// winners with docs/lottery.md (a dozen lines of Python). The list is bound in: its canonical form is every entry as
/// UTF-8 followed by one "\n", and its SHA-256 is part of every HMAC message, so editing the list after the seed is known
/// changes the draw. Draw values are HMAC-SHA256(seed, entriesHash || counter as 8 bytes big-endian), read as a 256-bit
/// big-endian number and reduced to an index by rejection sampling, so every remaining entry is exactly equally likely.
/// Pure and thread-safe.
/// </summary>
public static class LotteryDraw
{
    public const int SeedBytes = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly BigInteger Space = BigInteger.One << 256;

    /// <summary>A fresh 32-byte seed from the operating system's cryptographic generator.</summary>
    public static byte[] NewSeed() => RandomNumberGenerator.GetBytes(SeedBytes);

    /// <summary>SHA-256 of the seed as lower-case hex: what is published before entries close.</summary>
    public static string Commitment(byte[] seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        return Convert.ToHexStringLower(SHA256.HashData(seed));
    }

    /// <summary>Whether a revealed seed is the one committed to (hex compared without regard to case).</summary>
    public static bool Verify(string commitment, byte[] seed)
    {
        ArgumentNullException.ThrowIfNull(commitment);
        ArgumentNullException.ThrowIfNull(seed);
        var expected = Encoding.ASCII.GetBytes(Commitment(seed));
        var given = Encoding.ASCII.GetBytes(commitment.Trim().ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>The published list's bytes: each entry in UTF-8 followed by "\n" (so the file ends with a newline).</summary>
    public static byte[] CanonicalEntries(IReadOnlyList<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var text = new StringBuilder();
        foreach (var entry in entries)
            text.Append(entry).Append('\n');
        return StrictUtf8.GetBytes(text.ToString());
    }

    /// <summary>SHA-256 of <see cref="CanonicalEntries"/> as lower-case hex.</summary>
    public static string EntriesHash(IReadOnlyList<string> entries) => Convert.ToHexStringLower(SHA256.HashData(CanonicalEntries(entries)));

    /// <summary>
    /// Why these entries and prizes cannot be drawn, or null when they can. The reason starts with the field it is about
    /// (entries, entries[i], prizes, prizes[i]) so the caller can show it next to that field.
    /// </summary>
    public static string? Validate(IReadOnlyList<string> entries, IReadOnlyList<LotteryPrize> prizes)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(prizes);
        if (entries.Count == 0)
            return "entries: there are no entries to draw from";
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (string.IsNullOrWhiteSpace(entry))
                return $"entries[{i}]: an entry must not be empty";
            if (entry.Contains('\n', StringComparison.Ordinal) || entry.Contains('\r', StringComparison.Ordinal))
                return $"entries[{i}]: an entry must be one line (the published list has one entry per line)";
            if (!IsValidUnicode(entry))
                return $"entries[{i}]: an entry contains text that is not valid Unicode";
            if (!seen.TryAdd(entry, i))
                return $"entries[{i}]: \"{entry}\" is the same as entries[{seen[entry]}]; entry ids must be unique";
        }
        if (prizes.Count == 0)
            return "prizes: a draw needs at least one prize";
        long total = 0;
        for (var i = 0; i < prizes.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(prizes[i].Name))
                return $"prizes[{i}]: a prize needs a name";
            if (prizes[i].Count < 1)
                return $"prizes[{i}]: \"{prizes[i].Name}\" must have at least one winner";
            total += prizes[i].Count;
        }
        if (total > entries.Count)
            return string.Create(CultureInfo.InvariantCulture,
                $"prizes: {total} prizes but only {entries.Count} entries; nobody can win twice, so there must be at least as many entries as prizes");
        return null;
    }

    /// <summary>
    /// Draws the winners, prize by prize in list order, without replacement. Throws <see cref="ArgumentException"/> with
    /// the <see cref="Validate"/> reason when the input cannot be drawn, or when the seed is not 32 bytes.
    /// </summary>
    public static LotteryResult Draw(byte[] seed, IReadOnlyList<string> entries, IReadOnlyList<LotteryPrize> prizes)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != SeedBytes)
            throw new ArgumentException($"seed: a seed is {SeedBytes} bytes, not {seed.Length}", nameof(seed));
        if (Validate(entries, prizes) is { } reason)
            throw new ArgumentException(reason, nameof(entries));

        var entriesHash = SHA256.HashData(CanonicalEntries(entries));
        var message = new byte[entriesHash.Length + 8];
        entriesHash.CopyTo(message, 0);
        var remaining = Enumerable.Range(0, entries.Count).ToList();
        var winners = new List<LotteryWinner>();
        ulong counter = 0;
        for (var p = 0; p < prizes.Count; p++)
        {
            for (var c = 0; c < prizes[p].Count; c++)
            {
                var n = remaining.Count;
                var limit = Space / n * n; // values at or above this would favour the low indices
                BigInteger value;
                do
                {
                    BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(entriesHash.Length), counter++);
                    value = new BigInteger(HMACSHA256.HashData(seed, message), isUnsigned: true, isBigEndian: true);
                } while (value >= limit);
                var at = (int)(value % n);
                var index = remaining[at];
                remaining.RemoveAt(at);
                winners.Add(new LotteryWinner(prizes[p].Name, p, winners.Count, index, entries[index]));
            }
        }
        return new LotteryResult(Convert.ToHexStringLower(entriesHash), winners);
    }

    private static bool IsValidUnicode(string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
