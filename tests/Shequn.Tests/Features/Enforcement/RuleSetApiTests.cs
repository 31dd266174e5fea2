using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Enforcement;

public abstract class RuleSetApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task List_FirstRead_MakesExactlyOneDefaultFromTheComprehensiveTemplate()
    {
        var ws = await factory.NewWorkspaceAsync();

        // Two readers at once (as on two nodes): the unique name lets only one insert win, the other reads it.
        var reads = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ws.Owner.Api.GetJsonAsync<List<RuleSetDto>>("/api/rulesets")));

        var set = Assert.Single(reads[0]);
        Assert.All(reads, r => Assert.Equal(set.Id, Assert.Single(r).Id));
        Assert.True(set.IsDefault);
        Assert.Equal(RuleSetTemplates.Comprehensive, set.Template);
        Assert.Equal("城市-行业-昵称", set.Spec.NicknameFormat);
        Assert.Equal(RuleSetTemplates.SeedMembershipLimit, set.Spec.MaxCommunitiesPerMember);
        Assert.Single(await RuleSetsAsync(ws));
    }

    [Fact]
    public async Task Templates_FollowSeed004_AdsTemplateLeavesAdsAlone()
    {
        var ws = await factory.NewWorkspaceAsync();
        var templates = await ws.Owner.Api.GetJsonAsync<List<RuleSetTemplate>>("/api/rulesets/templates");

        Assert.Equal([RuleSetTemplates.Comprehensive, RuleSetTemplates.Category, RuleSetTemplates.Ads, RuleSetTemplates.Strict], templates.Select(t => t.Key));
        var byKey = templates.ToDictionary(t => t.Key);
        Assert.Equal(RuleMode.Off, byKey["ads"].Spec.Ads);
        Assert.Equal(CommunityTier.Ads, byKey["ads"].Tier);
        Assert.Equal("城市-需求产品-昵称", byKey["category"].Spec.NicknameFormat);
        Assert.Equal(RuleMode.Enforce, byKey["strict"].Spec.MembershipLimit);
        Assert.Equal(LadderAction.Blacklist, byKey["strict"].Spec.Ladder[^1].Action);
        Assert.All(templates, t => Assert.Equal(RuleMode.Enforce, t.Spec.VoteLinks));
    }

    [Fact]
    public async Task Create_FromTemplate_TakesItsRulesAndName_AndIsAudited()
    {
        var ws = await factory.NewWorkspaceAsync();
        var response = await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "ads" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync<RuleSetDto>();

        Assert.Equal("广告群群规", created.Name);
        Assert.Equal("ads", created.Template);
        Assert.False(created.IsDefault);
        Assert.Equal(RuleMode.Off, created.Spec.Ads);
        Assert.Equal(RuleMode.Off, created.Spec.QrCodeImages);
        Assert.Equal(RuleMode.Enforce, created.Spec.VoteLinks);
        // The same template again gets a free name rather than a clash.
        var second = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "ads" })).ReadAsync<RuleSetDto>();
        Assert.Equal("广告群群规 2", second.Name);

        var audit = Assert.Single(await AuditOfAsync(ws, created.Id));
        Assert.Equal("created", audit.Action);
        Assert.Equal(nameof(RuleSet), audit.EntityType);
        Assert.Equal(ws.Owner.Id, audit.ActorId);
        Assert.Contains("广告群群规", audit.After!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_PathologicalPattern_Returns400WithTheReason_AndStoresNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var spec = new { customPatterns = new[] { new { name = "ok", pattern = "加v\\d+", weight = 0.5 }, new { name = "回溯", pattern = "(a+)+b", weight = 0.5 } } };

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { name = "带正则", spec })).ReadValidationErrorsAsync();

        Assert.False(errors.ContainsKey("spec.customPatterns[0]"));
        var message = Assert.Single(errors["spec.customPatterns[1]"]);
        Assert.Contains("回溯", message, StringComparison.Ordinal);
        Assert.Contains("pathological", message, StringComparison.Ordinal);
        Assert.DoesNotContain(await RuleSetsAsync(ws), r => r.Name == "带正则");
    }

    [Fact]
    public async Task Create_BadValues_Returns400NamingEachField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var spec = new
        {
            nickname = "flag",
            nicknameFormat = "城市行业昵称",
            floodMessages = 5,
            floodSeconds = 0,
            reviewThreshold = 0.8,
            actThreshold = 0.5,
            allowedDomains = new[] { "example.com", "http://bad.example.com/x", "localhost" },
            ladder = new object[] { new { action = "remove" }, new { action = "mute", muteMinutes = 0 }, new { action = "delete", muteMinutes = 5 } },
            warningText = "{name} 请看 {rules}",
            exemptMembers = Enumerable.Range(0, RuleSetSpecValidation.MaxExemptMembers + 1).Select(_ => Guid.NewGuid()).ToArray(),
        };

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { name = "坏", spec })).ReadValidationErrorsAsync();

        Assert.Contains("not a usable format", Assert.Single(errors["spec.nicknameFormat"]), StringComparison.Ordinal);
        Assert.True(errors.ContainsKey("spec.floodSeconds"));
        Assert.Contains("must not be below the review threshold", Assert.Single(errors["spec.actThreshold"]), StringComparison.Ordinal);
        Assert.Equal(2, errors["spec.allowedDomains"].Length);
        Assert.Contains(errors["spec.allowedDomains"], m => m.Contains("localhost", StringComparison.Ordinal));
        Assert.Contains("between 1 and", Assert.Single(errors["spec.ladder[1].muteMinutes"]), StringComparison.Ordinal);
        Assert.Contains("milder", Assert.Single(errors["spec.ladder[1].action"]), StringComparison.Ordinal);
        Assert.True(errors.ContainsKey("spec.ladder[2].muteMinutes"));
        Assert.Contains("{rules}", Assert.Single(errors["spec.warningText"]), StringComparison.Ordinal);
        Assert.Contains("at most 500", Assert.Single(errors["spec.exemptMembers"]), StringComparison.Ordinal);
        Assert.Single(await RuleSetsAsync(ws));
    }

    [Fact]
    public async Task Create_UnknownTemplateOrExemptMemberOrField_Returns400()
    {
        var ws = await factory.NewWorkspaceAsync();
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "vip" })).ReadValidationErrorsAsync();
        Assert.Contains("comprehensive", Assert.Single(errors["template"]), StringComparison.Ordinal);

        var unknown = Guid.NewGuid();
        errors = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { name = "x", spec = new { exemptMembers = new[] { unknown } } })).ReadValidationErrorsAsync();
        Assert.Contains(unknown.ToString(), Assert.Single(errors["spec.exemptMembers"]), StringComparison.Ordinal);

        errors = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { name = "x", spec = new { floodMinutes = 3 } })).ReadValidationErrorsAsync();
        Assert.Contains("floodMinutes", string.Join(" ", errors.SelectMany(e => e.Value)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_ChangesTheRules_AuditedWithBeforeAndAfter_AndUnchangedSaveChangesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var created = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "category", name = "鱼油群规" })).ReadAsync<RuleSetDto>();

        var spec = created.Spec with { FloodMessages = 8, Ladder = [new(LadderAction.Warn), new(LadderAction.Mute, 120), new(LadderAction.Remove)] };
        var updated = await (await ws.Owner.Api.PutJsonAsync($"/api/rulesets/{created.Id}", new RuleSetInput("鱼油群规", Spec: spec))).ReadAsync<RuleSetDto>();

        Assert.Equal(8, updated.Spec.FloodMessages);
        Assert.Equal(120, updated.Spec.Ladder[1].MuteMinutes);
        Assert.True(updated.UpdatedAt > created.UpdatedAt);
        var again = await (await ws.Owner.Api.PutJsonAsync($"/api/rulesets/{created.Id}", new RuleSetInput("鱼油群规", Spec: spec))).ReadAsync<RuleSetDto>();
        Assert.Equal(updated.UpdatedAt, again.UpdatedAt);

        var audit = await AuditOfAsync(ws, created.Id);
        Assert.Equal(["created", "updated"], audit.Select(a => a.Action));
        Assert.Contains("\\\"floodMessages\\\":6", audit[1].Before!, StringComparison.Ordinal);
        Assert.Contains("\\\"floodMessages\\\":8", audit[1].After!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MakeDefault_MovesTheDefault_ExactlyOneRemains_BothAudited()
    {
        var ws = await factory.NewWorkspaceAsync();
        var first = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<RuleSetDto>>("/api/rulesets"));
        var strict = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "strict" })).ReadAsync<RuleSetDto>();

        var made = await (await ws.Owner.Api.PostJsonAsync($"/api/rulesets/{strict.Id}/default", new { })).ReadAsync<RuleSetDto>();

        Assert.True(made.IsDefault);
        var sets = await RuleSetsAsync(ws);
        Assert.Equal(strict.Id, Assert.Single(sets, s => s.IsDefault).Id);
        Assert.Contains(await AuditOfAsync(ws, first.Id), a => a.Action == "updated" && a.After!.Contains("\"IsDefault\":false", StringComparison.Ordinal));
        Assert.Contains(await AuditOfAsync(ws, strict.Id), a => a.Action == "updated" && a.After!.Contains("\"IsDefault\":true", StringComparison.Ordinal));
        Assert.True(sets.Single(s => s.Id == first.Id).UpdatedAt > first.UpdatedAt);
    }

    [Fact]
    public async Task Delete_DefaultOrFollowed_IsRefusedWithTheReason_UnusedIsDeleted()
    {
        var ws = await factory.NewWorkspaceAsync();
        var byDefault = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<RuleSetDto>>("/api/rulesets"));
        var ads = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "ads" })).ReadAsync<RuleSetDto>();
        var community = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("广告交流群", tier: "ads"))).ReadAsync<CommunityDto>();
        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community.Id}/ruleset", new { ruleSetId = ads.Id })).ReadAsync<EffectiveRuleSetDto>();

        var refused = await ws.Owner.Api.DeleteAsync($"/api/rulesets/{byDefault.Id}", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("default", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        refused = await ws.Owner.Api.DeleteAsync($"/api/rulesets/{ads.Id}", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("广告交流群", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(2, (await RuleSetsAsync(ws)).Count);

        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community.Id}/ruleset", new { ruleSetId = (Guid?)null })).ReadAsync<EffectiveRuleSetDto>();
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/rulesets/{ads.Id}", Ct)).StatusCode);
        Assert.Equal(byDefault.Id, Assert.Single(await RuleSetsAsync(ws)).Id);
        Assert.Contains(await AuditOfAsync(ws, ads.Id), a => a.Action == "deleted");
    }

    [Fact]
    public async Task Assign_CommunityFollowsItsRuleSet_ClearedFollowsTheDefault_AuditedOnTheCommunity()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("广告交流群", tier: "ads"))).ReadAsync<CommunityDto>();
        var before = await ws.Owner.Api.GetJsonAsync<EffectiveRuleSetDto>($"/api/communities/{community.Id}/ruleset");
        Assert.True(before.Inherited);
        Assert.True(before.RuleSet.IsDefault);
        var ads = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "ads" })).ReadAsync<RuleSetDto>();

        var assigned = await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community.Id}/ruleset", new { ruleSetId = ads.Id })).ReadAsync<EffectiveRuleSetDto>();
        Assert.False(assigned.Inherited);
        Assert.Equal(ads.Id, assigned.RuleSet.Id);
        var listed = await ws.Owner.Api.GetJsonAsync<List<RuleSetDto>>("/api/rulesets");
        Assert.Equal(community.Id, Assert.Single(listed.Single(s => s.Id == ads.Id).Communities).Id);
        Assert.Empty(listed.Single(s => s.IsDefault).Communities);

        var cleared = await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community.Id}/ruleset", new { ruleSetId = (Guid?)null })).ReadAsync<EffectiveRuleSetDto>();
        Assert.True(cleared.Inherited);
        Assert.Equal(before.RuleSet.Id, cleared.RuleSet.Id);

        var audit = (await AuditOfAsync(ws, community.Id)).Where(a => a.Action == "updated").ToList();
        Assert.Equal(2, audit.Count);
        Assert.Contains(ads.Id.ToString(), audit[0].After!, StringComparison.Ordinal);
        Assert.Contains("\"RuleSetId\":null", audit[1].After!, StringComparison.Ordinal);

        var errors = await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community.Id}/ruleset", new { ruleSetId = Guid.NewGuid() })).ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("ruleSetId"));
    }

    [Fact]
    public async Task Roles_OthersRead_OwnersAndSubOwnersChange_CommunityEditorsChooseForTheirCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("我的群"))).ReadAsync<CommunityDto>();
        var other = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("别人的群"))).ReadAsync<CommunityDto>();
        var strict = await (await ws.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "strict" })).ReadAsync<RuleSetDto>();
        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主");
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管理员", mine.Id);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", mine.Id);

        // Everyone reads; a reader sees by name only the communities they may see.
        var seen = await admin.Api.GetJsonAsync<List<RuleSetDto>>("/api/rulesets");
        var byDefault = seen.Single(s => s.IsDefault);
        Assert.Equal(mine.Id, Assert.Single(byDefault.Communities).Id);
        Assert.Equal(1, byDefault.HiddenCommunities);
        Assert.Equal(4, (await koc.Api.GetJsonAsync<List<RuleSetTemplate>>("/api/rulesets/templates")).Count);

        foreach (var reader in new[] { admin, koc })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.Api.PostJsonAsync("/api/rulesets", new { template = "ads" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.Api.PutJsonAsync($"/api/rulesets/{strict.Id}", new { name = "改名" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.Api.PostJsonAsync($"/api/rulesets/{strict.Id}/default", new { })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.Api.DeleteAsync($"/api/rulesets/{strict.Id}", Ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Created, (await subOwner.Api.PostJsonAsync("/api/rulesets", new { template = "ads" })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.Api.PutJsonAsync($"/api/communities/{mine.Id}/ruleset", new { ruleSetId = strict.Id })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.Api.PutJsonAsync($"/api/communities/{other.Id}/ruleset", new { ruleSetId = strict.Id })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.Api.GetAsync($"/api/communities/{other.Id}/ruleset", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PutJsonAsync($"/api/communities/{mine.Id}/ruleset", new { ruleSetId = (Guid?)null })).StatusCode);
        Assert.Equal(strict.Id, (await koc.Api.GetJsonAsync<EffectiveRuleSetDto>($"/api/communities/{mine.Id}/ruleset")).RuleSet.Id);
        Assert.Equal(3, (await RuleSetsAsync(ws)).Count);
    }

    [Fact]
    public async Task AuditLog_SubOwnerWhoChangesRuleSets_ReadsTheirRows()
    {
        var ws = await factory.NewWorkspaceAsync();
        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主");
        var created = await (await subOwner.Api.PostJsonAsync("/api/rulesets", new { template = "category" })).ReadAsync<RuleSetDto>();

        var page = await subOwner.Api.GetJsonAsync<System.Text.Json.JsonElement>("/api/audit?entityType=ruleSet");

        var row = Assert.Single(page.GetProperty("items").EnumerateArray(), r => r.GetProperty("entityId").GetString() == created.Id.ToString());
        Assert.Equal("created", row.GetProperty("action").GetString());
    }

    [Fact]
    public async Task Workspaces_SeeOnlyTheirOwnRuleSets()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var ads = await (await a.Owner.Api.PostJsonAsync("/api/rulesets", new { template = "ads" })).ReadAsync<RuleSetDto>();

        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/rulesets/{ads.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PutJsonAsync($"/api/rulesets/{ads.Id}", new { name = "偷" })).StatusCode);
        Assert.DoesNotContain(await b.Owner.Api.GetJsonAsync<List<RuleSetDto>>("/api/rulesets"), s => s.Id == ads.Id);
    }

    private async Task<List<RuleSet>> RuleSetsAsync(TestWorkspace ws)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        return await db.Set<RuleSet>().AsNoTracking().ToListAsync(Ct);
    }

    private async Task<List<AuditEntry>> AuditOfAsync(TestWorkspace ws, Guid entityId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        return await db.AuditEntries.Where(a => a.EntityId == entityId.ToString()).OrderBy(a => a.Id).ToListAsync(Ct);
    }
}

public sealed class RuleSetApiTests_Sqlite(SqliteFactory factory) : RuleSetApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class RuleSetApiTests_Postgres(PostgresFactory factory) : RuleSetApiTests(factory), IClassFixture<PostgresFactory>;
