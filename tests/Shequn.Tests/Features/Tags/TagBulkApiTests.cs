using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Members.MemberTestData;

namespace Shequn.Tests.Features.Tags;

/// <summary>Tagging in bulk: "all members matching the filter" across pages, and one audit entry per bulk change.</summary>
public abstract class TagBulkApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<HttpResponseMessage> UntagAsync(TestStaff staff, Guid tagId, object body) =>
        staff.Api.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/tags/{tagId}/members")
        {
            Content = JsonContent.Create(body, options: Json.Options),
        }, Ct);

    /// <summary>The bulk entries on the tag (its "created" entry left out), oldest first.</summary>
    private async Task<List<AuditEntry>> BulkEntriesAsync(TestWorkspace ws, Guid tagId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        var id = tagId.ToString();
        return await db.AuditEntries.AsNoTracking()
            .Where(e => e.EntityType == nameof(Tag) && e.EntityId == id && e.Action == "updated")
            .OrderBy(e => e.Id)
            .ToListAsync(Ct);
    }

    private static (int Count, List<Guid> Ids) Read(AuditEntry entry, string countField)
    {
        using var after = JsonDocument.Parse(entry.After!);
        return (after.RootElement.GetProperty(countField).GetInt32(),
            [.. after.RootElement.GetProperty("MemberIds").EnumerateArray().Select(e => e.GetGuid())]);
    }

    [Fact]
    public async Task AssignByFilter_TagsEveryMatchingMemberOnEveryPage_OneAuditEntryWithCountAndIds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var fishOil = await CommunityAsync(ws.Owner, "鱼油群");
        var other = await CommunityAsync(ws.Owner, "别的群");
        var tag = await TagAsync(ws.Owner, "鱼油客户");
        var inFishOil = new List<Guid>();
        foreach (var name in new[] { "m1", "m2", "m3", "m4", "m5" })
            inFishOil.Add((await MemberAsync(ws.Owner, name, fishOil.Id)).Id);
        var outside = await MemberAsync(ws.Owner, "外人", other.Id);
        var already = inFishOil[0];
        await AssignAsync(ws.Owner, tag.Id, already);
        Assert.Equal(5, (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?communityId={fishOil.Id}&pageSize=2")).Total);

        var result = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { filter = new { communityId = fishOil.Id } }))
            .ReadAsync<TagMembersResult>();

        Assert.Equal(4, result.Changed);
        var tagged = await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?tagId={tag.Id}");
        Assert.Equal(inFishOil.Order(), tagged.Items.Select(m => m.Id).Order());
        Assert.DoesNotContain(outside.Id, tagged.Items.Select(m => m.Id));
        var entries = await BulkEntriesAsync(ws, tag.Id);
        Assert.Equal(2, entries.Count);
        var (count, ids) = Read(entries[1], "MembersTagged");
        Assert.Equal(4, count);
        Assert.Equal(inFishOil.Where(id => id != already).Order(), ids.Order());
        Assert.Equal(ws.Owner.Id, entries[1].ActorId);
    }

    [Fact]
    public async Task BulkEntry_ReadBySubOwner_NamesOnlyMembersOfHerCommunities_KeepsTheCount()
    {
        var ws = await factory.NewWorkspaceAsync();
        var hers = await CommunityAsync(ws.Owner, "她的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var tag = await TagAsync(ws.Owner, "大促");
        var inHers = (await MemberAsync(ws.Owner, "甲", hers.Id)).Id;
        var inOther = (await MemberAsync(ws.Owner, "乙", other.Id)).Id;
        await AssignAsync(ws.Owner, tag.Id, inHers, inOther);
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主", hers.Id);

        List<string> Ids(AuditEntryDto entry) =>
            [.. entry.Changes.Single(c => c.Field == "MemberIds").After!.Value.EnumerateArray().Select(e => e.GetString()!)];
        async Task<AuditEntryDto> BulkAsync(TestStaff reader) =>
            (await reader.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityType=tag&entityId={tag.Id}&action=updated")).Items.Single();

        var forOwner = await BulkAsync(ws.Owner);
        Assert.Equal([inHers.ToString(), inOther.ToString()], Ids(forOwner).Order());
        var forSub = await BulkAsync(sub);
        Assert.Equal([inHers.ToString()], Ids(forSub));
        Assert.Equal(2, forSub.Changes.Single(c => c.Field == "MembersTagged").After!.Value.GetInt32());
    }

    [Fact]
    public async Task AssignByIds_OneAuditEntry_AndNothingRecordedWhenNothingChanged()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var m1 = await MemberAsync(ws.Owner, "m1", community.Id);
        var m2 = await MemberAsync(ws.Owner, "m2", community.Id);
        var tag = await TagAsync(ws.Owner, "高意向");

        await AssignAsync(ws.Owner, tag.Id, m1.Id, m2.Id);
        var again = await AssignAsync(ws.Owner, tag.Id, m1.Id, m2.Id);
        var untagNobody = await UntagAsync(ws.Owner, tag.Id, new { filter = new { q = "没有这个人" } });

        Assert.Equal(0, again.Changed);
        Assert.Equal(0, (await untagNobody.ReadAsync<TagMembersResult>()).Changed);
        var entry = Assert.Single(await BulkEntriesAsync(ws, tag.Id));
        var (count, ids) = Read(entry, "MembersTagged");
        Assert.Equal(2, count);
        Assert.Equal(new[] { m1.Id, m2.Id }.Order(), ids.Order());
    }

    [Fact]
    public async Task UnassignByFilter_RemovesFromMatchingOnly_OneAuditEntry()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var xian1 = await MemberAsync(ws.Owner, "x1", community.Id, city: "西安");
        var xian2 = await MemberAsync(ws.Owner, "x2", community.Id, city: "西安");
        var beijing = await MemberAsync(ws.Owner, "b1", community.Id, city: "北京");
        var tag = await TagAsync(ws.Owner, "宝妈");
        await AssignAsync(ws.Owner, tag.Id, xian1.Id, xian2.Id, beijing.Id);

        var result = await (await UntagAsync(ws.Owner, tag.Id, new { filter = new { city = "西安", tagId = tag.Id } })).ReadAsync<TagMembersResult>();

        Assert.Equal(2, result.Changed);
        Assert.Equal([beijing.Id], (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?tagId={tag.Id}")).Items.Select(m => m.Id));
        var entries = await BulkEntriesAsync(ws, tag.Id);
        Assert.Equal(2, entries.Count);
        var (count, ids) = Read(entries[1], "MembersUntagged");
        Assert.Equal(2, count);
        Assert.Equal(new[] { xian1.Id, xian2.Id }.Order(), ids.Order());
    }

    [Fact]
    public async Task AssignByFilter_Operator_TagsOnlyMembersSheSees()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var inMine = await MemberAsync(ws.Owner, "西安甲", mine.Id, city: "西安");
        var inOther = await MemberAsync(ws.Owner, "西安乙", other.Id, city: "西安");
        var tag = await TagAsync(ws.Owner, "西安");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine.Id);

        var result = await (await op.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { filter = new { city = "西安" } })).ReadAsync<TagMembersResult>();
        var hidden = await (await op.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { filter = new { communityId = other.Id } })).ReadAsync<TagMembersResult>();

        Assert.Equal(1, result.Changed);
        Assert.Equal(0, hidden.Changed);
        Assert.Equal([inMine.Id], (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?tagId={tag.Id}")).Items.Select(m => m.Id));
        Assert.DoesNotContain(inOther.Id, Read(Assert.Single(await BulkEntriesAsync(ws, tag.Id)), "MembersTagged").Ids);
    }

    [Fact]
    public async Task AssignByFilter_Koc_Returns403_WritesNothingAndNoAuditEntry()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        await MemberAsync(ws.Owner, "m1", community.Id);
        var tag = await TagAsync(ws.Owner, "标签");
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", community.Id);

        var response = await koc.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { filter = new { communityId = community.Id } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?tagId={tag.Id}")).Total);
        Assert.Empty(await BulkEntriesAsync(ws, tag.Id));
    }

    [Fact]
    public async Task Assign_FilterAndIdsOrBadFilter_Returns400NamingTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var member = await MemberAsync(ws.Owner, "m1", community.Id);
        var tag = await TagAsync(ws.Owner, "标签");

        var both = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { memberIds = new[] { member.Id }, filter = new { q = "m" } }))
            .ReadValidationErrorsAsync();
        var badLayer = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { filter = new { layer = "platinum" } }))
            .ReadValidationErrorsAsync();

        Assert.Equal(["filter"], both.Keys);
        Assert.Equal(["filter.layer"], badLayer.Keys);
        Assert.Equal(0, (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?tagId={tag.Id}")).Total);
    }
}

public sealed class TagBulkApiTests_Sqlite(SqliteFactory factory) : TagBulkApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class TagBulkApiTests_Postgres(PostgresFactory factory) : TagBulkApiTests(factory), IClassFixture<PostgresFactory>;
