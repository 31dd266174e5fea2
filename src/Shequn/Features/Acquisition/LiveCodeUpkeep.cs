using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;

namespace Shequn.Features.Acquisition;

/// <summary>What one upkeep pass changed.</summary>
public sealed record UpkeepPass(int Reconciled, int Reopened, int Links, int QrAsked, int WeComConfigs, int WeComRetired = 0, int RoomsAdded = 0, int LinksRenewed = 0);

/// <summary>
/// Keeps live codes' ways in working, every <see cref="LiveCodeOptions.UpkeepInterval"/>, on one app process at a time
/// (a lease on the <c>livecodes</c> checkpoint row; a node that finds it held skips the pass):
/// <list type="bullet">
/// <item>Reconcile: under the routes' row locks, taken in id order as <see cref="ScanBook"/> takes them (so a scan batch
/// and the upkeep never deadlock and a scan never routes against a count being rewritten), each route's
/// <see cref="LiveCodeRoute.Filled"/> becomes the community's members now plus the visitors routed there within
/// <see cref="LiveCodeOptions.PendingWindow"/>; a code found full again (<see cref="LiveCode.FullSince"/>) is cleared
/// when a route has room, so staff are told again at the next episode.</item>
/// <item>Telegram: the invite link the dispatcher made (the route's <c>CreateInviteLink</c> action of its current
/// <see cref="LiveCodeRoute.LinkGeneration"/>, once Done) becomes the route's <see cref="LiveCodeRoute.JoinUrl"/>. A
/// member-limit link that as many joined through as it was made for (<see cref="LiveCodeRoute.LinkLimit"/>, counted from
/// the stored join events carrying it) is refused by Telegram: the route moves to the next generation (conditional
/// update), its link cleared, the old link revoked and a new one made with the room left; the next pass copies it.</item>
/// <item>Personal WeChat: a group QR dies 7 days after it was made; <see cref="LiveCodeOptions.QrRefreshBefore"/> before
/// that, staff get one task (per image) to upload a fresh one. A dead QR closes the route by itself (HasWayIn).</item>
/// <item>WeCom: one join_way config per code (state = the code's key, so joins are attributed) listing the first five
/// WeCom groups with room in route order; when that set changes (a group filled up, the sixth comes in) the config is
/// updated. auto_create_room lets WeCom open a new group when every listed one is full; such a group (a WeCom
/// community newer than the code's last route removal, with members who joined through the code's state) becomes the
/// code's last route, so the join_way lists it next. An archived code's config is deleted at WeCom (one already gone
/// counts as deleted) and its config id and QR cleared. A WeCom failure is kept on the code (<see cref="LiveCode.WeComError"/>,
/// shown to staff, one task per episode) and tried again next pass; the next call that succeeds clears it.</item>
/// </list>
/// </summary>
public sealed partial class LiveCodeUpkeep(
    IServiceScopeFactory scopes, LiveCodeDirectory directory, TaskOpener tasks, WeComApi wecom, WeComSecrets secrets, TimeProvider time,
    IOptions<LiveCodeOptions> options, ILogger<LiveCodeUpkeep> log) : BackgroundService
{
    public const string CheckpointName = "livecodes";
    public const string WeChatGroupQrPrefix = "https://weixin.qq.com/g/";
    public const int JoinWayChats = 5;
    private const int RemarkMax = 30;
    private const int RoomBaseNameMax = 40;
    /// <summary>WeCom's "invalid request parameter", what del_join_way answers for a config_id it does not have (platforms.md A3.6).</summary>
    public const int UnknownConfigErrCode = 40058;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private readonly string _node = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private LiveCodeOptions Options => options.Value;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.UpkeepEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
            await Task.Delay(Options.UpkeepInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>One pass over every active code; null when another process holds the lease.</summary>
    public async Task<UpkeepPass?> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (!await CheckpointLease.TryClaimAsync(db, CheckpointName, _node, Now, Lease, ct))
            return null;
        try
        {
            var codes = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().Where(c => c.State == LiveCodeState.Active)
                .OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(ct);
            int reconciled = 0, reopened = 0, links = 0, asked = 0, configs = 0, rooms = 0, renewed = 0;
            foreach (var id in codes)
            {
                // A fresh context per code: nothing tracked piles up, and one code's failure leaves the others' work intact.
                await using var inner = scopes.CreateAsyncScope();
                var cdb = inner.ServiceProvider.GetRequiredService<AppDbContext>();
                try
                {
                    // Groups WeCom opened for the code first, so the recount and the join_way below include them.
                    rooms += await AddAutoRoomsAsync(cdb, id, ct);
                    var (r, o) = await ReconcileAsync(cdb, id, ct);
                    reconciled += r;
                    reopened += o;
                    links += await CopyLinksAsync(cdb, id, ct);
                    renewed += await RenewLinksAsync(cdb, id, ct);
                    asked += await AskForQrsAsync(cdb, id, ct);
                    configs += await KeepJoinWayAsync(cdb, id, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogCodeFailed(log, ex, id);
                }
                finally
                {
                    if (await cdb.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == id).Select(c => c.Code).SingleOrDefaultAsync(CancellationToken.None) is { } code)
                        directory.Forget(code);
                }
            }
            var retired = 0;
            var archived = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking()
                .Where(c => c.State == LiveCodeState.Archived && c.WeComConfigId != null).OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(ct);
            foreach (var id in archived)
            {
                await using var inner = scopes.CreateAsyncScope();
                var cdb = inner.ServiceProvider.GetRequiredService<AppDbContext>();
                try
                {
                    retired += await RetireJoinWayAsync(cdb, id, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogCodeFailed(log, ex, id);
                }
            }
            return new UpkeepPass(reconciled, reopened, links, asked, configs, retired, rooms, renewed);
        }
        finally
        {
            await CheckpointLease.ReleaseAsync(db, CheckpointName, _node, Now);
        }
    }

    private sealed record RouteRow(Guid Id, Guid CommunityId, int Position, int Filled, ChatPlatform Platform, int Capacity, CommunityState State,
        string? JoinUrl, Guid? QrImageId, DateTime? QrExpiresAt, DateTime? QrRefreshAskedAt, string CommunityName);

    private static Task<List<RouteRow>> RoutesAsync(AppDbContext db, Guid code, CancellationToken ct) =>
        db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking().Where(r => r.LiveCodeId == code).OrderBy(r => r.Position)
            .Select(r => new RouteRow(r.Id, r.CommunityId, r.Position, r.Filled, r.Community!.Platform, r.Community.Capacity, r.Community.State,
                r.JoinUrl, r.QrImageId, r.QrExpiresAt, r.QrRefreshAskedAt, r.Community.Name))
            .ToListAsync(ct);

    /// <summary>Recounts each route under the routes' locks; returns (routes whose count moved, 1 when the code had room again).</summary>
    private async Task<(int, int)> ReconcileAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var now = Now;
        var since = now - Options.PendingWindow;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // PostgreSQL: the same locks, in the same order, as a scan batch. SQLite: the transaction began IMMEDIATE (the one write lock).
        if (db.Database.IsNpgsql())
            await db.Database.SqlQuery<Guid>($"""SELECT "Id" AS "Value" FROM "LiveCodeRoutes" WHERE "LiveCodeId" = {id} ORDER BY "Id" FOR UPDATE""").ToListAsync(ct);
        var code = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == id, ct);
        var routes = await RoutesAsync(db, id, ct);
        var communities = routes.Select(r => r.CommunityId).ToList();
        var members = await db.Memberships.IgnoreQueryFilters().Where(m => communities.Contains(m.CommunityId) && m.LeftAt == null)
            .GroupBy(m => m.CommunityId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var pending = await db.Set<LiveCodeScan>().IgnoreQueryFilters().Where(s => s.LiveCodeId == id && s.RouteId != null && s.At >= since)
            .GroupBy(s => s.RouteId!.Value).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var moved = 0;
        var room = false;
        foreach (var r in routes)
        {
            var filled = members.GetValueOrDefault(r.CommunityId) + pending.GetValueOrDefault(r.Id);
            await db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(x => x.Id == r.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Filled, filled).SetProperty(x => x.ReconciledAt, now), ct);
            if (filled != r.Filled)
                moved++;
            if (r.State == CommunityState.Active && filled < Math.Min(code.Limit, r.Capacity)
                && LiveCodeDirectory.HasWayIn(r.Platform, r.JoinUrl, r.QrImageId, r.QrExpiresAt, code.WeComQrUrl, now))
                room = true;
        }
        var reopened = room && code.FullSince is not null
            ? await db.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == id && c.FullSince != null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.FullSince, (DateTime?)null), ct)
            : 0;
        await tx.CommitAsync(ct);
        return (moved, reopened);
    }

    /// <summary>Telegram routes still without a link take the one their current generation's CreateInviteLink action made.</summary>
    private static async Task<int> CopyLinksAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var waiting = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.LiveCodeId == id && r.JoinUrl == null && r.Community!.Platform == ChatPlatform.Telegram)
            .Select(r => new { r.Id, r.WorkspaceId, r.LinkGeneration }).ToListAsync(ct);
        if (waiting.Count == 0)
            return 0;
        var ws = waiting[0].WorkspaceId;
        var keys = waiting.SelectMany(r => new[] { LinkKey(r.Id, true, r.LinkGeneration), LinkKey(r.Id, false, r.LinkGeneration) }).ToList();
        var made = await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == ws && keys.Contains(a.IdempotencyKey) && a.Status == ActionStatus.Done && a.PlatformIds != null)
            .OrderByDescending(a => a.CompletedAt).Select(a => new { a.IdempotencyKey, a.PlatformIds }).ToListAsync(ct);
        var copied = 0;
        foreach (var r in waiting)
        {
            var link = made.FirstOrDefault(a => a.IdempotencyKey == LinkKey(r.Id, true, r.LinkGeneration) || a.IdempotencyKey == LinkKey(r.Id, false, r.LinkGeneration))?.PlatformIds;
            if (link is null || link.Length > LiveCodeRoute.UrlMaxLength)
                continue;
            // Only into the generation it was made for: a route renewed meanwhile waits for its new link, not the old one.
            copied += await db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(x => x.Id == r.Id && x.JoinUrl == null && x.LinkGeneration == r.LinkGeneration)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.JoinUrl, link), ct);
        }
        return copied;
    }

    /// <summary>
    /// Telegram member-limit links used up: Telegram refuses a link once <c>member_limit</c> people joined through it,
    /// though members who left make room again. A route whose link has seen that many joins (stored join events carrying
    /// the link) moves to the next generation: the link is cleared (the route takes nobody until the new one is copied),
    /// the old one revoked and a new one made with the room left (cap − members now). No room: nothing; the route is
    /// full anyway. The conditional update of the generation is the once, so a second pass (or node) changes nothing.
    /// </summary>
    private static async Task<int> RenewLinksAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var routes = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.LiveCodeId == id && r.JoinUrl != null && r.Community!.Platform == ChatPlatform.Telegram && r.Community.State == CommunityState.Active)
            .Select(r => new { r.Id, r.WorkspaceId, r.CommunityId, r.LinkGeneration, r.LinkLimit, JoinUrl = r.JoinUrl!, r.Community!.Capacity })
            .ToListAsync(ct);
        if (routes.Count == 0)
            return 0;
        var code = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == id, ct);
        var ws = code.WorkspaceId;
        // Links made before generations carry no LinkLimit: the payload of the action that made the link says it.
        var legacyKeys = routes.Where(r => r.LinkGeneration == 0 && r.LinkLimit is null).Select(r => LinkKey(r.Id, false)).ToList();
        var legacy = legacyKeys.Count == 0 ? [] : await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == ws && legacyKeys.Contains(a.IdempotencyKey) && a.Status == ActionStatus.Done && a.PlatformIds != null)
            .Select(a => new { a.IdempotencyKey, a.PlatformIds, a.Payload }).ToListAsync(ct);
        var renewed = 0;
        foreach (var r in routes)
        {
            var limit = r.LinkLimit
                ?? (r.LinkGeneration == 0 && legacy.FirstOrDefault(a => a.IdempotencyKey == LinkKey(r.Id, false) && a.PlatformIds == r.JoinUrl) is { } made
                    ? ActionPayload.FromJson(made.Payload).MemberLimit : null);
            if (limit is null)
                continue; // a join-request link: never used up
            var url = r.JoinUrl;
            var used = await db.Set<CommunityEvent>().AsNoTracking()
                .CountAsync(e => e.WorkspaceId == ws && e.Platform == ChatPlatform.Telegram && e.Kind == EventKind.MemberJoined && e.InviteLink == url, ct);
            if (used < limit)
                continue;
            var members = await db.Memberships.IgnoreQueryFilters().CountAsync(m => m.CommunityId == r.CommunityId && m.LeftAt == null, ct);
            var room = Math.Min(code.Limit, r.Capacity) - members;
            if (room <= 0)
                continue;
            // The code may have switched to join requests since: the new link is of the kind the code asks for now.
            var payload = LinkPayload(code, room);
            var next = r.LinkGeneration + 1;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var bumped = await db.Set<LiveCodeRoute>().IgnoreQueryFilters()
                .Where(x => x.Id == r.Id && x.LinkGeneration == r.LinkGeneration && x.JoinUrl == url)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LinkGeneration, next).SetProperty(x => x.JoinUrl, (string?)null)
                    .SetProperty(x => x.LinkLimit, payload.MemberLimit), ct);
            if (bumped == 0)
                continue; // renewed already (another pass), or staff changed the route meanwhile
            using (db.Current.ActAsSystemWhile(ws))
            {
                db.Add(OutboundAction.Create(ws, r.CommunityId, ActionKind.RevokeInviteLink, new ActionPayload(InviteLink: url), RevokeKey(r.Id, r.LinkGeneration)));
                db.Add(OutboundAction.Create(ws, r.CommunityId, ActionKind.CreateInviteLink, payload, LinkKey(r.Id, payload.JoinRequest == true, next)));
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
            renewed++;
        }
        return renewed;
    }

    /// <summary>
    /// A route's Telegram invite link as the code asks for it: named with the code's key (joins through it are the code's),
    /// asking to join, or letting in at most <paramref name="memberLimit"/> people.
    /// </summary>
    public static ActionPayload LinkPayload(LiveCode code, int memberLimit) => code.JoinRequests
        ? new ActionPayload(Name: code.Key, JoinRequest: true)
        : new ActionPayload(Name: code.Key, MemberLimit: Math.Clamp(memberLimit, 1, 99_999));

    /// <summary>
    /// The outbox key of a Telegram route's invite link of one generation (as <see cref="AcquisitionDesk"/> and the renewal
    /// write it). Generation 0 keeps the key links had before generations, so the actions already stored still match.
    /// </summary>
    public static string LinkKey(Guid routeId, bool joinRequest, int generation = 0) =>
        $"livecode:{routeId:N}:link:{(joinRequest ? "request" : "limit")}" + (generation > 0 ? $":{generation}" : "");

    /// <summary>The outbox key of revoking a route's link of one generation (once it is replaced).</summary>
    public static string RevokeKey(Guid routeId, int generation) => $"livecode:{routeId:N}:revoke:{generation}";

    public static string QrTaskKey(Guid routeId, DateTime expiresAt) => $"livecode:{routeId:N}:qr:{expiresAt:yyyyMMddHH}";

    /// <summary>Asks staff, once per uploaded image, for a fresh personal WeChat group QR a day before the current one dies.</summary>
    private async Task<int> AskForQrsAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var now = Now;
        var soon = now + Options.QrRefreshBefore;
        var due = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.LiveCodeId == id && r.Community!.Platform == ChatPlatform.Manual && r.QrImageId != null && r.QrExpiresAt != null
                && r.QrExpiresAt <= soon && r.QrRefreshAskedAt == null)
            .Select(r => new { r.Id, r.WorkspaceId, r.CommunityId, Expires = r.QrExpiresAt!.Value, r.Community!.Name, CodeName = r.LiveCode!.Name, ShortCode = r.LiveCode.Code })
            .ToListAsync(ct);
        var asked = 0;
        var batch = new TaskBatch();
        foreach (var r in due)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The conditional update is the once: a second pass (or node) finds it asked and changes nothing.
            var first = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(x => x.Id == r.Id && x.QrRefreshAskedAt == null && x.QrExpiresAt == r.Expires)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.QrRefreshAskedAt, now), ct);
            if (first == 0)
                continue;
            using (db.Current.ActAsSystemWhile(r.WorkspaceId))
            {
                var expires = new DateTimeOffset(DateTime.SpecifyKind(r.Expires, DateTimeKind.Utc));
                if (await tasks.AskAsync(db, batch, r.WorkspaceId, r.CommunityId, ActionKind.CreateInviteLink, new ActionPayload(), QrTaskKey(r.Id, r.Expires), null, now, now,
                        w => (w["LiveCodes.Task.QrExpiring", r.Name, w.Time(expires), r.CodeName], $"/j/{r.ShortCode}"), ct))
                {
                    await db.SaveChangesAsync(ct);
                    asked++;
                }
            }
            await tx.CommitAsync(ct);
        }
        return asked;
    }

    /// <summary>Creates or updates the code's WeCom join_way config to list the first five WeCom groups with room; returns 1 when it changed.</summary>
    private async Task<int> KeepJoinWayAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var code = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == id, ct);
        var routes = (await RoutesAsync(db, id, ct)).Where(r => r.Platform == ChatPlatform.WeCom).ToList();
        if (routes.Count == 0)
            return 0;
        var ws = code.WorkspaceId;
        var communityIds = routes.Select(r => r.CommunityId).ToList();
        var chatOf = await db.Set<PlatformChat>().IgnoreQueryFilters().AsNoTracking()
            .Where(p => p.WorkspaceId == ws && p.Platform == ChatPlatform.WeCom && communityIds.Contains(p.CommunityId))
            .ToDictionaryAsync(p => p.CommunityId, p => p.ChatId, ct);
        var chatIds = chatOf.Values.ToList();
        var chats = await db.Set<WeComChat>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && chatIds.Contains(c.ChatId) && !c.Dismissed).ToListAsync(ct);
        // One config belongs to one corp: the groups of the corp of the first route that has a group.
        var first = routes.Select(r => chatOf.GetValueOrDefault(r.CommunityId)).Where(c => c is not null).Select(c => chats.FirstOrDefault(x => x.ChatId == c)).FirstOrDefault(c => c is not null);
        if (first is null)
            return 0;
        var listed = routes
            .Where(r => r.State == CommunityState.Active && r.Filled < Math.Min(code.Limit, r.Capacity))
            .Select(r => chatOf.GetValueOrDefault(r.CommunityId))
            .Where(c => c is not null && chats.Any(x => x.ChatId == c && x.ConnectionId == first.ConnectionId))
            .Select(c => c!).Take(JoinWayChats).ToList();
        if (listed.Count == 0)
            return 0; // every group is full: the config stays as it was, and WeCom's auto_create_room opens the next one
        var now = string.Join(',', listed);
        if (code.WeComConfigId is not null && code.WeComChatIds == now && code.WeComQrUrl is not null)
            return 0;

        var connection = await db.Set<WeComConnection>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == first.ConnectionId, ct);
        var way = new WeComJoinWay(2, Clip(code.Name, RemarkMax), 1, Clip(code.Name, RoomBaseNameMax), 1, listed, code.Key);
        string configId;
        string? qr;
        try
        {
            var cred = secrets.Credentials(connection);
            configId = code.WeComConfigId ?? await wecom.AddJoinWayAsync(cred, way, ct);
            if (code.WeComConfigId is not null)
            {
                try
                {
                    await wecom.UpdateJoinWayAsync(cred, configId, way, ct);
                }
                catch (WeComApiException e) when (e.Category == ErrorCategory.Permanent)
                {
                    // The config is gone (deleted in WeCom, another corp): make a new one; the code's own QR points to this page, not WeCom's.
                    configId = await wecom.AddJoinWayAsync(cred, way, ct);
                }
            }
            qr = (await wecom.GetJoinWayAsync(cred, configId, ct)).QrCode;
        }
        catch (Exception e) when (IsWeComFailure(e, ct))
        {
            await WeComFailedAsync(db, code, e, ct);
            return 0;
        }
        await db.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.WeComConfigId, configId).SetProperty(c => c.WeComChatIds, now)
            .SetProperty(c => c.WeComQrUrl, qr != null && qr.Length <= LiveCodeRoute.UrlMaxLength ? qr : code.WeComQrUrl)
            .SetProperty(c => c.WeComError, (string?)null).SetProperty(c => c.WeComErrorAt, (DateTime?)null), ct);
        return 1;
    }

    private static bool IsWeComFailure(Exception e, CancellationToken ct) =>
        e is WeComApiException or HttpRequestException || e is TaskCanceledException && !ct.IsCancellationRequested;

    /// <summary>
    /// The outbox key of the staff task for a WeCom failure episode. One episode is begun by one node (the conditional
    /// update of WeComErrorAt), so the key only has to differ between episodes, which may begin within the same second.
    /// </summary>
    public static string WeComTaskKey(Guid codeId) => $"livecode:{codeId:N}:wecom:{Guid.CreateVersion7():N}";

    /// <summary>
    /// Keeps the failure on the code for staff to see. The first failure after a success begins an episode (a conditional
    /// update from no error, so two nodes begin it once) and opens one task for whoever runs the code's first community.
    /// </summary>
    private async Task WeComFailedAsync(AppDbContext db, LiveCode code, Exception e, CancellationToken ct)
    {
        LogWeComFailed(log, e, code.Id, e.Message);
        var now = Now;
        var text = Clip(e.Message, LiveCode.ErrorMaxLength);
        var id = code.Id;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var first = await db.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == id && c.WeComErrorAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.WeComError, text).SetProperty(c => c.WeComErrorAt, now), ct);
        if (first == 0)
        {
            await db.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.WeComError, text).SetProperty(c => c.WeComErrorAt, now), ct);
        }
        else if (await db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.LiveCodeId == id).OrderBy(r => r.Position)
                     .Select(r => (Guid?)r.CommunityId).FirstOrDefaultAsync(ct) is { } community)
        {
            using (db.Current.ActAsSystemWhile(code.WorkspaceId))
            {
                if (await tasks.AskAsync(db, new TaskBatch(), code.WorkspaceId, community, ActionKind.CreateInviteLink, new ActionPayload(), WeComTaskKey(id), null, now, now,
                        w => (w["LiveCodes.Task.WeComFailed", code.Name, text], $"/live-codes/{id}"), ct))
                    await db.SaveChangesAsync(ct);
            }
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// An archived code's join_way is deleted at WeCom (in the corp of its groups first, then the workspace's other
    /// connections; one no corp knows is gone already) and its config id, QR and chats cleared; returns 1 when cleared.
    /// </summary>
    private async Task<int> RetireJoinWayAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var code = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == id, ct);
        if (code.State != LiveCodeState.Archived || code.WeComConfigId is not { } configId)
            return 0;
        var ws = code.WorkspaceId;
        var chatIds = (code.WeComChatIds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
        var ofChats = await db.Set<WeComChat>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && chatIds.Contains(c.ChatId)).Select(c => c.ConnectionId).Distinct().ToListAsync(ct);
        var connections = (await db.Set<WeComConnection>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws).ToListAsync(ct))
            .OrderBy(c => ofChats.Contains(c.Id) ? 0 : 1).ThenBy(c => c.Id).ToList();
        try
        {
            foreach (var connection in connections)
            {
                try
                {
                    await wecom.DeleteJoinWayAsync(secrets.Credentials(connection), configId, ct);
                    break;
                }
                catch (WeComApiException e) when (e.ErrCode == UnknownConfigErrCode)
                {
                    // Not in this corp: deleted already (in WeCom, or by a pass whose clearing below did not happen), or another corp's.
                }
            }
        }
        catch (Exception e) when (IsWeComFailure(e, ct))
        {
            await WeComFailedAsync(db, code, e, ct);
            return 0;
        }
        // Only the config deleted: a code made active again meanwhile keeps whatever it has since.
        return await db.Set<LiveCode>().IgnoreQueryFilters().Where(c => c.Id == id && c.WeComConfigId == configId && c.State == LiveCodeState.Archived)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.WeComConfigId, (string?)null).SetProperty(c => c.WeComQrUrl, (string?)null)
                .SetProperty(c => c.WeComChatIds, (string?)null).SetProperty(c => c.WeComError, (string?)null).SetProperty(c => c.WeComErrorAt, (DateTime?)null), ct);
    }

    /// <summary>
    /// Groups WeCom opened for the code's join_way (auto_create_room: every listed group full) become its last routes: a
    /// WeCom community where someone joined with the code's state, not routed by the code, that appeared after staff last
    /// took a route off (a group they took off stays off). The unique (code, community) index makes a second node's
    /// insert fail harmlessly.
    /// </summary>
    private async Task<int> AddAutoRoomsAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var code = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == id, ct);
        if (code.WeComConfigId is null)
            return 0; // no join_way, no groups WeCom opens for it (and no scan of memberships for codes without WeCom groups)
        var ws = code.WorkspaceId;
        var key = code.Key;
        var since = code.RoutesSetAt ?? code.CreatedAt;
        var found = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(m => m.WorkspaceId == ws && m.Channel == key && m.Community!.Platform == ChatPlatform.WeCom && m.Community.State == CommunityState.Active
                && m.Community.CreatedAt > since && !db.Set<LiveCodeRoute>().Any(r => r.LiveCodeId == id && r.CommunityId == m.CommunityId))
            .Select(m => new { m.CommunityId, m.Community!.CreatedAt }).Distinct().ToListAsync(ct);
        var added = 0;
        var now = Now;
        foreach (var c in found.OrderBy(x => x.CreatedAt).ThenBy(x => x.CommunityId))
        {
            var last = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.LiveCodeId == id).MaxAsync(r => (int?)r.Position, ct);
            var filled = await db.Memberships.IgnoreQueryFilters().CountAsync(m => m.CommunityId == c.CommunityId && m.LeftAt == null, ct);
            using (db.Current.ActAsSystemWhile(ws))
            {
                db.Add(new LiveCodeRoute { WorkspaceId = ws, LiveCodeId = id, CommunityId = c.CommunityId, Position = (last ?? -1) + 1, Filled = filled, CreatedAt = now, ReconciledAt = now });
                try
                {
                    await db.SaveChangesWithoutAuditAsync(ct);
                    added++;
                }
                catch (DbUpdateException)
                {
                    db.ChangeTracker.Clear(); // routed already (another node, or staff just now)
                }
            }
        }
        return added;
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];

    [LoggerMessage(Level = LogLevel.Error, Message = "Live-code upkeep failed")]
    private static partial void LogFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live-code upkeep of code {Code} failed; tried again next pass")]
    private static partial void LogCodeFailed(ILogger logger, Exception ex, Guid code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "WeCom join_way for live code {Code} failed ({Error}); tried again next pass")]
    private static partial void LogWeComFailed(ILogger logger, Exception ex, Guid code, string error);
}
