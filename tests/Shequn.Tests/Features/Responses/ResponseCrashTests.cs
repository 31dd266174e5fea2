using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Responses;
using Shequn.Features.Sandbox;
using Shequn.Features.Workspaces;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Responses;

/// <summary>No processor of its own: tests step the processor (and a second one, as another app process).</summary>
public sealed class SteppedResponsesSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

public sealed class SteppedResponsesPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

/// <summary>Questions and answers live only in the database, written in the processor's transaction: a crash before the
/// commit leaves nothing, and another process continues where the first left off.</summary>
public abstract class ResponseCrashTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid Ws, Guid Community)> SetupAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("断电群", "sandbox"))).ReadAsync<CommunityDto>();
        await DrainAsync(factory.Services.GetRequiredService<EventProcessor>());
        return (ws.Id, c.Id);
    }

    private static async Task<int> DrainAsync(EventProcessor processor)
    {
        var total = 0;
        int n;
        while ((n = await processor.ProcessBatchAsync(EventProcessor.BatchSize, oneByOne: false, Ct)) > 0)
            total += n;
        return total;
    }

    private async Task IngestAsync(params CommunityEvent[] events) => await factory.Services.GetRequiredService<EventIngestor>().IngestAsync(events, Ct);

    private static CommunityEvent Post(Guid ws, Guid community, string user, string text, DateTime at, bool staff = false)
    {
        var e = SandboxChat.New(ws, community, EventKind.MessagePosted, user, user);
        e.Text = text;
        e.MessageId = e.PlatformEventId;
        e.OccurredAt = at;
        e.FromStaff = staff;
        return e;
    }

    private async Task<List<MemberQuestion>> QuestionsAsync(Guid ws)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<MemberQuestion>().IgnoreQueryFilters().AsNoTracking().Where(q => q.WorkspaceId == ws).OrderBy(q => q.AskedAt).ToListAsync(Ct);
    }

    [Fact]
    public async Task ABatchRolledBackAfterTracking_LeavesNothing_AndIsTrackedOnceWhenReadAgain()
    {
        var (ws, community) = await SetupAsync();
        var t = DateTime.UtcNow.AddMinutes(-20);
        await IngestAsync(Post(ws, community, "m-1", "快递到上海要几天？", t), Post(ws, community, "staff-1", "两天左右", t.AddSeconds(45), staff: true));

        // The processor's work up to the commit, then a crash: nothing of it may remain.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var checkpoint = await db.Set<EventCheckpoint>().Where(c => c.Name == EventProcessor.CheckpointName).Select(c => c.Seq).SingleAsync(Ct);
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            var events = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.Seq > checkpoint).OrderBy(e => e.Seq).ToListAsync(Ct);
            var effects = new EventEffects(db, factory.Services.GetRequiredService<WorkspaceZones>());
            await effects.ApplyAsync(events, Ct);
            var tracker = factory.Services.GetServices<IBatchReaction>().OfType<ResponseTracker>().Single();
            await tracker.ReactAsync(db, events, effects, Ct);
            // Written into the batch's transaction already, answered by the staff message of the same batch.
            var written = Assert.Single(await db.Set<MemberQuestion>().IgnoreQueryFilters().AsNoTracking().Where(q => q.WorkspaceId == ws).ToListAsync(Ct));
            Assert.NotNull(written.AnsweredAt);
            await db.SaveChangesWithoutAuditAsync(Ct);
            await tx.RollbackAsync(Ct);
        }
        Assert.Empty(await QuestionsAsync(ws));

        var processor = factory.Services.GetRequiredService<EventProcessor>();
        Assert.Equal(2, await DrainAsync(processor));
        Assert.Equal(0, await DrainAsync(processor));
        var q = Assert.Single(await QuestionsAsync(ws));
        Assert.Equal((45, "staff-1"), (q.AnswerSeconds, q.AnsweredByUserId));
    }

    [Fact]
    public async Task AnotherProcess_AnswersTheQuestionTheFirstRecorded()
    {
        var (ws, community) = await SetupAsync();
        var t = DateTime.UtcNow.AddMinutes(-30);
        await IngestAsync(Post(ws, community, "m-1", "有没有发票", t), Post(ws, community, "m-2", "怎么退货", t.AddMinutes(1)));
        Assert.Equal(2, await DrainAsync(factory.Services.GetRequiredService<EventProcessor>()));

        // A second app process: its own processor, nothing in memory from the first.
        var s = factory.Services;
        var other = new EventProcessor(s.GetRequiredService<IServiceScopeFactory>(), new EventLogSignal(), s.GetRequiredService<WorkspaceZones>(),
            s.GetRequiredService<OutboxReactions>(), s.GetRequiredService<Enforcer>(), [new ResponseTracker(s.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ResponsesOptions>>())],
            NullLogger<EventProcessor>.Instance);
        await IngestAsync(Post(ws, community, "staff-1", "可以开", t.AddMinutes(2), staff: true), Post(ws, community, "staff-2", "订单页申请", t.AddMinutes(3), staff: true));
        Assert.Equal(2, await DrainAsync(other));

        var questions = await QuestionsAsync(ws);
        Assert.Equal([("有没有发票", 120, "staff-1"), ("怎么退货", 120, "staff-2")],
            questions.Select(q => (q.Text, q.AnswerSeconds ?? -1, q.AnsweredByUserId ?? "")));
    }
}

public sealed class ResponseCrashSqliteTests(SteppedResponsesSqliteFactory factory) : ResponseCrashTests(factory), IClassFixture<SteppedResponsesSqliteFactory>;

public sealed class ResponseCrashPostgresTests(SteppedResponsesPostgresFactory factory) : ResponseCrashTests(factory), IClassFixture<SteppedResponsesPostgresFactory>;
