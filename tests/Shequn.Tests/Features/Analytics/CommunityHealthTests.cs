using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>
/// The community health score over HTTP on a small fixed fixture, with every part computed by hand (issue 15): ten days
/// of March 2025 in Asia/Shanghai, a leave and two joins, daily figures, four questions, one moderation case, a capacity.
/// Plus an empty community (parts left out), who may read it, and bad input naming its field.
/// </summary>
public abstract class CommunityHealthTests(ShequnFactory factory)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static DateTime Sh(int month, int day, int hour, int minute = 0) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(2025, month, day, hour, minute, 0, DateTimeKind.Unspecified), Shanghai);

    private static DateOnly D(int day) => new(2025, 3, day);

    private const string Period = "from=2025-03-01&to=2025-03-10";

    internal static async Task SeedAsync(ShequnFactory factory, Guid ws, Func<AppDbContext, Task> add)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        await add(db);
        await db.SaveChangesWithoutAuditAsync(TestContext.Current.CancellationToken);
    }

    internal static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    internal static MemberQuestion Question(Guid ws, Guid community, Guid member, DateTime asked, int? seconds, string? answerer = null) => new()
    {
        WorkspaceId = ws,
        CommunityId = community,
        MemberId = member,
        UserId = "u-" + member.ToString("N"),
        Text = "有人知道吗？",
        AskedAt = asked,
        EventSeq = Random.Shared.NextInt64(1L << 40, 1L << 60),
        AnsweredAt = seconds is { } s ? asked.AddSeconds(s) : null,
        AnswerSeconds = seconds,
        AnsweredByKind = seconds is null ? null : AnswererKind.Staff,
        AnsweredByUserId = seconds is null ? null : answerer ?? "staff-x",
    };

    private sealed record Fixture(TestWorkspace Ws, Guid C, Guid D);

    /// <summary>
    /// C (capacity 10): four members since February, one leaves on 5 March; two join on 3 and 4 March (start 4, end 5).
    /// Daily rows: 3 March 10 messages (2 staff) 1 speaker; 4 March 20 (0 staff) 2 speakers; 5 March 10 (3 staff) 1 speaker.
    /// Questions: three answered within 5 minutes, one never. One moderation case. D (capacity 20): nothing at all.
    /// </summary>
    private async Task<Fixture> FixtureAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "健康群");
        var d = await CommunityAsync(ws, "空群");
        await SeedAsync(factory, ws.Id, async db =>
        {
            // Made today through the API: dated back so that they existed in March 2025.
            var cc = await db.Communities.SingleAsync(x => x.Id == c);
            (cc.Capacity, cc.CreatedAt) = (10, Sh(1, 1, 0));
            var dd = await db.Communities.SingleAsync(x => x.Id == d);
            (dd.Capacity, dd.CreatedAt) = (20, Sh(1, 1, 0));
            var members = new List<Guid>();
            for (var i = 0; i < 6; i++)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = $"M{i}" };
                db.Add(m);
                members.Add(m.Id);
            }
            for (var i = 0; i < 4; i++)
                db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = members[i], JoinedAt = Sh(2, 1, 10), LeftAt = i == 3 ? Sh(3, 5, 12) : null });
            db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = members[4], JoinedAt = Sh(3, 3, 9) });
            // Late on 4 March Shanghai time, already 4 March in UTC too: one join each day.
            db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = members[5], JoinedAt = Sh(3, 4, 23, 30) });
            db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = c, Day = D(3), Joins = 1, Messages = 10, StaffMessages = 2, Speakers = 1 });
            db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = c, Day = D(4), Joins = 1, Messages = 20, StaffMessages = 0, Speakers = 2 });
            db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = c, Day = D(5), Leaves = 1, Messages = 10, StaffMessages = 3, Speakers = 1 });
            // Outside the period: not counted.
            db.Add(new CommunityDailyFigure { WorkspaceId = ws.Id, CommunityId = c, Day = D(11), Messages = 500, StaffMessages = 100, Speakers = 50 });
            db.Add(Question(ws.Id, c, members[0], Sh(3, 3, 10), 60));
            db.Add(Question(ws.Id, c, members[1], Sh(3, 4, 10), 120));
            db.Add(Question(ws.Id, c, members[2], Sh(3, 5, 10), 300));
            db.Add(Question(ws.Id, c, members[0], Sh(3, 6, 10), null));
            db.Add(Question(ws.Id, c, members[1], Sh(3, 11, 10), null)); // after the period
            db.Add(new ModerationCase { WorkspaceId = ws.Id, CommunityId = c, EventSeq = Random.Shared.NextInt64(1L << 40, 1L << 60), Rule = "ad", OccurredAt = Sh(3, 4, 15), Decision = CaseDecision.Act });
        });
        return new Fixture(ws, c, d);
    }

    private static HealthPartDto Part(CommunityHealthDto h, string key) => h.Parts.Single(p => p.Key == key);

    [Fact]
    public async Task Health_MatchesHandComputedParts_AndLeavesOutWhatCannotBeMeasured()
    {
        var fx = await FixtureAsync();

        var report = await fx.Ws.Owner.Api.GetJsonAsync<CommunityHealthReport>($"/api/analytics/health?{Period}");

        Assert.Equal((D(1), D(10), "Asia/Shanghai"), (report.From, report.To, report.TimeZone));
        // Weakest first: the empty group before the healthy one.
        Assert.Equal([fx.D, fx.C], report.Items.Select(i => i.CommunityId));
        var c = report.Items[1];
        // Activity: 4 speaker-days / 10 days = 0.4 a day, ÷ 5 members at the end = 0.08 → 80.
        Assert.Equal((0.08, 80.0), (Part(c, "activity").Raw!.Value, Part(c, "activity").Score!.Value));
        // Growth: (5 − 4) / 4 = +25 % → 50 + 125, capped at 100.
        Assert.Equal((0.25, 100.0), (Part(c, "growth").Raw!.Value, Part(c, "growth").Score!.Value));
        // Retention: 1 − 1 / (4 + 2) = 0.8333 → 83.33.
        Assert.Equal((0.8333, 83.33), (Part(c, "retention").Raw!.Value, Part(c, "retention").Score!.Value));
        // Response: 3 of 4 within 5 minutes.
        Assert.Equal((0.75, 75.0), (Part(c, "response").Raw!.Value, Part(c, "response").Score!.Value));
        // Content: staff posted on 2 of 10 days.
        Assert.Equal((0.2, 20.0), (Part(c, "content").Raw!.Value, Part(c, "content").Score!.Value));
        // Enforcement: 1 case per 35 member messages = 2.857 per 100 → 100 − 57.14.
        Assert.Equal((2.8571, 42.86), (Part(c, "enforcement").Raw!.Value, Part(c, "enforcement").Score!.Value));
        // Fill: 5 / 10 = 0.5 → 0.5 / 0.7 × 100.
        Assert.Equal((0.5, 71.43), (Part(c, "fill").Raw!.Value, Part(c, "fill").Score!.Value));
        // (25×80 + 10×100 + 10×83.33 + 20×75 + 15×20 + 10×42.86 + 10×71.43) / 100 = 67.762.
        Assert.Equal(67.8, c.Score);
        Assert.Equal(100, c.Parts.Sum(p => p.Weight));

        // The empty group: no members, no questions; content 0, enforcement 100, fill 0 → (0 + 1000 + 0) / 35.
        var d = report.Items[0];
        Assert.All(new[] { "activity", "growth", "retention", "response" }, k => Assert.Null(Part(d, k).Score));
        Assert.Equal((0.0, 100.0, 0.0), (Part(d, "content").Score!.Value, Part(d, "enforcement").Score!.Value, Part(d, "fill").Score!.Value));
        Assert.Equal(28.6, d.Score);

        // One community only.
        var one = await fx.Ws.Owner.Api.GetJsonAsync<CommunityHealthReport>($"/api/analytics/health?{Period}&communityId={fx.C}");
        Assert.Equal(67.8, Assert.Single(one.Items).Score);
    }

    [Fact]
    public void Score_FillPastTheBestFallsToSixtyAtCapacity_AndGrowthBelowMinusTenPercentIsZero()
    {
        var row = new CommunityPeriodRow(Guid.NewGuid(), "x", CommunityState.Active, 500, 10, 500, 500, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, null, 0, null, null, 0, null);
        var (_, parts) = CommunityHealth.Score(row);
        Assert.Equal(60.0, parts.Single(p => p.Key == "fill").Score);
        var shrinking = row with { MembersAtStart = 100, MembersAtEnd = 85, Capacity = 0 };
        var (_, p2) = CommunityHealth.Score(shrinking);
        Assert.Equal(0.0, p2.Single(p => p.Key == "growth").Score);
        Assert.Null(p2.Single(p => p.Key == "fill").Score);
    }

    [Fact]
    public async Task Health_OperatorSeesAssignedOnly_KocForbidden_BadInputNamesField()
    {
        var fx = await FixtureAsync();
        var op = await fx.Ws.AddStaffAsync(StaffRole.Operator, "运营", fx.C);
        var koc = await fx.Ws.AddStaffAsync(StaffRole.Koc, "KOC", fx.C);
        var ct = TestContext.Current.CancellationToken;

        var mine = await op.Api.GetJsonAsync<CommunityHealthReport>($"/api/analytics/health?{Period}");
        Assert.Equal([fx.C], mine.Items.Select(i => i.CommunityId));
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/analytics/health?{Period}&communityId={fx.D}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync($"/api/analytics/health?{Period}", ct)).StatusCode);

        var bad = await fx.Ws.Owner.Api.GetAsync("/api/analytics/health?from=2025-03-10&to=2025-03-01", ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("to", (await bad.ReadValidationErrorsAsync()).Keys);
        var malformed = await fx.Ws.Owner.Api.GetAsync("/api/analytics/health?from=March", ct);
        Assert.Contains("from", (await malformed.ReadValidationErrorsAsync()).Keys);
    }
}

public sealed class CommunityHealthTests_Sqlite(SqliteFactory factory) : CommunityHealthTests(factory), IClassFixture<SqliteFactory>;

public sealed class CommunityHealthTests_Postgres(PostgresFactory factory) : CommunityHealthTests(factory), IClassFixture<PostgresFactory>;
