using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Budget;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Orders;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Campaigns;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Budget;

/// <summary>ROI (投入产出比) on a worked example: attributed net revenue over the costs charged, rewards granted at cost and a channel's stated cost.</summary>
public abstract class RoiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, Shanghai));

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Roi_WorkedExample_ByCampaignChannelAndCommunity_WithTheWorkspaceTotal()
    {
        var ws = await factory.NewWorkspaceAsync();
        var api = ws.Owner.Api;
        var community = (await (await api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("ROI群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, community, 2);
        var campaign = await (await api.PostJsonAsync("/api/campaigns", new
        {
            name = "618 拼团", kind = "checkIn", startsAt = DateTimeOffset.UtcNow.AddDays(-5), endsAt = DateTimeOffset.UtcNow.AddDays(5),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rewards = new[] { new { kind = "product", name = "小样", valueFen = 9_900, costFen = 5_000, quantity = 10 } }, rules = new { keyword = "签到" },
        })).ReadAsync<CampaignDto>();
        // 300 yuan a month, stated on the channel: over an 11-day period that is 110 yuan.
        var channel = await (await api.PostJsonAsync("/api/channels", new { name = "直播间", kind = "liveStream", cost = 300m, costUnit = "month" })).ReadAsync<ChannelDto>();

        var yesterday = DateTime.UtcNow.AddDays(-1);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            Order O(string id, long amount, long refunded, OrderStatus status, Guid? campaignId, string? channelName, Guid? communityId) => new()
            {
                WorkspaceId = ws.Id, ExternalId = id, PlacedAt = yesterday, AmountFen = amount, RefundedFen = refunded, Status = status,
                CampaignId = campaignId, Channel = channelName, CommunityId = communityId, MemberId = members[0],
            };
            db.AddRange(
                O("A-1", 30_000, 5_000, OrderStatus.Paid, campaign.Id, channel.Name, community),
                O("A-2", 20_000, 0, OrderStatus.Paid, campaign.Id, null, community),
                O("A-3", 99_900, 0, OrderStatus.Cancelled, campaign.Id, channel.Name, community),
                O("A-4", 8_000, 0, OrderStatus.Paid, null, null, null),
                // Outside the period: counts nowhere.
                new Order { WorkspaceId = ws.Id, ExternalId = "old", PlacedAt = DateTime.UtcNow.AddDays(-40), AmountFen = 1_000_000, CampaignId = campaign.Id });
            db.AddRange(
                new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = campaign.Id, MemberId = members[0], Key = "g1", Status = GrantStatus.Issued, CostFen = 5_000 },
                new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = campaign.Id, MemberId = members[1], Key = "g2", Status = GrantStatus.Void, CostFen = 7_000 });
            await db.SaveChangesWithoutAuditAsync(Ct);
        }
        async Task Cost(object body) => Assert.Equal(HttpStatusCode.Created, (await api.PostJsonAsync("/api/budget/costs", body)).StatusCode);
        await Cost(new { day = Day(Today), kind = "floating", category = "activityFunds", item = "拼团红包", amountFen = 10_000, campaignId = campaign.Id });
        await Cost(new { day = Day(Today), kind = "floating", category = "advertising", item = "直播投流", amountFen = 4_000, channelId = channel.Id });
        await Cost(new { day = Day(Today), kind = "floating", category = "activityFunds", item = "群红包", amountFen = 9_000, communityId = community });
        var period = $"from={Day(Today.AddDays(-10))}&to={Day(Today)}";

        var byCampaign = await api.GetJsonAsync<RoiReport>($"/api/budget/roi?by=campaign&{period}");
        var byChannel = await api.GetJsonAsync<RoiReport>($"/api/budget/roi?by=channel&{period}");
        var byCommunity = await api.GetJsonAsync<RoiReport>($"/api/budget/roi?by=community&{period}");

        // Campaign: revenue 300 − 50 + 200 = 450 (the cancelled order counts nothing); cost 100 charged + 50 granted (the void grant is not spent) = 150.
        var c = Assert.Single(byCampaign.Rows);
        Assert.Equal((2, 45_000L, 15_000L, 10_000L, 5_000L, 0L, 3.00m), (c.Orders, c.RevenueFen, c.CostFen, c.ChargedFen, c.RewardsFen, c.StatedFen, c.Roi));
        // Channel: revenue 250 (A-1 only); cost 40 charged + 110 stated = 150.
        var ch = Assert.Single(byChannel.Rows);
        Assert.Equal((1, 25_000L, 15_000L, 4_000L, 11_000L, 1.67m), (ch.Orders, ch.RevenueFen, ch.CostFen, ch.ChargedFen, ch.StatedFen, ch.Roi));
        // Community: revenue 450; cost 90.
        var co = Assert.Single(byCommunity.Rows);
        Assert.Equal((45_000L, 9_000L, 5.00m), (co.RevenueFen, co.CostFen, co.Roi));
        // Workspace: 450 + 80 unattributed = 530 over 100 + 40 + 90 + 50 = 280.
        Assert.Equal((53_000L, 28_000L, 1.89m, 8_000L), (byCampaign.RevenueFen, byCampaign.CostFen, byCampaign.Roi, byCampaign.UnattributedRevenueFen));
    }

    [Fact]
    public async Task Roi_IsTheOwners_AndBadInputNamesItsField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner);
        Assert.Equal(HttpStatusCode.Forbidden, (await sub.Api.GetAsync("/api/budget/roi", Ct)).StatusCode);
        var bad = await ws.Owner.Api.GetAsync("/api/budget/roi?by=weather", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"by\"", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var backwards = await ws.Owner.Api.GetAsync($"/api/budget/roi?from={Day(Today)}&to={Day(Today.AddDays(-3))}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("\"to\"", await backwards.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var empty = await ws.Owner.Api.GetJsonAsync<RoiReport>("/api/budget/roi");
        Assert.Empty(empty.Rows);
        Assert.Null(empty.Roi);
    }
}

public sealed class RoiTests_Sqlite(SqliteFactory factory) : RoiTests(factory), IClassFixture<SqliteFactory>;

public sealed class RoiTests_Postgres(PostgresFactory factory) : RoiTests(factory), IClassFixture<PostgresFactory>;
