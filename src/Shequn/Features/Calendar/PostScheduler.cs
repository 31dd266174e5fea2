using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;

namespace Shequn.Features.Calendar;

public sealed class PostsOptions
{
    /// <summary>Off in tests that step the scheduler themselves.</summary>
    public bool SchedulerEnabled { get; set; } = true;
    /// <summary>How late a copy may still be sent (the app was down at its time); later, it is marked missed.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How often a node looks for due copies when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Copies handed over per transaction.</summary>
    public int BatchSize { get; set; } = 1000;
    /// <summary>How often templates after members join look for newcomers (<see cref="SopTrigger.DaysAfterMemberJoined"/>).</summary>
    public TimeSpan NewcomerInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Wakes the scheduler when a post was approved or moved on this node.</summary>
public sealed class PostSchedulerSignal
{
    private readonly EventLogSignal _inner = new();

    public void Notify() => _inner.Notify();

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _inner.WaitAsync(timeout, ct);
}

/// <summary>What one pass did.</summary>
/// <param name="NextDue">When the earliest copy still scheduled falls due, when the pass found none due yet.</param>
public readonly record struct SchedulerPass(int Enqueued, int Missed, int Withdrawn, DateTime? NextDue = null)
{
    public int Total => Enqueued + Missed + Withdrawn;
}

/// <summary>
/// Hands due copies of approved posts to the outbox (ADR-014). In one transaction it takes a batch of due
/// <see cref="DeliveryState.Scheduled"/> rows (on PostgreSQL <c>FOR UPDATE SKIP LOCKED</c>, so two nodes take
/// different rows; SQLite has one writer), writes each copy's outbound action (key
/// <see cref="PostDelivery.KeyOf"/>, unique per workspace) and marks the row enqueued. A crash before the commit
/// leaves the rows scheduled; after it, the outbox owns the send. Copies more than the grace period late are marked
/// missed; copies for communities no longer active are withdrawn.
/// </summary>
public sealed partial class PostScheduler(
    IServiceScopeFactory scopes, TimeProvider time, PostSchedulerSignal signal, OutboxSignal outbox,
    IOptions<PostsOptions> options, ILogger<PostScheduler> log) : BackgroundService
{
    private PostsOptions Options => options.Value;

    /// <summary>Weekly SOP templates are planned ahead again this often (<see cref="SopHorizon"/>).</summary>
    public static readonly TimeSpan HorizonInterval = TimeSpan.FromHours(1);

    private DateTime _nextHorizon = DateTime.MinValue;
    private DateTime _nextNewcomers = DateTime.MinValue;

    /// <summary>The shortest sleep between passes: copies falling due every few milliseconds go in tenth-of-a-second batches.</summary>
    private static readonly TimeSpan MinimumPause = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.SchedulerEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (time.GetUtcNow().UtcDateTime >= _nextHorizon)
                {
                    _nextHorizon = time.GetUtcNow().UtcDateTime + HorizonInterval;
                    await using var scope = scopes.CreateAsyncScope();
                    await SopHorizon.ExtendAsync(scope.ServiceProvider, SopTrigger.Weekdays, stoppingToken);
                }
                if (time.GetUtcNow().UtcDateTime >= _nextNewcomers)
                {
                    _nextNewcomers = time.GetUtcNow().UtcDateTime + Options.NewcomerInterval;
                    await using var scope = scopes.CreateAsyncScope();
                    await SopHorizon.ExtendAsync(scope.ServiceProvider, SopTrigger.DaysAfterMemberJoined, stoppingToken);
                }
                var pass = await RunOnceAsync(stoppingToken);
                if (pass.Total < Options.BatchSize)
                {
                    // Sleep until the next copy falls due (a copy due in 300 ms is handed over then, not at the next poll),
                    // at most a poll interval: other nodes' approvals do not wake this one.
                    var wait = Options.PollInterval;
                    if (pass.NextDue is { } next && next - time.GetUtcNow().UtcDateTime < wait)
                        wait = TimeSpan.FromTicks(Math.Max(next.Ticks - time.GetUtcNow().UtcDateTime.Ticks, MinimumPause.Ticks));
                    await signal.WaitAsync(wait, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One batch of due copies handed over (or marked missed / withdrawn), in one transaction.</summary>
    public async Task<SchedulerPass> RunOnceAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var deliveries = db.Set<PostDelivery>().IgnoreQueryFilters();
        // A read first: an idle node then takes no write lock (SQLite has only one).
        var earliest = await deliveries.Where(d => d.State == DeliveryState.Scheduled).MinAsync(d => (DateTime?)d.DueAt, ct);
        if (earliest is null || earliest > now)
            return new SchedulerPass(0, 0, 0, earliest);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var size = Options.BatchSize;
        // PostgreSQL: rows another node holds are skipped, not waited for, and stay locked until this commit.
        var claim = $$"""
            SELECT "Id" AS "Value" FROM "PostDeliveries" WHERE "State" = {{(int)DeliveryState.Scheduled}} AND "DueAt" <= {0}
            ORDER BY "DueAt" LIMIT {{size}} FOR UPDATE SKIP LOCKED
            """;
        var ids = db.Database.IsNpgsql()
            ? await db.Database.SqlQueryRaw<Guid>(claim, now).ToListAsync(ct)
            : await deliveries.Where(d => d.State == DeliveryState.Scheduled && d.DueAt <= now).OrderBy(d => d.DueAt).Take(size).Select(d => d.Id).ToListAsync(ct);
        if (ids.Count == 0)
            return default;
        var due = await deliveries.Where(d => ids.Contains(d.Id) && d.State == DeliveryState.Scheduled).OrderBy(d => d.DueAt).ThenBy(d => d.Id).ToListAsync(ct);
        var postIds = due.Select(d => d.PostId).Distinct().ToList();
        var posts = await db.Set<Post>().IgnoreQueryFilters().AsNoTracking().Where(p => postIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var communityIds = due.Select(d => d.CommunityId).Distinct().ToList();
        var communities = await db.Communities.IgnoreQueryFilters().AsNoTracking().Where(c => communityIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);

        // A copy whose action exists already (its key is taken) was handed over before: it is linked, not sent again.
        var keys = due.Select(d => PostDelivery.KeyOf(d.PostId, d.CommunityId, d.Round)).ToList();
        var existing = await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => keys.Contains(a.IdempotencyKey))
            .Select(a => new { a.WorkspaceId, a.IdempotencyKey, a.Id }).ToListAsync(ct);
        var handedOver = existing.ToDictionary(a => (a.WorkspaceId, a.IdempotencyKey), a => a.Id);
        var newcomers = await NewcomersAsync(scope.ServiceProvider, db, due, posts, ct);

        // Handed over now, after the claim (the time the pass started would flatter how late a copy is).
        var at = time.GetUtcNow().UtcDateTime;
        int enqueued = 0, missed = 0, withdrawn = 0;
        foreach (var d in due)
        {
            var post = posts[d.PostId];
            var community = communities[d.CommunityId];
            d.UpdatedAt = now;
            var names = post.JoinedOn is null ? null : newcomers.GetValueOrDefault((d.PostId, d.CommunityId));
            if (post.Status != PostStatus.Approved || community.State != CommunityState.Active || (post.JoinedOn is not null && names is null))
            {
                d.State = DeliveryState.Withdrawn;
                withdrawn++;
            }
            else if (now - d.DueAt > Options.GracePeriod)
            {
                d.State = DeliveryState.Missed;
                missed++;
            }
            else if (handedOver.TryGetValue((d.WorkspaceId, PostDelivery.KeyOf(d.PostId, d.CommunityId, d.Round)), out var actionId))
            {
                d.State = DeliveryState.Enqueued;
                d.ActionId = actionId;
                d.EnqueuedAt ??= at;
            }
            else
            {
                var action = OutboundAction.Create(d.WorkspaceId, d.CommunityId, PostTexts.KindFor(community.Platform),
                    new ActionPayload(Text: PostTexts.Render(post, community, names)) { ImageId = post.ImageId, MiniProgram = PostMedia.CardOf(post) },
                    PostDelivery.KeyOf(d.PostId, d.CommunityId, d.Round));
                action.NextAttemptAt = at;
                action.CreatedAt = at;
                action.UpdatedAt = at;
                db.Add(action);
                d.State = DeliveryState.Enqueued;
                d.ActionId = action.Id;
                d.EnqueuedAt = at;
                enqueued++;
            }
        }
        // The unique key (workspace, idempotency key) is the last guard: a copy handed over twice would fail the whole batch.
        await db.SaveChangesSetWiseAsync(ct);
        await tx.CommitAsync(ct);
        if (enqueued > 0)
            outbox.Notify();
        LogPass(log, enqueued, missed, withdrawn);
        // When the next copy falls due, so the loop sleeps until then rather than a whole poll interval.
        var next = await deliveries.Where(d => d.State == DeliveryState.Scheduled).MinAsync(d => (DateTime?)d.DueAt, ct);
        return new SchedulerPass(enqueued, missed, withdrawn, next);
    }

    /// <summary>
    /// For copies greeting the members who joined on one day (<see cref="Post.JoinedOn"/>): those of them still in the
    /// community (and joined after the template applied to it), named the way the joining ritual names a burst of
    /// newcomers. A copy nobody is left for is absent.
    /// </summary>
    private static async Task<Dictionary<(Guid Post, Guid Community), string>> NewcomersAsync(
        IServiceProvider services, AppDbContext db, List<PostDelivery> due, Dictionary<Guid, Post> posts, CancellationToken ct)
    {
        var result = new Dictionary<(Guid, Guid), string>();
        var greeting = due.Where(d => posts[d.PostId].JoinedOn is not null).ToList();
        if (greeting.Count == 0)
            return result;
        var strings = services.GetRequiredService<Platform.Localization.JsonStringLocalizerFactory>();
        foreach (var workspace in greeting.GroupBy(d => d.WorkspaceId))
        {
            var zone = await services.GetRequiredService<Workspaces.WorkspaceZones>().GetAsync(workspace.Key, ct);
            var words = Ritual.RitualWords.For(strings, await Workspaces.WorkspaceSettings.LanguageAsync(db, workspace.Key, ct));
            foreach (var d in workspace)
            {
                var post = posts[d.PostId];
                var day = post.JoinedOn!.Value;
                var start = DailyFigures.StartOf(day, zone);
                // Those who joined before the template applied to the community are not its newcomers.
                var applied = await db.Set<SopApplication>().IgnoreQueryFilters()
                    .Where(a => a.TemplateId == post.SopTemplateId && a.CommunityId == d.CommunityId).Select(a => (DateTime?)a.AppliedAt).SingleOrDefaultAsync(ct);
                if (applied > start)
                    start = applied.Value;
                var end = DailyFigures.StartOf(day.AddDays(1), zone);
                var joined = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
                    .Where(m => m.CommunityId == d.CommunityId && m.LeftAt == null && m.JoinedAt >= start && m.JoinedAt < end)
                    .OrderBy(m => m.JoinedAt).Select(m => m.Nickname ?? m.Member!.DisplayName).ToListAsync(ct);
                if (joined.Count > 0)
                    result[(d.PostId, d.CommunityId)] = words.Names(joined);
            }
        }
        return result;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Post scheduler pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Posts handed to the outbox: {Enqueued}, missed: {Missed}, withdrawn: {Withdrawn}")]
    private static partial void LogPass(ILogger logger, int enqueued, int missed, int withdrawn);
}
