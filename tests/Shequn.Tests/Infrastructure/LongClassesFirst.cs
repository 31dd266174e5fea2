using System.Reflection;
using Shequn.Tests.Infrastructure;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(LongClassesFirst))]

namespace Shequn.Tests.Infrastructure;

/// <summary>
/// A test class that takes far longer than most (a minute of benchmark runs, a seeded demo read by every role, a crashed
/// process): <see cref="LongClassesFirst"/> starts it among the first.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class LongRunningAttribute : Attribute;

/// <summary>
/// The order in which xunit starts the test collections (here one per class), up to <c>-maxThreads</c> at a time. Its
/// default order is random, so a class of a minute could start when nearly everything else was done and then run alone
/// while the other threads had nothing left: in one CI run <c>BenchSmokeTests</c> started at 514 s, the rest ended at
/// 524 s and the run at 577 s. Classes marked <see cref="LongRunningAttribute"/> go first; the others keep xunit's order.
/// </summary>
public sealed class LongClassesFirst : ITestCollectionOrderer
{
    private const string PerClassPrefix = "Test collection for ";

    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection
    {
        var ordered = DefaultTestCollectionOrderer.Instance.OrderTestCollections(testCollections);
        // OrderBy is stable: the long classes keep xunit's order among themselves, and so do the rest.
        return [.. ordered.OrderBy(collection => ClassOf(collection)?.GetCustomAttribute<LongRunningAttribute>(inherit: true) is null ? 1 : 0)];
    }

    /// <summary>The test class a collection was made for, or null for a named collection.</summary>
    internal static Type? ClassOf(ITestCollection collection)
    {
        // A class without a [Collection] of its own is alone in a collection named after it:
        // "Test collection for Shequn.Tests.Bench.BenchSmokeTests (id: 4b1c…)".
        var name = collection.TestCollectionDisplayName;
        if (!name.StartsWith(PerClassPrefix, StringComparison.Ordinal))
            return null;
        return typeof(LongClassesFirst).Assembly.GetType(name[PerClassPrefix.Length..].Split(' ')[0]);
    }
}
