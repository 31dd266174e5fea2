using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Sandbox;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;

namespace Shequn.Connectors.Sandbox;

/// <summary>
/// The Sandbox platform's connector: an action takes effect in the Sandbox chat the way it would in a real group, by
/// appending the event the platform would report (the bot's message, a deletion, a removal) to the durable log, so the
/// live chat and the figures show it. The event id is derived from the action, so a retried call is a duplicate in the
/// log and the Sandbox never shows an action twice.
/// </summary>
public sealed class SandboxConnector(EventIngestor ingestor, IServiceScopeFactory scopes) : IConnector
{
    public const string BotUserId = "sandbox-bot";
    public const string BotName = "Shequn";

    private static readonly HashSet<ActionKind> Can =
        [ActionKind.Send, ActionKind.Reply, ActionKind.DeleteMessage, ActionKind.Restrict, ActionKind.Unrestrict, ActionKind.Remove, ActionKind.Ban, ActionKind.Unban];

    public ChatPlatform Platform => ChatPlatform.Sandbox;

    public IReadOnlySet<ActionKind> Capabilities => Can;

    // As strict as Telegram, so that the Sandbox shows how a real group paces the bot.
    public RateLimits Limits => RateLimits.Telegram;

    // The event id is derived from the action id: a repeated call is a duplicate in the log.
    public bool DeduplicatesSends => true;

    public async Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct)
    {
        var e = new CommunityEvent
        {
            WorkspaceId = call.WorkspaceId,
            Platform = ChatPlatform.Sandbox,
            PlatformEventId = "sbx-act-" + call.ActionId.ToString("N"),
            OccurredAt = DateTime.UtcNow,
            CommunityId = call.CommunityId,
            ActionId = call.ActionId,
        };
        switch (call.Kind)
        {
            case ActionKind.Send or ActionKind.Reply:
                e.Kind = EventKind.MessagePosted;
                e.UserId = BotUserId;
                e.UserName = BotName;
                e.FromStaff = true;
                e.MessageKind = MessageKind.Text;
                e.MessageId = e.PlatformEventId;
                e.ReplyToMessageId = call.Kind == ActionKind.Reply ? call.Payload.MessageId : null;
                e.Text = EventEffects.Clip(call.Payload.Text, CommunityEvent.TextMaxLength);
                if (call.Payload.ImageId is { } imageId)
                {
                    // An image message, as a member's upload is: the Sandbox keeps its own copy of the bytes.
                    e.MessageKind = MessageKind.Image;
                    e.MediaId = await UploadAsync(call, imageId, ct);
                }
                break;
            case ActionKind.DeleteMessage:
                if (!await HasAsync(call, x => x.Kind == EventKind.MessagePosted && x.MessageId == call.Payload.MessageId, ct))
                    throw new ConnectorException(ErrorCategory.Permanent, "Bad Request: message to delete not found");
                e.Kind = EventKind.MessageDeleted;
                e.MessageId = call.Payload.MessageId;
                e.ActorId = BotUserId;
                e.ActorName = BotName;
                break;
            case ActionKind.Restrict:
                e.Kind = EventKind.MemberRestricted;
                e.UserId = call.Payload.UserId;
                e.UserName = await NameAsync(call, ct) ?? throw new ConnectorException(ErrorCategory.Permanent, "Bad Request: user not found");
                e.ActorId = BotUserId;
                e.ActorName = BotName;
                e.Text = call.Payload.Until?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
                break;
            case ActionKind.Unrestrict:
                // A restriction that ends now: the chat shows the member free to post again, as Telegram's member update would.
                e.Kind = EventKind.MemberRestricted;
                e.UserId = call.Payload.UserId;
                e.UserName = await NameAsync(call, ct) ?? throw new ConnectorException(ErrorCategory.Permanent, "Bad Request: user not found");
                e.ActorId = BotUserId;
                e.ActorName = BotName;
                e.Text = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
                break;
            case ActionKind.Unban:
                // The Sandbox keeps no ban list (a removed person may join again, as after Telegram's remove = ban + unban):
                // there is nothing to lift, and Telegram reports an unban of someone not banned as success too.
                return null;
            case ActionKind.Remove or ActionKind.Ban:
                var name = await NameAsync(call, ct) ?? throw new ConnectorException(ErrorCategory.Permanent, "Bad Request: user not found");
                e.Kind = EventKind.MemberRemoved;
                e.UserId = call.Payload.UserId;
                e.UserName = name;
                e.ActorId = BotUserId;
                e.ActorName = BotName;
                break;
            default:
                throw new ConnectorException(ErrorCategory.Configuration, new Reason("ConnectorError.Cannot", $"The Sandbox cannot {call.Kind}.", new Reason("Platform.Sandbox", "The Sandbox"), ActionError.Kind(call.Kind)));
        }
        await ingestor.IngestAsync([e], ct);
        return e.MessageId;
    }

    /// <summary>
    /// Stores the post's image as the Sandbox's upload, under the action's id, so a repeated call finds it rather than
    /// storing it twice; returns how the message names it.
    /// </summary>
    private async Task<string> UploadAsync(ConnectorCall call, Guid imageId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var uploads = db.Set<SandboxUpload>().IgnoreQueryFilters();
        if (!await uploads.AnyAsync(u => u.Id == call.ActionId, ct))
        {
            var image = await PostMedia.LoadAsync(db, call.WorkspaceId, imageId, ct)
                ?? throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.ImageGone", "The post's image no longer exists."));
            db.Add(new SandboxUpload
            {
                Id = call.ActionId, WorkspaceId = call.WorkspaceId, CommunityId = call.CommunityId,
                FileName = image.FileName, ContentType = image.ContentType, Bytes = image.Bytes,
            });
            await db.SaveChangesWithoutAuditAsync(ct);
        }
        return SandboxUpload.MediaIdOf(call.ActionId);
    }

    private async Task<bool> HasAsync(ConnectorCall call, System.Linq.Expressions.Expression<Func<CommunityEvent, bool>> match, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<CommunityEvent>().Where(x => x.WorkspaceId == call.WorkspaceId && x.CommunityId == call.CommunityId).AnyAsync(match, ct);
    }

    /// <summary>The member's latest name in this chat, or null if they never appeared in it.</summary>
    private async Task<string?> NameAsync(ConnectorCall call, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<CommunityEvent>()
            .Where(x => x.WorkspaceId == call.WorkspaceId && x.CommunityId == call.CommunityId && x.UserId == call.Payload.UserId && x.UserName != null)
            .OrderByDescending(x => x.Seq).Select(x => x.UserName).FirstOrDefaultAsync(ct);
    }
}
