using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Campaigns;

public sealed class GroupBuySqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Campaigns:ReleaseEnabled", "false");
        builder.UseSetting("Campaigns:GroupSettleEnabled", "false");
    }
}

public sealed class GroupBuyPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Campaigns:ReleaseEnabled", "false");
        builder.UseSetting("Campaigns:GroupSettleEnabled", "false");
    }
}

/// <summary>The brand's shop at the edge of the world: its refund endpoint fails the first <see cref="Failures"/> requests, then confirms with a reference.</summary>
public sealed class FlakyShop : HttpMessageHandler
{
    public const string Secret = "shop-secret";
    public int Failures { get; set; } = 2;
    public List<(string? Key, string? Signature, string Body)> Seen { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsStringAsync(cancellationToken);
        lock (Seen)
        {
            Seen.Add((request.Headers.TryGetValues("Idempotency-Key", out var k) ? k.Single() : null,
                request.Headers.TryGetValues("X-Shequn-Signature", out var s) ? s.Single() : null, body));
            if (Seen.Count <= Failures)
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"reference":"SHOP-R-1"}""", Encoding.UTF8, "application/json") };
    }
}

public sealed class GroupBuyShopFactory : SqliteFactory
{
    public FlakyShop Shop { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Campaigns:ReleaseEnabled", "false");
        builder.UseSetting("Campaigns:GroupSettleEnabled", "false");
        builder.UseSetting("Campaigns:ShopRefundUrl", "https://shop.example/refunds");
        builder.UseSetting("Campaigns:ShopRefundSecret", FlakyShop.Secret);
        builder.ConfigureServices(s => s.AddHttpClient(GroupRefunds.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Shop));
    }
}

internal sealed record Buy(TestWorkspace Ws, Guid Id, string Slug, Guid Community, List<Guid> Members);

internal sealed record JoinAnswer(HttpStatusCode Status, Guid? SeatId, Guid? GroupId, string? SeatStatus, bool Replayed, string? ShareUrl, string? Code, string Body);

internal static class GroupBuyKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<Buy> NewAsync(ShequnFactory factory, int size, int members, object? tiers = null, bool virtualCompletion = false, int? percent = null,
        int? stock = null, string platform = "sandbox", int limit = 1)
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("拼团群" + Guid.NewGuid().ToString("N")[..4], platform)))
            .ReadAsync<CommunityDto>()).Id;
        var ids = await FlashSaleKit.MembersAsync(factory, ws.Id, community, members);
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "拼团 车厘子", kind = "groupBuy", startsAt = DateTimeOffset.UtcNow.AddMinutes(-1), endsAt = DateTimeOffset.UtcNow.AddDays(2),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rules = new
            {
                priceFen = 1000, originalPriceFen = 1500, groupSize = size, groupHours = 24, tiers, virtualCompletion,
                virtualCompletionPercent = percent, stock, perPersonLimit = limit,
            },
            page = new object[] { new { kind = "hero", title = "三人成团", text = "智利车厘子 2 斤" } },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        return new Buy(ws, made.Id, made.PageUrl[(made.PageUrl.LastIndexOf('/') + 1)..], community, ids);
    }

    public static async Task<JoinAnswer> JoinAsync(ShequnFactory factory, HttpClient client, Buy buy, Guid member, Guid? groupId, string requestId)
    {
        var token = await FlashSaleKit.TokenAsync(factory, buy.Id, member);
        var response = await client.PostJsonAsync($"/c/{buy.Slug}/join?culture=en", new { token, groupId, requestId });
        var body = await response.Content.ReadAsStringAsync(Ct);
        using var doc = JsonDocument.Parse(body);
        var r = doc.RootElement;
        string? S(string p) => r.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new JoinAnswer(response.StatusCode, r.TryGetProperty("seatId", out var s) ? s.GetGuid() : null, r.TryGetProperty("groupId", out var g) ? g.GetGuid() : null,
            S("status"), r.TryGetProperty("replayed", out var rep) && rep.GetBoolean(), S("shareUrl"), S("code"), body);
    }

    public static Task<HttpResponseMessage> PayAsync(Buy buy, Guid seat, string order) =>
        buy.Ws.Owner.Api.PostJsonAsync($"/api/campaigns/{buy.Id}/seats/{seat}/paid", new { orderId = order });

    public static Task<CampaignGroup> GroupAsync(ShequnFactory factory, Guid id) =>
        FlashSaleKit.DbAsync(factory, db => db.Set<CampaignGroup>().IgnoreQueryFilters().AsNoTracking().SingleAsync(g => g.Id == id, Ct));

    public static Task<List<OutboundAction>> PostsAsync(ShequnFactory factory, Guid groupId) =>
        FlashSaleKit.DbAsync(factory, db =>
        {
            var prefix = $"groupbuy:{groupId:N}:";
            return db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => a.IdempotencyKey.StartsWith(prefix)).OrderBy(a => a.CreatedAt).ToListAsync(Ct);
        });

    public static Task ExpireAsync(ShequnFactory factory, Guid groupId) =>
        FlashSaleKit.DbAsync(factory, db => db.Set<CampaignGroup>().IgnoreQueryFilters().Where(g => g.Id == groupId)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)), Ct));

    /// <summary>Seats held (not released) match the group's count, nobody over the limit, units = seats held per member, stock = taken.</summary>
    public static async Task CheckInvariantsAsync(ShequnFactory factory, Buy buy, int limit, int? stock = null)
    {
        var groups = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignGroup>().IgnoreQueryFilters().Where(g => g.CampaignId == buy.Id).ToListAsync(Ct));
        var seats = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignGroupSeat>().IgnoreQueryFilters().Where(s => s.CampaignId == buy.Id).ToListAsync(Ct));
        var units = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == buy.Id).ToListAsync(Ct));
        foreach (var g in groups)
        {
            var mine = seats.Where(s => s.GroupId == g.Id).ToList();
            Assert.InRange(g.Seats, 0, g.MaxSize);
            if (g.Status == GroupStatus.Open)
                Assert.Equal(mine.Count(s => s.Status is SeatStatus.Reserved or SeatStatus.Paid), g.Seats);
            Assert.Equal(mine.Count(s => s.Status is SeatStatus.Paid or SeatStatus.Refunding), g.Paid);
            Assert.Equal(mine.Count, mine.Select(s => s.MemberId).Distinct().Count());
        }
        var held = seats.Where(s => s.Status == SeatStatus.Paid || s.Status == SeatStatus.Reserved).ToList();
        foreach (var p in units)
        {
            Assert.InRange(p.Units, 0, limit);
            Assert.Equal(held.Count(s => s.MemberId == p.MemberId), p.Units);
        }
        if (stock is { } total)
        {
            var left = await FlashSaleKit.DbAsync(factory, db => db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == buy.Id).Select(c => c.StockLeft).SingleAsync(Ct));
            Assert.Equal(total - held.Count, left);
        }
        Assert.Equal(seats.Count, seats.Select(s => s.RequestId).Distinct().Count());
    }
}

/// <summary>
/// 拼团 end to end (campaigns.md "group buys"): a leader opens, friends join through the leader's link, the shop's order
/// confirmations count, progress is posted in the group, the group completes once at its size (or at its deadline at
/// the tier reached, refunding the difference), fails releasing every reservation and recording every refund, which is
/// retried until the shop confirms it; virtual completion only when enabled and then disclosed. The job is off: tests
/// run its passes by hand.
/// </summary>
public abstract class GroupBuyTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<(int Released, int Closed, int Refunded)> PassAsync() => factory.Services.GetRequiredService<GroupBuySettler>().RunOnceAsync(Ct);

    [Fact]
    public async Task LeaderOpens_FriendsJoinByTheLink_EachPaymentPostsProgress_CompletesAtSizeOnce()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 3, members: 4);
        var client = factory.CreateClient();
        var leader = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "lead");
        Assert.Equal((HttpStatusCode.OK, "reserved"), (leader.Status, leader.SeatStatus));
        var group = leader.GroupId!.Value;
        Assert.EndsWith($"/c/{buy.Slug}?g={group}", leader.ShareUrl, StringComparison.Ordinal);
        Assert.True((await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "lead")).Replayed);
        var a = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[1], group, "a");
        var b = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[2], group, "b");
        Assert.Equal(group, a.GroupId);
        // The same member again in the same group (another tab): their seat, not a second one.
        var again = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[1], group, "a-tab2");
        Assert.Equal((a.SeatId, true), (again.SeatId, again.Replayed));

        var paid = await (await GroupBuyKit.PayAsync(buy, leader.SeatId!.Value, "O-1")).ReadAsync<SeatDto>();
        Assert.Equal(SeatStatus.Paid, paid.Status);
        var posts = await GroupBuyKit.PostsAsync(factory, group);
        var progress = Assert.Single(posts);
        Assert.Equal(buy.Community, progress.CommunityId);
        var text = ActionPayload.FromJson(progress.Payload).Text!;
        Assert.Contains("还差 2 人", text, StringComparison.Ordinal);
        Assert.Contains($"?g={group}", text, StringComparison.Ordinal);
        // The same confirmation again answers the same seat and posts nothing more; another order is a conflict.
        Assert.Equal(paid.PaidAt, (await (await GroupBuyKit.PayAsync(buy, leader.SeatId.Value, "O-1")).ReadAsync<SeatDto>()).PaidAt);
        Assert.Equal(HttpStatusCode.Conflict, (await GroupBuyKit.PayAsync(buy, leader.SeatId.Value, "O-9")).StatusCode);
        Assert.Single(await GroupBuyKit.PostsAsync(factory, group));

        await (await GroupBuyKit.PayAsync(buy, a.SeatId!.Value, "O-2")).ReadAsync<SeatDto>();
        await (await GroupBuyKit.PayAsync(buy, b.SeatId!.Value, "O-3")).ReadAsync<SeatDto>();
        var done = await GroupBuyKit.GroupAsync(factory, group);
        Assert.Equal((GroupStatus.Completed, 3, 1000L, false), (done.Status, done.Paid, done.PriceFen, done.Virtual));
        posts = await GroupBuyKit.PostsAsync(factory, group);
        Assert.Equal(3, posts.Count);
        Assert.Contains("拼团成功", ActionPayload.FromJson(posts[^1].Payload).Text, StringComparison.Ordinal);
        // A fourth is refused: the group is closed.
        Assert.Equal("groupClosed", (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[3], group, "late")).Code);
        var dto = await buy.Ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{buy.Id}");
        Assert.Equal((3, 3, 3, 3000L), (dto.Results.Participants, dto.Results.Completions, dto.Results.Orders, dto.Results.RevenueFen));
        var listed = Assert.Single(await buy.Ws.Owner.Api.GetJsonAsync<List<GroupDto>>($"/api/campaigns/{buy.Id}/groups"));
        Assert.Equal((buy.Members[0], 3), (listed.LeaderMemberId, listed.Members.Count));
        var participants = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == buy.Id).ToListAsync(Ct));
        Assert.All(participants.Where(p => p.MemberId != buy.Members[0]), p => Assert.Equal(buy.Members[0], p.InvitedByMemberId));
        await GroupBuyKit.CheckInvariantsAsync(factory, buy, 1);
    }

    [Fact]
    public async Task FortyMembersJoinAGroupOfFiveAtOnce_ExactlyFiveSeats_NobodyOverTheLimit_DoubleClicksOneSeat()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 5, members: 41, stock: 100);
        var client = factory.CreateClient();
        var group = (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "lead")).GroupId!.Value;
        var requests = buy.Members.Skip(1).Select((m, i) => (Member: m, Rid: "j" + i)).ToList();
        var all = requests.Concat(requests.Where((_, i) => i % 5 == 0)).ToList();
        var answers = await Task.WhenAll(all.Select(r => Task.Run(() => GroupBuyKit.JoinAsync(factory, client, buy, r.Member, group, r.Rid), Ct)));
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.OK || a.Code == "groupFull", a.Body));
        Assert.Equal(4, answers.Where(a => a.Status == HttpStatusCode.OK).Select(a => a.SeatId).Distinct().Count());
        var g = await GroupBuyKit.GroupAsync(factory, group);
        Assert.Equal(5, g.Seats);
        await GroupBuyKit.CheckInvariantsAsync(factory, buy, 1, stock: 100);
        // The limit: the leader cannot open a second group while holding a seat.
        Assert.Equal("groupLimit", (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "lead-2")).Code);
    }

    [Fact]
    public async Task FourPaymentsAtOnce_CompleteTheGroupOnce_WithOneCompletionPost()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 4, members: 4);
        var client = factory.CreateClient();
        var first = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "s0");
        var seats = new List<Guid> { first.SeatId!.Value };
        for (var i = 1; i < 4; i++)
            seats.Add((await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[i], first.GroupId, "s" + i)).SeatId!.Value);
        var paid = await Task.WhenAll(seats.Select((s, i) => Task.Run(() => GroupBuyKit.PayAsync(buy, s, "P-" + i), Ct)));
        Assert.All(paid, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var g = await GroupBuyKit.GroupAsync(factory, first.GroupId!.Value);
        Assert.Equal((GroupStatus.Completed, 4), (g.Status, g.Paid));
        var posts = await GroupBuyKit.PostsAsync(factory, g.Id);
        Assert.Single(posts, p => p.IdempotencyKey.EndsWith(":end", StringComparison.Ordinal));
        Assert.Equal(3, posts.Count(p => p.IdempotencyKey.Contains(":paid:", StringComparison.Ordinal)));
        await GroupBuyKit.CheckInvariantsAsync(factory, buy, 1);
    }

    [Fact]
    public async Task Failure_ReleasesReservations_RecordsAFullRefundPerPayment_SandboxRefundsDone_StockAndLimitsBack_TwoPassesAtOnce()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 3, members: 4, stock: 10);
        var client = factory.CreateClient();
        var lead = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "f0");
        var a = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[1], lead.GroupId, "f1");
        var unpaid = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[2], lead.GroupId, "f2");
        await (await GroupBuyKit.PayAsync(buy, lead.SeatId!.Value, "F-0")).ReadAsync<SeatDto>();
        await (await GroupBuyKit.PayAsync(buy, a.SeatId!.Value, "F-1")).ReadAsync<SeatDto>();
        await GroupBuyKit.CheckInvariantsAsync(factory, buy, 1, stock: 10);
        await GroupBuyKit.ExpireAsync(factory, lead.GroupId!.Value);

        var passes = await Task.WhenAll(Task.Run(PassAsync, Ct), Task.Run(PassAsync, Ct));
        Assert.Equal(1, passes.Sum(p => p.Closed));
        var g = await GroupBuyKit.GroupAsync(factory, lead.GroupId.Value);
        Assert.Equal(GroupStatus.Failed, g.Status);
        var seats = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignGroupSeat>().IgnoreQueryFilters().Where(s => s.GroupId == g.Id).ToDictionaryAsync(s => s.Id, Ct));
        Assert.Equal(SeatStatus.Released, seats[unpaid.SeatId!.Value].Status);
        Assert.Equal(SeatStatus.Refunding, seats[lead.SeatId.Value].Status);
        await PassAsync();
        var refunds = await buy.Ws.Owner.Api.GetJsonAsync<List<RefundDto>>($"/api/campaigns/{buy.Id}/refunds");
        Assert.Equal(2, refunds.Count);
        Assert.All(refunds, r => Assert.Equal((RefundReason.GroupFailed, 1000L, RefundStatus.Done), (r.Reason, r.AmountFen, r.Status)));
        Assert.Equal(["F-0", "F-1"], refunds.Select(r => r.OrderId).Order());
        Assert.All(refunds, r => Assert.StartsWith("sandbox-refund-", r.Reference, StringComparison.Ordinal));
        await GroupBuyKit.CheckInvariantsAsync(factory, buy, 1, stock: 10);
        Assert.Contains("未在截止前成团", ActionPayload.FromJson((await GroupBuyKit.PostsAsync(factory, g.Id))[^1].Payload).Text, StringComparison.Ordinal);
        // Everyone's limit is back: the leader may open a new group.
        Assert.Equal(HttpStatusCode.OK, (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "f-again")).Status);
        // A payment arriving after the failure is refused; the page of the group says it failed.
        Assert.Equal(HttpStatusCode.Conflict, (await GroupBuyKit.PayAsync(buy, unpaid.SeatId.Value, "F-2")).StatusCode);
        var page = await client.GetStringAsync($"/c/{buy.Slug}?g={g.Id}&culture=en", Ct);
        Assert.Contains("every payment is refunded", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnpaidSeat_PastItsWindow_IsReleased_AndAnotherMemberTakesThePlace()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 2, members: 3);
        var client = factory.CreateClient();
        var lead = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "u0");
        var slow = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[1], lead.GroupId, "u1");
        Assert.Equal("groupFull", (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[2], lead.GroupId, "u2")).Code);
        await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignGroupSeat>().IgnoreQueryFilters().Where(s => s.Id == slow.SeatId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)), Ct));
        Assert.Equal(1, (await PassAsync()).Released);
        Assert.Equal(HttpStatusCode.OK, (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[2], lead.GroupId, "u3")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await GroupBuyKit.PayAsync(buy, slow.SeatId!.Value, "late")).StatusCode);
        await GroupBuyKit.CheckInvariantsAsync(factory, buy, 1);
    }

    [Fact]
    public async Task Tiers_AtTheDeadline_CompleteAtTheTierReached_AndRefundTheDifference()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 2, members: 4, tiers: new[] { new { size = 3, priceFen = 900 }, new { size = 6, priceFen = 800 } });
        var client = factory.CreateClient();
        var lead = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "t0");
        await GroupBuyKit.PayAsync(buy, lead.SeatId!.Value, "T-0");
        for (var i = 1; i < 4; i++)
            await GroupBuyKit.PayAsync(buy, (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[i], lead.GroupId, "t" + i)).SeatId!.Value, "T-" + i);
        var g = await GroupBuyKit.GroupAsync(factory, lead.GroupId!.Value);
        // Four paid: the first tier is reached, the group stays open for the next one until its deadline.
        Assert.Equal((GroupStatus.Open, 4, 6), (g.Status, g.Paid, g.MaxSize));
        Assert.Contains("全团享 8.00 元", ActionPayload.FromJson((await GroupBuyKit.PostsAsync(factory, g.Id))[^1].Payload).Text, StringComparison.Ordinal);
        await GroupBuyKit.ExpireAsync(factory, g.Id);
        await PassAsync();
        g = await GroupBuyKit.GroupAsync(factory, g.Id);
        Assert.Equal((GroupStatus.Completed, 900L), (g.Status, g.PriceFen));
        var refunds = await buy.Ws.Owner.Api.GetJsonAsync<List<RefundDto>>($"/api/campaigns/{buy.Id}/refunds");
        Assert.Equal(4, refunds.Count);
        Assert.All(refunds, r => Assert.Equal((RefundReason.TierDifference, 100L), (r.Reason, r.AmountFen)));
        Assert.Contains("成团价 9.00 元", ActionPayload.FromJson((await GroupBuyKit.PostsAsync(factory, g.Id))[^1].Payload).Text, StringComparison.Ordinal);
        // Four orders at 10.00, less 1.00 back each.
        var results = (await buy.Ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{buy.Id}")).Results;
        Assert.Equal((4, 3600L), (results.Orders, results.RevenueFen));
    }

    [Fact]
    public async Task VirtualCompletion_OnlyWhenEnabled_AndThenDisclosedOnThePage()
    {
        var on = await GroupBuyKit.NewAsync(factory, size: 4, members: 3, virtualCompletion: true, percent: 75);
        var off = await GroupBuyKit.NewAsync(factory, size: 4, members: 3);
        var client = factory.CreateClient();
        var groups = new List<Guid>();
        foreach (var buy in new[] { on, off })
        {
            var lead = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "v0");
            await GroupBuyKit.PayAsync(buy, lead.SeatId!.Value, "V-0");
            for (var i = 1; i < 3; i++)
                await GroupBuyKit.PayAsync(buy, (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[i], lead.GroupId, "v" + i)).SeatId!.Value, "V-" + i);
            await GroupBuyKit.ExpireAsync(factory, lead.GroupId!.Value);
            groups.Add(lead.GroupId.Value);
        }
        await PassAsync();
        var virtualGroup = await GroupBuyKit.GroupAsync(factory, groups[0]);
        Assert.Equal((GroupStatus.Completed, true), (virtualGroup.Status, virtualGroup.Virtual));
        Assert.Equal(GroupStatus.Failed, (await GroupBuyKit.GroupAsync(factory, groups[1])).Status);
        var onPage = await client.GetStringAsync($"/c/{on.Slug}?culture=en", Ct);
        Assert.Contains("data-testid=\"group-virtual\"", onPage, StringComparison.Ordinal);
        Assert.Contains("75%", onPage, StringComparison.Ordinal);
        Assert.DoesNotContain("group-virtual", await client.GetStringAsync($"/c/{off.Slug}?culture=en", Ct), StringComparison.Ordinal);
        Assert.Contains("virtual-completion rule", await client.GetStringAsync($"/c/{on.Slug}?g={groups[0]}&culture=en", Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SharePage_ShowsTheGroupsProgress_LeaderMasked_AndBadInputIsNamed()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 3, members: 2);
        var client = factory.CreateClient();
        var lead = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "p0");
        await GroupBuyKit.PayAsync(buy, lead.SeatId!.Value, "P-0");
        var page = await client.GetStringAsync($"/c/{buy.Slug}?g={lead.GroupId}", Ct);
        Assert.Contains("还差 2 人成团", page, StringComparison.Ordinal);
        Assert.Contains("成** 的团", page, StringComparison.Ordinal);
        Assert.Contains("参加这个团", page, StringComparison.Ordinal);
        Assert.Contains("/c/groupbuy.js", page, StringComparison.Ordinal);
        Assert.Contains("This group does not exist", await client.GetStringAsync($"/c/{buy.Slug}?g=nonsense&culture=en", Ct), StringComparison.Ordinal);
        Assert.Equal("groupNotFound", (await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[1], Guid.NewGuid(), "p1")).Code);
        var missing = await client.PostJsonAsync($"/c/{buy.Slug}/join?culture=en", new { requestId = "p2" });
        Assert.Equal(["token"], (await missing.ReadValidationErrorsAsync()).Keys);
        var badTiers = await buy.Ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "坏阶梯", kind = "groupBuy", startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddDays(1), goalMetric = "completions", goalTarget = 1,
            audience = new { communityIds = new[] { buy.Community } },
            rules = new { priceFen = 1000, groupSize = 3, groupHours = 24, tiers = new[] { new { size = 3, priceFen = 900 }, new { size = 5, priceFen = 950 } } },
        });
        var errors = await badTiers.ReadValidationErrorsAsync();
        Assert.Equal(["rules.tiers[0].size", "rules.tiers[1].priceFen"], errors.Keys.Order());
    }

    [Fact]
    public async Task SandboxCheckout_PaysTheSeat_AndStaffMarkAManualRefundDoneOnce()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 2, members: 2, platform: "telegram");
        var client = factory.CreateClient();
        var lead = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "m0");
        // Not a Sandbox campaign: no pretend checkout.
        var token = await FlashSaleKit.TokenAsync(factory, buy.Id, buy.Members[0]);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostJsonAsync($"/c/{buy.Slug}/seat-checkout", new { token, seatId = lead.SeatId })).StatusCode);
        await GroupBuyKit.PayAsync(buy, lead.SeatId!.Value, "M-0");
        await GroupBuyKit.ExpireAsync(factory, lead.GroupId!.Value);
        await PassAsync();
        // No shop endpoint and not the Sandbox: the refund waits for staff.
        var refund = Assert.Single(await buy.Ws.Owner.Api.GetJsonAsync<List<RefundDto>>($"/api/campaigns/{buy.Id}/refunds?status=pending"));
        Assert.Null(refund.NextAttemptAt);
        var url = $"/api/campaigns/{buy.Id}/refunds/{refund.Id}/done";
        Assert.Equal(["reference"], (await (await buy.Ws.Owner.Api.PostJsonAsync(url, new { reference = " " })).ReadValidationErrorsAsync()).Keys);
        var done = await (await buy.Ws.Owner.Api.PostJsonAsync(url, new { reference = "微信转账 0042" })).ReadAsync<RefundDto>();
        Assert.Equal((RefundStatus.Done, "微信转账 0042"), (done.Status, done.Reference));
        var again = await (await buy.Ws.Owner.Api.PostJsonAsync(url, new { reference = "another" })).ReadAsync<RefundDto>();
        Assert.Equal(("微信转账 0042", done.DoneAt), (again.Reference, again.DoneAt));

        var sandbox = await GroupBuyKit.NewAsync(factory, size: 2, members: 1);
        var seat = await GroupBuyKit.JoinAsync(factory, client, sandbox, sandbox.Members[0], null, "s0");
        var sandboxToken = await FlashSaleKit.TokenAsync(factory, sandbox.Id, sandbox.Members[0]);
        var paid = await client.PostJsonAsync($"/c/{sandbox.Slug}/seat-checkout?culture=en", new { token = sandboxToken, seatId = seat.SeatId });
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.Contains("Paid", await paid.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(1, (await GroupBuyKit.GroupAsync(factory, seat.GroupId!.Value)).Paid);
    }
}

public sealed class GroupBuyTests_Sqlite(GroupBuySqliteFactory factory) : GroupBuyTests(factory), IClassFixture<GroupBuySqliteFactory>;

public sealed class GroupBuyTests_Postgres(GroupBuyPostgresFactory factory) : GroupBuyTests(factory), IClassFixture<GroupBuyPostgresFactory>;

/// <summary>Refund requests to the brand's shop: retried with growing pauses until it confirms, signed, each attempt sent once.</summary>
public sealed class GroupBuyRefundTests(GroupBuyShopFactory factory) : IClassFixture<GroupBuyShopFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ShopFailsTwice_RefundIsRetriedUntilConfirmed_SignedAndKeyedByTheRefund_NeverSentTwiceAtOnce()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 2, members: 1);
        var client = factory.CreateClient();
        var lead = await GroupBuyKit.JoinAsync(factory, client, buy, buy.Members[0], null, "r0");
        await GroupBuyKit.PayAsync(buy, lead.SeatId!.Value, "R-0");
        await GroupBuyKit.ExpireAsync(factory, lead.GroupId!.Value);
        var job = factory.Services.GetRequiredService<GroupBuySettler>();
        await job.RunOnceAsync(Ct);
        var refund = Assert.Single(await buy.Ws.Owner.Api.GetJsonAsync<List<RefundDto>>($"/api/campaigns/{buy.Id}/refunds"));
        Assert.Equal((RefundStatus.Pending, 1), (refund.Status, refund.Attempts));
        Assert.Contains("503", refund.LastError, StringComparison.Ordinal);
        Assert.True(refund.NextAttemptAt > DateTime.UtcNow.AddSeconds(20));
        // Not due yet: a pass sends nothing.
        await job.RunOnceAsync(Ct);
        Assert.Single(factory.Shop.Seen);

        for (var attempt = 2; attempt <= 3; attempt++)
        {
            await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignRefund>().IgnoreQueryFilters().Where(r => r.Id == refund.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.NextAttemptAt, DateTime.UtcNow.AddSeconds(-1)), Ct));
            // Two nodes' passes at once: the attempt is claimed by one.
            await Task.WhenAll(Task.Run(() => job.RunOnceAsync(Ct), Ct), Task.Run(() => job.RunOnceAsync(Ct), Ct));
            Assert.Equal(attempt, factory.Shop.Seen.Count);
        }
        var done = Assert.Single(await buy.Ws.Owner.Api.GetJsonAsync<List<RefundDto>>($"/api/campaigns/{buy.Id}/refunds"));
        Assert.Equal((RefundStatus.Done, "SHOP-R-1", 3), (done.Status, done.Reference, done.Attempts));
        Assert.All(factory.Shop.Seen, s =>
        {
            Assert.Equal(refund.Id.ToString(), s.Key);
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(FlakyShop.Secret), Encoding.UTF8.GetBytes(s.Body)));
            Assert.Equal(expected, s.Signature);
            using var body = JsonDocument.Parse(s.Body);
            Assert.Equal(("R-0", 1000), (body.RootElement.GetProperty("orderId").GetString(), body.RootElement.GetProperty("amountFen").GetInt32()));
        });
        // Done stays done: later passes send nothing.
        await job.RunOnceAsync(Ct);
        Assert.Equal(3, factory.Shop.Seen.Count);
    }
}

/// <summary>
/// Two app processes on one PostgreSQL both run the group-buy job: every expired group is closed once — the stock and
/// the members' limits come back exactly once, every payment gets one refund, done once.
/// </summary>
public sealed class GroupBuyTwoHostsTests
{
    private sealed class Host(string database) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0))
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Campaigns:ReleaseEnabled", "false");
            builder.UseSetting("Campaigns:GroupSettleInterval", "00:00:00.200");
        }
    }

    [Fact]
    public async Task TwoHostsRunTheJob_TwelveExpiredGroups_EachClosedOnce_StockAndLimitsBackOnce_OneRefundPerPayment()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        var first = new Host(database);
        var second = new Host(database);
        try
        {
            var buy = await GroupBuyKit.NewAsync(first, size: 4, members: 36, stock: 100);
            // Groups gather while the jobs run (their deadlines are a day away), then all expire at once.
            var client = first.CreateClient();
            var groups = new List<Guid>();
            var paid = 0;
            for (var g = 0; g < 12; g++)
            {
                var lead = await GroupBuyKit.JoinAsync(first, client, buy, buy.Members[g * 3], null, $"l{g}");
                groups.Add(lead.GroupId!.Value);
                await GroupBuyKit.PayAsync(buy, lead.SeatId!.Value, $"L-{g}");
                paid++;
                var friend = await GroupBuyKit.JoinAsync(first, client, buy, buy.Members[g * 3 + 1], lead.GroupId, $"f{g}");
                if (g % 2 == 0)
                {
                    await GroupBuyKit.PayAsync(buy, friend.SeatId!.Value, $"F-{g}");
                    paid++;
                }
            }
            _ = second.Services;
            await FlashSaleKit.DbAsync(first, db => db.Set<CampaignGroup>().IgnoreQueryFilters().Where(x => x.CampaignId == buy.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)), ct));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && await FlashSaleKit.DbAsync(first, db => db.Set<CampaignRefund>().IgnoreQueryFilters()
                       .CountAsync(r => r.CampaignId == buy.Id && r.Status == RefundStatus.Done, ct)) < paid)
                await Task.Delay(200, ct);

            var closed = await FlashSaleKit.DbAsync(first, db => db.Set<CampaignGroup>().IgnoreQueryFilters().Where(x => x.CampaignId == buy.Id).ToListAsync(ct));
            Assert.All(closed, x => Assert.Equal(GroupStatus.Failed, x.Status));
            var refunds = await FlashSaleKit.DbAsync(first, db => db.Set<CampaignRefund>().IgnoreQueryFilters().Where(r => r.CampaignId == buy.Id).ToListAsync(ct));
            Assert.Equal(paid, refunds.Count);
            Assert.All(refunds, r => Assert.Equal(RefundStatus.Done, r.Status));
            Assert.All(refunds, r => Assert.Equal(1, r.Attempts));
            await GroupBuyKit.CheckInvariantsAsync(first, buy, 1, stock: 100);
            foreach (var g in groups)
                Assert.Single(await GroupBuyKit.PostsAsync(first, g), p => p.IdempotencyKey.EndsWith(":end", StringComparison.Ordinal));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            if (Outbox.SharedPostgresHost.PgServer is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await using var conn = new Npgsql.NpgsqlConnection(Outbox.SharedPostgresHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }
}
