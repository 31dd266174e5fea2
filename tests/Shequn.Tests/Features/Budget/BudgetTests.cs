using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Budget;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Campaigns;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Budget;

/// <summary>Costs, the monthly cap and its alerts over HTTP (product.md §3.10, seed 004): sums, product rewards at cost,
/// the 80 % and 100 % alerts once each (also from two nodes at once), bad input naming its field, and who may do what.</summary>
public abstract class BudgetTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, Shanghai));

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Month(DateOnly d) => d.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static async Task<CostDto> CostAsync(HttpClient api, object body)
    {
        var response = await api.PostJsonAsync("/api/budget/costs", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return await response.ReadAsync<CostDto>();
    }

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    [Fact]
    public async Task Month_SumsFixedFloatingAndProductRewardsAtCost_AndGrantedCampaignRewards()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;
        await CostAsync(api, new { day = Day(Today), kind = "fixed", category = "phones", item = "运营手机 2 台", amountFen = 30_000 });
        await CostAsync(api, new { day = Day(Today), kind = "fixed", category = "partTimePay", item = "兼职", amountFen = 150_000 });
        // 30 sample packs at 12.50 yuan each (what they cost the brand), not the 39 yuan shelf price.
        var gift = await CostAsync(api, new { day = Day(Today), kind = "floating", category = "productRewards", item = "试用装", quantity = 30, unitCostFen = 1_250 });
        Assert.Equal(37_500, gift.AmountFen);

        // A campaign reward granted this month counts at its cost; a held one and a withdrawn one do not.
        var community = (await (await api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("预算群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 3);
        var campaign = await (await api.PostJsonAsync("/api/campaigns", new
        {
            name = "晒单有礼", kind = "checkIn", startsAt = DateTimeOffset.UtcNow.AddDays(-1), endsAt = DateTimeOffset.UtcNow.AddDays(5),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rewards = new[] { new { kind = "product", name = "小样", valueFen = 3_900, costFen = 1_000, quantity = 100 } }, rules = new { keyword = "签到" },
        })).ReadAsync<CampaignDto>();
        await DbAsync(ws.Id, async db =>
        {
            var statuses = new[] { GrantStatus.Issued, GrantStatus.Held, GrantStatus.Void };
            for (var i = 0; i < 3; i++)
                db.Add(new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = campaign.Id, MemberId = members[i], Key = $"g:{i}", Status = statuses[i], CostFen = 1_000 });
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });

        var month = await api.GetJsonAsync<BudgetMonthDto>("/api/budget");

        Assert.Equal(Month(Today), month.Month);
        Assert.Null(month.CapFen);
        Assert.Equal(180_000, month.FixedFen);
        Assert.Equal(37_500, month.FloatingFen);
        Assert.Equal(1_000, month.RewardGrantsFen);
        Assert.Equal(218_500, month.SpentFen);
        Assert.Equal(
            [(CostCategory.Phones, 30_000L), (CostCategory.PartTimePay, 150_000L), (CostCategory.ProductRewards, 37_500L)],
            month.Categories.Select(c => (c.Category, c.AmountFen)));
        Assert.False(month.Complete);
        var listed = await api.GetJsonAsync<List<CostDto>>($"/api/budget/costs?month={Month(Today)}");
        Assert.Equal(3, listed.Count);
    }

    [Fact]
    public async Task Alerts_At80And100Percent_EachOnce_AndAcknowledged()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;
        Assert.Equal(HttpStatusCode.OK, (await api.PutJsonAsync("/api/budget/cap", new { capFen = 500_000 })).StatusCode);

        await CostAsync(api, new { day = Day(Today), kind = "floating", category = "activityFunds", item = "红包", amountFen = 390_000 });
        Assert.Empty(await api.GetJsonAsync<List<BudgetAlertDto>>("/api/budget/alerts"));

        await CostAsync(api, new { day = Day(Today), kind = "floating", category = "activityFunds", item = "红包", amountFen = 10_000 });
        var first = Assert.Single(await api.GetJsonAsync<List<BudgetAlertDto>>("/api/budget/alerts"));
        Assert.Equal((80, 400_000L, 500_000L), (first.Percent, first.SpentFen, first.CapFen));

        // More spending below 100 % raises nothing new; reaching it raises the 100 % alert.
        await CostAsync(api, new { day = Day(Today), kind = "floating", category = "other", item = "物料", amountFen = 50_000 });
        Assert.Single(await api.GetJsonAsync<List<BudgetAlertDto>>("/api/budget/alerts"));
        await CostAsync(api, new { day = Day(Today), kind = "floating", category = "other", item = "物料", amountFen = 60_000 });
        var alerts = await api.GetJsonAsync<List<BudgetAlertDto>>("/api/budget/alerts");
        Assert.Equal([100, 80], alerts.Select(a => a.Percent));

        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/budget/alerts/{first.Id}/acknowledge", null, Ct)).StatusCode);
        Assert.Equal([100], (await api.GetJsonAsync<List<BudgetAlertDto>>("/api/budget/alerts")).Select(a => a.Percent));
        var month = await api.GetJsonAsync<BudgetMonthDto>("/api/budget");
        Assert.Equal(1.02, month.UsedShare!.Value, 3);
        Assert.Equal([(80, true), (100, false)], month.Alerts.Select(a => (a.Percent, a.Acknowledged)));
    }

    [Fact]
    public async Task Watch_RaisesAnAlertFromGrantedRewards_OnceAcrossTwoNodesAtOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;
        Assert.Equal(HttpStatusCode.OK, (await api.PutJsonAsync("/api/budget/cap", new { capFen = 10_000 })).StatusCode);
        var community = (await (await api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("奖励群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 1);
        var campaign = await (await api.PostJsonAsync("/api/campaigns", new
        {
            name = "抽奖", kind = "checkIn", startsAt = DateTimeOffset.UtcNow.AddDays(-1), endsAt = DateTimeOffset.UtcNow.AddDays(5),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rewards = new[] { new { kind = "physicalGift", name = "礼盒", valueFen = 20_000, costFen = 9_000, quantity = 1 } }, rules = new { keyword = "签到" },
        })).ReadAsync<CampaignDto>();
        await DbAsync(ws.Id, async db =>
        {
            db.Add(new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = campaign.Id, MemberId = members[0], Key = "prize", Status = GrantStatus.Delivered, CostFen = 9_000 });
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });

        // Two passes at once stand for two hosts' watches: the unique key lets one alert through.
        var watch = factory.Services.GetRequiredService<BudgetWatch>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => watch.RunOnceAsync(Ct)));
        await watch.RunOnceAsync(Ct);

        var rows = await DbAsync(ws.Id, db => db.Set<BudgetAlert>().Where(a => a.WorkspaceId == ws.Id).ToListAsync(Ct));
        var alert = Assert.Single(rows);
        Assert.Equal((80, 9_000L), (alert.Percent, alert.SpentFen));
    }

    [Fact]
    public async Task CapChange_AppliesFromItsMonth_EarlierMonthsKeepTheirs()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;
        var thisMonth = new DateOnly(Today.Year, Today.Month, 1);
        var lastMonth = thisMonth.AddMonths(-1);
        Assert.Equal(HttpStatusCode.OK, (await api.PutJsonAsync("/api/budget/cap", new { capFen = 400_000, fromMonth = Month(lastMonth) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PutJsonAsync("/api/budget/cap", new { capFen = 500_000 })).StatusCode);

        Assert.Equal(400_000, (await api.GetJsonAsync<BudgetMonthDto>($"/api/budget?month={Month(lastMonth)}")).CapFen);
        Assert.Equal(500_000, (await api.GetJsonAsync<BudgetMonthDto>("/api/budget")).CapFen);
        Assert.Equal(500_000, (await api.GetJsonAsync<BudgetMonthDto>($"/api/budget?month={Month(thisMonth.AddMonths(3))}")).CapFen);
        Assert.Null((await api.GetJsonAsync<BudgetMonthDto>($"/api/budget?month={Month(lastMonth.AddMonths(-1))}")).CapFen);
        Assert.True((await api.GetJsonAsync<BudgetMonthDto>($"/api/budget?month={Month(lastMonth)}")).Complete);
    }

    [Fact]
    public async Task CopyFixed_CopiesLastMonthsFixedCostsOnce_NotTheFloatingOnes()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;
        var thisMonth = new DateOnly(Today.Year, Today.Month, 1);
        var lastMonth = thisMonth.AddMonths(-1);
        await CostAsync(api, new { day = Day(lastMonth.AddDays(4)), kind = "fixed", category = "phones", item = "话费", amountFen = 20_000 });
        await CostAsync(api, new { day = Day(lastMonth.AddDays(9)), kind = "floating", category = "activityFunds", item = "红包", amountFen = 88_800 });

        async Task<int> CopyAsync() =>
            await (await api.PostJsonAsync("/api/budget/costs/copy-fixed", new { from = Month(lastMonth), to = Month(thisMonth) })).ReadAsync<int>();

        Assert.Equal(1, await CopyAsync());
        Assert.Equal(0, await CopyAsync());
        var copied = Assert.Single(await api.GetJsonAsync<List<CostDto>>("/api/budget/costs"));
        Assert.Equal(("话费", CostKind.Fixed, 20_000L), (copied.Item, copied.Kind, copied.AmountFen));
        Assert.True(copied.Day <= Today && copied.Day >= thisMonth);

        var future = await api.PostJsonAsync("/api/budget/costs/copy-fixed", new { from = Month(thisMonth), to = Month(thisMonth.AddMonths(1)) });
        Assert.Equal(HttpStatusCode.BadRequest, future.StatusCode);
        Assert.Contains("\"to\"", await future.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadCosts_AreRefusedNamingTheField_AndNothingIsWritten()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;

        async Task<string> RefusedAsync(object body)
        {
            var response = await api.PostJsonAsync("/api/budget/costs", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return await response.Content.ReadAsStringAsync(Ct);
        }

        // Tomorrow in Shanghai is in the future whatever the hour in UTC.
        Assert.Contains("\"day\"", await RefusedAsync(new { day = Day(Today.AddDays(1)), kind = "fixed", category = "phones", item = "话费", amountFen = 100 }), StringComparison.Ordinal);
        Assert.Contains("\"amountFen\"", await RefusedAsync(new { day = Day(Today), kind = "fixed", category = "phones", item = "话费", amountFen = -100 }), StringComparison.Ordinal);
        Assert.Contains("\"amountFen\"", await RefusedAsync(new { day = Day(Today), kind = "fixed", category = "phones", item = "话费", amountFen = 0 }), StringComparison.Ordinal);
        Assert.Contains("\"quantity\"", await RefusedAsync(new { day = Day(Today), kind = "floating", category = "productRewards", item = "小样", unitCostFen = 100 }), StringComparison.Ordinal);
        Assert.Contains("\"amountFen\"", await RefusedAsync(new { day = Day(Today), kind = "floating", category = "productRewards", item = "小样", quantity = 2, unitCostFen = 100, amountFen = 300 }), StringComparison.Ordinal);
        Assert.Contains("\"campaignId\"", await RefusedAsync(new { day = Day(Today), kind = "floating", category = "other", item = "x", amountFen = 100, campaignId = Guid.NewGuid() }), StringComparison.Ordinal);
        Assert.Contains("\"category\"", await RefusedAsync(new { day = Day(Today), kind = "floating", category = "bribes", item = "x", amountFen = 100 }), StringComparison.Ordinal);
        Assert.Contains("\"kind\"", await RefusedAsync(new { day = Day(Today), category = "other", item = "x", amountFen = 100 }), StringComparison.Ordinal);
        var cap = await api.PutJsonAsync("/api/budget/cap", new { capFen = -5 });
        Assert.Equal(HttpStatusCode.BadRequest, cap.StatusCode);
        var month = await api.GetAsync("/api/budget?month=2026-13", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, month.StatusCode);
        Assert.Contains("\"month\"", await month.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<CostEntry>().CountAsync(c => c.WorkspaceId == ws.Id, Ct)));
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<BudgetCap>().CountAsync(c => c.WorkspaceId == ws.Id, Ct)));
        // Today itself is fine.
        await CostAsync(api, new { day = Day(Today), kind = "fixed", category = "phones", item = "话费", amountFen = 100 });
    }

    [Fact]
    public async Task Roles_OwnerEdits_SubOwnerReads_OthersAreRefused_AndNoWorkspaceSeesAnothers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var cost = await CostAsync(ws.Owner.Api, new { day = Day(Today), kind = "fixed", category = "phones", item = "话费", amountFen = 100 });
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner);
        var admin = await ws.AddStaffAsync(StaffRole.Admin);
        var op = await ws.AddStaffAsync(StaffRole.Operator);
        var koc = await ws.AddStaffAsync(StaffRole.Koc);
        var other = await factory.NewWorkspaceAsync();

        Assert.Single(await sub.Api.GetJsonAsync<List<CostDto>>("/api/budget/costs"));
        Assert.Equal(HttpStatusCode.Forbidden, (await sub.Api.PostJsonAsync("/api/budget/costs", new { day = Day(Today), kind = "fixed", category = "phones", item = "x", amountFen = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sub.Api.PutJsonAsync("/api/budget/cap", new { capFen = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sub.Api.DeleteAsync($"/api/budget/costs/{cost.Id}", Ct)).StatusCode);
        foreach (var staff in new[] { admin, op, koc })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await staff.Api.GetAsync("/api/budget/costs", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await staff.Api.GetAsync("/api/budget", Ct)).StatusCode);
        }
        Assert.Empty(await other.Owner.Api.GetJsonAsync<List<CostDto>>("/api/budget/costs"));
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.DeleteAsync($"/api/budget/costs/{cost.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/budget/costs/{cost.Id}", Ct)).StatusCode);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<CostDto>>("/api/budget/costs"));
    }
}

public sealed class BudgetTests_Sqlite(SqliteFactory factory) : BudgetTests(factory), IClassFixture<SqliteFactory>;

public sealed class BudgetTests_Postgres(PostgresFactory factory) : BudgetTests(factory), IClassFixture<PostgresFactory>;
