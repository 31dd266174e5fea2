using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Shequn.Platform.Api;

/// <summary>The OpenAPI document's description and the reference page at /api/docs.</summary>
public static class ApiDocument
{
    public const string BearerScheme = "Bearer";

    /// <summary>Title, the bearer scheme every operation needs, and readable tag names.</summary>
    public static Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Info.Title = "Shequn API";
        document.Info.Description =
            "Workspace-scoped REST API. Authenticate with 'Authorization: Bearer shq_…' (create tokens in the console under API tokens). " +
            "Times are ISO 8601 with an offset; errors are RFC 9457 problem details naming the field.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "shq_…",
            Description = "An API token created in the console; it acts as the staff member who created it.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
        return Task.CompletedTask;
    }

    /// <summary>
    /// Query parameters are documented in lower camel case like JSON fields (<c>q</c>, <c>tagId</c>), whatever the C#
    /// name of the bound property; query binding ignores case, so both spellings work.
    /// </summary>
    public static Task CamelCaseQueryAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(operation);
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { In: ParameterLocation.Query, Name: { Length: > 0 } name } query && char.IsUpper(name[0]))
                query.Name = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The reference page works offline and sends nothing elsewhere: the bundled script served by the app, no web
    /// fonts, no vendor proxy for "send request", no AI agent or developer toolbar ("Deploy").
    /// </summary>
    public static void ConfigureReference(ScalarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.WithTitle("Shequn API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .WithFavicon("/favicon.svg")
            .DisableDefaultFonts()
            .DisableAgent()
            .DisableMcp()
            .DisableTelemetry()
            .HideDeveloperTools()
            .AddPreferredSecuritySchemes(BearerScheme)
            .EnablePersistentAuthentication();
        options.ProxyUrl = null;
    }
}
