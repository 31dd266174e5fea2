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
}

public sealed class DailyFiguresMembersTests_Sqlite(SqliteFactory factory) : DailyFiguresMembersTests(factory), IClassFixture<SqliteFactory>;

public sealed class DailyFiguresMembersTests_Postgres(PostgresFactory factory) : DailyFiguresMembersTests(factory), IClassFixture<PostgresFactory>;
