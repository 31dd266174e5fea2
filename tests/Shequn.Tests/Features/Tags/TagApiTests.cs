using System.Net;
using System.Net.Http.Json;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Members.MemberTestData;

namespace Shequn.Tests.Features.Tags;

public abstract class TagApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Page<TagDto>> ListAsync(TestStaff staff, string query = "") =>
        await staff.Api.GetJsonAsync<Page<TagDto>>("/api/tags" + query);

    private static async Task<IReadOnlyList<string>> TagNamesOfAsync(TestStaff staff, Guid memberId) =>
        (await staff.Api.GetJsonAsync<MemberDto>($"/api/members/{memberId}")).Tags.Select(t => t.Name).ToList();

    private static Task<HttpResponseMessage> UnassignAsync(TestStaff staff, Guid tagId, params Guid[] memberIds) =>
        staff.Api.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/tags/{tagId}/members")
        {
            Content = JsonContent.Create(new { memberIds }, options: Json.Options),
        }, Ct);

    [Fact]
    public async Task List_AfterAssign_ShowsMemberCounts()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m1 = await MemberAsync(ws.Owner, "m1", community.Id);
        var m2 = await MemberAsync(ws.Owner, "m2", community.Id);
        var vip = await TagAsync(ws.Owner, "高意向");
        await TagAsync(ws.Owner, "沉默");

        var result = await AssignAsync(ws.Owner, vip.Id, m1.Id, m2.Id, m1.Id);

        Assert.Equal(2, result.Changed);
        var tags = await ListAsync(ws.Owner);
        Assert.Equal([("沉默", 0), ("高意向", 2)], tags.Items.Select(t => (t.Name, t.MemberCount)).OrderBy(t => t.Name, StringComparer.Ordinal));
        Assert.Equal(["高意向"], (await ListAsync(ws.Owner, "?q=意向")).Items.Select(t => t.Name));
        Assert.Equal(0, (await AssignAsync(ws.Owner, vip.Id, m1.Id)).Changed);
    }

    [Fact]
    public async Task CreateAndRename_DuplicateName_Returns400NamingName()
    {
        var ws = await factory.NewWorkspaceAsync();
        await TagAsync(ws.Owner, "宝妈");
        var other = await TagAsync(ws.Owner, "学生");

        var create = await (await ws.Owner.Api.PostJsonAsync("/api/tags", new { name = " 宝妈 " })).ReadValidationErrorsAsync();
        var rename = await (await ws.Owner.Api.PutJsonAsync($"/api/tags/{other.Id}", new { name = "宝妈" })).ReadValidationErrorsAsync();

        Assert.Contains("already exists", Assert.Single(create["name"]), StringComparison.Ordinal);
        Assert.Contains("already exists", Assert.Single(rename["name"]), StringComparison.Ordinal);
        Assert.Equal(["学生", "宝妈"], (await ListAsync(ws.Owner)).Items.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Create_SameNameInAnotherWorkspace_IsAllowed()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        await TagAsync(a.Owner, "宝妈");

        var response = await b.Owner.Api.PostJsonAsync("/api/tags", new { name = "宝妈" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Create_OverlongOrEmptyName_Returns400NamingNameAndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();

        var overlong = await (await ws.Owner.Api.PostJsonAsync("/api/tags", new { name = new string('标', Tag.NameMaxLength + 1) })).ReadValidationErrorsAsync();
        var empty = await (await ws.Owner.Api.PostJsonAsync("/api/tags", new { name = "  " })).ReadValidationErrorsAsync();

        Assert.Contains("at most 50", Assert.Single(overlong["name"]), StringComparison.Ordinal);
        Assert.True(empty.ContainsKey("name"));
        Assert.Equal(0, (await ListAsync(ws.Owner)).Total);
    }

    [Fact]
    public async Task Rename_ValidName_ChangesNameAndKeepsMembers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m = await MemberAsync(ws.Owner, "m", community.Id);
        var tag = await TagAsync(ws.Owner, "旧名");
        await AssignAsync(ws.Owner, tag.Id, m.Id);

        var renamed = await (await ws.Owner.Api.PutJsonAsync($"/api/tags/{tag.Id}", new { name = "新名" })).ReadAsync<TagDto>();

        Assert.Equal("新名", renamed.Name);
        Assert.Equal(1, renamed.MemberCount);
        Assert.Equal(["新名"], await TagNamesOfAsync(ws.Owner, m.Id));
    }

    [Fact]
    public async Task Merge_SourceIntoTarget_MovesMembersAndDeletesSource()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m1 = await MemberAsync(ws.Owner, "m1", community.Id);
        var m2 = await MemberAsync(ws.Owner, "m2", community.Id);
        var m3 = await MemberAsync(ws.Owner, "m3", community.Id);
        var source = await TagAsync(ws.Owner, "宝妈妈");
        var target = await TagAsync(ws.Owner, "宝妈");
        var untouched = await TagAsync(ws.Owner, "学生");
        await AssignAsync(ws.Owner, source.Id, m1.Id, m2.Id);
        await AssignAsync(ws.Owner, target.Id, m2.Id, m3.Id);
        await AssignAsync(ws.Owner, untouched.Id, m1.Id);

        var merged = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{source.Id}/merge", new { targetTagId = target.Id })).ReadAsync<TagDto>();

        Assert.Equal(target.Id, merged.Id);
        Assert.Equal(3, merged.MemberCount);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/tags/{source.Id}", Ct)).StatusCode);
        Assert.Equal(["学生", "宝妈"], (await ListAsync(ws.Owner)).Items.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["学生", "宝妈"], (await TagNamesOfAsync(ws.Owner, m1.Id)).Order(StringComparer.Ordinal));
        Assert.Equal(["宝妈"], await TagNamesOfAsync(ws.Owner, m2.Id));
        Assert.Equal(["宝妈"], await TagNamesOfAsync(ws.Owner, m3.Id));
        Assert.Equal(0, (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?tagId={source.Id}")).Total);
    }

    [Fact]
    public async Task Merge_IntoItselfOrUnknownTarget_Returns400NamingTargetAndKeepsSource()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m = await MemberAsync(ws.Owner, "m", community.Id);
        var source = await TagAsync(ws.Owner, "宝妈");
        await AssignAsync(ws.Owner, source.Id, m.Id);

        var self = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{source.Id}/merge", new { targetTagId = source.Id })).ReadValidationErrorsAsync();
        var unknown = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{source.Id}/merge", new { targetTagId = Guid.NewGuid() })).ReadValidationErrorsAsync();

        Assert.True(self.ContainsKey("targetTagId"));
        Assert.True(unknown.ContainsKey("targetTagId"));
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<TagDto>($"/api/tags/{source.Id}")).MemberCount);
    }

    [Fact]
    public async Task Assign_UnknownMemberId_Returns400NamingMemberIdsAndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m = await MemberAsync(ws.Owner, "m", community.Id);
        var tag = await TagAsync(ws.Owner, "宝妈");

        var response = await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { memberIds = new[] { m.Id, Guid.NewGuid() } });

        var errors = await response.ReadValidationErrorsAsync();
        Assert.Contains("Unknown members (1)", Assert.Single(errors["memberIds"]), StringComparison.Ordinal);
        Assert.Empty(await TagNamesOfAsync(ws.Owner, m.Id));
        Assert.Equal(0, (await ws.Owner.Api.GetJsonAsync<TagDto>($"/api/tags/{tag.Id}")).MemberCount);
    }

    [Fact]
    public async Task Assign_EmptyMemberIds_Returns400NamingMemberIds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tag = await TagAsync(ws.Owner, "宝妈");

        var errors = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { memberIds = Array.Empty<Guid>() })).ReadValidationErrorsAsync();

        Assert.True(errors.ContainsKey("memberIds"));
    }

    [Fact]
    public async Task Unassign_TaggedMembers_RemovesTagOnlyFromThem()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m1 = await MemberAsync(ws.Owner, "m1", community.Id);
        var m2 = await MemberAsync(ws.Owner, "m2", community.Id);
        var tag = await TagAsync(ws.Owner, "宝妈");
        await AssignAsync(ws.Owner, tag.Id, m1.Id, m2.Id);

        var result = await (await UnassignAsync(ws.Owner, tag.Id, m1.Id)).ReadAsync<TagMembersResult>();

        Assert.Equal(1, result.Changed);
        Assert.Empty(await TagNamesOfAsync(ws.Owner, m1.Id));
        Assert.Equal(["宝妈"], await TagNamesOfAsync(ws.Owner, m2.Id));
    }

    [Fact]
    public async Task Unassign_UnknownMemberId_Returns400AndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m = await MemberAsync(ws.Owner, "m", community.Id);
        var tag = await TagAsync(ws.Owner, "宝妈");
        await AssignAsync(ws.Owner, tag.Id, m.Id);

        var errors = await (await UnassignAsync(ws.Owner, tag.Id, m.Id, Guid.NewGuid())).ReadValidationErrorsAsync();

        Assert.True(errors.ContainsKey("memberIds"));
        Assert.Equal(["宝妈"], await TagNamesOfAsync(ws.Owner, m.Id));
    }

    [Fact]
    public async Task Delete_TagWithMembers_RemovesTagAndItsAssignments()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m = await MemberAsync(ws.Owner, "m", community.Id);
        var doomed = await TagAsync(ws.Owner, "待删");
        var kept = await TagAsync(ws.Owner, "保留");
        await AssignAsync(ws.Owner, doomed.Id, m.Id);
        await AssignAsync(ws.Owner, kept.Id, m.Id);

        var response = await ws.Owner.Api.DeleteAsync($"/api/tags/{doomed.Id}", Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["保留"], await TagNamesOfAsync(ws.Owner, m.Id));
        Assert.Equal(["保留"], (await ListAsync(ws.Owner)).Items.Select(t => t.Name));
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.DeleteAsync($"/api/tags/{doomed.Id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task ManageTags_Operator_Returns403ButMayTagVisibleMembers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var inMine = await MemberAsync(ws.Owner, "我群成员", mine.Id);
        var inOther = await MemberAsync(ws.Owner, "他群成员", other.Id);
        var tag = await TagAsync(ws.Owner, "宝妈");
        var spare = await TagAsync(ws.Owner, "学生");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine.Id);

        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync("/api/tags", new { name = "新标签" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PutJsonAsync($"/api/tags/{tag.Id}", new { name = "改名" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.DeleteAsync($"/api/tags/{spare.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync($"/api/tags/{spare.Id}/merge", new { targetTagId = tag.Id })).StatusCode);
        var hidden = await (await op.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { memberIds = new[] { inMine.Id, inOther.Id } }))
            .ReadValidationErrorsAsync();
        Assert.True(hidden.ContainsKey("memberIds"));
        Assert.Equal(1, (await AssignAsync(op, tag.Id, inMine.Id)).Changed);
        Assert.Equal(["学生", "宝妈"], (await ListAsync(ws.Owner)).Items.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Empty(await TagNamesOfAsync(ws.Owner, inOther.Id));
    }

    [Fact]
    public async Task List_Operator_CountsOnlyVisibleMembers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var inMine = await MemberAsync(ws.Owner, "我群成员", mine.Id);
        var inOther = await MemberAsync(ws.Owner, "他群成员", other.Id);
        var tag = await TagAsync(ws.Owner, "宝妈");
        await AssignAsync(ws.Owner, tag.Id, inMine.Id, inOther.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine.Id);

        Assert.Equal(1, Assert.Single((await ListAsync(op)).Items).MemberCount);
        Assert.Equal(2, Assert.Single((await ListAsync(ws.Owner)).Items).MemberCount);
    }

    [Fact]
    public async Task Assign_Koc_Returns403AndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m = await MemberAsync(ws.Owner, "m", community.Id);
        var tag = await TagAsync(ws.Owner, "宝妈");
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", community.Id);

        var assign = await koc.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { memberIds = new[] { m.Id } });
        var create = await koc.Api.PostJsonAsync("/api/tags", new { name = "KOC 的标签" });

        Assert.Equal(HttpStatusCode.Forbidden, assign.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Empty(await TagNamesOfAsync(ws.Owner, m.Id));
    }

    [Fact]
    public async Task Workspaces_AreIsolated_TagsNotVisibleOrChangeableAcross()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(a.Owner, "A 的群");
        var memberOfA = await MemberAsync(a.Owner, "A 的成员", community.Id);
        var tagOfA = await TagAsync(a.Owner, "A 的标签");
        await AssignAsync(a.Owner, tagOfA.Id, memberOfA.Id);
        var tagOfB = await TagAsync(b.Owner, "B 的标签");

        Assert.Equal(["B 的标签"], (await ListAsync(b.Owner)).Items.Select(t => t.Name));
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/tags/{tagOfA.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PutJsonAsync($"/api/tags/{tagOfA.Id}", new { name = "hijacked" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.DeleteAsync($"/api/tags/{tagOfA.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PostJsonAsync($"/api/tags/{tagOfA.Id}/merge", new { targetTagId = tagOfB.Id })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await UnassignAsync(b.Owner, tagOfA.Id, memberOfA.Id)).StatusCode);
        var intoForeign = await (await b.Owner.Api.PostJsonAsync($"/api/tags/{tagOfB.Id}/merge", new { targetTagId = tagOfA.Id })).ReadValidationErrorsAsync();
        Assert.True(intoForeign.ContainsKey("targetTagId"));
        var foreignMember = await (await b.Owner.Api.PostJsonAsync($"/api/tags/{tagOfB.Id}/members", new { memberIds = new[] { memberOfA.Id } })).ReadValidationErrorsAsync();
        Assert.True(foreignMember.ContainsKey("memberIds"));
        Assert.Equal(0, (await b.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?tagId={tagOfA.Id}")).Total);

        var kept = await a.Owner.Api.GetJsonAsync<TagDto>($"/api/tags/{tagOfA.Id}");
        Assert.Equal("A 的标签", kept.Name);
        Assert.Equal(1, kept.MemberCount);
        Assert.Equal(["A 的标签"], await TagNamesOfAsync(a.Owner, memberOfA.Id));
    }
}

public sealed class TagApiTests_Sqlite(SqliteFactory factory) : TagApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class TagApiTests_Postgres(PostgresFactory factory) : TagApiTests(factory), IClassFixture<PostgresFactory>;
