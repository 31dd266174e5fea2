using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Communities;

/// <summary>Community tags: the workspace's labels (<c>/api/community-tags</c>), set on communities, filtering the list.</summary>
public abstract class CommunityTagApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static object Community(string name, Guid[]? tagIds = null, string tier = "comprehensive", string state = "active") => new
    {
        name, platform = "sandbox", type = "content", subType = "topic", tier, capacity = 200, state, tagIds,
    };

    internal static async Task<CommunityTagDto> TagAsync(TestStaff staff, string name, string? color = null) =>
        await (await staff.Api.PostJsonAsync("/api/community-tags", new { name, color })).ReadAsync<CommunityTagDto>();

    private static async Task<CommunityDto> CommunityAsync(TestStaff staff, string name, params Guid[] tagIds) =>
        await (await staff.Api.PostJsonAsync("/api/communities", Community(name, tagIds))).ReadAsync<CommunityDto>();

    private static async Task<List<CommunityDto>> ListAsync(TestStaff staff, string query) =>
        [.. (await staff.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities" + query)).Items];

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    [Fact]
    public async Task Tags_CreateSetRenameDelete_CommunitiesShowTheCurrentName()
    {
        var ws = await factory.NewWorkspaceAsync();
        var east = await TagAsync(ws.Owner, " 华东 ", "#1E88E5");
        Assert.Equal(("华东", "#1e88e5", 0), (east.Name, east.Color, east.CommunityCount));
        var trial = await TagAsync(ws.Owner, "新品试用");
        var community = await CommunityAsync(ws.Owner, "上海群", east.Id, trial.Id, east.Id);
        Assert.Equal(["华东", "新品试用"], community.Tags.Select(t => t.Name));

        var renamed = await (await ws.Owner.Api.PutJsonAsync($"/api/community-tags/{east.Id}", new { name = "华东区" })).ReadAsync<CommunityTagDto>();
        Assert.Equal(("华东区", "#1e88e5", 1), (renamed.Name, renamed.Color, renamed.CommunityCount)); // colour left out stays
        Assert.Equal(["华东区", "新品试用"], (await ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{community.Id}")).Tags.Select(t => t.Name));

        // Saving the community without tagIds keeps its tags; an empty list clears them.
        var kept = await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community.Id}", Community("上海群"))).ReadAsync<CommunityDto>();
        Assert.Equal(2, kept.Tags.Count);
        var cleared = await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community.Id}", Community("上海群", [trial.Id]))).ReadAsync<CommunityDto>();
        Assert.Equal([trial.Id], cleared.Tags.Select(t => t.Id));
        var audit = await ws.Owner.Api.GetJsonAsync<Page<Shequn.Features.Audit.AuditEntryDto>>($"/api/audit?entityType=Community&entityId={community.Id}");
        var change = audit.Items.SelectMany(e => e.Changes).First(c => c.Field == CommunityEditor.TagsAuditField); // newest first
        Assert.Equal(["新品试用"], change.After!.Value.EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(["华东区", "新品试用"], change.Before!.Value.EnumerateArray().Select(x => x.GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/community-tags/{trial.Id}", Ct)).StatusCode);
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{community.Id}")).Tags);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/community-tags/{trial.Id}", Ct)).StatusCode);
        Assert.Equal(["华东区"], (await ws.Owner.Api.GetJsonAsync<List<CommunityTagDto>>("/api/community-tags")).Select(t => t.Name));
    }

    [Fact]
    public async Task BadTags_AreRefusedNamingTheField_AndNamesAreUniquePerWorkspaceInAnyCase()
    {
        var ws = await factory.NewWorkspaceAsync();
        var vip = await TagAsync(ws.Owner, "Vip");

        var duplicate = await (await ws.Owner.Api.PostJsonAsync("/api/community-tags", new { name = "VIP" })).ReadValidationErrorsAsync();
        Assert.Contains("already exists", Assert.Single(duplicate["name"]), StringComparison.Ordinal);
        Assert.Equal(["name"], (await (await ws.Owner.Api.PostJsonAsync("/api/community-tags", new { name = "  " })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["name"], (await (await ws.Owner.Api.PostJsonAsync("/api/community-tags", new { name = new string('长', CommunityTag.NameMaxLength + 1) })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["color"], (await (await ws.Owner.Api.PostJsonAsync("/api/community-tags", new { name = "红", color = "red" })).ReadValidationErrorsAsync()).Keys);
        var other = await TagAsync(ws.Owner, "华南");
        Assert.Equal(["name"], (await (await ws.Owner.Api.PutJsonAsync($"/api/community-tags/{other.Id}", new { name = "vip" })).ReadValidationErrorsAsync()).Keys);
        // Renaming a tag to its own name in another case is no clash.
        Assert.Equal("VIP", (await (await ws.Owner.Api.PutJsonAsync($"/api/community-tags/{vip.Id}", new { name = "VIP" })).ReadAsync<CommunityTagDto>()).Name);

        // Another workspace has its own names, and its tags are unknown here.
        var elsewhere = await factory.NewWorkspaceAsync();
        var theirs = await TagAsync(elsewhere.Owner, "VIP");
        var unknown = await (await ws.Owner.Api.PostJsonAsync("/api/communities", Community("新群", [vip.Id, theirs.Id]))).ReadValidationErrorsAsync();
        Assert.Equal(["tagIds[1]"], unknown.Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.PutJsonAsync($"/api/community-tags/{theirs.Id}", new { name = "x" })).StatusCode);
        Assert.False(await DbAsync(db => db.Communities.IgnoreQueryFilters().AnyAsync(c => c.WorkspaceId == ws.Id, Ct))); // nothing half-written
    }

    [Fact]
    public async Task Roles_OperatorsTagTheirCommunities_ButOnlyOwnersSubOwnersAndAdminsManageTags()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tag = await TagAsync(ws.Owner, "母婴");
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var others = await CommunityAsync(ws.Owner, "别人的群", tag.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine.Id);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", mine.Id);
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管理员", mine.Id);

        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync("/api/community-tags", new { name = "新标签" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PutJsonAsync($"/api/community-tags/{tag.Id}", new { name = "改名" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.DeleteAsync($"/api/community-tags/{tag.Id}", Ct)).StatusCode);
        // Everyone reads them; counts cover only the communities the reader sees.
        Assert.Equal(0, Assert.Single(await op.Api.GetJsonAsync<List<CommunityTagDto>>("/api/community-tags")).CommunityCount);

        var tagged = await (await op.Api.PutJsonAsync($"/api/communities/{mine.Id}", Community("我的群", [tag.Id]))).ReadAsync<CommunityDto>();
        Assert.Equal([tag.Id], tagged.Tags.Select(t => t.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.PutJsonAsync($"/api/communities/{others.Id}", Community("别人的群", []))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PutJsonAsync($"/api/communities/{mine.Id}", Community("我的群", []))).StatusCode);

        Assert.Equal("奶粉", (await (await admin.Api.PutJsonAsync($"/api/community-tags/{tag.Id}", new { name = "奶粉" })).ReadAsync<CommunityTagDto>()).Name);
        Assert.Equal(2, Assert.Single(await ws.Owner.Api.GetJsonAsync<List<CommunityTagDto>>("/api/community-tags")).CommunityCount);
    }

    [Fact]
    public async Task List_TagFilter_ReturnsOnlyTheTaggedCommunitiesTheReaderSees()
    {
        var ws = await factory.NewWorkspaceAsync();
        var east = await TagAsync(ws.Owner, "华东");
        var west = await TagAsync(ws.Owner, "西部");
        var shanghai = await CommunityAsync(ws.Owner, "上海群", east.Id);
        var hangzhou = await CommunityAsync(ws.Owner, "杭州群", east.Id, west.Id);
        await CommunityAsync(ws.Owner, "西安群", west.Id);
        await CommunityAsync(ws.Owner, "无标签群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", hangzhou.Id);

        Assert.Equal(new[] { hangzhou.Id, shanghai.Id }.Order(), (await ListAsync(ws.Owner, $"?tag={east.Id}")).Select(c => c.Id).Order());
        Assert.Equal([hangzhou.Id], (await ListAsync(op, $"?tag={east.Id}")).Select(c => c.Id));
        Assert.Empty(await ListAsync(ws.Owner, $"?tag={Guid.NewGuid()}"));
        Assert.Equal(["tag"], (await (await ws.Owner.Api.GetAsync("/api/communities?tag=华东", Ct)).ReadValidationErrorsAsync()).Keys);
    }

    [Fact]
    public async Task Delete_TagAnUnsentPostTargets_Returns409NamingThePost_AfterCancellingItTheTagGoes()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tag = await TagAsync(ws.Owner, "新品试用");
        await CommunityAsync(ws.Owner, "试用群", tag.Id);
        var post = await (await ws.Owner.Api.PostJsonAsync("/api/posts", new
        {
            title = "试用招募", text = "本周新品试用", contentType = "campaign", dueAt = DateTimeOffset.UtcNow.AddDays(1), targets = new { tagIds = new[] { tag.Id } },
        })).ReadAsync<PostDto>();

        var refused = await ws.Owner.Api.DeleteAsync($"/api/community-tags/{tag.Id}", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct));
        Assert.Contains("试用招募", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(post.Id, problem.RootElement.GetProperty("posts")[0].GetProperty("postId").GetGuid());
        Assert.Single(await ws.Owner.Api.GetJsonAsync<List<CommunityTagDto>>("/api/community-tags"));

        await (await ws.Owner.Api.PostAsync($"/api/posts/{post.Id}/cancel", null, Ct)).ReadAsync<PostDto>();
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/community-tags/{tag.Id}", Ct)).StatusCode);
        var after = await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{post.Id}");
        Assert.Empty(after.Targets.TagIds ?? []);
        Assert.Single(after.Deliveries); // what it was sent to (here: withdrawn from) stays on record
    }
}

public sealed class CommunityTagApiTests_Sqlite(SqliteFactory factory) : CommunityTagApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class CommunityTagApiTests_Postgres(PostgresFactory factory) : CommunityTagApiTests(factory), IClassFixture<PostgresFactory>;
