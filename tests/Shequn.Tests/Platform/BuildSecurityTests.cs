using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using NuGet.Versioning;

namespace Shequn.Tests.Platform;

/// <summary>
/// Security checks in the build (docs/security.md, "In the build"): the security analyzers are on as errors for src and
/// load with this compiler, suppressions are targeted and give a reason, the SBOM that ./test.sh writes lists what
/// src/Shequn ships, and no restored package is in a range of security/advisories.tsv.
/// </summary>
public sealed partial class BuildSecurityTests
{
    private static readonly string Root = LocalizationTests.RepoRoot();

    // --- analyzers ------------------------------------------------------------------------------------------------

    [Fact]
    public void SecurityCategory_IsOnAsErrors_ForSrc()
    {
        var editorConfig = File.ReadAllLines(Path.Combine(Root, "src", ".editorconfig"));
        var section = "";
        var entries = new List<(string Section, string Line)>();
        foreach (var raw in editorConfig.Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('#' or ';')))
        {
            if (raw.StartsWith('['))
                section = raw;
            else
                entries.Add((section, Regex.Replace(raw, @"\s+", " ")));
        }
        Assert.Contains(("[*.cs]", "dotnet_analyzer_diagnostic.category-Security.severity = error"), entries);

        var project = XDocument.Load(Path.Combine(Root, "src", "Shequn", "Shequn.csproj"));
        Assert.Contains(project.Descendants("AnalysisLevelSecurity"), e => e.Value == "latest-all");
        Assert.Contains(project.Descendants("PackageReference"),
            e => (string?)e.Attribute("Include") == "SecurityCodeScan.VS2019" && (string?)e.Attribute("PrivateAssets") == "all");
        Assert.NotNull(PinnedVersion("SecurityCodeScan.VS2019"));

        // The everyday build leaves out only the slow rules named in the deep-scan file, and only when SecurityDeepScan is not set.
        Assert.Contains(project.Descendants("EditorConfigFiles"),
            e => ((string?)e.Attribute("Include"))?.EndsWith("security/deep-scan-only.globalconfig", StringComparison.Ordinal) == true
                && (string?)e.Parent?.Attribute("Condition") == "'$(SecurityDeepScan)' != 'true'");
        var off = File.ReadAllLines(Path.Combine(Root, "security", "deep-scan-only.globalconfig"))
            .Where(l => l.StartsWith("dotnet_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(off);
        foreach (var line in off)
            Assert.Matches(@"^dotnet_diagnostic\.(CA30(0[1-9]|1[0-2])|SCS00(01|02|03|06|13|18|26|27|28|29|31))\.severity = none$", line);

        var props = XDocument.Load(Path.Combine(Root, "Directory.Build.props"));
        Assert.Contains(props.Descendants("TreatWarningsAsErrors"), e => e.Value == "true");
        // Security rules must not be lowered or disabled in bulk anywhere that applies to src.
        foreach (var file in new[] { Path.Combine(Root, ".editorconfig"), Path.Combine(Root, "src", ".editorconfig") })
            Assert.DoesNotMatch(@"(?m)^\s*dotnet_analyzer_diagnostic\.(severity|category-Security\.severity)\s*=\s*(none|silent|suggestion|warning)",
                File.ReadAllText(file));
    }

    [Fact]
    public void SecuritySuppressions_AreTargetedAndGiveAReason()
    {
        var problems = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var rel = Path.GetRelativePath(Root, file);
            var text = File.ReadAllText(file);
            problems.AddRange(PragmaOff().Matches(text).Select(m => $"{rel}: '{m.Value.Trim()}' (use [SuppressMessage] with a Justification)"));
            problems.AddRange(SuppressMessage().Matches(text)
                .Where(m => !Regex.IsMatch(m.Value, @"Justification\s*=\s*""[^""]{10,}"""))
                .Select(m => $"{rel}: {m.Value} has no Justification"));
        }
        // A rule switched off in an .editorconfig says why in the comment above it.
        foreach (var file in new[] { Path.Combine(Root, ".editorconfig"), Path.Combine(Root, "src", ".editorconfig"), Path.Combine(Root, "security", "deep-scan-only.globalconfig") })
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (SecurityRuleEntry().IsMatch(lines[i]) && (i == 0 || !lines[i - 1].TrimStart().StartsWith('#')) && !SecurityRuleEntry().IsMatch(lines[i - 1]))
                    problems.Add($"{Path.GetRelativePath(Root, file)}:{i + 1}: '{lines[i].Trim()}' has no reason above it");
            }
        }
        Assert.True(problems.Count == 0, "Security findings silenced without a reason:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void SuppressionScan_FindsPragmasAndBareSuppressions()
    {
        Assert.Matches(PragmaOff(), "#pragma warning disable CA5394 // random");
        Assert.Matches(PragmaOff(), "#pragma warning disable IDE0005, SCS0005");
        Assert.DoesNotMatch(PragmaOff(), "#pragma warning disable CA1822");
        Assert.Matches(SecurityRuleEntry(), "dotnet_diagnostic.CA5394.severity = none");
        Assert.Matches(SecurityRuleEntry(), "dotnet_diagnostic.SCS0005.severity = none");
        Assert.DoesNotMatch(SecurityRuleEntry(), "dotnet_diagnostic.CA1305.severity = none");
        var bare = SuppressMessage().Match("""[SuppressMessage("Security", "CA5394:Do not use insecure randomness")]""");
        Assert.True(bare.Success);
        Assert.DoesNotMatch(@"Justification\s*=\s*""[^""]{10,}""", bare.Value);
    }

    /// <summary>
    /// The .NET analyzers of the SDK that builds this repository and SecurityCodeScan at the pinned version load with the
    /// compiler in use and report a known insecure call each; a crash in either shows as AD0001 or a load failure.
    /// </summary>
    [Fact]
    public async Task Analyzers_LoadWithThisCompiler_AndReportKnownInsecureCalls()
    {
        var meta = typeof(BuildSecurityTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        var netAnalyzers = Path.Combine(meta["NetCoreRoot"]!, "sdk", meta["NETCoreSdkVersion"]!, "Sdks", "Microsoft.NET.Sdk", "analyzers");
        var scs = Path.Combine(meta["NuGetPackageRoot"]!, "securitycodescan.vs2019", PinnedVersion("SecurityCodeScan.VS2019")!, "analyzers", "dotnet");
        string[] paths =
        [
            Path.Combine(netAnalyzers, "Microsoft.CodeAnalysis.NetAnalyzers.dll"),
            Path.Combine(netAnalyzers, "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll"),
            Path.Combine(scs, "SecurityCodeScan.VS2019.dll"),
        ];
        var loader = new DirectoryLoader();
        var failures = new List<string>();
        var analyzers = new List<DiagnosticAnalyzer>();
        foreach (var path in paths)
        {
            Assert.True(File.Exists(path), $"Analyzer not found: {path}");
            var reference = new AnalyzerFileReference(path, loader);
            reference.AnalyzerLoadFailed += (_, e) => failures.Add($"{Path.GetFileName(path)}: {e.ErrorCode} {e.Message}");
            analyzers.AddRange(reference.GetAnalyzers(LanguageNames.CSharp)
                .Where(a => a.SupportedDiagnostics.Any(d => d.Category == "Security")));
        }
        Assert.Empty(failures);
        var ids = analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet();
        foreach (var id in new[] { "CA2100", "CA2300", "CA3001", "CA3075", "CA5350", "CA5351", "CA5394", "SCS0002", "SCS0005", "SCS0006" })
            Assert.Contains(id, ids);

        const string Source = """
            using System.Data.Common;
            using System.Security.Cryptography;
            public static class Insecure
            {
                public static byte[] Hash(byte[] data) => MD5.Create().ComputeHash(data);
                public static void Query(DbCommand command, string name) => command.CommandText = "SELECT * FROM t WHERE name = '" + name + "'";
            }
            """;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is var n && (n.StartsWith("System.", StringComparison.Ordinal) || n is "netstandard.dll" or "mscorlib.dll"))
            .Select(p => MetadataReference.CreateFromFile(p));
        var expected = new[] { "CA2100", "CA5351", "SCS0006" };
        var compilation = CSharpCompilation.Create("Snippet", [CSharpSyntaxTree.ParseText(Source, cancellationToken: TestContext.Current.CancellationToken)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
                .WithSpecificDiagnosticOptions(expected.ToDictionary(id => id, _ => ReportDiagnostic.Error)));
        Assert.Empty(compilation.GetDiagnostics(TestContext.Current.CancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error));

        var diagnostics = await compilation.WithAnalyzers([.. analyzers], new AnalyzerOptions([]))
            .GetAnalyzerDiagnosticsAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        foreach (var id in expected)
            Assert.Contains(diagnostics, d => d.Id == id && d.Severity == DiagnosticSeverity.Error);
    }

    // --- SBOM -----------------------------------------------------------------------------------------------------

    /// <summary>./test.sh writes the SBOM after the build (`dotnet CycloneDX src/Shequn/Shequn.csproj …`).</summary>
    [Fact]
    public void Sbom_ListsEveryPackageOfShequnAtItsPinnedVersion()
    {
        var path = Path.Combine(Root, ".artifacts", "sbom", "bom.json");
        Assert.True(File.Exists(path), $"No SBOM at {path}: ./test.sh writes it (dotnet tool restore; dotnet CycloneDX, see test.sh).");
        using var bom = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal("CycloneDX", bom.RootElement.GetProperty("bomFormat").GetString());
        var components = bom.RootElement.GetProperty("components").EnumerateArray()
            .Select(c => (Name: c.GetProperty("name").GetString()!, Version: c.GetProperty("version").GetString()!, Purl: c.GetProperty("purl").GetString()))
            .ToList();

        var project = XDocument.Load(Path.Combine(Root, "src", "Shequn", "Shequn.csproj"));
        var direct = project.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToList();
        Assert.Contains("HtmlSanitizer", direct);
        foreach (var name in direct)
        {
            var version = PinnedVersion(name);
            Assert.True(version is not null, $"{name} is not pinned in Directory.Packages.props");
            Assert.True(components.Contains((name, version, $"pkg:nuget/{name}@{version}")), $"The SBOM does not list {name} {version}");
        }
        // Transitive packages are in it too.
        var restored = RestoredPackages(File.ReadAllText(Path.Combine(Root, "src", "Shequn", "obj", "project.assets.json")));
        Assert.Contains(restored, p => p.Name == "Npgsql");
        foreach (var (name, version) in restored)
            Assert.True(components.Any(c => c.Name == name && c.Version == version.ToNormalizedString()), $"The SBOM does not list {name} {version}");
    }

    // --- advisories -----------------------------------------------------------------------------------------------

    [Fact]
    public void RestoredPackages_MatchNoListedAdvisory()
    {
        var advisories = Advisories(File.ReadAllText(Path.Combine(Root, "security", "advisories.tsv")));
        var projects = Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}.", StringComparison.Ordinal)).ToList();
        Assert.Contains(projects, p => p.EndsWith("Shequn.csproj", StringComparison.Ordinal));
        var restored = new List<(string Project, string Name, NuGetVersion Version)>();
        foreach (var project in projects)
        {
            var assets = Path.Combine(Path.GetDirectoryName(project)!, "obj", "project.assets.json");
            Assert.True(File.Exists(assets), $"{Path.GetRelativePath(Root, project)} is not restored (no {assets}): build the solution first.");
            restored.AddRange(RestoredPackages(File.ReadAllText(assets)).Select(p => (Path.GetFileNameWithoutExtension(project), p.Name, p.Version)));
        }
        // The check sees transitive packages, not only the ones we name.
        Assert.Contains(restored, p => p.Name == "AngleSharp");
        Assert.Contains(restored, p => p.Name == "Npgsql");

        var hits = restored.SelectMany(p => Vulnerable(advisories, p.Name, p.Version).Select(a => $"{p.Project}: {p.Name} {p.Version} — {a.Id} ({a.Summary}); fixed in {a.Fixed}"))
            .Distinct().ToList();
        Assert.True(hits.Count == 0, "Restored packages with known advisories (security/advisories.tsv):\n" + string.Join("\n", hits));
    }

    [Fact]
    public void AdvisoryMatcher_FlagsAVulnerableRestoredVersion()
    {
        var advisories = Advisories(File.ReadAllText(Path.Combine(Root, "security", "advisories.tsv")));
        // A synthetic assets file: what `dotnet restore` would write for a project with old packages.
        const string Assets = """
            { "version": 3, "libraries": {
              "Npgsql/8.0.2": { "type": "package" },
              "HtmlSanitizer/8.0.692": { "type": "package" },
              "newtonsoft.json/12.0.3": { "type": "package" },
              "System.Text.Encodings.Web/4.7.1": { "type": "package" },
              "System.Text.Json/8.0.5": { "type": "package" },
              "SkiaSharp/4.156.1": { "type": "package" },
              "Npgsql/8.0.3": { "type": "project" }
            } }
            """;
        var flagged = RestoredPackages(Assets).SelectMany(p => Vulnerable(advisories, p.Name, p.Version).Select(a => $"{p.Name} {p.Version} {a.Id}")).ToList();
        Assert.Equal(
            ["Npgsql 8.0.2 CVE-2024-32655", "HtmlSanitizer 8.0.692 CVE-2023-44390", "newtonsoft.json 12.0.3 GHSA-5crp-9r3c-p9vr",
             "System.Text.Encodings.Web 4.7.1 CVE-2021-26701"],
            flagged);
        // Range ends: the first fixed version is clean, the last before it is not.
        Assert.NotEmpty(Vulnerable(advisories, "Npgsql", NuGetVersion.Parse("7.0.6")));
        Assert.Empty(Vulnerable(advisories, "Npgsql", NuGetVersion.Parse("7.0.7")));
        Assert.Empty(Vulnerable(advisories, "System.Text.Encodings.Web", NuGetVersion.Parse("4.5.1")));
        Assert.NotEmpty(Vulnerable(advisories, "System.Text.Encodings.Web", NuGetVersion.Parse("5.0.0")));
    }

    [Fact]
    public void AdvisoryList_EveryRowParses_AndItsFixIsAboveItsRange()
    {
        var text = File.ReadAllText(Path.Combine(Root, "security", "advisories.tsv"));
        var advisories = Advisories(text);
        Assert.True(advisories.Count >= 20, $"only {advisories.Count} advisories read");
        Assert.Equal(text.Split('\n').Count(l => l.Length > 0 && l[0] != '#') - 1, advisories.Count);
        foreach (var a in advisories)
        {
            Assert.Matches(@"^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3})$", a.Id);
            Assert.False(a.Range.Satisfies(a.Fixed), $"{a.Package} {a.Id}: the fix {a.Fixed} is inside {a.Range}");
            Assert.True(a.Range.HasUpperBound && a.Fixed >= a.Range.MaxVersion!, $"{a.Package} {a.Id}: the fix {a.Fixed} is not above {a.Range}");
        }
    }

    internal sealed record Advisory(string Package, VersionRange Range, string Id, string Summary, NuGetVersion Fixed);

    internal static List<Advisory> Advisories(string tsv) =>
        [.. tsv.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && l[0] != '#').Skip(1).Select(l => l.Split('\t')).Select(c =>
            c.Length == 5
                ? new Advisory(c[0], VersionRange.Parse(c[1]), c[2], c[3], NuGetVersion.Parse(c[4]))
                : throw new FormatException($"advisories.tsv: expected 5 tab-separated columns: {string.Join(" | ", c)}"))];

    /// <summary>Every package (not project) in an assets file's libraries: the full restored graph, transitive ones included.</summary>
    internal static List<(string Name, NuGetVersion Version)> RestoredPackages(string assetsJson)
    {
        using var doc = JsonDocument.Parse(assetsJson);
        return [.. doc.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Value.GetProperty("type").GetString() == "package")
            .Select(l => l.Name.Split('/'))
            .Select(p => (p[0], NuGetVersion.Parse(p[1])))];
    }

    internal static IEnumerable<Advisory> Vulnerable(List<Advisory> advisories, string package, NuGetVersion version) =>
        advisories.Where(a => string.Equals(a.Package, package, StringComparison.OrdinalIgnoreCase) && a.Range.Satisfies(version));

    private static string? PinnedVersion(string package) =>
        XDocument.Load(Path.Combine(Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .Where(e => (string?)e.Attribute("Include") == package).Select(e => (string?)e.Attribute("Version")).SingleOrDefault();

    /// <summary>A <c>#pragma</c> that turns off a security rule (.NET's CA2100, CA2300–CA2399, CA3xxx, CA5xxx, or SecurityCodeScan's SCSnnnn).</summary>
    [GeneratedRegex(@"#pragma\s+warning\s+disable\b[^\n]*\b(CA2100|CA23\d\d|CA3\d{3}|CA5\d{3}|SCS\d{4})\b")]
    private static partial Regex PragmaOff();

    [GeneratedRegex(@"\[(?:assembly:\s*)?SuppressMessage\(\s*""Security""[^\]]*\]")]
    private static partial Regex SuppressMessage();

    [GeneratedRegex(@"^\s*dotnet_diagnostic\.(CA2100|CA23\d\d|CA3\d{3}|CA5\d{3}|SCS\d{4})\.severity\s*=")]
    private static partial Regex SecurityRuleEntry();

    /// <summary>Loads an analyzer and its neighbours (SecurityCodeScan brings YamlDotNet) into the default context.</summary>
    private sealed class DirectoryLoader : IAnalyzerAssemblyLoader
    {
        private readonly List<string> _directories = [];

        public DirectoryLoader() => AssemblyLoadContext.Default.Resolving += (context, name) =>
            _directories.Select(d => Path.Combine(d, name.Name + ".dll")).Where(File.Exists).Select(context.LoadFromAssemblyPath).FirstOrDefault();

        public void AddDependencyLocation(string fullPath) => _directories.Add(Path.GetDirectoryName(fullPath)!);

        public Assembly LoadFromPath(string fullPath)
        {
            AddDependencyLocation(fullPath);
            var name = AssemblyName.GetAssemblyName(fullPath);
            return AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a => a.GetName().Name == name.Name)
                ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(fullPath);
        }
    }
}
