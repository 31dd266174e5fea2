using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Events;

/// <summary>
/// Two app hosts on one PostgreSQL storing the same workspace's days at once (three passes each) while a writer keeps
/// adding back-dated joins: each day is stored once across the passes, no pass fails, and every stored row, read after
/// it all, equals a fresh count of its day (a join the count missed would have dropped the row) — what the passes' table
/// locks and the triggers promise together.
/// </summary>
[LongRunning]
public sealed class WorkspaceDaysTwoHostsTests
{
    private sealed class Host(string database) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<T> WithDbAsync<T>(Host host, Guid ws, Func<AppDbContext, Task<T>> f)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await f(db);
    }

    [Fact]
    public async Task TwoHostsStoring_WhileLateJoinsArrive_EachDayOnce_AndEveryRowTrue()
    {
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        Host[] hosts = [new(database), new(database)];
        try
        {
            var ws = await hosts[0].NewWorkspaceAsync();
            _ = hosts[1].Services;
            var c = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("两台存日", "sandbox"))).ReadAsync<CommunityDto>()).Id;
            var rng = new Random(15);
            var now = DateTime.UtcNow;
            await WithDbAsync(hosts[0], ws.Id, db =>
            {
                for (var i = 0; i < 2_000; i++)
                {
                    var m = new Member { WorkspaceId = ws.Id, DisplayName = "m" + i, CreatedAt = now.AddDays(-120) };
                    db.Add(m);
                    var joined = now.AddDays(-rng.NextDouble() * 110);
                    DateTime? left = rng.Next(4) == 0 ? joined.AddDays(rng.NextDouble() * 30) : null;
                    db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = m.Id, JoinedAt = joined, LeftAt = left > now ? null : left });
                }
                return db.SaveChangesWithoutAuditAsync(Ct);
            });

            // The writer: back-dated joins, one transaction each, until the passes are done.
            using var stop = new CancellationTokenSource();
            var late = 0;
            var writer = Task.Run(async () =>
            {
                var r = new Random(16);
                while (!stop.IsCancellationRequested)
                {
                    await WithDbAsync(hosts[0], ws.Id, db =>
                    {
                        var m = new Member { WorkspaceId = ws.Id, DisplayName = "late" + late, CreatedAt = now };
                        db.Add(m);
                        db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = m.Id, JoinedAt = now.AddDays(-r.NextDouble() * 100) });
                        return db.SaveChangesWithoutAuditAsync(Ct);
                    });
                    late++;
                    await Task.Delay(20, Ct);
                }
            }, Ct);

            var passes = await Task.WhenAll(hosts.SelectMany(h => Enumerable.Range(0, 3).Select(_ =>
                Task.Run(() => WorkspaceDaysTests.Job(h.Services).RunWorkspaceAsync(ws.Id, Ct), Ct))));
            await stop.CancelAsync();
            await writer;
            Assert.True(late > 0);
            var zone = await hosts[1].Services.GetRequiredService<WorkspaceZones>().GetAsync(ws.Id, Ct);
            var rows = await WithDbAsync(hosts[1], ws.Id, db => db.Set<WorkspaceDay>().AsNoTracking().OrderBy(d => d.Day).ToListAsync(Ct));
            Assert.True(passes.Sum(p => p.Stored) > 0);
            Assert.NotEmpty(rows);
            async Task AllTrueAsync(List<WorkspaceDay> stored)
            {
                foreach (var row in stored)
                {
                    var fresh = await WithDbAsync(hosts[1], ws.Id, db => WorkspaceDays.CountAsync(db, ws.Id, row.Day, zone, now, Ct));
                    Assert.Equal((fresh.Members, fresh.DistinctMembers, fresh.MembersListed, fresh.Joins), (row.Members, row.DistinctMembers, row.MembersListed, row.Joins));
                }
            }
            await AllTrueAsync(rows);

            // Quiet again: a pass on each host at once stores each missing day once, and every day is there and true.
            var after = await Task.WhenAll(hosts.Select(h => Task.Run(() => WorkspaceDaysTests.Job(h.Services).RunWorkspaceAsync(ws.Id, Ct), Ct)));
            var all = await WithDbAsync(hosts[1], ws.Id, db => db.Set<WorkspaceDay>().AsNoTracking().ToListAsync(Ct));
            Assert.Equal(new AnalyticsOptions().WorkspaceDaysKept, all.Count);
            Assert.Equal(all.Count - rows.Count, after.Sum(p => p.Stored));
            await AllTrueAsync(all);
        }
        finally
        {
            await hosts[0].DisposeAsync();
            await hosts[1].DisposeAsync();
            if (Outbox.SharedPostgresHost.PgServer is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await using var conn = new Npgsql.NpgsqlConnection(Outbox.SharedPostgresHost.PgServer);
                await conn.OpenAsync(Ct);
                await using var cmd = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(Ct);
            }
        }
    }
}
