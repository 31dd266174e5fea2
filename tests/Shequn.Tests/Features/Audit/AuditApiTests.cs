using System.Net;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Audit;

public abstract class AuditApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(StaffRole.Admin)]
    [InlineData(StaffRole.Operator)]
    [InlineData(StaffRole.Koc)]
    public async Task List_RoleBelowSubOwner_Returns403(StaffRole role)
    {
        var ws = await factory.NewWorkspaceAsync();
        var staff = await ws.AddStaffAsync(role);
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.Api.GetAsync("/api/audit", Ct)).StatusCode);
    }

    [Fact]
    public async Task List_SubOwner_SeesStaffChanges()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");
        await (await sub.Api.PutJsonAsync($"/api/staff/{op.Id}", new { displayName = "运营小李" })).ReadAsync<StaffDto>();

        var page = await sub.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit");

        var entry = page.Items[0];
        Assert.Equal((sub.Id, nameof(StaffUser), op.Id.ToString(), "运营小李"), (entry.ActorId, entry.EntityType, entry.EntityId, entry.EntityName));
        var name = Assert.Single(entry.Changes);
        Assert.Equal(("运营", "运营小李"), (AuditChange.Display(name.Before), AuditChange.Display(name.After)));
    }

    [Fact]
    public async Task List_Filters_ByActorEntityTypeAndDate_NewestFirst()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");
        var start = DateTime.UtcNow;
        await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("审计群"))).ReadAsync<CommunityDto>();
        await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { displayName = "一" })).ReadAsync<StaffDto>();
        await (await sub.Api.PutJsonAsync($"/api/staff/{op.Id}", new { displayName = "二" })).ReadAsync<StaffDto>();
        await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { displayName = "三" })).ReadAsync<StaffDto>();

        var byOwnerOnStaff = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?actorId={ws.Owner.Id}&entityType=StaffUser");
        var communities = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit?entityType=Community");
        var since = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?from={start:O}");
        var before = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?to={start:O}");

        Assert.Equal(["三", "一"], byOwnerOnStaff.Items.Select(e => AuditChange.Display(e.Changes.Single().After)));
        Assert.Equal("审计群", Assert.Single(communities.Items).EntityName);
        Assert.Equal(4, since.Total);
        Assert.True(since.Items.Zip(since.Items.Skip(1)).All(p => p.First.At >= p.Second.At));
        Assert.DoesNotContain(before.Items, e => e.EntityType == nameof(Community));
        Assert.True(before.Total > 0);
    }

    [Fact]
    public async Task List_PageSize_PagesNewestFirst()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator);
        foreach (var name in new[] { "a", "b", "c" })
            await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { displayName = name })).ReadAsync<StaffDto>();

        var first = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={op.Id}&pageSize=2");
        var second = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={op.Id}&pageSize=2&page=2");

        Assert.Equal(["c", "b"], first.Items.Select(e => AuditChange.Display(e.Changes.Single(c => c.Field == "DisplayName").After)));
        Assert.Equal("a", AuditChange.Display(second.Items[0].Changes.Single(c => c.Field == "DisplayName").After));
        Assert.Equal(first.Total, second.Total);
    }

    [Fact]
    public async Task Workspaces_AuditOfAnotherWorkspace_IsInvisible()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var op = await a.AddStaffAsync(StaffRole.Operator);
        await (await a.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { displayName = "A 的秘密" })).ReadAsync<StaffDto>();

        var seenByB = await b.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit?pageSize=200");
        var filteredByB = await b.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={op.Id}");

        Assert.NotEmpty(seenByB.Items);
        Assert.DoesNotContain(seenByB.Items, e => e.EntityId == op.Id.ToString() || e.EntityId == a.Owner.Id.ToString());
        Assert.Equal(0, filteredByB.Total);
    }
}

public sealed class AuditApiTests_Sqlite(SqliteFactory factory) : AuditApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class AuditApiTests_Postgres(PostgresFactory factory) : AuditApiTests(factory), IClassFixture<PostgresFactory>;
