using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// The campaign's anti-abuse settings (<see cref="CampaignExclusions"/>): a flash-sale claim of a member who joined after
/// the start or never spoke since joining is refused with code <c>excluded</c> and the reason, localized, and takes
/// nothing; once the silent member speaks they are let in. The decision itself: the latest join counts for silence, and
/// a message in the group (a check-in word) does not end the silence it is judged by.
/// </summary>
public abstract class CampaignExclusionTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Sale Sale, Guid Old, Guid Silent, Guid Newcomer)> SaleAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("防刷群" + Guid.NewGuid().ToString("N")[..4], "sandbox")))
            .ReadAsync<CommunityDto>()).Id;
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "防刷秒杀", kind = "flashSale", startsAt = DateTimeOffset.UtcNow.AddHours(-1), endsAt = DateTimeOffset.UtcNow.AddDays(1),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rules = new { priceFen = 990, stock = 10, perPersonLimit = 1, excludeJoinedAfterStart = true, excludeSilent = true },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 3);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            // members[0] spoke since joining (3 days ago); members[1] never did; members[2] joined after the start and spoke.
            db.Set<MemberActivity>().Add(new MemberActivity { WorkspaceId = ws.Id, CommunityId = community, MemberId = members[0], Messages = 2, FirstSpokeAt = DateTime.UtcNow.AddDays(-2), LastSpokeAt = DateTime.UtcNow.AddDays(-1) });
            db.Set<MemberActivity>().Add(new MemberActivity { WorkspaceId = ws.Id, CommunityId = community, MemberId = members[2], Messages = 1, FirstSpokeAt = DateTime.UtcNow.AddMinutes(-5), LastSpokeAt = DateTime.UtcNow.AddMinutes(-5) });
            await db.Memberships.Where(m => m.MemberId == members[2]).ExecuteUpdateAsync(u => u.SetProperty(m => m.JoinedAt, DateTime.UtcNow.AddMinutes(-10)), Ct);
            await db.SaveChangesWithoutAuditAsync(Ct);
        }
        var sale = new Sale(ws, made.Id, made.PageUrl[(made.PageUrl.LastIndexOf('/') + 1)..], community, members);
        return (sale, members[0], members[1], members[2]);
    }

    [Fact]
    public async Task FlashSaleClaim_NewcomerAndSilentMember_RefusedExcludedWithTheReason_TakeNothing_SilentMemberLetInOnceTheySpeak()
    {
        var (sale, old, silent, newcomer) = await SaleAsync();
        var client = factory.CreateClient();

        var joinedLate = await FlashSaleKit.ClaimAsync(client, sale.Slug, await FlashSaleKit.TokenAsync(factory, sale.Id, newcomer), 1, "n1", culture: "zh-CN");
        Assert.Equal((HttpStatusCode.Forbidden, "excluded"), (joinedLate.Status, joinedLate.Code));
        Assert.Contains("\"reason\":\"joinedAfterStart\"", joinedLate.Body, StringComparison.Ordinal);
        Assert.Contains("活动开始后才入群", joinedLate.Body, StringComparison.Ordinal);
        var silentToken = await FlashSaleKit.TokenAsync(factory, sale.Id, silent);
        var quiet = await FlashSaleKit.ClaimAsync(client, sale.Slug, silentToken, 1, "s1");
        Assert.Equal((HttpStatusCode.Forbidden, "excluded"), (quiet.Status, quiet.Code));
        Assert.Contains("\"reason\":\"silent\"", quiet.Body, StringComparison.Ordinal);
        Assert.Contains("not spoken", quiet.Body, StringComparison.Ordinal);

        var ok = await FlashSaleKit.ClaimAsync(client, sale.Slug, await FlashSaleKit.TokenAsync(factory, sale.Id, old), 1, "o1");
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        var holders = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == sale.Id).Select(p => p.MemberId).ToListAsync(Ct));
        Assert.Equal([old], holders);
        Assert.Equal(9, await FlashSaleKit.DbAsync(factory, db => db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == sale.Id).Select(c => c.StockLeft).SingleAsync(Ct)));

        // The silent member speaks: once the node's short memory of the refusal is gone, the claim goes through.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(sale.Ws.Id);
            db.Set<MemberActivity>().Add(new MemberActivity { WorkspaceId = sale.Ws.Id, CommunityId = sale.Community, MemberId = silent, Messages = 1, FirstSpokeAt = DateTime.UtcNow, LastSpokeAt = DateTime.UtcNow });
            await db.SaveChangesWithoutAuditAsync(Ct);
        }
        await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);
        var spoke = await FlashSaleKit.ClaimAsync(client, sale.Slug, silentToken, 1, "s2");
        Assert.Equal(HttpStatusCode.OK, spoke.Status);
        await FlashSaleKit.CheckInvariantsAsync(factory, sale, 10, 1);
    }

    [Fact]
    public async Task Decide_SilenceCountsFromTheLatestJoin_AndAMessageDoesNotEndTheSilenceItIsJudgedBy()
    {
        var (sale, old, silent, newcomer) = await SaleAsync();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(sale.Ws.Id);
        var campaign = await db.Set<Campaign>().SingleAsync(c => c.Id == sale.Id, Ct);
        var rules = campaign.RulesValue();
        var all = await CampaignExclusions.DecideAsync(db, campaign, rules, [old, silent, newcomer], null, Ct);
        Assert.Equal(ExclusionReason.None, all[old]);
        Assert.Equal(ExclusionReason.Silent, all[silent]);
        Assert.Equal(ExclusionReason.JoinedAfterStart, all[newcomer]);
        // The old member's words were two days ago: judged at a moment before them, they had not spoken yet.
        Assert.Equal(ExclusionReason.Silent, await CampaignExclusions.DecideAsync(db, campaign, rules, old, DateTime.UtcNow.AddDays(-2).AddMinutes(-1), Ct));
        // Left and came back after speaking: silent again until they speak in this stint.
        db.Memberships.Add(new Membership { WorkspaceId = sale.Ws.Id, CommunityId = sale.Community, MemberId = old, JoinedAt = DateTime.UtcNow.AddHours(-2) });
        await db.Memberships.Where(m => m.MemberId == old).OrderBy(m => m.JoinedAt).Take(1)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.LeftAt, DateTime.UtcNow.AddDays(-1).AddHours(1)), Ct);
        await db.SaveChangesWithoutAuditAsync(Ct);
        Assert.Equal(ExclusionReason.Silent, await CampaignExclusions.DecideAsync(db, campaign, rules, old, null, Ct));
        // Settings off: nobody is left out.
        Assert.Equal(ExclusionReason.None, await CampaignExclusions.DecideAsync(db, campaign, new CampaignRules(), newcomer, null, Ct));
    }
}

public sealed class CampaignExclusionTests_Sqlite(FlashSaleSqliteFactory factory) : CampaignExclusionTests(factory), IClassFixture<FlashSaleSqliteFactory>;

public sealed class CampaignExclusionTests_Postgres(FlashSalePostgresFactory factory) : CampaignExclusionTests(factory), IClassFixture<FlashSalePostgresFactory>;

/// <summary>Chat-driven mechanics: a check-in word from a member the settings leave out is not counted.</summary>
public abstract class CheckInExclusionTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task SendAsync(TestWorkspace ws, params Dictionary<string, object?>[] events)
    {
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", events)).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    [Fact]
    public async Task CheckIn_NewcomerAndSilentMember_NotCounted_OldMemberWhoSpokeCounts()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("防刷打卡群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "防刷打卡", kind = "checkIn", startsAt = now.AddDays(-1), endsAt = now.AddDays(20), audience = new { communityIds = new[] { community } },
            goalTarget = 10, rules = new { keyword = "打卡", milestones = new[] { 7 }, excludeJoinedAfterStart = true, excludeSilent = true },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        await SendAsync(ws, Join(community, "j-old", "old", now.AddDays(-10)), Join(community, "j-quiet", "quiet", now.AddDays(-10)), Join(community, "j-new", "new", now.AddHours(-3)));
        await SendAsync(ws, Message(community, "hi-old", "old", now.AddDays(-5)), Message(community, "hi-new", "new", now.AddHours(-2)));
        await SendAsync(ws, Message(community, "c-old", "old", now.AddMinutes(-3), "打卡"), Message(community, "c-quiet", "quiet", now.AddMinutes(-2), "打卡"),
            Message(community, "c-new", "new", now.AddMinutes(-1), "打卡"));

        var standings = await ws.Owner.Api.GetJsonAsync<List<CheckInStanding>>($"/api/campaigns/{campaign.Id}/checkins");
        var oldMember = await FlashSaleKit.DbAsync(factory, db => db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.WorkspaceId == ws.Id && i.UserId == "old").Select(i => i.MemberId).SingleAsync(Ct));
        Assert.Equal([oldMember], standings.Select(s => s.MemberId));
    }
}

public sealed class CheckInExclusionSqliteTests(PostsSqliteFactory factory) : CheckInExclusionTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CheckInExclusionPostgresTests(PostsPostgresFactory factory) : CheckInExclusionTests(factory), IClassFixture<PostsPostgresFactory>;
