using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Scripts;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Scripts;

/// <summary>The script library through <c>/api/scripts</c>: templates, validation of variables, overrides, roles.</summary>
public abstract class ScriptApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Guid> NewCommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    [Fact]
    public async Task Library_StartsWithSeed004Templates_AndFiltersByCategory()
    {
        var ws = await factory.NewWorkspaceAsync();
        var all = await ws.Owner.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts");
        Assert.Equal(ScriptTemplates.All.Count, all.Count);
        var intro = Assert.Single(all, s => s.Category == ScriptCategory.Intro);
        Assert.Contains("我们是谁", intro.Text, StringComparison.Ordinal);
        Assert.Contains("加入我们有什么好处", intro.Text, StringComparison.Ordinal);
        Assert.Contains("简介群主", intro.Text, StringComparison.Ordinal);
        Assert.Contains(all, s => s.Category == ScriptCategory.Rules && s.Text.Contains("名字前后", StringComparison.Ordinal));
        var welcome = Assert.Single(all, s => s.Category == ScriptCategory.Welcome);
        Assert.Contains(ScriptText.Nickname, welcome.Variables);

        // A second read makes nothing more.
        Assert.Equal(all.Count, (await ws.Owner.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts")).Count);
        var rules = await ws.Owner.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts?category=rules");
        Assert.All(rules, s => Assert.Equal(ScriptCategory.Rules, s.Category));
        Assert.Single(rules);
        var bad = await ws.Owner.Api.GetAsync("/api/scripts?category=nonsense", Ct);
        Assert.Contains("category", (await bad.ReadValidationErrorsAsync()).Keys);
    }

    [Fact]
    public async Task Save_WithUnknownVariables_Is400_NamingEachUnknownVariable()
    {
        var ws = await factory.NewWorkspaceAsync();
        var response = await ws.Owner.Api.PostJsonAsync("/api/scripts", new { category = "faq", name = "发货", text = "{member} 您好 {foo}，{bar} 明天发货 {nickname}" });
        var errors = await response.ReadValidationErrorsAsync();
        var text = Assert.Single(errors["text"]);
        Assert.Contains("{foo}", text, StringComparison.Ordinal);
        Assert.Contains("{bar}", text, StringComparison.Ordinal);
        var named = text.Split(';')[0];
        Assert.DoesNotContain("{member}", named, StringComparison.Ordinal);
        Assert.DoesNotContain("{nickname}", named, StringComparison.Ordinal);

        var missing = await (await ws.Owner.Api.PostJsonAsync("/api/scripts", new { text = "你好" })).ReadValidationErrorsAsync();
        Assert.Contains("name", missing.Keys);
        Assert.Contains("category", missing.Keys);
    }

    [Fact]
    public async Task Crud_CreateGetUpdateDelete()
    {
        var ws = await factory.NewWorkspaceAsync();
        var created = await ws.Owner.Api.PostJsonAsync("/api/scripts", new { category = "praise", name = "谢谢晒图", text = "谢谢 {member}！" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var script = await created.ReadAsync<ScriptDto>();
        Assert.Equal(ScriptCategory.Praise, script.Category);
        Assert.Equal(0, script.UsageCount);

        var updated = await (await ws.Owner.Api.PutJsonAsync($"/api/scripts/{script.Id}", new { text = "谢谢 {member} 的分享！" })).ReadAsync<ScriptDto>();
        Assert.Equal("谢谢 {member} 的分享！", updated.Text);
        Assert.Equal("谢谢晒图", updated.Name);
        var dup = await (await ws.Owner.Api.PutJsonAsync($"/api/scripts/{script.Id}", new { name = "群简介" })).ReadValidationErrorsAsync();
        Assert.Contains("name", dup.Keys);

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/scripts/{script.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/scripts/{script.Id}", Ct)).StatusCode);

        // Another workspace never sees it.
        var other = await factory.NewWorkspaceAsync();
        var mine = await (await ws.Owner.Api.PostJsonAsync("/api/scripts", new { category = "faq", name = "价格", text = "价格见群公告" })).ReadAsync<ScriptDto>();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.GetAsync($"/api/scripts/{mine.Id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Override_WinsOverTheWorkspaceScript_InItsCommunityOnly()
    {
        var ws = await factory.NewWorkspaceAsync();
        var fishOil = await NewCommunityAsync(ws, "鱼油群");
        var vitamins = await NewCommunityAsync(ws, "维生素群");
        var welcome = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts?category=welcome"));

        var bad = await (await ws.Owner.Api.PutJsonAsync($"/api/scripts/{welcome.Id}/communities/{fishOil}", new { text = "欢迎 {who}" })).ReadValidationErrorsAsync();
        Assert.Contains("{who}", Assert.Single(bad["text"]), StringComparison.Ordinal);
        var withOverride = await (await ws.Owner.Api.PutJsonAsync($"/api/scripts/{welcome.Id}/communities/{fishOil}", new { text = "欢迎 {nickname} 来到鱼油群！" })).ReadAsync<ScriptDto>();
        var o = Assert.Single(withOverride.Overrides);
        Assert.Equal(fishOil, o.CommunityId);
        Assert.Equal("鱼油群", o.CommunityName);

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var inFishOil = await ScriptLibrary.TextForAsync(db, ws.Id, fishOil, ScriptCategory.Welcome, Ct);
            Assert.Equal("欢迎 {nickname} 来到鱼油群！", inFishOil!.Text);
            Assert.True(inFishOil.IsOverride);
            Assert.Equal(welcome.Id, inFishOil.ScriptId);
            var inVitamins = await ScriptLibrary.TextForAsync(db, ws.Id, vitamins, ScriptCategory.Welcome, Ct);
            Assert.Equal(welcome.Text, inVitamins!.Text);
            Assert.False(inVitamins.IsOverride);
        }

        var removed = await (await ws.Owner.Api.DeleteAsync($"/api/scripts/{welcome.Id}/communities/{fishOil}", Ct)).ReadAsync<ScriptDto>();
        Assert.Empty(removed.Overrides);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            Assert.Equal(welcome.Text, (await ScriptLibrary.TextForAsync(db, ws.Id, fishOil, ScriptCategory.Welcome, Ct))!.Text);
        }
    }

    [Fact]
    public async Task Preview_RendersSampleValues_AndListsUnknownVariables()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await NewCommunityAsync(ws, "预览群");
        var preview = await (await ws.Owner.Api.PostJsonAsync("/api/scripts/preview", new { text = "欢迎 {nickname} 加入{community}！{oops}\n{rules}", communityId = community }))
            .ReadAsync<ScriptPreviewDto>();
        Assert.StartsWith("欢迎 ", preview.Rendered, StringComparison.Ordinal);
        Assert.Contains("加入预览群！", preview.Rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("{", preview.Rendered, StringComparison.Ordinal);
        Assert.Contains("名字前后", preview.Rendered, StringComparison.Ordinal); // the workspace's rules script
        Assert.Equal(["oops"], preview.UnknownVariables);
        var missing = await (await ws.Owner.Api.PostJsonAsync("/api/scripts/preview", new { communityId = community })).ReadValidationErrorsAsync();
        Assert.Contains("text", missing.Keys);
    }

    [Fact]
    public async Task Koc_ReadsButCannotChange()
    {
        var ws = await factory.NewWorkspaceAsync();
        var koc = await ws.AddStaffAsync(StaffRole.Koc);
        var operatorStaff = await ws.AddStaffAsync(StaffRole.Operator);
        Assert.NotEmpty(await koc.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts"));
        var refused = await koc.Api.PostJsonAsync("/api/scripts", new { category = "faq", name = "x", text = "y" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var allowed = await operatorStaff.Api.PostJsonAsync("/api/scripts", new { category = "faq", name = "x", text = "y" });
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
    }
}

public sealed class ScriptApiSqliteTests(SqliteFactory factory) : ScriptApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class ScriptApiPostgresTests(PostgresFactory factory) : ScriptApiTests(factory), IClassFixture<PostgresFactory>;
