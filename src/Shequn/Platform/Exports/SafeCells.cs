namespace Shequn.Platform.Exports;

/// <summary>
/// Text cells of a file a person opens in a spreadsheet. A spreadsheet reading a CSV runs a cell that starts with
/// = + - @ (or a tab or carriage return) as a formula; a leading apostrophe makes it plain text (OWASP's advice on CSV
/// injection). .xlsx text cells get the same prefix, so that saving the sheet again as CSV stays safe.
/// </summary>
public static class SafeCells
{
    public static bool IsRisky(string? value) =>
        !string.IsNullOrEmpty(value) && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';

    public static string Text(string? value) => value is null ? "" : IsRisky(value) ? "'" + value : value;
}
