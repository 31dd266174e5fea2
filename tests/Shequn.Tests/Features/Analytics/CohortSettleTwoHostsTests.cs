using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>
/// Two app hosts on one PostgreSQL settling the same workspace's cohort joins at once, several passes each, from nothing
/// and from half settled: every join gets one row (the passes' inserted counts add up to the rows), the rows are those
/// of a single host's pass, the report reads the same as computed live, and no pass fails.
/// </summary>
public sealed class CohortSettleTwoHostsTests
{
    private sealed class Host(string database) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The jobs' clock, stopped, so that no offset comes due between two passes that are compared.</summary>
    private static readonly DateTime Now = DateTime.UtcNow;

    private sealed class Stopped : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(Now);
    }

    private static async Task<T> WithDbAsync<T>(Host host, Guid ws, Func<AppDbContext, Task<T>> f)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await f(db);
    }

    private static CohortSettle Job(Host host, TimeSpan grace) => new(host.Services.GetRequiredService<IServiceScopeFactory>(),
        Options.Create(new AnalyticsOptions { CohortGrace = grace }), new Stopped(), NullLogger<CohortSettle>.Instance);

    private static Task<string> RowsAsync(Host host, Guid ws) => WithDbAsync(host, ws, async db => JsonSerializer.Serialize(
        await db.Set<CohortJoin>().AsNoTracking().OrderBy(r => r.MembershipId).ToListAsync(Ct)));

    private static Task<int> ForgetAllAsync(Host host, Guid ws) => WithDbAsync(host, ws, db => db.Set<CohortJoin>().ExecuteDeleteAsync(Ct));

    /// <summary>Three passes on each host at once, each pass with its own contexts (as the background job's).</summary>
    private static async Task<CohortSettle.Pass> AtOnceAsync(Host[] hosts, Guid ws)
    {
        var passes = await Task.WhenAll(hosts.SelectMany(h => Enumerable.Range(0, 3).Select(_ => Task.Run(() => Job(h, TimeSpan.FromDays(2)).RunWorkspaceAsync(ws, Ct), Ct))));
        return new CohortSettle.Pass(passes.Sum(p => p.Dropped), passes.Sum(p => p.Inserted), passes.Sum(p => p.Settled));
    }

    [Fact]
    public async Task TwoHostsSettling_OneWorkspace_EachRowInsertedOnce_SameAsOneHost_SameAsLive()
    {
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        Host[] hosts = [new(database), new(database)];
        try
        {
            var ws = await hosts[0].NewWorkspaceAsync();
            _ = hosts[1].Services;
            var communities = new List<Guid>();
            for (var i = 0; i < 3; i++)
                communities.Add((await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("结算" + i, "sandbox"))).ReadAsync<CommunityDto>()).Id);

            // Over two and a half batches of joins over 200 days (leaves, rejoins, speakers), so that the hosts' batches overlap.
            var rng = new Random(15);
            var now = Now;
            var joins = 0;
            await WithDbAsync(hosts[0], ws.Id, db =>
            {
                var speakers = new HashSet<(Guid, DateOnly, Guid)>();
                while (joins < 2 * CohortSettle.BatchSize + 600)
                {
                    var m = new Member { WorkspaceId = ws.Id, DisplayName = "m" + joins };
                    db.Add(m);
                    var c = communities[rng.Next(communities.Count)];
                    var joined = now.AddDays(-rng.NextDouble() * 200);
                    DateTime? left = rng.Next(4) == 0 ? joined.AddDays(rng.NextDouble() * 60) : null;
                    left = left > now ? null : left;
                    db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = m.Id, JoinedAt = joined, LeftAt = left, Channel = rng.Next(3) == 0 ? null : "ch" + rng.Next(3) });
                    joins++;
                    if (left is { } l && rng.Next(3) == 0 && l.AddDays(10) < now)
                    {
                        db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = m.Id, JoinedAt = l.AddDays(rng.NextDouble() * 10), Channel = "ch0" });
                        joins++;
                    }
                    for (var d = joined; d < (left ?? now); d = d.AddDays(1))
                    {
                        if (rng.Next(10) == 0)
                            speakers.Add((c, DateOnly.FromDateTime(d.AddHours(8)), m.Id));
                    }
                }
                foreach (var (c, d, m) in speakers)
                    db.Add(new DailySpeaker { CommunityId = c, Day = d, MemberId = m });
                // One save, one transaction: no pass sees half of the fixture.
                return db.SaveChangesWithoutAuditAsync(Ct);
            });
            // Every join gets a row, the youngest too (with no offset reached).
            var older = await WithDbAsync(hosts[0], ws.Id, db => db.Memberships.CountAsync(m => m.JoinedAt <= now, Ct));
            Assert.True(older > 2 * CohortSettle.BatchSize);

            var from = DateOnly.FromDateTime(now.AddDays(-210)).ToString("yyyy-MM-dd");
            async Task<string> ReportsAsync()
            {
                var texts = new List<string>();
                foreach (var by in new[] { "week", "channel" })
                {
                    var response = await ws.Owner.Api.GetAsync($"/api/analytics/cohorts?by={by}&from={from}", Ct);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    texts.Add(await response.Content.ReadAsStringAsync(Ct));
                }
                return string.Join("\n", texts);
            }
            var live = await ReportsAsync();

            // From nothing: both hosts at once.
            var together = await AtOnceAsync(hosts, ws.Id);
            var rows = await RowsAsync(hosts[1], ws.Id);
            var count = await WithDbAsync(hosts[1], ws.Id, db => db.Set<CohortJoin>().CountAsync(Ct));
            Assert.Equal(older, count);
            Assert.Equal(new CohortSettle.Pass(0, older, 0), together);
            Assert.Equal(live, await ReportsAsync());

            // The same rows as one host's single pass.
            await ForgetAllAsync(hosts[0], ws.Id);
            Assert.Equal(new CohortSettle.Pass(0, older, 0), await Job(hosts[0], TimeSpan.FromDays(2)).RunWorkspaceAsync(ws.Id, Ct));
            Assert.Equal(rows, await RowsAsync(hosts[0], ws.Id));

            // From half settled (a pass with a grace of 60 days first): one host alone, then both at once from the same start.
            await ForgetAllAsync(hosts[0], ws.Id);
            await Job(hosts[0], TimeSpan.FromDays(60)).RunWorkspaceAsync(ws.Id, Ct);
            var alone = await Job(hosts[1], TimeSpan.FromDays(2)).RunWorkspaceAsync(ws.Id, Ct);
            Assert.True(alone.Settled > CohortSettle.BatchSize, $"{alone}");
            Assert.Equal(rows, await RowsAsync(hosts[0], ws.Id));
            await ForgetAllAsync(hosts[0], ws.Id);
            await Job(hosts[0], TimeSpan.FromDays(60)).RunWorkspaceAsync(ws.Id, Ct);
            Assert.Equal(alone, await AtOnceAsync(hosts, ws.Id));
            Assert.Equal(rows, await RowsAsync(hosts[1], ws.Id));
            Assert.Equal(live, await ReportsAsync());
            Assert.Equal(new CohortSettle.Pass(0, 0, 0), await AtOnceAsync(hosts, ws.Id));
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
