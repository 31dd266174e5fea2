using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Localization;

namespace Shequn.Platform.Localization;

public static class Cultures
{
    public const string Default = "zh-CN";
    public const string English = "en";
    public static readonly string[] Supported = [Default, English];

    public static string Normalize(string? culture) =>
        Supported.FirstOrDefault(c => string.Equals(c, culture, StringComparison.OrdinalIgnoreCase)) ?? Default;
}

/// <summary>Marker type for the console's one string table: <c>@inject IStringLocalizer&lt;Strings&gt; L</c>.</summary>
public sealed class Strings;

/// <summary>
/// The console's text lives in flat JSON tables embedded in the assembly (Platform/Localization/Feature.culture.json):
/// one key per string, so that a test can prove both languages have every key.
/// </summary>
public sealed class JsonStringLocalizerFactory : IStringLocalizerFactory
{
    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _tables =
        Cultures.Supported.ToFrozenDictionary(c => c, LoadTable, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, string> Table(string culture) => _tables[Cultures.Normalize(culture)];

    public IStringLocalizer Create(Type resourceSource) => new JsonStringLocalizer(this);
    public IStringLocalizer Create(string baseName, string location) => new JsonStringLocalizer(this);

    /// <summary>Merges every embedded table for the culture (one pair of files per feature: Members.zh-CN.json, Members.en.json).</summary>
    public static FrozenDictionary<string, string> LoadTable(string culture)
    {
        var assembly = Assembly.GetExecutingAssembly();
        var suffix = $".{culture}.json";
        var table = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Shequn.Localization.", StringComparison.Ordinal) && n.EndsWith(suffix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(stream) ?? [])
            {
                if (!table.TryAdd(key, value))
                    throw new InvalidOperationException($"Localization key '{key}' is defined twice for {culture} ({name}).");
            }
        }
        return table.Count == 0
            ? throw new InvalidOperationException($"Missing localization tables for {culture}.")
            : table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

public sealed class JsonStringLocalizer(JsonStringLocalizerFactory factory) : IStringLocalizer
{
    public LocalizedString this[string name]
    {
        get
        {
            var found = factory.Table(CultureInfo.CurrentUICulture.Name).TryGetValue(name, out var value)
                || factory.Table(Cultures.English).TryGetValue(name, out value);
            return new LocalizedString(name, value ?? name, resourceNotFound: !found);
        }
    }

    public LocalizedString this[string name, params object[] arguments]
    {
        get
        {
            var format = this[name];
            return new LocalizedString(name, string.Format(CultureInfo.CurrentCulture, format.Value, arguments), format.ResourceNotFound);
        }
    }

    public IEnumerable<LocalizedString> GetAllStrings(bool includeParentCultures) =>
        factory.Table(CultureInfo.CurrentUICulture.Name).Select(kv => new LocalizedString(kv.Key, kv.Value));
}

public static class LocalizationSetup
{
    public static WebApplicationBuilder AddShequnLocalization(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<JsonStringLocalizerFactory>();
        builder.Services.AddSingleton<IStringLocalizerFactory>(sp => sp.GetRequiredService<JsonStringLocalizerFactory>());
        builder.Services.AddTransient(typeof(IStringLocalizer<>), typeof(StringLocalizer<>));
        builder.Services.Configure<RequestLocalizationOptions>(o =>
        {
            o.SetDefaultCulture(Cultures.Default)
                .AddSupportedCultures(Cultures.Supported)
                .AddSupportedUICultures(Cultures.Supported);
            // Chinese unless the user chose otherwise: the browser's language does not decide.
            o.RequestCultureProviders =
            [
                new QueryStringRequestCultureProvider(),
                new CookieRequestCultureProvider(),
            ];
        });
        return builder;
    }

    [SuppressMessage("Security", "SCS0008:The cookie is missing 'Secure' flag", Justification = "The chosen language is no secret, and it must survive plain-http demos (docs/security.md, Cookies).")]
    [SuppressMessage("Security", "SCS0009:The cookie is missing 'HttpOnly' flag", Justification = "The chosen language is no secret; the culture cookie keeps ASP.NET Core's defaults (docs/security.md, Cookies).")]
    public static void WriteCultureCookie(HttpResponse response, string culture) =>
        response.Cookies.Append(
            CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(Cultures.Normalize(culture))),
            new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, HttpOnly = false, SameSite = SameSiteMode.Lax });
}

/// <summary>
/// MudBlazor's own words (aria labels such as "Select all rows", pager and date-picker buttons) from the same
/// tables, under keys <c>Mud.&lt;MudBlazor resource name&gt;</c>; a key we lack falls back to MudBlazor's English.
/// </summary>
public sealed class MudStrings(JsonStringLocalizerFactory factory) : MudBlazor.MudLocalizer
{
    public override LocalizedString this[string key] =>
        factory.Table(CultureInfo.CurrentUICulture.Name).TryGetValue("Mud." + key, out var value)
            ? new LocalizedString(key, value)
            : new LocalizedString(key, key, resourceNotFound: true);

    public override LocalizedString this[string key, params object[] arguments]
    {
        get
        {
            var format = this[key];
            return format.ResourceNotFound
                ? format
                : new LocalizedString(key, string.Format(CultureInfo.CurrentCulture, format.Value, arguments));
        }
    }
}
