using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Campaigns;

public sealed class FlashSaleSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Campaigns:ReleaseEnabled", "false");
    }
}

public sealed class FlashSalePostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Campaigns:ReleaseEnabled", "false");
    }
}

/// <summary>What a test needs of one flash sale: the campaign, its members and a way to claim as one of them.</summary>
internal sealed record Sale(TestWorkspace Ws, Guid Id, string Slug, Guid Community, List<Guid> Members);

/// <summary>Claim answers and refusals as the page's script reads them.</summary>
internal sealed record Answer(HttpStatusCode Status, Guid? ClaimId, string? ClaimStatus, bool Replayed, string? Code, int? Remaining, string Body);

/// <summary>Shared by the provider test classes and the two-host test.</summary>
internal static class FlashSaleKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<Sale> NewSaleAsync(ShequnFactory factory, int stock, int limit, int members, string name = "秒杀 鸡蛋", bool publish = true,
        string platform = "sandbox", DateTimeOffset? startsAt = null, TestWorkspace? ws = null)
    {
        ws ??= await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("秒杀群" + Guid.NewGuid().ToString("N")[..4], platform)))
            .ReadAsync<CommunityDto>()).Id;
        var ids = await MembersAsync(factory, ws.Id, community, members);
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name, kind = "flashSale", startsAt = startsAt ?? DateTimeOffset.UtcNow.AddMinutes(-1), endsAt = DateTimeOffset.UtcNow.AddDays(1),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = stock,
            rules = new { priceFen = 990, originalPriceFen = 1990, stock, perPersonLimit = limit },
            page = new object[]
            {
                new { kind = "hero", title = "限时 9.9 元", text = "土鸡蛋 30 枚" },
                new { kind = "proof", title = "检测报告", text = "无抗生素" },
                new { kind = "review", text = "很新鲜 <b>好吃</b>" },
                new { kind = "callToAction", title = "手慢无" },
            },
        })).ReadAsync<CampaignDto>();
        if (publish)
            await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        return new Sale(ws, made.Id, made.PageUrl[(made.PageUrl.LastIndexOf('/') + 1)..], community, ids);
    }

    public static async Task<List<Guid>> MembersAsync(ShequnFactory factory, Guid ws, Guid? community, int count)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var m = new Member { WorkspaceId = ws, DisplayName = $"成员{i}" };
            db.Members.Add(m);
            if (community is { } c)
                db.Memberships.Add(new Membership { WorkspaceId = ws, CommunityId = c, MemberId = m.Id, JoinedAt = DateTime.UtcNow.AddDays(-3) });
            ids.Add(m.Id);
        }
        await db.SaveChangesWithoutAuditAsync(Ct);
        return ids;
    }

    public static Task<string> TokenAsync(ShequnFactory factory, Guid campaign, Guid member) =>
        factory.Services.GetRequiredService<CampaignLinks>().TokenAsync(campaign, member, Ct);

    public static async Task<Answer> ClaimAsync(HttpClient client, string slug, string? token, int? quantity, string? requestId, string culture = "en")
    {
        var response = await client.PostJsonAsync($"/c/{slug}/claim?culture={culture}", new { token, quantity, requestId });
        var body = await response.Content.ReadAsStringAsync(Ct);
        using var doc = JsonDocument.Parse(body);
        var r = doc.RootElement;
        string? S(string p) => r.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new Answer(response.StatusCode,
            r.TryGetProperty("claimId", out var id) ? id.GetGuid() : null, S("status"),
            r.TryGetProperty("replayed", out var rep) && rep.GetBoolean(), S("code"),
            r.TryGetProperty("remaining", out var rem) ? rem.GetInt32() : null, body);
    }

    public static async Task<T> DbAsync<T>(ShequnFactory factory, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    /// <summary>The invariants: stock never below zero, units sold = stock taken, nobody over the limit, one claim per request id.</summary>
    public static async Task<(int Sold, int StockLeft)> CheckInvariantsAsync(ShequnFactory factory, Sale sale, int stock, int limit)
    {
        var left = await DbAsync(factory, db => db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == sale.Id).Select(c => c.StockLeft).SingleAsync(Ct));
        var claims = await DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().Where(c => c.CampaignId == sale.Id).ToListAsync(Ct));
        var units = await DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == sale.Id).ToListAsync(Ct));
        var held = claims.Where(c => c.Status != ClaimStatus.Released).ToList();
        var sold = held.Sum(c => c.Quantity);
        Assert.True(left >= 0, $"stock left {left}");
        Assert.Equal(stock - left, sold);
        Assert.All(units, p => Assert.InRange(p.Units, 0, limit));
        foreach (var p in units)
            Assert.Equal(held.Where(c => c.MemberId == p.MemberId).Sum(c => c.Quantity), p.Units);
        Assert.Equal(claims.Count, claims.Select(c => c.RequestId).Distinct().Count());
        return (sold, left);
    }
}

/// <summary>
/// 秒杀 / 限购 end to end (campaigns.md): concurrent claims never oversell nor pass the per-person limit, replays get the
/// first answer, a release racing a payment has one winner, the public page renders encoded and localized, and bad input is
/// refused naming the field. The release job is off (<see cref="FlashSaleSqliteFactory"/>): tests release by hand.
/// </summary>
public abstract class FlashSaleTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThreeHundredConcurrentClaims_Stock20Limit2_SellExactly20_NobodyOver2_OneClaimPerRequestId()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 20, limit: 2, members: 60);
        var tokens = new Dictionary<Guid, string>();
        foreach (var m in sale.Members)
            tokens[m] = await FlashSaleKit.TokenAsync(factory, sale.Id, m);
        var client = factory.CreateClient();
        // 300 claims: each member five times at once (the same person racing herself), quantities 1 or 2, and every
        // tenth request sent twice at once (a double click).
        var requests = Enumerable.Range(0, 300).Select(i => (Member: sale.Members[i % 60], Quantity: 1 + i % 2, RequestId: $"r-{i}")).ToList();
        var all = requests.Concat(requests.Where((_, i) => i % 10 == 0)).ToList();
        var answers = await Task.WhenAll(all.Select(r => Task.Run(() => FlashSaleKit.ClaimAsync(client, sale.Slug, tokens[r.Member], r.Quantity, r.RequestId), Ct)));

        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.Conflict, a.Body));
        var won = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.Conflict), a => Assert.Contains(a.Code, new[] { "soldOut", "overLimit" }));
        var (sold, left) = await FlashSaleKit.CheckInvariantsAsync(factory, sale, 20, 2);
        Assert.Equal(20, sold);
        Assert.Equal(0, left);
        // A double click's two answers name one claim.
        var byRequest = all.Zip(answers).Where(x => x.Second.Status == HttpStatusCode.OK).GroupBy(x => x.First.RequestId);
        Assert.All(byRequest, g => Assert.Single(g.Select(x => x.Second.ClaimId).Distinct()));
        var claims = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().Where(c => c.CampaignId == sale.Id).ToListAsync(Ct));
        Assert.Equal(claims.Select(c => c.Id).Order(), won.Select(a => a.ClaimId!.Value).Distinct().Order());
    }

    [Fact]
    public async Task Replay_AnswersTheFirstClaim_EvenAfterSoldOut_AndAnotherMembersReplayIsRefused()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 1, limit: 1, members: 2);
        var client = factory.CreateClient();
        var a = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        var b = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[1]);
        var first = await FlashSaleKit.ClaimAsync(client, sale.Slug, a, 1, "click-1");
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("reserved", first.ClaimStatus);
        Assert.False(first.Replayed);
        var again = await FlashSaleKit.ClaimAsync(client, sale.Slug, a, 1, "click-1");
        Assert.Equal((HttpStatusCode.OK, first.ClaimId, true), (again.Status, again.ClaimId, again.Replayed));
        var soldOut = await FlashSaleKit.ClaimAsync(client, sale.Slug, b, 1, "click-2");
        Assert.Equal((HttpStatusCode.Conflict, "soldOut"), (soldOut.Status, soldOut.Code));
        var stolen = await FlashSaleKit.ClaimAsync(client, sale.Slug, b, 1, "click-1");
        Assert.Equal((HttpStatusCode.Conflict, "conflict"), (stolen.Status, stolen.Code));
        Assert.Equal(1, await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().CountAsync(c => c.CampaignId == sale.Id, Ct)));
    }

    [Fact]
    public async Task DoubleClicksOnTheLastUnit_AreAllAnsweredWithTheOneClaim_NoneSoldOut()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 1, limit: 1, members: 2);
        var client = factory.CreateClient();
        var a = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        var b = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[1]);
        // Sixteen copies of one click race a stranger's claim for the single unit: whichever wins, every copy of the
        // click gets one answer, and if the click won, that answer is its claim (never "sold out" for a copy).
        var clicks = Enumerable.Range(0, 16).Select(_ => Task.Run(() => FlashSaleKit.ClaimAsync(client, sale.Slug, a, 1, "last-unit"), Ct));
        var stranger = Task.Run(() => FlashSaleKit.ClaimAsync(client, sale.Slug, b, 1, "stranger"), Ct);
        var answers = await Task.WhenAll(clicks);
        var other = await stranger;
        if (other.Status == HttpStatusCode.OK)
            Assert.All(answers, x => Assert.Equal((HttpStatusCode.Conflict, "soldOut"), (x.Status, x.Code)));
        else
        {
            Assert.All(answers, x => Assert.Equal(HttpStatusCode.OK, x.Status));
            Assert.Single(answers.Select(x => x.ClaimId).Distinct());
            Assert.Single(answers, x => !x.Replayed);
        }
        var (sold, _) = await FlashSaleKit.CheckInvariantsAsync(factory, sale, 1, 1);
        Assert.Equal(1, sold);
    }

    [Fact]
    public async Task AClaimStoredBeforeThisNodeSawTheSale_IsStillAnsweredAsAReplay()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 1, limit: 1, members: 2);
        // Made by another process (or before a restart): this node has never answered a claim of the sale.
        var stored = await FlashSaleKit.DbAsync(factory, async db =>
        {
            var now = DateTime.UtcNow;
            var claim = new CampaignClaim
            {
                WorkspaceId = sale.Ws.Id, CampaignId = sale.Id, MemberId = sale.Members[0], Quantity = 1, RequestId = "from-before",
                Status = ClaimStatus.Reserved, CreatedAt = now, ExpiresAt = now.AddMinutes(15),
            };
            db.Add(claim);
            await db.SaveChangesWithoutAuditAsync(Ct);
            return claim.Id;
        });
        var client = factory.CreateClient();
        var other = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[1]);
        Assert.Equal(HttpStatusCode.OK, (await FlashSaleKit.ClaimAsync(client, sale.Slug, other, 1, "the-last-unit")).Status);
        // Sold out now: the replay is told apart from a new claim only by the stored row.
        var replay = await FlashSaleKit.ClaimAsync(client, sale.Slug, await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]), 1, "from-before");
        Assert.Equal((HttpStatusCode.OK, stored, true), (replay.Status, replay.ClaimId, replay.Replayed));
        var stolen = await FlashSaleKit.ClaimAsync(client, sale.Slug, other, 1, "from-before");
        Assert.Equal((HttpStatusCode.Conflict, "conflict"), (stolen.Status, stolen.Code));
        Assert.Equal(2, await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().CountAsync(c => c.CampaignId == sale.Id, Ct)));
    }

    [Fact]
    public async Task Limit_SecondClaimOverIt_IsRefusedWithWhatRemains_AndBadInputNamesTheField()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 10, limit: 3, members: 1);
        var client = factory.CreateClient();
        var token = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        Assert.Equal(HttpStatusCode.OK, (await FlashSaleKit.ClaimAsync(client, sale.Slug, token, 2, "a")).Status);
        var over = await FlashSaleKit.ClaimAsync(client, sale.Slug, token, 2, "b");
        Assert.Equal((HttpStatusCode.Conflict, "overLimit", 1), (over.Status, over.Code, over.Remaining));
        Assert.Contains("1", over.Body, StringComparison.Ordinal);

        async Task<string[]> Fields(object body) =>
            [.. (await (await client.PostJsonAsync($"/c/{sale.Slug}/claim?culture=en", body)).ReadValidationErrorsAsync()).Keys];
        Assert.Equal(["quantity"], await Fields(new { token, quantity = 0, requestId = "c" }));
        Assert.Equal(["quantity"], await Fields(new { token, quantity = 4, requestId = "c" }));
        Assert.Equal(["quantity"], await Fields(new { token, requestId = "c" }));
        Assert.Equal(["requestId"], await Fields(new { token, quantity = 1, requestId = new string('x', 65) }));
        Assert.Equal(["requestId"], await Fields(new { token, quantity = 1 }));
        // The claim is short-circuited past the exception handler: it reads its body itself and still names a bad field.
        Assert.Equal(["colour"], await Fields(new { token, quantity = 1, requestId = "c", colour = "red" }));
        Assert.Equal(["quantity"], await Fields(new { token, quantity = "two", requestId = "c" }));
        Assert.Equal(["token"], await Fields(new { quantity = 1, requestId = "c" }));
        var aboveLimit = await (await client.PostJsonAsync($"/c/{sale.Slug}/claim?culture=en", new { token, quantity = 4, requestId = "c" })).ReadValidationErrorsAsync();
        Assert.Contains("3", aboveLimit["quantity"][0], StringComparison.Ordinal);
        await FlashSaleKit.CheckInvariantsAsync(factory, sale, 10, 3);
    }

    [Fact]
    public async Task Refusals_BadToken_OtherCampaignsToken_NotInAudience_NotRunning_UnknownSlug()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 1);
        var other = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 0, ws: sale.Ws);
        var client = factory.CreateClient();
        var token = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);

        var forged = token[..^2] + (token[^2] == 'A' ? "BA" : "AA");
        Assert.Equal((HttpStatusCode.Forbidden, "unknownMember"), Pick(await FlashSaleKit.ClaimAsync(client, sale.Slug, forged, 1, "x")));
        Assert.Equal((HttpStatusCode.Forbidden, "unknownMember"), Pick(await FlashSaleKit.ClaimAsync(client, sale.Slug, "not-a-token", 1, "x")));
        // A token names one member for one campaign.
        Assert.Equal((HttpStatusCode.Forbidden, "unknownMember"), Pick(await FlashSaleKit.ClaimAsync(client, other.Slug, token, 1, "x")));
        // A member of the workspace outside the campaign's communities.
        var outsider = (await FlashSaleKit.MembersAsync(factory, sale.Ws.Id, null, 1))[0];
        var outsiderToken = await FlashSaleKit.TokenAsync(factory, sale.Id, outsider);
        Assert.Equal((HttpStatusCode.Forbidden, "notInAudience"), Pick(await FlashSaleKit.ClaimAsync(client, sale.Slug, outsiderToken, 1, "y")));

        var upcoming = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 1, startsAt: DateTimeOffset.UtcNow.AddHours(2));
        var upcomingToken = await FlashSaleKit.TokenAsync(factory, upcoming.Id, upcoming.Members[0]);
        var refused = await FlashSaleKit.ClaimAsync(client, upcoming.Slug, upcomingToken, 1, "z", culture: "zh-CN");
        Assert.Equal((HttpStatusCode.Conflict, "notRunning"), Pick(refused));
        Assert.Contains("活动不在进行中", refused.Body, StringComparison.Ordinal);
        await (await sale.Ws.Owner.Api.PostAsync($"/api/campaigns/{sale.Id}/cancel", null, Ct)).ReadAsync<CampaignDto>();
        factory.Services.GetRequiredService<CampaignSnapshots>().Invalidate(sale.Slug);
        Assert.Equal((HttpStatusCode.Conflict, "notRunning"), Pick(await FlashSaleKit.ClaimAsync(client, sale.Slug, token, 1, "w")));

        Assert.Equal(HttpStatusCode.NotFound, (await FlashSaleKit.ClaimAsync(client, "nosuchslug12", token, 1, "v")).Status);
        Assert.Equal(0, await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().CountAsync(c => c.CampaignId == sale.Id, Ct)));

        static (HttpStatusCode, string?) Pick(Answer a) => (a.Status, a.Code);
    }

    [Fact]
    public async Task ReleaseRacingPayment_ExactlyOneWinsEachClaim_StockAndUnitsFollow()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 30, limit: 1, members: 30);
        var client = factory.CreateClient();
        var claims = new List<Guid>();
        foreach (var m in sale.Members)
            claims.Add((await FlashSaleKit.ClaimAsync(client, sale.Slug, await FlashSaleKit.TokenAsync(factory, sale.Id, m), 1, "r-" + m)).ClaimId!.Value);
        // The payment window passed for all of them; the job's release and the shop's confirmation arrive together.
        await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().Where(c => c.CampaignId == sale.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)), Ct));
        var results = await Task.WhenAll(claims.Select(id => Task.Run(async () =>
        {
            var release = Task.Run(async () =>
            {
                await using var scope = factory.Services.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<FlashSale>().ReleaseAsync(id, Ct);
            }, Ct);
            var pay = sale.Ws.Owner.Api.PostJsonAsync($"/api/campaigns/{sale.Id}/claims/{id}/paid", new { orderId = "o-" + id });
            return (Released: await release, Paid: await pay);
        }, Ct)));
        foreach (var (released, paid) in results)
        {
            Assert.True(released ^ paid.StatusCode == HttpStatusCode.OK, $"release {released}, payment {(int)paid.StatusCode}");
            if (released)
                Assert.Equal(HttpStatusCode.Conflict, paid.StatusCode);
        }
        var (sold, left) = await FlashSaleKit.CheckInvariantsAsync(factory, sale, 30, 1);
        Assert.Equal(results.Count(r => !r.Released), sold);
        Assert.Equal(results.Count(r => r.Released), left);
    }

    [Fact]
    public async Task ReleaseJob_TwoPassesAtOnce_ReleaseEachExpiredClaimOnce_AndTheStockCanBeClaimedAgain()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 10, limit: 1, members: 11);
        var client = factory.CreateClient();
        var paidClaim = Guid.Empty;
        for (var i = 0; i < 10; i++)
        {
            var claim = await FlashSaleKit.ClaimAsync(client, sale.Slug, await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[i]), 1, "e" + i);
            if (i == 0)
                paidClaim = claim.ClaimId!.Value;
        }
        var late = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[10]);
        Assert.Equal("soldOut", (await FlashSaleKit.ClaimAsync(client, sale.Slug, late, 1, "late-1")).Code);
        await (await sale.Ws.Owner.Api.PostJsonAsync($"/api/campaigns/{sale.Id}/claims/{paidClaim}/paid", new { orderId = "kept" })).ReadAsync<ClaimDto>();
        // Six of the nine unpaid reservations are past their window; two passes (two nodes) run at once.
        var expired = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters()
            .Where(c => c.CampaignId == sale.Id && c.Status == ClaimStatus.Reserved).OrderBy(c => c.Id).Take(6).Select(c => c.Id).ToListAsync(Ct));
        await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().Where(c => expired.Contains(c.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)), Ct));
        var job = factory.Services.GetRequiredService<FlashSaleReleaser>();
        await Task.WhenAll(Task.Run(() => job.RunOnceAsync(Ct), Ct), Task.Run(() => job.RunOnceAsync(Ct), Ct));
        Assert.Equal(0, await job.RunOnceAsync(Ct));

        var claims = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().Where(c => c.CampaignId == sale.Id).ToListAsync(Ct));
        Assert.Equal(expired.Order(), claims.Where(c => c.Status == ClaimStatus.Released).Select(c => c.Id).Order());
        Assert.Equal(ClaimStatus.Paid, claims.Single(c => c.Id == paidClaim).Status);
        var (sold, left) = await FlashSaleKit.CheckInvariantsAsync(factory, sale, 10, 1);
        Assert.Equal((4, 6), (sold, left));
        // The units came back: the member refused before gets one now, and a released member may claim again.
        Assert.Equal(HttpStatusCode.OK, (await FlashSaleKit.ClaimAsync(client, sale.Slug, late, 1, "late-2")).Status);
        await FlashSaleKit.CheckInvariantsAsync(factory, sale, 10, 1);
    }

    [Fact]
    public async Task Paid_IsIdempotentByOrderId_AnotherOrderIs409_AndResultsCountCompletions()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 2);
        var client = factory.CreateClient();
        var claim = (await FlashSaleKit.ClaimAsync(client, sale.Slug, await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]), 1, "p1")).ClaimId!.Value;
        await FlashSaleKit.ClaimAsync(client, sale.Slug, await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[1]), 1, "p2");
        var url = $"/api/campaigns/{sale.Id}/claims/{claim}/paid";
        var first = await (await sale.Ws.Owner.Api.PostJsonAsync(url, new { orderId = "SHOP-1" })).ReadAsync<ClaimDto>();
        Assert.Equal((ClaimStatus.Paid, "SHOP-1"), (first.Status, first.OrderId));
        var again = await (await sale.Ws.Owner.Api.PostJsonAsync(url, new { orderId = "SHOP-1" })).ReadAsync<ClaimDto>();
        Assert.Equal((first.Id, first.PaidAt), (again.Id, again.PaidAt));
        Assert.Equal(HttpStatusCode.Conflict, (await sale.Ws.Owner.Api.PostJsonAsync(url, new { orderId = "SHOP-2" })).StatusCode);
        Assert.Equal(["orderId"], (await (await sale.Ws.Owner.Api.PostJsonAsync(url, new { orderId = "" })).ReadValidationErrorsAsync()).Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await sale.Ws.Owner.Api.PostJsonAsync($"/api/campaigns/{sale.Id}/claims/{Guid.NewGuid()}/paid", new { orderId = "x" })).StatusCode);
        var dto = await sale.Ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{sale.Id}");
        Assert.Equal((2, 1, 1, 990L), (dto.Results.Participants, dto.Results.Completions, dto.Results.Orders, dto.Results.RevenueFen));
        var paid = await sale.Ws.Owner.Api.GetJsonAsync<List<ClaimDto>>($"/api/campaigns/{sale.Id}/claims?status=paid");
        Assert.Equal(claim, Assert.Single(paid).Id);
    }

    [Fact]
    public async Task Link_ForAMemberOfTheCampaign_OpensThePage_AndOthersAreNotFound()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 1);
        var link = await sale.Ws.Owner.Api.GetJsonAsync<CampaignLinkDto>($"/api/campaigns/{sale.Id}/links/{sale.Members[0]}");
        Assert.Contains($"/c/{sale.Slug}?m=", link.Url, StringComparison.Ordinal);
        var token = link.Url[(link.Url.IndexOf("?m=", StringComparison.Ordinal) + 3)..];
        Assert.Equal(HttpStatusCode.OK, (await FlashSaleKit.ClaimAsync(factory.CreateClient(), sale.Slug, token, 1, "l1")).Status);
        var outsider = (await FlashSaleKit.MembersAsync(factory, sale.Ws.Id, null, 1))[0];
        Assert.Equal(HttpStatusCode.NotFound, (await sale.Ws.Owner.Api.GetAsync($"/api/campaigns/{sale.Id}/links/{outsider}", Ct)).StatusCode);
        // An operator of another community sees neither the campaign nor its links.
        var elsewhere = (await (await sale.Ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("别的群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var operatorThere = await sale.Ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator, "运营", elsewhere);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorThere.Api.GetAsync($"/api/campaigns/{sale.Id}/links/{sale.Members[0]}", Ct)).StatusCode);
        // An operator of the sale's community gets the link; a KOC there sees the campaign but may not act as a member.
        var operatorHere = await sale.Ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator, "运营2", sale.Community);
        Assert.Equal(link.Url, (await operatorHere.Api.GetJsonAsync<CampaignLinkDto>($"/api/campaigns/{sale.Id}/links/{sale.Members[0]}")).Url);
        var koc = await sale.Ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Koc, "KOC", sale.Community);
        Assert.Equal(HttpStatusCode.OK, (await koc.Api.GetAsync($"/api/campaigns/{sale.Id}", Ct)).StatusCode);
        var refused = await koc.Api.GetAsync($"/api/campaigns/{sale.Id}/links/{sale.Members[0]}", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("personal links", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_RendersEncoded_InTheWorkspacesLanguage_EnglishOnRequest_UnknownSlugIsAFriendly404()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 7, limit: 2, members: 1, name: "鸡蛋<script>alert(1)</script>");
        var client = factory.CreateClient();
        var response = await client.GetAsync($"/c/{sale.Slug}", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/html", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>好吃</b>", html, StringComparison.Ordinal);
        Assert.Contains("立即抢购", html, StringComparison.Ordinal);
        Assert.Contains("剩余 7 件", html, StringComparison.Ordinal);
        Assert.Contains("¥9.90", html, StringComparison.Ordinal);
        Assert.Contains("¥19.90", html, StringComparison.Ordinal);
        Assert.Contains("UTC+8", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.Contains("""<script src="/c/campaign.js" defer></script>""", html, StringComparison.Ordinal);
        // Proof and review sit between the offer and the bottom call to action.
        Assert.True(html.IndexOf("campaign-offer", StringComparison.Ordinal) < html.IndexOf("检测报告", StringComparison.Ordinal)
            && html.IndexOf("检测报告", StringComparison.Ordinal) < html.IndexOf("campaign-bottom", StringComparison.Ordinal));

        var english = await client.GetStringAsync($"/c/{sale.Slug}?culture=en", Ct);
        Assert.Contains("Grab it now", english, StringComparison.Ordinal);
        Assert.Contains("7 left", english, StringComparison.Ordinal);
        Assert.Contains("lang=\"en\"", english, StringComparison.Ordinal);

        var script = await client.GetAsync("/c/campaign.js", Ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);

        var missing = await client.GetAsync("/c/nosuchslug12", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("活动不存在", await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var draft = await FlashSaleKit.NewSaleAsync(factory, stock: 1, limit: 1, members: 0, publish: false, ws: sale.Ws);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/c/{draft.Slug}", Ct)).StatusCode);
    }

    [Fact]
    public async Task SandboxCheckout_PaysTheClaim_AndIsRefusedOutsideTheSandbox()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 3, limit: 1, members: 1);
        var client = factory.CreateClient();
        var token = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        var claim = (await FlashSaleKit.ClaimAsync(client, sale.Slug, token, 1, "s1")).ClaimId;
        var paid = await client.PostJsonAsync($"/c/{sale.Slug}/checkout", new { token, claimId = claim });
        Assert.Contains("\"paid\"", await paid.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/c/{sale.Slug}/checkout", new { token, claimId = claim })).StatusCode);
        var stored = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignClaim>().IgnoreQueryFilters().SingleAsync(c => c.Id == claim, Ct));
        Assert.Equal(ClaimStatus.Paid, stored.Status);

        var wecom = await FlashSaleKit.NewSaleAsync(factory, stock: 3, limit: 1, members: 1, platform: "weCom", ws: sale.Ws);
        var wecomToken = await FlashSaleKit.TokenAsync(factory, wecom.Id, wecom.Members[0]);
        var wecomClaim = (await FlashSaleKit.ClaimAsync(client, wecom.Slug, wecomToken, 1, "s2")).ClaimId;
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostJsonAsync($"/c/{wecom.Slug}/checkout", new { token = wecomToken, claimId = wecomClaim })).StatusCode);
    }
}

public sealed class FlashSaleTests_Sqlite(FlashSaleSqliteFactory factory) : FlashSaleTests(factory), IClassFixture<FlashSaleSqliteFactory>;

public sealed class FlashSaleTests_Postgres(FlashSalePostgresFactory factory) : FlashSaleTests(factory), IClassFixture<FlashSalePostgresFactory>;

/// <summary>Two app hosts on one PostgreSQL, claimants split between them: the database arbitrates, so nothing oversells.</summary>
public sealed class FlashSaleTwoHostsTests
{
    private sealed class Host(string database) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0))
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Campaigns:ReleaseEnabled", "false");
        }
    }

    [Fact]
    public async Task TwoHostsOnOnePostgres_400Claimants_Stock25_SellExactly25()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        var first = new Host(database);
        var second = new Host(database);
        try
        {
            var sale = await FlashSaleKit.NewSaleAsync(first, stock: 25, limit: 1, members: 200);
            _ = second.Services;
            var clients = new[] { first.CreateClient(), second.CreateClient() };
            // Each host signs with the key both share: a link made on one works on the other.
            var tokens = new List<string>();
            for (var i = 0; i < sale.Members.Count; i++)
                tokens.Add(await FlashSaleKit.TokenAsync(i % 2 == 0 ? first : second, sale.Id, sale.Members[i]));
            var answers = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(
                () => FlashSaleKit.ClaimAsync(clients[i % 2], sale.Slug, tokens[i / 2], 1, $"h-{i / 2}-{i % 3}"), ct)));
            Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.Conflict, a.Body));
            var (sold, left) = await FlashSaleKit.CheckInvariantsAsync(first, sale, 25, 1);
            Assert.Equal((25, 0), (sold, left));
            Assert.All(answers.Where(a => a.Status == HttpStatusCode.Conflict), a => Assert.Contains(a.Code, new[] { "soldOut", "overLimit" }));

            // Replays on both hosts at once, mixed with fresh refusals, so that one host's batched reads hold ids the other
            // host stored and ids nobody stored: every stored id is answered with its claim, no other one claims anything.
            var won = await FlashSaleKit.DbAsync(first, db => db.Set<CampaignClaim>().IgnoreQueryFilters()
                .Where(c => c.CampaignId == sale.Id).Select(c => new { c.Id, c.MemberId, c.RequestId }).ToListAsync(ct));
            var tokenOf = sale.Members.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => tokens[x.i]);
            var replays = won.SelectMany(c => clients.Select(client => (c.Id, Task: Task.Run(() => FlashSaleKit.ClaimAsync(client, sale.Slug, tokenOf[c.MemberId], 1, c.RequestId), ct))));
            var fresh = Enumerable.Range(0, 200).Select(i => Task.Run(() => FlashSaleKit.ClaimAsync(clients[i % 2], sale.Slug, tokens[i], 1, $"late-{i}"), ct)).ToList();
            foreach (var (id, task) in replays.ToList())
            {
                var again = await task;
                Assert.Equal((HttpStatusCode.OK, id, true), (again.Status, again.ClaimId, again.Replayed));
            }
            Assert.All(await Task.WhenAll(fresh), a =>
            {
                Assert.Equal(HttpStatusCode.Conflict, a.Status);
                Assert.Contains(a.Code, new[] { "soldOut", "overLimit" });
            });
            Assert.Equal((25, 0), await FlashSaleKit.CheckInvariantsAsync(first, sale, 25, 1));
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
