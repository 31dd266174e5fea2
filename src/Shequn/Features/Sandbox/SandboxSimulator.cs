using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;

namespace Shequn.Features.Sandbox;

/// <summary>
/// Live traffic for Sandbox communities at a chosen rate, through the real ingestor. Runs in memory only while
/// someone has it switched on (it is a demo and load tool, not scheduled work), and stops with the process.
/// </summary>
public sealed partial class SandboxSimulator(IServiceScopeFactory scopes, EventIngestor ingestor, ILogger<SandboxSimulator> log) : BackgroundService
{
    public const int MaxEventsPerMinute = 60_000;

    private sealed class Run(SandboxTraffic traffic, int perMinute)
    {
        public SandboxTraffic Traffic { get; } = traffic;
        public int PerMinute { get; set; } = perMinute;
        public double Owed { get; set; }
        public long Sent { get; set; }
    }

    private readonly ConcurrentDictionary<Guid, Run> _runs = new();

    public bool IsRunning(Guid communityId) => _runs.ContainsKey(communityId);

    public long Sent(Guid communityId) => _runs.TryGetValue(communityId, out var r) ? r.Sent : 0;

    /// <summary>Starts (or changes the rate of) traffic in a Sandbox community of the workspace.</summary>
    public async Task StartAsync(Guid workspaceId, Guid communityId, int perMinute, CancellationToken ct = default)
    {
        perMinute = Math.Clamp(perMinute, 1, MaxEventsPerMinute);
        if (_runs.TryGetValue(communityId, out var running))
        {
            running.PerMinute = perMinute;
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (!await db.Communities.AnyAsync(c => c.Id == communityId && c.Platform == ChatPlatform.Sandbox, ct))
            throw new InvalidOperationException("Not a Sandbox community of this workspace.");
        var present = await (from m in db.Memberships
                             where m.CommunityId == communityId && m.LeftAt == null
                             join i in db.Set<MemberIdentity>() on m.MemberId equals i.MemberId
                             where i.Platform == ChatPlatform.Sandbox && i.WorkspaceId == workspaceId
                             select new SandboxPerson(i.UserId, m.Nickname ?? m.Member!.DisplayName)).ToListAsync(ct);
        var prefix = $"sim:{Guid.NewGuid():N}:";
        _runs[communityId] = new Run(new SandboxTraffic(Environment.TickCount, workspaceId, communityId, prefix, present.DistinctBy(p => p.UserId)), perMinute);
    }

    public void Stop(Guid communityId) => _runs.TryRemove(communityId, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var last = DateTime.UtcNow;
        while (await tick.WaitForNextTickAsync(stoppingToken))
        {
            var now = DateTime.UtcNow;
            var seconds = (now - last).TotalSeconds;
            last = now;
            foreach (var (communityId, run) in _runs)
            {
                run.Owed += run.PerMinute / 60.0 * seconds;
                var due = (int)run.Owed;
                if (due == 0)
                    continue;
                run.Owed -= due;
                var events = Enumerable.Range(0, due).Select(_ => run.Traffic.Next(now)).ToList();
                try
                {
                    await ingestor.IngestAsync(events, stoppingToken);
                    run.Sent += due;
                }
                catch (Exception ex) when (ex is EventLogClosedException or EventLogUnavailableException)
                {
                    LogSendFailed(log, ex, communityId);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulated traffic for {CommunityId} could not be stored")]
    private static partial void LogSendFailed(ILogger logger, Exception ex, Guid communityId);
}
