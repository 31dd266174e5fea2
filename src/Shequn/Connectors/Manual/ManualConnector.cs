using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;

namespace Shequn.Connectors.Manual;

/// <summary>
/// Groups with no API (personal WeChat, QQ): Shequn cannot act in them, so the connector declares no capabilities and
/// the dispatcher turns every action into a staff task with ready-to-paste text (Features/Tasks). Their events come
/// from chat-export imports (Features/Imports). Being explicit, rather than leaving the platform without a connector,
/// keeps "Manual" a decision instead of a gap.
/// </summary>
public sealed class ManualConnector : IConnector
{
    private static readonly HashSet<ActionKind> None = [];

    public ChatPlatform Platform => ChatPlatform.Manual;

    public IReadOnlySet<ActionKind> Capabilities => None;

    // Staff pace themselves; nothing is called.
    public RateLimits Limits => RateLimits.None;

    public bool DeduplicatesSends => false;

    public Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct) =>
        throw new ConnectorException(ErrorCategory.Configuration, new Reason("ConnectorError.Manual", $"Manual groups have no API: {call.Kind} is a staff task.", ActionError.Kind(call.Kind)));
}
