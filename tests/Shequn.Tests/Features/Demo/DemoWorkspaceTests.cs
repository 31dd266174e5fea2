using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Dashboard;
using Shequn.Features.Demo;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Demo;

/// <summary>`--demo` on a real database: seeded once, complete, and reachable with the printed token. The class runs on a copy
/// of the demo this test process seeded into a new database (DemoTemplates), through the same EnsureAndPrintAsync.</summary>
public abstract partial class DemoWorkspaceTests(ShequnFactory factory)
{
    private sealed record Counts(int Communities, int Staff, int Assignments, int Members, int Memberships, int Tags, int MemberTags, int Tokens, int Audit);

    [Fact]
    public async Task EnsureAndPrint_RunTwice_DuplicatesNothing()
    {
        var first = await EnsureDemoAsync();
        var before = await CountAsync();

        var second = await EnsureDemoAsync();
        var after = await CountAsync();

        Assert.Equal(before, after);
        Assert.Equal(Printed(first, "password"), Printed(second, "password"));
        Assert.Equal(Printed(first, "API token"), Printed(second, "API token"));
    }

    [Fact]
    public async Task EnsureAndPrint_NewDatabase_SeedsTheWholeBrand()
    {
        await EnsureDemoAsync();
        var counts = await CountAsync();

        Assert.Equal(DemoCatalog.Communities.Length + DemoTasks.Communities, counts.Communities);
        Assert.Equal(DemoCatalog.Staff.Length + 1, counts.Staff);
        Assert.Equal(DemoCatalog.Staff.Sum(s => s.Assignments.Length) + DemoTasks.Assignments, counts.Assignments);
        Assert.Equal(DemoPlan.MemberCount, counts.Members);
        Assert.InRange(counts.Memberships, DemoPlan.MemberCount, DemoPlan.MemberCount * 2);
        Assert.Equal(DemoCatalog.Tags.Length, counts.Tags);
        Assert.InRange(counts.MemberTags, DemoPlan.MemberCount / 5, DemoPlan.MemberCount * 3);
        Assert.Equal(1, counts.Tokens);
    }

    /// <summary>The audit log records how the workspace was set up (staff, communities, tags), not 2,000 generated members.</summary>
    [Fact]
    public async Task EnsureAndPrint_AuditLog_HasSetupButNoGeneratedMembers()
    {
        await EnsureDemoAsync();
        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var audited = await db.AuditEntries.GroupBy(a => a.EntityType).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, TestContext.Current.CancellationToken);

        Assert.Equal(DemoCatalog.Communities.Length + DemoTasks.Communities, audited.GetValueOrDefault(nameof(Community)));
        Assert.True(audited.GetValueOrDefault("StaffUser") >= DemoCatalog.Staff.Length + 1);
        Assert.False(audited.ContainsKey("Member"));
    }

    [Fact]
    public async Task EnsureAndPrint_PrintedToken_SeesTheDemoThroughTheApi()
    {
        var output = await EnsureDemoAsync();
        var api = factory.ClientWithToken(Printed(output, "API token"));

        var figures = await api.GetJsonAsync<DashboardFigures>("/api/dashboard");
        var communities = await api.GetJsonAsync<Page<CommunityDto>>("/api/communities?pageSize=100");

        Assert.Equal(DemoCatalog.Communities.Length + DemoTasks.Communities, figures.Communities);
        Assert.InRange(figures.Members, DemoPlan.MemberCount * 3 / 4, DemoPlan.MemberCount);
        Assert.Equal(DemoCatalog.Staff.Length + 1, figures.Staff);
        // The demo puts its latest arrivals in the week it is made; read just after Monday 00:00 (Shanghai) that week is over.
        var shanghai = DateTime.UtcNow.AddHours(8);
        var intoWeek = shanghai - shanghai.Date.AddDays(-(((int)shanghai.DayOfWeek + 6) % 7));
        if (intoWeek > TimeSpan.FromHours(2))
            Assert.True(figures.JoinsThisWeek >= DemoPlan.JoinsThisWeekAtLeast);
        Assert.Equal(DemoCatalog.Communities.Length + DemoTasks.Communities, communities.Total);
        var fishOil = Assert.Single(communities.Items, c => c.Name == DemoCatalog.FishOil);
        Assert.InRange(fishOil.MemberCount, 100, fishOil.Capacity);
        Assert.Contains(fishOil.Staff, s => s.DisplayName == "李静" && s.Role == CommunityRole.SubOwner);
    }

    [Fact]
    public async Task EnsureAndPrint_ManualGroup_HasAnOverdueRemovalForTheOwnerAndASendForTheOperator()
    {
        var api = factory.ClientWithToken(Printed(await EnsureDemoAsync(), "API token"));

        var open = await api.GetJsonAsync<Page<Shequn.Features.Tasks.TaskDto>>("/api/tasks?status=open");

        Assert.Equal(2, open.Total);
        Assert.All(open.Items, t => Assert.Equal((DemoTasks.CommunityName, ChatPlatform.Manual), (t.CommunityName, t.Platform)));
        var removal = open.Items[0];
        Assert.Equal(("将 刘大海 移出群「老客户微信群」", true, "王总"), (removal.Text, removal.Overdue, removal.AssignedStaffName));
        Assert.Equal((false, "郑雪", CommunityRole.Operator), (open.Items[1].Overdue, open.Items[1].AssignedStaffName, open.Items[1].AssignedRole));
    }

    private async Task<string> EnsureDemoAsync()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var output = new StringWriter();
        await DemoWorkspace.EnsureAndPrintAsync(factory.Services, output, TestContext.Current.CancellationToken);
        return output.ToString();
    }

    private async Task<AsyncServiceScope> DemoScopeAsync()
    {
        var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var workspace = await db.Workspaces.SingleAsync(w => w.Name == DemoWorkspace.WorkspaceName, TestContext.Current.CancellationToken);
        db.Current.ActAsSystem(workspace.Id);
        return scope;
    }

    private async Task<Counts> CountAsync()
    {
        await using var scope = await DemoScopeAsync();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ct = TestContext.Current.CancellationToken;
        var ws = db.CurrentWorkspaceId;
        return new Counts(
            await db.Communities.CountAsync(ct),
            await db.Users.CountAsync(u => u.WorkspaceId == ws, ct),
            await db.CommunityStaff.CountAsync(ct),
            await db.Members.CountAsync(ct),
            await db.Memberships.CountAsync(ct),
            await db.Tags.CountAsync(ct),
            await db.MemberTags.CountAsync(ct),
            await db.ApiTokens.CountAsync(ct),
            await db.AuditEntries.CountAsync(ct));
    }

    private static string Printed(string output, string label)
    {
        var match = PrintedLine().Matches(output).FirstOrDefault(m => m.Groups["label"].Value == label);
        Assert.True(match is not null, $"'{label}' not printed in:\n{output}");
        return match.Groups["value"].Value;
    }

    [GeneratedRegex(@"^\s+(?<label>[A-Za-z ]+):\s+(?<value>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PrintedLine();
}

public sealed class DemoWorkspaceTests_Sqlite(DemoSqliteFactory factory) : DemoWorkspaceTests(factory), IClassFixture<DemoSqliteFactory>;

public sealed class DemoWorkspaceTests_Postgres(DemoPostgresFactory factory) : DemoWorkspaceTests(factory), IClassFixture<DemoPostgresFactory>;
