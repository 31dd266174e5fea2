using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Shequn.Platform.Api;

/// <summary>
/// Turns System.Text.Json's errors ("could not be converted to Shequn.Features.Events.EventInput") into what a
/// client can act on: the JSON field and the format expected there, in the API's own words.
/// </summary>
public static partial class JsonErrors
{
    private static readonly JsonNamingPolicy Camel = JsonNamingPolicy.CamelCase;

    /// <summary>The field the error is about in JSON spelling ("$.user.id" → "user.id", "$[2].kind" → "[2].kind"), "" for the whole body.</summary>
    public static string Field(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var path = exception.Path ?? "$";
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    /// <summary>A sentence saying what was wrong at the field and what is expected there, given the type the body is read as.</summary>
    public static string Describe(JsonException exception, Type? bodyType, string wholeValue = "The request body")
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (IsSyntax(exception))
        {
            var reader = exception.InnerException is JsonException inner ? inner : exception;
            return $"The request body is not valid JSON (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}): {StripPosition(reader.Message)}";
        }
        var field = Field(exception);
        var where = field.Length == 0 ? wholeValue : $"'{field}'";
        if (UnknownMember().Match(exception.Message) is { Success: true } unknown)
        {
            var owner = bodyType is null ? null : TypeAt(bodyType, ParentPath(field));
            var fields = owner is null ? "" : $"; expected fields: {string.Join(", ", FieldNames(owner))}";
            return $"Unknown field '{unknown.Groups[1].Value}'{fields}.";
        }
        if (exception.Message.StartsWith(OffsetRequired, StringComparison.Ordinal))
            return $"{where}: {exception.Message}.";
        var target = bodyType is null ? null : TypeAt(bodyType, field);
        return target is null ? $"{where} has a value of the wrong type." : $"{where}: expected {Expected(target)}.";
    }

    /// <summary>
    /// ASP.NET's binding failures name C# parameters ("Failed to bind parameter \"DateOnly? from\" from \"x\"");
    /// say the field and the expected format instead. Other messages pass through.
    /// </summary>
    public static string DescribeBinding(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (FailedToBind().Match(message) is { Success: true } failed)
            return $"'{failed.Groups["name"].Value}' is \"{failed.Groups["value"].Value}\": expected {ExpectedByName(failed.Groups["type"].Value)}.";
        if (NotProvided().Match(message) is { Success: true } missing)
        {
            return missing.Groups["source"].Value == "body"
                ? "A JSON body is required."
                : $"'{missing.Groups["name"].Value}' is required.";
        }
        return message;
    }

    private static string ExpectedByName(string typeName) => Unwrapped(typeName) switch
    {
        "Guid" => Expected(typeof(Guid)),
        "DateOnly" => Expected(typeof(DateOnly)),
        "DateTimeOffset" or "DateTime" => Expected(typeof(DateTimeOffset)),
        "int" or "long" or "short" => Expected(typeof(int)),
        "double" or "float" or "decimal" => Expected(typeof(double)),
        "bool" => Expected(typeof(bool)),
        _ => "a value in another format",
    };

    /// <summary>"Nullable&lt;DateOnly&gt;" and "DateOnly?" are both "DateOnly".</summary>
    private static string Unwrapped(string typeName) =>
        typeName.StartsWith("Nullable<", StringComparison.Ordinal) ? typeName[9..^1] : typeName.TrimEnd('?');

    [GeneratedRegex("""Failed to bind parameter "(?<type>[^ "]+) (?<name>[^"]+)" from "(?<value>[^"]*)".""")]
    private static partial Regex FailedToBind();

    [GeneratedRegex("""Required parameter "(?<type>[^ "]+) (?<name>[^"]+)" was not provided from (?<source>[a-z ]+)""")]
    private static partial Regex NotProvided();

    /// <summary>Broken JSON (as opposed to well-formed JSON of the wrong shape); the reader's own exception type is internal.</summary>
    private static bool IsSyntax(JsonException exception) =>
        exception.GetType().Name == "JsonReaderException" || exception.InnerException?.GetType().Name == "JsonReaderException";

    private static string StripPosition(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut < 0 ? message : message[..cut];
    }

    /// <summary>The message <see cref="OffsetDateTimeConverter"/> fails with.</summary>
    internal const string OffsetRequired = "expected an ISO 8601 time with offset";

    /// <summary>What a value of this type looks like in JSON, in plain words.</summary>
    public static string Expected(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
            return "a string";
        if (type == typeof(bool))
            return "true or false";
        if (type == typeof(Guid))
            return "an id (UUID) such as \"0196f2a4-3b1c-7d2e-9f00-1a2b3c4d5e6f\"";
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
            return $"{OffsetRequired}, such as \"2026-05-01T09:30:00+08:00\"";
        if (type == typeof(DateOnly))
            return "a date such as \"2026-05-01\"";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
            return "a whole number";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            return "a number";
        if (type.IsEnum)
            return $"one of {string.Join(", ", Enum.GetNames(type).Select(n => $"\"{Camel.ConvertName(n)}\""))}";
        if (ElementType(type) is { } element)
            return $"a JSON array, each item {Expected(element)}";
        return $"a JSON object with fields {string.Join(", ", FieldNames(type))}";
    }

    private static IEnumerable<string> FieldNames(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? Camel.ConvertName(p.Name));

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string))
            return null;
        if (type.IsArray)
            return type.GetElementType();
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0] ?? (typeof(IEnumerable).IsAssignableFrom(type) ? typeof(object) : null);
    }

    private static string ParentPath(string field)
    {
        var cut = Math.Max(field.LastIndexOf('.'), field.LastIndexOf('['));
        return cut <= 0 ? "" : field[..cut];
    }

    /// <summary>The type found at a JSON path ("items[2].user.id") below <paramref name="root"/>, or null when the path leaves the model.</summary>
    internal static Type? TypeAt(Type root, string field)
    {
        var type = root;
        foreach (Match segment in PathSegment().Matches(field))
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (segment.Groups["index"].Success)
            {
                type = ElementType(type);
            }
            else
            {
                var name = segment.Groups["name"].Value;
                type = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                    .FirstOrDefault(p => string.Equals(p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, name, StringComparison.OrdinalIgnoreCase))
                    ?.PropertyType;
            }
            if (type is null)
                return null;
        }
        return type;
    }

    [GeneratedRegex(@"\[(?<index>\d+)\]|(?<name>[^.\[\]']+)|\['(?<name>[^']+)'\]")]
    private static partial Regex PathSegment();

    [GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnknownMember();
}

/// <summary>
/// Reads times only with an explicit offset ("Z" or "+08:00"): a bare "2026-05-01T09:30:00" would otherwise be taken
/// in the server's time zone, silently shifting events. Writes them as ISO 8601 with offset.
/// </summary>
public sealed partial class OffsetDateTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } text && HasOffset().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            return value;
        throw new JsonException($"{JsonErrors.OffsetRequired}, such as \"2026-05-01T09:30:00+08:00\" or \"2026-05-01T01:30:00Z\"");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex HasOffset();
}
