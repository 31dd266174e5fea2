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

            // Recent: with a grace of 20 days, offset 1 of P and Q is stored and offset 2 is not; the first two of S's first
            // join are, none of its rejoin's; N has no row. With the default grace of 2 days, P's first two are stored.
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

        // Every join but N's (younger than the grace) has a row; March's have every offset settled.
        var rows = await RowsAsync(fx.Ws.Id);
        Assert.Equal(11, pass.Inserted);
        Assert.Equal(11, rows.Count);
        var byMember = rows.GroupBy(r => r.MemberId).ToDictionary(g => g.Key, g => g.Select(r => r.Settled).Order().ToList());
        Assert.Equal([5], byMember[fx.Members["A"]]);
        Assert.Equal([5, 5], byMember[fx.Members["R"]]);
        Assert.Equal([1], byMember[fx.Members["P"]]);
        Assert.Equal([1], byMember[fx.Members["Q"]]);
        Assert.Equal([0, 2], byMember[fx.Members["S"]]);
        Assert.False(byMember.ContainsKey(fx.Members["N"]));
        // Stored outcomes as counted by hand: A stayed at every offset and spoke at 1 and 2 weeks; B stayed at 1 week only.
        var a = rows.Single(r => r.MemberId == fx.Members["A"]);
        Assert.Equal((0b11111, 0b00011), (a.Stayed, a.Spoke));
        var b = rows.Single(r => r.MemberId == fx.Members["B"]);
        Assert.Equal((0b00001, 0b00001), (b.Stayed, b.Spoke));
        // S left after 5 days and was back after 15: away and silent at 1 and 2 weeks.
        var s = rows.Single(r => r.MemberId == fx.Members["S"] && r.Settled == 2);
        Assert.Equal((0, 0), (s.Stayed, s.Spoke));
        var p = rows.Single(r => r.MemberId == fx.Members["P"]);
        Assert.Equal((0b1, 0b1), (p.Stayed, p.Spoke));

        Assert.Equal(computed, await ReportsAsync(fx));

        // The stored values are what the report reads: spoil them and it shows.
        await WithDbAsync(fx.Ws.Id, db => db.Set<CohortJoin>().ExecuteUpdateAsync(u => u.SetProperty(r => r.Stayed, 0), Ct));
        Assert.NotEqual(computed, await ReportsAsync(fx));
        await ForgetAllAsync(fx.Ws.Id);
        // With the default grace nearly everything is stored; the same again.
        await factory.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(fx.Ws.Id, Ct);
        Assert.Contains(await RowsAsync(fx.Ws.Id), r => r.MemberId == fx.Members["P"] && r.Settled == 2);
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
        Assert.Equal(11, first.Inserted);
        Assert.Equal(new CohortSettle.Pass(0, 0, 0), await job.RunWorkspaceAsync(fx.Ws.Id, Ct));
        Assert.Equal(once, JsonSerializer.Serialize(await RowsAsync(fx.Ws.Id)));

        // Two passes at once (two nodes, each with its own contexts), from nothing and from half settled.
        await ForgetAllAsync(fx.Ws.Id);
        var passes = await Task.WhenAll(Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct), Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct));
        Assert.Equal(11, passes.Sum(p => p.Inserted));
        Assert.Equal(once, JsonSerializer.Serialize(await RowsAsync(fx.Ws.Id)));

        await ForgetAllAsync(fx.Ws.Id);
        await Job(TimeSpan.FromDays(20)).RunWorkspaceAsync(fx.Ws.Id, Ct);
        passes = await Task.WhenAll(Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct), Job(TimeSpan.FromDays(2)).RunWorkspaceAsync(fx.Ws.Id, Ct));
        // P, Q and S's two joins settle further, each by one of the two.
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
    public async Task ErasedMember_RowsGo_MergeDropsBothMembersRows()
    {
        var fx = await FixtureAsync();
        var computed = await ReportsAsync(fx);
        await factory.Services.GetRequiredService<CohortSettle>().RunWorkspaceAsync(fx.Ws.Id, Ct);
        Assert.Contains(await RowsAsync(fx.Ws.Id), x => x.MemberId == fx.Members["B"]);

        Assert.Equal(HttpStatusCode.OK, (await fx.Ws.Owner.Api.PostJsonAsync($"/api/members/{fx.Members["B"]}/erase", new { })).StatusCode);
        var rows = await RowsAsync(fx.Ws.Id);
        Assert.DoesNotContain(rows, x => x.MemberId == fx.Members["B"]);
        Assert.Equal(10, rows.Count);
        var afterErasure = await ReportsAsync(fx);
        Assert.NotEqual(computed, afterErasure);

        // E merged into A: E's stays and speaking days become A's, so both members' outcomes are computed again.
        var merged = await fx.Ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = fx.Members["A"], memberId = fx.Members["E"] });
        Assert.True(merged.IsSuccessStatusCode, await merged.Content.ReadAsStringAsync(Ct));
        rows = await RowsAsync(fx.Ws.Id);
        Assert.DoesNotContain(rows, x => x.MemberId == fx.Members["A"] || x.MemberId == fx.Members["E"]);
        Assert.Equal(8, rows.Count);
        var afterMerge = await ReportsAsync(fx);
        await ForgetAllAsync(fx.Ws.Id);
        Assert.Equal(afterMerge, await ReportsAsync(fx));
    }
}

public sealed class CohortSettleTests_Sqlite(SqliteFactory factory) : CohortSettleTests(factory), IClassFixture<SqliteFactory>;

public sealed class CohortSettleTests_Postgres(PostgresFactory factory) : CohortSettleTests(factory), IClassFixture<PostgresFactory>;
