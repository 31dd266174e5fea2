using System.Net;
using Microsoft.EntityFrameworkCore;
using Shequn.Features.Analytics;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>
/// Community rankings with owner-set weights and competitions (issue 15, seed 000 E) on a fixed week of March 2025:
/// scores computed by hand, the order changing with the weights, weights refused with the field named, who may read and
/// who may change, sub-owners ranking only their communities, and a competition's standing and leader.
/// </summary>
public abstract class CommunityRankingsTests(ShequnFactory factory)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static DateTime Sh(int month, int day, int hour) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, month, day, hour, 0, 0, DateTimeKind.Unspecified), Shanghai);

    private const string Week = "period=week&to=2025-03-05";

    private sealed record Fixture(TestWorkspace Ws, Guid A, Guid B, Guid C);

    /// <summary>
    /// Week of Monday 3 March 2025. A: 10 joins, 100 member messages, 14 speaker-days (2 a day), 2 of 2 questions answered in
    /// time. B: 5 joins, 200 messages, 28 speaker-days (4 a day), 1 of 2 in time. C: no joins, 50 messages, 7 speaker-days,
    /// no questions. A day before the week (2 March) is not counted.
    /// </summary>
    private async Task<Fixture> FixtureAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityHealthTests.CommunityAsync(ws, "甲群");
        var b = await CommunityHealthTests.CommunityAsync(ws, "乙群");
        var c = await CommunityHealthTests.CommunityAsync(ws, "丙群");
        await CommunityHealthTests.SeedAsync(factory, ws.Id, async db =>
        {
            foreach (var community in await db.Communities.Where(x => x.Id == a || x.Id == b || x.Id == c).ToListAsync())
                community.CreatedAt = Sh(1, 1, 0);
            var m = new Member { WorkspaceId = ws.Id, DisplayName = "提问者" };
            db.Add(m);
            void Day(Guid community, int day, int joins, int messages, int speakers) =>
                db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = community, Day = new DateOnly(2025, 3, day), Joins = joins, Messages = messages, Speakers = speakers });
            Day(a, 3, 10, 60, 7);
            Day(a, 4, 0, 40, 7);
            Day(b, 3, 5, 100, 14);
            Day(b, 9, 0, 100, 14);
            Day(c, 5, 0, 50, 7);
            Day(c, 2, 99, 999, 99);
            db.Add(CommunityHealthTests.Question(ws.Id, a, m.Id, Sh(3, 3, 10), 30));
            db.Add(CommunityHealthTests.Question(ws.Id, a, m.Id, Sh(3, 4, 10), 60));
            db.Add(CommunityHealthTests.Question(ws.Id, b, m.Id, Sh(3, 3, 10), 30));
            db.Add(CommunityHealthTests.Question(ws.Id, b, m.Id, Sh(3, 4, 10), 3600));
        });
        return new Fixture(ws, a, b, c);
    }

    private static object Weights(int newMembers = 0, int activeMembers = 0, int memberMessages = 0, int responseRate = 0, int orders = 0, int revenue = 0,
        int campaignAchievement = 0) => new { newMembers, activeMembers, memberMessages, responseRate, orders, revenue, campaignAchievement };

    private static async Task PutWeightsAsync(TestStaff owner, object weights)
    {
        var r = await owner.Api.PutJsonAsync("/api/analytics/rankings/settings", weights);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Ranking_ScoresAgainstTheBest_WithTheOwnersWeights_AndTheOrderFollowsTheWeights()
    {
        var fx = await FixtureAsync();
        var owner = fx.Ws.Owner;
        var settings = await owner.Api.GetJsonAsync<ScoreSettingsDto>("/api/analytics/rankings/settings");
        Assert.True(settings.IsDefault);
        Assert.True(settings.MayEdit);
        Assert.Equal(ScoreWeights.Default, settings.Weights);

        await PutWeightsAsync(owner, Weights(newMembers: 60, activeMembers: 40));
        var ranking = await owner.Api.GetJsonAsync<RankingDto>($"/api/analytics/rankings?{Week}");

        Assert.Equal((new DateOnly(2025, 3, 3), new DateOnly(2025, 3, 9)), (ranking.From, ranking.To));
        // New members: A 10 (best) → 100, B 5 → 50, C 0. Active a day: A 2, B 4 (best), C 1 → 50, 100, 25.
        // A: (60×100 + 40×50) / 100 = 80; B: (60×50 + 40×100) / 100 = 70; C: 40×25 / 100 = 10.
        Assert.Equal([("甲群", 80.0), ("乙群", 70.0), ("丙群", 10.0)], ranking.Items.Select(i => (i.Name, i.Score)));
        Assert.Equal([1, 2, 3], ranking.Items.Select(i => i.Rank));
        Assert.Equal(fx.A, ranking.Leader!.CommunityId);
        var active = ranking.Items[1].Metrics.Single(m => m.Metric == "activeMembers");
        Assert.Equal((4.0, 100.0, 40), (active.Value, active.Score, active.Weight));

        // Member messages only: B 200 (best), A 100, C 50.
        await PutWeightsAsync(owner, Weights(memberMessages: 100));
        var again = await owner.Api.GetJsonAsync<RankingDto>($"/api/analytics/rankings?{Week}");
        Assert.Equal([("乙群", 100.0), ("甲群", 50.0), ("丙群", 25.0)], again.Items.Select(i => (i.Name, i.Score)));

        // Response rate: A 2/2 = 1 (best), B 1/2, C none (0); a custom range of the same week gives the same.
        await PutWeightsAsync(owner, Weights(responseRate: 1, newMembers: 1));
        var custom = await owner.Api.GetJsonAsync<RankingDto>("/api/analytics/rankings?from=2025-03-03&to=2025-03-09");
        // A: (100 + 100) / 2; B: (50 + 50) / 2; C: 0.
        Assert.Equal([("甲群", 100.0), ("乙群", 50.0), ("丙群", 0.0)], custom.Items.Select(i => (i.Name, i.Score)));

        // Each change of the weights is in the audit log.
        var audit = await owner.Api.GetAsync("/api/audit?entityType=CommunityScoreSettings", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
        Assert.Contains("CommunityScoreSettings", await audit.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Weights_NegativeOrAllZero_AreRefusedNamingTheField_AndOnlyTheOwnerSetsThem()
    {
        var fx = await FixtureAsync();
        var ct = TestContext.Current.CancellationToken;
        var negative = await fx.Ws.Owner.Api.PutJsonAsync("/api/analytics/rankings/settings", Weights(newMembers: -1, activeMembers: 10));
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Equal(["newMembers"], (await negative.ReadValidationErrorsAsync()).Keys);
        var tooBig = await fx.Ws.Owner.Api.PutJsonAsync("/api/analytics/rankings/settings", Weights(revenue: 101));
        Assert.Equal(["revenue"], (await tooBig.ReadValidationErrorsAsync()).Keys);
        var zero = await fx.Ws.Owner.Api.PutJsonAsync("/api/analytics/rankings/settings", Weights());
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Equal(["weights"], (await zero.ReadValidationErrorsAsync()).Keys);
        // Nothing was stored.
        Assert.True((await fx.Ws.Owner.Api.GetJsonAsync<ScoreSettingsDto>("/api/analytics/rankings/settings")).IsDefault);

        var sub = await fx.Ws.AddStaffAsync(StaffRole.SubOwner, "分群主", fx.A);
        var admin = await fx.Ws.AddStaffAsync(StaffRole.Admin, "管理员", fx.A);
        foreach (var who in new[] { sub, admin })
        {
            Assert.False((await who.Api.GetJsonAsync<ScoreSettingsDto>("/api/analytics/rankings/settings")).MayEdit);
            Assert.Equal(HttpStatusCode.Forbidden, (await who.Api.PutJsonAsync("/api/analytics/rankings/settings", Weights(newMembers: 1))).StatusCode);
        }
    }

    [Fact]
    public async Task Ranking_SubOwnerRanksTheirCommunities_OperatorAndKocMayNotRead()
    {
        var fx = await FixtureAsync();
        var ct = TestContext.Current.CancellationToken;
        await PutWeightsAsync(fx.Ws.Owner, Weights(newMembers: 60, activeMembers: 40));
        var sub = await fx.Ws.AddStaffAsync(StaffRole.SubOwner, "分群主", fx.A, fx.C);
        var op = await fx.Ws.AddStaffAsync(StaffRole.Operator, "运营", fx.A);
        var koc = await fx.Ws.AddStaffAsync(StaffRole.Koc, "KOC", fx.A);

        var mine = await sub.Api.GetJsonAsync<RankingDto>($"/api/analytics/rankings?{Week}");
        // Between A and C only: new members A 100, C 0; active A 2 (best), C 1 → 100, 50. A 100, C 20.
        Assert.Equal([("甲群", 100.0), ("丙群", 20.0)], mine.Items.Select(i => (i.Name, i.Score)));

        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.GetAsync($"/api/analytics/rankings?{Week}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync($"/api/analytics/rankings?{Week}", ct)).StatusCode);
        var bad = await fx.Ws.Owner.Api.GetAsync("/api/analytics/rankings?period=fortnight", ct);
        Assert.Equal(["period"], (await bad.ReadValidationErrorsAsync()).Keys);
    }

    [Fact]
    public async Task Competition_RanksItsCommunities_WithItsOwnWeights_OwnerOnly()
    {
        var fx = await FixtureAsync();
        var ct = TestContext.Current.CancellationToken;
        var sub = await fx.Ws.AddStaffAsync(StaffRole.SubOwner, "分群主", fx.C);
        var input = new { name = "三月第一周竞赛", from = "2025-03-03", to = "2025-03-09", communityIds = new[] { fx.B, fx.C }, weights = Weights(memberMessages: 100) };

        Assert.Equal(HttpStatusCode.Forbidden, (await sub.Api.PostJsonAsync("/api/analytics/competitions", input)).StatusCode);
        var one = await fx.Ws.Owner.Api.PostJsonAsync("/api/analytics/competitions", input with { communityIds = new[] { fx.B } });
        Assert.Equal(["communityIds"], (await one.ReadValidationErrorsAsync()).Keys);
        var badWeights = await fx.Ws.Owner.Api.PostJsonAsync("/api/analytics/competitions", input with { weights = Weights(orders: -5) });
        Assert.Equal(["weights.orders"], (await badWeights.ReadValidationErrorsAsync()).Keys);

        var created = await (await fx.Ws.Owner.Api.PostJsonAsync("/api/analytics/competitions", input)).ReadAsync<CompetitionDto>();
        var standing = await fx.Ws.Owner.Api.GetJsonAsync<CompetitionStandingDto>($"/api/analytics/competitions/{created.Id}");
        // B 200 member messages (best), C 50; A is not in it.
        Assert.Equal([("乙群", 100.0), ("丙群", 25.0)], standing.Ranking.Items.Select(i => (i.Name, i.Score)));
        Assert.Equal("乙群", standing.Ranking.Leader!.Name);

        // The sub-owner of C sees the competition and the standing of the community of it they see.
        Assert.Equal([created.Id], (await sub.Api.GetJsonAsync<List<CompetitionDto>>("/api/analytics/competitions")).Select(c => c.Id));
        var theirs = await sub.Api.GetJsonAsync<CompetitionStandingDto>($"/api/analytics/competitions/{created.Id}");
        Assert.Equal([fx.C], theirs.Ranking.Items.Select(i => i.CommunityId));
        // A sub-owner of A only does not see it.
        var other = await fx.Ws.AddStaffAsync(StaffRole.SubOwner, "别的分群主", fx.A);
        Assert.Empty(await other.Api.GetJsonAsync<List<CompetitionDto>>("/api/analytics/competitions"));
        Assert.Equal(HttpStatusCode.NotFound, (await other.Api.GetAsync($"/api/analytics/competitions/{created.Id}", ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await sub.Api.DeleteAsync($"/api/analytics/competitions/{created.Id}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await fx.Ws.Owner.Api.DeleteAsync($"/api/analytics/competitions/{created.Id}", ct)).StatusCode);
        Assert.Empty(await fx.Ws.Owner.Api.GetJsonAsync<List<CompetitionDto>>("/api/analytics/competitions"));
    }
}

public sealed class CommunityRankingsTests_Sqlite(SqliteFactory factory) : CommunityRankingsTests(factory), IClassFixture<SqliteFactory>;

public sealed class CommunityRankingsTests_Postgres(PostgresFactory factory) : CommunityRankingsTests(factory), IClassFixture<PostgresFactory>;
