using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace Shequn.Connectors.Telegram;

/// <summary>
/// Acts in Telegram groups through the community's bot (Telegram.Bot against <see cref="TelegramOptions.ApiBaseUrl"/>).
/// <para>
/// What Telegram never reports back to the bot is appended to the event log here, with an id derived from the
/// chat and message, so figures and the activity view show it: the bot's own messages (bots receive no updates
/// for what they post) and deletions (the Bot API has no deletion updates). Member changes the bot makes (ban,
/// removal, restriction, approved join) are NOT logged here: Telegram delivers them as <c>chat_member</c> updates
/// (the bot is an administrator and asks for them), and counting both would count them twice (docs/events.md).
/// </para>
/// <para>
/// Mass-send is a send here: a bot may post in a group directly, there is no owner confirmation as on WeCom, and the
/// same per-chat limits pace it (<see cref="OutboundAction.PostsMessage"/>).
/// </para>
/// </summary>
public sealed partial class TelegramConnector(
    ITelegramBots bots, EventIngestor ingestor, IServiceScopeFactory scopes, IOptions<TelegramOptions> options, ILogger<TelegramConnector> log) : IConnector
{
    private static readonly HashSet<ActionKind> Can = [.. Enum.GetValues<ActionKind>()];

    public ChatPlatform Platform => ChatPlatform.Telegram;

    public IReadOnlySet<ActionKind> Capabilities => Can;

    public RateLimits Limits { get; } = RateLimits.Telegram with { GlobalPerSecond = options.Value.GlobalPerSecond };

    // Telegram has no idempotency key for sendMessage: an interrupted send may have gone out.
    public bool DeduplicatesSends => false;

    public async Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct)
    {
        var bot = await bots.ForCommunityAsync(call.WorkspaceId, call.CommunityId, ct);
        if (bot is null)
        {
            // A refused token is an authorisation failure whoever noticed it first (this dispatch, the poller or the
            // status check): the action says so in Telegram's words and the bot must be reconnected.
            if (await bots.RefusedAsync(call.WorkspaceId, ct) is { } words)
                throw new ConnectorException(ErrorCategory.Auth, new Reason("ConnectorError.TelegramRefused", $"Telegram refused the bot's token ({words}): reconnect the bot.", words));
            throw new ConnectorException(ErrorCategory.Configuration, new Reason("ConnectorError.TelegramNoBot", "No connected Telegram bot serves this workspace: connect one."));
        }
        if (string.IsNullOrEmpty(call.ChatId) || !long.TryParse(call.ChatId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chatId))
            throw new ConnectorException(ErrorCategory.Configuration, new Reason("ConnectorError.TelegramNotLinked", "This community is not linked to a Telegram chat yet."));
        try
        {
            return await DoAsync(bot, chatId, call, ct);
        }
        catch (ApiRequestException e) when (e.Parameters?.MigrateToChatId is { } newId)
        {
            // The basic group became a supergroup (platforms.md B2): the call was refused, so nothing happened; the
            // community now lives at the new id. Remember it and make the call there once.
            await RemapAsync(call, chatId, newId, ct);
            try
            {
                return await DoAsync(bot, newId, call, ct);
            }
            catch (Exception again) when (Map(again) is { } mapped)
            {
                throw mapped;
            }
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            if (mapped.Category == ErrorCategory.Auth)
                await MarkRefusedAsync(bot.BotId, mapped.Message, ct);
            throw mapped;
        }
    }

    /// <summary>
    /// Telegram refused the token mid-dispatch: the connection page and <c>/health</c> say so at once rather than after
    /// the next periodic check, and the workspace's later actions wait for a reconnected bot instead of failing one by one.
    /// </summary>
    private async Task MarkRefusedAsync(long botUserId, string words, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await TelegramStatusCheck.SaveAsync(db.Set<TelegramBot>().IgnoreQueryFilters().Where(b => b.BotUserId == botUserId),
                TelegramBotStatus.Unauthorized, words, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStatusNotSaved(log, botUserId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram refused bot {BotUserId}'s token, and its status could not be saved: {Reason}")]
    private static partial void LogStatusNotSaved(ILogger logger, long botUserId, string reason);

    private async Task<string?> DoAsync(TelegramBotClient bot, long chatId, ConnectorCall call, CancellationToken ct)
    {
        var p = call.Payload;
        switch (call.Kind)
        {
            case ActionKind.Send or ActionKind.MassSend or ActionKind.Reply:
                {
                    var reply = call.Kind == ActionKind.Reply ? new ReplyParameters { MessageId = MessageId(p.MessageId) } : null;
                    var message = p.ImageId is { } imageId
                        ? await SendPhotoAsync(bot, chatId, call.WorkspaceId, imageId, p.Text, reply, ct)
                        : await bot.SendMessage(chatId, p.Text ?? "", replyParameters: reply, cancellationToken: ct);
                    await LogAsync(call, chatId, BotMessage(call, chatId, message, p), ct);
                    return message.Id.ToString(CultureInfo.InvariantCulture);
                }
            case ActionKind.DeleteMessage:
                {
                    var id = MessageId(p.MessageId);
                    try
                    {
                        await bot.DeleteMessage(chatId, id, ct);
                    }
                    catch (ApiRequestException e) when (e.ErrorCode == 400 && e.Message.Contains("message to delete not found", StringComparison.OrdinalIgnoreCase))
                    {
                        // Already gone (a retry after a crash, or deleted by someone else): the wanted state holds.
                        return null;
                    }
                    await LogAsync(call, chatId, new CommunityEvent
                    {
                        PlatformEventId = $"tg:{chatId}:{id}:deleted",
                        Kind = EventKind.MessageDeleted,
                        MessageId = id.ToString(CultureInfo.InvariantCulture),
                        ActorId = bot.BotId.ToString(CultureInfo.InvariantCulture),
                    }, ct);
                    return null;
                }
            case ActionKind.Restrict:
                // A mute: nothing may be sent until the end time (none, or under 30 s / over 366 days: for good).
                await bot.RestrictChatMember(chatId, UserId(p.UserId), new ChatPermissions(false), untilDate: p.Until?.UtcDateTime, cancellationToken: ct);
                return null;
            case ActionKind.Unrestrict:
                // Every permission granted lifts the restriction.
                await bot.RestrictChatMember(chatId, UserId(p.UserId), new ChatPermissions(true), cancellationToken: ct);
                return null;
            case ActionKind.Remove:
                // Ban, then lift the ban, so they are out but may come back (platforms.md B4). A basic group has no
                // unban; there a banned member may simply be added again.
                await bot.BanChatMember(chatId, UserId(p.UserId), cancellationToken: ct);
                if (IsSupergroup(chatId))
                    await bot.UnbanChatMember(chatId, UserId(p.UserId), onlyIfBanned: true, cancellationToken: ct);
                return null;
            case ActionKind.Ban:
                await bot.BanChatMember(chatId, UserId(p.UserId), p.Until?.UtcDateTime, cancellationToken: ct);
                return null;
            case ActionKind.Unban:
                await bot.UnbanChatMember(chatId, UserId(p.UserId), onlyIfBanned: true, cancellationToken: ct);
                return null;
            case ActionKind.CreateInviteLink:
                {
                    if (p.MemberLimit is not null && p.JoinRequest == true)
                        throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.TelegramApprovalLimit", "A link that needs approval cannot have a member limit (Telegram refuses member_limit with creates_join_request)."));
                    var link = await bot.CreateChatInviteLink(chatId, p.Name, p.Until?.UtcDateTime, p.MemberLimit, p.JoinRequest == true, ct);
                    return link.InviteLink;
                }
            case ActionKind.SendInvite:
                {
                    // One person, one link: it lets exactly one member in, and whoever it is forwarded to after that is refused.
                    var user = UserId(p.UserId);
                    var link = await bot.CreateChatInviteLink(chatId, p.Name, p.Until?.UtcDateTime, p.MemberLimit ?? 1, false, ct);
                    var text = string.IsNullOrWhiteSpace(p.Text) ? link.InviteLink : p.Text.TrimEnd() + "\n" + link.InviteLink;
                    try
                    {
                        await bot.SendMessage(user, text, cancellationToken: ct);
                    }
                    catch (ApiRequestException e) when (e.ErrorCode == 403)
                    {
                        // "bot can't initiate conversation with a user" (the member never pressed Start in a chat with the
                        // bot), "bot was blocked by the user", "user is deactivated": no retry helps, and it is not the
                        // workspace's setup either. Permanent for this action; staff send the link made above by hand.
                        throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.TelegramCannotMessage",
                            $"Telegram refused the private message ({Words(e)}): the member has not started a chat with the bot or blocked it; send them the invite link by hand.", Words(e)))
                        {
                            HandOver = p with { InviteLink = link.InviteLink },
                        };
                    }
                    return link.InviteLink;
                }
            case ActionKind.RevokeInviteLink:
                return (await bot.RevokeChatInviteLink(chatId, p.InviteLink ?? "", ct)).InviteLink;
            case ActionKind.ApproveJoin:
                try
                {
                    await bot.ApproveChatJoinRequest(chatId, UserId(p.UserId), ct);
                }
                catch (ApiRequestException e) when (e.ErrorCode == 400)
                {
                    // The request is gone because it was approved already (a retry after a crash): done. Else refused.
                    if (!(await bot.GetChatMember(chatId, UserId(p.UserId), ct)).IsInChat)
                        throw;
                }
                return null;
            case ActionKind.DeclineJoin:
                try
                {
                    await bot.DeclineChatJoinRequest(chatId, UserId(p.UserId), ct);
                }
                catch (ApiRequestException e) when (e.ErrorCode == 400 && e.Message.Contains("HIDE_REQUESTER_MISSING", StringComparison.Ordinal))
                {
                    // No request any more (declined already, or withdrawn): the wanted state holds.
                }
                return null;
            default:
                throw new ConnectorException(ErrorCategory.Configuration, new Reason("ConnectorError.Cannot", $"Telegram cannot {call.Kind}.", new Reason("Platform.Telegram", "Telegram"), ActionError.Kind(call.Kind)));
        }
    }

    /// <summary>A post's image as a photo (uploaded as multipart/form-data from the stored bytes), the text as its caption.</summary>
    private async Task<Message> SendPhotoAsync(TelegramBotClient bot, long chatId, Guid workspaceId, Guid imageId, string? caption, ReplyParameters? reply, CancellationToken ct)
    {
        PostImage? image;
        await using (var scope = scopes.CreateAsyncScope())
            image = await PostMedia.LoadAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), workspaceId, imageId, ct);
        if (image is null)
            throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.ImageGone", "The post's image no longer exists."));
        await using var stream = new MemoryStream(image.Bytes, writable: false);
        return await bot.SendPhoto(chatId, InputFile.FromStream(stream, image.FileName), string.IsNullOrEmpty(caption) ? null : caption,
            replyParameters: reply, cancellationToken: ct);
    }

    /// <summary>Supergroup (and channel) ids are -100 followed by the bare id; basic groups' are not.</summary>
    private static bool IsSupergroup(long chatId) => chatId <= -1_000_000_000_000;

    private static int MessageId(string? id)
    {
        // Our events carry Telegram's message id as is; tolerate a "chat:message" form by its last part.
        var last = id?[((id.LastIndexOf(':') + 1))..];
        return int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.TelegramMessageId", $"'{id}' is not a Telegram message id.", id ?? ""));
    }

    private static long UserId(string? id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ConnectorException(ErrorCategory.Permanent, new Reason("ConnectorError.TelegramUserId", $"'{id}' is not a Telegram user id.", id ?? ""));

    private static CommunityEvent BotMessage(ConnectorCall call, long chatId, Message message, ActionPayload p) => new()
    {
        PlatformEventId = $"tg:{chatId}:{message.Id}",
        Kind = EventKind.MessagePosted,
        UserId = (message.From?.Id ?? 0).ToString(CultureInfo.InvariantCulture),
        UserName = EventEffects.Clip(message.From?.Username ?? message.From?.FirstName, CommunityEvent.NameMaxLength),
        FromStaff = true,
        MessageKind = message.Photo is { Length: > 0 } ? MessageKind.Image : MessageKind.Text,
        MediaId = message.Photo is { Length: > 0 } sizes ? sizes[^1].FileId : null,
        MessageId = message.Id.ToString(CultureInfo.InvariantCulture),
        ReplyToMessageId = call.Kind == ActionKind.Reply ? MessageId(p.MessageId).ToString(CultureInfo.InvariantCulture) : null,
        Text = EventEffects.Clip(message.Text ?? message.Caption ?? p.Text, CommunityEvent.TextMaxLength),
    };

    /// <summary>
    /// Appends what the bot did to the log. The platform has acted by now, so a failure to log must not fail the action
    /// (a retry would act twice): it is logged as a warning and the event is missing from the figures.
    /// </summary>
    private async Task LogAsync(ConnectorCall call, long chatId, CommunityEvent e, CancellationToken ct)
    {
        e.WorkspaceId = call.WorkspaceId;
        e.Platform = ChatPlatform.Telegram;
        e.CommunityId = call.CommunityId;
        e.ActionId = call.ActionId;
        e.ChatId = chatId.ToString(CultureInfo.InvariantCulture);
        e.OccurredAt = DateTime.UtcNow;
        try
        {
            await ingestor.IngestAsync([e], ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogEventLost(log, ex, call.ActionId, e.PlatformEventId);
        }
    }

    /// <summary>Points the community's chat at the supergroup's new id (the updates side may have done so already).</summary>
    private async Task RemapAsync(ConnectorCall call, long oldId, long newId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var chats = db.Set<PlatformChat>().IgnoreQueryFilters().Where(c => c.WorkspaceId == call.WorkspaceId && c.Platform == ChatPlatform.Telegram);
        var newText = newId.ToString(CultureInfo.InvariantCulture);
        var oldText = oldId.ToString(CultureInfo.InvariantCulture);
        if (!await chats.AnyAsync(c => c.ChatId == newText, ct))
            await chats.Where(c => c.ChatId == oldText && c.CommunityId == call.CommunityId).ExecuteUpdateAsync(s => s.SetProperty(c => c.ChatId, newText), ct);
        LogMigrated(log, call.CommunityId, oldId, newId);
    }

    /// <summary>Telegram's answer as one of the outbox's categories, in Telegram's own words (platforms.md B1).</summary>
    public static ConnectorException? Map(Exception e) => e switch
    {
        ConnectorException => null, // already categorised: rethrown as it is
        OperationCanceledException => null, // a timeout or shutdown: the dispatcher decides
        ApiRequestException { ErrorCode: 429 } a => new ConnectorException(ErrorCategory.RateLimited, Words(a),
            TimeSpan.FromSeconds(a.Parameters?.RetryAfter ?? RetryAfterIn(a.Message) ?? 1)),
        ApiRequestException { ErrorCode: 401 or 404 } a => new ConnectorException(ErrorCategory.Auth, Words(a) + " (the bot's token was refused: revoked or wrong)"),
        ApiRequestException { ErrorCode: 403 } a => new ConnectorException(ErrorCategory.Configuration, Words(a)),
        ApiRequestException { ErrorCode: 400 } a when NeedsSetup(a.Message) => new ConnectorException(ErrorCategory.Configuration, Words(a)),
        ApiRequestException { ErrorCode: 400 } a => new ConnectorException(ErrorCategory.Permanent, Words(a)),
        ApiRequestException a => new ConnectorException(ErrorCategory.Transient, Words(a)),
        RequestException r => new ConnectorException(ErrorCategory.Transient, $"Telegram did not answer properly ({(r.HttpStatusCode is { } s ? (int)s + " " : "")}{r.Message})"),
        _ => new ConnectorException(ErrorCategory.Transient, e.Message),
    };

    private static string Words(ApiRequestException a) => $"Telegram {a.ErrorCode}: {a.Message}";

    /// <summary>Refusals that staff fix in Telegram (make the bot an administrator, add it back), not by changing the action.</summary>
    private static bool NeedsSetup(string description) =>
        description.Contains("not enough rights", StringComparison.OrdinalIgnoreCase)
        || description.Contains("chat not found", StringComparison.OrdinalIgnoreCase)
        || description.Contains("CHAT_ADMIN_REQUIRED", StringComparison.Ordinal)
        || description.Contains("group chat was upgraded", StringComparison.OrdinalIgnoreCase);

    /// <summary>Older 429 bodies carry the wait only in the text ("Too Many Requests: retry after 134").</summary>
    private static int? RetryAfterIn(string description)
    {
        var at = description.LastIndexOf("retry after ", StringComparison.OrdinalIgnoreCase);
        return at >= 0 && int.TryParse(description[(at + 12)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Action {ActionId} was done in Telegram but its event {EventId} could not be logged")]
    private static partial void LogEventLost(ILogger logger, Exception ex, Guid actionId, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Community {CommunityId}: Telegram chat {OldId} is now supergroup {NewId}")]
    private static partial void LogMigrated(ILogger logger, Guid communityId, long oldId, long newId);
}
