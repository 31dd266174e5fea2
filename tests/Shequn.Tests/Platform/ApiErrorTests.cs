using System.Net;
using System.Text;
using System.Text.Json;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>Bodies and query values of the wrong shape are refused naming the field and the expected format, never a .NET type.</summary>
public abstract class ApiErrorTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, string Detail, Dictionary<string, string[]> Errors)> SendAsync(HttpClient client, HttpMethod method, string url, string? json)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        using var doc = JsonDocument.Parse(body);
        var detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
        var errors = doc.RootElement.TryGetProperty("errors", out var e)
            ? e.Deserialize<Dictionary<string, string[]>>(Json.Options)!
            : [];
        Assert.DoesNotContain("Shequn.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", body, StringComparison.Ordinal);
        return (response.StatusCode, detail, errors);
    }

    [Fact]
    public async Task Body_NotAnObject_SaysWhichFieldsAreExpected()
    {
        var ws = await factory.NewWorkspaceAsync();

        var (status, detail, errors) = await SendAsync(ws.Owner.Api, HttpMethod.Post, "/api/moderation/check", "\"加微信\"");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("The request body: expected a JSON object with fields text, kind, fromMember.", detail);
        Assert.Contains("body", errors.Keys);
    }

    [Fact]
    public async Task Body_FieldOfWrongType_NamesFieldAndFormat()
    {
        var ws = await factory.NewWorkspaceAsync();

        var (_, number, errors) = await SendAsync(ws.Owner.Api, HttpMethod.Put, "/api/moderation/settings", """{"reviewThreshold": "high"}""");
        var (_, list, _) = await SendAsync(ws.Owner.Api, HttpMethod.Put, "/api/moderation/settings", """{"customPatterns": {"name": "x"}}""");
        var (_, choice, _) = await SendAsync(ws.Owner.Api, HttpMethod.Post, "/api/moderation/check", """{"text": "x", "kind": 3}""");

        Assert.Equal("'reviewThreshold': expected a number.", number);
        Assert.Contains("reviewThreshold", errors.Keys);
        Assert.Equal("'customPatterns': expected a JSON array, each item a JSON object with fields name, pattern, weight.", list);
        Assert.StartsWith("'kind': expected one of \"text\", \"image\"", choice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_UnknownField_IsNamedWithTheKnownOnes()
    {
        var ws = await factory.NewWorkspaceAsync();

        var (status, detail, _) = await SendAsync(ws.Owner.Api, HttpMethod.Post, "/api/moderation/check", """{"txt": "x"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Unknown field 'txt'; expected fields: text, kind, fromMember.", detail);
    }

    [Fact]
    public async Task Body_BrokenJson_SaysNotValidJsonWithPosition()
    {
        var ws = await factory.NewWorkspaceAsync();

        var (status, detail, _) = await SendAsync(ws.Owner.Api, HttpMethod.Post, "/api/moderation/check", """{"text": "x",""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("The request body is not valid JSON (line 1", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_ValueOfWrongFormat_NamesParameterAndFormat()
    {
        var ws = await factory.NewWorkspaceAsync();

        var (status, detail, _) = await SendAsync(ws.Owner.Api, HttpMethod.Get, "/api/figures?from=yesterday", null);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("'from' is \"yesterday\": expected a date such as \"2026-05-01\".", detail);
    }

    /// <summary>
    /// Optional values of every kind, in a handler's own parameters and in a query object ([AsParameters]): the answer names
    /// the value and what was expected, not a bare 400. A value that reads is not named.
    /// </summary>
    [Theory]
    [InlineData("/api/members?page=two", "'page' is \"two\": expected a whole number.")]
    [InlineData("/api/members?communityId=42", "'communityId' is \"42\": expected an id (UUID) such as \"0196f2a4-3b1c-7d2e-9f00-1a2b3c4d5e6f\".")]
    [InlineData("/api/staff?active=maybe", "'active' is \"maybe\": expected true or false.")]
    [InlineData("/api/staff?page=1&pageSize=x", "'pageSize' is \"x\": expected a whole number.")]
    [InlineData("/api/staff?role=boss", "'role' is \"boss\": expected one of \"Owner\", \"SubOwner\", \"Admin\", \"Operator\", \"Koc\".")]
    public async Task Query_OptionalValueOfWrongFormat_NamesParameterAndFormat(string url, string expected)
    {
        var ws = await factory.NewWorkspaceAsync();

        var (status, detail, _) = await SendAsync(ws.Owner.Api, HttpMethod.Get, url, null);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(expected, detail);
    }

    [Fact]
    public void Describe_NestedPath_FindsTheTypeThere()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Shequn.Features.Moderation.PolicyInput>(
            """{"customPatterns": [{"name": "a", "pattern": "b", "weight": "heavy"}]}""", JsonSerializerOptions.Web));

        Assert.Equal("'customPatterns[0].weight': expected a number.", JsonErrors.Describe(error, typeof(Shequn.Features.Moderation.PolicyInput)));
    }
}

public sealed class ApiErrorTests_Sqlite(SqliteFactory factory) : ApiErrorTests(factory), IClassFixture<SqliteFactory>;

public sealed class ApiErrorTests_Postgres(PostgresFactory factory) : ApiErrorTests(factory), IClassFixture<PostgresFactory>;
