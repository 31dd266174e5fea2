using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;

namespace Shequn.Features.Members;

/// <summary>The workspace's lifecycle thresholds in days (product.md §3.3; seed 001 measures new, active and silent members).</summary>
public sealed record LifecycleThresholds(int NewDays, int SilentDays, int ChurnDays)
{
    public static readonly LifecycleThresholds Default = new(7, 14, 30);

    public const int MaxDays = 365;

    public static LifecycleThresholds Of(Workspace ws) => new(ws.LifecycleNewDays, ws.LifecycleSilentDays, ws.LifecycleChurnDays);

    /// <summary>Field errors under <paramref name="prefix"/> (<c>lifecycle.silentDays</c>).</summary>
    public void Validate(Validation validation, string prefix)
    {
        void Range(string field, int value)
        {
            if (value is < 1 or > MaxDays)
                validation.Add($"{prefix}.{field}", "OutOfRange", $"'{prefix}.{field}' must be between 1 and {MaxDays} days (got {value}).", 1, MaxDays);
        }
        Range("newDays", NewDays);
        Range("silentDays", SilentDays);
        Range("churnDays", ChurnDays);
        if (SilentDays >= ChurnDays && validation.IsValid)
            validation.Add($"{prefix}.churnDays", "ChurnNotAfterSilent",
                $"'{prefix}.churnDays' must be more than '{prefix}.silentDays' ({ChurnDays} is not more than {SilentDays}): members are silent before they churn.", ChurnDays, SilentDays);
    }
}

/// <summary>What the stage is computed from: a member's joins, leaves and speaking in the workspace's communities.</summary>
/// <param name="CreatedAt">When Shequn first knew the member.</param>
/// <param name="FirstJoinedAt">The first join into any community, or null for a member who never was in one.</param>
/// <param name="InsideSince">The latest start of a stint still open, or null when the member is in no community now.</param>
/// <param name="LastSpokeAt">The last message in any community, or null.</param>
public sealed record MemberHistory(DateTime CreatedAt, DateTime? FirstJoinedAt, DateTime? InsideSince, DateTime? LastSpokeAt);

/// <summary>
/// Computes every member's <see cref="MemberStage"/> once per <see cref="LifecycleOptions.Interval"/> (hourly by default, so
/// "daily" holds whatever the restarts). The rules: a member who left every community they were in is churned; one who
/// first joined within <c>NewDays</c> is new; otherwise the days since they last showed life (spoke, or joined the stint
/// they are in) decide: silent from <c>SilentDays</c>, churned from <c>ChurnDays</c>, else active. A member Shequn knows
/// but who was never in a community (a contact imported by hand) counts from when they were added.
/// Safe on several app processes: one holds the <c>lifecycle</c> checkpoint row by a lease while it computes, and the
/// row's time says when the last computation finished, so the nodes together compute once per interval.
/// </summary>
public sealed partial class MemberLifecycle(IServiceScopeFactory scopes, TimeProvider time, IOptions<LifecycleOptions> options, ILogger<MemberLifecycle> log)
    : BackgroundService
{
    public const string CheckpointName = "lifecycle";

    private readonly string _node = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _running = new(1, 1);

    public static MemberStage StageOf(MemberHistory member, LifecycleThresholds thresholds, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(thresholds);
        if (member.FirstJoinedAt is not null && member.InsideSince is null)
            return MemberStage.Churned;
        var since = member.FirstJoinedAt ?? member.CreatedAt;
        if (now - since <= TimeSpan.FromDays(thresholds.NewDays))
            return MemberStage.New;
        var alive = Latest(member.LastSpokeAt, member.InsideSince) ?? member.CreatedAt;
        var quiet = now - alive;
        if (quiet >= TimeSpan.FromDays(thresholds.ChurnDays))
            return MemberStage.Churned;
        return quiet >= TimeSpan.FromDays(thresholds.SilentDays) ? MemberStage.Silent : MemberStage.Active;
    }

    private static DateTime? Latest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(force: false, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
            await Task.Delay(options.Value.CheckEvery, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Computes the stages when the last computation is an interval old (or <paramref name="force"/>) and no other process is
    /// computing (here or in another process); returns how many members changed stage, or null when it did not run.
    /// </summary>
    public async Task<int?> RunAsync(bool force, CancellationToken ct)
    {
        // One computation per process at a time (the lease below keeps the other processes out).
        if (!await _running.WaitAsync(0, ct))
            return null;
        try
        {
            return await ClaimAndRunAsync(force, ct);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<int?> ClaimAndRunAsync(bool force, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var due = force ? DateTime.MaxValue : now - options.Value.Interval;
        var claimed = await db.Set<EventCheckpoint>()
            .Where(c => c.Name == CheckpointName && c.UpdatedAt <= due && (c.LeaseOwner == null || c.LeaseOwner == _node || c.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, _node).SetProperty(c => c.LeaseUntil, now + options.Value.Lease), ct);
        if (claimed == 0)
            return null;
        var changed = 0;
        try
        {
            var workspaces = await db.Workspaces.AsNoTracking().ToListAsync(ct);
            foreach (var ws in workspaces)
                changed += await ComputeAsync(db, ws, now, ct);
        }
        finally
        {
            await db.Set<EventCheckpoint>().Where(c => c.Name == CheckpointName && c.LeaseOwner == _node)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, (string?)null).SetProperty(c => c.LeaseUntil, (DateTime?)null)
                    .SetProperty(c => c.UpdatedAt, time.GetUtcNow().UtcDateTime).SetProperty(c => c.Seq, c => c.Seq + 1), CancellationToken.None);
        }
        LogComputed(log, changed);
        return changed;
    }

    private static async Task<int> ComputeAsync(AppDbContext db, Workspace ws, DateTime now, CancellationToken ct)
    {
        var thresholds = LifecycleThresholds.Of(ws);
        var members = await db.Members.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == ws.Id)
            .Select(m => new { m.Id, m.CreatedAt, m.Stage }).ToListAsync(ct);
        var stints = await db.Memberships.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws.Id)
            .GroupBy(m => m.MemberId)
            .Select(g => new { MemberId = g.Key, First = g.Min(m => m.JoinedAt), InsideSince = g.Max(m => m.LeftAt == null ? (DateTime?)m.JoinedAt : null) })
            .ToDictionaryAsync(s => s.MemberId, ct);
        var spoke = await db.Set<MemberActivity>().IgnoreQueryFilters().Where(a => a.WorkspaceId == ws.Id)
            .GroupBy(a => a.MemberId)
            .Select(g => new { MemberId = g.Key, Last = g.Max(a => a.LastSpokeAt) })
            .ToDictionaryAsync(a => a.MemberId, a => a.Last, ct);

        var moves = new Dictionary<MemberStage, List<Guid>>();
        foreach (var m in members)
        {
            var joined = stints.GetValueOrDefault(m.Id);
            var history = new MemberHistory(m.CreatedAt, joined?.First, joined?.InsideSince, spoke.TryGetValue(m.Id, out var last) ? last : null);
            var stage = StageOf(history, thresholds, now);
            if (stage == m.Stage)
                continue;
            if (!moves.TryGetValue(stage, out var ids))
                moves[stage] = ids = [];
            ids.Add(m.Id);
        }
        var changed = 0;
        foreach (var (stage, ids) in moves)
        {
            foreach (var chunk in ids.Chunk(500))
            {
                changed += await db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws.Id && chunk.Contains(m.Id))
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.Stage, stage).SetProperty(m => m.StageChangedAt, now), ct);
            }
        }
        return changed;
    }

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Computing member lifecycle stages failed; trying again later")]
    private static partial void LogFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member lifecycle stages computed: {Changed} members changed stage")]
    private static partial void LogComputed(ILogger logger, int changed);
}

public sealed class LifecycleOptions
{
    public const string Section = "Lifecycle";

    /// <summary>Off in tests that must not see stages move on their own.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the stages are computed (across all app processes).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often each process looks whether a computation is due.</summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a process may hold the computation before another may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(10);
}

public static class LifecycleSetup
{
    /// <summary>The stages' computation; it runs where the processor runs (the figures it reads are the processor's).</summary>
    public static IHostApplicationBuilder AddShequnLifecycle(this IHostApplicationBuilder builder, bool run)
    {
        builder.Services.AddOptions<LifecycleOptions>().Bind(builder.Configuration.GetSection(LifecycleOptions.Section));
        builder.Services.AddSingleton<MemberLifecycle>();
        if (run)
            builder.Services.AddHostedService(sp => sp.GetRequiredService<MemberLifecycle>());
        return builder;
    }
}
