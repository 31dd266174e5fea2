using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Workspaces;
using Shequn.Platform.Localization;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Enforcement;

/// <summary>No processor or dispatcher of its own: tests step the processor (and a second one, as another node).</summary>
public sealed class SteppedEnforcementSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Enforcement:Enabled", "true");
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

public sealed class SteppedEnforcementPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Enforcement:Enabled", "true");
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

/// <summary>A case and its actions are made once: across a crash inside the processor's transaction, and on another node.</summary>
public abstract class EnforcementCrashTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(Guid Ws, Guid Community)> SetupAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("崩溃群", "sandbox"))).ReadAsync<CommunityDto>();
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

    private static CommunityEvent Post(Guid ws, Guid community, string user, string text)
    {
        var e = SandboxChat.New(ws, community, EventKind.MessagePosted, user, user);
        e.Text = text;
        e.MessageId = e.PlatformEventId;
        return e;
    }

    private async Task<(List<ModerationCase> Cases, List<OutboundAction> Actions)> ReadAsync(Guid ws)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return (await db.Set<ModerationCase>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws).OrderBy(c => c.EventSeq).ToListAsync(Ct),
            await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => a.WorkspaceId == ws).ToListAsync(Ct));
    }

    /// <summary>A second node: its own processor and enforcer (windows, lists of names) on the same database.</summary>
    private (EventProcessor Processor, ActivityWindows Windows) AnotherNode()
    {
        var s = factory.Services;
        var windows = new ActivityWindows(s.GetRequiredService<IOptions<EnforcementOptions>>());
        var enforcer = new Enforcer(new RuleSetDirectory(TimeProvider.System, NullLogger<RuleSetDirectory>.Instance), windows,
            s.GetRequiredService<ModerationEngines>(), s.GetRequiredService<JsonStringLocalizerFactory>(), TimeProvider.System,
            s.GetRequiredService<IOptions<EnforcementOptions>>(), NullLogger<Enforcer>.Instance);
        return (new EventProcessor(s.GetRequiredService<IServiceScopeFactory>(), new EventLogSignal(), s.GetRequiredService<WorkspaceZones>(),
            s.GetRequiredService<OutboxReactions>(), enforcer, s.GetServices<IBatchReaction>(), NullLogger<EventProcessor>.Instance), windows);
    }

    [Fact]
    public async Task AWaitingAnnouncement_NamesEveryRemoval_AcrossBatchesAndNodes_TwentyByName()
    {
        var (ws, community) = await SetupAsync();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Set<RuleSet>().Add(new RuleSet { WorkspaceId = ws, Name = "默认", IsDefault = true, Spec = new RuleSetSpec { Ladder = [new(LadderAction.Remove)] }.ToJson() });
            await db.SaveChangesWithoutAuditAsync(Ct);
            factory.Services.GetRequiredService<RuleSetDirectory>().Invalidate(ws);
        }
        var node = factory.Services.GetRequiredService<EventProcessor>();
        var (other, _) = AnotherNode();
        async Task RemoveAsync(EventProcessor by, params int[] people)
        {
            await IngestAsync([.. people.Select(p => Post(ws, community, $"p{p:D2}", EnforcementRulesTests.Ad + p))]);
            await DrainAsync(by);
        }
        // The announcement waits (a minute by default, and no dispatcher here) while removals come in: in one batch, in the
        // next (this node remembers whom it names), on another node (which reads them from the case log), and back here
        // (which must not trust what it remembered: the other node's batch came in between).
        await RemoveAsync(node, 1, 2, 3);
        await RemoveAsync(node, 4);
        await RemoveAsync(other, 5);
        await RemoveAsync(node, [.. Enumerable.Range(6, 20)]);

        var (cases, actions) = await ReadAsync(ws);
        Assert.Equal(25, cases.Count(c => c.Action == LadderAction.Remove));
        var announcement = Assert.Single(actions, a => a.IdempotencyKey.StartsWith(Enforcer.AnnouncementKeyPrefix, StringComparison.Ordinal));
        var text = ActionPayload.FromJson(announcement.Payload).Text!;
        Assert.All(Enumerable.Range(1, EnforcementWords.NamedInAnnouncement), p => Assert.Contains($"p{p:D2}", text, StringComparison.Ordinal));
        Assert.DoesNotContain("p21", text, StringComparison.Ordinal);
        Assert.Contains("等 25 人", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneBatch_WithTwoWorkspaces_IsAppliedWholeAndEachGetsItsCase()
    {
        var (ws1, c1) = await SetupAsync();
        var (ws2, c2) = await SetupAsync();
        await IngestAsync(Post(ws1, c1, "sbx-two-a", EnforcementRulesTests.Ad), Post(ws2, c2, "sbx-two-b", EnforcementRulesTests.Ad),
            Post(ws1, c1, "sbx-two-c", "大家好"));

        // One batch, not the one-by-one retry: the rules must leave the context as they found it for the final save.
        Assert.Equal(3, await factory.Services.GetRequiredService<EventProcessor>().ProcessBatchAsync(EventProcessor.BatchSize, oneByOne: false, Ct));

        Assert.Single((await ReadAsync(ws1)).Cases);
        Assert.Single((await ReadAsync(ws2)).Cases);
    }

    [Fact]
    public async Task ABatchRolledBackAfterEnforcing_IsEnforcedOnceWhenReadAgain()
    {
        var (ws, community) = await SetupAsync();
        await IngestAsync(SandboxChat.New(ws, community, EventKind.MemberJoined, "sbx-crash", "Crash"),
            Post(ws, community, "sbx-crash", EnforcementRulesTests.Ad));

        // The processor's work up to the commit, then a crash: nothing of it may remain.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var checkpoint = await db.Set<EventCheckpoint>().Where(c => c.Name == EventProcessor.CheckpointName).Select(c => c.Seq).SingleAsync(Ct);
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            var events = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.Seq > checkpoint).OrderBy(e => e.Seq).ToListAsync(Ct);
            var effects = new EventEffects(db, factory.Services.GetRequiredService<WorkspaceZones>());
            await effects.ApplyAsync(events, Ct);
            var added = await factory.Services.GetRequiredService<Enforcer>().EnforceAsync(db, checkpoint, events, effects, Ct);
            Assert.Equal(2, added);
            await db.SaveChangesWithoutAuditAsync(Ct);
            await effects.WriteCountsAsync(Ct);
            await tx.RollbackAsync(Ct);
        }
        var (none, noActions) = await ReadAsync(ws);
        Assert.Empty(none);
        Assert.Empty(noActions);

        var processor = factory.Services.GetRequiredService<EventProcessor>();
        Assert.Equal(2, await DrainAsync(processor));
        Assert.Equal(0, await DrainAsync(processor));
        var (cases, actions) = await ReadAsync(ws);
        var c = Assert.Single(cases);
        Assert.Equal((1, LadderAction.Delete), (c.Violations, c.Action));
        Assert.Equal(2, actions.Count);
        Assert.All(actions, a => Assert.Equal(c.EventSeq, a.CausedByEventSeq));
    }

    [Fact]
    public async Task AnotherNode_PrimesItsWindowsFromTheLog_AndCountsTheSameFlood()
    {
        var (ws, community) = await SetupAsync();
        for (var i = 0; i < 5; i++)
            await IngestAsync(Post(ws, community, "sbx-flood", "第" + i + "条"));
        await DrainAsync(factory.Services.GetRequiredService<EventProcessor>());

        // A second node that saw none of those five: its windows come from the log.
        var (other, windows) = AnotherNode();
        await IngestAsync(Post(ws, community, "sbx-flood", "第5条"), Post(ws, community, "sbx-flood", "第6条"));
        Assert.Equal(2, await DrainAsync(other));

        var c = Assert.Single((await ReadAsync(ws)).Cases);
        Assert.Equal((Rules.Flood, "第6条"), (c.Rule, c.Text));
        Assert.True(windows.Count >= 7);
    }
}

public sealed class EnforcementCrashSqliteTests(SteppedEnforcementSqliteFactory factory) : EnforcementCrashTests(factory), IClassFixture<SteppedEnforcementSqliteFactory>;

public sealed class EnforcementCrashPostgresTests(SteppedEnforcementPostgresFactory factory) : EnforcementCrashTests(factory), IClassFixture<SteppedEnforcementPostgresFactory>;
