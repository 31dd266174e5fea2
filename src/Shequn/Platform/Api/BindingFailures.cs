using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;

namespace Shequn.Platform.Api;

/// <summary>
/// Says which query or route value could not be read, where the endpoint's request delegate only answered 400.
/// The endpoints' delegates are generated at build time (the request delegate generator, for start-up time); for an
/// optional value (<c>DateOnly? from</c>, <c>int? page</c>) that does not parse, the generated code sets 400 without
/// throwing, so <see cref="BadRequestExceptionHandler"/> never sees it. The status-code page then finds the value
/// here, from the endpoint's parameter metadata, and names it as the handler would: "'from' is "yesterday": expected a
/// date such as "2026-05-01"." Any other empty error answer gets the plain problem the status-code page always wrote.
/// </summary>
internal static class BindingFailures
{
    private static readonly Func<StatusCodeContext, Task> Plain = new StatusCodePagesOptions().HandleAsync;

    public static async Task HandleAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (http.Response.StatusCode == StatusCodes.Status400BadRequest && Describe(http) is { } detail)
        {
            var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
            if (await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = StatusCodes.Status400BadRequest, Title = "Bad request", Detail = detail },
            }))
            {
                return;
            }
        }
        await Plain(context);
    }

    /// <summary>The first of the endpoint's route or query values that its parameter's type cannot read, described; or null.
    /// The exception handler passes the endpoint and route values it kept, as it clears the request's own.</summary>
    internal static string? Describe(HttpContext http, Endpoint? endpoint = null, RouteValueDictionary? routeValues = null)
    {
        endpoint ??= http.GetEndpoint();
        routeValues ??= http.Request.RouteValues;
        if (endpoint is null)
            return null;
        foreach (var parameter in endpoint.Metadata.GetOrderedMetadata<IParameterBindingMetadata>())
        {
            var info = parameter.ParameterInfo;
            var attributes = info.GetCustomAttributes(true);
            if (attributes.OfType<IFromBodyMetadata>().Any() || attributes.OfType<IFromHeaderMetadata>().Any() || attributes.OfType<IFromFormMetadata>().Any())
                continue;
            var type = info.ParameterType;
            var element = type.IsArray ? type.GetElementType()! : type;
            element = Nullable.GetUnderlyingType(element) ?? element;
            if (element == typeof(string) || !IsParsable(element))
                continue;
            var name = attributes.OfType<IFromQueryMetadata>().FirstOrDefault()?.Name
                ?? attributes.OfType<IFromRouteMetadata>().FirstOrDefault()?.Name
                ?? parameter.Name;
            var values = routeValues.TryGetValue(name, out var routed) && routed is string r ? [r] : http.Request.Query[name].ToArray();
            foreach (var value in values)
            {
                if (string.IsNullOrEmpty(value) || TryParse(element, value))
                    continue;
                // The generated code reads enums by their C# names, case and all.
                return element.IsEnum
                    ? $"'{name}' is \"{value}\": expected one of {string.Join(", ", Enum.GetNames(element).Select(n => $"\"{n}\""))}."
                    : JsonErrors.DescribeBinding($"Failed to bind parameter \"{Keyword(element)} {name}\" from \"{value}\".");
            }
        }
        return null;
    }

    private static bool IsParsable(Type type) => type.IsEnum || ParseMethod(type) is not null;

    private static MethodInfo? ParseMethod(Type type) =>
        type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()])
        ?? type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]);

    private static bool TryParse(Type type, string value)
    {
        if (type.IsEnum)
            return Enum.TryParse(type, value, ignoreCase: false, out _);
        var method = ParseMethod(type)!;
        object?[] arguments = method.GetParameters().Length == 3 ? [value, CultureInfo.InvariantCulture, null] : [value, null];
        return (bool)method.Invoke(null, arguments)!;
    }

    /// <summary>The name <see cref="JsonErrors.DescribeBinding"/> knows a type by (C# keywords for the numbers).</summary>
    private static string Keyword(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Int16 => "short",
        TypeCode.Int32 => "int",
        TypeCode.Int64 => "long",
        TypeCode.Double => "double",
        TypeCode.Single => "float",
        TypeCode.Decimal => "decimal",
        TypeCode.Boolean => "bool",
        _ => type.Name,
    };
}
