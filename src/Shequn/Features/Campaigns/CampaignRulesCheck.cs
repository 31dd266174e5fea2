using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

/// <summary>
/// What a campaign must make sense of before it is saved: its period, its goal, the rules its mechanic reads, its rewards
/// against its budget and its page. Each refusal names the JSON field (<c>rules.stock</c>, <c>rewards[2].quantity</c>).
/// Checks that need the database (the same SKU sold by an overlapping campaign) are <see cref="CampaignDesk"/>'s.
/// </summary>
public static class CampaignRulesCheck
{
    public const int MaxGroupSize = 200;
    public const int MaxGroupHours = 24 * 30;
    public const int MaxHelpers = 1000;
    public const int MaxStock = 10_000_000;
    public const int MaxDays = 366;
    public const int SkuMaxLength = 64;
    public const int KeywordMaxLength = 20;
    public const int ScoringRuleMaxLength = 500;
    public const int RewardNameMaxLength = 60;
    public const int BlockTextMaxLength = 2000;
    public const int BlockTitleMaxLength = 100;
    public const int MaxCouponValidDays = 3650;

    public static void Period(Validation v, DateTime startsAt, DateTime endsAt)
    {
        if (endsAt <= startsAt)
            v.Add("endsAt", "Campaigns.EndBeforeStart", "'endsAt' must be after 'startsAt'.");
        else if (endsAt - startsAt > TimeSpan.FromDays(MaxDays))
            v.Add("endsAt", "Campaigns.PeriodTooLong", $"A campaign lasts at most {MaxDays} days.", MaxDays);
    }

    public static void Goal(Validation v, GoalMetric metric, long target)
    {
        v.Defined("goalMetric", metric);
        if (target < 1)
            v.Add("goalTarget", "Positive", "'goalTarget' must be at least 1.");
    }

    public static void Rules(Validation v, CampaignKind kind, CampaignRules r)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(r);
        Between(v, "rules.couponValidDays", r.CouponValidDays, 1, MaxCouponValidDays, required: false);
        switch (kind)
        {
            case CampaignKind.FlashSale:
                Price(v, r, required: true);
                Between(v, "rules.stock", r.Stock, 1, MaxStock, required: true);
                Between(v, "rules.perPersonLimit", r.PerPersonLimit, 1, r.Stock is > 0 ? r.Stock.Value : MaxStock, required: true);
                v.MaxLength("rules.sku", r.Sku, SkuMaxLength);
                break;
            case CampaignKind.GroupBuy:
                Price(v, r, required: true);
                Between(v, "rules.groupSize", r.GroupSize, 2, MaxGroupSize, required: true);
                Between(v, "rules.groupHours", r.GroupHours, 1, MaxGroupHours, required: true);
                if (r.VirtualCompletion)
                    Between(v, "rules.virtualCompletionPercent", r.VirtualCompletionPercent, 50, 99, required: true);
                Tiers(v, r);
                if (r.Stock is not null)
                    Between(v, "rules.stock", r.Stock, 1, MaxStock, required: false);
                Between(v, "rules.perPersonLimit", r.PerPersonLimit, 1, 100, required: false);
                break;
            case CampaignKind.Bargain:
                Price(v, r, required: true);
                Between(v, "rules.helpers", r.Helpers, 1, MaxHelpers, required: true);
                if (r.FloorPriceFen is null)
                    v.Add("rules.floorPriceFen", "Required", "'rules.floorPriceFen' is required.");
                else if (r.FloorPriceFen < 0)
                    v.Add("rules.floorPriceFen", "Campaigns.Negative", "'rules.floorPriceFen' cannot be negative.");
                else if (r.PriceFen is { } price && r.FloorPriceFen >= price)
                    v.Add("rules.floorPriceFen", "Campaigns.FloorNotBelowPrice", "'rules.floorPriceFen' must be below 'rules.priceFen'.");
                else if (r.PriceFen is { } p && r.Helpers is { } n and > 0 && p - r.FloorPriceFen < n)
                    // Every helper cuts at least one fen: fewer fen than helpers means the floor cannot be reached by them all.
                    v.Add("rules.helpers", "Campaigns.FloorUnreachable", $"{n} helpers cannot each cut at least 0.01 from {Yuan(p)} to {Yuan(r.FloorPriceFen.Value)}: use fewer helpers or a lower floor.", n, Yuan(p), Yuan(r.FloorPriceFen.Value));
                else if (r is { PriceFen: { } start, FloorPriceFen: { } end, Helpers: { } h and >= 1 and <= MaxHelpers } && BargainPlan.Validate(new BargainRules(start, end, h)) is { } why)
                    // The engine that cuts has the last word: what it cannot finish is not saved.
                    v.Add(why.StartsWith("price", StringComparison.Ordinal) ? "rules.priceFen" : "rules.helpers", "Campaigns.BargainRefused", why, why);
                break;
            case CampaignKind.Coupon:
                Between(v, "rules.stock", r.Stock, 1, MaxStock, required: true);
                Between(v, "rules.perPersonLimit", r.PerPersonLimit, 1, r.Stock is > 0 ? r.Stock.Value : MaxStock, required: false);
                break;
            case CampaignKind.Invitation:
            case CampaignKind.Assist:
                Between(v, "rules.inviteesNeeded", r.InviteesNeeded, 1, 100, required: true);
                Between(v, "rules.stayDays", r.StayDays, 0, 90, required: false);
                break;
            case CampaignKind.Lottery: // the word members post in the group to enter (blank: 抽奖)
                v.MaxLength("rules.keyword", r.Keyword, KeywordMaxLength);
                break;
            case CampaignKind.CheckIn:
                v.MaxLength("rules.keyword", r.Keyword, KeywordMaxLength);
                Milestones(v, r.Milestones);
                Between(v, "rules.makeUpCards", r.MakeUpCards, 0, 31, required: false);
                break;
            case CampaignKind.PhotoShare:
                Between(v, "rules.daysInRow", r.DaysInRow, 1, 60, required: true);
                break;
            case CampaignKind.Leaderboard:
                v.MaxLength("rules.scoringRule", r.ScoringRule?.Trim(), ScoringRuleMaxLength);
                Scoring(v, r.Scoring);
                break;
            case CampaignKind.Quiz:
                Quizzes.Check(v, r);
                break;
            case CampaignKind.PointsRedemption:
                CampaignPoints.Check(v, r);
                break;
        }
    }

    /// <summary>
    /// Rewards and budget: every reward named, positive quantities, and the promised rewards' cost (quantity × cost)
    /// within the budget when one is set. A lottery needs at least one prize.
    /// </summary>
    public static void Rewards(Validation v, CampaignKind kind, IReadOnlyList<CampaignReward> rewards, long? budgetFen)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        if (rewards.Count > Campaign.MaxRewards)
            v.Add("rewards", "TooMany", $"A campaign has at most {Campaign.MaxRewards} rewards.", Campaign.MaxRewards, rewards.Count);
        if (kind == CampaignKind.Lottery && rewards.Count == 0)
            v.Add("rewards", "Campaigns.LotteryNeedsPrize", "A lottery needs at least one prize in 'rewards'.");
        if (kind == CampaignKind.Coupon && !rewards.Any(r => r.Kind == RewardKind.Coupon))
            v.Add("rewards", "Campaigns.CouponNeedsReward", "A coupon campaign needs a reward of kind coupon in 'rewards': its valueFen is the coupon's face value.");
        long promised = 0;
        for (var i = 0; i < rewards.Count; i++)
        {
            var r = rewards[i];
            v.Defined($"rewards[{i}].kind", r.Kind);
            v.Required($"rewards[{i}].name", r.Name?.Trim(), RewardNameMaxLength);
            if (r.Quantity < 1)
                v.Add($"rewards[{i}].quantity", "Positive", $"'rewards[{i}].quantity' must be at least 1.");
            if (r.ValueFen < 0)
                v.Add($"rewards[{i}].valueFen", "Campaigns.Negative", $"'rewards[{i}].valueFen' cannot be negative.");
            if (r.CostFen < 0)
                v.Add($"rewards[{i}].costFen", "Campaigns.Negative", $"'rewards[{i}].costFen' cannot be negative.");
            promised += Math.Max(0, r.Quantity) * Math.Max(0, r.CostFen);
        }
        if (budgetFen is { } budget)
        {
            if (budget < 0)
                v.Add("budgetFen", "Campaigns.Negative", "'budgetFen' cannot be negative.");
            else if (promised > budget)
                v.Add("budgetFen", "Campaigns.BudgetBelowRewards", $"The rewards promised cost {Yuan(promised)}, more than the budget of {Yuan(budget)}.", Yuan(promised), Yuan(budget));
        }
    }

    public static void Page(Validation v, IReadOnlyList<PageBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count > Campaign.MaxBlocks)
            v.Add("page", "TooMany", $"A page has at most {Campaign.MaxBlocks} blocks.", Campaign.MaxBlocks, blocks.Count);
        for (var i = 0; i < blocks.Count; i++)
        {
            v.Defined($"page[{i}].kind", blocks[i].Kind);
            v.MaxLength($"page[{i}].title", blocks[i].Title, BlockTitleMaxLength);
            v.MaxLength($"page[{i}].text", blocks[i].Text, BlockTextMaxLength);
            if (blocks[i].Kind == PageBlockKind.Image && blocks[i].ImageId is null)
                v.Add($"page[{i}].imageId", "Required", $"'page[{i}].imageId' is required for an image block.");
        }
    }

    /// <summary>Fen as yuan with two decimals ("12.50"), for messages.</summary>
    public static string Yuan(long fen) => (fen / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    private static void Price(Validation v, CampaignRules r, bool required)
    {
        if (r.PriceFen is null)
        {
            if (required)
                v.Add("rules.priceFen", "Required", "'rules.priceFen' is required.");
        }
        else if (r.PriceFen < 0)
            v.Add("rules.priceFen", "Campaigns.Negative", "'rules.priceFen' cannot be negative.");
        if (r.OriginalPriceFen is { } original && r.PriceFen is { } price && original < price)
            v.Add("rules.originalPriceFen", "Campaigns.OriginalBelowPrice", "'rules.originalPriceFen' cannot be below 'rules.priceFen'.");
    }

    private static void Between(Validation v, string field, int? value, int min, int max, bool required)
    {
        if (value is null)
        {
            if (required)
                v.Add(field, "Required", $"'{field}' is required.");
        }
        else if (value < min || value > max)
            v.Add(field, "OutOfRange", $"'{field}' must be between {min} and {max} (got {value}).", min, max);
    }

    public const int MaxTiers = 5;

    /// <summary>Group tiers: each bigger than the one before (the first is the group size) and cheaper, at most <see cref="MaxTiers"/>.</summary>
    private static void Tiers(Validation v, CampaignRules r)
    {
        var tiers = r.Tiers ?? [];
        if (tiers.Count > MaxTiers)
        {
            v.Add("rules.tiers", "TooMany", $"A group buy has at most {MaxTiers} extra tiers.", MaxTiers, tiers.Count);
            return;
        }
        var (size, price) = (r.GroupSize ?? 0, r.PriceFen ?? long.MaxValue);
        for (var i = 0; i < tiers.Count; i++)
        {
            if (tiers[i] is null)
            {
                v.Add($"rules.tiers[{i}]", "Required", $"'rules.tiers[{i}]' is required.");
                return;
            }
            if (tiers[i].Size <= size || tiers[i].Size > MaxGroupSize)
                v.Add($"rules.tiers[{i}].size", "Campaigns.TierNotBigger", $"'rules.tiers[{i}].size' must be bigger than the tier before ({size}) and at most {MaxGroupSize}.", size, MaxGroupSize);
            if (tiers[i].PriceFen >= price || tiers[i].PriceFen < 0)
                v.Add($"rules.tiers[{i}].priceFen", "Campaigns.TierNotCheaper", $"'rules.tiers[{i}].priceFen' must be cheaper than the tier before ({Yuan(price == long.MaxValue ? 0 : price)}) and not negative.", Yuan(price == long.MaxValue ? 0 : price));
            (size, price) = (tiers[i].Size, tiers[i].PriceFen);
        }
    }

    /// <summary>A leaderboard's published rule: points from 0 to 1000, at least one way to score, the check-in word with its points.</summary>
    private static void Scoring(Validation v, LeaderboardScoring? s)
    {
        if (s is null)
        {
            v.Add("rules.scoring", "Required", "'rules.scoring' is required: the points a message, a photo, a check-in or an invited member earns.");
            return;
        }
        Between(v, "rules.scoring.messagePoints", s.MessagePoints, 0, LeaderboardScoring.MaxPoints, required: false);
        Between(v, "rules.scoring.photoPoints", s.PhotoPoints, 0, LeaderboardScoring.MaxPoints, required: false);
        Between(v, "rules.scoring.invitePoints", s.InvitePoints, 0, LeaderboardScoring.MaxPoints, required: false);
        Between(v, "rules.scoring.checkInPoints", s.CheckInPoints, 0, LeaderboardScoring.MaxPoints, required: false);
        Between(v, "rules.scoring.dailyCap", s.DailyCap, 1, 100_000, required: false);
        Between(v, "rules.scoring.top", s.Top, 1, LeaderboardScoring.MaxTop, required: false);
        v.Defined("rules.scoring.communityBasis", s.CommunityBasis);
        v.MaxLength("rules.scoring.checkInKeyword", s.CheckInKeyword?.Trim(), KeywordMaxLength);
        if (s.CheckInPoints > 0 && string.IsNullOrWhiteSpace(s.CheckInKeyword))
            v.Add("rules.scoring.checkInKeyword", "Required", "'rules.scoring.checkInKeyword' is required when check-ins earn points.");
        if (s.MessagePoints <= 0 && s.PhotoPoints <= 0 && s.InvitePoints <= 0 && s.CheckInPoints <= 0)
            v.Add("rules.scoring", "Campaigns.NoWayToScore", "'rules.scoring' must give points for at least one action.");
    }

    private static void Milestones(Validation v, IReadOnlyList<int>? milestones)
    {
        var previous = 0;
        for (var i = 0; i < (milestones?.Count ?? 0); i++)
        {
            if (milestones![i] <= previous || milestones[i] > MaxDays)
            {
                v.Add($"rules.milestones[{i}]", "Campaigns.NotAscending", $"'rules.milestones' must be ascending days between 1 and {MaxDays}.", MaxDays);
                return;
            }
            previous = milestones[i];
        }
    }
}
