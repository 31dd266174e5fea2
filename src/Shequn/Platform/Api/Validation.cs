using System.Globalization;
using Microsoft.Extensions.Localization;

namespace Shequn.Platform.Api;

/// <summary>
/// Why something was refused, inside a larger message: <see cref="English"/> for the API and logs, <see cref="Key"/>
/// and <see cref="Args"/> for the console, which translates it (an argument may itself be a reason).
/// </summary>
public sealed record Reason(string Key, string English, params object[] Args)
{
    public override string ToString() => English;

    public string Localize(IStringLocalizer localizer)
    {
        ArgumentNullException.ThrowIfNull(localizer);
        return localizer[Key, Translated(localizer, Args)].Value;
    }

    internal static object[] Translated(IStringLocalizer localizer, object[] args) =>
        [.. args.Select(a => a is Reason r ? r.Localize(localizer) : a)];
}

/// <summary>One problem with one field: an English message for the API and a code the console translates.</summary>
public sealed record FieldError(string Field, string Code, string Message, object[] Args);

/// <summary>Collects field errors for one request; the API returns them as a 400 ValidationProblem,
/// the console shows them translated (key <c>Validation.{Code}</c> with the same arguments).</summary>
public sealed class Validation
{
    private readonly List<FieldError> _errors = [];

    public bool IsValid => _errors.Count == 0;

    public IReadOnlyList<FieldError> Items => _errors;

    public Validation Add(string field, string code, string message, params object[] args)
    {
        _errors.Add(new FieldError(field, code, message, args));
        return this;
    }

    public Validation Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
            return Add(field, "Required", $"'{field}' is required.");
        return MaxLength(field, value, maxLength);
    }

    public Validation MaxLength(string field, string? value, int maxLength)
    {
        if (value is not null && value.Length > maxLength)
            Add(field, "TooLong", $"'{field}' must be at most {maxLength} characters (got {value.Length}).", maxLength, value.Length);
        return this;
    }

    public Validation Defined<TEnum>(string field, TEnum value) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            Add(field, "UnknownValue", $"'{field}' has an unknown value '{value}'.", value);
        return this;
    }

    /// <summary>
    /// Parses an enum from a query string in any case (the JSON spelling <c>weCom</c> or the name <c>WeCom</c>);
    /// ASP.NET's own enum binding is case-sensitive. Blank gives null; an unknown value is a field error.
    /// </summary>
    public TEnum? ParseEnum<TEnum>(string field, string? text) where TEnum : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (Enum.TryParse<TEnum>(text.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
            return parsed;
        Add(field, "UnknownValue", $"'{field}' has an unknown value '{text}'.", text);
        return null;
    }

    /// <summary>A day as yyyy-MM-dd; null when absent (an error too when <paramref name="required"/>) or malformed (with the error).</summary>
    public DateOnly? ParseDay(string field, string? text, bool required = false)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
                Add(field, "Required", $"'{field}' is required (yyyy-MM-dd).");
            return null;
        }
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return day;
        Add(field, "Malformed", $"'{field}' must be a day as yyyy-MM-dd (got '{text}').", text);
        return null;
    }

    public IDictionary<string, string[]> Errors =>
        _errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());

    public IDictionary<string, string[]> Localized(IStringLocalizer localizer) =>
        _errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => localizer[$"Validation.{e.Code}", Reason.Translated(localizer, e.Args)].Value).ToArray());

    public Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Problem() => TypedResults.ValidationProblem(Errors);
}
