using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Dashboard;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Events;

/// <summary>
/// The workspace's stored complete days (WorkspaceDay, issue 15's overview speed): the overview's 30 days and the
/// dashboard's members read the same from stored days as counted from the stints (checked against naive counts), the
/// stored rows are what is read (a row altered by hand shows), joins and leaves as they happen keep the rows, and late
/// changes (a join or a leave back-dated, a member deleted, a past day's figures) drop exactly the days they reach,
/// which the job then stores anew.
/// </summary>
public abstract class WorkspaceDaysTests(ShequnFactory factory)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>The job's clock, stopped, and the moment every read is made at.</summary>
    private static readonly DateTime Now = DateTime.UtcNow;

    private static DateOnly Today => DailyFigures.DayOf(Now, Shanghai);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Stopped : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(Now);
    }

    internal static WorkspaceDaySettle Job(IServiceProvider services) => new(services.GetRequiredService<IServiceScopeFactory>(),
        Options.Create(new AnalyticsOptions { WorkspaceDaysPause = TimeSpan.Zero }), services.GetRequiredService<WorkspaceZones>(), new Stopped(),
        NullLogger<WorkspaceDaySettle>.Instance);

    private async Task<T> WithDbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> f)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await f(db);
    }

    private sealed record Overview(IReadOnlyList<DayFigures> Days, DashboardFigures Dashboard);

    private Task<Overview> ReadAsync(Guid ws) => WithDbAsync(ws, async db => new Overview(
        await DailyFigures.ReadAsync(db, db.Communities, Today.AddDays(-30), Today, Shanghai, Now, Ct),
        await DashboardFigures.ComputeAsync(db, Shanghai, Now, Ct)));

    /// <summary>Counted naively from every row: members (stints) at each day's end, members in a group now, member records, messages.</summary>
    private Task<(int[] Members, int[] Messages, int InNow, int Records)> NaiveAsync(Guid ws) => WithDbAsync(ws, async db =>
    {
        var stints = await db.Memberships.Select(m => new { m.MemberId, m.JoinedAt, m.LeftAt }).ToListAsync(Ct);
        var figures = await db.Set<CommunityDailyFigure>().ToListAsync(Ct);
        var days = Enumerable.Range(0, 31).Select(k => Today.AddDays(k - 30)).ToArray();
        var members = days.Select(d => DailyFigures.StartOf(d.AddDays(1), Shanghai))
            .Select(t => stints.Count(m => m.JoinedAt < t && (m.LeftAt == null || m.LeftAt >= t))).ToArray();
        var messages = days.Select(d => figures.Where(f => f.Day == d).Sum(f => f.Messages)).ToArray();
        return (members, messages, stints.Where(m => m.LeftAt == null).Select(m => m.MemberId).Distinct().Count(), await db.Members.CountAsync(Ct));
    });

    private async Task AssertMatchesNaiveAsync(Guid ws)
    {
        var read = await ReadAsync(ws);
        var naive = await NaiveAsync(ws);
        Assert.Equal(naive.Members, read.Days.Select(d => d.Members));
        Assert.Equal(naive.Messages, read.Days.Select(d => d.Messages));
        Assert.True(read.Dashboard.WholeWorkspace);
        Assert.Equal(naive.InNow, read.Dashboard.Members);
        Assert.Equal(naive.Records, read.Dashboard.MembersListed);
    }

    private Task<List<DateOnly>> StoredDaysAsync(Guid ws) =>
        WithDbAsync(ws, db => db.Set<WorkspaceDay>().Where(d => d.WorkspaceId == ws).OrderBy(d => d.Day).Select(d => d.Day).ToListAsync(Ct));

    [Fact]
    public async Task StoredDays_ReadAsCounted_AndOnlyLateChangesDropThem()
    {
        var ws = await factory.NewWorkspaceAsync();
        var stranger = await factory.NewWorkspaceAsync();
        var a = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("存日甲", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var b = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("存日乙", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var elsewhere = (await (await stranger.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("别家", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var oldStint = Guid.Empty;
        var oldMember = Guid.Empty;
        await WithDbAsync(ws.Id, async db =>
        {
            var rng = new Random(15);
            foreach (var (w, c) in new[] { (ws.Id, a), (ws.Id, b), (stranger.Id, elsewhere) })
            {
                db.Current.ActAsSystem(w);
                for (var i = 0; i < 60; i++)
                {
                    // Members created and joined over the last 50 days (some twice, a third leaving), a few in both groups.
                    var joined = Now.AddHours(-rng.Next(1, 50 * 24));
                    var m = new Member { WorkspaceId = w, DisplayName = "成员" + i, CreatedAt = joined.AddMinutes(-5) };
                    db.Add(m);
                    DateTime? left = i % 3 == 0 ? joined.AddHours(rng.Next(1, 20 * 24)) : null;
                    if (left > Now)
                        left = null;
                    var stint = new Membership { WorkspaceId = w, CommunityId = c, MemberId = m.Id, JoinedAt = joined, LeftAt = left };
                    db.Add(stint);
                    if (i % 7 == 0 && c != elsewhere)
                        db.Add(new Membership { WorkspaceId = w, CommunityId = c == a ? b : a, MemberId = m.Id, JoinedAt = joined.AddHours(3) });
                    if (w == ws.Id && i == 1)
                        (oldStint, oldMember) = (stint.Id, m.Id);
                }
                for (var d = 0; d <= 40; d += 2)
                    db.Add(new CommunityDailyFigure { WorkspaceId = w, CommunityId = c, Day = Today.AddDays(-d), Joins = 1, Messages = 10 + d, StaffMessages = 2, Speakers = 3 });
                await db.SaveChangesWithoutAuditAsync(Ct);
                db.ChangeTracker.Clear();
            }
            // The old stint joined long ago and is still in: its leave now must not drop the stored days.
            await db.Memberships.Where(m => m.Id == oldStint).ExecuteUpdateAsync(s => s.SetProperty(m => m.JoinedAt, Now.AddDays(-60)).SetProperty(m => m.LeftAt, (DateTime?)null), Ct);
            return 0;
        });

        var counted = await ReadAsync(ws.Id);
        await AssertMatchesNaiveAsync(ws.Id);
        var pass = await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct);
        Assert.Equal(new AnalyticsOptions().WorkspaceDaysKept, pass.Stored);
        Assert.Equal(pass.Stored, (await StoredDaysAsync(ws.Id)).Count);
        Assert.Equal(0, (await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct)).Stored);

        // From the stored days: the same figures, day by day, and the same dashboard.
        var stored = await ReadAsync(ws.Id);
        Assert.Equal(counted.Days, stored.Days);
        Assert.Equal(counted.Dashboard, stored.Dashboard);

        // The stored rows are what is read: one altered by hand shows on its day.
        var altered = Today.AddDays(-4);
        await WithDbAsync(ws.Id, db => db.Set<WorkspaceDay>().Where(d => d.WorkspaceId == ws.Id && d.Day == altered)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Members, 99_999), Ct));
        Assert.Equal(99_999, (await ReadAsync(ws.Id)).Days.Single(d => d.Day == altered).Members);
        await WithDbAsync(ws.Id, db => db.Set<WorkspaceDay>().Where(d => d.WorkspaceId == ws.Id && d.Day == altered).ExecuteDeleteAsync(Ct));
        Assert.Equal(1, (await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct)).Stored);

        // Today's joins (a new member, an old member in another group) and a leave of a stint begun 60 days ago keep every stored day.
        await WithDbAsync(ws.Id, async db =>
        {
            var m = new Member { WorkspaceId = ws.Id, DisplayName = "今天来的" };
            db.Add(m);
            db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = a, MemberId = m.Id, JoinedAt = Now.AddMinutes(-1) });
            var old = await db.Memberships.SingleAsync(s => s.Id == oldStint, Ct);
            old.LeftAt = Now.AddSeconds(-30);
            await db.SaveChangesWithoutAuditAsync(Ct);
            return 0;
        });
        Assert.Equal(new AnalyticsOptions().WorkspaceDaysKept, (await StoredDaysAsync(ws.Id)).Count);
        await AssertMatchesNaiveAsync(ws.Id);
        Assert.NotEqual(counted.Dashboard.MembersListed, (await ReadAsync(ws.Id)).Dashboard.MembersListed);

        // Late changes drop the days they reach, and only those: a join back-dated ten days …
        var tenDaysAgo = Now.AddDays(-10);
        await WithDbAsync(ws.Id, async db =>
        {
            var m = new Member { WorkspaceId = ws.Id, DisplayName = "迟到的", CreatedAt = Now };
            db.Add(m);
            await db.SaveChangesWithoutAuditAsync(Ct);
            db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = b, MemberId = m.Id, JoinedAt = tenDaysAgo });
            await db.SaveChangesWithoutAuditAsync(Ct);
            return 0;
        });
        var firstDropped = DailyFigures.DayOf(tenDaysAgo, Shanghai);
        var left = await StoredDaysAsync(ws.Id);
        Assert.Equal(firstDropped.AddDays(-1), left.Max());
        Assert.Equal(new AnalyticsOptions().WorkspaceDaysKept - (Today.DayNumber - firstDropped.DayNumber), left.Count);
        await AssertMatchesNaiveAsync(ws.Id);

        // … a past day's figures, a leave back-dated, a member deleted (their stints go with them):
        await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct);
        await WithDbAsync(ws.Id, db => db.Set<CommunityDailyFigure>().Where(f => f.CommunityId == a && f.Day == Today.AddDays(-20))
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.Messages, f => f.Messages + 5), Ct));
        Assert.Equal(Today.AddDays(-21), (await StoredDaysAsync(ws.Id)).Max());
        await AssertMatchesNaiveAsync(ws.Id);

        await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct);
        var leftAt = Now.AddDays(-30);
        await WithDbAsync(ws.Id, db => db.Memberships.Where(m => m.LeftAt == null && m.JoinedAt < leftAt.AddDays(-1)).OrderBy(m => m.Id).Take(1)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeftAt, leftAt), Ct));
        Assert.Equal(DailyFigures.DayOf(leftAt, Shanghai).AddDays(-1), (await StoredDaysAsync(ws.Id)).Max());
        await AssertMatchesNaiveAsync(ws.Id);

        await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct);
        var deleted = await WithDbAsync(ws.Id, async db =>
        {
            var m = await db.Members.Where(x => x.Id != oldMember && x.Memberships.Any()).OrderBy(x => x.CreatedAt).FirstAsync(Ct);
            db.Remove(m);
            await db.SaveChangesWithoutAuditAsync(Ct);
            return m.CreatedAt;
        });
        Assert.Equal(DailyFigures.DayOf(deleted, Shanghai).AddDays(-1), (await StoredDaysAsync(ws.Id)).Max());
        await AssertMatchesNaiveAsync(ws.Id);

        // Stored anew, still as counted; the other workspace's rows were never touched by any of it.
        Assert.True((await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct)).Stored > 0);
        Assert.Equal(new AnalyticsOptions().WorkspaceDaysKept, (await StoredDaysAsync(ws.Id)).Count);
        await AssertMatchesNaiveAsync(ws.Id);
        Assert.Empty(await StoredDaysAsync(stranger.Id));
    }

    /// <summary>A workspace whose zone changed: its stored days of the old zone are not read, and the job replaces them.</summary>
    [Fact]
    public async Task StoredDays_OfAnotherZone_AreNotRead()
    {
        var ws = await factory.NewWorkspaceAsync();
        await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct);
        await WithDbAsync(ws.Id, db => db.Set<WorkspaceDay>().Where(d => d.WorkspaceId == ws.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.TimeZone, "Europe/London").SetProperty(d => d.Members, 77), Ct));
        Assert.DoesNotContain(77, (await ReadAsync(ws.Id)).Days.Select(d => d.Members));
        var pass = await Job(factory.Services).RunWorkspaceAsync(ws.Id, Ct);
        Assert.Equal(new AnalyticsOptions().WorkspaceDaysKept, pass.Deleted);
        Assert.Equal(new AnalyticsOptions().WorkspaceDaysKept, pass.Stored);
    }
}

public sealed class WorkspaceDaysTests_Sqlite(SqliteFactory factory) : WorkspaceDaysTests(factory), IClassFixture<SqliteFactory>;

public sealed class WorkspaceDaysTests_Postgres(PostgresFactory factory) : WorkspaceDaysTests(factory), IClassFixture<PostgresFactory>;
