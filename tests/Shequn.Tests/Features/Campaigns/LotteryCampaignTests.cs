using System.Net;
using System.Net.Http.Json;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
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
/// Lottery campaigns end to end: entries from the group's keyword and from the API (each once), the commitment shown from
/// publishing on while the seed stays hidden, the draw after the end checked from the public page's data alone with an
/// implementation of docs/lottery.md written here, the winners' grants and announcements, concurrent draws, and more
/// prizes than entrants.
/// </summary>
public abstract class LotteryCampaignTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private static async Task<CampaignDto> LotteryAsync(TestWorkspace ws, Guid[] communities, object[] prizes, string? keyword = null, bool exclude = false)
    {
        var now = DateTimeOffset.UtcNow;
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "周年抽奖", kind = "lottery", startsAt = now.AddHours(-1), endsAt = now.AddHours(2),
            audience = new { communityIds = communities }, goalMetric = "participants", goalTarget = 10,
            rewards = prizes, rules = new { keyword, excludeJoinedAfterStart = exclude, excludeSilent = exclude },
        })).ReadAsync<CampaignDto>();
        return await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
    }

    private async Task EventsAsync(TestWorkspace ws, params object[] events)
    {
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", events)).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    private Task<Guid> MemberAsync(TestWorkspace ws, string name) =>
        DbAsync(ws.Id, db => db.Members.Where(m => m.DisplayName == name).Select(m => m.Id).SingleAsync(Ct));

    /// <summary>Ends the campaign now (as if its end had passed), the way the clock would.</summary>
    private Task<int> EndAsync(TestWorkspace ws, Guid campaign) =>
        DbAsync(ws.Id, db => db.Set<Campaign>().Where(c => c.Id == campaign)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.EndsAt, DateTime.UtcNow.AddSeconds(-1)), Ct));

    private static string Slug(CampaignDto c) => c.PageUrl[(c.PageUrl.LastIndexOf('/') + 1)..];

    [Fact]
    public async Task Entries_ByKeywordAndApi_Once_CommitmentBeforeTheDraw_SeedHidden_DrawRecomputedFromThePublicData()
    {
        var ws = await factory.NewWorkspaceAsync();
        var north = await CommunityAsync(ws, "北区群");
        var south = await CommunityAsync(ws, "南区群");
        var other = await CommunityAsync(ws, "别的群");
        var campaign = await LotteryAsync(ws, [north, south],
            [new { kind = "product", name = "一等奖", costFen = 5000, quantity = 1 }, new { kind = "coupon", name = "二等奖", costFen = 500, quantity = 2 }]);
        Assert.Matches("^[0-9a-f]{64}$", campaign.Lottery!.Commitment);
        var commitment = campaign.Lottery.Commitment;
        var slug = Slug(campaign);

        var now = DateTimeOffset.UtcNow;
        await EventsAsync(ws,
            Join(north, "j-a", "A", now.AddDays(-3)), Join(south, "j-b", "B", now.AddDays(-3)), Join(north, "j-c", "C", now.AddDays(-3)),
            Join(north, "j-api", "Api", now.AddDays(-3)), Join(other, "j-x", "X", now.AddDays(-3)), Join(north, "j-late", "Late", now.AddDays(-3)));
        await EventsAsync(ws,
            Message(north, "k-a", "A", now.AddMinutes(-2), "抽奖"),
            Message(south, "k-b", "B", now.AddMinutes(-2).AddSeconds(1), " 抽奖 "),
            Message(north, "k-a2", "A", now.AddMinutes(-1), "抽奖"),                  // a second keyword: still one entry
            Message(north, "k-staff", "S", now.AddMinutes(-1), "抽奖", staff: true),   // staff do not enter
            Message(other, "k-x", "X", now.AddMinutes(-1), "抽奖"),                   // not one of the campaign's communities
            Message(north, "k-late", "Late", now.AddMinutes(-30), "抽奖"),            // processed long after it was posted
            Message(north, "k-c0", "C", now.AddMinutes(-1), "我想抽奖"),               // not the keyword
            Message(north, "k-c", "C", now.AddSeconds(-30), "抽奖"));
        // A replayed batch adds nothing.
        await EventsAsync(ws, Message(north, "k-a", "A", now.AddMinutes(-2), "抽奖"));

        var apiMember = await MemberAsync(ws, "用户Api");
        var first = await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/lottery/entries", new { memberId = apiMember });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var entry = await first.ReadAsync<LotteryEntryDto>();
        var again = await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/lottery/entries", new { memberId = apiMember });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(entry, await again.ReadAsync<LotteryEntryDto>());
        Assert.Equal("4:用***", entry.Entry);
        var missing = await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/lottery/entries", new { });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("memberId", await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var lottery = await ws.Owner.Api.GetJsonAsync<LotteryDto>($"/api/campaigns/{campaign.Id}/lottery");
        Assert.Equal(["1:用**", "2:用**", "3:用**", "4:用***"], lottery.Entries.Select(e => e.Entry));
        var byMember = lottery.Entries.ToDictionary(e => e.MemberId, e => e.Number);
        Assert.Equal(1, byMember[await MemberAsync(ws, "用户A")]);
        Assert.Equal(2, byMember[await MemberAsync(ws, "用户B")]);
        Assert.Equal(3, byMember[await MemberAsync(ws, "用户C")]);
        Assert.Null(lottery.Seed);
        Assert.Null(lottery.DrawnAt);
        Assert.Equal(commitment, lottery.Commitment);

        // Before the draw: the commitment is public, the seed nowhere (API, public page, its JSON, the audit log).
        var seedHex = await DbAsync(ws.Id, db => db.Set<CampaignLottery>().Where(l => l.CampaignId == campaign.Id).Select(l => l.Seed).SingleAsync(Ct));
        var hidden = Convert.ToHexStringLower(seedHex);
        var anonymous = factory.CreateClient();
        var pageBefore = await anonymous.GetStringAsync($"/c/{slug}/draw", Ct);
        Assert.Contains(commitment, pageBefore, StringComparison.Ordinal);
        foreach (var text in new[]
        {
            pageBefore, await anonymous.GetStringAsync($"/c/{slug}/draw.json", Ct),
            await ws.Owner.Api.GetStringAsync($"/api/campaigns/{campaign.Id}/lottery", Ct),
            await ws.Owner.Api.GetStringAsync($"/api/campaigns/{campaign.Id}", Ct),
            await ws.Owner.Api.GetStringAsync("/api/audit?pageSize=100", Ct),
        })
        {
            Assert.DoesNotContain(hidden, text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/c/{slug}/draw/entries.txt", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/lottery/draw", null, Ct)).StatusCode);

        // After the end, the background job draws.
        await EndAsync(ws, campaign.Id);
        var drawer = factory.Services.GetRequiredService<LotteryDrawer>();
        for (var i = 0; i < 50 && await drawer.DrawDueAsync(Ct) is null; i++)
            await Task.Delay(100, Ct);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/lottery/draw", null, Ct)).StatusCode);
        var tooLate = await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/lottery/entries", new { memberId = await MemberAsync(ws, "用户X") });
        Assert.Equal(HttpStatusCode.Conflict, tooLate.StatusCode);

        // Everything below comes from the public page's data only.
        var published = await anonymous.GetFromJsonAsync<PublicLotteryDto>($"/c/{slug}/draw.json", CampaignJson.Options, Ct);
        var listing = await anonymous.GetByteArrayAsync($"/c/{slug}/draw/entries.txt", Ct);
        Assert.Equal(commitment, published!.Commitment);
        var seed = Convert.FromHexString(published.Seed!);
        Assert.Equal(published.Commitment, Convert.ToHexStringLower(SHA256.HashData(seed)));
        Assert.Equal(published.EntriesHash, Convert.ToHexStringLower(SHA256.HashData(listing)));
        Assert.Equal("1:用**\n2:用**\n3:用**\n4:用***\n"u8.ToArray(), listing);
        var recomputed = Recompute(seed, listing, [.. published.Prizes.Select(p => (p.Name, p.Count))]);
        Assert.Equal(recomputed, published.Winners.Select(w => (w.Prize, w.Entry)).ToList());
        Assert.Equal(3, recomputed.Count);
        var page = await anonymous.GetStringAsync($"/c/{slug}/draw", Ct);
        Assert.Contains(published.Seed!, page, StringComparison.Ordinal);
        Assert.Contains("entries.txt", page, StringComparison.Ordinal);
        var english = await anonymous.GetStringAsync($"/c/{slug}/draw?culture=en", Ct);
        Assert.Contains("How to check it yourself", english, StringComparison.Ordinal);

        // Grants: one per winner, keyed by prize and rank, for the member behind the entry.
        var drawn = await ws.Owner.Api.GetJsonAsync<LotteryDto>($"/api/campaigns/{campaign.Id}/lottery");
        var grants = await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().Where(g => g.CampaignId == campaign.Id).OrderBy(g => g.Key).ToListAsync(Ct));
        Assert.Equal(["lottery:0:0", "lottery:1:0", "lottery:1:1"], grants.Select(g => g.Key));
        Assert.All(grants, g => Assert.Equal(GrantStatus.Issued, g.Status));
        Assert.Equal(drawn.Winners.OrderBy(w => w.PrizeIndex).ThenBy(w => w.Draw).Select(w => w.MemberId), grants.Select(g => g.MemberId));
        Assert.Equal([5000L, 500, 500], grants.Select(g => g.CostFen));
        var results = (await ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{campaign.Id}")).Results;
        Assert.Equal((4, 3), (results.Participants, results.Completions));

        // One announcement per community, naming the winners by their masked lines, with the page's link.
        var actions = await DbAsync(ws.Id, db => db.Set<OutboundAction>().Where(a => EF.Functions.Like(a.IdempotencyKey, "lottery:%")).ToListAsync(Ct));
        Assert.Equal([north, south], actions.Select(a => a.CommunityId).Order());
        Assert.All(actions, a =>
        {
            Assert.Equal($"lottery:{campaign.Id:N}:{a.CommunityId:N}:winners", a.IdempotencyKey);
            var text = ActionPayload.FromJson(a.Payload).Text!;
            Assert.Contains($"/c/{slug}/draw", text, StringComparison.Ordinal);
            Assert.All(published.Winners, w => Assert.Contains(w.Entry, text, StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task TwoConcurrentDraws_DrawOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "一群");
        var b = await CommunityAsync(ws, "二群");
        var campaign = await LotteryAsync(ws, [a, b], [new { kind = "coupon", name = "券", costFen = 100, quantity = 2 }]);
        var now = DateTimeOffset.UtcNow;
        await EventsAsync(ws, Join(a, "j1", "P", now.AddDays(-1)), Join(a, "j2", "Q", now.AddDays(-1)), Join(b, "j3", "R", now.AddDays(-1)));
        foreach (var name in new[] { "用户P", "用户Q", "用户R" })
        {
            var response = await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/lottery/entries", new { memberId = await MemberAsync(ws, name) });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        await EndAsync(ws, campaign.Id);

        var attempts = await Task.WhenAll(
            ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/lottery/draw", null, Ct),
            ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/lottery/draw", null, Ct));
        // The background drawer may be a third contender; whoever moves DrawnAt first draws, the rest get a 409.
        Assert.True(attempts.Count(r => r.StatusCode == HttpStatusCode.OK) <= 1);
        Assert.All(attempts, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.Equal(2, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));
        var keys = await DbAsync(ws.Id, db => db.Set<OutboundAction>().Where(x => EF.Functions.Like(x.IdempotencyKey, "lottery:%")).Select(x => x.IdempotencyKey).ToListAsync(Ct));
        Assert.Equal(2, keys.Count);
        Assert.Equal(2, keys.Distinct().Count());
        var lottery = await ws.Owner.Api.GetJsonAsync<LotteryDto>($"/api/campaigns/{campaign.Id}/lottery");
        Assert.Equal(2, lottery.Winners.Count);
        Assert.NotNull(lottery.Seed);
    }

    [Fact]
    public async Task MorePrizesThanEntrants_EveryoneWinsInPrizeOrder_AndTheCampaignWarns()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "小群");
        var campaign = await LotteryAsync(ws, [c],
            [new { kind = "product", name = "大奖", costFen = 1000, quantity = 1 }, new { kind = "coupon", name = "小奖", costFen = 10, quantity = 3 }], keyword: "我要抽");
        var now = DateTimeOffset.UtcNow;
        await EventsAsync(ws, Join(c, "j1", "M", now.AddDays(-1)), Join(c, "j2", "N", now.AddDays(-1)));
        await EventsAsync(ws, Message(c, "m1", "M", now.AddMinutes(-1), "我要抽"), Message(c, "n1", "N", now.AddMinutes(-1), "抽奖"));
        var lottery = await ws.Owner.Api.GetJsonAsync<LotteryDto>($"/api/campaigns/{campaign.Id}/lottery");
        Assert.Single(lottery.Entries); // the rules' keyword, not the default
        await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/lottery/entries", new { memberId = await MemberAsync(ws, "用户N") });
        await EndAsync(ws, campaign.Id);

        var response = await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/lottery/draw", null, Ct);
        if (response.StatusCode != HttpStatusCode.OK)
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode); // the background drawer was first
        lottery = await ws.Owner.Api.GetJsonAsync<LotteryDto>($"/api/campaigns/{campaign.Id}/lottery");
        Assert.Equal(["大奖", "小奖"], lottery.Winners.Select(w => w.Prize));
        Assert.Equal([new LotteryPrize("大奖", 1), new LotteryPrize("小奖", 1)], lottery.Prizes);
        var dto = await ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{campaign.Id}");
        Assert.Contains("2 prizes not given", dto.Lottery!.Warning, StringComparison.Ordinal);
        Assert.Equal(2, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));
    }

    [Fact]
    public async Task Exclusions_LeaveOutLateJoinersAndSilentMembers_AndNobodyEntered_MeansNoDraw()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "规则群");
        var strict = await LotteryAsync(ws, [c], [new { kind = "coupon", name = "券", costFen = 100, quantity = 1 }], exclude: true);
        var empty = await LotteryAsync(ws, [c], [new { kind = "coupon", name = "券", costFen = 100, quantity = 1 }]);
        var now = DateTimeOffset.UtcNow;
        await EventsAsync(ws,
            Join(c, "j-old", "Old", now.AddDays(-3)), Message(c, "m-old", "Old", now.AddDays(-2)),
            Join(c, "j-quiet", "Quiet", now.AddDays(-3)),
            Join(c, "j-new", "New", now.AddMinutes(-10)), Message(c, "m-new", "New", now.AddMinutes(-9)));

        async Task<HttpStatusCode> EnterAsync(string name) =>
            (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{strict.Id}/lottery/entries", new { memberId = await MemberAsync(ws, name) })).StatusCode;
        Assert.Equal(HttpStatusCode.Created, await EnterAsync("用户Old"));
        Assert.Equal(HttpStatusCode.Conflict, await EnterAsync("用户Quiet"));
        Assert.Equal(HttpStatusCode.Conflict, await EnterAsync("用户New"));

        await EndAsync(ws, empty.Id);
        var response = await ws.Owner.Api.PostAsync($"/api/campaigns/{empty.Id}/lottery/draw", null, Ct);
        if (response.StatusCode != HttpStatusCode.OK)
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode); // the background drawer was first
        var lottery = await ws.Owner.Api.GetJsonAsync<LotteryDto>($"/api/campaigns/{empty.Id}/lottery");
        Assert.NotNull(lottery.DrawnAt);
        Assert.Empty(lottery.Winners);
        Assert.NotNull(lottery.Warning);
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == empty.Id, Ct)));
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<OutboundAction>().CountAsync(a => EF.Functions.Like(a.IdempotencyKey, "lottery:%"), Ct)));
        var page = await factory.CreateClient().GetStringAsync($"/c/{Slug(empty)}/draw?culture=en", Ct);
        Assert.Contains("Nobody entered", page, StringComparison.Ordinal);
    }

    /// <summary>docs/lottery.md, implemented apart from the engine: the winners (prize, entry line) from the published bytes.</summary>
    private static List<(string Prize, string Entry)> Recompute(byte[] seed, byte[] listing, List<(string Name, int Count)> prizes)
    {
        var lines = Encoding.UTF8.GetString(listing).Split('\n');
        Assert.Equal("", lines[^1]);
        var pool = new List<string>(lines[..^1]);
        var h = SHA256.HashData(listing);
        var space = BigInteger.Pow(2, 256);
        using var mac = new HMACSHA256(seed);
        long counter = 0;
        var winners = new List<(string, string)>();
        foreach (var (name, count) in prizes)
        {
            for (var k = 0; k < count; k++)
            {
                var n = new BigInteger(pool.Count);
                var bound = space / n * n;
                BigInteger v;
                do
                {
                    var message = new byte[h.Length + 8];
                    h.CopyTo(message, 0);
                    for (var i = 0; i < 8; i++)
                        message[h.Length + i] = (byte)(counter >> (8 * (7 - i)));
                    counter++;
                    var digest = mac.ComputeHash(message);
                    // Little-endian with a zero top byte: the same number read as unsigned big-endian.
                    v = new BigInteger([.. digest.Reverse(), 0]);
                } while (v >= bound);
                var at = (int)(v % n);
                winners.Add((name, pool[at]));
                pool.RemoveAt(at);
            }
        }
        return winners;
    }
}

public sealed class LotteryCampaignSqliteTests(PostsSqliteFactory factory) : LotteryCampaignTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class LotteryCampaignPostgresTests(PostsPostgresFactory factory) : LotteryCampaignTests(factory), IClassFixture<PostsPostgresFactory>;
