using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using MudBlazor;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Moderation;

/// <summary>
/// One tab of the moderation page. A circuit lives long, so every operation gets its own context and its own
/// <see cref="ModerationSettings"/> rather than the circuit-scoped one.
/// </summary>
public abstract class ModerationTab : ComponentBase
{
    [Inject] protected IDbContextFactory<AppDbContext> DbFactory { get; set; } = default!;
    [Inject] protected ModerationEngines Engines { get; set; } = default!;
    [Inject] protected IServiceScopeFactory ScopeFactory { get; set; } = default!;
    [Inject] protected ILogger<ModerationSettings> Logger { get; set; } = default!;
    [Inject] protected ISnackbar Snackbar { get; set; } = default!;
    [Inject] protected IStringLocalizer<Strings> Localizer { get; set; } = default!;

    /// <summary>Owners, sub-owners and admins: lists, rules and the model may be changed.</summary>
    [Parameter] public bool CanManage { get; set; }

    /// <summary>Everyone but KOC staff may label messages.</summary>
    [Parameter] public bool CanLabel { get; set; }

    protected bool Busy { get; private set; }

    protected async Task<T> WithSettingsAsync<T>(Func<ModerationSettings, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await using var db = await DbFactory.CreateDbContextAsync();
        return await operation(new ModerationSettings(db, Engines, ScopeFactory, Logger));
    }

    /// <summary>Runs one change; a refused role or a missing row is said in the snackbar, field errors are left to the caller.</summary>
    protected async Task<ModerationSaveResult<T>> ChangeAsync<T>(Func<ModerationSettings, Task<ModerationSaveResult<T>>> change)
    {
        Busy = true;
        try
        {
            var result = await WithSettingsAsync(change);
            if (result.Outcome == EditOutcome.Forbidden)
                Snackbar.Add(Localizer["Common.Forbidden"], Severity.Error);
            else if (result.Outcome == EditOutcome.NotFound)
                Snackbar.Add(Localizer["Common.NotFound"], Severity.Warning);
            return result;
        }
        finally
        {
            Busy = false;
        }
    }

    protected IDictionary<string, string[]> Localized(Validation validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        return validation.Localized(Localizer);
    }

    protected static string? ErrorText(IDictionary<string, string[]> errors, string field)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.TryGetValue(field, out var e) ? string.Join(" ", e.Distinct()) : null;
    }

    /// <summary>
    /// An uploaded file as text, or null when it is not UTF-8: replacing bad bytes would import garbled terms, and a
    /// file saved as GBK is better re-saved as UTF-8. A byte-order mark is dropped.
    /// </summary>
    protected static async Task<string?> ReadUtf8Async(Microsoft.AspNetCore.Components.Forms.IBrowserFile file, int maxMegabytes)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var buffer = new MemoryStream();
        await using (var upload = file.OpenReadStream(maxMegabytes * 1024L * 1024))
            await upload.CopyToAsync(buffer);
        try
        {
            return StrictUtf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    protected static string Figure(double? value, string format = "0.00") =>
        value is { } v ? v.ToString(format, System.Globalization.CultureInfo.CurrentCulture) : "—";

    protected static string Percent(double? value) =>
        value is { } v ? v.ToString("P1", System.Globalization.CultureInfo.CurrentCulture) : "—";
}
