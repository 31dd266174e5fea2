using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>The OpenAPI document and the reference page at /api/docs.</summary>
public abstract partial class ApiDocumentTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> DocumentAsync()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        using var doc = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json", Ct));
        return doc.RootElement.Clone();
    }

    private static IEnumerable<(string Path, JsonElement Operation)> Operations(JsonElement doc) =>
        doc.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(o => (p.Name, o.Value)));

    [Fact]
    public async Task Document_DeclaresBearerScheme_RequiredEverywhere()
    {
        var doc = await DocumentAsync();

        var scheme = doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.Contains(doc.GetProperty("security").EnumerateArray(), r => r.TryGetProperty("Bearer", out _));
    }

    [Fact]
    public async Task Document_HoldsApiRoutesOnly_EachWithAReadableTag()
    {
        var doc = await DocumentAsync();
        var operations = Operations(doc).ToList();

        Assert.NotEmpty(operations);
        Assert.All(operations, o => Assert.StartsWith("/api/", o.Path, StringComparison.Ordinal));
        Assert.DoesNotContain(operations, o => o.Path is "/account/login" or "/culture" or "/setup");
        Assert.All(operations, o =>
        {
            var tag = Assert.Single(o.Operation.GetProperty("tags").EnumerateArray()).GetString()!;
            Assert.DoesNotContain("Endpoints", tag, StringComparison.Ordinal);
            Assert.True(char.IsUpper(tag[0]), $"{o.Path}: tag '{tag}'");
        });
    }

    [Fact]
    public async Task Document_QueryParameters_AreLowerCamelCase()
    {
        var doc = await DocumentAsync();

        var query = Operations(doc)
            .Where(o => o.Operation.TryGetProperty("parameters", out _))
            .SelectMany(o => o.Operation.GetProperty("parameters").EnumerateArray()
                .Where(p => p.GetProperty("in").GetString() == "query")
                .Select(p => $"{o.Path} {p.GetProperty("name").GetString()}"))
            .ToList();

        Assert.Contains(query, q => q == "/api/members q");
        Assert.All(query, q => Assert.Matches(@" [a-z][A-Za-z0-9]*$", q));
    }

    [Fact]
    public async Task Docs_Page_LoadsOnlyFromThisServer_WithoutVendorFeatures()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var client = factory.CreateClient();

        var html = await client.GetStringAsync("/api/docs/", Ct);
        var sources = ScriptOrLink().Matches(html).Select(m => m.Groups[1].Value).ToList();
        var config = html[html.IndexOf("initialize(", StringComparison.Ordinal)..];

        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.DoesNotMatch("^(https?:)?//", s));
        foreach (var source in sources)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(new Uri(client.BaseAddress!, "/api/docs/"), source), Ct)).StatusCode);
        Assert.DoesNotMatch("https?://", html);
        Assert.Contains("\"withDefaultFonts\":false", config, StringComparison.Ordinal);
        Assert.Contains("\"agent\":{\"disabled\":true}", config, StringComparison.Ordinal);
        Assert.Contains("\"showDeveloperTools\":\"never\"", config, StringComparison.Ordinal);
        Assert.DoesNotContain("proxy", config, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Favicon_IsServed()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);

        var response = await factory.CreateClient().GetAsync("/favicon.svg", Ct);
        var html = await factory.CreateClient().GetStringAsync("/api/docs/", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/favicon.svg", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("""<(?:script|link)[^>]+(?:src|href)="([^"]+)"[^>]*>""")]
    private static partial Regex ScriptOrLink();
}

public sealed class ApiDocumentTests_Sqlite(SqliteFactory factory) : ApiDocumentTests(factory), IClassFixture<SqliteFactory>;

public sealed class ApiDocumentTests_Postgres(PostgresFactory factory) : ApiDocumentTests(factory), IClassFixture<PostgresFactory>;
