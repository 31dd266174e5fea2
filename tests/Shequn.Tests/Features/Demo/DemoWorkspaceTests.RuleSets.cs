using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Demo;
using Shequn.Features.Enforcement;
using Shequn.Features.Points;
using Shequn.Features.Tags;

namespace Shequn.Tests.Features.Demo;

public abstract partial class DemoWorkspaceTests
{
    [Fact]
    public async Task EnsureAndPrint_RuleSets_DefaultAndAdsCommunityFollowingTheAdsTemplate_NotDuplicatedOnASecondRun()
    {
        await EnsureDemoAsync();
        await EnsureDemoAsync();

        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ct = TestContext.Current.CancellationToken;
        var sets = await db.Set<RuleSet>().ToListAsync(ct);
        Assert.Equal(2, sets.Count);
        var byDefault = Assert.Single(sets, s => s.IsDefault);
        Assert.Equal(RuleSetTemplates.Comprehensive, byDefault.Template);
        var ads = Assert.Single(sets, s => s.Template == RuleSetTemplates.Ads);
        Assert.Equal(RuleMode.Off, RuleSetSpec.FromJson(ads.Spec).Ads);
        var adsCommunity = await db.Communities.SingleAsync(c => c.Tier == CommunityTier.Ads, ct);
        Assert.Equal(ads.Id, adsCommunity.RuleSetId);
        Assert.DoesNotContain(await db.Communities.Where(c => c.Tier != CommunityTier.Ads).ToListAsync(ct), c => c.RuleSetId is not null);
    }

    [Fact]
    public async Task EnsureAndPrint_PointLevelsAndTagRules_MadeOnce_OnTheCatalogsTags()
    {
        await EnsureDemoAsync();
        await EnsureDemoAsync();

        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ct = TestContext.Current.CancellationToken;
        var ws = db.CurrentWorkspaceId;
        var levels = await db.Set<PointLevel>().Where(l => l.WorkspaceId == ws).OrderBy(l => l.Threshold).Select(l => l.Threshold).ToListAsync(ct);
        Assert.Equal([50, 200, 500], levels);
        var rules = await db.Set<TagRule>().Where(r => r.WorkspaceId == ws).Include(r => r.Tag).OrderBy(r => r.Kind).ToListAsync(ct);
        Assert.Equal([(TagRuleKind.Keyword, "营养咨询"), (TagRuleKind.Active, "活跃7天")], rules.Select(r => (r.Kind, r.Tag!.Name)).ToList());
        Assert.Equal(DemoCatalog.Tags.Length, await db.Tags.CountAsync(t => t.WorkspaceId == ws, ct));
    }
}
