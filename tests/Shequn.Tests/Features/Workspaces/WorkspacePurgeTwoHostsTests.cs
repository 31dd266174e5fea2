using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;
using Shequn.Tests.Infrastructure;
using Shequn.Tests.Features.Communities;

namespace Shequn.Tests.Features.Workspaces;

/// <summary>
/// Two app hosts on one PostgreSQL whose purge jobs find the same workspace due at once (small batches): every row of it
/// goes, the two jobs' counts add up to exactly the rows there were (each row deleted by one of them), both did part of
/// the work, neither failed, and the other workspace keeps every row.
/// </summary>
public sealed class WorkspacePurgeTwoHostsTests
{
    private sealed class Host(string database) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0))
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Events:ProcessorEnabled", "false");
            builder.UseSetting("Images:Enabled", "false");
            // The test runs the jobs' passes itself, at once on both hosts.
            builder.UseSetting("WorkspacePurge:Enabled", "false");
            builder.UseSetting("WorkspacePurge:BatchSize", "50");
            builder.UseSetting("WorkspacePurge:Settle", "00:00:00");
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoHostsPurgingTogether_EveryRowDeletedOnce_OtherWorkspaceKept()
    {
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        Host[] hosts = [new(database), new(database)];
        try
        {
            var leaving = await hosts[0].NewWorkspaceAsync("两台退租");
            var staying = await hosts[0].NewWorkspaceAsync("两台留下");
            _ = hosts[1].Services;
            await FillAsync(hosts[0], leaving, members: 400, events: 2_000);
            await FillAsync(hosts[0], staying, members: 40, events: 200);
            Assert.True((await leaving.Owner.Api.PostJsonAsync("/api/workspace/purge", new { confirmName = "两台退租" })).IsSuccessStatusCode);
            await MessageRetentionTests.WithDbAsync(hosts[0].Services, leaving.Id, db =>
                db.Workspaces.Where(w => w.Id == leaving.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.PurgeDueAt, DateTime.UtcNow.AddMinutes(-1)), Ct));
            // Counted after the request, which adds its own audit row.
            var leavingBefore = await WorkspacePurgeTests.PlanCountsAsync(hosts[0].Services, leaving.Id);
            var stayingBefore = await WorkspacePurgeTests.PlanCountsAsync(hosts[0].Services, staying.Id);
            Assert.True(leavingBefore.Values.Sum() > 3_000, $"{leavingBefore.Values.Sum()} rows");

            var passes = await Task.WhenAll(hosts.Select(h => Task.Run(() => h.Services.GetRequiredService<WorkspacePurgeJob>().RunOnceAsync(Ct), Ct)));

            Assert.Equal(leavingBefore.Values.Sum(), passes.Sum());
            Assert.All(passes, p => Assert.True(p > 0, "each host deleted part: " + string.Join(", ", passes)));
            Assert.All(await WorkspacePurgeTests.PlanCountsAsync(hosts[1].Services, leaving.Id), kv => Assert.Equal(0, kv.Value));
            Assert.Equal(stayingBefore, await WorkspacePurgeTests.PlanCountsAsync(hosts[1].Services, staying.Id));
            // Due no more on either host.
            var again = await Task.WhenAll(hosts.Select(h => h.Services.GetRequiredService<WorkspacePurgeJob>().RunOnceAsync(Ct)));
            Assert.Equal(new[] { 0, 0 }, again);
        }
        finally
        {
            await hosts[0].DisposeAsync();
            await hosts[1].DisposeAsync();
            if (Outbox.SharedPostgresHost.PgServer is { } server)
                await TestDatabases.DropPostgresAsync(server, database);
        }
    }

    /// <summary>A community with members (identities, stints), their messages in the log and moderation cases.</summary>
    private static async Task FillAsync(Host host, Infrastructure.TestWorkspace ws, int members, int events)
    {
        var c = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("群" + ws.Id.ToString("N")[..6], "sandbox"))).ReadAsync<CommunityDto>()).Id;
        await MessageRetentionTests.WithDbAsync(host.Services, ws.Id, async db =>
        {
            var now = DateTime.UtcNow;
            // Cases are unique by (event, rule) across workspaces: each workspace's made-up events get their own numbers.
            var seq = Random.Shared.NextInt64(1_000_000, 1_000_000_000);
            for (var i = 0; i < members; i++)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = "成员" + i };
                db.Add(m);
                db.Add(new MemberIdentity { WorkspaceId = ws.Id, MemberId = m.Id, Platform = ChatPlatform.Sandbox, UserId = "u" + i });
                db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = c, MemberId = m.Id, JoinedAt = now.AddDays(-i % 30) });
            }
            for (var i = 0; i < events; i++)
            {
                db.Add(new CommunityEvent
                {
                    WorkspaceId = ws.Id, Platform = ChatPlatform.Sandbox, PlatformEventId = "e" + i, Kind = EventKind.MessagePosted, OccurredAt = now.AddMinutes(-i),
                    ReceivedAt = now.AddMinutes(-i), CommunityId = c, UserId = "u" + i % members, MessageId = "m" + i, MessageKind = MessageKind.Text, Text = "话" + i,
                });
                if (i % 10 == 0)
                    db.Add(new ModerationCase { WorkspaceId = ws.Id, CommunityId = c, EventSeq = seq + i, Platform = ChatPlatform.Sandbox, UserId = "u" + i % members, Text = "案" + i, Rule = "ads", OccurredAt = now, CreatedAt = now });
            }
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });
    }
}
