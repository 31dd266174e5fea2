using Shequn.Features.Dashboard;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Members;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Dashboard;

public abstract class DashboardApiTests(ShequnFactory factory)
{
    /// <summary>Two communities, an operator on each, an admin on none; members in one, in both, gone from one, in none.</summary>
    private async Task<(TestWorkspace Ws, TestStaff OperatorA)> WorkspaceAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await MemberTestData.CommunityAsync(ws.Owner, "A 群");
        var b = await MemberTestData.CommunityAsync(ws.Owner, "B 群");
        var operatorA = await ws.AddStaffAsync(StaffRole.Operator, "运营A", a.Id);
        await ws.AddStaffAsync(StaffRole.Operator, "运营B", b.Id);
        await ws.AddStaffAsync(StaffRole.Admin, "管理员");

        await MemberTestData.MemberAsync(ws.Owner, "只在A", a.Id);
        var both = await MemberTestData.MemberAsync(ws.Owner, "两个群", a.Id);
        await MemberTestData.AddMembershipAsync(factory, ws, both.Id, b.Id);
        var left = await MemberTestData.MemberAsync(ws.Owner, "退出A");
        await MemberTestData.AddMembershipAsync(factory, ws, left.Id, a.Id, leftAt: DateTime.UtcNow.AddDays(-2));
        await MemberTestData.MemberAsync(ws.Owner, "不在群");
        return (ws, operatorA);
    }

    [Fact]
    public async Task Get_Owner_WholeWorkspaceWithTheMembersListsCount()
    {
        var (ws, _) = await WorkspaceAsync();

        var figures = await ws.Owner.Api.GetJsonAsync<DashboardFigures>("/api/dashboard");

        Assert.True(figures.WholeWorkspace);
        Assert.Equal((2, 2, 4), (figures.Communities, figures.Members, figures.MembersListed));
        Assert.Equal(4, figures.Staff);
        Assert.Equal(DayOfWeek.Monday, figures.WeekStart.DayOfWeek);
        Assert.Equal("Asia/Shanghai", figures.TimeZone);
    }

    [Fact]
    public async Task Get_Operator_EveryFigureOnlyOverHerCommunities()
    {
        var (_, operatorA) = await WorkspaceAsync();

        var figures = await operatorA.Api.GetJsonAsync<DashboardFigures>("/api/dashboard");

        Assert.False(figures.WholeWorkspace);
        Assert.Equal((1, 2, 3), (figures.Communities, figures.Members, figures.MembersListed));
        // Only the staff on community A (herself), not the workspace's four.
        Assert.Equal(1, figures.Staff);
    }

    [Fact]
    public async Task Get_Operator_MembersListedIsWhatTheMembersListShowsHer()
    {
        var (_, operatorA) = await WorkspaceAsync();

        var figures = await operatorA.Api.GetJsonAsync<DashboardFigures>("/api/dashboard");
        using var list = System.Text.Json.JsonDocument.Parse(await operatorA.Api.GetStringAsync("/api/members", TestContext.Current.CancellationToken));

        Assert.Equal(list.RootElement.GetProperty("total").GetInt32(), figures.MembersListed);
    }
}

public sealed class DashboardApiTests_Sqlite(SqliteFactory factory) : DashboardApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class DashboardApiTests_Postgres(PostgresFactory factory) : DashboardApiTests(factory), IClassFixture<PostgresFactory>;
