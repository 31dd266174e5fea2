using Microsoft.Extensions.DependencyInjection;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Communities;

/// <summary>The communities list: platform filter and today's activity.</summary>
public abstract class CommunityListApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<CommunityDto> CreateAsync(TestStaff staff, string name, string platform) =>
        await (await staff.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform))).ReadAsync<CommunityDto>();

    private static async Task<List<CommunityDto>> ListAsync(TestStaff staff, string query = "") =>
        [.. (await staff.Api.GetJsonAsync<Page<CommunityDto>>("/api/communities" + query)).Items];

    [Theory]
    [InlineData("telegram")]
    [InlineData("Telegram")]
    public async Task List_PlatformFilter_ReturnsOnlyThatPlatform(string platform)
    {
        var ws = await factory.NewWorkspaceAsync();
        var telegram = await CreateAsync(ws.Owner, "电报群", "telegram");
        var weCom = await CreateAsync(ws.Owner, "企微群", "weCom");

        Assert.Equal([telegram.Id], (await ListAsync(ws.Owner, $"?platform={platform}")).Select(c => c.Id));
        Assert.Equal([weCom.Id], (await ListAsync(ws.Owner, "?platform=weCom")).Select(c => c.Id));
        Assert.Empty(await ListAsync(ws.Owner, "?platform=sandbox"));
    }

    [Fact]
    public async Task List_UnknownPlatform_Returns400NamingPlatform()
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.GetAsync("/api/communities?platform=qq", Ct)).ReadValidationErrorsAsync();

        Assert.Equal(["platform"], errors.Keys);
    }

    [Fact]
    public async Task List_TodayMessages_CountsOnlyTodaysMessagesPerCommunity()
    {
        var ws = await factory.NewWorkspaceAsync();
        var busy = await CreateAsync(ws.Owner, "热闹群", "sandbox");
        var quiet = await CreateAsync(ws.Owner, "安静群", "sandbox");
        var now = DateTimeOffset.UtcNow.AddSeconds(-1);
        await (await ws.Owner.Api.PostJsonAsync("/api/events", new[]
        {
            Message(busy.Id, "t1", "u1", now),
            Message(busy.Id, "t2", "u2", now),
            Message(busy.Id, "old", "u1", now.AddDays(-2)),
            Message(quiet.Id, "q-old", "u3", now.AddDays(-3)),
        })).ReadAsync<IngestResponse>();
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var rows = (await ListAsync(ws.Owner)).ToDictionary(c => c.Name);

        Assert.Equal(2, rows["热闹群"].TodayMessages);
        Assert.Equal(0, rows["安静群"].TodayMessages);
    }

    [Fact]
    public async Task List_Operator_SeesOnlyAssignedCommunitiesWithTheirActivity()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CreateAsync(ws.Owner, "我的群", "sandbox");
        await CreateAsync(ws.Owner, "别人的群", "sandbox");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine.Id);

        var rows = await ListAsync(op, "?platform=sandbox");

        Assert.Equal([mine.Id], rows.Select(c => c.Id));
        Assert.Equal(0, rows[0].TodayMessages);
    }
}

public sealed class CommunityListApiTests_Sqlite(SqliteFactory factory) : CommunityListApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class CommunityListApiTests_Postgres(PostgresFactory factory) : CommunityListApiTests(factory), IClassFixture<PostgresFactory>;
