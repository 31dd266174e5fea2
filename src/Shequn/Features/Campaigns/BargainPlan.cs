using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A bargain's (砍价) settings in fen: the starting price, the floor it ends at, how many helpers it takes, and optional
/// bounds on one cut as a whole-number percentage of the whole discount (price − floor). Without bounds a cut is at
/// least 1 fen and at most what still lets every later helper cut 1 fen.
/// </summary>
public sealed record BargainRules(long Price, long FloorPrice, int Helpers, int? MinSharePercent = null, int? MaxSharePercent = null)
{
    /// <summary>What the helpers cut between them: price − floor.</summary>
    public long Discount => Price - FloorPrice;

    /// <summary>The smallest cut allowed: 1 fen, or the min share of the discount rounded up.</summary>
    public long MinCut => MinSharePercent is { } p ? Math.Max(1, CeilDiv(Discount * p, 100)) : 1;

    /// <summary>The largest cut allowed: the whole discount, or the max share of it rounded down.</summary>
    public long MaxCut => MaxSharePercent is { } p ? Discount * p / 100 : Discount;

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}

/// <summary>
/// The cuts of a bargain. Each helper's cut is drawn when they help, from what is left above the floor and how many
/// helpers are left, so the plan needs no stored schedule: the cut lies between the bounds that still let the remaining
/// helpers finish inside theirs, and is uniform up to twice the fair share (the red-packet rule) so cuts stay near the
/// average and the last helper lands exactly on the floor. Every cut is at least 1 fen and no price is ever below the
/// floor. The random source is injectable for tests; by default it is the operating system's cryptographic generator,
/// so helpers cannot predict a large cut. Pure and thread-safe.
/// </summary>
public static class BargainPlan
{
    /// <summary>Most helpers a bargain may ask for; beyond this nobody finishes and the cuts are fractions of a fen.</summary>
    public const int MaxHelpers = 100_000;

    /// <summary>Highest starting price in fen (100 亿元); keeps every product of cut and helper count inside a long.</summary>
    public const long MaxPrice = 1_000_000_000_000;

    /// <summary>
    /// Why these settings cannot be saved, or null when they can. The reason starts with the field it is about (price,
    /// floorPrice, helpers, minShare, maxShare).
    /// </summary>
    public static string? Validate(BargainRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Price <= 0)
            return "price: the starting price must be more than 0";
        if (rules.Price > MaxPrice)
            return $"price: at most {MaxPrice} fen";
        if (rules.FloorPrice < 0)
            return "floorPrice: the floor price must not be negative";
        if (rules.FloorPrice >= rules.Price)
            return "floorPrice: the floor price must be below the starting price";
        if (rules.Helpers < 1)
            return "helpers: a bargain needs at least one helper";
        if (rules.Helpers > MaxHelpers)
            return $"helpers: at most {MaxHelpers} helpers";
        if (rules.Discount < rules.Helpers)
            return $"helpers: {rules.Helpers} helpers cannot each cut at least 1 fen from a discount of {rules.Discount} fen";
        if (rules.MinSharePercent is < 1 or > 100)
            return "minShare: a share is a percentage from 1 to 100";
        if (rules.MaxSharePercent is < 1 or > 100)
            return "maxShare: a share is a percentage from 1 to 100";
        if (rules.MinSharePercent > rules.MaxSharePercent)
            return "minShare: the minimum share must not be above the maximum share";
        if (rules.MaxCut < 1)
            return "maxShare: the maximum share of this discount is less than 1 fen";
        if (rules.MinCut > rules.MaxCut)
            return $"minShare: with a discount of {rules.Discount} fen the minimum share ({rules.MinCut} fen) is above the maximum ({rules.MaxCut} fen)";
        if (rules.MaxCut * rules.Helpers < rules.Discount)
            return $"maxShare: {rules.Helpers} helpers cutting at most {rules.MaxCut} fen each cannot reach the floor price";
        if (rules.MinCut * rules.Helpers > rules.Discount)
            return $"minShare: {rules.Helpers} helpers cutting at least {rules.MinCut} fen each would go below the floor price";
        return null;
    }

    /// <summary>
    /// The next helper's cut, given what is still above the floor (<paramref name="remaining"/> fen) and how many helpers
    /// are still to come, this one included. The last helper cuts all that remains. Throws when the state cannot be
    /// finished inside the rules (a caller's bookkeeping error, not a member's).
    /// </summary>
    public static long NextCut(BargainRules rules, long remaining, int helpersLeft, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (Validate(rules) is { } reason)
            throw new ArgumentException(reason, nameof(rules));
        if (helpersLeft < 1 || helpersLeft > rules.Helpers)
            throw new ArgumentOutOfRangeException(nameof(helpersLeft), helpersLeft, "between 1 and the rules' helpers");
        long lo = rules.MinCut, hi = rules.MaxCut;
        if (remaining < lo * helpersLeft || remaining > hi * helpersLeft || remaining > rules.Discount)
            throw new ArgumentOutOfRangeException(nameof(remaining), remaining, "the remaining helpers cannot finish inside the rules");

        var others = helpersLeft - 1;
        // the later helpers must still be able to cut what this one leaves, each within [lo, hi]
        var least = Math.Max(lo, remaining - others * hi);
        var most = Math.Min(hi, remaining - others * lo);
        var fairTwice = 2 * (remaining / helpersLeft);
        var top = Math.Max(least, Math.Min(most, fairTwice));
        return least + Uniform(top - least + 1, random);
    }

    /// <summary>Every cut of a whole bargain, helper by helper: the sum is the discount exactly.</summary>
    public static IReadOnlyList<long> Cuts(BargainRules rules, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (Validate(rules) is { } reason)
            throw new ArgumentException(reason, nameof(rules));
        var cuts = new long[rules.Helpers];
        var remaining = rules.Discount;
        for (var i = 0; i < cuts.Length; i++)
        {
            cuts[i] = NextCut(rules, remaining, rules.Helpers - i, random);
            remaining -= cuts[i];
        }
        return cuts;
    }

    /// <summary>A uniform value in [0, count).</summary>
    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Only a caller-supplied Random (tests' fixed seeds) takes this path; otherwise the cut comes from RandomNumberGenerator.")]
    private static long Uniform(long count, Random? random)
    {
        if (count <= 1)
            return 0;
        if (random is not null)
            return random.NextInt64(count);
        if (count <= int.MaxValue)
            return RandomNumberGenerator.GetInt32((int)count);
        // rejection over 63-bit values keeps large ranges unbiased too
        var limit = long.MaxValue - long.MaxValue % count;
        Span<byte> bytes = stackalloc byte[8];
        long value;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            value = BitConverter.ToInt64(bytes) & long.MaxValue;
        } while (value >= limit);
        return value % count;
    }
}
