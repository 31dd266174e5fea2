using System.Net;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Members.MemberTestData;

namespace Shequn.Tests.Features.Members;

public abstract class MemberApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Page<MemberListItem>> ListAsync(TestStaff staff, string query = "") =>
        await staff.Api.GetJsonAsync<Page<MemberListItem>>("/api/members" + query);

    private static object Profile(string displayName, string? city = "西安", string? industry = "医疗", string layer = "vip") => new
    {
        displayName,
        city,
        industry,
        layer,
        needs = new[] { "business", "life" },
        channel = "朋友推荐",
        organisations = "西安营养学会",
    };

    [Fact]
    public async Task Create_WithMembershipInviterAndTags_ReturnsFullProfile()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "鱼油交流群");
        var tag = await TagAsync(ws.Owner, "复购客户");
        var inviter = await MemberAsync(ws.Owner, "老会员王姐", community.Id);

        var created = await MemberAsync(ws.Owner, "张医生", community.Id, city: "西安", industry: "医疗", layer: "vip",
            nickname: "西安-医疗-张医生", inviter: inviter.Id, tagIds: [tag.Id]);

        var member = await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{created.Id}");
        Assert.Equal("张医生", member.DisplayName);
        Assert.Equal("西安", member.City);
        Assert.Equal("医疗", member.Industry);
        Assert.Equal(MemberLayer.Vip, member.Layer);
        Assert.Equal([MemberNeeds.Knowledge], member.Needs);
        Assert.Equal("线下门店", member.Channel);
        Assert.Equal("复购客户", Assert.Single(member.Tags).Name);
        var membership = Assert.Single(member.Memberships);
        Assert.Equal(community.Id, membership.CommunityId);
        Assert.Equal("鱼油交流群", membership.CommunityName);
        Assert.Equal("西安-医疗-张医生", membership.Nickname);
        Assert.Equal("活码", membership.Channel);
        Assert.Equal(inviter.Id, membership.InviterMemberId);
        Assert.Equal("老会员王姐", membership.InviterName);
        Assert.Null(membership.LeftAt);
        Assert.InRange(membership.JoinedAt, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task List_SearchByNameOrNickname_ReturnsOnlyMatches()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "综合群");
        var zhang = await MemberAsync(ws.Owner, "张三", community.Id, nickname: "西安-教师-白藜芦醇");
        var li = await MemberAsync(ws.Owner, "李四", community.Id);
        var wei = await MemberAsync(ws.Owner, "Zhang Wei", community.Id);

        Assert.Equal([zhang.Id], (await ListAsync(ws.Owner, "?q=白藜芦醇")).Items.Select(m => m.Id));
        Assert.Equal([li.Id], (await ListAsync(ws.Owner, "?q=李")).Items.Select(m => m.Id));
        Assert.Equal([wei.Id], (await ListAsync(ws.Owner, "?q=zhang")).Items.Select(m => m.Id));
        Assert.Equal(0, (await ListAsync(ws.Owner, "?q=不存在")).Total);
        Assert.Equal(3, (await ListAsync(ws.Owner)).Total);
    }

    [Fact]
    public async Task List_FilterByTagCommunityLayerCityIndustry_ReturnsOnlyMatches()
    {
        var ws = await factory.NewWorkspaceAsync();
        var fishOil = await CommunityAsync(ws.Owner, "鱼油群");
        var vitaminE = await CommunityAsync(ws.Owner, "维E群");
        var tag = await TagAsync(ws.Owner, "宝妈");
        var a = await MemberAsync(ws.Owner, "A", fishOil.Id, city: "西安", industry: "教育", layer: "vip");
        var b = await MemberAsync(ws.Owner, "B", fishOil.Id, city: "北京", industry: "医疗");
        var c = await MemberAsync(ws.Owner, "C", vitaminE.Id, city: "西安", industry: "医疗", layer: "koc");
        await AssignAsync(ws.Owner, tag.Id, a.Id, c.Id);

        Assert.Equal([a.Id, c.Id], (await ListAsync(ws.Owner, $"?tagId={tag.Id}")).Items.Select(m => m.Id));
        Assert.Equal([a.Id, b.Id], (await ListAsync(ws.Owner, $"?communityId={fishOil.Id}")).Items.Select(m => m.Id));
        Assert.Equal([a.Id], (await ListAsync(ws.Owner, "?layer=vip")).Items.Select(m => m.Id));
        Assert.Equal([a.Id, c.Id], (await ListAsync(ws.Owner, "?city=西安")).Items.Select(m => m.Id));
        Assert.Equal([b.Id, c.Id], (await ListAsync(ws.Owner, "?industry=医疗")).Items.Select(m => m.Id));
        Assert.Equal([c.Id], (await ListAsync(ws.Owner, $"?city=西安&tagId={tag.Id}&communityId={vitaminE.Id}")).Items.Select(m => m.Id));
        var listed = Assert.Single((await ListAsync(ws.Owner, $"?tagId={tag.Id}&layer=vip")).Items);
        Assert.Equal("宝妈", Assert.Single(listed.Tags).Name);
        Assert.Equal(1, listed.CommunityCount);
    }

    [Theory]
    [InlineData("vip")]
    [InlineData("Vip")]
    [InlineData("VIP")]
    public async Task List_LayerInAnyCase_Filters(string layer)
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var vip = await MemberAsync(ws.Owner, "vip", community.Id, layer: "vip");
        await MemberAsync(ws.Owner, "regular", community.Id);

        Assert.Equal([vip.Id], (await ListAsync(ws.Owner, $"?layer={layer}")).Items.Select(m => m.Id));
    }

    [Fact]
    public async Task List_UnknownLayer_Returns400NamingLayer()
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.GetAsync("/api/members?layer=platinum", Ct)).ReadValidationErrorsAsync();

        Assert.True(errors.ContainsKey("layer"));
    }

    [Fact]
    public async Task List_CommunityFilter_LeavesOutMembersWhoLeft()
    {
        var ws = await factory.NewWorkspaceAsync();
        var first = await CommunityAsync(ws.Owner, "一群");
        var second = await CommunityAsync(ws.Owner, "二群");
        var stayed = await MemberAsync(ws.Owner, "留下的", first.Id);
        var left = await MemberAsync(ws.Owner, "退群的", first.Id);
        await AddMembershipAsync(factory, ws, left.Id, second.Id, leftAt: DateTime.UtcNow.AddDays(-1));

        Assert.Equal([left.Id], (await ListAsync(ws.Owner, $"?communityId={first.Id}&q=退群")).Items.Select(m => m.Id));
        Assert.Equal(0, (await ListAsync(ws.Owner, $"?communityId={second.Id}")).Total);
        var detail = await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{left.Id}");
        Assert.NotNull(detail.Memberships.Single(m => m.CommunityId == second.Id).LeftAt);
        Assert.Equal(stayed.Id, (await ListAsync(ws.Owner, $"?communityId={first.Id}&q=留下")).Items.Single().Id);
    }

    [Fact]
    public async Task List_Paging_ReturnsRequestedPageAndTotal()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        foreach (var name in new[] { "m1", "m2", "m3", "m4", "m5" })
            await MemberAsync(ws.Owner, name, community.Id);

        var page = await ListAsync(ws.Owner, "?page=2&pageSize=2");

        Assert.Equal(5, page.Total);
        Assert.Equal(2, page.PageNumber);
        Assert.Equal(["m3", "m4"], page.Items.Select(m => m.DisplayName));
        Assert.Equal(["m5"], (await ListAsync(ws.Owner, "?page=3&pageSize=2")).Items.Select(m => m.DisplayName));
    }

    [Fact]
    public async Task List_Operator_SeesOnlyMembersOfAssignedCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var inMine = await MemberAsync(ws.Owner, "我群成员", mine.Id);
        var inOther = await MemberAsync(ws.Owner, "他群成员", other.Id);
        await MemberAsync(ws.Owner, "无群成员");
        await AddMembershipAsync(factory, ws, inMine.Id, other.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营小李", mine.Id);

        var list = await ListAsync(op);
        var only = Assert.Single(list.Items);
        Assert.Equal(inMine.Id, only.Id);
        Assert.Equal(1, only.CommunityCount);
        Assert.Equal(0, (await ListAsync(op, $"?communityId={other.Id}")).Total);
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/members/{inOther.Id}", Ct)).StatusCode);
        var detail = await op.Api.GetJsonAsync<MemberDto>($"/api/members/{inMine.Id}");
        Assert.Equal(mine.Id, Assert.Single(detail.Memberships).CommunityId);
        Assert.Equal(3, (await ListAsync(ws.Owner)).Total);
    }

    [Fact]
    public async Task Update_Operator_ChangesOnlyMembersOfAssignedCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var inMine = await MemberAsync(ws.Owner, "我群成员", mine.Id);
        var inOther = await MemberAsync(ws.Owner, "他群成员", other.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营小李", mine.Id);

        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.PutJsonAsync($"/api/members/{inOther.Id}", Profile("改名"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await op.Api.PutJsonAsync($"/api/members/{inMine.Id}", Profile("改名"))).StatusCode);
        Assert.Equal("他群成员", (await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{inOther.Id}")).DisplayName);
        Assert.Equal("改名", (await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{inMine.Id}")).DisplayName);
    }

    [Fact]
    public async Task Create_OperatorOutsideAssignedCommunities_Returns400NamingMembership()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine.Id);

        var noMembership = await (await op.Api.PostJsonAsync("/api/members", new { displayName = "新人", layer = "regular" })).ReadValidationErrorsAsync();
        var elsewhere = await (await op.Api.PostJsonAsync("/api/members", new { displayName = "新人", layer = "regular", membership = new { communityId = other.Id } }))
            .ReadValidationErrorsAsync();
        var created = await MemberAsync(op, "新人", mine.Id);

        Assert.True(noMembership.ContainsKey("membership"));
        Assert.True(elsewhere.ContainsKey("membership.communityId"));
        Assert.Equal([created.Id], (await ListAsync(ws.Owner)).Items.Select(m => m.Id));
    }

    [Fact]
    public async Task CreateAndUpdate_Koc_Returns403AndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var member = await MemberAsync(ws.Owner, "原名", community.Id);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC 小红", community.Id);

        var create = await koc.Api.PostJsonAsync("/api/members", new { displayName = "x", layer = "regular", membership = new { communityId = community.Id } });
        var update = await koc.Api.PutJsonAsync($"/api/members/{member.Id}", Profile("被改"));

        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, update.StatusCode);
        Assert.Equal("原名", (await koc.Api.GetJsonAsync<MemberDto>($"/api/members/{member.Id}")).DisplayName);
        Assert.Equal(1, (await ListAsync(koc)).Total);
    }

    [Fact]
    public async Task Create_OverlongText_Returns400NamingFieldsAndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var body = new
        {
            displayName = new string('名', Member.NameMaxLength + 1),
            city = new string('城', Member.FieldMaxLength + 1),
            layer = "regular",
            organisations = new string('x', Member.FieldMaxLength + 1),
            membership = new { communityId = community.Id, nickname = new string('昵', Member.NameMaxLength + 1) },
        };

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/members", body)).ReadValidationErrorsAsync();

        Assert.Equal(["city", "displayName", "membership.nickname", "organisations"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, (await ListAsync(ws.Owner)).Total);
    }

    [Fact]
    public async Task Create_UnknownCommunityTagOrInviter_Returns400NamingFieldsAndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var other = await factory.NewWorkspaceAsync();
        var foreignCommunity = await CommunityAsync(other.Owner, "别家的群");
        var foreignTag = await TagAsync(other.Owner, "别家的标签");
        var foreignMember = await MemberAsync(other.Owner, "别家的人", foreignCommunity.Id);
        var body = new
        {
            displayName = "新人",
            layer = "regular",
            tagIds = new[] { foreignTag.Id },
            membership = new { communityId = foreignCommunity.Id, inviterMemberId = foreignMember.Id },
        };

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/members", body)).ReadValidationErrorsAsync();

        Assert.Equal(["membership.communityId", "membership.inviterMemberId", "tagIds"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, (await ListAsync(ws.Owner)).Total);
        Assert.Equal(1, (await ListAsync(other.Owner)).Total);
    }

    [Fact]
    public async Task Create_UnknownLayerOrNeed_Returns400()
    {
        var ws = await factory.NewWorkspaceAsync();

        var badLayer = await ws.Owner.Api.PostJsonAsync("/api/members", new { displayName = "x", layer = "platinum" });
        var badNeed = await (await ws.Owner.Api.PostJsonAsync("/api/members", new { displayName = "x", layer = "regular", needs = new[] { "none" } }))
            .ReadValidationErrorsAsync();

        Assert.Equal(HttpStatusCode.BadRequest, badLayer.StatusCode);
        Assert.True(badNeed.ContainsKey("needs"));
        Assert.Equal(0, (await ListAsync(ws.Owner)).Total);
    }

    [Fact]
    public async Task Update_ValidProfile_ReplacesFields()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var member = await MemberAsync(ws.Owner, "小王", community.Id, city: "北京");

        var updated = await (await ws.Owner.Api.PutJsonAsync($"/api/members/{member.Id}", Profile("王女士", city: "西安", industry: "教育", layer: "core")))
            .ReadAsync<MemberDto>();

        Assert.Equal("王女士", updated.DisplayName);
        Assert.Equal("西安", updated.City);
        Assert.Equal("教育", updated.Industry);
        Assert.Equal(MemberLayer.Core, updated.Layer);
        Assert.Equal([MemberNeeds.Business, MemberNeeds.Life], updated.Needs);
        Assert.Equal("西安营养学会", updated.Organisations);
        Assert.Single(updated.Memberships);
    }

    [Fact]
    public async Task Update_OverlongText_Returns400AndKeepsOldValues()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var member = await MemberAsync(ws.Owner, "小王", community.Id, city: "北京");

        var errors = await (await ws.Owner.Api.PutJsonAsync($"/api/members/{member.Id}", Profile("新名", industry: new string('业', Member.FieldMaxLength + 1))))
            .ReadValidationErrorsAsync();

        Assert.Equal(["industry"], errors.Keys);
        var kept = await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{member.Id}");
        Assert.Equal("小王", kept.DisplayName);
        Assert.Equal("北京", kept.City);
    }

    [Fact]
    public async Task Workspaces_AreIsolated_MembersNotVisibleOrChangeableAcross()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(a.Owner, "A 的群");
        var member = await MemberAsync(a.Owner, "A 的成员", community.Id, city: "西安");

        Assert.Equal(0, (await ListAsync(b.Owner)).Total);
        Assert.Equal(0, (await ListAsync(b.Owner, $"?communityId={community.Id}")).Total);
        Assert.Equal(0, (await ListAsync(b.Owner, "?city=西安")).Total);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/members/{member.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PutJsonAsync($"/api/members/{member.Id}", Profile("hijacked"))).StatusCode);
        Assert.Equal("A 的成员", (await a.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{member.Id}")).DisplayName);
    }
}

public sealed class MemberApiTests_Sqlite(SqliteFactory factory) : MemberApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class MemberApiTests_Postgres(PostgresFactory factory) : MemberApiTests(factory), IClassFixture<PostgresFactory>;
