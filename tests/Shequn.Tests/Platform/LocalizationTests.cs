using System.Text.RegularExpressions;
using Shequn.Platform.Localization;

namespace Shequn.Tests.Platform;

public sealed partial class LocalizationTests
{
    [Fact]
    public void Tables_ChineseAndEnglish_HaveTheSameKeys()
    {
        var zh = JsonStringLocalizerFactory.LoadTable(Cultures.Default).Keys.ToHashSet();
        var en = JsonStringLocalizerFactory.LoadTable(Cultures.English).Keys.ToHashSet();

        Assert.Empty(zh.Except(en));
        Assert.Empty(en.Except(zh));
    }

    [Fact]
    public void Tables_NoEmptyTranslations()
    {
        foreach (var culture in Cultures.Supported)
            Assert.DoesNotContain(JsonStringLocalizerFactory.LoadTable(culture), kv => string.IsNullOrWhiteSpace(kv.Value));
    }

    /// <summary>Every literal key the console asks for (L["..."]) exists; a typo would show the raw key to users.</summary>
    [Fact]
    public void Console_EveryLiteralKeyUsed_IsTranslated()
    {
        var zh = JsonStringLocalizerFactory.LoadTable(Cultures.Default);
        var src = Path.Combine(RepoRoot(), "src", "Shequn");
        var used = Directory.EnumerateFiles(src, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => LiteralKey().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: m.Groups[1].Value)))
            .ToList();

        Assert.NotEmpty(used);
        var missing = used.Where(u => !zh.ContainsKey(u.Key)).Select(u => $"{u.File}: {u.Key}").Distinct().ToList();
        Assert.True(missing.Count == 0, "Untranslated keys: " + string.Join(", ", missing));
    }

    [Fact]
    public void Localizer_UnknownCulture_FallsBackToChinese()
    {
        Assert.Equal(Cultures.Default, Cultures.Normalize("fr-FR"));
        Assert.Equal(Cultures.English, Cultures.Normalize("EN"));
    }

    [Fact]
    public void Tables_NoLabelClaimsUtc_TimesAreShownInTheWorkspaceZone()
    {
        foreach (var culture in Cultures.Supported)
            Assert.DoesNotContain(JsonStringLocalizerFactory.LoadTable(culture), kv => kv.Value.Contains("(UTC)", StringComparison.Ordinal));
    }

    [Fact]
    public void MudBlazorWords_InChinese_ComeFromOurTables_AndNameRealMudBlazorResources()
    {
        var mud = new MudStrings(new JsonStringLocalizerFactory());
        var before = System.Globalization.CultureInfo.CurrentUICulture;
        try
        {
            System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo(Cultures.Default);
            Assert.Equal("选择本页全部", mud["MudTable_SelectAllRows"].Value);
            Assert.Equal("第 3 页", mud["MudPagination_PageIndex", 3].Value);
            Assert.True(mud["NoSuchMudBlazorKey"].ResourceNotFound);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = before;
        }

        // A misspelt key would silently never be asked for: each must be one of MudBlazor's resource names.
        var resources = typeof(MudBlazor.MudLocalizer).Assembly.GetType("MudBlazor.Resources.LanguageResource", throwOnError: true)!
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            .Select(f => f.Name).ToHashSet();
        var ours = JsonStringLocalizerFactory.LoadTable(Cultures.Default).Keys.Where(k => k.StartsWith("Mud.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ours);
        Assert.All(ours, k => Assert.Contains(k["Mud.".Length..], resources));
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Shequn.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    [GeneratedRegex("""\bL\["([A-Za-z][A-Za-z0-9_.]*)"\]""")]
    private static partial Regex LiteralKey();
}
