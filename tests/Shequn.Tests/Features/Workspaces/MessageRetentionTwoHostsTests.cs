using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Responses;
using Shequn.Features.Workspaces;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Workspaces;

/// <summary>
/// Two app hosts on one PostgreSQL running the retention pass together (two passes each, small batches): every old row is
/// cleared, the passes' counts add up to exactly the rows there were (each row cleared by one pass), no pass fails, and the
/// recent rows keep their words.
/// </summary>
public sealed class MessageRetentionTwoHostsTests
{
    private sealed class Host(string database) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0))
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            // The log is written straight to the table; retention only needs the readers' checkpoints past it.
            builder.UseSetting("Events:ProcessorEnabled", "false");
            builder.UseSetting("Images:Enabled", "false");
            builder.UseSetting("Retention:BatchSize", "50");
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoHostsTogether_EveryOldRowClearedExactlyOnce_RecentKept()
    {
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        Host[] hosts = [new(database), new(database)];
        try
        {
            var ws = await hosts[0].NewWorkspaceAsync();
            _ = hosts[1].Services;
            var c = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("两台保留期", "sandbox"))).ReadAsync<CommunityDto>()).Id;
            Assert.True((await ws.Owner.Api.PutJsonAsync("/api/workspace", new { keepMessageTextDays = 30 })).IsSuccessStatusCode);
            const int OldEvents = 3_000, OldRows = 600, Recent = 100;
            var now = DateTime.UtcNow;
            await MessageRetentionTests.WithDbAsync(hosts[0].Services, ws.Id, async db =>
            {
                for (var i = 0; i < OldEvents + Recent; i++)
                {
                    var at = i < OldEvents ? now.AddDays(-31 - i % 60) : now.AddDays(-1);
                    db.Add(new CommunityEvent
                    {
                        WorkspaceId = ws.Id, Platform = ChatPlatform.Sandbox, PlatformEventId = "e" + i, Kind = EventKind.MessagePosted, OccurredAt = at,
                        ReceivedAt = at, CommunityId = c, UserId = "u" + i % 40, MessageId = "m" + i, MessageKind = MessageKind.Text, Text = "话" + i,
                        MediaId = i % 3 == 0 ? "photo" + i : null,
                    });
                }
                for (var i = 0; i < OldRows + Recent; i++)
                {
                    var at = i < OldRows ? now.AddDays(-31 - i % 60) : now.AddDays(-1);
                    db.Add(new ModerationCase
                    {
                        WorkspaceId = ws.Id, CommunityId = c, EventSeq = i, Platform = ChatPlatform.Sandbox, UserId = "u" + i, Text = "案" + i, Rule = "ads",
                        OccurredAt = at, CreatedAt = at,
                    });
                    db.Add(new MemberQuestion
                    {
                        WorkspaceId = ws.Id, CommunityId = c, MemberId = Guid.NewGuid(), Platform = ChatPlatform.Sandbox, UserId = "u" + i, EventSeq = i,
                        Text = "问" + i, AskedAt = at,
                    });
                }
                await db.SaveChangesWithoutAuditAsync(Ct);
                var last = await db.Set<CommunityEvent>().MaxAsync(e => e.Seq, Ct);
                await db.Set<EventCheckpoint>().Where(x => x.Name == EventProcessor.CheckpointName || x.Name == Shequn.Features.Images.ImageInspector.CheckpointName)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Seq, last), Ct);
                return 0;
            });

            var passes = await Task.WhenAll(hosts.SelectMany(h => Enumerable.Range(0, 2).Select(_ =>
                Task.Run(() => h.Services.GetRequiredService<MessageRetention>().RunOnceAsync(Ct), Ct))));

            Assert.Equal(OldEvents, passes.Sum(p => p.Events));
            Assert.Equal(OldRows, passes.Sum(p => p.Cases));
            Assert.Equal(OldRows, passes.Sum(p => p.Questions));
            // Both hosts did part of the work.
            Assert.True(passes[..2].Sum(p => p.Total) > 0 && passes[2..].Sum(p => p.Total) > 0,
                string.Join(", ", passes.Select(p => p.Total)));
            await MessageRetentionTests.WithDbAsync(hosts[1].Services, ws.Id, async db =>
            {
                var cutoff = now.AddDays(-30);
                Assert.Equal(0, await db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id && e.OccurredAt < cutoff && (e.Text != null || e.MediaId != null), Ct));
                Assert.Equal(Recent, await db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id && e.OccurredAt > cutoff && e.Text != null, Ct));
                Assert.Equal(OldEvents + Recent, await db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id, Ct));
                Assert.Equal(0, await db.Set<ModerationCase>().CountAsync(x => x.OccurredAt < cutoff && x.Text != null, Ct));
                Assert.Equal(Recent, await db.Set<ModerationCase>().CountAsync(x => x.Text != null, Ct));
                Assert.Equal(0, await db.Set<MemberQuestion>().CountAsync(x => x.AskedAt < cutoff && x.Text != "", Ct));
                Assert.Equal(Recent, await db.Set<MemberQuestion>().CountAsync(x => x.Text != "", Ct));
                return 0;
            });
            // Again on both: nothing left.
            var again = await Task.WhenAll(hosts.Select(h => Task.Run(() => h.Services.GetRequiredService<MessageRetention>().RunOnceAsync(Ct), Ct)));
            Assert.All(again, p => Assert.Equal(0, p.Total));
        }
        finally
        {
            await hosts[0].DisposeAsync();
            await hosts[1].DisposeAsync();
            if (Outbox.SharedPostgresHost.PgServer is { } server)
                await TestDatabases.DropPostgresAsync(server, database);
        }
    }
}
