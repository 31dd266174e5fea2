using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>
/// The cohorts' stored outcomes (<see cref="CohortJoin"/>, <see cref="CohortSettle"/>): the report is the same with the
/// job run and without it (rejoins, leaves before and after an offset, speakers inside and outside the windows, channels,
/// offsets stored, offsets still computed, joins without a row), reads what is stored, and the job writes each row once
/// however often and however many run it at once; an erased member's rows go, and a merge drops both members'.
/// </summary>
public abstract class CohortSettleTests(ShequnFactory factory)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTime Sh(int month, int day, int hour, int minute = 0) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, month, day, hour, minute, 0, DateTimeKind.Unspecified), Shanghai);

    private static DateOnly DayOf(DateTime utc) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(utc, Shanghai));

    private sealed record Fixture(TestWorkspace Ws, Guid C, Guid D, Dictionary<string, Guid> Members);

    private async Task<T> WithDbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> f)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await f(db);
    }

    private Task<int> SeedAsync(Guid ws, Action<AppDbContext> add) => WithDbAsync(ws, db =>
    {
        add(db);
        return db.SaveChangesWithoutAuditAsync(Ct);
    });

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    /// <summary>
    /// March 2025 (every offset long settled) and the last weeks (some offsets within the grace of the job below):
    /// stays, leaves at and around offsets, a rejoin in each, speakers in and out of the windows and in another community.
    /// </summary>
    private async Task<Fixture> FixtureAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "结算群");
        var d = await CommunityAsync(ws, "隔壁群");
        var code = LiveCode.NewCode();
        var members = new Dictionary<string, Guid>();
        var now = DateTime.UtcNow;
        await SeedAsync(ws.Id, db =>
        {
            var live = new AcquisitionChannel { WorkspaceId = ws.Id, Name = "直播间" };
            db.Add(new AcquisitionChannel { WorkspaceId = ws.Id, Name = "公众号" });
            db.Add(live);
            db.Add(new LiveCode { WorkspaceId = ws.Id, ChannelId = live.Id, Name = "直播码", Code = code });
            Guid Member(string name)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = name };
                db.Add(m);
                return members[name] = m.Id;
            }
            void Stay(Guid community, Guid member, DateTime joined, DateTime? left, string? channel) =>
                db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = community, MemberId = member, JoinedAt = joined, LeftAt = left, Channel = channel });
            void Spoke(Guid community, Guid member, DateOnly day) => db.Add(new DailySpeaker { CommunityId = community, MemberId = member, Day = day });

            var a = Member("A");
            Stay(c, a, Sh(3, 3, 10), null, "公众号");
            Spoke(c, a, new(2025, 3, 5));
            Spoke(c, a, new(2025, 3, 12));
            Spoke(d, a, new(2025, 3, 24));
            Spoke(c, a, new(2025, 5, 26));
            var b = Member("B");
            Stay(c, b, Sh(3, 4, 12), Sh(3, 14, 12), LiveCode.KeyOf(code));
            Spoke(c, b, new(2025, 3, 4));
            var e = Member("E");
            Stay(c, e, Sh(3, 9, 23, 30), null, null);
            Spoke(c, e, new(2025, 3, 10));
            Spoke(c, e, new(2025, 5, 31));
            var f = Member("F");
            Stay(c, f, Sh(3, 10, 0, 30), Sh(3, 17, 0, 30), "海报");
            var r = Member("R");
            Stay(c, r, Sh(3, 11, 9), Sh(3, 13, 9), "公众号");
            Stay(c, r, Sh(3, 20, 9), null, "公众号");
            Spoke(c, r, new(2025, 3, 12));
            Spoke(c, r, new(2025, 3, 21));
            Stay(d, Member("H"), Sh(3, 5, 9), null, "公众号");

            // Recent: with a grace of 20 days, offsets 1, 2 and 4 weeks of P and Q are stored and only the first is final;
            // all three of S's first join are stored and two final, two of its rejoin's stored and none final; N has reached
            // none. With the default grace of 2 days, P's first two are final and the third provisional.
            var p = Member("P");
            Stay(c, p, now.AddDays(-29), null, "公众号");
            Spoke(c, p, DayOf(now.AddDays(-28)));
            Spoke(c, p, DayOf(now.AddDays(-20)));
            var q = Member("Q");
            Stay(c, q, now.AddDays(-29).AddHours(1), now.AddDays(-20), "海报");
            Spoke(c, q, DayOf(now.AddDays(-29).AddHours(1)));
            var s = Member("S");
            Stay(c, s, now.AddDays(-40), now.AddDays(-35), LiveCode.KeyOf(code));
            Stay(c, s, now.AddDays(-25), null, null);
            Spoke(c, s, DayOf(now.AddDays(-24)));
            Spoke(c, s, DayOf(now.AddDays(-13)));
            Stay(c, Member("N"), now.AddDays(-1), null, "公众号");
        });
        return new Fixture(ws, c, d, members);
    }

    /// <summary>Every table the fixture's workspace shows, as text: by week and by channel, March 2025 and the default period, and one community.</summary>
    private static async Task<string> ReportsAsync(Fixture fx)
    {
        var texts = new List<string>();
        foreach (var query in new[]
        {
            "by=week&from=2025-03-03&to=2025-06-01", "by=channel&from=2025-03-03&to=2025-06-01", "by=week", "by=channel",
            $"by=week&communityId={fx.C}", $"by=channel&from=2025-03-03&to=2025-03-23&communityId={fx.D}",
        })
        {
            var response = await fx.Ws.Owner.Api.GetAsync("/api/analytics/cohorts?" + query, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            texts.Add(query + ": " + await response.Content.ReadAsStringAsync(Ct));
        }
        return string.Join("\n", texts);
    }

    private CohortSettle Job(TimeSpan grace) => new(factory.Services.GetRequiredService<IServiceScopeFactory>(),
        Options.Create(new AnalyticsOptions { CohortGrace = grace }), factory.Services.GetRequiredService<TimeProvider>(), NullLogger<CohortSettle>.Instance);

    private Task<List<CohortJoin>> RowsAsync(Guid ws) => WithDbAsync(ws, db => db.Set<CohortJoin>().AsNoTracking().OrderBy(r => r.MembershipId).ToListAsync(Ct));

    private Task<int> ForgetAllAsync(Guid ws) => WithDbAsync(ws, db => db.Set<CohortJoin>().ExecuteDeleteAsync(Ct));

    [Fact]
    public async Task Report_IsTheSame_WithTheJobRunOrNot_AndReadsWhatIsStored()
    {
        var fx = await FixtureAsync();
        var computed = await ReportsAsync(fx);
        Assert.Empty(await RowsAsync(fx.Ws.Id));

        var pass = await Job(TimeSpan.FromDays(20)).RunWorkspaceAsync(fx.Ws.Id, Ct);

        // Every join has a row; March's have every offset final; the recent ones have the offsets reached stored (stored, final).
        var rows = await RowsAsync(fx.Ws.Id);
        Assert.Equal(12, pass.Inserted);
        Assert.Equal(12, rows.Count);
        var byMember = rows.GroupBy(r => r.MemberId).ToDictionary(g => g.Key, g => g.OrderBy(r => r.JoinedAt).Select(r => (r.Settled, r.Final)).ToList());
        Assert.Equal([(5, 5)], byMember[fx.Members["A"]]);
        Assert.Equal([(5, 5), (5, 5)], byMember[fx.Members["R"]]);
        Assert.Equal([(3, 1)], byMember[fx.Members["P"]]);
        Assert.Equal([(3, 1)], byMember[fx.Members["Q"]]);
        Assert.Equal([(3, 2), (2, 0)], byMember[fx.Members["S"]]);
        Assert.Equal([(0, 0)], byMember[fx.Members["N"]]);
        Assert.All(rows, r => Assert.Equal(r.Settled > r.Final, r.ProvisionalAt is not null && r.ProvisionalDay is not null));
        // Stored outcomes as counted by hand: A stayed at every offset and spoke at 1 and 2 weeks; B stayed at 1 week only.
        var a = rows.Single(r => r.MemberId == fx.Members["A"]);
        Assert.Equal((0b11111, 0b00011), (a.Stayed, a.Spoke));
        var b = rows.Single(r => r.MemberId == fx.Members["B"]);
        Assert.Equal((0b00001, 0b00001), (b.Stayed, b.Spoke));
        // S left after 5 days and was back after 15: away and silent at 1 and 2 weeks, back and speaking (day 27) at 4.
        var s = rows.Where(r => r.MemberId == fx.Members["S"]).MinBy(r => r.JoinedAt)!;
        Assert.Equal((0b100, 0b100), (s.Stayed, s.Spoke));
        // P stayed and spoke on days 1 and 9; 4 weeks is provisional: its moment and its speaking window's end are kept.
        var p = rows.Single(r => r.MemberId == fx.Members["P"]);
        Assert.Equal((0b111, 0b011), (p.Stayed, p.Spoke));
        Assert.Equal(p.JoinedAt.AddDays(28), p.ProvisionalAt);
        Assert.Equal(DayOf(p.JoinedAt).AddDays(28), p.ProvisionalDay);

        Assert.Equal(computed, await ReportsAsync(fx));

        // The stored values are what the report reads: spoil them and it shows.
        await WithDbAsync(fx.Ws.Id, db => db.Set<CohortJoin>().ExecuteUpdateAsync(u => u.SetProperty(r => r.Stayed, 0), Ct));
        Assert.NotEqual(computed, await ReportsAsync(fx));
        await ForgetAllAsync(fx.Ws.Id);
        // With the default grace nearly everything is stored; the same again.
        await factory.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(fx.Ws.Id, Ct);
        Assert.Contains(await RowsAsync(fx.Ws.Id), r => r.MemberId == fx.Members["P"] && r.Settled == 3 && r.Final == 2);
        Assert.Equal(computed, await ReportsAsync(fx));

        // A join after the job's pass has no row: computed, alongside the stored ones.
        await SeedAsync(fx.Ws.Id, db => db.Add(new Membership
        {
            WorkspaceId = fx.Ws.Id, CommunityId = fx.C, MemberId = fx.Members["H"], JoinedAt = Sh(3, 12, 8), LeftAt = Sh(3, 30, 8), Channel = "海报",
        }));
        var withNewJoin = await ReportsAsync(fx);
        Assert.NotEqual(computed, withNewJoin);
        await ForgetAllAsync(fx.Ws.Id);
        Assert.Equal(withNewJoin, await ReportsAsync(fx));
    }

    [Fact]
    public async Task Job_IsIdempotent_AndTwoAtOnceWriteEachRowOnce()
    {
        var fx = await FixtureAsync();
        var job = factory.Services.GetRequiredService<CohortSettle>();

        var first = await job.RunWorkspaceAsync(fx.Ws.Id, Ct);
        var once = JsonSerializer.Serialize(await RowsAsync(fx.Ws.Id));
        Assert.Equal(12, first.Inserted);
        Assert.Equal(new CohortSettle.Pass(0, 0, 0), await job.RunWorkspaceAsync(fx.Ws.Id, Ct));
        Assert.Equal(once, JsonSerializer.Serialize(await RowsAsync(fx.Ws.Id)));

        // Two passes at once (two nodes, each with its own contexts), from nothing and from half settled.
        await ForgetAllAsync(fx.Ws.Id);
        var passes = await Task.WhenAll(Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct), Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct));
        Assert.Equal(12, passes.Sum(p => p.Inserted));
        Assert.Equal(once, JsonSerializer.Serialize(await RowsAsync(fx.Ws.Id)));

        await ForgetAllAsync(fx.Ws.Id);
        await Job(TimeSpan.FromDays(20)).RunWorkspaceAsync(fx.Ws.Id, Ct);
        passes = await Task.WhenAll(Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct), Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct));
        // P, Q and S's two joins have offsets made final, each by one of the two.
        Assert.Equal((0, 4), (passes.Sum(p => p.Inserted), passes.Sum(p => p.Settled)));
        Assert.Equal(once, JsonSerializer.Serialize(await RowsAsync(fx.Ws.Id)));

        // A row that no longer matches its membership (a late join moved the start back) is dropped and made again.
        var r = fx.Members["R"];
        await WithDbAsync(fx.Ws.Id, db => db.Memberships.Where(m => m.MemberId == r && m.LeftAt != null)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.JoinedAt, Sh(3, 10, 9)), Ct));
        var repaired = await job.RunWorkspaceAsync(fx.Ws.Id, Ct);
        Assert.Equal((1, 1), (repaired.Dropped, repaired.Inserted));
        Assert.Contains(await RowsAsync(fx.Ws.Id), x => x.MemberId == r && x.JoinedAt == Sh(3, 10, 9));
    }

    [Fact]
    public async Task LateEvents_TakeProvisionalOffsetsBack_EventsAsTheyHappenDoNot()
    {
        var fx = await FixtureAsync();
        await factory.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(fx.Ws.Id, Ct);
        var p = fx.Members["P"];
        var now = DateTime.UtcNow;
        Task<CohortJoin> RowOfP() => WithDbAsync(fx.Ws.Id, db => db.Set<CohortJoin>().AsNoTracking().SingleAsync(r => r.MemberId == p, Ct));
        async Task<string> LiveAsync()
        {
            var stored = await RowsAsync(fx.Ws.Id);
            await ForgetAllAsync(fx.Ws.Id);
            var live = await ReportsAsync(fx);
            await SeedAsync(fx.Ws.Id, db => db.AddRange(stored));
            return live;
        }
        var before = await RowOfP();
        Assert.Equal((3, 2, 0b011), (before.Settled, before.Final, before.Spoke));

        // Today's first message and a leave now come after the provisional moment and window: nothing is taken back.
        await SeedAsync(fx.Ws.Id, db => db.Add(new DailySpeaker { CommunityId = fx.C, MemberId = p, Day = DayOf(now) }));
        await WithDbAsync(fx.Ws.Id, db => db.Memberships.Where(m => m.MemberId == p).ExecuteUpdateAsync(u => u.SetProperty(m => m.LeftAt, now), Ct));
        Assert.Equivalent(before, await RowOfP());
        // A message of day 22 processed late (in the 4-week window): the provisional offset goes back, the report
        // computes it meanwhile, and the next pass stores it again with the message.
        await SeedAsync(fx.Ws.Id, db => db.Add(new DailySpeaker { CommunityId = fx.C, MemberId = p, Day = DayOf(before.JoinedAt).AddDays(22) }));
        var back = await RowOfP();
        Assert.Equal((2, 2, 0b011, 0b011, null, null), (back.Settled, back.Final, back.Stayed, back.Spoke, back.ProvisionalAt, back.ProvisionalDay));
        Assert.Equal(await LiveAsync(), await ReportsAsync(fx));
        await factory.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(fx.Ws.Id, Ct);
        var again = await RowOfP();
        Assert.Equal((3, 2, 0b111, 0b111), (again.Settled, again.Final, again.Stayed, again.Spoke));
        // A leave recorded late, before the 4-week moment: taken back too, and stored again as gone.
        await WithDbAsync(fx.Ws.Id, db => db.Memberships.Where(m => m.MemberId == p).ExecuteUpdateAsync(u => u.SetProperty(m => m.LeftAt, now.AddDays(-5)), Ct));
        var left = await RowOfP();
        Assert.Equal((2, 2), (left.Settled, left.Final));
        Assert.Equal(await LiveAsync(), await ReportsAsync(fx));
        await factory.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(fx.Ws.Id, Ct);
        var gone = await RowOfP();
        Assert.Equal((3, 0b011, 0b111), (gone.Settled, gone.Stayed, gone.Spoke));
        // A stay that began before the moment (a join recorded late) takes it back as well.
        await SeedAsync(fx.Ws.Id, db => db.Add(new Membership { WorkspaceId = fx.Ws.Id, CommunityId = fx.C, MemberId = p, JoinedAt = now.AddDays(-3) }));
        var rejoined = await RowOfP();
        Assert.Equal((2, 2, 0b011), (rejoined.Settled, rejoined.Final, rejoined.Stayed));
        Assert.Equal(await LiveAsync(), await ReportsAsync(fx));
    }

    [Fact]
    public void Job_WakesJustAfterAWeekEnds_InTheWorkspaceZone()
    {
        // Sunday 23:30 in Shanghai: the week ends at 00:00, 16:00 UTC.
        var sunday = Sh(3, 9, 23, 30);
        Assert.Equal(Sh(3, 10, 0), CohortSettle.NextWeekStart(sunday, Shanghai));
        Assert.Equal(Sh(3, 17, 0), CohortSettle.NextWeekStart(Sh(3, 10, 0), Shanghai));
        Assert.Equal(new DateTime(2025, 3, 10, 0, 0, 0, DateTimeKind.Utc), CohortSettle.NextWeekStart(new DateTime(2025, 3, 9, 12, 0, 0, DateTimeKind.Utc), TimeZoneInfo.Utc));
    }

    [Fact]
    public async Task Job_AfterAPass_WaitsUntilJustAfterTheWeekEnds_WhenThatIsSoonerThanItsInterval()
    {
        var fx = await FixtureAsync();
        var clock = new Outbox.ManualClock(new DateTimeOffset(Sh(3, 9, 23, 30), TimeSpan.Zero));
        var job = new CohortSettle(factory.Services.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(new AnalyticsOptions { CohortSettleInterval = TimeSpan.FromHours(1) }), clock, NullLogger<CohortSettle>.Instance);
        Assert.Equal(TimeSpan.FromHours(1), job.NextDelay(clock.Now.UtcDateTime));
        await job.RunOnceAsync(Ct);
        Assert.Equal(TimeSpan.FromMinutes(31), job.NextDelay(clock.Now.UtcDateTime));
        clock.Advance(TimeSpan.FromMinutes(31));
        await job.RunOnceAsync(Ct);
        Assert.Equal(TimeSpan.FromHours(1), job.NextDelay(clock.Now.UtcDateTime));
        Assert.NotEmpty(await RowsAsync(fx.Ws.Id));
    }

    [Fact]
    public async Task ErasedMember_RowsGo_MergeDropsBothMembersRows()
    {
        var fx = await FixtureAsync();
        var computed = await ReportsAsync(fx);
        await factory.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(fx.Ws.Id, Ct);
        Assert.Contains(await RowsAsync(fx.Ws.Id), x => x.MemberId == fx.Members["B"]);

        Assert.Equal(HttpStatusCode.OK, (await fx.Ws.Owner.Api.PostJsonAsync($"/api/members/{fx.Members["B"]}/erase", new { })).StatusCode);
        var rows = await RowsAsync(fx.Ws.Id);
        Assert.DoesNotContain(rows, x => x.MemberId == fx.Members["B"]);
        Assert.Equal(11, rows.Count);
        var afterErasure = await ReportsAsync(fx);
        Assert.NotEqual(computed, afterErasure);

        // E merged into A: E's stays and speaking days become A's, so both members' outcomes are computed again.
        var merged = await fx.Ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = fx.Members["A"], memberId = fx.Members["E"] });
        Assert.True(merged.IsSuccessStatusCode, await merged.Content.ReadAsStringAsync(Ct));
        rows = await RowsAsync(fx.Ws.Id);
        Assert.DoesNotContain(rows, x => x.MemberId == fx.Members["A"] || x.MemberId == fx.Members["E"]);
        Assert.Equal(9, rows.Count);
        var afterMerge = await ReportsAsync(fx);
        await ForgetAllAsync(fx.Ws.Id);
        Assert.Equal(afterMerge, await ReportsAsync(fx));
    }
}

public sealed class CohortSettleTests_Sqlite(SqliteFactory factory) : CohortSettleTests(factory), IClassFixture<SqliteFactory>;

public sealed class CohortSettleTests_Postgres(PostgresFactory factory) : CohortSettleTests(factory), IClassFixture<PostgresFactory>;
