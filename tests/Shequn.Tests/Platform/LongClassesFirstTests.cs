using Shequn.Tests.Bench;
using Shequn.Tests.Features.Campaigns;
using Shequn.Tests.Features.Tasks;
using Shequn.Tests.Infrastructure;
using Xunit.Sdk;

namespace Shequn.Tests.Platform;

/// <summary>The test run starts the long classes first (<see cref="LongClassesFirst"/>), which needs each class's collection found by its name.</summary>
public sealed class LongClassesFirstTests
{
    [Fact]
    public void ClassOf_TheCollectionThisTestRunsIn_IsThisClass() =>
        // xunit's own name for a class's collection, as this run made it: a change of its wording fails here.
        Assert.Equal(typeof(LongClassesFirstTests), LongClassesFirst.ClassOf(TestContext.Current.TestCollection!));

    [Fact]
    public void Order_LongRunningClassesFirst_TheRestAfterThem()
    {
        var assembly = TestContext.Current.TestCollection!.TestAssembly;
        Type[] classes = [typeof(TaskWordsTests), typeof(BenchSmokeTests), typeof(LeaderboardScoreTests), typeof(AuthorizationMatrixTests_Sqlite), typeof(LongClassesFirstTests)];
        var collections = classes.Select(type => new ClassCollection(assembly, $"Test collection for {type.FullName} (id: {type.GUID:N})", type.GUID.ToString("N"))).ToList();

        var ordered = new LongClassesFirst().OrderTestCollections(collections).Select(LongClassesFirst.ClassOf).ToList();

        Assert.Equal(classes.Length, ordered.Count);
        // BenchSmokeTests is marked itself; the matrix's SQLite class through its base class.
        Assert.Equal([typeof(AuthorizationMatrixTests_Sqlite), typeof(BenchSmokeTests)], ordered.Take(2).OrderBy(t => t!.Name));
        Assert.Equal([typeof(LeaderboardScoreTests), typeof(LongClassesFirstTests), typeof(TaskWordsTests)], ordered.Skip(2).OrderBy(t => t!.Name));
    }

    private sealed record ClassCollection(ITestAssembly TestAssembly, string TestCollectionDisplayName, string UniqueID) : ITestCollection
    {
        public string? TestCollectionClassName => null;

        public IReadOnlyDictionary<string, IReadOnlyCollection<string>> Traits { get; } = new Dictionary<string, IReadOnlyCollection<string>>();
    }
}
