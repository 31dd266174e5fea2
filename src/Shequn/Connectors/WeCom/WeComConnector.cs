using System.Text;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;

namespace Shequn.Connectors.WeCom;

/// <summary>
/// WeCom customer groups. The platform lets an app do very little in them (platforms.md A4): it cannot remove, ban or
/// mute external members, delete messages or post silently. The one way to put words in a group is a mass-send task
/// (<c>add_msg_template</c>, chat_type group) that the group's owner must confirm on the phone, at most one per group
/// per day. So <see cref="ActionKind.Send"/> and <see cref="ActionKind.MassSend"/> both make such a task: the action is
/// Done with the task's msgid as soon as WeCom accepted it, and a <see cref="WeComGroupMessage"/> row follows it
/// ("waiting for the owner's confirmation", then sent or not) as <see cref="WeComSync"/> polls the results.
/// Everything else becomes a staff task with ready-to-paste text (the dispatcher does that from the capabilities).
/// </summary>
public sealed class WeComConnector(IServiceScopeFactory scopes, WeComApi api, WeComSecrets secrets, WeComSyncSignal signal) : IConnector
{
    /// <summary>add_msg_template's limit on text.content (bytes of UTF-8).</summary>
    public const int TextMaxBytes = 4000;

    private static readonly HashSet<ActionKind> Can = [ActionKind.Send, ActionKind.MassSend];

    public ChatPlatform Platform => ChatPlatform.WeCom;

    public IReadOnlySet<ActionKind> Capabilities => Can;

    // WeCom publishes no per-group pace for these tasks (the real limit is one mass message per group per day, which
    // WeCom enforces when sending); the global pace keeps well under its per-corp API frequency limits.
    public RateLimits Limits { get; } = new(null, null, 10);

    public bool DeduplicatesSends => false;

    public async Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct)
    {
        var text = call.Payload.Text ?? "";
        // add_msg_template takes text, attachments or both, never neither.
        if (text.Length == 0 && call.Payload.ImageId is null && call.Payload.MiniProgram is null)
            throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.WeComNeedsText", "WeCom needs text for a group message."));
        if (Encoding.UTF8.GetByteCount(text) > TextMaxBytes)
            throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.WeComTextTooLong", $"WeCom takes at most {TextMaxBytes} bytes of text in a group message.", TextMaxBytes));
        if (call.ChatId is null)
            throw new ConnectorException(ErrorCategory.Configuration, new Reason("ConnectorError.WeComNotLinked", "This community is not linked to a WeCom customer group."));

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var chat = await db.Set<WeComChat>().IgnoreQueryFilters()
            .Where(c => c.WorkspaceId == call.WorkspaceId && c.ChatId == call.ChatId && !c.Dismissed).FirstOrDefaultAsync(ct)
            ?? throw new ConnectorException(ErrorCategory.Configuration, new Reason("ConnectorError.WeComNoCorp", "No connected WeCom corp has this customer group."));
        var connection = await db.Set<WeComConnection>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == chat.ConnectionId, ct);
        var cred = secrets.Credentials(connection);
        try
        {
            // The task's sender must be the group's owner; a group not fetched yet is asked for it.
            var owner = chat.Owner ?? (await api.GetGroupChatAsync(cred, chat.ChatId, ct)).Owner
                ?? throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.WeComNoOwner", "WeCom names no owner for this group."));
            var attachments = await AttachmentsAsync(db, cred, call, ct);
            var result = await api.AddGroupMsgTemplateAsync(cred, owner, [chat.ChatId], text, ct, attachments);
            if (result.FailList?.Contains(chat.ChatId) == true)
                throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.WeComFailList", "WeCom refused the group for a mass-send task (fail_list)."));
            db.Add(new WeComGroupMessage
            {
                WorkspaceId = call.WorkspaceId,
                ConnectionId = connection.Id,
                CommunityId = call.CommunityId,
                ActionId = call.ActionId,
                MsgId = result.Msgid,
                ChatId = chat.ChatId,
                Sender = owner,
                Text = text,
            });
            await db.SaveChangesWithoutAuditAsync(ct);
            signal.Notify();
            return result.Msgid;
        }
        catch (WeComApiException e)
        {
            if (e.Category == ErrorCategory.Auth)
                await WeComSync.SetStatusAsync(db, connection.Id, WeComConnectionStatus.AuthFailed, e.Message, null, CancellationToken.None);
            throw e.ToConnectorException();
        }
        catch (HttpRequestException e)
        {
            throw new ConnectorException(ErrorCategory.Transient, "WeCom unreachable: " + e.Message);
        }
    }

    /// <summary>
    /// The post's image and mini-program card as add_msg_template attachments: each image is uploaded as temporary media
    /// first (its media_id lasts 3 days, so every send uploads afresh rather than keeping ids that may have expired).
    /// </summary>
    private async Task<List<object>> AttachmentsAsync(AppDbContext db, WeComCredentials cred, ConnectorCall call, CancellationToken ct)
    {
        var attachments = new List<object>();
        if (call.Payload.ImageId is { } imageId)
            attachments.Add(WeComApi.ImageAttachment(await UploadAsync(db, cred, call.WorkspaceId, imageId, ct)));
        if (call.Payload.MiniProgram is { } card)
        {
            var cover = await UploadAsync(db, cred, call.WorkspaceId, card.CoverImageId, ct);
            attachments.Add(WeComApi.MiniProgramAttachment(card.Title, cover, card.AppId, card.Page));
        }
        return attachments;
    }

    private async Task<string> UploadAsync(AppDbContext db, WeComCredentials cred, Guid workspaceId, Guid imageId, CancellationToken ct)
    {
        var image = await PostMedia.LoadAsync(db, workspaceId, imageId, ct)
            ?? throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.ImageGone", "The post's image no longer exists."));
        return await api.UploadMediaAsync(cred, "image", image.FileName, image.ContentType, image.Bytes, ct);
    }
}
