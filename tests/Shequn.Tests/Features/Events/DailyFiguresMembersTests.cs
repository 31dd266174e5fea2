using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Events;

/// <summary>
/// Members at each day's end (DailyFigures), counted from the range's start and the stints that begin or end inside it
/// (issue 15's speed): stints before, across, inside and after a five-day range in Asia/Shanghai, a leave exactly at a
/// day's end (still in at that end), a join exactly at a day's end (not yet in), a join exactly at the range's start, a
/// stay inside one day, and another community's stint, against hand-counted members per day.
/// </summary>
public abstract class DailyFiguresMembersTests(ShequnFactory factory)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static DateTime Sh(int month, int day, int hour, int minute = 0) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, month, day, hour, minute, 0, DateTimeKind.Unspecified), Shanghai);

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    [Fact]
    public async Task Members_AtEachDayEnd_MatchHandCounts()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "人数群");
        var other = await CommunityAsync(ws, "别的群");
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            void Stay(Guid community, string name, DateTime joined, DateTime? left)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = name };
                db.Add(m);
                db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = community, MemberId = m.Id, JoinedAt = joined, LeftAt = left });
            }
            Stay(c, "A", Sh(2, 20, 10), null);                  // 1 1 1 1 1
            Stay(c, "B", Sh(2, 20, 10), Sh(3, 3, 12));          // 1 1 0 0 0
            Stay(c, "C", Sh(3, 2, 9), null);                    // 0 1 1 1 1
            Stay(c, "D", Sh(3, 2, 10), Sh(3, 4, 0));            // 0 1 1 0 0: leaves at 3 March's end, still in then
            Stay(c, "E", Sh(3, 3, 0), null);                    // 0 0 1 1 1: joins at 2 March's end, not in then
            Stay(c, "F", Sh(3, 4, 8), Sh(3, 4, 20));            // 0 0 0 0 0: in and out within a day
            Stay(c, "G", Sh(2, 1, 8), Sh(2, 25, 8));            // 0 0 0 0 0: gone before the range
            Stay(c, "H", Sh(3, 7, 8), null);                    // 0 0 0 0 0: joins after the range
            Stay(c, "I", Sh(2, 28, 23), Sh(3, 6, 9));           // 1 1 1 1 1: leaves after the range
            Stay(c, "J", Sh(3, 1, 0), Sh(3, 5, 23, 59));        // 1 1 1 1 0: joins at the range's start
            Stay(other, "K", Sh(2, 1, 8), null);                // another community: 1 1 1 1 1
            await db.SaveChangesWithoutAuditAsync(TestContext.Current.CancellationToken);
        }

        await using var read = factory.Services.CreateAsyncScope();
        var rdb = read.ServiceProvider.GetRequiredService<AppDbContext>();
        rdb.Current.ActAsSystem(ws.Id);
        var now = Sh(6, 1, 12);
        var one = await DailyFigures.ReadAsync(rdb, rdb.Communities.Where(x => x.Id == c), new DateOnly(2025, 3, 1), new DateOnly(2025, 3, 5),
            Shanghai, now, TestContext.Current.CancellationToken);
        var both = await DailyFigures.ReadAsync(rdb, rdb.Communities.Where(x => x.Id == c || x.Id == other), new DateOnly(2025, 3, 1), new DateOnly(2025, 3, 5),
            Shanghai, now, TestContext.Current.CancellationToken);
        var single = await DailyFigures.ReadAsync(rdb, rdb.Communities.Where(x => x.Id == c), new DateOnly(2025, 3, 3), new DateOnly(2025, 3, 3),
            Shanghai, now, TestContext.Current.CancellationToken);

        Assert.Equal([4, 6, 6, 5, 4], one.Select(d => d.Members));
        Assert.Equal([5, 7, 7, 6, 5], both.Select(d => d.Members));
        Assert.Equal([6], single.Select(d => d.Members));
        Assert.Equal(new DateOnly(2025, 3, 1), one[0].Day);
    }

    /// <summary>Every community of the workspace (the owner's overview) is read by workspace rather than by ids: the same
    /// figures as the communities listed one by one and summed, another workspace's rows left out, over a 35-day range.</summary>
    [Fact]
    public async Task WholeWorkspace_EqualsItsCommunitiesSummed_AndLeavesOtherWorkspacesOut()
    {
        var ws = await factory.NewWorkspaceAsync();
        var stranger = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "全体甲");
        var b = await CommunityAsync(ws, "全体乙");
        var elsewhere = await CommunityAsync(stranger, "别家群");
        var from = new DateOnly(2025, 3, 1);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var rng = new Random(15);
            foreach (var (w, c) in new[] { (ws.Id, a), (ws.Id, b), (stranger.Id, elsewhere) })
            {
                db.Current.ActAsSystem(w);
                for (var i = 0; i < 40; i++)
                {
                    var m = new Member { WorkspaceId = w, DisplayName = "成员" + i };
                    db.Add(m);
                    // Joins from 20 days before the range to its end, a third leaving within 20 days (some after the range).
                    var joined = Sh(2, 9, 0).AddHours(rng.Next(0, 55 * 24));
                    DateTime? left = i % 3 == 0 ? joined.AddHours(rng.Next(0, 20 * 24)) : null;
                    db.Add(new Membership { WorkspaceId = w, CommunityId = c, MemberId = m.Id, JoinedAt = joined, LeftAt = left });
                }
                for (var d = 0; d < 35; d += 3)
                    db.Add(new CommunityDailyFigure { WorkspaceId = w, CommunityId = c, Day = from.AddDays(d), Joins = 1, Messages = 10 + d, StaffMessages = 2, Speakers = 3 });
                await db.SaveChangesWithoutAuditAsync(TestContext.Current.CancellationToken);
                db.ChangeTracker.Clear();
            }
        }

        await using var read = factory.Services.CreateAsyncScope();
        var rdb = read.ServiceProvider.GetRequiredService<AppDbContext>();
        rdb.Current.ActAsSystem(ws.Id);
        var now = Sh(6, 1, 12);
        var to = from.AddDays(34);
        var ct = TestContext.Current.CancellationToken;
        var whole = await DailyFigures.ReadAsync(rdb, rdb.Communities, from, to, Shanghai, now, ct);
        var one = await DailyFigures.ReadAsync(rdb, rdb.Communities.Where(x => x.Id == a), from, to, Shanghai, now, ct);
        var two = await DailyFigures.ReadAsync(rdb, rdb.Communities.Where(x => x.Id == b), from, to, Shanghai, now, ct);

        // Counted naively: a stint is in at a day's end T when it began before T and had not ended before T.
        var stints = await rdb.Memberships.Select(m => new { m.JoinedAt, m.LeftAt }).ToListAsync(ct);
        var expected = Enumerable.Range(1, 35).Select(k => DailyFigures.StartOf(from.AddDays(k), Shanghai))
            .Select(t => stints.Count(m => m.JoinedAt < t && (m.LeftAt == null || m.LeftAt >= t)));
        Assert.Equal(35, whole.Count);
        Assert.Equal(expected, whole.Select(d => d.Members));
        Assert.Equal(one.Zip(two, (x, y) => x.Members + y.Members), whole.Select(d => d.Members));
        Assert.Equal(one.Zip(two, (x, y) => x.Messages + y.Messages), whole.Select(d => d.Messages));
        Assert.Equal(2 * (10 + 33), whole[33].Messages);
        Assert.Contains(whole, d => d.Members > 0);
    }
}

public sealed class DailyFiguresMembersTests_Sqlite(SqliteFactory factory) : DailyFiguresMembersTests(factory), IClassFixture<SqliteFactory>;

public sealed class DailyFiguresMembersTests_Postgres(PostgresFactory factory) : DailyFiguresMembersTests(factory), IClassFixture<PostgresFactory>;
