using System.Net;
using Microsoft.EntityFrameworkCore;
using Shequn.Features.Analytics;
using Shequn.Features.Budget;
using Shequn.Features.Campaigns;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Orders;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Features.Vip;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>
/// The figures table by week and by day (Monday weeks in Asia/Shanghai, the Sunday 23:30 / Monday 00:30 boundary),
/// tag accuracy, orders, cost, a staff member's scope; and staff KPIs per role read from the same boards.
/// </summary>
public abstract class FigureTableTests(ShequnFactory factory)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static DateTime Sh(int month, int day, int hour, int minute = 0) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, month, day, hour, minute, 0, DateTimeKind.Unspecified), Shanghai);

    private static DateOnly D(int day) => new(2025, 3, day);

    private sealed record Fixture(TestWorkspace Ws, Guid A, Guid B, TestStaff Op);

    /// <summary>
    /// A: daily rows on Sunday 9 March (3 joins, 10 messages of which 4 staff, 2 speakers) and Monday 10 March (1 join,
    /// 1 leave, 6 messages, 1 speaker). Questions: Sunday 23:30 (answered by the operator in 30 s) and Monday 00:30 (by
    /// the operator in 600 s, late). Auto-tags on a member of A reviewed in week 1: one confirmed, one rejected; one
    /// manual tag given in week 2; a VIP invitation on 11 March. An order on 11 March of 100 yuan, 20 refunded; a cost of 5 yuan on 4 March.
    /// B: 99 joins on 4 March (not in A's figures).
    /// </summary>
    private async Task<Fixture> FixtureAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityHealthTests.CommunityAsync(ws, "甲群");
        var b = await CommunityHealthTests.CommunityAsync(ws, "乙群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营小王", a);
        await CommunityHealthTests.SeedAsync(factory, ws.Id, async db =>
        {
            foreach (var community in await db.Communities.Where(x => x.Id == a || x.Id == b).ToListAsync())
                community.CreatedAt = Sh(1, 1, 0);
            var m = new Member { WorkspaceId = ws.Id, DisplayName = "会员" };
            db.Add(m);
            db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = a, MemberId = m.Id, JoinedAt = Sh(2, 1, 9) });
            db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = a, Day = D(9), Joins = 3, Messages = 10, StaffMessages = 4, Speakers = 2 });
            db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = a, Day = D(10), Joins = 1, Leaves = 1, Messages = 6, Speakers = 1 });
            db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = b, Day = D(4), Joins = 99, Messages = 99, Speakers = 9 });
            var staff = ResponseTracker.StaffAnswerer(op.Id);
            db.Add(CommunityHealthTests.Question(ws.Id, a, m.Id, Sh(3, 9, 23, 30), 30, staff));
            db.Add(CommunityHealthTests.Question(ws.Id, a, m.Id, Sh(3, 10, 0, 30), 600, staff));
            var t1 = new Tag { WorkspaceId = ws.Id, Name = "宝妈" };
            var t2 = new Tag { WorkspaceId = ws.Id, Name = "健身" };
            var t3 = new Tag { WorkspaceId = ws.Id, Name = "老客" };
            db.AddRange(t1, t2, t3);
            db.Add(new MemberTag { MemberId = m.Id, TagId = t1.Id, Source = TagSource.Auto, State = MemberTagState.Confirmed, AssignedAt = Sh(3, 3, 9), ReviewedAt = Sh(3, 4, 9) });
            db.Add(new MemberTag { MemberId = m.Id, TagId = t2.Id, Source = TagSource.Auto, State = MemberTagState.Rejected, AssignedAt = Sh(3, 3, 9), ReviewedAt = Sh(3, 5, 9) });
            db.Add(new MemberTag { MemberId = m.Id, TagId = t3.Id, Source = TagSource.Manual, State = MemberTagState.Confirmed, AssignedAt = Sh(3, 12, 9) });
            db.Add(new Order { WorkspaceId = ws.Id, ExternalId = "o-" + Guid.NewGuid().ToString("N"), PlacedAt = Sh(3, 11, 20), AmountFen = 10_000, RefundedFen = 2_000, CommunityId = a, MemberId = m.Id });
            db.Add(new CostEntry { WorkspaceId = ws.Id, Day = D(4), Item = "奖品", AmountFen = 500, CommunityId = a });
            // Found as a key customer: invited to the VIP group (B) on Tuesday 11 March.
            db.Add(new VipInvitation { WorkspaceId = ws.Id, MemberId = m.Id, CommunityId = b, InvitedAt = Sh(3, 11, 10) });
        });
        return new Fixture(ws, a, b, op);
    }

    [Fact]
    public async Task ByWeek_SplitsAtMondayInShanghai_WithTagsOrdersAndCost()
    {
        var fx = await FixtureAsync();

        var t = await fx.Ws.Owner.Api.GetJsonAsync<FigureTableDto>($"/api/analytics/figures?scope=community&id={fx.A}&by=week&from=2025-03-05&to=2025-03-12");

        // Widened to whole weeks: Monday 3 to Sunday 16 March.
        Assert.Equal((D(3), D(16), "甲群"), (t.From, t.To, t.Name));
        Assert.Equal([D(3), D(10)], t.Rows.Select(r => r.From));
        var (w1, w2) = (t.Rows[0], t.Rows[1]);
        Assert.Equal((3, 0, 10, 6, 4), (w1.NewMembers, w1.Leaves, w1.Messages, w1.MemberMessages, w1.StaffMessages));
        Assert.Equal((1, 1, 6, 6, 0), (w2.NewMembers, w2.Leaves, w2.Messages, w2.MemberMessages, w2.StaffMessages));
        // Active: 2 speaker-days over 7 days; member share 6 / 10.
        Assert.Equal((0.29, 0.6), (w1.ActiveMembers, w1.MemberShare!.Value));
        // Sunday 23:30 is week 1 (answered in 30 s, in time); Monday 00:30 is week 2 (600 s, late).
        Assert.Equal((1, 1.0, 30), (w1.Questions, w1.ResponseRate!.Value, w1.MedianFirstAnswerSeconds!.Value));
        Assert.Equal((1, 0.0, 600), (w2.Questions, w2.ResponseRate!.Value, w2.MedianFirstAnswerSeconds!.Value));
        Assert.Null(w1.Answers);
        // Tags: two given in week 1, one rejected since → 1 standing; accuracy 1 of 2 reviewed. Week 2: the manual tag.
        Assert.Equal((1, 2, 0.5), (w1.TagsAdded, w1.AutoTagsReviewed, w1.TagAccuracy!.Value));
        Assert.Equal((1, 0), (w2.TagsAdded, w2.AutoTagsReviewed));
        Assert.Null(w2.TagAccuracy);
        // The member of A invited to the VIP group in week 2.
        Assert.Equal((0, 1), (w1.KeyCustomers, w2.KeyCustomers));
        // Order in week 2, net 8,000 fen; cost 500 fen in week 1.
        Assert.Equal((0, 0L, 500L), (w1.Orders!.Value, w1.NetRevenueFen!.Value, w1.CostFen!.Value));
        Assert.Equal((1, 8_000L, 0L), (w2.Orders!.Value, w2.NetRevenueFen!.Value, w2.CostFen!.Value));

        // The workspace sums both communities: B's 99 joins on 4 March are in week 1.
        var all = await fx.Ws.Owner.Api.GetJsonAsync<FigureTableDto>("/api/analytics/figures?by=week&from=2025-03-03&to=2025-03-16");
        Assert.Equal([102, 1], all.Rows.Select(r => r.NewMembers));

        // By day: 9 and 10 March apart.
        var days = await fx.Ws.Owner.Api.GetJsonAsync<FigureTableDto>($"/api/analytics/figures?scope=community&id={fx.A}&by=day&from=2025-03-09&to=2025-03-10");
        Assert.Equal([(D(9), 3, 1), (D(10), 1, 1)], days.Rows.Select(r => (r.From, r.NewMembers, r.Questions)));
    }

    [Fact]
    public async Task Roi_NetRevenueOverCost_TheWorkspaceCountsRewardsGrantedAtCost()
    {
        var fx = await FixtureAsync();
        // A campaign's rewards granted in week 2: 1,500 fen issued, 700 delivered; a held and a void grant are not spent.
        await CommunityHealthTests.SeedAsync(factory, fx.Ws.Id, async db =>
        {
            var campaign = new Shequn.Features.Campaigns.Campaign
            {
                WorkspaceId = fx.Ws.Id, Name = "打卡", Slug = Guid.NewGuid().ToString("N")[..12], StartsAt = Sh(3, 1, 0), EndsAt = Sh(6, 1, 0),
            };
            db.Add(campaign);
            var member = await db.Members.Select(m => m.Id).FirstAsync();
            var n = 0;
            foreach (var (status, fen) in new[] { (GrantStatus.Issued, 1_500L), (GrantStatus.Delivered, 700L), (GrantStatus.Held, 9_000L), (GrantStatus.Void, 9_000L) })
                db.Add(new CampaignRewardGrant { WorkspaceId = fx.Ws.Id, CampaignId = campaign.Id, MemberId = member, Key = $"g{n++}", Status = status, CostFen = fen, CreatedAt = Sh(3, 12, 9) });
        });

        var all = await fx.Ws.Owner.Api.GetJsonAsync<FigureTableDto>("/api/analytics/figures?by=week&from=2025-03-03&to=2025-03-16");
        var (w1, w2) = (all.Rows[0], all.Rows[1]);
        // Week 1: 500 fen spent, nothing sold → ROI 0. Week 2: 8,000 fen net over the 2,200 fen of rewards → 3.64.
        Assert.Equal((500L, 0.0), (w1.CostFen!.Value, w1.Roi!.Value));
        Assert.Equal((8_000L, 2_200L, 3.64), (w2.NetRevenueFen!.Value, w2.CostFen!.Value, w2.Roi!.Value));

        // A community's figures carry only what is charged to it: week 2 has revenue but no cost, so no ROI.
        var a = await fx.Ws.Owner.Api.GetJsonAsync<FigureTableDto>($"/api/analytics/figures?scope=community&id={fx.A}&by=week&from=2025-03-03&to=2025-03-16");
        Assert.Equal((500L, 0.0), (a.Rows[0].CostFen!.Value, a.Rows[0].Roi!.Value));
        Assert.Equal(0L, a.Rows[1].CostFen!.Value);
        Assert.Null(a.Rows[1].Roi);

        // Operators see neither money nor its ratio.
        var op = await fx.Op.Api.GetJsonAsync<FigureTableDto>($"/api/analytics/figures?scope=community&id={fx.A}&by=week&from=2025-03-03&to=2025-03-16");
        Assert.All(op.Rows, r => Assert.Null(r.Roi));
    }

    [Fact]
    public async Task StaffScope_CountsTheirAnswers_AndHidesOrdersFromOperators_BadInputNamesField()
    {
        var fx = await FixtureAsync();
        var ct = TestContext.Current.CancellationToken;

        var theirs = await fx.Op.Api.GetJsonAsync<FigureTableDto>($"/api/analytics/figures?scope=staff&id={fx.Op.Id}&by=month&from=2025-03-01&to=2025-03-31");
        var march = Assert.Single(theirs.Rows);
        Assert.Equal((4, 2, 2), (march.NewMembers, march.Questions, march.Answers!.Value));
        // Operators do not read orders or costs.
        Assert.Null(march.Orders);
        Assert.Null(march.CostFen);
        // Nor another staff member's figures, nor a community they are not in.
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Op.Api.GetAsync($"/api/analytics/figures?scope=staff&id={fx.Ws.Owner.Id}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Op.Api.GetAsync($"/api/analytics/figures?scope=community&id={fx.B}", ct)).StatusCode);

        var noId = await fx.Ws.Owner.Api.GetAsync("/api/analytics/figures?scope=community", ct);
        Assert.Equal(["id"], (await noId.ReadValidationErrorsAsync()).Keys);
        var badBy = await fx.Ws.Owner.Api.GetAsync("/api/analytics/figures?by=year", ct);
        Assert.Equal(["by"], (await badBy.ReadValidationErrorsAsync()).Keys);
        var tooMany = await fx.Ws.Owner.Api.GetAsync("/api/analytics/figures?by=day&from=2024-01-01&to=2025-03-01", ct);
        Assert.Equal(["to"], (await tooMany.ReadValidationErrorsAsync()).Keys);
    }

    [Fact]
    public async Task StaffKpis_Koc_OwnMessagesSpeakersReachedAndInteractions_FromTheirMember_InTheirCommunities()
    {
        var fx = await FixtureAsync();
        var koc = await fx.Ws.AddStaffAsync(StaffRole.Koc, "KOC 小美", fx.A);
        var other = await fx.Ws.AddStaffAsync(StaffRole.Koc, "KOC 阿强", fx.A);
        Guid k = default, x = default, y = default, z = default;
        await CommunityHealthTests.SeedAsync(factory, fx.Ws.Id, async db =>
        {
            var people = new[] { "小美", "群友甲", "群友乙", "群友丙" }.Select(n => new Member { WorkspaceId = fx.Ws.Id, DisplayName = n }).ToList();
            db.AddRange(people);
            (k, x, y, z) = (people[0].Id, people[1].Id, people[2].Id, people[3].Id);
            db.Add(new Membership { WorkspaceId = fx.Ws.Id, CommunityId = fx.A, MemberId = k, JoinedAt = Sh(2, 1, 9) });
            InteractionEdge Edge(Guid community, DateOnly day, Guid from, Guid to, int replies = 0, int mentions = 0, int messages = 0) =>
                new() { WorkspaceId = fx.Ws.Id, CommunityId = community, Day = day, FromMemberId = from, ToMemberId = to, Replies = replies, Mentions = mentions, Messages = messages };
            db.AddRange(
                Edge(fx.A, D(9), k, k, messages: 5),             // her own messages
                Edge(fx.A, D(9), x, k, replies: 2, mentions: 1), // 甲 answers and mentions her
                Edge(fx.A, D(10), k, y, replies: 1),             // she answers 乙
                Edge(fx.A, D(10), k, x, mentions: 1),            // and mentions 甲: still one speaker
                Edge(fx.A, D(11), x, y, replies: 4),             // between others: not hers
                Edge(fx.B, D(9), z, k, replies: 3),              // in B, not her community
                Edge(fx.A, new DateOnly(2025, 2, 20), k, k, messages: 100)); // February: outside the month
            await Task.CompletedTask;
        });
        const string March = "/api/analytics/staff?period=month&to=2025-03-15";
        double? Kpi(StaffKpiReport r, Guid staff, string key) => r.Items.Single(i => i.StaffId == staff).Kpis.Single(p => p.Key == key).Value;

        // Without a member the KOC's own figures are not measured (null), not zero.
        var before = await fx.Ws.Owner.Api.GetJsonAsync<StaffKpiReport>(March);
        Assert.Equal(StaffKpis.KeysByRole[StaffRole.Koc], before.Items.Single(i => i.StaffId == koc.Id).Kpis.Select(p => p.Key));
        Assert.Null(Kpi(before, koc.Id, "ownMessages"));

        var linked = await fx.Ws.Owner.Api.PutJsonAsync($"/api/staff/{koc.Id}", new { memberId = k });
        Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
        Assert.Equal((k, "小美"), ((await linked.ReadAsync<StaffDto>()).MemberId, (await fx.Ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{koc.Id}")).MemberName));
        var after = await fx.Ws.Owner.Api.GetJsonAsync<StaffKpiReport>(March);
        // 5 own messages; reached 甲 and 乙; interactions 2 + 1 received, 1 + 1 given.
        Assert.Equal((5.0, 2.0, 5.0), (Kpi(after, koc.Id, "ownMessages"), Kpi(after, koc.Id, "speakersReached"), Kpi(after, koc.Id, "interactions")));

        // One member is one KOC; only KOCs link; an unknown member names the field.
        async Task<string> Refused(TestStaff staff, Guid member)
        {
            var r = await fx.Ws.Owner.Api.PutJsonAsync($"/api/staff/{staff.Id}", new { memberId = member });
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            return await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        }
        Assert.Contains("memberId", await Refused(other, k), StringComparison.Ordinal);
        Assert.Contains("memberId", await Refused(fx.Op, x), StringComparison.Ordinal);
        Assert.Contains("memberId", await Refused(other, Guid.NewGuid()), StringComparison.Ordinal);

        // The empty GUID unlinks: not measured again.
        Assert.Equal(HttpStatusCode.OK, (await fx.Ws.Owner.Api.PutJsonAsync($"/api/staff/{koc.Id}", new { memberId = Guid.Empty })).StatusCode);
        Assert.Null(Kpi(await fx.Ws.Owner.Api.GetJsonAsync<StaffKpiReport>(March), koc.Id, "interactions"));
        Assert.Null((await fx.Ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{koc.Id}")).MemberId);
    }

    [Fact]
    public async Task StaffKpis_PerRole_ReadFromTheBoards_AndScopedToWhoMaySee()
    {
        var fx = await FixtureAsync();
        var sub = await fx.Ws.AddStaffAsync(StaffRole.SubOwner, "分群主", fx.A);
        var koc = await fx.Ws.AddStaffAsync(StaffRole.Koc, "KOC", fx.A);
        var ct = TestContext.Current.CancellationToken;
        const string March = "period=month&to=2025-03-15";

        var report = await fx.Ws.Owner.Api.GetJsonAsync<StaffKpiReport>($"/api/analytics/staff?{March}");
        Assert.Equal((D(1), D(31)), (report.From, report.To));
        // NaN: not measured (a null value).
        double Kpi(StaffKpiRowDto row, string key) => row.Kpis.Single(k => k.Key == key).Value ?? double.NaN;

        var op = report.Items.Single(i => i.StaffId == fx.Op.Id);
        Assert.Equal(StaffKpis.KeysByRole[StaffRole.Operator], op.Kpis.Select(k => k.Key));
        // Their community A: 2 questions, 1 in time; they answered both first, median of 30 and 600 (nearest rank) 30.
        Assert.Equal((1.0, 0.5, 2.0, 30.0), (Kpi(op, "communities"), Kpi(op, "responseRate"), Kpi(op, "answers"), Kpi(op, "medianFirstAnswerSeconds")));

        var owner = report.Items.Single(i => i.StaffId == fx.Ws.Owner.Id);
        // Every community: A 4 joins in March, B 99.
        Assert.Equal((2.0, 103.0), (Kpi(owner, "communities"), Kpi(owner, "newMembers")));
        Assert.True(double.IsNaN(Kpi(owner, "campaignAchievement")));

        var s = report.Items.Single(i => i.StaffId == sub.Id);
        Assert.Equal((1.0, 4.0, 1.0), (Kpi(s, "communities"), Kpi(s, "newMembers"), Kpi(s, "members")));
        Assert.False(double.IsNaN(Kpi(s, "health")));

        var k = report.Items.Single(i => i.StaffId == koc.Id);
        Assert.Equal(12.0, Kpi(k, "memberMessages"));

        // Sub-owners see themselves and the staff of their communities; operators themselves; KOCs nothing.
        var subView = await sub.Api.GetJsonAsync<StaffKpiReport>($"/api/analytics/staff?{March}");
        Assert.Equal(new[] { sub.Id, fx.Op.Id, koc.Id }.Order(), subView.Items.Select(i => i.StaffId).Order());
        var opView = await fx.Op.Api.GetJsonAsync<StaffKpiReport>($"/api/analytics/staff?{March}");
        Assert.Equal([fx.Op.Id], opView.Items.Select(i => i.StaffId));
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync($"/api/analytics/staff?{March}", ct)).StatusCode);
    }
}

public sealed class FigureTableTests_Sqlite(SqliteFactory factory) : FigureTableTests(factory), IClassFixture<SqliteFactory>;

public sealed class FigureTableTests_Postgres(PostgresFactory factory) : FigureTableTests(factory), IClassFixture<PostgresFactory>;
