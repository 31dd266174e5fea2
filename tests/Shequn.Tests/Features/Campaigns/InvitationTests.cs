using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// Invite N friends → a reward (seed 004: 5 people → a red packet), from real join events: the tree of who brought whom,
/// the anti-cheat a chat tool can do (already a member, self-invites, leaving before the stay ends), the rewards granted
/// once for both sides, and a replayed settlement changing nothing.
/// </summary>
public abstract class InvitationTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    private async Task<int> SettleAsync()
    {
        var settler = factory.Services.GetRequiredService<InvitationSettler>();
        // The settler's own first run at start-up may hold the lease for a moment.
        for (var i = 0; i < 50; i++)
        {
            if (await settler.SettleAsync(Ct) is { } n)
                return n;
            await Task.Delay(100, Ct);
        }
        Assert.Fail("the settler's lease was never free");
        return 0;
    }

    [Fact]
    public async Task Invitees_CountAfterTheirStay_RewardsForBothSides_CheatsRefused()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("邀请群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "邀 2 位好友得红包", kind = "invitation", startsAt = now.AddDays(-4), endsAt = now.AddDays(3),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10, budgetFen = 10000,
            rewards = new object[]
            {
                new { kind = "redPacket", name = "5 元红包", valueFen = 500, costFen = 500, quantity = 10 },
                new { kind = "coupon", name = "新人券", valueFen = 300, costFen = 100, quantity = 20 },
            },
            rules = new { inviteesNeeded = 2, stayDays = 2 },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();

        var joined = now.AddDays(-3);
        var events = new[]
        {
            Join(community, "a", "A", now.AddDays(-10)),            // the inviter, a member long before
            Join(community, "d1", "D", now.AddDays(-10)),           // D was a member, left, and comes back "invited"
            Leave(community, "d2", "D", now.AddDays(-9)),
            Join(community, "b", "B", joined, inviter: "A"),
            Join(community, "c", "C", joined.AddMinutes(5), inviter: "A"),
            Join(community, "f", "F", joined.AddMinutes(10), inviter: "A"),
            Leave(community, "f-left", "F", joined.AddDays(1)),     // F leaves before the two days are up
            Join(community, "d3", "D", joined.AddMinutes(15), inviter: "A"),
            Join(community, "e", "E", joined.AddMinutes(20), inviter: "E"), // invites themself
            Join(community, "g", "G", now.AddDays(-5), inviter: "A"),  // before the campaign started
        };
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", events)).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var tree = await ws.Owner.Api.GetJsonAsync<List<InvitationDto>>($"/api/campaigns/{campaign.Id}/invitations");
        var byInvitee = tree.ToDictionary(t => t.InviteeName);
        Assert.Equal(["用户B", "用户C", "用户D", "用户E", "用户F"], byInvitee.Keys.Order(StringComparer.Ordinal));
        Assert.All(tree.Where(t => t.InviteeName != "用户E"), t => Assert.Equal("用户A", t.InviterName));
        Assert.Equal((InvitationStatus.Refused, "alreadyMember"), (byInvitee["用户D"].Status, byInvitee["用户D"].Reason));
        Assert.Equal((InvitationStatus.Refused, "selfInvite"), (byInvitee["用户E"].Status, byInvitee["用户E"].Reason));
        Assert.Equal(InvitationStatus.Pending, byInvitee["用户B"].Status);
        Assert.Equal(joined.UtcDateTime.AddDays(2), byInvitee["用户B"].CountsAt, TimeSpan.FromSeconds(1));

        Assert.Equal(3, await SettleAsync());
        tree = await ws.Owner.Api.GetJsonAsync<List<InvitationDto>>($"/api/campaigns/{campaign.Id}/invitations");
        byInvitee = tree.ToDictionary(t => t.InviteeName);
        Assert.Equal(InvitationStatus.Counted, byInvitee["用户B"].Status);
        Assert.Equal(InvitationStatus.Counted, byInvitee["用户C"].Status);
        Assert.Equal((InvitationStatus.Void, "leftEarly"), (byInvitee["用户F"].Status, byInvitee["用户F"].Reason));

        var grants = await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().Where(g => g.CampaignId == campaign.Id).OrderBy(g => g.Key).ToListAsync(Ct));
        Assert.Equal(3, grants.Count);
        var inviterGrant = Assert.Single(grants, g => g.RewardIndex == 0);
        Assert.Equal(byInvitee["用户B"].InviterId, inviterGrant.MemberId);
        Assert.Equal(2, grants.Count(g => g.RewardIndex == 1));
        Assert.All(grants, g => Assert.Equal(GrantStatus.Issued, g.Status));

        // Settling again (a second process, a rerun) grants nothing more.
        Assert.Equal(0, await SettleAsync());
        Assert.Equal(3, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));
        // A replayed join adds no second invitation.
        await ws.Owner.Api.PostJsonAsync("/api/events", Join(community, "b", "B", joined, inviter: "A"));
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        Assert.Equal(5, await DbAsync(ws.Id, db => db.Set<CampaignInvitation>().CountAsync(i => i.CampaignId == campaign.Id, Ct)));

        var results = (await ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{campaign.Id}")).Results;
        // A, B and C take part; A completed; B and C are new members; 1 red packet (5.00) and 2 coupons (1.00 each) cost 7.00.
        Assert.Equal(new CampaignResults(3, 1, 2, 3, 700, 1, 0.1, 0, 0, null), results);
    }

    [Fact]
    public async Task ExcludeSilent_AnInviteeWhoNeverSpoke_DoesNotCount()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("安静群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "邀请要说话的好友", kind = "invitation", startsAt = now.AddDays(-4), endsAt = now.AddDays(3), audience = new { communityIds = new[] { community } },
            goalTarget = 10, rules = new { inviteesNeeded = 1, stayDays = 1, excludeSilent = true },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        var joined = now.AddDays(-3);
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", new[]
        {
            Join(community, "a", "A", now.AddDays(-10)),
            Join(community, "s", "S", joined, inviter: "A"),
            Join(community, "t", "T", joined, inviter: "A"),
            Message(community, "t-hi", "T", joined.AddHours(1), "大家好"),
        })).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        Assert.Equal(2, await SettleAsync());
        var tree = (await ws.Owner.Api.GetJsonAsync<List<InvitationDto>>($"/api/campaigns/{campaign.Id}/invitations")).ToDictionary(t => t.InviteeName);
        Assert.Equal((InvitationStatus.Void, "silent"), (tree["用户S"].Status, tree["用户S"].Reason));
        Assert.Equal(InvitationStatus.Counted, tree["用户T"].Status);
    }
}

public sealed class InvitationSqliteTests(PostsSqliteFactory factory) : InvitationTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class InvitationPostgresTests(PostsPostgresFactory factory) : InvitationTests(factory), IClassFixture<PostsPostgresFactory>;
