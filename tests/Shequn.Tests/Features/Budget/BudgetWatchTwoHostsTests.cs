using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Budget;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Tests.Features.Campaigns;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Budget;

/// <summary>Two app hosts on one PostgreSQL, each with its budget watch running every second (the shortest allowed): each threshold's alert
/// is raised once.</summary>
public sealed class BudgetWatchTwoHostsTests
{
    private sealed class Host(string database, Shequn.Connectors.IConnector connector) : Outbox.SharedPostgresHost(database, connector)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Budget:WatchEnabled", "true");
            builder.UseSetting("Budget:WatchInterval", "00:00:01");
        }
    }

    [Fact]
    public async Task TwoHostsWatching_RewardsCrossBothThresholds_EachAlertRaisedOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        var counter = new Outbox.TwoHostCounter();
        var first = new Host(database, counter.For(0));
        var second = new Host(database, counter.For(1));
        try
        {
            var ws = await first.NewWorkspaceAsync();
            _ = second.Services;
            var api = ws.Owner.Api;
            Assert.Equal(System.Net.HttpStatusCode.OK, (await api.PutJsonAsync("/api/budget/cap", new { capFen = 10_000 })).StatusCode);
            var community = (await (await api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("双机预算群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
            var members = await FlashSaleKit.MembersAsync(first, ws.Id, community, 2);
            var campaign = await (await api.PostJsonAsync("/api/campaigns", new
            {
                name = "双机抽奖", kind = "checkIn", startsAt = DateTimeOffset.UtcNow.AddDays(-1), endsAt = DateTimeOffset.UtcNow.AddDays(5),
                audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
                rewards = new[] { new { kind = "physicalGift", name = "礼盒", valueFen = 20_000, costFen = 9_000, quantity = 2 } }, rules = new { keyword = "签到" },
            })).ReadAsync<CampaignDto>();

            async Task GrantAsync(Guid member)
            {
                await using var scope = second.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                db.Current.ActAsSystem(ws.Id);
                db.Add(new CampaignRewardGrant { WorkspaceId = ws.Id, CampaignId = campaign.Id, MemberId = member, Key = "prize-" + member.ToString("N"), Status = GrantStatus.Delivered, CostFen = 9_000 });
                await db.SaveChangesWithoutAuditAsync(ct);
            }

            async Task<List<(int Percent, long Spent)>> AlertsAsync()
            {
                await using var scope = first.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                db.Current.ActAsSystem(ws.Id);
                return [.. (await db.Set<BudgetAlert>().Where(a => a.WorkspaceId == ws.Id).OrderBy(a => a.Percent).ToListAsync(ct)).Select(a => (a.Percent, a.SpentFen))];
            }

            async Task<List<(int Percent, long Spent)>> WaitForAsync(int count)
            {
                for (var i = 0; i < 300 && (await AlertsAsync()).Count < count; i++)
                    await Task.Delay(100, ct);
                // Both watches keep passing (two or three passes each) while nothing changes: no second row may appear.
                await Task.Delay(2_500, ct);
                return await AlertsAsync();
            }

            await GrantAsync(members[0]);
            Assert.Equal([(80, 9_000L)], await WaitForAsync(1));

            await GrantAsync(members[1]);
            // Passes run by hand on both hosts at once as well as the background ones.
            await Task.WhenAll(first.Services.GetRequiredService<BudgetWatch>().RunOnceAsync(ct), second.Services.GetRequiredService<BudgetWatch>().RunOnceAsync(ct));
            Assert.Equal([(80, 9_000L), (100, 18_000L)], await WaitForAsync(2));
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
