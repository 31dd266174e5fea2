using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>A public page's answer to a start, a cut, a help or a coupon claim.</summary>
internal sealed record HelpAnswer(HttpStatusCode Status, Guid? Id, string? State, bool Replayed, string? Code, string? CouponCode, long? PriceFen, string Body);

/// <summary>
/// 砍 bargains, 帮 assists and 券 coupons end to end over HTTP: many friends at once never cut past the floor nor count
/// twice, the threshold help grants once, one coupon code pays for one order, replays get the first answer, and bad input
/// names the field.
/// </summary>
public abstract class CampaignHelpTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Sale> NewCampaignAsync(string kind, object rules, int members, object[]? rewards = null)
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("砍价群" + Guid.NewGuid().ToString("N")[..4], "sandbox")))
            .ReadAsync<CommunityDto>()).Id;
        var ids = await FlashSaleKit.MembersAsync(factory, ws.Id, community, members);
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "活动 " + kind, kind, startsAt = DateTimeOffset.UtcNow.AddMinutes(-1), endsAt = DateTimeOffset.UtcNow.AddDays(1),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10, rules, rewards = rewards ?? [],
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        return new Sale(ws, made.Id, made.PageUrl[(made.PageUrl.LastIndexOf('/') + 1)..], community, ids);
    }

    private static async Task<HelpAnswer> PostAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostJsonAsync(path + "?culture=en", body);
        var text = await response.Content.ReadAsStringAsync(Ct);
        using var doc = JsonDocument.Parse(text);
        var r = doc.RootElement;
        string? S(string p) => r.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var ok = response.StatusCode == HttpStatusCode.OK;
        return new HelpAnswer(response.StatusCode, ok && r.TryGetProperty("id", out var id) ? id.GetGuid() : null, ok ? S("status") : null,
            r.TryGetProperty("replayed", out var rep) && rep.GetBoolean(), ok ? null : S("code"), ok ? S("code") : null,
            r.TryGetProperty("priceFen", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt64() : null, text);
    }

    private async Task<Dictionary<Guid, string>> TokensAsync(Sale sale)
    {
        var tokens = new Dictionary<Guid, string>();
        foreach (var m in sale.Members)
            tokens[m] = await FlashSaleKit.TokenAsync(factory, sale.Id, m);
        return tokens;
    }

    [Fact]
    public async Task Bargain_TwentyFriendsCutAtOnce_ExactlyHelpersCutsCount_PriceLandsOnTheFloor()
    {
        var sale = await NewCampaignAsync("bargain", new { priceFen = 9900, floorPriceFen = 100, helpers = 6 }, members: 22);
        var tokens = await TokensAsync(sale);
        var client = factory.CreateClient();
        var owner = sale.Members[0];
        var started = await PostAsync(client, $"/c/{sale.Slug}/bargain", new { token = tokens[owner], requestId = "start-1" });
        Assert.Equal(HttpStatusCode.OK, started.Status);
        Assert.Equal(9900, started.PriceFen);
        var again = await PostAsync(client, $"/c/{sale.Slug}/bargain", new { token = tokens[owner], requestId = "start-2" });
        Assert.Equal((HttpStatusCode.OK, started.Id, true), (again.Status, again.Id, again.Replayed));
        var bargain = started.Id!.Value;

        var self = await PostAsync(client, $"/c/{sale.Slug}/bargain/{bargain}/cut", new { token = tokens[owner] });
        Assert.Equal((HttpStatusCode.Conflict, "selfHelp"), (self.Status, self.Code));

        // 20 friends, each cutting twice at once (a double click).
        var friends = sale.Members.Skip(1).Take(20).ToList();
        var answers = await Task.WhenAll(friends.Concat(friends).Select(f =>
            Task.Run(() => PostAsync(client, $"/c/{sale.Slug}/bargain/{bargain}/cut", new { token = tokens[f] }), Ct)));
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.Conflict, a.Body));
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.Conflict), a => Assert.Equal("finished", a.Code));

        var stored = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignBargain>().IgnoreQueryFilters().SingleAsync(b => b.Id == bargain, Ct));
        var cuts = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignBargainCut>().IgnoreQueryFilters().Where(c => c.BargainId == bargain).ToListAsync(Ct));
        Assert.Equal((6, 100L, BargainStatus.Reached), (stored.Cuts, stored.PriceFen, stored.Status));
        Assert.Equal(6, cuts.Count);
        Assert.Equal(9800, cuts.Sum(c => c.AmountFen));
        Assert.All(cuts, c => Assert.True(c.AmountFen >= 1));
        Assert.Equal([1, 2, 3, 4, 5, 6], cuts.Select(c => c.Position).Order());
        Assert.Equal(6, cuts.Select(c => c.HelperMemberId).Distinct().Count());
        // Everyone who was answered OK cut (or replayed their own cut).
        var okHelpers = friends.Concat(friends).Zip(answers).Where(x => x.Second.Status == HttpStatusCode.OK).Select(x => x.First).Distinct().Order();
        Assert.Equal(cuts.Select(c => c.HelperMemberId).Order(), okHelpers);

        var listed = Assert.Single(await sale.Ws.Owner.Api.GetJsonAsync<List<BargainDto>>($"/api/campaigns/{sale.Id}/bargains"));
        Assert.Equal((bargain, 100L, 6, 6), (listed.Id, listed.PriceFen, listed.Cuts, listed.CutList.Count));
    }

    [Fact]
    public async Task Bargain_PaidByOrder_IsIdempotent_AnotherOrderConflicts_CompletionCounted()
    {
        var sale = await NewCampaignAsync("bargain", new { priceFen = 500, floorPriceFen = 0, helpers = 2 }, members: 3);
        var tokens = await TokensAsync(sale);
        var client = factory.CreateClient();
        var bargain = (await PostAsync(client, $"/c/{sale.Slug}/bargain", new { token = tokens[sale.Members[0]], requestId = "r" })).Id!.Value;
        var cut = await PostAsync(client, $"/c/{sale.Slug}/bargain/{bargain}/cut", new { token = tokens[sale.Members[1]] });
        Assert.Equal(HttpStatusCode.OK, cut.Status);
        var replay = await PostAsync(client, $"/c/{sale.Slug}/bargain/{bargain}/cut", new { token = tokens[sale.Members[1]] });
        Assert.Equal((HttpStatusCode.OK, true, cut.PriceFen), (replay.Status, replay.Replayed, replay.PriceFen));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, $"/c/{sale.Slug}/bargain/{bargain}/cut", new { token = tokens[sale.Members[2]] })).Status);

        var api = sale.Ws.Owner.Api;
        var paid = await (await api.PostJsonAsync($"/api/campaigns/{sale.Id}/bargains/{bargain}/paid", new { orderId = "o-1" })).ReadAsync<BargainDto>();
        Assert.Equal((BargainStatus.Paid, 0L, "o-1"), (paid.Status, paid.PaidPriceFen!.Value, paid.OrderId));
        Assert.Equal(HttpStatusCode.OK, (await api.PostJsonAsync($"/api/campaigns/{sale.Id}/bargains/{bargain}/paid", new { orderId = "o-1" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostJsonAsync($"/api/campaigns/{sale.Id}/bargains/{bargain}/paid", new { orderId = "o-2" })).StatusCode);
        Assert.Equal(["orderId"], (await (await api.PostJsonAsync($"/api/campaigns/{sale.Id}/bargains/{bargain}/paid", new { orderId = " " })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostJsonAsync($"/api/campaigns/{sale.Id}/bargains/{Guid.NewGuid()}/paid", new { orderId = "o-1" })).StatusCode);
        var results = (await api.GetJsonAsync<CampaignDto>($"/api/campaigns/{sale.Id}")).Results;
        Assert.Equal((1, 1), (results.Participants, results.Completions));

        // Bad input names the field.
        Assert.Equal(["requestId"], (await (await client.PostJsonAsync($"/c/{sale.Slug}/bargain?culture=en", new { token = tokens[sale.Members[1]] })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(["token"], (await (await client.PostJsonAsync($"/c/{sale.Slug}/bargain?culture=en", new { requestId = "x" })).ReadValidationErrorsAsync()).Keys);
        var forged = await PostAsync(client, $"/c/{sale.Slug}/bargain", new { token = "nope", requestId = "x" });
        Assert.Equal((HttpStatusCode.Forbidden, "unknownMember"), (forged.Status, forged.Code));
    }

    [Fact]
    public async Task Page_SharedBargainLink_ShowsItsProgressAndTheCutButton_InBothLanguages()
    {
        var sale = await NewCampaignAsync("bargain", new { priceFen = 1000, floorPriceFen = 100, helpers = 3 }, members: 2);
        var tokens = await TokensAsync(sale);
        var client = factory.CreateClient();
        var bargain = (await PostAsync(client, $"/c/{sale.Slug}/bargain", new { token = tokens[sale.Members[0]], requestId = "r" })).Id!.Value;
        var cut = await PostAsync(client, $"/c/{sale.Slug}/bargain/{bargain}/cut", new { token = tokens[sale.Members[1]] });
        var en = WebUtility.HtmlDecode(await client.GetStringAsync($"/c/{sale.Slug}?b={bargain}&culture=en", Ct));
        Assert.Contains("data-testid=\"bargain-progress\"", en, StringComparison.Ordinal);
        Assert.Contains($"成员0's bargain: ¥{cut.PriceFen!.Value / 100m:0.00} now, floor ¥1.00, 1 / 3 cuts", en, StringComparison.Ordinal);
        Assert.Contains($"data-path=\"/bargain/{bargain}/cut\"", en, StringComparison.Ordinal);
        var zh = WebUtility.HtmlDecode(await client.GetStringAsync($"/c/{sale.Slug}?b={bargain}", Ct));
        Assert.Contains("已砍 1 / 3 刀", zh, StringComparison.Ordinal);
        Assert.Contains("帮 TA 砍一刀", zh, StringComparison.Ordinal);
        // Without a shared link: the start button only; a link to another campaign's bargain shows no progress.
        var plain = await client.GetStringAsync($"/c/{sale.Slug}?b={Guid.NewGuid()}&culture=en", Ct);
        Assert.Contains("data-testid=\"bargain-start\"", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("bargain-progress", plain, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bargain_SavedWithFloorItsHelpersCannotReach_IsRefusedNamingTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("砍价规则群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        async Task<string[]> Fields(object rules) => [.. (await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "砍价", kind = "bargain", startsAt = DateTimeOffset.UtcNow.AddHours(1), endsAt = DateTimeOffset.UtcNow.AddDays(1),
            audience = new { communityIds = new[] { community } }, goalTarget = 1, rules,
        })).ReadValidationErrorsAsync()).Keys];
        Assert.Equal(["rules.helpers"], await Fields(new { priceFen = 105, floorPriceFen = 100, helpers = 6 }));
        Assert.Equal(["rules.priceFen"], await Fields(new { priceFen = BargainPlan.MaxPrice + 1, floorPriceFen = 100, helpers = 6 }));
        Assert.Equal(["rules.floorPriceFen"], await Fields(new { priceFen = 100, floorPriceFen = 100, helpers = 1 }));
    }

    [Fact]
    public async Task Assist_FifteenHelpAtOnce_CompletesAtTheThreshold_OneGrantWithOneCoupon()
    {
        var sale = await NewCampaignAsync("assist", new { inviteesNeeded = 3 }, members: 16,
            rewards: [new { kind = "coupon", name = "10 元券", valueFen = 1000, costFen = 300, quantity = 100 }]);
        var tokens = await TokensAsync(sale);
        var client = factory.CreateClient();
        var owner = sale.Members[0];
        var assist = (await PostAsync(client, $"/c/{sale.Slug}/assist", new { token = tokens[owner], requestId = "a" })).Id!.Value;
        var self = await PostAsync(client, $"/c/{sale.Slug}/assist/{assist}/help", new { token = tokens[owner] });
        Assert.Equal((HttpStatusCode.Conflict, "selfHelp"), (self.Status, self.Code));

        var helpers = sale.Members.Skip(1).ToList();
        var answers = await Task.WhenAll(helpers.Select(h => Task.Run(() => PostAsync(client, $"/c/{sale.Slug}/assist/{assist}/help", new { token = tokens[h] }), Ct)));
        Assert.Equal(3, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a => Assert.Equal((HttpStatusCode.Conflict, "finished"), (a.Status, a.Code)));

        var stored = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignAssist>().IgnoreQueryFilters().SingleAsync(a => a.Id == assist, Ct));
        Assert.Equal((3, AssistStatus.Completed), (stored.Helps, stored.Status));
        Assert.Equal(3, await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignAssistHelp>().IgnoreQueryFilters().CountAsync(h => h.AssistId == assist, Ct)));
        var grant = Assert.Single(await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignRewardGrant>().IgnoreQueryFilters().Where(g => g.CampaignId == sale.Id).ToListAsync(Ct)));
        Assert.Equal(($"assist:{assist:N}", owner), (grant.Key, grant.MemberId));
        var coupon = Assert.Single(await sale.Ws.Owner.Api.GetJsonAsync<List<CouponDto>>($"/api/campaigns/{sale.Id}/coupons"));
        Assert.Equal((grant.Id, owner, 1000L, CouponStatus.Unused), (coupon.GrantId!.Value, coupon.MemberId, coupon.FaceValueFen, coupon.Status));
        var results = (await sale.Ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{sale.Id}")).Results;
        Assert.Equal((1, 1, 1), (results.Participants, results.Completions, results.RewardsIssued));
        var listed = Assert.Single(await sale.Ws.Owner.Api.GetJsonAsync<List<AssistDto>>($"/api/campaigns/{sale.Id}/assists"));
        Assert.Equal(3, listed.HelpList.Count);
    }

    [Fact]
    public async Task Assist_TwoRequestsCompleteAtOnce_TheRewardsQuantityOfOne_IsGrantedOnce()
    {
        var sale = await NewCampaignAsync("assist", new { inviteesNeeded = 1 }, members: 4,
            rewards: [new { kind = "redPacket", name = "红包", valueFen = 500, costFen = 500, quantity = 1 }]);
        var tokens = await TokensAsync(sale);
        var client = factory.CreateClient();
        var a = (await PostAsync(client, $"/c/{sale.Slug}/assist", new { token = tokens[sale.Members[0]], requestId = "a" })).Id!.Value;
        var b = (await PostAsync(client, $"/c/{sale.Slug}/assist", new { token = tokens[sale.Members[1]], requestId = "b" })).Id!.Value;
        var answers = await Task.WhenAll(
            Task.Run(() => PostAsync(client, $"/c/{sale.Slug}/assist/{a}/help", new { token = tokens[sale.Members[2]] }), Ct),
            Task.Run(() => PostAsync(client, $"/c/{sale.Slug}/assist/{b}/help", new { token = tokens[sale.Members[3]] }), Ct));
        Assert.All(answers, x => Assert.Equal((HttpStatusCode.OK, "completed"), (x.Status, x.State)));
        Assert.Single(await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignRewardGrant>().IgnoreQueryFilters().Where(g => g.CampaignId == sale.Id).ToListAsync(Ct)));
        Assert.Equal(2, (await sale.Ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{sale.Id}")).Results.Completions);
    }

    [Fact]
    public async Task Coupon_ClaimsAtOnce_StockAndPerPersonLimitHold_ReplayAnswersTheSameCode()
    {
        var sale = await NewCampaignAsync("coupon", new { stock = 5 }, members: 8,
            rewards: [new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 0, quantity = 5 }]);
        var tokens = await TokensAsync(sale);
        var client = factory.CreateClient();
        // Every member claims three times at once with different request ids.
        var requests = sale.Members.SelectMany((m, i) => Enumerable.Range(0, 3).Select(k => (Member: m, Rid: $"r-{i}-{k}"))).ToList();
        var answers = await Task.WhenAll(requests.Select(r => Task.Run(() => PostAsync(client, $"/c/{sale.Slug}/coupon", new { token = tokens[r.Member], requestId = r.Rid }), Ct)));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a => Assert.Contains(a.Code, new[] { "soldOut", "couponLimit" }));
        var coupons = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().Where(c => c.CampaignId == sale.Id).ToListAsync(Ct));
        Assert.Equal(5, coupons.Count);
        Assert.Equal(5, coupons.Select(c => c.MemberId).Distinct().Count());
        Assert.All(coupons, c => Assert.Matches("^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$", c.Code));
        Assert.Equal(0, await FlashSaleKit.DbAsync(factory, db => db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == sale.Id).Select(c => c.StockLeft).SingleAsync(Ct)));
        var first = coupons[0];
        var replay = await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token = tokens[first.MemberId], requestId = first.RequestId });
        Assert.Equal((HttpStatusCode.OK, true, first.Code), (replay.Status, replay.Replayed, replay.CouponCode));
    }

    [Fact]
    public async Task Coupon_FiftyParallelRedeemsOfOneCode_ExactlyOneOrderWins_SameOrderAgainIsTheSameAnswer()
    {
        var sale = await NewCampaignAsync("coupon", new { stock = 10, perPersonLimit = 1 }, members: 1,
            rewards: [new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 0, quantity = 10 }]);
        var client = factory.CreateClient();
        var token = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        var code = (await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token, requestId = "c" })).CouponCode!;
        var api = sale.Ws.Owner.Api;
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => api.PostJsonAsync($"/api/coupons/{code}/redeem", new { orderId = $"order-{i}" }), Ct)));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(49, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var used = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().SingleAsync(c => c.Code == code, Ct));
        Assert.Equal(CouponStatus.Used, used.Status);
        var again = await (await api.PostJsonAsync($"/api/coupons/{code.ToLowerInvariant()}/redeem", new { orderId = used.OrderId })).ReadAsync<CouponDto>();
        Assert.Equal((used.Id, used.OrderId), (again.Id, again.OrderId));
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostJsonAsync("/api/coupons/ZZZZZZZZZZ/redeem", new { orderId = "x" })).StatusCode);
        Assert.Equal(["orderId"], (await (await api.PostJsonAsync($"/api/coupons/{code}/redeem", new { })).ReadValidationErrorsAsync()).Keys);
        // Another workspace's staff cannot see the code.
        var other = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.PostJsonAsync($"/api/coupons/{code}/redeem", new { orderId = used.OrderId })).StatusCode);
        Assert.Equal(1, (await api.GetJsonAsync<CampaignDto>($"/api/campaigns/{sale.Id}")).Results.Completions);
    }

    [Fact]
    public async Task Mine_TheMembersOwnCodes_UnusedUsedVoidExpired_AndTheirInviteLink()
    {
        var sale = await NewCampaignAsync("coupon", new { stock = 10, perPersonLimit = 4, couponValidDays = 7 }, members: 2,
            rewards: [new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 0, quantity = 10 }]);
        var tokens = await TokensAsync(sale);
        var (me, other) = (sale.Members[0], sale.Members[1]);
        var client = factory.CreateClient();
        var codes = new List<string>();
        for (var i = 0; i < 4; i++)
            codes.Add((await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token = tokens[me], requestId = $"m-{i}" })).CouponCode!);
        var theirs = (await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token = tokens[other], requestId = "o" })).CouponCode!;
        var api = sale.Ws.Owner.Api;
        Assert.Equal(HttpStatusCode.OK, (await api.PostJsonAsync($"/api/coupons/{codes[1]}/redeem", new { orderId = "o-1" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/coupons/{codes[2]}/void", null, Ct)).StatusCode);
        var past = DateTime.UtcNow.AddMinutes(-1);
        await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().Where(c => c.Code == codes[3])
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ValidUntil, past), Ct));

        var mine = await client.GetAsync($"/c/{sale.Slug}/mine?m={Uri.EscapeDataString(tokens[me])}&culture=en", Ct);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Contains("no-store", mine.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await mine.Content.ReadAsStringAsync(Ct));
        var listed = doc.RootElement.GetProperty("coupons").EnumerateArray()
            .ToDictionary(c => c.GetProperty("code").GetString()!, c => (Status: c.GetProperty("status").GetString(), Text: c.GetProperty("text").GetString()!));
        Assert.Equal(codes.Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(theirs, listed.Keys);
        Assert.Equal(["unused", "used", "void", "expired"], codes.Select(c => listed[c].Status));
        Assert.Contains("ready to use", listed[codes[0]].Text, StringComparison.Ordinal);
        Assert.Contains("Valid until", listed[codes[0]].Text, StringComparison.Ordinal);
        Assert.Contains("cannot be used", listed[codes[2]].Text, StringComparison.Ordinal);
        Assert.Contains("expired, cannot be used", listed[codes[3]].Text, StringComparison.Ordinal);

        // The invite link names the member as inviter and cannot act for them.
        var invite = new Uri(doc.RootElement.GetProperty("inviteUrl").GetString()!);
        var inviteToken = System.Web.HttpUtility.ParseQueryString(invite.Query)["i"];
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        Assert.Equal(me, await links.VerifyInviteAsync(sale.Id, inviteToken, Ct));
        Assert.Null(await links.VerifyAsync(sale.Id, inviteToken, Ct));
        Assert.EndsWith($"/c/{sale.Slug}", invite.AbsolutePath, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/c/{sale.Slug}/mine?m={Uri.EscapeDataString(inviteToken!)}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/c/{sale.Slug}/mine", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/c/nosuchpage/mine?m={Uri.EscapeDataString(tokens[me])}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Coupon_ValidDays_SetsValidUntil_AnExpiredCodeIsRefusedNamingTheDate()
    {
        var sale = await NewCampaignAsync("coupon", new { stock = 10, perPersonLimit = 2, couponValidDays = 7 }, members: 1,
            rewards: [new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 0, quantity = 10 }]);
        var client = factory.CreateClient();
        var token = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        var claimed = await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token, requestId = "c1" });
        var code = claimed.CouponCode!;
        var other = (await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token, requestId = "c2" })).CouponCode!;
        var stored = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().SingleAsync(c => c.Code == code, Ct));
        Assert.Equal(stored.IssuedAt.AddDays(7), stored.ValidUntil);
        // The page tells the member until when, in the workspace's time.
        var zone = await factory.Services.GetRequiredService<Shequn.Features.Workspaces.WorkspaceZones>().GetAsync(sale.Ws.Id, Ct);
        var local = TimeZoneInfo.ConvertTimeFromUtc(stored.ValidUntil!.Value, zone);
        Assert.Contains($"Valid until {local:yyyy-MM-dd HH:mm} (UTC", claimed.Body, StringComparison.Ordinal);
        using (var answer = JsonDocument.Parse(claimed.Body))
            Assert.Equal(stored.ValidUntil!.Value, answer.RootElement.GetProperty("validUntil").GetDateTime(), TimeSpan.FromMilliseconds(1)); // PostgreSQL keeps microseconds

        // Past its validity: refused with the date, and it stays unused.
        var until = DateTime.UtcNow.AddMinutes(-1);
        await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().Where(c => c.Code == code)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ValidUntil, until), Ct));
        var api = sale.Ws.Owner.Api;
        var expired = await api.PostJsonAsync($"/api/coupons/{code}/redeem", new { orderId = "o-1" });
        Assert.Equal(HttpStatusCode.Conflict, expired.StatusCode);
        Assert.Contains($"expired: it was valid until {until:yyyy-MM-dd HH:mm}", await expired.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(CouponStatus.Unused, (await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().SingleAsync(c => c.Code == code, Ct))).Status);
        // The other code, within its days, redeems.
        Assert.Equal(HttpStatusCode.OK, (await api.PostJsonAsync($"/api/coupons/{other}/redeem", new { orderId = "o-2" })).StatusCode);
        // The rule is checked at save.
        var bad = await (await api.PostJsonAsync("/api/campaigns", new
        {
            name = "券", kind = "coupon", startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddDays(3), audience = new { communityIds = new[] { sale.Community } },
            goalMetric = "completions", goalTarget = 10, rules = new { stock = 5, couponValidDays = 0 },
            rewards = new[] { new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 0, quantity = 5 } },
        })).ReadValidationErrorsAsync();
        Assert.True(bad.ContainsKey("rules.couponValidDays"));
    }

    [Fact]
    public async Task Coupon_VoidAndRedeemRacing_ExactlyOneWins_AVoidCodeIsNeverRedeemed()
    {
        var sale = await NewCampaignAsync("coupon", new { stock = 30, perPersonLimit = 30 }, members: 1,
            rewards: [new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 0, quantity = 30 }]);
        var client = factory.CreateClient();
        var token = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        var api = sale.Ws.Owner.Api;
        for (var round = 0; round < 10; round++)
        {
            var claimed = await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token, requestId = $"r{round}" });
            Assert.DoesNotContain("Valid until", claimed.Body, StringComparison.Ordinal); // no couponValidDays: no expiry named
            var code = claimed.CouponCode!;
            // Several redeems (different orders) and several voids of one code at once.
            var calls = Enumerable.Range(0, 12).Select(i => i % 2 == 0
                ? Task.Run(() => api.PostJsonAsync($"/api/coupons/{code}/redeem", new { orderId = $"o-{round}-{i}" }), Ct)
                : Task.Run(() => api.PostAsync($"/api/coupons/{code}/void", null, Ct), Ct));
            var answers = await Task.WhenAll(calls);
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            Assert.Equal(11, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
            var after = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().SingleAsync(c => c.Code == code, Ct));
            Assert.True(after.Status == CouponStatus.Used ? after.OrderId is not null && after.VoidedAt is null : after.Status == CouponStatus.Void && after.OrderId is null && after.VoidedAt is not null);
            if (after.Status == CouponStatus.Void)
            {
                var refused = await api.PostJsonAsync($"/api/coupons/{code}/redeem", new { orderId = "late" });
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Contains("void", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }
        }
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/coupons/ZZZZZZZZZZ/void", null, Ct)).StatusCode);

        // A KOC of the group cannot void (the console's button goes through the same VoidByStaffAsync).
        var koc = await sale.Ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Koc, "KOC", sale.Community);
        var kept = (await PostAsync(client, $"/c/{sale.Slug}/coupon", new { token, requestId = "koc" })).CouponCode!;
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostAsync($"/api/coupons/{kept}/void", null, Ct)).StatusCode);
        Assert.Equal(CouponStatus.Unused, (await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignCoupon>().IgnoreQueryFilters().SingleAsync(c => c.Code == kept, Ct))).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/coupons/{kept}/void", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Invitation_WithOneCouponReward_IssuesACodeToBothSides_OnceEach()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("邀请券群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "邀请好友双方得券", kind = "invitation", startsAt = now.AddDays(-4), endsAt = now.AddDays(3), audience = new { communityIds = new[] { community } },
            goalTarget = 10, rewards = new object[] { new { kind = "coupon", name = "双方券", valueFen = 800, costFen = 100, quantity = 20 } },
            rules = new { inviteesNeeded = 1, stayDays = 1 },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", new[]
        {
            Join(community, "a", "A", now.AddDays(-10)),
            Join(community, "b", "B", now.AddDays(-3), inviter: "A"),
        })).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var settler = factory.Services.GetRequiredService<InvitationSettler>();
        for (var i = 0; i < 50 && await settler.SettleAsync(Ct) is null; i++)
            await Task.Delay(100, Ct);
        for (var i = 0; i < 5 && await settler.SettleAsync(Ct) is null; i++)
            await Task.Delay(100, Ct); // settling again adds nothing

        var coupons = await ws.Owner.Api.GetJsonAsync<List<CouponDto>>($"/api/campaigns/{campaign.Id}/coupons");
        Assert.Equal(["用户A", "用户B"], coupons.Select(c => c.MemberName).Order(StringComparer.Ordinal));
        Assert.All(coupons, c => Assert.Equal((800L, CouponStatus.Unused), (c.FaceValueFen, c.Status)));
        Assert.Equal(2, coupons.Select(c => c.GrantId).Distinct().Count());
        Assert.Equal(2, await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignRewardGrant>().IgnoreQueryFilters().CountAsync(g => g.CampaignId == campaign.Id, Ct)));
    }
}

public sealed class CampaignHelpSqliteTests(PostsSqliteFactory factory) : CampaignHelpTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CampaignHelpPostgresTests(PostsPostgresFactory factory) : CampaignHelpTests(factory), IClassFixture<PostsPostgresFactory>;
