using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Profiles;

namespace Shequn.Tests.Features.Demo;

public abstract partial class DemoWorkspaceTests
{
    /// <summary>The demo's region code asks a choice question whose answer fills the member's city; the other code asks none.</summary>
    [Fact]
    public async Task EnsureAndPrint_RegionLiveCode_LinksItsChoiceToTheCityField()
    {
        await EnsureDemoAsync();
        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var codes = await db.Set<LiveCode>().AsNoTracking().ToListAsync(TestContext.Current.CancellationToken);
        var region = Assert.Single(codes, c => c.ChoiceQuestion is not null);
        Assert.Equal(ProfileBuiltins.City, region.ChoiceField);
        Assert.All(codes.Where(c => c.ChoiceQuestion is null), c => Assert.Null(c.ChoiceField));
    }
}
