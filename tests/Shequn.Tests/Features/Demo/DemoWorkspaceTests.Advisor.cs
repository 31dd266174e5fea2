using Shequn.Features.Advisor;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Demo;

public abstract partial class DemoWorkspaceTests
{
    /// <summary>The demo gives the advisor something to say: a few kinds of advice, each with its numbers, all about the demo's own things.</summary>
    [Fact]
    public async Task EnsureAndPrint_Advisor_HasSeveralKindsOfAdvice()
    {
        var output = await EnsureDemoAsync();
        var api = factory.ClientWithToken(Printed(output, "API token"));

        var advice = await api.GetJsonAsync<List<Advice>>("/api/advisor");

        var kinds = advice.Select(a => a.Rule).Distinct().ToList();
        Assert.True(kinds.Count >= 2, "advice: " + string.Join("; ", advice.Select(a => $"{a.Rule} {a.SubjectName}: {a.Explanation}")));
        Assert.All(advice, a => Assert.NotEmpty(a.Numbers));
    }
}
