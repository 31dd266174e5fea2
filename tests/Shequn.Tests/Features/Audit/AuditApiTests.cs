using System.Net;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Features.ApiTokens;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Features.Members;
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

    [Fact]
    public async Task List_SubOwner_SeesOnlyEntriesAboutWhatSheMaySee()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await MemberTestData.CommunityAsync(ws.Owner, "她的群");
        var hidden = await MemberTestData.CommunityAsync(ws.Owner, "别人的群");
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主", mine.Id);
        var inMine = await MemberTestData.MemberAsync(ws.Owner, "她群里的成员", mine.Id);
        var inHidden = await MemberTestData.MemberAsync(ws.Owner, "别的群的成员", hidden.Id);
        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{hidden.Id}", CommunityApiTests.NewCommunity("别人的群改名"))).ReadAsync<CommunityDto>();
        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{mine.Id}", CommunityApiTests.NewCommunity("她的群改名"))).ReadAsync<CommunityDto>();
        var ownerToken = await (await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = "群主的令牌" })).ReadAsync<ApiTokenDto>();
        var subToken = await (await sub.Api.PostJsonAsync("/api/tokens", new { name = "我的令牌" })).ReadAsync<ApiTokenDto>();
        await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{ws.Owner.Id}", new { displayName = "群主自己改名" })).ReadAsync<StaffDto>();

        var seen = await sub.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit?pageSize=200");
        var all = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit?pageSize=200");
        var probe = await sub.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={hidden.Id}");

        string[] secret = [hidden.Id.ToString(), inHidden.Id.ToString(), ownerToken.Id.ToString(), ws.Owner.Id.ToString()];
        Assert.DoesNotContain(seen.Items, e => secret.Contains(e.EntityId));
        Assert.All(secret, id => Assert.Contains(all.Items, e => e.EntityId == id));
        Assert.Equal(2, seen.Items.Count(e => e.EntityId == mine.Id.ToString()));
        Assert.Contains(seen.Items, e => e.EntityId == inMine.Id.ToString());
        Assert.Contains(seen.Items, e => e.EntityId == subToken.Id.ToString());
        Assert.Contains(seen.Items, e => e.EntityId == sub.Id.ToString());
        Assert.Equal(seen.Items.Count, seen.Total);
        Assert.Equal(0, probe.Total);
    }

    [Fact]
    public async Task List_ActionFilter_CaseInsensitive_UnknownActionAndReversedRangeAre400()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await MemberTestData.CommunityAsync(ws.Owner, "筛选群");
        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{c.Id}", CommunityApiTests.NewCommunity("筛选群改名"))).ReadAsync<CommunityDto>();

        var created = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={c.Id}&action=created");
        var updated = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityType=community&action=Updated");
        var badAction = await (await ws.Owner.Api.GetAsync("/api/audit?action=renamed", Ct)).ReadValidationErrorsAsync();
        var reversed = await (await ws.Owner.Api.GetAsync("/api/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", Ct)).ReadValidationErrorsAsync();

        Assert.Equal("created", Assert.Single(created.Items).Action);
        var entry = Assert.Single(updated.Items);
        Assert.Equal(("updated", c.Id.ToString(), "筛选群改名"), (entry.Action, entry.EntityId, entry.EntityName));
        Assert.True(badAction.ContainsKey("action"));
        Assert.True(reversed.ContainsKey("to"));
    }

    [Fact]
    public async Task List_Times_AreWholeSeconds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator);
        foreach (var name in new[] { "a", "b", "c", "d" })
            await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { displayName = name })).ReadAsync<StaffDto>();

        var page = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit");

        Assert.True(page.Items.Count >= 4);
        Assert.All(page.Items, e => Assert.Equal(0, e.At.Ticks % TimeSpan.TicksPerSecond));
    }
}

public sealed class AuditApiTests_Sqlite(SqliteFactory factory) : AuditApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class AuditApiTests_Postgres(PostgresFactory factory) : AuditApiTests(factory), IClassFixture<PostgresFactory>;
