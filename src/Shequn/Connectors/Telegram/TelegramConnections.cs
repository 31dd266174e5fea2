using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Platform.Api;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;

namespace Shequn.Connectors.Telegram;

public sealed record TelegramBotInput(string? Token, string? Mode);

public sealed record TelegramBotDto(
    Guid Id, long BotUserId, string Username, string Token, TelegramUpdateMode Mode, TelegramBotStatus Status, string? StatusDetail,
    DateTime StatusAt, DateTime CreatedAt);

public sealed record TelegramChatDto(
    Guid Id, long ChatId, long? MigratedFromChatId, string Title, string Type, string BotStatus, TelegramChatApproval Approval,
    Guid? CommunityId, string? AddedByName, DateTime SeenAt);

public sealed record TelegramConnectionDto(IReadOnlyList<TelegramBotDto> Bots, IReadOnlyList<TelegramChatDto> Chats);

public sealed record TelegramConnectResult(EditOutcome Outcome, Validation Validation, TelegramBotDto? Bot = null);

/// <summary>
/// Connecting bots and deciding about the groups they are added to; the one class the API and the console page call.
/// Only roles that may create communities (owner, sub-owner, admin) change anything; everyone else may read. The token
/// is checked with <c>getMe</c>, stored encrypted and shown masked; it never appears in a log or an audit row.
/// </summary>
public sealed partial class TelegramConnections(
    AppDbContext db, TelegramSecrets secrets, TelegramClients clients, TelegramBotDirectory directory, TelegramUpdates updates,
    IOptions<TelegramOptions> options)
{
    /// <summary>Always named explicitly: without a list Telegram keeps the previous one, and by default sends no chat_member.</summary>
    public static readonly UpdateType[] AllowedUpdates =
        [UpdateType.Message, UpdateType.EditedMessage, UpdateType.MyChatMember, UpdateType.ChatMember, UpdateType.ChatJoinRequest];

    [GeneratedRegex("^[0-9]{1,16}:[A-Za-z0-9_-]{1,200}$")]
    private static partial Regex TokenShape();

    public async Task<bool> CanManageAsync(CancellationToken ct = default) =>
        (await db.Current.GetProfileAsync(db, ct))?.CanCreateCommunities == true;

    public async Task<TelegramConnectionDto> ReadAsync(CancellationToken ct = default)
    {
        var bots = await db.Set<TelegramBot>().AsNoTracking().OrderBy(b => b.CreatedAt).ToListAsync(ct);
        var chats = await db.Set<TelegramChat>().AsNoTracking().OrderBy(c => c.Approval).ThenByDescending(c => c.SeenAt).ToListAsync(ct);
        return new TelegramConnectionDto([.. bots.Select(Dto)], [.. chats.Select(Dto)]);
    }

    public async Task<TelegramConnectResult> ConnectAsync(TelegramBotInput input, CancellationToken ct = default)
    {
        if (!await CanManageAsync(ct))
            return new TelegramConnectResult(EditOutcome.Forbidden, new Validation());
        var v = new Validation();
        var token = input.Token?.Trim() ?? "";
        if (token.Length == 0)
            v.Add("token", "Required", "'token' (the bot token from @BotFather) is required.");
        else if (!TokenShape().IsMatch(token))
            v.Add("token", "TelegramTokenMalformed", "'token' does not look like a bot token (digits, a colon, then letters, digits, _ and -).");
        var mode = TelegramUpdateMode.Webhook;
        if (!string.IsNullOrWhiteSpace(input.Mode) && !EventInputs.TryParseEnum(input.Mode, out mode))
            v.Add("mode", "UnknownValue", "'mode' must be webhook or polling.", input.Mode);
        if (mode == TelegramUpdateMode.Webhook && string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl) && v.IsValid)
            v.Add("mode", "TelegramNoPublicUrl", "Webhook mode needs this server's public address (Telegram:PublicBaseUrl); use polling instead.");
        if (!v.IsValid)
            return new TelegramConnectResult(EditOutcome.Invalid, v);

        var botUserId = long.Parse(token[..token.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        var existing = await db.Set<TelegramBot>().IgnoreQueryFilters().SingleOrDefaultAsync(b => b.BotUserId == botUserId, ct);
        if (existing is not null && existing.WorkspaceId != db.CurrentWorkspaceId)
            return new TelegramConnectResult(EditOutcome.Invalid, v.Add("token", "TelegramBotElsewhere", "This bot is already connected to another workspace."));

        var client = clients.For(token);
        global::Telegram.Bot.Types.User me;
        try
        {
            me = await client.GetMe(ct);
        }
        catch (ApiRequestException e) when (e.ErrorCode is 401 or 404)
        {
            return new TelegramConnectResult(EditOutcome.Invalid, v.Add("token", "TelegramTokenRefused", "Telegram refused this token (revoked or mistyped)."));
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new TelegramConnectResult(EditOutcome.Invalid, v.Add("token", "TelegramUnreachable", "Telegram could not be reached; try again."));
        }

        var secret = NewWebhookSecret();
        try
        {
            if (mode == TelegramUpdateMode.Webhook)
                await client.SetWebhook(WebhookUrl(botUserId), allowedUpdates: AllowedUpdates, secretToken: secret, cancellationToken: ct);
            else
                await client.DeleteWebhook(cancellationToken: ct);
        }
        catch (ApiRequestException e)
        {
            return new TelegramConnectResult(EditOutcome.Invalid,
                v.Add("mode", "TelegramWebhookRefused", "Telegram refused the webhook: {0}", e.Message));
        }

        var bot = existing ?? new TelegramBot { WorkspaceId = db.CurrentWorkspaceId, BotUserId = botUserId, Username = "", ProtectedToken = "", ProtectedWebhookSecret = "" };
        bot.Username = me.Username ?? me.FirstName;
        bot.ProtectedToken = secrets.Protect(token);
        bot.ProtectedWebhookSecret = secrets.Protect(secret);
        bot.Mode = mode;
        bot.Status = TelegramBotStatus.Connected;
        bot.StatusDetail = null;
        bot.StatusAt = DateTime.UtcNow;
        bot.UpdatedAt = DateTime.UtcNow;
        if (existing is null)
            db.Set<TelegramBot>().Add(bot);
        await db.SaveChangesAsync(ct);
        directory.Forget(botUserId);
        return new TelegramConnectResult(EditOutcome.Saved, v, Dto(bot));
    }

    public async Task<EditOutcome> DisconnectAsync(Guid id, CancellationToken ct = default)
    {
        var bot = await db.Set<TelegramBot>().SingleOrDefaultAsync(b => b.Id == id, ct);
        if (bot is null)
            return EditOutcome.NotFound;
        if (!await CanManageAsync(ct))
            return EditOutcome.Forbidden;
        // Gone from Shequn either way: if Telegram cannot be told, its pushes are then refused (403).
        if (bot.Mode == TelegramUpdateMode.Webhook && bot.Status == TelegramBotStatus.Connected)
            await TryDeleteWebhookAsync(clients, secrets, bot.ProtectedToken, ct);
        // Approved groups keep their communities; groups still waiting go with the bot.
        await db.Set<TelegramChat>().Where(c => c.BotId == id && c.Approval != TelegramChatApproval.Approved).ExecuteDeleteAsync(ct);
        db.Remove(bot);
        await db.SaveChangesAsync(ct);
        directory.Forget(bot.BotUserId);
        return EditOutcome.Saved;
    }

    /// <summary>
    /// Asks Telegram to stop pushing a bot's updates (deleteWebhook); returns the failure's kind, or null once done.
    /// A bot leaving Shequn goes either way, so a failure is reported, not thrown.
    /// </summary>
    public static async Task<string?> TryDeleteWebhookAsync(TelegramClients clients, TelegramSecrets secrets, string protectedToken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(secrets);
        try
        {
            await clients.For(secrets.Unprotect(protectedToken)).DeleteWebhook(cancellationToken: ct);
            return null;
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or CryptographicException)
        {
            return e.GetType().Name;
        }
    }

    /// <summary>Asks Telegram (getMe) whether the token still works and records the answer.</summary>
    public async Task<TelegramBotDto?> CheckAsync(Guid id, CancellationToken ct = default)
    {
        var bot = await db.Set<TelegramBot>().SingleOrDefaultAsync(b => b.Id == id, ct);
        if (bot is null)
            return null;
        await TelegramStatusCheck.CheckAsync(bot, clients, secrets, ct);
        await db.SaveChangesWithoutAuditAsync(ct);
        return Dto(bot);
    }

    /// <summary>Approves a group: it becomes a community (or joins the one already mapped to its chat), and its events apply from now on.</summary>
    public async Task<(EditOutcome Outcome, Guid? CommunityId)> ApproveAsync(Guid id, CancellationToken ct = default)
    {
        var chat = await db.Set<TelegramChat>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
            return (EditOutcome.NotFound, null);
        if (!await CanManageAsync(ct))
            return (EditOutcome.Forbidden, null);
        if (chat.Approval == TelegramChatApproval.Approved)
            return (EditOutcome.Saved, chat.CommunityId);
        var chatKey = chat.ChatId.ToString(CultureInfo.InvariantCulture);
        var mapped = await db.Set<PlatformChat>().SingleOrDefaultAsync(p => p.Platform == ChatPlatform.Telegram && p.ChatId == chatKey, ct);
        var communityId = mapped?.CommunityId;
        if (communityId is null)
        {
            var community = new Community
            {
                WorkspaceId = db.CurrentWorkspaceId,
                Name = await FreeNameAsync(chat.Title, ct),
                Platform = ChatPlatform.Telegram,
                Capacity = 500,
                Type = CommunityType.Content,
                Tier = CommunityTier.Comprehensive,
            };
            db.Communities.Add(community);
            db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = db.CurrentWorkspaceId, Platform = ChatPlatform.Telegram, ChatId = chatKey, CommunityId = community.Id });
            communityId = community.Id;
        }
        chat.Approval = TelegramChatApproval.Approved;
        chat.CommunityId = communityId;
        chat.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
        updates.Forget(chat.WorkspaceId, chat.ChatId);
        return (EditOutcome.Saved, communityId);
    }

    public async Task<EditOutcome> IgnoreAsync(Guid id, CancellationToken ct = default)
    {
        var chat = await db.Set<TelegramChat>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null)
            return EditOutcome.NotFound;
        if (!await CanManageAsync(ct))
            return EditOutcome.Forbidden;
        if (chat.Approval == TelegramChatApproval.Approved)
            return EditOutcome.Invalid;
        chat.Approval = TelegramChatApproval.Ignored;
        chat.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesWithoutAuditAsync(ct);
        return EditOutcome.Saved;
    }

    private async Task<string> FreeNameAsync(string title, CancellationToken ct)
    {
        var baseName = string.IsNullOrWhiteSpace(title) ? "Telegram" : title.Trim();
        if (baseName.Length > Community.NameMaxLength - 6)
            baseName = baseName[..(Community.NameMaxLength - 6)];
        var name = baseName;
        for (var n = 2; await db.Communities.AnyAsync(c => c.Name == name, ct); n++)
            name = $"{baseName} ({n})";
        return name;
    }

    private string WebhookUrl(long botUserId) =>
        $"{options.Value.PublicBaseUrl!.TrimEnd('/')}/telegram/webhook/{botUserId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>32 characters from the alphabet Telegram allows in <c>secret_token</c> (A-Z a-z 0-9 _ -).</summary>
    public static string NewWebhookSecret() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 32);

    private TelegramBotDto Dto(TelegramBot b) =>
        new(b.Id, b.BotUserId, b.Username, TelegramBot.Mask(secrets.Unprotect(b.ProtectedToken)), b.Mode, b.Status, b.StatusDetail, b.StatusAt, b.CreatedAt);

    private static TelegramChatDto Dto(TelegramChat c) =>
        new(c.Id, c.ChatId, c.MigratedFromChatId, c.Title, c.Type, c.BotStatus, c.Approval, c.CommunityId, c.AddedByName, c.SeenAt);
}

/// <summary>Whether a bot's token still works, by asking <c>getMe</c>: 401/404 is Unauthorized, other failures Error.</summary>
public static class TelegramStatusCheck
{
    public static async Task CheckAsync(TelegramBot bot, TelegramClients clients, TelegramSecrets secrets, CancellationToken ct)
    {
        try
        {
            await clients.For(secrets.Unprotect(bot.ProtectedToken)).GetMe(ct);
            Set(bot, TelegramBotStatus.Connected, null);
        }
        catch (ApiRequestException e) when (e.ErrorCode is 401 or 404)
        {
            Set(bot, TelegramBotStatus.Unauthorized, $"Telegram {e.ErrorCode}: {e.Message}");
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            Set(bot, TelegramBotStatus.Error, e.Message);
        }
    }

    public static void Set(TelegramBot bot, TelegramBotStatus status, string? detail)
    {
        detail = Clip(detail);
        if (bot.Status == status && bot.StatusDetail == detail)
            return;
        bot.Status = status;
        bot.StatusDetail = detail;
        bot.StatusAt = DateTime.UtcNow;
    }

    /// <summary>
    /// The same as <see cref="Set"/> without loading the rows: what a poller or the connector learned from a call, written
    /// only where it changes something.
    /// </summary>
    public static Task<int> SaveAsync(IQueryable<TelegramBot> bots, TelegramBotStatus status, string? detail, CancellationToken ct)
    {
        detail = Clip(detail);
        var now = DateTime.UtcNow;
        return bots.Where(b => b.Status != status || b.StatusDetail != detail)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, status).SetProperty(b => b.StatusDetail, detail).SetProperty(b => b.StatusAt, now), ct);
    }

    private static string? Clip(string? detail) => detail is { Length: > 1000 } ? detail[..1000] : detail;
}
