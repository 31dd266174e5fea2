using Shequn.Features.Communities;

namespace Shequn.Features.Enforcement;

/// <summary>
/// A starting point for a rule set: its key (kept on the rule set as <see cref="RuleSet.Template"/>), the name a rule
/// set made from it gets, the community tier it is meant for, and the rules.
/// </summary>
public sealed record RuleSetTemplate(string Key, string Name, CommunityTier? Tier, RuleSetSpec Spec);

/// <summary>
/// The rule sets seed 004 describes, as templates staff start from. Its group rules (群规) say: change the group
/// card to "city-product-name" (西安-xxx-白藜芦醇); no commercial ads outside the group's purpose; votes and
/// bargains only after the owner approves; anyone asking to add members as friends is to be reported; at most two
/// groups per person (one comprehensive, one category); violators are removed at once and that is said in the group.
/// Ads that customers still post go to a separate ads group, where ads are the point (the ads tier is exempt from
/// ad rules). The strict template is for new or spam-ridden groups.
/// </summary>
public static class RuleSetTemplates
{
    public const string Comprehensive = "comprehensive";
    public const string Category = "category";
    public const string Ads = "ads";
    public const string Strict = "strict";

    /// <summary>Seed 004: 本品牌有多种交流群，最多可加两个群（综合群1个，分类群1个）.</summary>
    public const int SeedMembershipLimit = 2;

    private const string Warning = "@{name} 请遵守群规：{rule}。本群严禁发与本群宗旨以外的商业性广告，如需投票、砍价等活动请先私信群主。";
    private const string Announcement = "{name} 违反群规（{rule}），已被移出本群。请大家一起维护这里的和谐氛围，谢谢！";

    private static readonly RuleSetSpec ComprehensiveSpec = new()
    {
        Ads = RuleMode.Enforce,
        FriendSolicitation = RuleMode.Enforce,
        VoteLinks = RuleMode.Enforce,
        NicknameFormat = "城市-行业-昵称",
        Nickname = RuleMode.Flag,
        MaxCommunitiesPerMember = SeedMembershipLimit,
        MembershipLimit = RuleMode.Flag,
        FloodMessages = 6,
        FloodSeconds = 10,
        CrossCommunityCount = 2,
        CrossCommunityMinutes = 10,
        NewMemberHours = 24,
        QrCodeImages = RuleMode.Enforce,
        MiniProgramCards = RuleMode.Flag,
        RedPacketsFromOutsiders = RuleMode.Enforce,
        UnlistedLinks = RuleMode.Flag,
        Ladder = [new(LadderAction.Delete), new(LadderAction.Mute, 60), new(LadderAction.Remove)],
        EscalationMinutes = 24 * 60,
        AnnounceRemovals = true,
        WarningText = Warning,
        AnnouncementText = Announcement,
    };

    /// <summary>Category groups (白藜芦醇、深海鱼油…) ask for the product one needs in the card instead of the trade.</summary>
    private static readonly RuleSetSpec CategorySpec = ComprehensiveSpec with
    {
        NicknameFormat = "城市-需求产品-昵称",
        MiniProgramCards = RuleMode.Enforce,
    };

    /// <summary>
    /// The ads group exists so that ads have somewhere to go: ads, contact details, QR codes, cards and links are
    /// allowed; votes and bargains still need the owner, flooding is still flooding, and an ad posted here and in
    /// other groups is still cross-community spam for those groups (their rule sets decide).
    /// </summary>
    private static readonly RuleSetSpec AdsSpec = ComprehensiveSpec with
    {
        Ads = RuleMode.Off,
        FriendSolicitation = RuleMode.Off,
        QrCodeImages = RuleMode.Off,
        MiniProgramCards = RuleMode.Off,
        RedPacketsFromOutsiders = RuleMode.Flag,
        UnlistedLinks = RuleMode.Off,
        Nickname = RuleMode.Off,
        NicknameFormat = null,
        MaxCommunitiesPerMember = 0,
        MembershipLimit = RuleMode.Off,
        CrossCommunityCount = 0,
        NewMemberHours = 0,
        FloodMessages = 10,
        FloodSeconds = 60,
        Ladder = [new(LadderAction.Warn), new(LadderAction.Delete), new(LadderAction.Mute, 24 * 60), new(LadderAction.Remove)],
        WarningText = "@{name} 请遵守群规：{rule}。广告群欢迎发广告，但请勿刷屏；投票、砍价等活动请先私信群主。",
    };

    /// <summary>New groups and groups where spam has got the upper hand: everything enforced, a short ladder to removal and the blacklist.</summary>
    private static readonly RuleSetSpec StrictSpec = ComprehensiveSpec with
    {
        Nickname = RuleMode.Enforce,
        MembershipLimit = RuleMode.Enforce,
        FloodMessages = 4,
        FloodSeconds = 10,
        CrossCommunityCount = 2,
        CrossCommunityMinutes = 30,
        NewMemberHours = 72,
        MiniProgramCards = RuleMode.Enforce,
        UnlistedLinks = RuleMode.Enforce,
        ReviewThreshold = 0.4,
        ActThreshold = 0.7,
        ExemptKocs = false,
        Ladder = [new(LadderAction.Delete), new(LadderAction.Remove), new(LadderAction.Blacklist)],
        EscalationMinutes = 7 * 24 * 60,
    };

    public static IReadOnlyList<RuleSetTemplate> All { get; } =
    [
        new(Comprehensive, "综合群群规", CommunityTier.Comprehensive, ComprehensiveSpec),
        new(Category, "分类群群规", CommunityTier.Category, CategorySpec),
        new(Ads, "广告群群规", CommunityTier.Ads, AdsSpec),
        new(Strict, "严格群规（新群 / 广告多的群）", null, StrictSpec),
    ];

    public static RuleSetTemplate? Find(string? key) =>
        All.FirstOrDefault(t => string.Equals(t.Key, key?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The template a workspace's default rule set is made from.</summary>
    public static RuleSetTemplate Default => All[0];

    /// <summary>The template suited to a community of this tier (the comprehensive one when none is specific).</summary>
    public static RuleSetTemplate ForTier(CommunityTier tier) => All.FirstOrDefault(t => t.Tier == tier) ?? Default;
}
