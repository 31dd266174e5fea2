using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Members;

namespace Shequn.Features.Campaigns;

/// <summary>The mechanics (seed 003's 拼帮送券砍比换, seed 002's and seed 004's games).</summary>
public enum CampaignKind
{
    /// <summary>秒杀 / 限购: stock and a per-person limit.</summary>
    FlashSale = 0,
    /// <summary>拼团: N people within T hours unlock the price.</summary>
    GroupBuy = 1,
    /// <summary>砍价: each friend cuts once; the floor is reached after the configured number of helpers.</summary>
    Bargain = 2,
    /// <summary>帮 助力: friends help a member reach a goal.</summary>
    Assist = 3,
    /// <summary>送 / 邀请: invite N friends who join and stay → a reward (for both sides with 券).</summary>
    Invitation = 4,
    /// <summary>抽奖: a draw anyone can verify.</summary>
    Lottery = 5,
    /// <summary>接龙: the numbered list members extend in the chat.</summary>
    SignupChain = 6,
    /// <summary>打卡: a keyword or photo each day, streaks and milestones.</summary>
    CheckIn = 7,
    /// <summary>晒图返现: approved photos N days in a row → a coupon.</summary>
    PhotoShare = 8,
    /// <summary>比: a leaderboard or PK between members or communities.</summary>
    Leaderboard = 9,
    /// <summary>换: a swap board.</summary>
    Swap = 10,
    /// <summary>券: coupons to claim.</summary>
    Coupon = 11,
    /// <summary>积分兑换 / 集卡: points redemption and card collecting.</summary>
    PointsRedemption = 12,
    /// <summary>问答: a quiz with answers checked.</summary>
    Quiz = 13,
}

public enum CampaignStatus
{
    /// <summary>Being prepared: nothing public, nothing counted.</summary>
    Draft = 0,
    /// <summary>Published by an owner or sub-owner: the page is open and actions count within the period.</summary>
    Published = 1,
    /// <summary>Called off: the page says so, nothing more counts; what was earned stays.</summary>
    Cancelled = 2,
}

/// <summary>Where a campaign stands now: its status, and for a published one its period against the clock.</summary>
public enum CampaignPhase
{
    Draft = 0,
    Upcoming = 1,
    Running = 2,
    Ended = 3,
    Cancelled = 4,
}

/// <summary>What the goal counts (seed 001: achievement rate = result / target).</summary>
public enum GoalMetric
{
    Participants = 0,
    Completions = 1,
    NewMembers = 2,
    RewardsIssued = 3,
    Orders = 4,
    /// <summary>Revenue in fen.</summary>
    Revenue = 5,
}

public enum RewardKind
{
    Coupon = 0,
    Points = 1,
    /// <summary>A red packet staff pay by hand; Shequn records who is owed what and when it was paid.</summary>
    RedPacket = 2,
    /// <summary>A physical gift: the winner gives an address.</summary>
    PhysicalGift = 3,
    /// <summary>A product given away, counted at its cost (seed 004).</summary>
    Product = 4,
    Virtual = 5,
}

/// <summary>
/// A reward the campaign promises. <see cref="ValueFen"/> is what the member sees (a coupon's face value, a red packet's
/// amount; for points the number of points); <see cref="CostFen"/> what one costs the brand, which the budget check
/// multiplies by <see cref="Quantity"/>.
/// </summary>
public sealed record CampaignReward(RewardKind Kind, string Name, long ValueFen = 0, long CostFen = 0, int Quantity = 1);

/// <summary>
/// Who a campaign is for: communities named, plus every active community of the tiers, platforms and tags chosen (as a
/// post's targets, <see cref="PostTargets"/>); <see cref="Layers"/> narrows the members within them (empty: everyone).
/// </summary>
public sealed record CampaignAudience(
    IReadOnlyList<Guid>? CommunityIds = null,
    IReadOnlyList<CommunityTier>? Tiers = null,
    IReadOnlyList<ChatPlatform>? Platforms = null,
    IReadOnlyList<Guid>? TagIds = null,
    IReadOnlyList<MemberLayer>? Layers = null)
{
    public PostTargets AsTargets() => new(CommunityIds, Tiers, Platforms, TagIds);
}

/// <summary>
/// The rules of the campaign's mechanic; each kind reads the fields it needs and the editor checks those
/// (<see cref="CampaignRulesCheck"/>). Money in fen.
/// </summary>
public sealed record CampaignRules
{
    /// <summary>Any kind: the page asks members for their phone, with a consent line naming the workspace (<see cref="CampaignLead"/>).</summary>
    public bool? CollectPhone { get; init; }
    /// <summary>The price a participant pays (flash sale, group buy; a bargain's starting price).</summary>
    public long? PriceFen { get; init; }
    /// <summary>The usual price shown struck through.</summary>
    public long? OriginalPriceFen { get; init; }
    /// <summary>Flash sale: the units for sale, and who may buy how many.</summary>
    public int? Stock { get; init; }
    public int? PerPersonLimit { get; init; }
    /// <summary>The product's stock-keeping unit: two campaigns selling one SKU may not overlap in time.</summary>
    public string? Sku { get; init; }
    /// <summary>Group buy: people needed, hours to gather them, and whether a nearly full group is completed virtually (disclosed on the page).</summary>
    public int? GroupSize { get; init; }
    public int? GroupHours { get; init; }
    public bool VirtualCompletion { get; init; }
    /// <summary>Virtual completion only when at least this share of the group (percent) joined.</summary>
    public int? VirtualCompletionPercent { get; init; }
    /// <summary>Group buy: cheaper prices for bigger groups, beyond the first tier (<see cref="GroupSize"/> at <see cref="PriceFen"/>).</summary>
    public IReadOnlyList<GroupTier>? Tiers { get; init; }
    /// <summary>Bargain: the floor price and how many helpers reach it.</summary>
    public long? FloorPriceFen { get; init; }
    public int? Helpers { get; init; }
    /// <summary>Invitation and assist: friends needed, and days an invitee must stay before the reward is released.</summary>
    public int? InviteesNeeded { get; init; }
    public int? StayDays { get; init; }
    /// <summary>Check-in: the word that counts (blank: a photo counts), streak milestones in days, make-up cards per member.</summary>
    public string? Keyword { get; init; }
    public IReadOnlyList<int>? Milestones { get; init; }
    public int? MakeUpCards { get; init; }
    /// <summary>Photo sharing: approved days in a row for the reward (seed 004: 7).</summary>
    public int? DaysInRow { get; init; }
    /// <summary>Leaderboard: the published scoring rule, and whether communities compete rather than members.</summary>
    public string? ScoringRule { get; init; }
    public bool BetweenCommunities { get; init; }
    /// <summary>Leaderboard: the structured scoring rule the standings are computed with (published on the page and in the posts).</summary>
    public LeaderboardScoring? Scoring { get; init; }
    /// <summary>Quiz: the questions with their correct answers (never sent to the page), and the score that passes (none: every submission completes).</summary>
    public IReadOnlyList<QuizQuestion>? Questions { get; init; }
    public int? PassMark { get; init; }
    /// <summary>Points redemption: the items members redeem with the points their reward grants earned (<see cref="CampaignPoints"/>).</summary>
    public IReadOnlyList<PointsCatalogItem>? Catalog { get; init; }
    /// <summary>集卡: the cards to collect, and the word posted in the group that draws the day's card.</summary>
    public IReadOnlyList<string>? Cards { get; init; }
    public string? CardKeyword { get; init; }
    /// <summary>Anti-abuse: leave out members who joined after the campaign started, or never spoke since joining.</summary>
    public bool ExcludeJoinedAfterStart { get; init; }
    public bool ExcludeSilent { get; init; }
    /// <summary>Any kind with coupons: days a coupon code may be redeemed after it is issued (none: it never expires).</summary>
    public int? CouponValidDays { get; init; }

    /// <summary>When a coupon issued at <paramref name="issuedAt"/> stops being redeemable, or null when it never does.</summary>
    public DateTime? CouponValidUntil(DateTime issuedAt) => CouponValidDays is { } days ? issuedAt.AddDays(days) : null;
}

public enum PageBlockKind
{
    /// <summary>Top: the theme, the lure and an early call to action (seed 003).</summary>
    Hero = 0,
    Text = 1,
    Image = 2,
    /// <summary>Middle: proof — certifications, expert words.</summary>
    Proof = 3,
    /// <summary>Middle: a customer's review.</summary>
    Review = 4,
    /// <summary>Bottom: the call to action again.</summary>
    CallToAction = 5,
}

public sealed record PageBlock(PageBlockKind Kind, string? Title = null, string? Text = null, Guid? ImageId = null);

/// <summary>
/// A campaign (活动): a mechanic with its rules, a period, an audience, a goal, a budget and rewards, an H5 page (public at
/// <c>/c/{slug}</c>) and announcements on the content calendar (posts with <see cref="Post.CampaignId"/>). What members do
/// in it is kept in <see cref="CampaignParticipant"/> and <see cref="CampaignRewardGrant"/> rows, whose unique keys are
/// the arbiters of every "only once".
/// </summary>
public sealed class Campaign : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int DescriptionMaxLength = 2000;
    public const int SlugLength = 12;
    public const int MaxRewards = 20;
    public const int MaxBlocks = 30;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public CampaignKind Kind { get; set; }
    public string? Description { get; set; }
    public CampaignStatus Status { get; set; }
    public DateTime StartsAt { get; set; }
    public DateTime EndsAt { get; set; }
    /// <summary><see cref="CampaignAudience"/> as JSON.</summary>
    public string Audience { get; set; } = "{}";
    /// <summary>The communities the audience meant when it was saved, as JSON ids (what the calendar and the counters read).</summary>
    public string CommunityIds { get; set; } = "[]";
    public GoalMetric GoalMetric { get; set; }
    public long GoalTarget { get; set; }
    public long? BudgetFen { get; set; }
    /// <summary><see cref="CampaignReward"/>s as JSON.</summary>
    public string Rewards { get; set; } = "[]";
    /// <summary><see cref="CampaignRules"/> as JSON.</summary>
    public string Rules { get; set; } = "{}";
    /// <summary>The page's <see cref="PageBlock"/>s as JSON.</summary>
    public string Page { get; set; } = "[]";
    /// <summary>The H5 page's public address part: random, so pages cannot be enumerated.</summary>
    public required string Slug { get; set; }
    /// <summary>Flash sale: units left. Only ever changed by a conditional update (never written back from a read).</summary>
    public int StockLeft { get; set; }
    public Guid? CreatedByStaffId { get; set; }
    public Guid? PublishedByStaffId { get; set; }
    public DateTime? PublishedAt { get; set; }
    public DateTime? CancelledAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>A concurrency token: two edits of one campaign cannot both win.</summary>
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public static string NewSlug() => RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyz23456789", SlugLength);

    public CampaignPhase PhaseAt(DateTime now) => Status switch
    {
        CampaignStatus.Draft => CampaignPhase.Draft,
        CampaignStatus.Cancelled => CampaignPhase.Cancelled,
        _ when now < StartsAt => CampaignPhase.Upcoming,
        _ when now < EndsAt => CampaignPhase.Running,
        _ => CampaignPhase.Ended,
    };

    public CampaignAudience AudienceValue() => JsonSerializer.Deserialize<CampaignAudience>(Audience, CampaignJson.Options) ?? new();

    public CampaignRules RulesValue() => JsonSerializer.Deserialize<CampaignRules>(Rules, CampaignJson.Options) ?? new();

    public IReadOnlyList<CampaignReward> RewardsValue() => JsonSerializer.Deserialize<List<CampaignReward>>(Rewards, CampaignJson.Options) ?? [];

    public IReadOnlyList<PageBlock> PageValue() => JsonSerializer.Deserialize<List<PageBlock>>(Page, CampaignJson.Options) ?? [];

    public IReadOnlyList<Guid> CommunityIdsValue() => JsonSerializer.Deserialize<List<Guid>>(CommunityIds, CampaignJson.Options) ?? [];
}

/// <summary>
/// A member taking part, once per campaign (unique (campaign, member)): the row a second click or a replay finds.
/// <see cref="CompletedAt"/> is set when they did what the mechanic asks (bought, finished the streak, invited enough).
/// </summary>
public sealed class CampaignParticipant : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    /// <summary>The community they took part from, when known.</summary>
    public Guid? CommunityId { get; set; }
    /// <summary>Who brought them (a personal share link), when known.</summary>
    public Guid? InvitedByMemberId { get; set; }
    /// <summary>Whether they became a member of the workspace's communities through the campaign.</summary>
    public bool IsNewMember { get; set; }
    public DateTime JoinedAt { get; set; } = DateTime.UtcNow;
    public DateTime? CompletedAt { get; set; }
    /// <summary>Flash sale: units the member holds (reserved or paid); only ever moved by a conditional update against the limit.</summary>
    public int Units { get; set; }
}

public enum GrantStatus
{
    /// <summary>Earned but held until a condition holds (an invitee staying N days).</summary>
    Held = 0,
    /// <summary>Given (points booked, coupon issued) or, for what staff hand over, owed and waiting for staff.</summary>
    Issued = 1,
    /// <summary>Staff paid the red packet or shipped the gift.</summary>
    Delivered = 2,
    /// <summary>Withdrawn (the condition failed).</summary>
    Void = 3,
}

/// <summary>
/// One reward owed to one member, under a key that says why (<c>lottery:{prize}:{n}</c>, <c>invite:{member}</c>) and is
/// unique per campaign: what earns a reward twice finds the first row.
/// </summary>
public sealed class CampaignRewardGrant : IWorkspaceOwned, IAudited
{
    public const int KeyMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    /// <summary>Position in the campaign's rewards.</summary>
    public int RewardIndex { get; set; }
    public required string Key { get; set; }
    public GrantStatus Status { get; set; }
    /// <summary>What it cost the brand, copied from the reward when granted.</summary>
    public long CostFen { get; set; }
    public DateTime? HeldUntil { get; set; }
    public string? Note { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? DeliveredAt { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

public static class CampaignJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);
}

internal sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> b)
    {
        b.ToTable("Campaigns");
        b.HasKey(c => c.Id);
        b.Property(c => c.Name).HasMaxLength(Campaign.NameMaxLength);
        b.Property(c => c.Description).HasMaxLength(Campaign.DescriptionMaxLength);
        b.Property(c => c.Slug).HasMaxLength(Campaign.SlugLength);
        b.Property(c => c.UpdatedAt).IsConcurrencyToken();
        b.HasIndex(c => c.Slug).IsUnique();
        b.HasIndex(c => new { c.WorkspaceId, c.StartsAt });
        b.HasOne<Workspaces.Workspace>().WithMany().HasForeignKey(c => c.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CampaignParticipantConfiguration : IEntityTypeConfiguration<CampaignParticipant>
{
    public void Configure(EntityTypeBuilder<CampaignParticipant> b)
    {
        b.ToTable("CampaignParticipants");
        b.HasKey(p => p.Id);
        b.HasIndex(p => new { p.CampaignId, p.MemberId }).IsUnique();
        b.HasIndex(p => p.MemberId);
        b.HasOne<Campaign>().WithMany().HasForeignKey(p => p.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(p => p.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignRewardGrantConfiguration : IEntityTypeConfiguration<CampaignRewardGrant>
{
    public void Configure(EntityTypeBuilder<CampaignRewardGrant> b)
    {
        b.ToTable("CampaignRewardGrants");
        b.HasKey(g => g.Id);
        b.Property(g => g.Key).HasMaxLength(CampaignRewardGrant.KeyMaxLength);
        b.Property(g => g.Note).HasMaxLength(500);
        b.Property(g => g.UpdatedAt).IsConcurrencyToken();
        b.HasIndex(g => new { g.CampaignId, g.Key }).IsUnique();
        b.HasIndex(g => g.MemberId);
        b.HasOne<Campaign>().WithMany().HasForeignKey(g => g.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(g => g.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}
