using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// The campaign editor through <c>/api/campaigns</c>: drafts, the checks at save (period, rules per mechanic, rewards
/// against the budget, one SKU in two overlapping sales), roles, publishing, announcements as calendar posts and
/// cancelling. The post scheduler and the dispatcher are off (<see cref="PostsSqliteFactory"/>): nothing is sent.
/// </summary>
public abstract class CampaignTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset InDays(double days) => new(DateTime.UtcNow.Date.AddDays(days).AddHours(12), TimeSpan.Zero);

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name, string platform = "sandbox") =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform))).ReadAsync<CommunityDto>()).Id;

    internal static object FlashSale(Guid community, string name = "鱼油秒杀", string? sku = "SKU-1", double startDays = 1, double endDays = 3, long? budget = null, object[]? rewards = null) => new
    {
        name, kind = "flashSale", description = "限时 9.9 元", startsAt = InDays(startDays), endsAt = InDays(endDays),
        audience = new { communityIds = new[] { community } }, goalMetric = "participants", goalTarget = 100, budgetFen = budget,
        rewards = rewards ?? [], rules = new { priceFen = 990, originalPriceFen = 5900, stock = 100, perPersonLimit = 1, sku },
        page = new object[] { new { kind = "hero", title = "鱼油 9.9 元", text = "每人限 1 件" }, new { kind = "callToAction", title = "马上抢" } },
    };

    [Fact]
    public async Task Draft_ThenPublish_SetsStockAndThePage_AndResultsStartAtZero()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "秒杀群");
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", FlashSale(c))).ReadAsync<CampaignDto>();
        Assert.Equal(CampaignStatus.Draft, made.Status);
        Assert.Equal(CampaignPhase.Draft, made.Phase);
        Assert.Equal([c], made.Communities.Select(x => x.Id));
        Assert.Equal(0, made.StockLeft);
        Assert.Matches("/c/[a-z2-9]{12}$", made.PageUrl);
        Assert.Equal(2, made.Page.Count);
        Assert.Equal(990, made.Rules.PriceFen);

        var published = await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        Assert.Equal(CampaignStatus.Published, published.Status);
        Assert.Equal(CampaignPhase.Upcoming, published.Phase);
        Assert.Equal(100, published.StockLeft);
        Assert.Equal(new CampaignResults(0, 0, 0, 0, 0, 0, 0, 0, 0, null), published.Results);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).StatusCode);

        // People take part under the published rules: they are fixed now; the wording is not.
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PutJsonAsync($"/api/campaigns/{made.Id}", new { rules = new { priceFen = 1, stock = 5, perPersonLimit = 1 } })).StatusCode);
        var renamed = await (await ws.Owner.Api.PutJsonAsync($"/api/campaigns/{made.Id}", new { name = "鱼油限时秒杀" })).ReadAsync<CampaignDto>();
        Assert.Equal("鱼油限时秒杀", renamed.Name);
        Assert.Equal(100, renamed.StockLeft);

        var listed = await ws.Owner.Api.GetJsonAsync<List<CampaignSummaryDto>>("/api/campaigns?phase=upcoming");
        Assert.Equal(made.Id, Assert.Single(listed).Id);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<CampaignSummaryDto>>("/api/campaigns?kind=lottery"));
        var day = InDays(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Single(await ws.Owner.Api.GetJsonAsync<List<CampaignSummaryDto>>($"/api/campaigns?from={day}&to={day}"));
        var later = InDays(10).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<CampaignSummaryDto>>($"/api/campaigns?from={later}&to={later}"));
    }

    [Fact]
    public async Task BadInput_IsRefusedNamingTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "规则群");
        var missing = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new { name = "" })).ReadValidationErrorsAsync();
        foreach (var field in new[] { "name", "kind", "startsAt", "endsAt", "audience", "goalTarget" })
            Assert.True(missing.ContainsKey(field), field);

        var backwards = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "倒着的", kind = "groupBuy", startsAt = InDays(3), endsAt = InDays(2), audience = new { communityIds = new[] { c } }, goalTarget = 10,
            rules = new { priceFen = -1, groupSize = 1 },
        })).ReadValidationErrorsAsync();
        Assert.Contains("after", Assert.Single(backwards["endsAt"]), StringComparison.Ordinal);
        Assert.Contains("negative", Assert.Single(backwards["rules.priceFen"]), StringComparison.Ordinal);
        Assert.Contains("between 2 and", Assert.Single(backwards["rules.groupSize"]), StringComparison.Ordinal);
        Assert.True(backwards.ContainsKey("rules.groupHours"));

        // A bargain whose helpers cannot reach the floor: five helpers cannot each cut 0.01 from 1.00 to 0.97.
        var bargain = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "砍不到", kind = "bargain", startsAt = InDays(1), endsAt = InDays(2), audience = new { communityIds = new[] { c } }, goalTarget = 10,
            rules = new { priceFen = 100, floorPriceFen = 97, helpers = 5 },
        })).ReadValidationErrorsAsync();
        Assert.Contains("5 helpers cannot", Assert.Single(bargain["rules.helpers"]), StringComparison.Ordinal);

        // A reward budget below the promised rewards: 10 red packets of 8 yuan cost 80, the budget is 50.
        var budget = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", FlashSale(c, budget: 5000,
            rewards: [new { kind = "redPacket", name = "红包", valueFen = 800, costFen = 800, quantity = 10 }]))).ReadValidationErrorsAsync();
        Assert.Contains("80.00, more than the budget of 50.00", Assert.Single(budget["budgetFen"]), StringComparison.Ordinal);

        var lottery = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "没奖品", kind = "lottery", startsAt = InDays(1), endsAt = InDays(2), audience = new { communityIds = new[] { c } }, goalTarget = 10,
        })).ReadValidationErrorsAsync();
        Assert.Contains("prize", Assert.Single(lottery["rewards"]), StringComparison.Ordinal);

        var unknown = Guid.NewGuid();
        var audience = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "外人", kind = "checkIn", startsAt = InDays(1), endsAt = InDays(2), audience = new { communityIds = new[] { unknown } }, goalTarget = 10,
        })).ReadValidationErrorsAsync();
        Assert.Contains(unknown.ToString(), Assert.Single(audience["audience.communityIds[0]"]), StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.Set<Campaign>().IgnoreQueryFilters().CountAsync(x => x.WorkspaceId == ws.Id, Ct)));
    }

    [Fact]
    public async Task OneSku_CannotBeSoldByTwoOverlappingFlashSales()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "库存群");
        await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", FlashSale(c, "第一场", "FISH-OIL", 1, 3))).ReadAsync<CampaignDto>();
        var overlap = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", FlashSale(c, "第二场", "fish-oil", 2, 4))).ReadValidationErrorsAsync();
        Assert.Contains("第一场", Assert.Single(overlap["rules.sku"]), StringComparison.Ordinal);
        // After the first one ends, or another SKU, is fine.
        await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", FlashSale(c, "第三场", "FISH-OIL", 3, 5))).ReadAsync<CampaignDto>();
        var other = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", FlashSale(c, "第四场", "VITAMIN", 2, 4))).ReadAsync<CampaignDto>();
        // Moving one onto the other is refused too.
        var moved = await (await ws.Owner.Api.PutJsonAsync($"/api/campaigns/{other.Id}", new { rules = new { priceFen = 990, stock = 10, perPersonLimit = 1, sku = "FISH-OIL" } }))
            .ReadValidationErrorsAsync();
        Assert.Contains("FISH-OIL", Assert.Single(moved["rules.sku"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_OperatorsDraft_OwnersPublish_KocsRead_OthersSeeNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws, "我的群");
        var theirs = await CommunityAsync(ws, "别人的群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine);
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "群主", mine);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", mine);

        var draft = await (await op.Api.PostJsonAsync("/api/campaigns", FlashSale(mine, sku: null))).ReadAsync<CampaignDto>();
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostAsync($"/api/campaigns/{draft.Id}/publish", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/campaigns", FlashSale(mine, sku: null))).StatusCode);
        Assert.Equal(draft.Id, (await koc.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{draft.Id}")).Id);
        var outside = await (await op.Api.PostJsonAsync("/api/campaigns", FlashSale(theirs, sku: null))).ReadValidationErrorsAsync();
        Assert.True(outside.ContainsKey("audience.communityIds[0]"));

        var both = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "两个群", kind = "checkIn", startsAt = InDays(1), endsAt = InDays(8), audience = new { communityIds = new[] { mine, theirs } }, goalTarget = 50,
            rules = new { keyword = "打卡", milestones = new[] { 7, 21 } },
        })).ReadAsync<CampaignDto>();
        // The sub-owner sees it (one of its communities is hers) but may not change what runs where she is not assigned.
        Assert.Equal(1, (await sub.Api.GetJsonAsync<List<CampaignSummaryDto>>("/api/campaigns")).Single(x => x.Id == both.Id).Communities);
        Assert.Equal(HttpStatusCode.Forbidden, (await sub.Api.PostAsync($"/api/campaigns/{both.Id}/publish", null, Ct)).StatusCode);
        var published = await (await sub.Api.PostAsync($"/api/campaigns/{draft.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        Assert.Equal(CampaignStatus.Published, published.Status);
        // An operator no longer changes it once published.
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PutJsonAsync($"/api/campaigns/{draft.Id}", new { name = "改名" })).StatusCode);

        var stranger = await (await factory.NewWorkspaceAsync()).Owner.Api.GetAsync($"/api/campaigns/{draft.Id}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        var onlyTheirs = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", FlashSale(theirs, "别人的", sku: null))).ReadAsync<CampaignDto>();
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/campaigns/{onlyTheirs.Id}", Ct)).StatusCode);
        Assert.DoesNotContain(onlyTheirs.Id, (await op.Api.GetJsonAsync<List<CampaignSummaryDto>>("/api/campaigns")).Select(x => x.Id));
    }

    [Fact]
    public async Task Announcements_AreCalendarPosts_AndCancellingWithdrawsThem()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "公告一群");
        var b = await CommunityAsync(ws, "公告二群", "telegram");
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "七天晒图返现", kind = "photoShare", description = "连续 7 天晒图，返 5 元券", startsAt = InDays(1), endsAt = InDays(9),
            audience = new { communityIds = new[] { a, b } }, goalMetric = "completions", goalTarget = 30,
            rewards = new[] { new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 500, quantity = 30 } }, budgetFen = 20000,
            rules = new { daysInRow = 7 },
        })).ReadAsync<CampaignDto>();

        var announced = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{made.Id}/announce", new { })).ReadAsync<CampaignDto>();
        var announcement = Assert.Single(announced.Announcements);
        Assert.Equal(made.StartsAt, announcement.DueAt);
        var post = await ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{announcement.PostId}");
        Assert.Equal(ContentType.Campaign, post.ContentType);
        Assert.Equal(made.PageUrl, post.Link);
        Assert.Contains("七天晒图返现", post.Text, StringComparison.Ordinal);
        Assert.Contains("连续 7 天晒图", post.Text, StringComparison.Ordinal);
        Assert.Equal([a, b], post.Deliveries.Select(d => d.CommunityId).Order().ToArray().Order());
        Assert.All(post.Deliveries, d => Assert.Equal("scheduled", d.Status));

        var onlyB = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{made.Id}/announce", new { text = "明天开始！", dueAt = InDays(0.5), communityIds = new[] { b } }))
            .ReadAsync<CampaignDto>();
        Assert.Equal(2, onlyB.Announcements.Count);
        var notOurs = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{made.Id}/announce", new { communityIds = new[] { Guid.NewGuid() } })).ReadValidationErrorsAsync();
        Assert.True(notOurs.ContainsKey("communityIds[0]"));
        var past = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{made.Id}/announce", new { dueAt = InDays(-1) })).ReadValidationErrorsAsync();
        Assert.True(past.ContainsKey("dueAt"));

        var cancelled = await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/cancel", null, Ct)).ReadAsync<CampaignDto>();
        Assert.Equal(CampaignPhase.Cancelled, cancelled.Phase);
        Assert.All(cancelled.Announcements, x => Assert.Equal(PostStatus.Cancelled, x.Status));
        var states = await DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters()
            .Where(d => db.Set<Post>().IgnoreQueryFilters().Any(p => p.Id == d.PostId && p.CampaignId == made.Id)).Select(d => d.State).ToListAsync(Ct));
        Assert.Equal(3, states.Count);
        Assert.All(states, s => Assert.Equal(DeliveryState.Withdrawn, s));
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/cancel", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PutJsonAsync($"/api/campaigns/{made.Id}", new { name = "复活" })).StatusCode);
    }

    [Fact]
    public async Task Results_CountParticipantsCompletionsAndIssuedRewards_AgainstTheGoal()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await CommunityAsync(ws, "结果群");
        var made = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "邀请有礼", kind = "invitation", startsAt = InDays(1), endsAt = InDays(8), audience = new { communityIds = new[] { c } },
            goalMetric = "completions", goalTarget = 4, rewards = new[] { new { kind = "redPacket", name = "5 元红包", valueFen = 500, costFen = 500, quantity = 10 } },
            rules = new { inviteesNeeded = 5, stayDays = 3 },
        })).ReadAsync<CampaignDto>();
        await DbAsync(async db =>
        {
            db.Current.ActAsSystem(ws.Id);
            for (var i = 0; i < 3; i++)
            {
                var m = new Shequn.Features.Members.Member { WorkspaceId = ws.Id, DisplayName = $"成员{i}" };
                db.Add(m);
                db.Add(new CampaignParticipant { WorkspaceId = ws.Id, CampaignId = made.Id, MemberId = m.Id, IsNewMember = i == 0, CompletedAt = i < 2 ? DateTime.UtcNow : null });
                db.Add(new CampaignRewardGrant
                {
                    WorkspaceId = ws.Id, CampaignId = made.Id, MemberId = m.Id, Key = $"invite:{m.Id:N}", CostFen = 500,
                    Status = i switch { 0 => GrantStatus.Issued, 1 => GrantStatus.Held, _ => GrantStatus.Void },
                });
            }
            return await db.SaveChangesAsync(Ct);
        });
        var results = (await ws.Owner.Api.GetJsonAsync<CampaignDto>($"/api/campaigns/{made.Id}")).Results;
        Assert.Equal(new CampaignResults(3, 2, 1, 1, 500, 2, 0.5, 0, 0, null), results);
    }
}

public sealed class CampaignSqliteTests(PostsSqliteFactory factory) : CampaignTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CampaignPostgresTests(PostsPostgresFactory factory) : CampaignTests(factory), IClassFixture<PostsPostgresFactory>;
