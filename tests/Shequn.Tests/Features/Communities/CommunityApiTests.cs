using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Communities;

public abstract class CommunityApiTests(ShequnFactory factory)
{
    internal static object NewCommunity(string name, string platform = "weCom", int capacity = 200, string tier = "comprehensive",
        string type = "content", string subType = "topic", object[]? staff = null) => new
        {
            name, platform, type, subType, tier, capacity, state = "active", purpose = "复购", intro = "我们是谁", rules = "改群名片", staff,
        };

    [Fact]
    public async Task Create_ValidCommunity_IsListedAndReadable()
    {
        var ws = await factory.NewWorkspaceAsync();
        var created = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("鱼油交流群"))).ReadAsync<CommunityDto>();

        Assert.Equal("鱼油交流群", created.Name);
        Assert.Equal(ChatPlatform.WeCom, created.Platform);
        var fetched = await ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{created.Id}");
        Assert.Equal("我们是谁", fetched.Intro);
        var page = await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities?q=鱼油");
        Assert.Equal(created.Id, Assert.Single(page.Items).Id);
    }

    [Theory]
    [InlineData("weCom", 0)]
    [InlineData("weCom", 501)]
    [InlineData("manual", 501)]
    [InlineData("telegram", 200_001)]
    public async Task Create_CapacityOutOfRange_Returns400NamingCapacity(string platform, int capacity)
    {
        var ws = await factory.NewWorkspaceAsync();
        var response = await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("c", platform, capacity));

        var errors = await response.ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("capacity"));
        var list = await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities");
        Assert.Equal(0, list.Total);
    }

    [Fact]
    public async Task List_EnumFiltersInAnyCase_FilterAndUnknownIs400()
    {
        var ws = await factory.NewWorkspaceAsync();
        await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("wecom group"))).ReadAsync<CommunityDto>();
        await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("tg group", "telegram", 1000, tier: "ads"))).ReadAsync<CommunityDto>();

        Assert.Equal("wecom group", Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities?platform=weCom")).Items).Name);
        Assert.Equal("tg group", Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities?tier=Ads")).Items).Name);
        var errors = await (await ws.Owner.Api.GetAsync("/api/communities?state=sleeping", TestContext.Current.CancellationToken)).ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("state"));
    }

    [Fact]
    public async Task Create_TelegramAtLimit_IsAccepted()
    {
        var ws = await factory.NewWorkspaceAsync();
        var response = await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("tg", "telegram", 200_000));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Create_DuplicateName_Returns400NamingName()
    {
        var ws = await factory.NewWorkspaceAsync();
        await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("综合群"))).ReadAsync<CommunityDto>();

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("综合群"))).ReadValidationErrorsAsync();

        Assert.Contains("already exists", Assert.Single(errors["name"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_SameNameInAnotherWorkspace_IsAllowed()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        await (await a.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("综合群"))).ReadAsync<CommunityDto>();
        var response = await b.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("综合群"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Create_OverlongText_Returns400NamingField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var body = new
        {
            name = new string('群', Community.NameMaxLength + 1), platform = "weCom", type = "content", subType = "none",
            tier = "comprehensive", capacity = 100, state = "active", rules = new string('x', Community.TextMaxLength + 1),
        };
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/communities", body)).ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("name"));
        Assert.True(errors.ContainsKey("rules"));
    }

    [Fact]
    public async Task Create_SubTypeOfAnotherType_Returns400()
    {
        var ws = await factory.NewWorkspaceAsync();
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("c", type: "service", subType: "fission")))
            .ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("subType"));
    }

    [Fact]
    public async Task Create_MalformedJson_Returns400ProblemWithDetail()
    {
        var ws = await factory.NewWorkspaceAsync();
        using var content = new StringContent("{\"name\": \"x\",", System.Text.Encoding.UTF8, "application/json");
        var response = await ws.Owner.Api.PostAsync("/api/communities", content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("not valid JSON", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_UnknownStaffId_Returns400NamingStaff()
    {
        var ws = await factory.NewWorkspaceAsync();
        var other = await factory.NewWorkspaceAsync();
        var stranger = await other.AddStaffAsync(StaffRole.Admin);
        var body = NewCommunity("c", staff: [new { staffUserId = stranger.Id, role = "admin" }]);
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/communities", body)).ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("staff"));
    }

    [Fact]
    public async Task List_WithoutToken_Returns401Problem()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var client = factory.CreateClient();
        var response = await client.GetAsync("/api/communities", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Workspaces_AreIsolated_NothingVisibleOrChangeableAcross()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var mine = await (await a.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("A 的群"))).ReadAsync<CommunityDto>();

        Assert.Equal(0, (await b.Owner.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities")).Total);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/communities/{mine.Id}", TestContext.Current.CancellationToken)).StatusCode);
        var put = await b.Owner.Api.PutJsonAsync($"/api/communities/{mine.Id}", NewCommunity("hijacked"));
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        Assert.Equal("A 的群", (await a.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{mine.Id}")).Name);
    }

    [Fact]
    public async Task NonOwner_SeesAndChangesOnlyAssignedCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var assigned = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("assigned"))).ReadAsync<CommunityDto>();
        var other = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("other"))).ReadAsync<CommunityDto>();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "op", assigned.Id);

        var list = await op.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities");
        Assert.Equal(assigned.Id, Assert.Single(list.Items).Id);
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/communities/{other.Id}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.PutJsonAsync($"/api/communities/{other.Id}", NewCommunity("x"))).StatusCode);
        var ok = await op.Api.PutJsonAsync($"/api/communities/{assigned.Id}", NewCommunity("renamed by op", staff: [new { staffUserId = op.Id, role = "operator" }]));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Koc_CannotCreateOrEditCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("c"))).ReadAsync<CommunityDto>();
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "koc", c.Id);

        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/communities", NewCommunity("k"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("k"))).StatusCode);
        Assert.Equal(c.Id, (await koc.Api.GetJsonAsync<CommunityDto>($"/api/communities/{c.Id}")).Id);
    }

    [Fact]
    public async Task AssignSubOwner_ToFifthCommunity_Warns()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主小李");
        CommunityDto last = null!;
        for (var i = 1; i <= 5; i++)
        {
            last = await (await ws.Owner.Api.PostJsonAsync("/api/communities",
                NewCommunity($"群{i}", staff: [new { staffUserId = sub.Id, role = "subOwner" }]))).ReadAsync<CommunityDto>();
            if (i <= 4)
                Assert.Empty(last.Warnings!);
        }
        Assert.Contains("分群主小李", Assert.Single(last.Warnings!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_ChangesFields_AndWritesAuditWithBeforeAfter()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("旧名"))).ReadAsync<CommunityDto>();
        var updated = await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("新名", capacity: 150))).ReadAsync<CommunityDto>();
        Assert.Equal("新名", updated.Name);
        Assert.Equal(150, updated.Capacity);

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        var entry = await db.AuditEntries.Where(a => a.EntityId == c.Id.ToString() && a.Action == "updated")
            .SingleAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ws.Owner.Id, entry.ActorId);
        Assert.Equal(nameof(Community), entry.EntityType);
        Assert.Contains("旧名", entry.Before!, StringComparison.Ordinal);
        Assert.Contains("新名", entry.After!, StringComparison.Ordinal);
        Assert.DoesNotContain("Capacity\":200", entry.After!, StringComparison.Ordinal);
    }

    private static object Staff(Guid id, string role) => new { staffUserId = id, role };

    private async Task<List<Shequn.Features.Audit.AuditEntry>> AuditOfAsync(TestWorkspace ws, Guid entityId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        return await db.AuditEntries.Where(a => a.EntityId == entityId.ToString()).OrderBy(a => a.Id).ToListAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Update_OperatorMakingHerselfSubOwnerOrRemovingSubOwner_Returns403AndChangesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "真正的分群主");
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("上海群", staff: [Staff(sub.Id, "subOwner")]))).ReadAsync<CommunityDto>();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", c.Id);

        var promote = await op.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("上海群", staff: [Staff(sub.Id, "subOwner"), Staff(op.Id, "subOwner")]));
        var takeOver = await op.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("上海群", staff: [Staff(op.Id, "operator")]));
        var demote = await op.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("上海群", staff: [Staff(sub.Id, "koc"), Staff(op.Id, "operator")]));

        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], new[] { promote.StatusCode, takeOver.StatusCode, demote.StatusCode });
        Assert.Equal("application/problem+json", promote.Content.Headers.ContentType?.MediaType);
        Assert.Contains("your own", await promote.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("真正的分群主", await takeOver.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var after = await ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{c.Id}");
        Assert.Equal(new[] { (sub.Id, CommunityRole.SubOwner), (op.Id, CommunityRole.Operator) }.Order(), after.Staff.Select(s => (s.StaffUserId, s.Role)).Order());
        Assert.DoesNotContain(await AuditOfAsync(ws, c.Id), a => a.ActorId == op.Id);
    }

    [Fact]
    public async Task Update_AdminGrantingRoleNotBelowOwn_Returns403()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("管理员的群"))).ReadAsync<CommunityDto>();
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管理员", c.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");
        var otherAdmin = await ws.AddStaffAsync(StaffRole.Admin, "另一位管理员");

        var asSubOwner = await admin.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("管理员的群", staff: [Staff(admin.Id, "operator"), Staff(op.Id, "subOwner")]));
        var asAdmin = await admin.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("管理员的群", staff: [Staff(admin.Id, "operator"), Staff(op.Id, "admin")]));
        var peer = await admin.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("管理员的群", staff: [Staff(admin.Id, "operator"), Staff(otherAdmin.Id, "koc")]));

        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], new[] { asSubOwner.StatusCode, asAdmin.StatusCode, peer.StatusCode });
        Assert.Equal(admin.Id, Assert.Single((await ws.Owner.Api.GetJsonAsync<CommunityDto>($"/api/communities/{c.Id}")).Staff).StaffUserId);
    }

    [Fact]
    public async Task Update_SubOwnerAssigningBelowOwnRole_SavesAndAuditsStaffBeforeAndAfter()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("分群主的群"))).ReadAsync<CommunityDto>();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主", c.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", c.Id);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "达人");

        var saved = await (await sub.Api.PutJsonAsync($"/api/communities/{c.Id}",
            NewCommunity("分群主的群", staff: [Staff(sub.Id, "operator"), Staff(op.Id, "admin"), Staff(koc.Id, "koc")]))).ReadAsync<CommunityDto>();

        Assert.Equal(3, saved.Staff.Count);
        var entry = Assert.Single(await AuditOfAsync(ws, c.Id), a => a.Action == "updated");
        var change = Assert.Single(Shequn.Features.Audit.AuditChange.Between(entry.Before, entry.After));
        Assert.Equal(StaffAssignmentRules.AuditField, change.Field);
        Assert.Equal("分群主 (Operator)、运营 (Operator)", Shequn.Features.Audit.AuditChange.Display(change.Before));
        Assert.Equal("分群主 (Operator)、达人 (Koc)、运营 (Admin)", Shequn.Features.Audit.AuditChange.Display(change.After));
        Assert.Equal(sub.Id, entry.ActorId);
    }

    [Fact]
    public async Task Update_NothingChanged_WritesNoAuditEntryAndKeepsUpdatedAt()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");
        var body = NewCommunity("不变的群", staff: [Staff(op.Id, "operator")]);
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", body)).ReadAsync<CommunityDto>();

        var again = await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{c.Id}", body)).ReadAsync<CommunityDto>();

        Assert.Equal(c.UpdatedAt, again.UpdatedAt);
        Assert.Equal(["created"], (await AuditOfAsync(ws, c.Id)).Select(a => a.Action));
    }

    [Fact]
    public async Task Update_OnlyStaffChanged_AuditShowsStaffNotUpdatedAt()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", NewCommunity("换人的群"))).ReadAsync<CommunityDto>();

        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{c.Id}", NewCommunity("换人的群", staff: [Staff(op.Id, "koc")]))).ReadAsync<CommunityDto>();

        var entry = Assert.Single(await AuditOfAsync(ws, c.Id), a => a.Action == "updated");
        var change = Assert.Single(Shequn.Features.Audit.AuditChange.Between(entry.Before, entry.After));
        Assert.Equal(("Staff", "", "运营 (Koc)"), (change.Field, Shequn.Features.Audit.AuditChange.Display(change.Before), Shequn.Features.Audit.AuditChange.Display(change.After)));
    }
}

public sealed class CommunityApiTests_Sqlite(SqliteFactory factory) : CommunityApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class CommunityApiTests_Postgres(PostgresFactory factory) : CommunityApiTests(factory), IClassFixture<PostgresFactory>;
