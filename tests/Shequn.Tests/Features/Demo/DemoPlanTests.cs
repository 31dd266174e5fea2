using System.Text.RegularExpressions;
using Shequn.Features.Communities;
using Shequn.Features.Demo;
using Shequn.Features.Members;
using Shequn.Features.Staff;

namespace Shequn.Tests.Features.Demo;

public sealed partial class DemoPlanTests
{
    private static readonly DateTime Now = new(2026, 11, 25, 9, 30, 0, DateTimeKind.Utc);
    private static readonly Lazy<DemoPlan> Plan = new(() => DemoPlan.Generate(Guid.NewGuid(), Now));

    private static readonly CommunityTier[] GeneralTiers = [CommunityTier.Comprehensive, CommunityTier.Regional];

    [Fact]
    public void Generate_SameClock_ProducesTheSameWorkspace()
    {
        var a = DemoPlan.Generate(Guid.NewGuid(), Now);
        var b = DemoPlan.Generate(Guid.NewGuid(), Now);

        Assert.Equal(Describe(a), Describe(b));
    }

    [Fact]
    public void Generate_AnotherDay_KeepsTheSamePeople()
    {
        var a = DemoPlan.Generate(Guid.NewGuid(), Now);
        var b = DemoPlan.Generate(Guid.NewGuid(), Now.AddDays(17).AddHours(5));

        Assert.Equal(a.Members.Select(Profile), b.Members.Select(Profile));
    }

    [Fact]
    public void Generate_Sizes_MatchTheBrandOfSeed004()
    {
        var plan = Plan.Value;

        Assert.Equal(DemoPlan.MemberCount, plan.Members.Count);
        Assert.InRange(plan.Communities.Count, 12, 14);
        Assert.All(plan.Communities, c => Assert.InRange(c.Capacity, 100, 500));
        foreach (var tier in Enum.GetValues<CommunityTier>())
            Assert.Contains(plan.Communities, c => c.Tier == tier);
        Assert.Equal(3, plan.Communities.Count(c => c.Tier == CommunityTier.Regional && c.Platform == ChatPlatform.WeCom));
        Assert.Equal(5, plan.Communities.Count(c => c.Tier == CommunityTier.Category));
        Assert.Single(plan.Communities, c => c.Platform == ChatPlatform.Telegram);
        Assert.Single(plan.Communities, c => c.Platform == ChatPlatform.Sandbox);
        Assert.Single(plan.Communities, c => c.State == CommunityState.Frozen);
        Assert.True(plan.Communities.Count(c => c.Platform == ChatPlatform.WeCom) > plan.Communities.Count / 2);
    }

    [Fact]
    public void Generate_CommunityTexts_FollowTheSeedTemplates()
    {
        foreach (var c in Plan.Value.Communities)
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Purpose), c.Name);
            Assert.InRange(c.Intro!.Length, 20, Community.TextMaxLength);
            Assert.InRange(c.Rules!.Length, 20, Community.TextMaxLength);
            Assert.True(c.Purpose!.Length <= Community.PurposeMaxLength, c.Name);
        }
        foreach (var c in Plan.Value.Communities.Where(c => c.Platform != ChatPlatform.Sandbox && (GeneralTiers.Contains(c.Tier) || c.Tier == CommunityTier.Category)))
        {
            Assert.Contains("城市-行业-昵称", c.Rules, StringComparison.Ordinal);
            Assert.Contains("最多加入两个群", c.Rules, StringComparison.Ordinal);
            Assert.Contains("本群由", c.Intro, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Staff_Roles_AreTwoSubOwnersFiveAdminsOrOperatorsThreeKocs()
    {
        var staff = DemoCatalog.Staff;
        var names = DemoCatalog.Communities.Select(c => c.Name).ToHashSet();

        Assert.Equal(2, staff.Count(s => s.Role == StaffRole.SubOwner));
        Assert.Equal(5, staff.Count(s => s.Role is StaffRole.Admin or StaffRole.Operator));
        Assert.Equal(3, staff.Count(s => s.Role == StaffRole.Koc));
        Assert.All(staff.Where(s => s.Role == StaffRole.SubOwner), s => Assert.InRange(s.Assignments.Length, 2, StaffUser.SubOwnerCommunityWarningThreshold));
        Assert.All(staff, s => Assert.All(s.Assignments, a => Assert.Contains(a.Community, names)));
        Assert.All(staff, s => Assert.True(s.DisplayName.Length <= StaffUser.DisplayNameMaxLength));
        Assert.All(DemoCatalog.Communities, c => Assert.Contains(staff, s => s.Assignments.Any(a => a.Community == c.Name)));
    }

    [Fact]
    public void Generate_ActiveMemberships_AtMostOneGeneralAndOneCategoryPerPerson()
    {
        var plan = Plan.Value;
        var tier = plan.Communities.ToDictionary(c => c.Id, c => c.Tier);
        foreach (var group in plan.Memberships.Where(m => m.LeftAt is null).GroupBy(m => m.MemberId))
        {
            Assert.True(group.Count(m => GeneralTiers.Contains(tier[m.CommunityId])) <= 1);
            Assert.True(group.Count(m => tier[m.CommunityId] == CommunityTier.Category) <= 1);
            Assert.Equal(group.Count(), group.Select(m => m.CommunityId).Distinct().Count());
        }
    }

    [Fact]
    public void Generate_Communities_NeverOverCapacity()
    {
        var plan = Plan.Value;
        foreach (var c in plan.Communities)
            Assert.True(plan.Memberships.Count(m => m.CommunityId == c.Id && m.LeftAt is null) <= c.Capacity, c.Name);
    }

    [Fact]
    public void Generate_JoinTimes_WithinTheCommunitysLifeAndTheLast90Days()
    {
        var plan = Plan.Value;
        var community = plan.Communities.ToDictionary(c => c.Id);
        foreach (var m in plan.Memberships)
        {
            var c = community[m.CommunityId];
            Assert.InRange(m.JoinedAt, c.CreatedAt, Now);
            Assert.True(m.JoinedAt >= Now.AddDays(-DemoPlan.HistoryDays));
            if (c.State == CommunityState.Frozen)
                Assert.True(m.JoinedAt <= c.UpdatedAt, "joined a frozen group");
            if (m.LeftAt is { } left)
                Assert.InRange(left, m.JoinedAt, Now);
        }
        var member = plan.Members.ToDictionary(m => m.Id);
        Assert.All(plan.Memberships, m => Assert.True(member[m.MemberId].CreatedAt <= m.JoinedAt));
    }

    [Fact]
    public void Generate_EveryMember_BelongsOrBelongedToACommunity()
    {
        var plan = Plan.Value;
        var withMembership = plan.Memberships.Select(m => m.MemberId).ToHashSet();
        Assert.All(plan.Members, m => Assert.Contains(m.Id, withMembership));
        var leftEverything = plan.Members.Count(m => plan.Memberships.Where(x => x.MemberId == m.Id).All(x => x.LeftAt is not null));
        Assert.InRange(leftEverything, 1, plan.Members.Count / 5);
    }

    [Theory]
    [InlineData(0, 0, 1)]   // Monday, one minute into the week
    [InlineData(2, 14, 0)]
    [InlineData(6, 23, 59)] // Sunday night
    public void Generate_AnyDayOfTheWeek_HasJoinsThisWeek(int daysAfterMonday, int hour, int minute)
    {
        var now = new DateTime(2026, 11, 23, hour, minute, 0, DateTimeKind.Utc).AddDays(daysAfterMonday);
        var plan = DemoPlan.Generate(Guid.NewGuid(), now);
        var weekStart = DemoPlan.WeekStart(now);

        Assert.Equal(DayOfWeek.Monday, weekStart.DayOfWeek);
        Assert.True(plan.Memberships.Count(m => m.JoinedAt >= weekStart) >= DemoPlan.JoinsThisWeekAtLeast);
    }

    [Fact]
    public void Generate_Layers_MostlyRegularWithSomeVipKocAndCore()
    {
        var layers = Plan.Value.Members.GroupBy(m => m.Layer).ToDictionary(g => g.Key, g => g.Count());
        var total = Plan.Value.Members.Count;

        Assert.True(layers[MemberLayer.Regular] > total * 0.8);
        Assert.InRange(layers[MemberLayer.Vip], 50, 200);
        Assert.InRange(layers[MemberLayer.Koc], 10, 100);
        Assert.InRange(layers[MemberLayer.Core], 10, 100);
    }

    [Fact]
    public void Generate_Nicknames_MostFollowCityIndustryNickname()
    {
        var plan = Plan.Value;
        var city = plan.Members.ToDictionary(m => m.Id, m => m.City);
        var formatted = plan.Memberships.Count(m => m.Nickname is { } n && CityIndustryNickname().IsMatch(n) && n.StartsWith(city[m.MemberId] + "-", StringComparison.Ordinal));

        Assert.InRange(formatted, plan.Memberships.Count * 0.75, plan.Memberships.Count * 0.95);
        Assert.All(plan.Members, m => Assert.InRange(m.DisplayName.Length, 1, Member.NameMaxLength));
        Assert.All(plan.Memberships, m => Assert.InRange(m.Nickname!.Length, 1, Member.NameMaxLength));
    }

    [Fact]
    public void Generate_Profiles_HaveCitiesIndustriesNeedsAndChannels()
    {
        var members = Plan.Value.Members;
        Assert.All(members, m =>
        {
            Assert.False(string.IsNullOrEmpty(m.City));
            Assert.False(string.IsNullOrEmpty(m.Industry));
            Assert.NotEqual(MemberNeeds.None, m.Needs);
            Assert.False(string.IsNullOrEmpty(m.Channel));
        });
        Assert.True(members.Select(m => m.City).Distinct().Count() >= 20);
        Assert.True(members.Select(m => m.DisplayName).Distinct().Count() >= members.Count / 3);
        foreach (var channel in new[] { "公众号", "直播", "客服", "包裹卡", "好友邀请", "文章末尾" })
            Assert.Contains(members, m => m.Channel == channel);
    }

    [Fact]
    public void Generate_Inviters_WereInTheSameCommunityBeforeTheInvitation()
    {
        var plan = Plan.Value;
        var invited = plan.Memberships.Where(m => m.InviterMemberId is not null).ToList();

        Assert.True(invited.Count > 100);
        Assert.All(invited, m =>
        {
            Assert.Equal("好友邀请", m.Channel);
            Assert.NotEqual(m.MemberId, m.InviterMemberId);
            Assert.Contains(plan.Memberships, x => x.MemberId == m.InviterMemberId && x.CommunityId == m.CommunityId && x.JoinedAt < m.JoinedAt);
        });
    }

    [Fact]
    public void Generate_Tags_EveryTagUsedOnAFractionOfMembers()
    {
        var plan = Plan.Value;
        var tagged = plan.MemberTags.Select(t => t.MemberId).Distinct().Count();

        Assert.InRange(tagged, plan.Members.Count / 10, plan.Members.Count * 9 / 10);
        Assert.All(plan.Tags, t => Assert.Contains(plan.MemberTags, mt => mt.TagId == t.Id));
        Assert.Equal(plan.MemberTags.Count, plan.MemberTags.Select(t => (t.MemberId, t.TagId)).Distinct().Count());
        var newcomer = plan.Tags.Single(t => t.Name == "新人").Id;
        var members = plan.Members.ToDictionary(m => m.Id);
        Assert.All(plan.MemberTags.Where(t => t.TagId == newcomer), t => Assert.True(members[t.MemberId].CreatedAt >= Now.AddDays(-7)));
    }

    [Fact]
    public void Generate_Personas_AreUniqueAndInTheirGroups()
    {
        var plan = Plan.Value;
        foreach (var persona in DemoCatalog.Personas)
        {
            var member = Assert.Single(plan.Members, m => m.DisplayName == persona.DisplayName);
            var groups = plan.Memberships.Where(m => m.MemberId == member.Id).Select(m => plan.Communities.Single(c => c.Id == m.CommunityId).Name);
            Assert.Equal(persona.Communities.Order(), groups.Order());
        }
    }

    private static string Profile(Member m) => $"{m.DisplayName}|{m.City}|{m.Industry}|{m.Needs}|{m.Channel}|{m.Organisations}|{m.Layer}";

    private static List<string> Describe(DemoPlan plan)
    {
        var community = plan.Communities.ToDictionary(c => c.Id, c => c.Name);
        var member = plan.Members.ToDictionary(m => m.Id, Profile);
        var tag = plan.Tags.ToDictionary(t => t.Id, t => t.Name);
        return
        [
            .. plan.Communities.Select(c => $"{c.Name}|{c.Capacity}|{c.State}|{c.CreatedAt:O}"),
            .. plan.Members.Select(m => $"{Profile(m)}|{m.CreatedAt:O}"),
            .. plan.Memberships.Select(m => $"{member[m.MemberId]}|{community[m.CommunityId]}|{m.JoinedAt:O}|{m.LeftAt:O}|{m.Nickname}|{m.Channel}|{(m.InviterMemberId is { } i ? member[i] : "")}"),
            .. plan.MemberTags.Select(t => $"{member[t.MemberId]}|{tag[t.TagId]}|{t.AssignedAt:O}"),
        ];
    }

    [GeneratedRegex("^[^-]+-[^-]+-.+$")]
    private static partial Regex CityIndustryNickname();
}
