using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// 打卡 and 晒图返现 from the group's messages: check-ins by the campaign's word (once a day), a milestone rewarded once
/// and congratulated through the outbox, a make-up card filling a missed day; photos waiting for review, a block of
/// approved days in a row granting the coupon once, a second review of one photo refused.
/// </summary>
public abstract class CheckInPhotoTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    private async Task SendAsync(TestWorkspace ws, params Dictionary<string, object?>[] events)
    {
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", events)).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    private static Dictionary<string, object?> Photo(Guid community, string id, string user, DateTimeOffset at)
    {
        var e = Message(community, id, user, at, "");
        e["message"] = new { id = "m-" + id, kind = "image" };
        return e;
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    [Fact]
    public async Task CheckIns_OncePerDay_MilestoneRewardedAndCongratulatedOnce_MakeUpFillsAGap()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "打卡群");
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "21 天早起打卡", kind = "checkIn", startsAt = now.AddDays(-6), endsAt = now.AddDays(20), audience = new { communityIds = new[] { community } },
            goalMetric = "completions", goalTarget = 10, rewards = new[] { new { kind = "points", name = "3 天 30 积分", valueFen = 30, costFen = 0, quantity = 100 } },
            rules = new { keyword = "打卡", milestones = new[] { 3, 21 }, makeUpCards = 1 },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();

        // Noon in Shanghai on each of the last days: four days ago, three days ago (twice), one missed day, yesterday; a message without the word.
        DateTimeOffset Day(int back) => new DateTimeOffset(now.ToOffset(TimeSpan.FromHours(8)).Date.AddDays(-back).AddHours(12), TimeSpan.FromHours(8));
        await SendAsync(ws,
            Join(community, "j", "u1", Day(10)),
            Message(community, "c4", "u1", Day(4), "今天打卡 ✅"),
            Message(community, "c3", "u1", Day(3), "打卡第二天"),
            Message(community, "c3b", "u1", Day(3).AddHours(2), "再打卡一次"),
            Message(community, "x", "u1", Day(2), "今天忘了"),
            Message(community, "c1", "u1", Day(1), "打卡"));
        var standing = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<CheckInStanding>>($"/api/campaigns/{campaign.Id}/checkins"));
        Assert.Equal((3, 0, 1, 2), (standing.Days, standing.MakeUps, standing.Current, standing.Longest));
        Assert.Empty(standing.Milestones);
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));

        // A make-up card for the missed day joins the run: four days → the 3-day milestone, rewarded once.
        var bad = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/checkins/makeup", new { memberId = standing.MemberId, day = DateOnly.FromDateTime(Day(-1).Date) }))
            .ReadValidationErrorsAsync();
        Assert.True(bad.ContainsKey("day"));
        var filled = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/checkins/makeup", new { memberId = standing.MemberId, day = DateOnly.FromDateTime(Day(2).Date) }))
            .ReadAsync<CheckInStanding>();
        Assert.Equal((4, 1, 4), (filled.Days, filled.MakeUps, filled.Current));
        Assert.Equal([3], filled.Milestones);
        // A day already checked in takes no card (the monthly limit is the engine's, tested in StreaksTests).
        var taken = await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/checkins/makeup", new { memberId = standing.MemberId, day = DateOnly.FromDateTime(Day(1).Date) });
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);

        // Today's check-in: the streak goes on; the milestone is not rewarded twice; the congratulation was never sent for a late day.
        await SendAsync(ws, Message(community, "c0", "u1", now, "打卡"));
        Assert.Equal(5, (await ws.Owner.Api.GetJsonAsync<List<CheckInStanding>>($"/api/campaigns/{campaign.Id}/checkins")).Single().Current);
        Assert.Equal(1, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<OutboundAction>().CountAsync(a => a.IdempotencyKey.StartsWith("checkin:"), Ct)));
    }

    [Fact]
    public async Task CheckIn_ReachingAMilestoneLive_IsCongratulatedInTheGroupOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "连续打卡群");
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "一天打卡", kind = "checkIn", startsAt = now.AddDays(-1), endsAt = now.AddDays(20), audience = new { communityIds = new[] { community } },
            goalTarget = 10, rewards = new[] { new { kind = "points", name = "10 积分", valueFen = 10, costFen = 0, quantity = 100 } },
            rules = new { keyword = "打卡", milestones = new[] { 1 } },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        await SendAsync(ws, Message(community, "live", "u9", now, "打卡啦"), Message(community, "live2", "u9", now.AddSeconds(5), "再打卡"));
        var actions = await DbAsync(ws.Id, db => db.Set<OutboundAction>().Where(a => a.IdempotencyKey.StartsWith("checkin:")).ToListAsync(Ct));
        var congratulation = Assert.Single(actions);
        Assert.Equal(ActionKind.Reply, congratulation.Kind);
        Assert.Contains("连续打卡 1 天", congratulation.Payload, StringComparison.Ordinal);
        var results = (await ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{campaign.Id}")).Results;
        Assert.Equal((1, 1, 1), (results.Participants, results.Completions, results.RewardsIssued));
    }

    [Fact]
    public async Task Photos_ReviewedByStaff_ABlockOfApprovedDaysGrantsTheCouponOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "晒图群");
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "连续 3 天晒图返券", kind = "photoShare", startsAt = now.AddDays(-5), endsAt = now.AddDays(10), audience = new { communityIds = new[] { community } },
            goalMetric = "completions", goalTarget = 5, rewards = new[] { new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 500, quantity = 10 } },
            rules = new { daysInRow = 3 },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        DateTimeOffset Day(int back) => new DateTimeOffset(now.ToOffset(TimeSpan.FromHours(8)).Date.AddDays(-back).AddHours(12), TimeSpan.FromHours(8));
        await SendAsync(ws, Photo(community, "p3", "u1", Day(3)), Photo(community, "p3b", "u1", Day(3).AddHours(1)), Photo(community, "p2", "u1", Day(2)),
            Photo(community, "p1", "u1", Day(1)), Message(community, "t", "u1", Day(1), "文字不算"));
        var photos = await ws.Owner.Api.GetJsonAsync<List<PhotoDto>>($"/api/campaigns/{campaign.Id}/photos?status=pending");
        Assert.Equal(3, photos.Count);

        foreach (var p in photos.OrderBy(p => p.Day).Take(2))
            await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/photos/{p.Id}/review", new { approve = true })).ReadAsync<PhotoDto>();
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));
        var last = photos.OrderBy(p => p.Day).Last();
        var approved = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/photos/{last.Id}/review", new { approve = true })).ReadAsync<PhotoDto>();
        Assert.Equal(PhotoStatus.Approved, approved.Status);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/photos/{last.Id}/review", new { approve = false })).StatusCode);
        var grant = Assert.Single(await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().Where(g => g.CampaignId == campaign.Id).ToListAsync(Ct)));
        Assert.Equal(500, grant.CostFen);
        Assert.EndsWith(DateOnly.FromDateTime(Day(1).Date).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), grant.Key, StringComparison.Ordinal);
        var results = (await ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{campaign.Id}")).Results;
        Assert.Equal((1, 1, 1, 500), (results.Participants, results.Completions, results.RewardsIssued, results.CostFen));
    }
}

public sealed class CheckInPhotoSqliteTests(PostsSqliteFactory factory) : CheckInPhotoTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CheckInPhotoPostgresTests(PostsPostgresFactory factory) : CheckInPhotoTests(factory), IClassFixture<PostsPostgresFactory>;
