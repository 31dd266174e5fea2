using System.Net;
using System.Text.Json;
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

        // One stint again (joined 3 days ago), words 5 days ago in an earlier stint, and the last message is the check-in
        // word itself: the message times prove nothing in between, so the member is silent (it used to pass on the old words)…
        await db.Memberships.Where(m => m.MemberId == old && m.JoinedAt > DateTime.UtcNow.AddDays(-1)).ExecuteDeleteAsync(Ct);
        await db.Memberships.Where(m => m.MemberId == old).ExecuteUpdateAsync(u => u.SetProperty(m => m.LeftAt, (DateTime?)null), Ct);
        // Whole milliseconds: PostgreSQL keeps microseconds, and the word's stored time must equal the moment it is judged at.
        var keywordAt = DateTime.UnixEpoch.AddMilliseconds(Math.Floor((DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds));
        await db.Set<MemberActivity>().Where(a => a.MemberId == old)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.FirstSpokeAt, keywordAt.AddDays(-5)).SetProperty(a => a.LastSpokeAt, keywordAt), Ct);
        Assert.Equal(ExclusionReason.Silent, await CampaignExclusions.DecideAsync(db, campaign, rules, old, keywordAt, Ct));
        // …unless they spoke on a day between the join and the word.
        db.Set<DailySpeaker>().Add(new DailySpeaker { CommunityId = sale.Community, MemberId = old, Day = DailyFigures.DayOf(keywordAt.AddDays(-1), Shequn.Features.Workspaces.WorkspaceZones.Default) });
        await db.SaveChangesWithoutAuditAsync(Ct);
        Assert.Equal(ExclusionReason.None, await CampaignExclusions.DecideAsync(db, campaign, rules, old, keywordAt, Ct));
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
    public async Task CheckIn_NewcomerAndSilentMember_ListedAsExcludedWithTheReason_CountTowardNoStreakReward_SpeakingFirstLetsTheNextOneCount()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("防刷打卡群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        // The check-ins below are minutes apart and must fall on one Shanghai day: just after midnight there, step back before it.
        var now = DateTimeOffset.UtcNow;
        var sinceMidnight = now.ToOffset(TimeSpan.FromHours(8)).TimeOfDay;
        if (sinceMidnight < TimeSpan.FromMinutes(20))
            now -= sinceMidnight + TimeSpan.FromMinutes(1);
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "防刷打卡", kind = "checkIn", startsAt = now.AddDays(-1), endsAt = now.AddDays(20), audience = new { communityIds = new[] { community } },
            goalTarget = 10, rewards = new[] { new { kind = "points", name = "首日 10 积分", valueFen = 10, costFen = 0, quantity = 100 } },
            rules = new { keyword = "打卡", milestones = new[] { 1 }, excludeJoinedAfterStart = true, excludeSilent = true },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        await SendAsync(ws, Join(community, "j-old", "old", now.AddDays(-10)), Join(community, "j-quiet", "quiet", now.AddDays(-10)), Join(community, "j-new", "new", now.AddHours(-3)));
        await SendAsync(ws, Message(community, "hi-old", "old", now.AddDays(-5)), Message(community, "hi-new", "new", now.AddHours(-2)));
        await SendAsync(ws, Message(community, "c-old", "old", now.AddMinutes(-5), "打卡"), Message(community, "c-quiet", "quiet", now.AddMinutes(-4), "打卡"),
            Message(community, "c-new", "new", now.AddMinutes(-3), "打卡"));

        var ids = await FlashSaleKit.DbAsync(factory, db => db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.WorkspaceId == ws.Id)
            .ToDictionaryAsync(i => i.UserId, i => i.MemberId, Ct));
        var standings = (await ws.Owner.Api.GetJsonAsync<List<CheckInStanding>>($"/api/campaigns/{campaign.Id}/checkins")).ToDictionary(x => x.MemberId);
        Assert.Equal((1, 1, 0, ExclusionReason.None), (standings[ids["old"]].Days, standings[ids["old"]].Current, standings[ids["old"]].ExcludedDays, standings[ids["old"]].Excluded));
        Assert.Equal((0, 0, 1, ExclusionReason.Silent), (standings[ids["quiet"]].Days, standings[ids["quiet"]].Current, standings[ids["quiet"]].ExcludedDays, standings[ids["quiet"]].Excluded));
        Assert.Equal((0, 0, 1, ExclusionReason.JoinedAfterStart), (standings[ids["new"]].Days, standings[ids["new"]].Current, standings[ids["new"]].ExcludedDays, standings[ids["new"]].Excluded));
        Task<List<Guid>> Rewarded() => FlashSaleKit.DbAsync(factory, db => db.Set<CampaignRewardGrant>().IgnoreQueryFilters().Where(g => g.CampaignId == campaign.Id)
            .Select(g => g.MemberId).ToListAsync(Ct));
        Assert.Equal([ids["old"]], await Rewarded());

        // The quiet member says hello, then checks in again the same day: that one counts (and takes the day's place).
        await SendAsync(ws, Message(community, "hi-quiet", "quiet", now.AddMinutes(-2)));
        await SendAsync(ws, Message(community, "c-quiet-2", "quiet", now.AddMinutes(-1), "打卡"));
        var quiet = (await ws.Owner.Api.GetJsonAsync<List<CheckInStanding>>($"/api/campaigns/{campaign.Id}/checkins")).Single(x => x.MemberId == ids["quiet"]);
        Assert.Equal((1, 1, 0, ExclusionReason.None), (quiet.Days, quiet.Current, quiet.ExcludedDays, quiet.Excluded));
        Assert.Equal(new[] { ids["old"], ids["quiet"] }.Order(), (await Rewarded()).Order());
    }
}

public sealed class CheckInExclusionSqliteTests(PostsSqliteFactory factory) : CheckInExclusionTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CheckInExclusionPostgresTests(PostsPostgresFactory factory) : CheckInExclusionTests(factory), IClassFixture<PostsPostgresFactory>;

/// <summary>
/// Every public page action applies the campaign's anti-abuse settings, not only the flash-sale claim: a member who
/// joined after the start and one who never spoke since joining are refused with 403 <c>excluded</c> and the reason, and
/// nothing of theirs is written; a member who spoke before the start goes through (so the refusal is the settings', not
/// a broken request). Helpers (a bargain cut, an assist help) are judged as well as the member who asks.
/// </summary>
public abstract class PageExclusionTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record People(TestWorkspace Ws, Guid Community, Guid Old, Guid Friend, Guid Silent, Guid Newcomer);

    private async Task<People> PeopleAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("防刷页" + Guid.NewGuid().ToString("N")[..4], "sandbox")))
            .ReadAsync<CommunityDto>()).Id;
        var m = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 4);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        // m[0] and m[1] spoke since joining 3 days ago; m[2] never did; m[3] joined 10 minutes ago (after the start) and spoke.
        foreach (var (member, at) in new[] { (m[0], DateTime.UtcNow.AddDays(-2)), (m[1], DateTime.UtcNow.AddDays(-2)), (m[3], DateTime.UtcNow.AddMinutes(-5)) })
            db.Set<MemberActivity>().Add(new MemberActivity { WorkspaceId = ws.Id, CommunityId = community, MemberId = member, Messages = 1, FirstSpokeAt = at, LastSpokeAt = at });
        await db.Memberships.Where(x => x.MemberId == m[3]).ExecuteUpdateAsync(u => u.SetProperty(x => x.JoinedAt, DateTime.UtcNow.AddMinutes(-10)), Ct);
        await db.SaveChangesWithoutAuditAsync(Ct);
        return new(ws, community, m[0], m[1], m[2], m[3]);
    }

    private async Task<(Guid Id, string Slug)> CampaignAsync(People p, CampaignKind kind, CampaignRules rules, params CampaignReward[] rewards)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(p.Ws.Id);
        var c = new Campaign
        {
            WorkspaceId = p.Ws.Id, Name = "防刷" + kind, Kind = kind, Status = CampaignStatus.Published, Slug = Campaign.NewSlug(),
            StartsAt = DateTime.UtcNow.AddHours(-1), EndsAt = DateTime.UtcNow.AddDays(2), CommunityIds = CampaignJson.Write(new[] { p.Community }),
            Rules = CampaignJson.Write(rules with { ExcludeJoinedAfterStart = true, ExcludeSilent = true }), Rewards = CampaignJson.Write(rewards), StockLeft = rules.Stock ?? 0,
        };
        db.Add(c);
        await db.SaveChangesWithoutAuditAsync(Ct);
        return (c.Id, c.Slug);
    }

    private static async Task<(HttpStatusCode Status, string? Code, string? Reason, string Body)> SendAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync(Ct);
        string? S(JsonElement r, string name) => r.ValueKind == JsonValueKind.Object && r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        using var doc = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return (response.StatusCode, S(doc.RootElement, "code"), S(doc.RootElement, "reason"), text);
    }

    private static readonly CampaignReward Coupon = new(RewardKind.Coupon, "5 元券", 500, 0, 100);

    [Theory]
    [InlineData("groupBuyJoin")]
    [InlineData("bargainStart")]
    [InlineData("bargainCut")]
    [InlineData("assistStart")]
    [InlineData("assistHelp")]
    [InlineData("couponClaim")]
    [InlineData("pointsRedeem")]
    [InlineData("quizAnswer")]
    [InlineData("phoneCapture")]
    [InlineData("swapList")]
    [InlineData("swapOffer")]
    public async Task PageAction_OfAMemberTheSettingsLeaveOut_Is403ExcludedWithTheReason_WritesNothing_AnOldMemberGoesThrough(string action)
    {
        var p = await PeopleAsync();
        var client = factory.CreateClient();
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        (Guid Id, string Slug) c;
        Func<Guid, string, object> body = (_, token) => new { token, requestId = Guid.NewGuid().ToString("N") };
        Func<string, string> path;
        Func<AppDbContext, Guid, Task<int>> rows;
        Guid actor = p.Old; // who succeeds; for a helper action the old member asks and the friend helps
        switch (action)
        {
            case "groupBuyJoin":
                c = await CampaignAsync(p, CampaignKind.GroupBuy, new CampaignRules { PriceFen = 990, GroupSize = 2, Stock = 10 });
                path = slug => $"/c/{slug}/join";
                rows = (db, m) => db.Set<CampaignGroupSeat>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == c.Id && x.MemberId == m, Ct);
                break;
            case "bargainStart":
                c = await CampaignAsync(p, CampaignKind.Bargain, new CampaignRules { PriceFen = 1000, FloorPriceFen = 100, Helpers = 3 });
                path = slug => $"/c/{slug}/bargain";
                rows = (db, m) => db.Set<CampaignBargain>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == c.Id && x.MemberId == m, Ct);
                break;
            case "bargainCut":
                {
                    c = await CampaignAsync(p, CampaignKind.Bargain, new CampaignRules { PriceFen = 1000, FloorPriceFen = 100, Helpers = 3 });
                    var started = await SendAsync(client, $"/c/{c.Slug}/bargain", new { token = await links.TokenAsync(c.Id, p.Old, Ct), requestId = "start" });
                    Assert.Equal(HttpStatusCode.OK, started.Status);
                    var id = JsonDocument.Parse(started.Body).RootElement.GetProperty("id").GetGuid();
                    path = slug => $"/c/{slug}/bargain/{id}/cut";
                    rows = (db, m) => db.Set<CampaignBargainCut>().IgnoreQueryFilters().CountAsync(x => x.BargainId == id && x.HelperMemberId == m, Ct);
                    actor = p.Friend;
                    break;
                }
            case "assistStart":
                c = await CampaignAsync(p, CampaignKind.Assist, new CampaignRules { InviteesNeeded = 2 }, Coupon);
                path = slug => $"/c/{slug}/assist";
                rows = (db, m) => db.Set<CampaignAssist>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == c.Id && x.MemberId == m, Ct);
                break;
            case "assistHelp":
                {
                    c = await CampaignAsync(p, CampaignKind.Assist, new CampaignRules { InviteesNeeded = 2 }, Coupon);
                    var started = await SendAsync(client, $"/c/{c.Slug}/assist", new { token = await links.TokenAsync(c.Id, p.Old, Ct), requestId = "start" });
                    Assert.Equal(HttpStatusCode.OK, started.Status);
                    var id = JsonDocument.Parse(started.Body).RootElement.GetProperty("id").GetGuid();
                    path = slug => $"/c/{slug}/assist/{id}/help";
                    rows = (db, m) => db.Set<CampaignAssistHelp>().IgnoreQueryFilters().CountAsync(x => x.AssistId == id && x.HelperMemberId == m, Ct);
                    actor = p.Friend;
                    break;
                }
            case "couponClaim":
                c = await CampaignAsync(p, CampaignKind.Coupon, new CampaignRules { Stock = 10 }, Coupon);
                path = slug => $"/c/{slug}/coupon";
                rows = (db, m) => db.Set<CampaignCoupon>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == c.Id && x.MemberId == m, Ct);
                break;
            case "pointsRedeem":
                {
                    c = await CampaignAsync(p, CampaignKind.PointsRedemption, new CampaignRules { Catalog = [new PointsCatalogItem("杯子", 10, 5)] },
                        new CampaignReward(RewardKind.Points, "积分", 100, 0, 100));
                    // Everyone has points to spend: only the settings can refuse them.
                    var campaign = c.Id;
                    await FlashSaleKit.DbAsync(factory, async db =>
                    {
                        foreach (var m in new[] { p.Old, p.Silent, p.Newcomer })
                            db.Add(new CampaignRewardGrant { WorkspaceId = p.Ws.Id, CampaignId = campaign, MemberId = m, Key = $"seed:{m:N}", Status = GrantStatus.Issued });
                        return await db.SaveChangesWithoutAuditAsync(Ct);
                    });
                    body = (_, token) => new { token, requestId = Guid.NewGuid().ToString("N"), itemIndex = 0 };
                    path = slug => $"/c/{slug}/redeem";
                    rows = (db, m) => db.Set<CampaignRedemption>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == campaign && x.MemberId == m, Ct);
                    break;
                }
            case "quizAnswer":
                c = await CampaignAsync(p, CampaignKind.Quiz, new CampaignRules { Questions = [new QuizQuestion("一加一？", ["1", "2"], [1])], PassMark = 1 }, Coupon);
                body = (_, token) => new { token, requestId = Guid.NewGuid().ToString("N"), answers = new[] { new[] { 1 } } };
                path = slug => $"/c/{slug}/quiz";
                rows = (db, m) => db.Set<QuizSubmission>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == c.Id && x.MemberId == m, Ct);
                break;
            case "phoneCapture":
                c = await CampaignAsync(p, CampaignKind.FlashSale, new CampaignRules { PriceFen = 990, Stock = 10, PerPersonLimit = 1, CollectPhone = true });
                body = (_, token) => new { token, requestId = Guid.NewGuid().ToString("N"), phone = "13800138000", consent = true };
                path = slug => $"/c/{slug}/phone";
                rows = (db, m) => db.Set<CampaignLead>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == c.Id && x.MemberId == m, Ct);
                break;
            case "swapList":
                c = await CampaignAsync(p, CampaignKind.Swap, new CampaignRules());
                body = (_, token) => new { token, requestId = Guid.NewGuid().ToString("N"), title = "九成新童车" };
                path = slug => $"/c/{slug}/swap/items";
                rows = (db, m) => db.Set<SwapItem>().IgnoreQueryFilters().CountAsync(x => x.CampaignId == c.Id && x.OwnerMemberId == m, Ct);
                break;
            case "swapOffer":
                {
                    c = await CampaignAsync(p, CampaignKind.Swap, new CampaignRules());
                    var listed = await SendAsync(client, $"/c/{c.Slug}/swap/items", new { token = await links.TokenAsync(c.Id, p.Old, Ct), requestId = "item", title = "绘本" });
                    Assert.Equal(HttpStatusCode.OK, listed.Status);
                    var item = JsonDocument.Parse(listed.Body).RootElement.GetProperty("id").GetGuid();
                    body = (_, token) => new { token, text = "换一本书" };
                    path = slug => $"/c/{slug}/swap/items/{item}/offers";
                    rows = (db, m) => db.Set<SwapOffer>().IgnoreQueryFilters().CountAsync(x => x.ItemId == item && x.OffererMemberId == m, Ct);
                    actor = p.Friend;
                    break;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }

        foreach (var (member, reason, words) in new[] { (p.Newcomer, "joinedAfterStart", "活动开始后才入群"), (p.Silent, "silent", "从未在群里发言") })
        {
            var refused = await SendAsync(client, path(c.Slug) + "?culture=zh-CN", body(member, await links.TokenAsync(c.Id, member, Ct)));
            Assert.Equal((HttpStatusCode.Forbidden, "excluded", reason), (refused.Status, refused.Code, refused.Reason));
            Assert.Contains(words, refused.Body, StringComparison.Ordinal);
            Assert.Equal(0, await FlashSaleKit.DbAsync(factory, db => rows(db, member)));
            Assert.False(await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().AnyAsync(x => x.CampaignId == c.Id && x.MemberId == member, Ct)));
        }
        var ok = await SendAsync(client, path(c.Slug), body(actor, await links.TokenAsync(c.Id, actor, Ct)));
        Assert.True(ok.Status == HttpStatusCode.OK, $"{action}: {ok.Status} {ok.Body}");
        Assert.Equal(1, await FlashSaleKit.DbAsync(factory, db => rows(db, actor)));
    }
}

public sealed class PageExclusionSqliteTests(FlashSaleSqliteFactory factory) : PageExclusionTests(factory), IClassFixture<FlashSaleSqliteFactory>;

public sealed class PageExclusionPostgresTests(FlashSalePostgresFactory factory) : PageExclusionTests(factory), IClassFixture<FlashSalePostgresFactory>;
