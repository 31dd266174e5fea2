using Shequn.Features.Communities;

namespace Shequn.Connectors;

public enum ConnectionState
{
    /// <summary>Working as far as Shequn can tell.</summary>
    Connected = 0,
    /// <summary>Working with trouble (retrying, a webhook behind, a token about to be refreshed).</summary>
    Degraded = 1,
    /// <summary>Not working and needing a person: a revoked bot token, a wrong corp secret, a removed bot.</summary>
    Down = 2,
}

/// <summary>
/// One connection to a platform (a Telegram bot, a WeCom corp, a Sandbox community) as <c>/health/details</c> and
/// the connection pages show it. <paramref name="Name"/> is what staff recognise (a bot's @username, a corp's name),
/// never a secret; <paramref name="Detail"/> says in plain words what is wrong (the platform's words where it gave some).
/// </summary>
public sealed record ConnectionHealth(Guid WorkspaceId, ChatPlatform Platform, string Name, ConnectionState State, string? Detail = null, DateTime? CheckedAt = null);

/// <summary>
/// A platform's connections and their state, for <c>/health/details</c> (and its summary on <c>/health</c>, which
/// reports Degraded while any connection is down). Register an implementation with
/// <c>services.AddSingleton&lt;IConnectorHealth, MyHealth&gt;()</c>; any number may be registered. It must answer
/// from what Shequn already knows (its own tables, the last call's outcome), quickly and without calling the platform.
/// </summary>
public interface IConnectorHealth
{
    /// <param name="workspaceId">Only this workspace's connections; null for every workspace (the anonymous summary).</param>
    Task<IReadOnlyList<ConnectionHealth>> ConnectionsAsync(Guid? workspaceId, CancellationToken ct);
}
