using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;

namespace Shequn.Connectors;

/// <summary>What a connector is asked to do: one action in one community's chat.</summary>
public sealed record ConnectorCall(Guid ActionId, Guid WorkspaceId, Guid CommunityId, string? ChatId, ActionKind Kind, ActionPayload Payload);

/// <summary>How fast a platform lets a bot act. Null means no limit of that kind.</summary>
public sealed record RateLimits(double? PerChatPerSecond, int? PerChatPerMinute, double? GlobalPerSecond)
{
    /// <summary>Telegram's published guidance: about 1 message a second per chat, 20 a minute per group, 30 a second overall.</summary>
    public static readonly RateLimits Telegram = new(1, 20, 30);

    public static readonly RateLimits None = new(null, null, null);
}

/// <summary>
/// One platform's way of acting in groups. It declares what it can do; the dispatcher turns anything else into a
/// staff task. A failure is a <see cref="ConnectorException"/> with its category; any other exception is transient.
/// </summary>
public interface IConnector
{
    ChatPlatform Platform { get; }

    IReadOnlySet<ActionKind> Capabilities { get; }

    RateLimits Limits { get; }

    /// <summary>
    /// The platform recognises a repeated send of the same action and makes it once (the Sandbox derives its event id
    /// from the action id). Then an interrupted send can simply be made again instead of becoming uncertain.
    /// </summary>
    bool DeduplicatesSends { get; }

    /// <summary>Does it; returns the platform's ids of what was made (a message id), if any.</summary>
    Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct);
}

/// <summary>A platform refused or failed, in one of the categories the dispatcher acts on.</summary>
public sealed class ConnectorException : Exception
{
    /// <summary>A failure in the platform's own words (shown as they are).</summary>
    public ConnectorException(ErrorCategory category, string message, TimeSpan? retryAfter = null)
        : base(message)
    {
        Category = category;
        RetryAfter = retryAfter;
    }

    /// <summary>A failure in Shequn's words: English for the API and logs, the reason for the console.</summary>
    public ConnectorException(ErrorCategory category, Reason reason)
        : base(reason?.English)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Category = category;
        Reason = reason;
    }

    public ErrorCategory Category { get; }

    /// <summary>For <see cref="ErrorCategory.RateLimited"/>: how long the platform asked us to wait.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Set when the words are Shequn's own rather than the platform's.</summary>
    public Reason? Reason { get; }

    /// <summary>
    /// Set when staff can do by hand what the platform refused (a member the bot may not write to): the dispatcher turns
    /// the action into a staff task with this payload (what was made so far, such as the invite link) and keeps the
    /// failure's words on it, instead of failing it or trying again.
    /// </summary>
    public ActionPayload? HandOver { get; init; }
}

/// <summary>The connector of each platform (the last registered wins, so a test host can replace one).</summary>
public sealed class ConnectorRegistry(IEnumerable<IConnector> connectors)
{
    private readonly Dictionary<ChatPlatform, IConnector> _byPlatform = connectors.GroupBy(c => c.Platform).ToDictionary(g => g.Key, g => g.Last());

    public IConnector? For(ChatPlatform platform) => _byPlatform.GetValueOrDefault(platform);

    /// <summary>Platforms whose connector makes a repeated send once.</summary>
    public IReadOnlyList<ChatPlatform> DeduplicatingSends => [.. _byPlatform.Values.Where(c => c.DeduplicatesSends).Select(c => c.Platform)];
}
