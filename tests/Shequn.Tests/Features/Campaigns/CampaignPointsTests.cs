using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// 积分兑换 and 集卡 end to end: a member racing themselves never spends more points than reward grants gave them; members
/// racing for an item never take more than its stock; a replay is answered with the first redemption; staff list and
/// deliver; the catalog and cards are checked at save naming the field; one card a day from the group's messages, the
/// same card on a replay of the log, and the full set rewarded and congratulated once.
/// </summary>
public abstract class CampaignPointsTests(ShequnFactory factory)
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

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private static async Task<CampaignDto> PointsCampaignAsync(TestWorkspace ws, Guid community, object rules, object[]? rewards = null)
    {
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "积分商城", kind = "pointsRedemption", startsAt = DateTimeOffset.UtcNow.AddDays(-30), endsAt = DateTimeOffset.UtcNow.AddDays(5),
            audience = new { communityIds = new[] { community } }, goalMetric = "participants", goalTarget = 10, rules, rewards = rewards ?? [],
        })).ReadAsync<CampaignDto>();
        return await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
    }

    private static string Slug(CampaignDto c) => c.PageUrl[(c.PageUrl.LastIndexOf('/') + 1)..];

    /// <summary>Gives each member <paramref name="points"/> through one issued grant of a points reward in another campaign.</summary>
    private async Task GivePointsAsync(TestWorkspace ws, Guid community, IEnumerable<Guid> members, int points)
    {
        var source = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "签到送积分", kind = "checkIn", startsAt = DateTimeOffset.UtcNow.AddDays(-10), endsAt = DateTimeOffset.UtcNow.AddDays(5),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rewards = new[] { new { kind = "coupon", name = "券", valueFen = 500, costFen = 0, quantity = 1000 }, new { kind = "points", name = "积分", valueFen = points, costFen = 0, quantity = 1000 } },
            rules = new { keyword = "签到" },
        })).ReadAsync<CampaignDto>();
        await DbAsync(ws.Id, async db =>
        {
            foreach (var m in members)
            {
                db.Add(new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = source.Id, MemberId = m, RewardIndex = 1, Key = $"p:{m:N}", Status = GrantStatus.Issued });
                // A coupon grant and a void points grant earn no points.
                db.Add(new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = source.Id, MemberId = m, RewardIndex = 0, Key = $"c:{m:N}", Status = GrantStatus.Issued });
                db.Add(new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = source.Id, MemberId = m, RewardIndex = 1, Key = $"v:{m:N}", Status = GrantStatus.Void });
            }
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> RedeemAsync(HttpClient client, string slug, string? token, int? itemIndex, string? requestId)
    {
        var response = await client.PostJsonAsync($"/c/{slug}/redeem?culture=en", new { token, itemIndex, requestId });
        var body = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    private static string? Code((HttpStatusCode, JsonElement Body) r) => r.Body.TryGetProperty("code", out var c) ? c.GetString() : null;

    [Fact]
    public async Task Redeem_OneMemberTwentyAtOnce_SpendsOnlyThePointsGranted()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "积分群");
        var member = (await FlashSaleKit.MembersAsync(factory, ws.Id, community, 1))[0];
        await GivePointsAsync(ws, community, [member], 100);
        var campaign = await PointsCampaignAsync(ws, community, new { catalog = new[] { new { name = "马克杯", points = 30, stock = 100 } } });
        var token = await FlashSaleKit.TokenAsync(factory, campaign.Id, member);
        var client = factory.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => RedeemAsync(client, Slug(campaign), token, 0, $"r-{i}"), Ct)));
        Assert.Equal(3, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a => Assert.Equal((HttpStatusCode.Conflict, "notEnoughPoints"), (a.Status, Code(a))));
        var spent = await DbAsync(ws.Id, db => db.Set<CampaignPointsAccount>().Where(a => a.MemberId == member).Select(a => a.Spent).SingleAsync(Ct));
        Assert.Equal(90, spent);
        Assert.Equal(3, await DbAsync(ws.Id, db => db.Set<CampaignRedemption>().CountAsync(r => r.CampaignId == campaign.Id, Ct)));
        Assert.Equal(3, await DbAsync(ws.Id, db => db.Set<CampaignItemStock>().Where(s => s.CampaignId == campaign.Id).Select(s => s.Taken).SingleAsync(Ct)));

        // The page shows the balance left with the personal link, and the catalog without it.
        var page = await client.GetStringAsync($"/c/{Slug(campaign)}/points?m={Uri.EscapeDataString(token)}&culture=en", Ct);
        Assert.Contains("data-balance=\"10\"", page, StringComparison.Ordinal);
        Assert.Contains("马克杯", page, StringComparison.Ordinal);
        var anonymous = await client.GetStringAsync($"/c/{Slug(campaign)}/points?culture=en", Ct);
        Assert.DoesNotContain("data-balance", anonymous, StringComparison.Ordinal);
        Assert.Contains("97 left", anonymous, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redeem_FiftyMembersRacingForFive_ExactlyFiveRedeemed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "抢兑群");
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 50);
        await GivePointsAsync(ws, community, members, 40);
        var campaign = await PointsCampaignAsync(ws, community, new { catalog = new[] { new { name = "保温杯", points = 40, stock = 5 } } });
        var tokens = new Dictionary<Guid, string>();
        foreach (var m in members)
            tokens[m] = await FlashSaleKit.TokenAsync(factory, campaign.Id, m);
        var client = factory.CreateClient();

        var answers = await Task.WhenAll(members.Select(m => Task.Run(() => RedeemAsync(client, Slug(campaign), tokens[m], 0, "req-" + m.ToString("N")), Ct)));
        Assert.Equal(5, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a => Assert.Equal((HttpStatusCode.Conflict, "soldOut"), (a.Status, Code(a))));
        var redemptions = await DbAsync(ws.Id, db => db.Set<CampaignRedemption>().Where(r => r.CampaignId == campaign.Id).ToListAsync(Ct));
        Assert.Equal(5, redemptions.Select(r => r.MemberId).Distinct().Count());
        Assert.Equal(5, await DbAsync(ws.Id, db => db.Set<CampaignItemStock>().Where(s => s.CampaignId == campaign.Id).Select(s => s.Taken).SingleAsync(Ct)));
        // Points were spent only by those who got the item (a refusal rolls the spending back).
        var accounts = await DbAsync(ws.Id, db => db.Set<CampaignPointsAccount>().Where(a => a.Spent > 0).ToListAsync(Ct));
        Assert.Equal(redemptions.Select(r => r.MemberId).Order(), accounts.Select(a => a.MemberId).Order());
        Assert.All(accounts, a => Assert.Equal(40, a.Spent));
    }

    [Fact]
    public async Task Redeem_ReplayAnsweredWithTheFirst_StaffListAndDeliverOnce_BadInputNamesTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "兑换群");
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 2);
        await GivePointsAsync(ws, community, members, 50);
        var campaign = await PointsCampaignAsync(ws, community, new { catalog = new[] { new { name = "帆布袋", points = 20, stock = 10 }, new { name = "大礼包", points = 500, stock = 1 } } });
        var a = await FlashSaleKit.TokenAsync(factory, campaign.Id, members[0]);
        var b = await FlashSaleKit.TokenAsync(factory, campaign.Id, members[1]);
        var client = factory.CreateClient();

        var first = await RedeemAsync(client, Slug(campaign), a, 0, "same");
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(30, first.Body.GetProperty("balance").GetInt64());
        var replay = await RedeemAsync(client, Slug(campaign), a, 0, "same");
        Assert.Equal(first.Body.GetProperty("redemption").GetProperty("id").GetGuid(), replay.Body.GetProperty("redemption").GetProperty("id").GetGuid());
        Assert.True(replay.Body.GetProperty("redemption").GetProperty("replayed").GetBoolean());
        Assert.Equal(30, replay.Body.GetProperty("balance").GetInt64());
        var other = await RedeemAsync(client, Slug(campaign), b, 0, "same");
        Assert.Equal((HttpStatusCode.Conflict, "conflict"), (other.Status, Code(other)));
        var big = await RedeemAsync(client, Slug(campaign), b, 1, "big");
        Assert.Equal((HttpStatusCode.Conflict, "notEnoughPoints"), (big.Status, Code(big)));
        var forged = await RedeemAsync(client, Slug(campaign), "forged", 0, "x");
        Assert.Equal((HttpStatusCode.Forbidden, "unknownMember"), (forged.Status, Code(forged)));
        var bad = await client.PostJsonAsync($"/c/{Slug(campaign)}/redeem?culture=en", new { token = a, itemIndex = 7, requestId = "y" });
        Assert.True((await bad.ReadValidationErrorsAsync()).ContainsKey("itemIndex"));

        var listed = await ws.Owner.Api.GetJsonAsync<List<RedemptionDto>>($"/api/campaigns/{campaign.Id}/redemptions");
        var row = Assert.Single(listed);
        Assert.Equal(("帆布袋", 20, RedemptionStatus.Redeemed, "成员0"), (row.ItemName, row.Points, row.Status, row.MemberName));
        var delivered = await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/redemptions/{row.Id}/delivered", null, Ct)).ReadAsync<RedemptionDto>();
        Assert.Equal(RedemptionStatus.Delivered, delivered.Status);
        Assert.NotNull(delivered.DeliveredAt);
        var again = await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/redemptions/{row.Id}/delivered", null, Ct)).ReadAsync<RedemptionDto>();
        Assert.Equal(delivered.DeliveredAt, again.DeliveredAt);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/redemptions/{Guid.NewGuid()}/delivered", null, Ct)).StatusCode);
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{campaign.Id}")).Results.Participants);
    }

    [Fact]
    public async Task Save_CatalogAndCardsChecked_NamingTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "校验群");
        async Task<IDictionary<string, string[]>> ErrorsAsync(object rules, object[]? rewards = null) =>
            await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
            {
                name = "积分", kind = "pointsRedemption", startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddDays(5),
                audience = new { communityIds = new[] { community } }, goalTarget = 10, rules, rewards = rewards ?? [],
            })).ReadValidationErrorsAsync();
        Assert.True((await ErrorsAsync(new { })).ContainsKey("rules.catalog"));
        var catalog = await ErrorsAsync(new { catalog = new object[] { new { name = "杯子", points = 10, stock = 5 }, new { name = "", points = 0, stock = 0 } } });
        Assert.Equal(["rules.catalog[1].name", "rules.catalog[1].points", "rules.catalog[1].stock"], catalog.Keys.Order(StringComparer.Ordinal));
        var cards = await ErrorsAsync(new { cards = new[] { "福", "福" } });
        Assert.Equal(["rewards", "rules.cardKeyword", "rules.cards"], cards.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Cards_OneDrawADay_SameCardOnReplay_FullSetRewardedAndCongratulatedOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "集卡群");
        var campaign = await PointsCampaignAsync(ws, community, new { cards = new[] { "福", "禄" }, cardKeyword = "集卡" },
            [new { kind = "points", name = "集齐 200 积分", valueFen = 200, costFen = 0, quantity = 100 }]);
        var now = DateTimeOffset.UtcNow;
        await SendAsync(ws, Join(community, "j", "u1", now.AddDays(-29)));
        var member = await DbAsync(ws.Id, db => db.Members.Where(m => m.DisplayName == "用户u1").Select(m => m.Id).SingleAsync(Ct));
        var zone = await factory.Services.GetRequiredService<WorkspaceZones>().GetAsync(ws.Id, Ct);
        DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(at.UtcDateTime, zone));
        DateTimeOffset Noon(int back) => new(TimeZoneInfo.ConvertTimeToUtc(DayOf(now).AddDays(-back).ToDateTime(new TimeOnly(12, 0)), zone), TimeSpan.Zero);

        // Past days whose card is not today's: those draws alone never complete the set; today's live message does.
        var today = CardDraws.Draw(campaign.Id, member, DayOf(now), 2);
        var past = Enumerable.Range(1, 25).Where(back => CardDraws.Draw(campaign.Id, member, DayOf(Noon(back)), 2) != today).Take(2).ToList();
        Assert.Equal(2, past.Count);
        await SendAsync(ws,
            Message(community, "p1", "u1", Noon(past[0]), "今天集卡"),
            Message(community, "p1b", "u1", Noon(past[0]).AddHours(1), "再集卡一次"),   // the same day: no second draw
            Message(community, "p2", "u1", Noon(past[1]), "集卡"),
            Message(community, "x", "u1", Noon(past[1]).AddHours(2), "随便聊聊"));
        var draws = await DbAsync(ws.Id, db => db.Set<CampaignCardDraw>().Where(d => d.CampaignId == campaign.Id).ToListAsync(Ct));
        Assert.Equal(2, draws.Count);
        Assert.All(draws, d => Assert.Equal(CardDraws.Draw(campaign.Id, member, d.Day, 2), d.CardIndex));
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));

        await SendAsync(ws, Message(community, "t", "u1", now, "集卡！"), Message(community, "t2", "u1", now.AddSeconds(5), "集卡"));
        var holding = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<CardHolding>>($"/api/campaigns/{campaign.Id}/cards"));
        Assert.Equal((3, true), (holding.Draws, holding.Complete));
        Assert.Equal(3, holding.Counts.Sum());
        var grant = Assert.Single(await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().Where(g => g.CampaignId == campaign.Id).ToListAsync(Ct)));
        Assert.Equal(($"cards:{member:N}", member), (grant.Key, grant.MemberId));
        var congratulation = Assert.Single(await DbAsync(ws.Id, db => db.Set<OutboundAction>().Where(a => a.IdempotencyKey.StartsWith("cards:")).ToListAsync(Ct)));
        Assert.Equal(ActionKind.Reply, congratulation.Kind);
        Assert.Contains("集齐", congratulation.Payload, StringComparison.Ordinal);
        // The card reward's points count towards the member's balance.
        Assert.Equal(200, await DbAsync(ws.Id, db => PointsBalances.EarnedAsync(db, ws.Id, member, Ct)));

        // The whole log through the reaction again (a second process, a crash after the commit): nothing new.
        await DbAsync(ws.Id, async db =>
        {
            var log = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == ws.Id).OrderBy(e => e.Seq).ToListAsync(Ct);
            var effects = new EventEffects(db, factory.Services.GetRequiredService<WorkspaceZones>());
            await effects.ApplyAsync(log, Ct);
            var added = await factory.Services.GetServices<IBatchReaction>().OfType<CardCollectingReaction>().Single().ReactAsync(db, log, effects, Ct);
            Assert.Equal(0, added);
            Assert.DoesNotContain(db.ChangeTracker.Entries<CampaignCardDraw>(), e => e.State == EntityState.Added);
            Assert.DoesNotContain(db.ChangeTracker.Entries<CampaignRewardGrant>(), e => e.State == EntityState.Added);
            return 0;
        });
        // The same events posted again are not drawn again either.
        await SendAsync(ws, Message(community, "t", "u1", now, "集卡！"), Message(community, "p2", "u1", Noon(past[1]), "集卡"));
        Assert.Equal(3, await DbAsync(ws.Id, db => db.Set<CampaignCardDraw>().CountAsync(d => d.CampaignId == campaign.Id, Ct)));

        // The member's page shows the cards held and the set complete.
        var token = await FlashSaleKit.TokenAsync(factory, campaign.Id, member);
        var page = await factory.CreateClient().GetStringAsync($"/c/{Slug(campaign)}/points?m={Uri.EscapeDataString(token)}", Ct);
        Assert.Contains("points-cards-complete", page, StringComparison.Ordinal);
        Assert.Contains("data-balance=\"200\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redeem_WithInviteToken_RecordsTheInviter_NeverSelf()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "积分邀请群");
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 2);
        var (a, b) = (members[0], members[1]);
        await GivePointsAsync(ws, community, members, 100);
        var campaign = await PointsCampaignAsync(ws, community, new { catalog = new[] { new { name = "马克杯", points = 30, stock = 100 } } });
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var inviteA = await links.InviteTokenAsync(campaign.Id, a, Ct);
        var client = factory.CreateClient();
        async Task<HttpStatusCode> Redeem(Guid who, string rid) =>
            (await client.PostJsonAsync($"/c/{Slug(campaign)}/redeem", new { token = await links.TokenAsync(campaign.Id, who, Ct), itemIndex = 0, requestId = rid, inviter = inviteA }))
            .StatusCode;

        Assert.Equal(HttpStatusCode.OK, await Redeem(b, "b1"));
        Assert.Equal(HttpStatusCode.OK, await Redeem(a, "a1")); // herself: not recorded
        var rows = await DbAsync(ws.Id, db => db.Set<CampaignParticipant>().Where(p => p.CampaignId == campaign.Id).ToDictionaryAsync(p => p.MemberId, p => p.InvitedByMemberId, Ct));
        Assert.Equal(a, rows[b]);
        Assert.Null(rows[a]);
    }
}

public sealed class CampaignPointsSqliteTests(PostsSqliteFactory factory) : CampaignPointsTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CampaignPointsPostgresTests(PostsPostgresFactory factory) : CampaignPointsTests(factory), IClassFixture<PostsPostgresFactory>;
