using Shequn.Features.Campaigns;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// <see cref="BargainPlan"/>: over many random settings (and the extremes) the cuts add up to the discount exactly,
/// each is at least 1 fen and inside the share bounds, and no price on the way is below the floor.
/// </summary>
public sealed class BargainPlanTests
{
    private static void AssertPlanHolds(BargainRules rules, IReadOnlyList<long> cuts)
    {
        Assert.Equal(rules.Helpers, cuts.Count);
        Assert.Equal(rules.Discount, cuts.Sum());
        var price = rules.Price;
        foreach (var cut in cuts)
        {
            Assert.True(cut >= 1, $"a cut of {cut} in {rules}");
            Assert.InRange(cut, rules.MinCut, rules.MaxCut);
            price -= cut;
            Assert.True(price >= rules.FloorPrice, $"price {price} below the floor in {rules}");
        }
        Assert.Equal(rules.FloorPrice, price);
    }

    [Fact]
    public void Cuts_ManyRandomSettings_SumToDiscountExactly_NeverBelowFloor()
    {
        var random = new Random(1205);
        var checkedPlans = 0;
        for (var i = 0; i < 3000; i++)
        {
            var floor = random.NextInt64(0, 50_000);
            var helpers = random.Next(1, i % 10 == 0 ? 2_000 : 40);
            var price = floor + helpers + random.NextInt64(0, i % 3 == 0 ? 50 : 100_000);
            int? min = i % 4 == 1 ? random.Next(1, 20) : null;
            int? max = i % 4 >= 2 ? random.Next(1, 101) : null;
            var rules = new BargainRules(price, floor, helpers, min, max);
            if (BargainPlan.Validate(rules) is not null)
                continue;

            AssertPlanHolds(rules, BargainPlan.Cuts(rules, random));
            checkedPlans++;
        }
        Assert.True(checkedPlans > 1500, $"only {checkedPlans} settings were valid");
    }

    [Theory]
    [InlineData(1_000, 990, 10)]      // price − floor == helpers: every cut is 1 fen
    [InlineData(2, 1, 1)]             // one helper, one fen
    [InlineData(9_900, 100, 1)]       // one helper cuts everything
    [InlineData(100_001, 1, 100_000)] // the most helpers, one fen each
    [InlineData(1_000_000_000_000, 0, 100_000)]
    [InlineData(1_000_000_000_000, 999_999_999_999, 1)]
    public void Cuts_Extremes_StillExact(long price, long floor, int helpers)
    {
        var rules = new BargainRules(price, floor, helpers);
        Assert.Null(BargainPlan.Validate(rules));

        var cuts = BargainPlan.Cuts(rules, new Random(7));

        AssertPlanHolds(rules, cuts);
        if (price - floor == helpers)
            Assert.All(cuts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void Cuts_TightMaxShare_ReachesFloorExactly()
    {
        // 4 helpers at most 25 % each of 1,000 fen: every cut must be exactly 250
        var rules = new BargainRules(1_500, 500, 4, MaxSharePercent: 25);

        Assert.Equal([250L, 250, 250, 250], BargainPlan.Cuts(rules, new Random(3)));
    }

    [Fact]
    public void Cuts_SameSeed_SameCuts_OtherSeed_OtherCuts()
    {
        var rules = new BargainRules(29_900, 9_900, 20);

        Assert.Equal(BargainPlan.Cuts(rules, new Random(42)), BargainPlan.Cuts(rules, new Random(42)));
        Assert.NotEqual(BargainPlan.Cuts(rules, new Random(42)), BargainPlan.Cuts(rules, new Random(43)));
    }

    [Fact]
    public void Cuts_DefaultCryptoRandom_HoldsTheSameRules()
    {
        for (var i = 0; i < 200; i++)
        {
            var rules = new BargainRules(10_000 + i, 1_000, 1 + i % 30, i % 2 == 0 ? 2 : null, i % 3 == 0 ? 60 : null);
            if (BargainPlan.Validate(rules) is null)
                AssertPlanHolds(rules, BargainPlan.Cuts(rules));
        }
    }

    [Fact]
    public void NextCut_LastHelper_CutsAllThatRemains()
    {
        var rules = new BargainRules(10_000, 1_000, 5);

        Assert.Equal(1_234, BargainPlan.NextCut(rules, 1_234, 1, new Random(1)));
    }

    [Fact]
    public void NextCut_Converges_NoCutAboveTwiceTheFairShare()
    {
        var rules = new BargainRules(100_000, 0, 50);
        var random = new Random(9);
        for (var i = 0; i < 500; i++)
        {
            var cut = BargainPlan.NextCut(rules, 100_000, 50, random);
            Assert.InRange(cut, 1, 2 * (100_000 / 50));
        }
    }

    [Fact]
    public void NextCut_StateTheRulesCannotFinish_Throws()
    {
        var rules = new BargainRules(10_000, 1_000, 5);

        Assert.Throws<ArgumentOutOfRangeException>(() => BargainPlan.NextCut(rules, 3, 4)); // 4 helpers cannot each cut 1 fen of 3
        Assert.Throws<ArgumentOutOfRangeException>(() => BargainPlan.NextCut(rules, 100, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => BargainPlan.NextCut(rules, 9_001, 5));
    }

    [Theory]
    [InlineData(1_000, 1_000, 5, null, null, "floorPrice:")]
    [InlineData(1_000, 2_000, 5, null, null, "floorPrice:")]
    [InlineData(1_000, -1, 5, null, null, "floorPrice:")]
    [InlineData(0, 0, 5, null, null, "price:")]
    [InlineData(1_000, 0, 0, null, null, "helpers:")]
    [InlineData(1_000, 996, 5, null, null, "helpers:")] // 4 fen for 5 helpers
    [InlineData(1_000, 0, 5, null, 10, "maxShare:")] // 5 × 10 % < 100 %
    [InlineData(1_000, 0, 5, 30, null, "minShare:")] // 5 × 30 % > 100 %
    [InlineData(1_000, 0, 5, 30, 20, "minShare:")]
    [InlineData(1_000, 0, 5, null, 0, "maxShare:")]
    [InlineData(1_000, 0, 5, 0, null, "minShare:")]
    [InlineData(1_000, 0, 5, null, 101, "maxShare:")]
    [InlineData(150, 0, 3, 33, 33, "minShare:")] // 49.5 fen rounds up to 50 for the minimum and down to 49 for the maximum
    [InlineData(1_000, 995, 3, null, 1, "maxShare:")] // 1 % of 5 fen is under 1 fen
    public void Validate_Unreachable_NamesTheField(long price, long floor, int helpers, int? min, int? max, string field)
    {
        var reason = BargainPlan.Validate(new BargainRules(price, floor, helpers, min, max));

        Assert.NotNull(reason);
        Assert.StartsWith(field, reason, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BargainPlan.Cuts(new BargainRules(price, floor, helpers, min, max)));
    }

    [Theory]
    [InlineData(1_000, 0, 5, null, 20)] // 5 × 20 % is exactly the discount
    [InlineData(1_000, 0, 5, 20, null)]
    [InlineData(1_000, 995, 5, null, null)]
    public void Validate_JustReachable_Passes(long price, long floor, int helpers, int? min, int? max)
    {
        var rules = new BargainRules(price, floor, helpers, min, max);

        Assert.Null(BargainPlan.Validate(rules));
        AssertPlanHolds(rules, BargainPlan.Cuts(rules, new Random(5)));
    }
}
