using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>
/// Retention cohorts over HTTP on a small fixed fixture with hand-computed shares (issue 15): two join weeks in March 2025
/// (Asia/Shanghai, long past so every offset is reached), a leave after 10 days, a leave and rejoin, a leave exactly at
/// join + 1 week, speakers on chosen days (one a day past the 12-week window, one in another community), the Sunday
/// 23:30 / Monday 00:30 boundary, channels, offsets not reached yet, who sees what, and bad input naming its field.
/// </summary>
public abstract class RetentionCohortsTests(ShequnFactory factory)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>A Shanghai wall-clock moment as UTC.</summary>
    private static DateTime Sh(int month, int day, int hour, int minute = 0) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, month, day, hour, minute, 0, DateTimeKind.Unspecified), Shanghai);

    private static DateOnly D(int month, int day) => new(2025, month, day);

    private sealed record Fixture(TestWorkspace Ws, Guid C, Guid D, Guid OwnChannel, Guid LiveChannel);

    private async Task SeedAsync(Guid ws, Action<AppDbContext> add)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        add(db);
        await db.SaveChangesWithoutAuditAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    /// <summary>
    /// Community C: week of 3 March: A (Mon 10:00, stays), B (Tue 12:00, leaves 10 days later), E (Sun 9 March 23:30 =
    /// 15:30 UTC, stays); week of 10 March: F (Mon 00:30 = Sun 16:30 UTC, leaves exactly a week later), R (Tue 11 March
    /// 09:00, leaves 13 March, rejoins Thu 20 March). Community D: H (week of 3 March, stays).
    /// </summary>
    private async Task<Fixture> FixtureAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "留存群");
        var d = await CommunityAsync(ws, "别的群");
        var own = Guid.NewGuid();
        var live = Guid.NewGuid();
        var code = LiveCode.NewCode();
        await SeedAsync(ws.Id, db =>
        {
            db.Add(new AcquisitionChannel { Id = own, WorkspaceId = ws.Id, Name = "公众号" });
            db.Add(new AcquisitionChannel { Id = live, WorkspaceId = ws.Id, Name = "直播间" });
            db.Add(new LiveCode { WorkspaceId = ws.Id, ChannelId = live, Name = "直播码", Code = code });
            Guid Member(string name)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = name };
                db.Add(m);
                return m.Id;
            }
            void Stay(Guid community, Guid member, DateTime joined, DateTime? left, string? channel) =>
                db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = community, MemberId = member, JoinedAt = joined, LeftAt = left, Channel = channel });
            void Spoke(Guid community, Guid member, DateOnly day) => db.Add(new DailySpeaker { CommunityId = community, MemberId = member, Day = day });

            var a = Member("A");
            Stay(c, a, Sh(3, 3, 10), null, "公众号");
            Spoke(c, a, D(3, 5));
            Spoke(c, a, D(3, 12));
            Spoke(d, a, D(3, 24)); // another community: no speaking at 4 weeks in C
            Spoke(c, a, D(5, 26)); // J + 84: the day after the 12-week window
            var b = Member("B");
            Stay(c, b, Sh(3, 4, 12), Sh(3, 14, 12), LiveCode.KeyOf(code));
            Spoke(c, b, D(3, 4));
            var e = Member("E");
            Stay(c, e, Sh(3, 9, 23, 30), null, null);
            Spoke(c, e, D(3, 10));
            Spoke(c, e, D(5, 31)); // J + 83: the last day of the 12-week window
            var f = Member("F");
            Stay(c, f, Sh(3, 10, 0, 30), Sh(3, 17, 0, 30), "海报");
            var r = Member("R");
            Stay(c, r, Sh(3, 11, 9), Sh(3, 13, 9), "公众号");
            Stay(c, r, Sh(3, 20, 9), null, "公众号");
            Spoke(c, r, D(3, 12));
            Spoke(c, r, D(3, 21));
            var h = Member("H");
            Stay(d, h, Sh(3, 5, 9), null, "公众号");
        });
        return new Fixture(ws, c, d, own, live);
    }

    private static (int? Stayed, int? Spoke, int Base)[] Cells(CohortRow row) => [.. row.Cells.Select(x => (x.Stayed, x.Spoke, x.Base))];

    [Fact]
    public async Task Report_ByWeek_MatchesHandCountedShares_InShanghaiWeeks()
    {
        var fx = await FixtureAsync();

        var report = await fx.Ws.Owner.Api.GetJsonAsync<CohortReport>($"/api/analytics/cohorts?by=week&from=2025-03-05&to=2025-03-12&communityId={fx.C}");

        // Whole weeks: from Monday 3 March to Sunday 16 March.
        Assert.Equal((D(3, 3), D(3, 16), "Asia/Shanghai"), (report.From, report.To, report.TimeZone));
        Assert.Equal([1, 2, 4, 8, 12], report.Offsets);
        Assert.Equal([D(3, 3), D(3, 10)], report.Rows.Select(r => r.Week));
        var w1 = report.Rows[0];
        var w2 = report.Rows[1];
        // E's Sunday 23:30 join is in the first week, F's Monday 00:30 (still Sunday in UTC) in the second.
        Assert.Equal((3, 2), (w1.Joins, w2.Joins));
        // Week 1, A B E. Stayed: all 3 at 1 week; B gone at 2 weeks. Spoke: all in week 1; A at 2 weeks; only E at 12.
        Assert.Equal([(3, 3, 3), (2, 1, 3), (2, 0, 3), (2, 0, 3), (2, 1, 3)], Cells(w1));
        // Week 2, F R. F left exactly at 1 week (gone), R was away then but back by 2 weeks; R spoke in weeks 1 and 2.
        Assert.Equal([(0, 1, 2), (1, 1, 2), (1, 0, 2), (1, 0, 2), (1, 0, 2)], Cells(w2));
        Assert.Equal(2.0 / 3, w1.Cells[1].StayedShare!.Value, 6);
        Assert.Equal(1.0 / 3, w1.Cells[4].SpokeShare!.Value, 6);
        Assert.Equal(0.0, w2.Cells[0].StayedShare!.Value, 6);
        Assert.Equal(5, report.Total.Joins);
        Assert.Equal([(3, 4, 5), (3, 2, 5), (3, 0, 5), (3, 0, 5), (3, 1, 5)], Cells(report.Total));

        // A third week holds R's return as a join of its own; the rejoin counts once per stay.
        var three = await fx.Ws.Owner.Api.GetJsonAsync<CohortReport>($"/api/analytics/cohorts?from=2025-03-03&to=2025-03-17&communityId={fx.C}");
        Assert.Equal(CohortBy.Week, three.By);
        Assert.Equal([3, 2, 1], three.Rows.Select(r => r.Joins));
        Assert.Equal((1, 1, 1), Cells(three.Rows[2])[0]);
    }

    [Fact]
    public async Task Report_ByChannel_GroupsByRegisteredChannelLiveCodeTextAndNone()
    {
        var fx = await FixtureAsync();

        var report = await fx.Ws.Owner.Api.GetJsonAsync<CohortReport>($"/api/analytics/cohorts?by=channel&from=2025-03-03&to=2025-03-16&communityId={fx.C}");

        Assert.Equal(CohortBy.Channel, report.By);
        (string?, Guid?, int)[] expected = [("公众号", fx.OwnChannel, 2), ("海报", null, 1), ("直播间", fx.LiveChannel, 1), (null, null, 1)];
        Assert.Equal(expected, report.Rows.Select(r => (r.Channel, r.ChannelId, r.Joins)));
        Assert.All(report.Rows, r => Assert.Null(r.Week));
        // 公众号: A (stays) and R (away at 1 week, back at 2).
        Assert.Equal([(1, 2, 2), (2, 2, 2), (2, 0, 2), (2, 0, 2), (2, 0, 2)], Cells(report.Rows[0]));
        // 直播间 through its live code: B, gone after 10 days.
        Assert.Equal([(1, 1, 1), (0, 0, 1), (0, 0, 1), (0, 0, 1), (0, 0, 1)], Cells(report.Rows[2]));
        Assert.Equal(5, report.Total.Joins);
    }

    [Fact]
    public async Task Report_OffsetsNotReached_AreNull_NotZero()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "新群");
        var joined = DateTime.UtcNow.AddDays(-15);
        await SeedAsync(ws.Id, db =>
        {
            var m = new Member { WorkspaceId = ws.Id, DisplayName = "新人" };
            db.Add(m);
            db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = m.Id, JoinedAt = joined });
            // Minutes ago, but never before this week's Monday 00:00 in Shanghai (a run just after it).
            var weekStart = TimeZoneInfo.ConvertTimeToUtc(RetentionCohorts.WeekOf(DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, Shanghai)))
                .ToDateTime(TimeOnly.MinValue), Shanghai);
            var recent = DateTime.UtcNow.AddMinutes(-5) < weekStart ? weekStart : DateTime.UtcNow.AddMinutes(-5);
            db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = m.Id, JoinedAt = recent, LeftAt = null, Channel = "x" });
        });

        // Default period: the last 12 complete weeks and the current one.
        var report = await ws.Owner.Api.GetJsonAsync<CohortReport>("/api/analytics/cohorts");

        Assert.Equal(13, report.Rows.Count);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, Shanghai));
        Assert.Equal(RetentionCohorts.WeekOf(today), report.Rows[^1].Week);
        Assert.Equal(RetentionCohorts.WeekOf(today).AddDays(-84), report.Rows[0].Week);
        // The current week has reached nothing, joins or not.
        Assert.Equal(1, report.Rows[^1].Joins);
        Assert.All(report.Rows[^1].Cells, x => Assert.True(x is { Base: 0, Stayed: null, Spoke: null, StayedShare: null, SpokeShare: null }, x.ToString()));
        // 15 days ago: its week ended more than a week ago (1 week reached) but not four weeks ago.
        var week = RetentionCohorts.WeekOf(DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(joined, Shanghai)));
        var row = Assert.Single(report.Rows, r => r.Week == week);
        Assert.Equal((1, 0, 1), Cells(row)[0]);
        Assert.Equal(1.0, row.Cells[0].StayedShare);
        Assert.All(row.Cells.Skip(2), x => Assert.True(x is { Base: 0, Stayed: null, Spoke: null, StayedShare: null }, x.ToString()));
        // An old empty week has reached its offsets: zero joins, counts of 0 and no share.
        Assert.True(report.Rows[0].Cells[0] is { Base: 0, Stayed: 0, Spoke: 0, StayedShare: null }, report.Rows[0].Cells[0].ToString());
    }

    [Fact]
    public async Task Report_Operator_SeesOnlyAssignedCommunities_KocGetsNothing()
    {
        var fx = await FixtureAsync();
        var op = await fx.Ws.AddStaffAsync(StaffRole.Operator, "运营", fx.C);
        var koc = await fx.Ws.AddStaffAsync(StaffRole.Koc, "KOC", fx.C);
        const string Period = "from=2025-03-03&to=2025-03-16";

        Assert.Equal(6, (await fx.Ws.Owner.Api.GetJsonAsync<CohortReport>($"/api/analytics/cohorts?{Period}")).Total.Joins);
        var seen = await op.Api.GetJsonAsync<CohortReport>($"/api/analytics/cohorts?{Period}");
        Assert.Equal(5, seen.Total.Joins);
        Assert.Equal([3, 2], seen.Rows.Select(r => r.Joins));

        var hidden = await op.Api.GetAsync($"/api/analytics/cohorts?{Period}&communityId={fx.D}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, hidden.StatusCode);
        Assert.Contains("communityId", (await hidden.ReadValidationErrorsAsync()).Keys);

        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync($"/api/analytics/cohorts?{Period}", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Theory]
    [InlineData("by=month", "by")]
    [InlineData("from=2025-3-1", "from")]
    [InlineData("to=yesterday", "to")]
    [InlineData("from=2025-03-10&to=2025-03-01", "to")]
    [InlineData("from=2024-01-01&to=2025-03-01", "to")]
    [InlineData("communityId=abc", "communityId")]
    public async Task Report_BadInput_Is400NamingTheField(string query, string field)
    {
        var ws = await factory.NewWorkspaceAsync();

        var response = await ws.Owner.Api.GetAsync($"/api/analytics/cohorts?{query}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], (await response.ReadValidationErrorsAsync()).Keys);
    }
}

public sealed class RetentionCohortsTests_Sqlite(SqliteFactory factory) : RetentionCohortsTests(factory), IClassFixture<SqliteFactory>;

public sealed class RetentionCohortsTests_Postgres(PostgresFactory factory) : RetentionCohortsTests(factory), IClassFixture<PostgresFactory>;
