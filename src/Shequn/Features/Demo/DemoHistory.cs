using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Sandbox;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Demo;

/// <summary>
/// 90 days of simulated activity (about 300,000 messages) for the demo workspace, built on whatever communities and
/// members <see cref="DemoData"/> made (three Sandbox groups of its own if there are none). The events go into the
/// real log in large batches and through the real processor, so the figures are those a recount would give; only
/// the HTTP and acknowledgement layers are bypassed, to keep start-up under a minute. Runs once: a workspace whose
/// log has any event is left alone.
/// </summary>
public static class DemoHistory
{
    public const int Days = 90;
    public const int TargetMessages = 300_000;

    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, TextWriter output, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (await db.Set<CommunityEvent>().AnyAsync(e => e.WorkspaceId == workspaceId, ct))
            return;
        var clock = Stopwatch.StartNew();

        var communities = await db.Communities.Where(c => c.State == CommunityState.Active).OrderBy(c => c.CreatedAt).ToListAsync(ct);
        if (communities.Count == 0)
        {
            communities =
            [
                new Community { Name = "鱼油交流群", Platform = ChatPlatform.Sandbox, Capacity = 500, Type = CommunityType.Content, SubType = CommunitySubType.Topic, Purpose = "复购" },
                new Community { Name = "宝妈营养群", Platform = ChatPlatform.Sandbox, Capacity = 500, Type = CommunityType.Service, SubType = CommunitySubType.AfterSale, Purpose = "售后服务" },
                new Community { Name = "VIP会员群", Platform = ChatPlatform.Sandbox, Capacity = 200, Tier = CommunityTier.VipPaying, Type = CommunityType.Marketing, SubType = CommunitySubType.Discount, Purpose = "VIP 专享" },
            ];
            db.Communities.AddRange(communities);
            await db.SaveChangesAsync(ct);
        }

        // Existing members speak under a Sandbox identity of their own, and their joins and leaves become events at
        // the times the seeder gave them, so the log, the memberships and the figures tell one story.
        var ids = communities.Select(c => c.Id).ToList();
        var identities = await db.Set<MemberIdentity>().Where(i => i.WorkspaceId == workspaceId && i.Platform == ChatPlatform.Sandbox)
            .ToDictionaryAsync(i => i.MemberId, i => i.UserId, ct);
        var stints = await db.Memberships.Where(m => ids.Contains(m.CommunityId))
            .Select(m => new { m.CommunityId, m.MemberId, m.JoinedAt, m.LeftAt, m.Channel, Name = m.Nickname ?? m.Member!.DisplayName })
            .ToListAsync(ct);
        foreach (var m in stints.Where(m => !identities.ContainsKey(m.MemberId)).DistinctBy(m => m.MemberId))
        {
            var userId = "m" + m.MemberId.ToString("N");
            db.Set<MemberIdentity>().Add(new MemberIdentity { WorkspaceId = workspaceId, Platform = ChatPlatform.Sandbox, UserId = userId, MemberId = m.MemberId });
            identities[m.MemberId] = userId;
        }
        await db.SaveChangesWithoutAuditAsync(ct);
        var staff = await db.Users.Where(u => u.WorkspaceId == workspaceId && u.IsActive)
            .Select(u => new { u.Id, u.DisplayName }).ToListAsync(ct);

        // With seeded members, the simulation adds no people of its own (the seeder decided who is in the workspace),
        // and a group the seeder left empty stays quiet.
        var seeded = stints.Count > 0;
        if (seeded)
            communities = communities.Where(c => stints.Any(m => m.CommunityId == c.Id)).ToList();
        var now = DateTime.UtcNow;
        var zone = await scope.ServiceProvider.GetRequiredService<WorkspaceZones>().GetAsync(workspaceId, ct);
        var today = DailyFigures.DayOf(now, zone);
        var first = today.AddDays(-(Days - 1));
        var perDay = TargetMessages / Days / communities.Count;
        // With seeded members, bigger groups talk more: a fixed number of messages per member-day, set so that the
        // 90 days hold about TargetMessages.
        var firstStart = DailyFigures.StartOf(first, zone);
        var memberDays = stints.Sum(m =>
            Math.Max(0, ((m.LeftAt is { } left && left < now ? left : now) - (m.JoinedAt > firstStart ? m.JoinedAt : firstStart)).TotalDays));
        // (÷ 0.88: days vary ±30 %, weekends are quieter, and a day starts with the members of the morning.)
        var perMemberDay = seeded && memberDays > 0 ? TargetMessages / memberDays / 0.88 : 0;
        // Members reply to each other now and then (the KOC ranking's graph); the KOCs themselves do not, since their
        // replies would answer questions and move the response figures.
        var kocs = (await db.Members.Where(m => m.Layer == Members.MemberLayer.Koc).Select(m => m.Id).ToListAsync(ct))
            .Where(identities.ContainsKey).Select(id => identities[id]).ToHashSet(StringComparer.Ordinal);
        var traffic = communities.Select((c, i) =>
        {
            var t = new SandboxTraffic(1000 + i, workspaceId, c.Id, $"demo:{i}:", [],
                staff.Select(s => new SandboxPerson("staff-" + s.Id.ToString("N"), s.DisplayName)))
            { AdShare = 0.0005, Zone = zone, ReplyShare = 0.12, NonRepliers = kocs };
            foreach (var m in stints.Where(m => m.CommunityId == c.Id))
            {
                var person = new SandboxPerson(identities[m.MemberId], m.Name);
                t.Schedule(m.JoinedAt, person, joins: true, m.Channel);
                if (m.LeftAt is { } left)
                    t.Schedule(left, person, joins: false);
            }
            return t;
        }).ToList();

        var cs = db.Database.GetConnectionString()!;
        await using var writer = EventLogWriter.Create(db.Database.IsNpgsql(), cs);
        var pending = new List<CommunityEvent>();
        var total = 0;
        async Task FlushAsync()
        {
            foreach (var e in pending)
                e.ReceivedAt = e.OccurredAt;
            await writer.AppendAsync(pending, ct);
            total += pending.Count;
            pending.Clear();
        }
        foreach (var t in traffic)
            pending.AddRange(t.PlayScheduledBefore(firstStart));
        for (var day = first; day <= today; day = day.AddDays(1))
        {
            foreach (var t in traffic)
            {
                if (day == first && !seeded && t.MemberCount < 30)
                    pending.AddRange(t.Founders(day, 120));
                pending.AddRange(t.Day(day, seeded ? (int)Math.Round(perMemberDay * t.MemberCount) : perDay, now));
            }
            if (pending.Count >= 20_000)
                await FlushAsync();
        }
        await FlushAsync();

        var written = clock.Elapsed;
        var processor = services.GetRequiredService<EventProcessor>();
        while (await processor.ProcessBatchAsync(20_000, oneByOne: false, ct) > 0)
        {
        }
        await output.WriteLineAsync($"Demo history: {total:N0} events over {Days} days in {communities.Count} communities (stored in {written.TotalSeconds:N1} s, applied in {(clock.Elapsed - written).TotalSeconds:N1} s).");
    }
}
