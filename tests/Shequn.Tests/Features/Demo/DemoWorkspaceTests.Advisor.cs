using Shequn.Features.Advisor;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Demo;

public abstract partial class DemoWorkspaceTests
{
    /// <summary>The demo gives the advisor something to say: several kinds of advice, each with its numbers.</summary>
    [Fact]
    public async Task EnsureAndPrint_Advisor_HasSeveralKindsOfAdvice()
    {
        var output = await EnsureDemoAsync();
        var api = factory.ClientWithToken(Printed(output, "API token"));

        var advice = await api.GetJsonAsync<List<Advice>>("/api/advisor");

        var kinds = advice.Select(a => a.Rule).Distinct().ToList();
        var said = "advice: " + string.Join("; ", advice.Select(a => $"{a.Rule} {a.SubjectName}: {a.Explanation}"));
        // A group over 350 (the big comprehensive group), a silent one to freeze (断舍离), and more besides.
        Assert.True(kinds.Contains(AdviceRule.Oversized) && kinds.Contains(AdviceRule.Silent) && kinds.Count >= 4, said);
        Assert.All(advice, a => Assert.NotEmpty(a.Numbers));
    }
}
