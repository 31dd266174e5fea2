using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Localization;
using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Features.Outbox;

/// <summary>
/// Shequn's own words about a failed action (a community not linked, a call that got no answer) are kept beside the
/// English text as a reason the console translates; a platform's own words ("Bad Request: chat not found") have no
/// reason and are shown as the platform said them.
/// </summary>
public static class ActionError
{
    private const int ArgMaxLength = 400;

    /// <summary>An action's kind as an argument of a reason.</summary>
    public static Reason Kind(ActionKind kind) => new($"ActionKind.{kind}", kind.ToString());

    /// <summary>The reason as stored in <see cref="OutboundAction.ErrorReason"/>; null for none.</summary>
    public static string? Store(Reason? reason) => reason is null
        ? null
        : JsonSerializer.Serialize(new Stored(reason.Key, [.. reason.Args.Select(a => a is Reason r
            ? new StoredArg(r.English, r.Key)
            : new StoredArg(EventEffects.Clip(Convert.ToString(a, CultureInfo.InvariantCulture), ArgMaxLength), null))]));

    /// <summary>What the console shows: the reason in the reader's language, else the stored words.</summary>
    public static string? Text(OutboundAction action, IStringLocalizer localizer)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Text(action.Error, action.ErrorReason, localizer);
    }

    /// <summary>The same from an action's stored words and reason (pages that read them without the whole action).</summary>
    public static string? Text(string? error, string? errorReason, IStringLocalizer localizer)
    {
        ArgumentNullException.ThrowIfNull(localizer);
        if (errorReason is { } json)
        {
            try
            {
                if (JsonSerializer.Deserialize<Stored>(json) is { Key: { } key } stored)
                {
                    var text = localizer[key, [.. (stored.Args ?? []).Select(a => a.Key is { } k && localizer[k] is { ResourceNotFound: false } t ? t.Value : a.Text ?? "")]];
                    if (!text.ResourceNotFound)
                        return text.Value;
                }
            }
            catch (JsonException)
            {
                // An unreadable reason falls back to the English words.
            }
        }
        return error;
    }

    private sealed record Stored(string Key, StoredArg[]? Args);

    /// <summary>An argument: its text, or a reason of its own (an action's kind) the console translates too.</summary>
    private sealed record StoredArg(string? Text, string? Key);
}
