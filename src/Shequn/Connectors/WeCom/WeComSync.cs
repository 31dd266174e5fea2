using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Outbox;

namespace Shequn.Connectors.WeCom;

/// <summary>Wakes the sync when a callback marked a group for a re-fetch or a mass-send task was made on this node.</summary>
public sealed class WeComSyncSignal
{
    private readonly EventLogSignal _inner = new();

    public void Notify() => _inner.Notify();

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _inner.WaitAsync(timeout, ct);
}

/// <summary>
/// Keeps Shequn's picture of each connected corp's customer groups true. Changes made through the API produce no
/// callbacks (platforms.md A2), and callbacks can be lost, so at start and every <see cref="WeComOptions.SyncInterval"/>
/// every group is listed (<c>groupchat/list</c>) and fetched (<c>groupchat/get</c>); in between, only the groups a
/// callback marked are fetched, and waiting mass-send tasks are polled for their results. A connection is worked on by
/// one node at a time: the node claims it with a lease on its row (a conditional UPDATE, so two nodes on one PostgreSQL
/// never sync the same corp at once). Every pass records the connection's status with WeCom's words.
/// </summary>
public sealed partial class WeComSync(
    IServiceScopeFactory scopes, WeComApi api, WeComSecrets secrets, EventIngestor ingestor, WeComSyncSignal signal,
    TimeProvider time, IOptions<WeComOptions> options, ILogger<WeComSync> log) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan FollowFor = TimeSpan.FromDays(7);

    /// <summary>This node's name on the leases it holds.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SyncEnabled)
            return;
        // The first pass after start is a full sync of every corp: nothing was heard while the app was down.
        var force = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SyncOnceAsync(force, stoppingToken);
                force = false;
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over every connection this node can claim; <paramref name="force"/> makes each a full sync.</summary>
    public async Task SyncOnceAsync(bool force, CancellationToken ct)
    {
        List<Guid> ids;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            ids = await db.Set<WeComConnection>().IgnoreQueryFilters().Select(c => c.Id).ToListAsync(ct);
        }
        foreach (var id in ids)
            await SyncConnectionAsync(id, force, ct);
    }

    /// <summary>Syncs one connection if this node gets its lease; false when another node holds it.</summary>
    public async Task<bool> SyncConnectionAsync(Guid connectionId, bool force, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var connections = db.Set<WeComConnection>().IgnoreQueryFilters().Where(c => c.Id == connectionId);
        var claimed = await connections
            .Where(c => c.SyncLeaseUntil == null || c.SyncLeaseUntil < now || c.SyncLeaseOwner == Owner)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.SyncLeaseOwner, Owner).SetProperty(c => c.SyncLeaseUntil, now + Lease), ct);
        if (claimed == 0)
            return false;
        try
        {
            var connection = await connections.AsNoTracking().SingleAsync(ct);
            var full = force || connection.LastSyncAt is null || connection.LastSyncAt + options.Value.SyncInterval <= now;
            try
            {
                var cred = secrets.Credentials(connection);
                if (full)
                    await FullSyncAsync(connection, cred, ct);
                else
                    await RefreshMarkedAsync(connection, cred, ct);
                await PollGroupMessagesAsync(connection, cred, ct);
                await SetStatusAsync(db, connectionId, WeComConnectionStatus.Connected, null, full ? time.GetUtcNow().UtcDateTime : null, ct);
            }
            catch (WeComApiException e)
            {
                LogSyncFailed(log, connectionId, e.Message);
                await SetStatusAsync(db, connectionId, e.Category == ErrorCategory.Auth ? WeComConnectionStatus.AuthFailed : WeComConnectionStatus.Error, e.Message, null, ct);
            }
            catch (HttpRequestException e)
            {
                LogSyncFailed(log, connectionId, e.Message);
                await SetStatusAsync(db, connectionId, WeComConnectionStatus.Error, "WeCom unreachable: " + e.Message, null, ct);
            }
        }
        finally
        {
            await connections.Where(c => c.SyncLeaseOwner == Owner)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.SyncLeaseOwner, (string?)null).SetProperty(c => c.SyncLeaseUntil, (DateTime?)null), CancellationToken.None);
        }
        return true;
    }

    /// <summary>Records what WeCom said, without an audit row (no staff member changed anything).</summary>
    public static Task SetStatusAsync(AppDbContext db, Guid connectionId, WeComConnectionStatus status, string? detail, DateTime? syncedAt, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var row = db.Set<WeComConnection>().IgnoreQueryFilters().Where(c => c.Id == connectionId);
        detail = EventEffects.Clip(detail, 1000);
        return syncedAt is { } at
            ? row.ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, status).SetProperty(c => c.StatusDetail, detail).SetProperty(c => c.StatusAt, now)
                .SetProperty(c => c.LastSyncAt, at), ct)
            : row.ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, status).SetProperty(c => c.StatusDetail, detail).SetProperty(c => c.StatusAt, now), ct);
    }

    private async Task FullSyncAsync(WeComConnection connection, WeComCredentials cred, CancellationToken ct)
    {
        var chatIds = new List<string>();
        string? cursor = null;
        do
        {
            var page = await api.ListGroupChatsAsync(cred, cursor, 1000, ct);
            chatIds.AddRange(page.GroupChatList.Select(g => g.ChatId));
            cursor = page.NextCursor;
        }
        while (!string.IsNullOrEmpty(cursor));
        foreach (var chatId in chatIds.Distinct())
            await RefreshAsync(connection, cred, chatId, ct);
        // Groups marked by a callback but no longer listed (dismissed meanwhile) are still fetched once.
        await RefreshMarkedAsync(connection, cred, ct);
    }

    private async Task RefreshMarkedAsync(WeComConnection connection, WeComCredentials cred, CancellationToken ct)
    {
        List<string> marked;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            marked = await db.Set<WeComChat>().IgnoreQueryFilters().Where(c => c.ConnectionId == connection.Id && c.NeedsRefresh)
                .Select(c => c.ChatId).ToListAsync(ct);
        }
        foreach (var chatId in marked)
            await RefreshAsync(connection, cred, chatId, ct);
    }

    /// <summary>
    /// Fetches one group and reconciles: members WeCom lists that the log does not have joined (at their join time,
    /// with name, inviter and join-way state), members the log has that WeCom no longer lists left, changed names are
    /// nickname changes, a new group name renames the community. Event ids come from the content, so a repeated
    /// re-fetch adds nothing.
    /// </summary>
    public async Task RefreshAsync(WeComConnection connection, WeComCredentials cred, string chatId, CancellationToken ct)
    {
        WeComGroupChat group;
        try
        {
            group = await api.GetGroupChatAsync(cred, chatId, ct);
        }
        catch (WeComApiException e) when (e.Category is ErrorCategory.Permanent or ErrorCategory.Configuration)
        {
            // The group is gone or out of the app's reach: stop asking about it.
            LogChatUnavailable(log, chatId, e.Message);
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.Set<WeComChat>().IgnoreQueryFilters().Where(c => c.ConnectionId == connection.Id && c.ChatId == chatId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.NeedsRefresh, false), ct);
            return;
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var chat = await db.Set<WeComChat>().IgnoreQueryFilters().SingleOrDefaultAsync(c => c.ConnectionId == connection.Id && c.ChatId == chatId, ct);
            if (chat is null)
            {
                chat = new WeComChat { WorkspaceId = connection.WorkspaceId, ConnectionId = connection.Id, ChatId = chatId };
                db.Add(chat);
            }
            var now = time.GetUtcNow().UtcDateTime;
            var known = WeComMembers.Read(chat.Members);
            var fetched = (group.MemberList ?? []).GroupBy(m => m.Userid).Select(g => g.First()).ToList();
            var title = EventEffects.Clip(string.IsNullOrWhiteSpace(group.Name) ? null : group.Name.Trim(), CommunityEvent.NameMaxLength);
            var events = new List<CommunityEvent>();
            var revision = chat.Revision + 1;
            CommunityEvent Add(string id, EventKind kind, DateTime at)
            {
                var e = WeComCallbackReceiver.Event(connection, id, kind, at, chatId);
                e.ChatTitle = title;
                events.Add(e);
                return e;
            }

            if (title is not null && chat.Name != title)
                Add($"{chatId}:name:{revision}", EventKind.CommunityRenamed, now).Text = title;
            foreach (var m in fetched)
            {
                var name = EventEffects.Clip(string.IsNullOrWhiteSpace(m.GroupNickname) ? m.Name : m.GroupNickname, CommunityEvent.NameMaxLength);
                if (!known.TryGetValue(m.Userid, out var knownName))
                {
                    var joined = m.JoinTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(m.JoinTime).UtcDateTime : now;
                    var e = Add($"{chatId}:join:{m.Userid}:{m.JoinTime}", EventKind.MemberJoined, joined);
                    e.UserId = m.Userid;
                    e.UserName = name;
                    e.ActorId = m.Invitor?.Userid;
                    e.Channel = EventEffects.Clip(m.State, CommunityEvent.ChannelMaxLength);
                }
                else if (knownName is null && !string.IsNullOrEmpty(m.State))
                {
                    // Known only from a join callback, which carries no join-way state: the join again, with its state (the
                    // member is inside already, so the membership only takes the channel a live code's join_way gave it).
                    var joined = m.JoinTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(m.JoinTime).UtcDateTime : now;
                    var e = Add($"{chatId}:join:{m.Userid}:{m.JoinTime}", EventKind.MemberJoined, joined);
                    e.UserId = m.Userid;
                    e.UserName = name;
                    e.ActorId = m.Invitor?.Userid;
                    e.Channel = EventEffects.Clip(m.State, CommunityEvent.ChannelMaxLength);
                }
                else if (name is not null && knownName != name)
                {
                    var e = Add($"{chatId}:nick:{m.Userid}:{revision}", EventKind.NicknameChanged, now);
                    e.UserId = m.Userid;
                    e.UserName = name;
                }
            }
            var present = fetched.Select(m => m.Userid).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in known.Keys.Where(k => !present.Contains(k)))
                Add($"{chatId}:left:{gone}:{group.MemberVersion ?? revision.ToString(System.Globalization.CultureInfo.InvariantCulture)}", EventKind.MemberLeft, now).UserId = gone;

            await ingestor.IngestAsync(events, ct);
            chat.Name = title ?? chat.Name;
            chat.Owner = group.Owner;
            chat.Notice = EventEffects.Clip(group.Notice, 2000);
            chat.MemberVersion = group.MemberVersion;
            chat.Members = WeComMembers.Write(fetched.ToDictionary(m => m.Userid,
                m => EventEffects.Clip(string.IsNullOrWhiteSpace(m.GroupNickname) ? m.Name : m.GroupNickname, CommunityEvent.NameMaxLength)));
            chat.NeedsRefresh = false;
            chat.RefreshedAt = now;
            chat.Revision = revision;
            try
            {
                await db.SaveChangesWithoutAuditAsync(ct);
            }
            catch (DbUpdateException)
            {
                // A callback changed the group while we fetched it; it marked the group, so the next pass fetches again.
                LogRefreshRaced(log, chatId);
            }
        }
    }

    /// <summary>
    /// Follows mass-send tasks: while the owner has not confirmed (get_groupmsg_task status 0) the message waits; once
    /// confirmed, get_groupmsg_send_result says per group whether it was sent. A sent message enters the log as the
    /// owner's (staff) message, so the figures count it.
    /// </summary>
    private async Task PollGroupMessagesAsync(WeComConnection connection, WeComCredentials cred, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var waiting = await db.Set<WeComGroupMessage>().IgnoreQueryFilters()
            .Where(m => m.ConnectionId == connection.Id && m.State == WeComGroupMessageState.AwaitingConfirmation).ToListAsync(ct);
        if (waiting.Count == 0)
            return;
        var now = time.GetUtcNow().UtcDateTime;
        var events = new List<CommunityEvent>();
        foreach (var byMsg in waiting.GroupBy(m => m.MsgId))
        {
            var tasks = await api.GetGroupMsgTasksAsync(cred, byMsg.Key, ct);
            foreach (var bySender in byMsg.GroupBy(m => m.Sender))
            {
                var confirmed = tasks.Any(t => t.Userid == bySender.Key && t.Status == 2);
                var results = confirmed ? await api.GetGroupMsgSendResultAsync(cred, byMsg.Key, bySender.Key, ct) : [];
                foreach (var message in bySender)
                {
                    message.CheckedAt = now;
                    var result = results.FirstOrDefault(r => r.ChatId == message.ChatId);
                    if (confirmed && result is not null)
                    {
                        message.SendStatus = result.Status;
                        message.State = result.Status == 1 ? WeComGroupMessageState.Sent : WeComGroupMessageState.NotSent;
                        message.SentAt = result.SendTime is > 0 ? DateTimeOffset.FromUnixTimeSeconds(result.SendTime.Value).UtcDateTime : now;
                        if (message.State == WeComGroupMessageState.Sent)
                            events.Add(SentEvent(connection, message));
                    }
                    else if (message.CreatedAt + FollowFor < now)
                        message.State = WeComGroupMessageState.Expired;
                }
            }
        }
        await ingestor.IngestAsync(events, ct);
        await db.SaveChangesWithoutAuditAsync(ct);
    }

    private static CommunityEvent SentEvent(WeComConnection connection, WeComGroupMessage message)
    {
        var e = WeComCallbackReceiver.Event(connection, $"msg:{message.MsgId}:{message.ChatId}", EventKind.MessagePosted, message.SentAt!.Value, message.ChatId);
        e.UserId = message.Sender;
        e.FromStaff = true;
        e.ActionId = message.ActionId;
        e.MessageKind = MessageKind.Text;
        e.MessageId = EventEffects.Clip(message.MsgId, CommunityEvent.IdMaxLength);
        e.Text = EventEffects.Clip(message.Text, CommunityEvent.TextMaxLength);
        return e;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "WeCom sync pass failed; retrying")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "WeCom sync of connection {ConnectionId} failed: {Error}")]
    private static partial void LogSyncFailed(ILogger logger, Guid connectionId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "WeCom group {ChatId} cannot be fetched: {Error}")]
    private static partial void LogChatUnavailable(ILogger logger, string chatId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "WeCom group {ChatId} changed while it was fetched; fetched again next pass")]
    private static partial void LogRefreshRaced(ILogger logger, string chatId);
}
