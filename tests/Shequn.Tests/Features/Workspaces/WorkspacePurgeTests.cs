using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Demo;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Workspaces;

/// <summary>
/// Offboarding: the demo workspace (every feature's data, as `--demo` seeds it) is purged; afterwards no cell of any
/// table of the model holds its id, while a second workspace keeps every row.
/// </summary>
[LongRunning]
public abstract class WorkspacePurgeTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<Dictionary<string, long>> PlanCountsAsync(Guid ws) => PlanCountsAsync(factory.Services, ws);

    /// <summary>Rows per table of the purge plan that belong to <paramref name="ws"/>.</summary>
    internal static async Task<Dictionary<string, long>> PlanCountsAsync(IServiceProvider services, Guid ws)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(Ct);
        var counts = new Dictionary<string, long>();
        foreach (var table in PurgePlan.For(db.Model))
        {
            await using var command = WorkspacePurgeJob.Command(connection, $"SELECT COUNT(*) FROM {table.Quoted} WHERE {table.Where}", ws, db.Database.IsNpgsql());
            counts[table.Table] = Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
        }
        return counts;
    }

    /// <summary>Every text or uuid cell of every table of the model that contains <paramref name="ws"/>'s id, by table.</summary>
    private async Task<Dictionary<string, long>> CellsHoldingAsync(Guid ws)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var pg = db.Database.IsNpgsql();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(Ct);
        var found = new Dictionary<string, long>();
        var tables = db.Model.GetRelationalModel().Tables.ToList();
        Assert.True(tables.Count > 60, $"only {tables.Count} tables");
        foreach (var table in tables)
        {
            var columns = table.Columns.Where(c => c.ProviderClrType == typeof(string) || c.ProviderClrType == typeof(Guid)).ToList();
            if (columns.Count == 0)
                continue;
            var where = string.Join(" OR ", columns.Select(c => $"CAST({PurgeTable.Q(c.Name)} AS TEXT) {(pg ? "ILIKE" : "LIKE")} '%{ws}%'"));
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {PurgeTable.Q(table.Name)} WHERE {where}";
            var n = Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
            if (n > 0)
                found[table.Name] = n;
        }
        return found;
    }

    [Fact]
    public async Task Purge_DemoWorkspace_NoTableHoldsItsId_OtherWorkspaceUnchanged()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        var output = new StringWriter();
        await DemoWorkspace.EnsureAndPrintAsync(factory.Services, output, Ct);
        var token = Regex.Match(output.ToString(), @"API token: (\S+)").Groups[1].Value;
        var demo = factory.ClientWithToken(token);
        var demoId = JsonDocument.Parse(await demo.GetStringAsync("/api/workspace", Ct)).RootElement.GetProperty("id").GetGuid();

        var other = await factory.NewWorkspaceAsync();
        var c = (await (await other.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("留下的群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        for (var i = 0; i < 5; i++)
            (await other.Owner.Api.PostJsonAsync("/api/events", Message(c, "k" + i, "u" + i, DateTimeOffset.UtcNow.AddHours(-i), "留下" + i))).EnsureSuccessStatusCode();
        await other.AddStaffAsync(StaffRole.Operator, "留下的员工", c);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var otherBefore = await PlanCountsAsync(other.Id);
        var demoBefore = await PlanCountsAsync(demoId);
        Assert.True(demoBefore.Count(kv => kv.Value > 0) >= 40, "the demo fills only " + string.Join(", ", demoBefore.Where(kv => kv.Value > 0).Select(kv => kv.Key)));
        Assert.NotEmpty(await CellsHoldingAsync(demoId));

        // Asked with the wrong name: refused, naming the field. Then asked, cancelled, asked again.
        var wrong = await demo.PostJsonAsync("/api/workspace/purge", new { confirmName = "健康优选" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.True(JsonDocument.Parse(await wrong.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors").TryGetProperty("confirmName", out _));
        var asked = await demo.PostJsonAsync("/api/workspace/purge", new { confirmName = DemoWorkspace.WorkspaceName });
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var due = JsonDocument.Parse(await asked.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("dueAt").GetDateTime();
        Assert.InRange(due, DateTime.UtcNow.AddDays(7).AddMinutes(-5), DateTime.UtcNow.AddDays(7).AddMinutes(5));
        Assert.Contains("purge-requested", await demo.GetStringAsync("/api/audit?action=purge-requested", Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await demo.DeleteAsync("/api/workspace/purge", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await demo.DeleteAsync("/api/workspace/purge", Ct)).StatusCode);
        var job = factory.Services.GetRequiredService<WorkspacePurgeJob>();
        Assert.Equal(0, await job.RunOnceAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await demo.PostJsonAsync("/api/workspace/purge", new { confirmName = DemoWorkspace.WorkspaceName })).StatusCode);
        // Not due yet: nothing happens.
        Assert.Equal(0, await job.RunOnceAsync(Ct));
        await MessageRetentionTests.WithDbAsync(factory.Services, demoId, db =>
            db.Workspaces.Where(w => w.Id == demoId).ExecuteUpdateAsync(s => s.SetProperty(w => w.PurgeDueAt, DateTime.UtcNow.AddMinutes(-1)), Ct));

        var deleted = await job.RunOnceAsync(Ct);

        Assert.True(deleted >= demoBefore.Values.Sum(), $"{deleted} deleted of {demoBefore.Values.Sum()}");
        Assert.Empty(await CellsHoldingAsync(demoId));
        Assert.All(await PlanCountsAsync(demoId), kv => Assert.Equal(0, kv.Value));
        Assert.Equal(otherBefore, await PlanCountsAsync(other.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await demo.GetAsync("/api/workspace", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.Owner.Api.GetAsync("/api/workspace", Ct)).StatusCode);
        Assert.Equal(0, await job.RunOnceAsync(Ct));
    }

    /// <summary>
    /// Once a purge has begun, the processor applies none of the workspace's events (they would write rows into tables
    /// the purge has already swept), while another workspace's events in the same batches take effect.
    /// </summary>
    [Fact]
    public async Task Processor_WorkspaceBeingPurged_PassesItsEventsUnapplied()
    {
        var leaving = await factory.NewWorkspaceAsync("处理中退租");
        var staying = await factory.NewWorkspaceAsync("处理中留下");
        var communities = new List<Guid>();
        foreach (var ws in new[] { leaving, staying })
            communities.Add((await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("群" + ws.Id.ToString("N")[..6], "sandbox"))).ReadAsync<CommunityDto>()).Id);
        // What the purge's first pass does before it deletes anything.
        await MessageRetentionTests.WithDbAsync(factory.Services, leaving.Id, db =>
            db.Workspaces.Where(w => w.Id == leaving.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.PurgeStartedAt, DateTime.UtcNow), Ct));

        (await leaving.Owner.Api.PostJsonAsync("/api/events", Message(communities[0], "p1", "u-leaving", DateTimeOffset.UtcNow, "退租后的消息"))).EnsureSuccessStatusCode();
        (await staying.Owner.Api.PostJsonAsync("/api/events", Message(communities[1], "p1", "u-staying", DateTimeOffset.UtcNow, "留下的消息"))).EnsureSuccessStatusCode();
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        Assert.Equal(0, await MessageRetentionTests.WithDbAsync(factory.Services, leaving.Id, db =>
            db.Members.IgnoreQueryFilters().CountAsync(m => m.WorkspaceId == leaving.Id, Ct)));
        Assert.Equal(0, await MessageRetentionTests.WithDbAsync(factory.Services, leaving.Id, db =>
            db.Set<SkippedEvent>().CountAsync(e => e.WorkspaceId == leaving.Id, Ct)));
        Assert.Equal(1, await MessageRetentionTests.WithDbAsync(factory.Services, staying.Id, db =>
            db.Members.IgnoreQueryFilters().CountAsync(m => m.WorkspaceId == staying.Id, Ct)));
    }

    /// <summary>
    /// Rows written after a purge's first pass by writers that do not know of it (here an event the log accepted late, as a
    /// node whose bot directory had not yet forgotten the bot would) are swept; the workspace row stays until a pass after
    /// the settle time finds nothing more, and then no table holds the workspace's id.
    /// </summary>
    [Fact]
    public async Task Purge_LateWrites_SweptBeforeTheWorkspaceRowGoes()
    {
        var ws = await factory.NewWorkspaceAsync("迟到写入");
        var c = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("迟到群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        (await ws.Owner.Api.PostJsonAsync("/api/events", Message(c, "e1", "u1", DateTimeOffset.UtcNow, "早先的消息"))).EnsureSuccessStatusCode();
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync("/api/workspace/purge", new { confirmName = "迟到写入" })).StatusCode);
        await MessageRetentionTests.WithDbAsync(factory.Services, ws.Id, db =>
            db.Workspaces.Where(w => w.Id == ws.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.PurgeDueAt, DateTime.UtcNow.AddMinutes(-1)), Ct));
        var job = factory.Services.GetRequiredService<WorkspacePurgeJob>();
        Task<Workspace?> RowAsync() => MessageRetentionTests.WithDbAsync(factory.Services, ws.Id, db =>
            db.Workspaces.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(w => w.Id == ws.Id, Ct));

        Assert.True(await job.PurgeAsync(ws.Id, TimeSpan.FromHours(1), Ct) > 0);
        Assert.NotNull((await RowAsync())?.PurgeStartedAt);
        var late = new CommunityEvent
        {
            WorkspaceId = ws.Id, CommunityId = c, Platform = ChatPlatform.Sandbox, PlatformEventId = "late-1", Kind = EventKind.MessagePosted,
            OccurredAt = DateTime.UtcNow, ReceivedAt = DateTime.UtcNow, UserId = "u-late", MessageId = "late-1", Text = "清除开始后才到的消息",
        };
        Assert.Equal(new[] { IngestStatus.Accepted }, await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([late], Ct));
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        // Not settled: the late event is swept, the row stays.
        Assert.Equal(1, await job.PurgeAsync(ws.Id, TimeSpan.FromHours(1), Ct));
        Assert.NotNull(await RowAsync());

        // Settled: a second sweep finds nothing, and the workspace row goes last.
        Assert.Equal(1, await job.PurgeAsync(ws.Id, TimeSpan.Zero, Ct));

        Assert.Null(await RowAsync());
        Assert.Empty(await CellsHoldingAsync(ws.Id));
    }

    [Fact]
    public async Task RequestPurge_ByAnAdmin_Forbidden()
    {
        var ws = await factory.NewWorkspaceAsync("行政不可删");
        var admin = await ws.AddStaffAsync(StaffRole.Admin);

        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.PostJsonAsync("/api/workspace/purge", new { confirmName = "行政不可删" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.DeleteAsync("/api/workspace/purge", Ct)).StatusCode);
    }
}

public sealed class WorkspacePurgeSqliteTests(DemoSqliteFactory factory) : WorkspacePurgeTests(factory), IClassFixture<DemoSqliteFactory>;

public sealed class WorkspacePurgePostgresTests(DemoPostgresFactory factory) : WorkspacePurgeTests(factory), IClassFixture<DemoPostgresFactory>;

/// <summary>The purge's tables come from the model: whatever has a WorkspaceId, or points at something that has, is in it, dependents first.</summary>
public sealed class PurgePlanTests
{
    private static IModel AppModel()
    {
        using var db = new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=:memory:").Options, new Shequn.Platform.Auth.CurrentStaff());
        return db.Model;
    }

    private static void AssertCoversAndOrders(IModel model, IReadOnlyList<PurgeTable> plan)
    {
        var index = plan.Select((t, i) => (t.EntityType, i)).ToDictionary(x => x.EntityType, x => x.i);
        foreach (var type in model.GetEntityTypes().Where(t => !t.IsOwned() && t.GetTableName() is not null && t.BaseType is null))
        {
            if (type.FindProperty(PurgePlan.WorkspaceIdProperty) is not null || type.ClrType == typeof(Workspace))
                Assert.True(index.ContainsKey(type), $"{type.DisplayName()} has a WorkspaceId but is not purged");
            foreach (var fk in type.GetForeignKeys().Where(fk => fk.PrincipalEntityType.GetRootType() != type))
            {
                var principal = fk.PrincipalEntityType.GetRootType();
                if (!index.TryGetValue(principal, out var p))
                    continue;
                Assert.True(index.TryGetValue(type, out var d), $"{type.DisplayName()} points at {principal.DisplayName()} but is not purged");
                Assert.True(d < p, $"{type.DisplayName()} must be deleted before {principal.DisplayName()}");
            }
        }
    }

    [Fact]
    public void For_AppModel_EveryWorkspaceTableAndItsDependents_DependentsFirst()
    {
        var model = AppModel();
        var plan = PurgePlan.For(model);

        AssertCoversAndOrders(model, plan);
        Assert.Equal("Workspaces", plan[^1].Table);
        Assert.Contains(plan, t => t.Table == "AspNetUserRoles");
        Assert.Contains(plan, t => t.Table == "PostImages");
        Assert.Contains(plan, t => t.Table == "SandboxUploads");
        Assert.Contains(plan, t => t.Table == "CommunityEvents");
        Assert.DoesNotContain(plan, t => t.Table is "EventCheckpoints" or "DataProtectionKeys" or "AspNetRoles");
    }

    private sealed class Probe
    {
        public Guid Id { get; set; }
        public Guid WorkspaceId { get; set; }
    }

    private sealed class ProbeNote
    {
        public Guid Id { get; set; }
        public Guid ProbeId { get; set; }
    }

    private sealed class ProbeContext(DbContextOptions options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder b)
        {
            b.Entity<Workspace>().ToTable("Workspaces");
            b.Entity<Probe>().HasOne<Workspace>().WithMany().HasForeignKey(p => p.WorkspaceId);
            b.Entity<ProbeNote>().HasOne<Probe>().WithMany().HasForeignKey(n => n.ProbeId);
        }
    }

    /// <summary>A new entity with a WorkspaceId (and one that hangs off it) is purged without anyone listing it.</summary>
    [Fact]
    public void For_NewEntityWithAWorkspaceId_IsPurgedWithItsDependents()
    {
        using var db = new ProbeContext(new DbContextOptionsBuilder<ProbeContext>().UseSqlite("Data Source=:memory:").Options);

        var plan = PurgePlan.For(db.Model);

        Assert.Equal(["ProbeNote", "Probe", "Workspaces"], plan.Select(t => t.Table));
        Assert.Contains("IN (SELECT", plan[0].Where, StringComparison.Ordinal);
        AssertCoversAndOrders(db.Model, plan);
    }
}
