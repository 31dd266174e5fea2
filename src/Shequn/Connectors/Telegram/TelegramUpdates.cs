using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Telegram.Bot.Types;

namespace Shequn.Connectors.Telegram;

/// <summary>A connected bot as the update paths need it: whose it is, and the webhook secret's bytes.</summary>
public sealed record ConnectedBot(Guid Id, Guid WorkspaceId, long BotUserId, TelegramUpdateMode Mode, byte[] WebhookSecret);

/// <summary>
/// Where webhook and polling updates go. Updates become events (<see cref="TelegramUpdateMapper"/>) stored through the
/// <see cref="EventIngestor"/>; the call returns once they are durable, so the caller may then acknowledge them. Facts
/// about groups (the bot added or removed, a migration, a group seen for the first time) and updates Shequn has no
/// meaning for are written to the connector's own tables first, in the same call. Those are rare; plain messages touch
/// nothing but the log.
/// </summary>
public sealed partial class TelegramUpdates(IServiceScopeFactory scopes, EventIngestor ingestor, ILogger<TelegramUpdates> log)
{
    /// <summary>Groups known to have a <see cref="TelegramChat"/> row, per workspace (this node's memory).</summary>
    private readonly ConcurrentDictionary<(Guid, long), Task> _knownChats = new();

    public async Task HandleAsync(ConnectedBot bot, Update update, Func<string>? raw, CancellationToken ct)
    {
        var mapped = TelegramUpdateMapper.Map(update, bot.BotUserId, bot.WorkspaceId);
        if (mapped.BotStatus is not null || mapped.Migration is not null || mapped.Unknown is not null)
            await RecordAsync(bot, update, mapped, raw, ct);
        if (mapped.Chat is { } chat)
            await EnsureChatAsync(bot, chat, ct);
        if (mapped.Events.Count > 0)
            await ingestor.IngestAsync(mapped.Events, ct);
    }

    /// <summary>Forgets what this node knows about groups (after a migration or approval elsewhere it re-reads).</summary>
    public void Forget(Guid workspaceId, long chatId) => _knownChats.TryRemove((workspaceId, chatId), out _);

    private Task EnsureChatAsync(ConnectedBot bot, Chat chat, CancellationToken ct)
    {
        var key = (bot.WorkspaceId, chat.Id);
        var task = _knownChats.GetOrAdd(key, _ => InsertChatAsync(bot, chat));
        if (task.IsFaulted || task.IsCanceled)
            _knownChats.TryRemove(new KeyValuePair<(Guid, long), Task>(key, task));
        return task.IsCompletedSuccessfully ? Task.CompletedTask : task.WaitAsync(ct);
    }

    /// <summary>A group seen for the first time (the bot was there before it was connected): it waits for approval.</summary>
    private async Task InsertChatAsync(ConnectedBot bot, Chat chat)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(bot.WorkspaceId);
        if (await FindAsync(db, chat.Id, CancellationToken.None) is not null)
            return;
        db.Set<TelegramChat>().Add(new TelegramChat
        {
            WorkspaceId = bot.WorkspaceId,
            BotId = bot.Id,
            ChatId = chat.Id,
            Title = chat.Title ?? chat.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Type = TelegramUpdateMapper.Spell(chat.Type),
            BotStatus = "member",
        });
        try
        {
            await db.SaveChangesWithoutAuditAsync(CancellationToken.None);
        }
        catch (DbUpdateException)
        {
            // Another node (or request) recorded it first.
        }
    }

    private static Task<TelegramChat?> FindAsync(AppDbContext db, long chatId, CancellationToken ct) =>
        db.Set<TelegramChat>().SingleOrDefaultAsync(c => c.ChatId == chatId, ct);

    private async Task RecordAsync(ConnectedBot bot, Update update, TelegramMapped mapped, Func<string>? raw, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(bot.WorkspaceId);

        if (mapped.Unknown is { } reason)
        {
            LogKeptRaw(log, update.Id, bot.BotUserId, reason);
            if (!await db.Set<TelegramRawUpdate>().AnyAsync(r => r.BotUserId == bot.BotUserId && r.UpdateId == update.Id, ct))
            {
                var json = raw?.Invoke() ?? System.Text.Json.JsonSerializer.Serialize(update, global::Telegram.Bot.JsonBotAPI.Options);
                db.Set<TelegramRawUpdate>().Add(new TelegramRawUpdate
                {
                    WorkspaceId = bot.WorkspaceId,
                    BotUserId = bot.BotUserId,
                    UpdateId = update.Id,
                    Reason = reason.Length <= 200 ? reason : reason[..200],
                    Json = json.Length <= TelegramRawUpdate.JsonMaxLength ? json : json[..TelegramRawUpdate.JsonMaxLength],
                });
            }
        }

        if (mapped.BotStatus is { } status)
        {
            var chat = await FindAsync(db, status.ChatId, ct);
            if (chat is null)
            {
                chat = new TelegramChat
                {
                    WorkspaceId = bot.WorkspaceId, BotId = bot.Id, ChatId = status.ChatId, Title = status.Title, Type = status.Type,
                    BotStatus = "left",
                };
                db.Set<TelegramChat>().Add(chat);
            }
            var wasIn = chat.BotIsIn;
            chat.BotStatus = status.Status;
            chat.Title = status.Title;
            chat.Type = status.Type;
            chat.BotId = bot.Id;
            chat.UpdatedAt = DateTime.UtcNow;
            if (!wasIn && chat.BotIsIn)
            {
                chat.AddedById = status.ById;
                chat.AddedByName = status.ByName;
                chat.SeenAt = DateTime.UtcNow;
                // Added again after staff ignored the group: ask again.
                if (chat.Approval == TelegramChatApproval.Ignored)
                    chat.Approval = TelegramChatApproval.Pending;
            }
            _knownChats[(bot.WorkspaceId, status.ChatId)] = Task.CompletedTask;
        }

        if (mapped.Migration is { } move)
            await MigrateAsync(db, bot, move, ct);

        try
        {
            await db.SaveChangesWithoutAuditAsync(ct);
        }
        catch (DbUpdateException) when (mapped.BotStatus is null && mapped.Migration is null)
        {
            // The same unknown update raced in twice; one copy is kept.
        }
    }

    /// <summary>The group keeps its row, its approval and its community; only the id moves (old id remembered).</summary>
    private async Task MigrateAsync(AppDbContext db, ConnectedBot bot, TelegramMigration move, CancellationToken ct)
    {
        var old = await FindAsync(db, move.FromChatId, ct);
        if (old is null)
            return; // already moved (the other half of the pair), or never seen
        var fresh = await FindAsync(db, move.ToChatId, ct);
        if (fresh is not null && (fresh.MigratedFromChatId == move.FromChatId || (fresh.Approval == TelegramChatApproval.Approved && old.Approval != TelegramChatApproval.Approved)))
        {
            // Moved already (the other half of the pair); a row made for the old id since is a stray.
            db.Remove(old);
            return;
        }
        if (fresh is not null)
        {
            // An update from the new supergroup arrived first and made a row of its own: the old one wins.
            db.Remove(fresh);
            await db.SaveChangesWithoutAuditAsync(ct);
        }
        old.MigratedFromChatId = move.FromChatId;
        old.ChatId = move.ToChatId;
        old.Type = "supergroup";
        old.UpdatedAt = DateTime.UtcNow;
        var from = move.FromChatId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var to = move.ToChatId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var mapping = await db.Set<PlatformChat>().SingleOrDefaultAsync(p => p.Platform == ChatPlatform.Telegram && p.ChatId == from, ct);
        if (mapping is not null && !await db.Set<PlatformChat>().AnyAsync(p => p.Platform == ChatPlatform.Telegram && p.ChatId == to, ct))
            mapping.ChatId = to;
        Forget(bot.WorkspaceId, move.FromChatId);
        _knownChats[(bot.WorkspaceId, move.ToChatId)] = Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram update {UpdateId} of bot {BotUserId} kept raw and skipped: {Reason}")]
    private static partial void LogKeptRaw(ILogger logger, long updateId, long botUserId, string reason);
}
