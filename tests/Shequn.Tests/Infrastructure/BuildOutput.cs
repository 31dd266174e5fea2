using Shequn.Tests.Platform;

namespace Shequn.Tests.Infrastructure;

/// <summary>
/// Where the programs these tests start were built: the same configuration as the tests themselves (Debug or Release,
/// read from this assembly's folder), so that `dotnet build -c Release` tests the Release app and benches.
/// </summary>
internal static class BuildOutput
{
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built app, <c>src/Shequn/bin/{Configuration}/net10.0/Shequn.dll</c>.</summary>
    public static string AppDll { get; } = Path.Combine(LocalizationTests.RepoRoot(), "src", "Shequn", "bin", Configuration, "net10.0", "Shequn.dll");

    /// <summary>A built benchmark, <c>bench/{name}/bin/{Configuration}/net10.0/{name}.dll</c>.</summary>
    public static string BenchDll(string name) => Path.Combine(LocalizationTests.RepoRoot(), "bench", name, "bin", Configuration, "net10.0", name + ".dll");
}
