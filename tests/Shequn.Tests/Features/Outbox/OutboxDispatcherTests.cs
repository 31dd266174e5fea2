using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shequn.Connectors;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Outbox;

/// <summary>A connector that does what each action's script says (succeed by default) and counts the calls.</summary>
public sealed class ScriptedConnector(ChatPlatform platform, RateLimits limits) : IConnector
{
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<Exception?>> _scripts = new();
    public ConcurrentDictionary<Guid, int> Calls { get; } = new();

    public ChatPlatform Platform => platform;
    public IReadOnlySet<ActionKind> Capabilities { get; } = Enum.GetValues<ActionKind>().Where(k => k != ActionKind.MassSend).ToHashSet();
    public RateLimits Limits => limits;
    public bool DeduplicatesSends => false;

    /// <summary>The outcomes of the next calls for this action: an exception to throw, or null to succeed.</summary>
    public void Script(Guid actionId, params Exception?[] outcomes) => _scripts[actionId] = new ConcurrentQueue<Exception?>(outcomes);

    /// <summary>Script it to make the call never answer (until the dispatcher gives up on it).</summary>
    public static readonly Exception Hang = new TimeoutException("hangs");

    public async Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct)
    {
        Calls.AddOrUpdate(call.ActionId, 1, (_, n) => n + 1);
        if (_scripts.TryGetValue(call.ActionId, out var q) && q.TryDequeue(out var outcome) && outcome is not null)
        {
            if (ReferenceEquals(outcome, Hang))
                await Task.Delay(Timeout.Infinite, ct);
            throw outcome;
        }
        return "msg-" + call.ActionId.ToString("N")[..8];
    }
}

/// <summary>A test-only reaction: welcomes joiners whose name starts with "welcome-me"; can be told to fail once.</summary>
public sealed class WelcomeReaction : IEventReaction
{
    private volatile bool _failNext;

    public bool FailNext { get => _failNext; set => _failNext = value; }

    public string Name => "test-welcome";

    public IEnumerable<ReactionAction> React(CommunityEvent e, Community community)
    {
        if (e.Kind != EventKind.MemberJoined || e.UserName?.StartsWith("welcome-me", StringComparison.Ordinal) != true)
            return [];
        if (_failNext)
        {
            _failNext = false;
            throw new InvalidOperationException("simulated crash inside the processor's transaction");
        }
        return [new ReactionAction(ActionKind.Send, new ActionPayload(Text: $"欢迎 {e.UserName}"))];
    }
}

/// <summary>A host whose own dispatcher stays idle, so tests step dispatchers themselves; it has the test reaction.</summary>
public sealed class QuietOutboxSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
        builder.ConfigureTestServices(s => s.AddSingleton<WelcomeReaction>().AddSingleton<IEventReaction>(sp => sp.GetRequiredService<WelcomeReaction>()));
    }
}

public sealed class QuietOutboxPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
        builder.ConfigureTestServices(s => s.AddSingleton<WelcomeReaction>().AddSingleton<IEventReaction>(sp => sp.GetRequiredService<WelcomeReaction>()));
    }
}

public abstract class OutboxDispatcherTests(ShequnFactory factory)
{
    // Whole seconds: PostgreSQL keeps microseconds, so a clock with ticks would not read back equal.
    private readonly ManualClock _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).AddMinutes(5));
    private readonly ScriptedConnector _connector = new(ChatPlatform.Telegram, RateLimits.None);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OutboxDispatcher Dispatcher(OutboxOptions? options = null, RateLimits? limits = null) => new(
        factory.Services.GetRequiredService<IServiceScopeFactory>(),
        new ConnectorRegistry([limits is null ? _connector : new LimitedConnector(_connector, limits)]),
        new OutboxRateLimiter(_clock), _clock, new OutboxSignal(),
        Options.Create(options ?? new OutboxOptions()), NullLogger<OutboxDispatcher>.Instance);

    private sealed class LimitedConnector(ScriptedConnector inner, RateLimits limits) : IConnector
    {
        public ChatPlatform Platform => inner.Platform;
        public IReadOnlySet<ActionKind> Capabilities => inner.Capabilities;
        public RateLimits Limits => limits;
        public bool DeduplicatesSends => false;
        public Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct) => inner.ExecuteAsync(call, ct);
    }

    private async Task<(TestWorkspace Ws, Guid Community)> CommunityAsync(string platform = "telegram")
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("派发群", platform))).ReadAsync<CommunityDto>();
        return (ws, c.Id);
    }

    private async Task<Guid> QueueAsync(Guid ws, Guid community, ActionKind kind, Action<OutboundAction>? tweak = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        var a = OutboundAction.Create(ws, community, kind, new ActionPayload(Text: "hi", MessageId: "m1", UserId: "u1"), "t:" + Guid.NewGuid().ToString("N"));
        a.NextAttemptAt = _clock.Now.UtcDateTime;
        tweak?.Invoke(a);
        db.Set<OutboundAction>().Add(a);
        await db.SaveChangesWithoutAuditAsync(Ct);
        return a.Id;
    }

    private async Task<OutboundAction> ReadAsync(Guid id)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == id, Ct);
    }

    [Fact]
    public async Task Dispatch_TransientTwice_BacksOffExponentiallyThenDone()
    {
        var (ws, community) = await CommunityAsync();
        var id = await QueueAsync(ws.Id, community, ActionKind.Send);
        _connector.Script(id, new ConnectorException(ErrorCategory.Transient, "Bad Gateway"), new HttpRequestException("connection reset"), null);
        var dispatcher = Dispatcher();
        var t0 = _clock.Now.UtcDateTime;

        await dispatcher.DispatchOnceAsync(Ct);
        var first = await ReadAsync(id);
        Assert.Equal((ActionStatus.Queued, 1, ErrorCategory.Transient, "Bad Gateway", t0.AddSeconds(2)), (first.Status, first.Attempts, first.ErrorCategory, first.Error, first.NextAttemptAt));

        _clock.Advance(TimeSpan.FromSeconds(1));
        await dispatcher.DispatchOnceAsync(Ct);
        Assert.Equal(1, _connector.Calls[id]); // not due yet

        _clock.Advance(TimeSpan.FromSeconds(1));
        await dispatcher.DispatchOnceAsync(Ct);
        var second = await ReadAsync(id);
        Assert.Equal((ActionStatus.Queued, 2, ErrorCategory.Transient, t0.AddSeconds(2 + 4)), (second.Status, second.Attempts, second.ErrorCategory, second.NextAttemptAt));

        _clock.Advance(TimeSpan.FromSeconds(4));
        await dispatcher.DispatchOnceAsync(Ct);
        var done = await ReadAsync(id);
        Assert.Equal((ActionStatus.Done, 3, (ErrorCategory?)null, (string?)null, 3), (done.Status, done.Attempts, done.ErrorCategory, done.Error, _connector.Calls[id]));
        Assert.NotNull(done.PlatformIds);
    }

    [Fact]
    public async Task Dispatch_RateLimited_ObeysRetryAfterWithoutSpendingAnAttempt()
    {
        var (ws, community) = await CommunityAsync();
        var id = await QueueAsync(ws.Id, community, ActionKind.Send);
        _connector.Script(id, new ConnectorException(ErrorCategory.RateLimited, "Too Many Requests: retry after 17", TimeSpan.FromSeconds(17)));
        var dispatcher = Dispatcher(new OutboxOptions { MaxAttempts = 1 });
        var t0 = _clock.Now.UtcDateTime;

        await dispatcher.DispatchOnceAsync(Ct);
        var waiting = await ReadAsync(id);
        Assert.Equal((ActionStatus.Queued, 0, ErrorCategory.RateLimited, t0.AddSeconds(17)), (waiting.Status, waiting.Attempts, waiting.ErrorCategory, waiting.NextAttemptAt));

        _clock.Advance(TimeSpan.FromSeconds(17));
        await dispatcher.DispatchOnceAsync(Ct);
        Assert.Equal(ActionStatus.Done, (await ReadAsync(id)).Status);
    }

    [Fact]
    public async Task Dispatch_ErrorCategories_AuthConfigurationPermanentFailUnknownIsTransient()
    {
        var (ws, community) = await CommunityAsync();
        var dispatcher = Dispatcher();
        var cases = new (Exception Error, ActionStatus Status, ErrorCategory Category)[]
        {
            (new ConnectorException(ErrorCategory.Auth, "Unauthorized"), ActionStatus.Failed, ErrorCategory.Auth),
            (new ConnectorException(ErrorCategory.Configuration, "Bad Request: not enough rights"), ActionStatus.Failed, ErrorCategory.Configuration),
            (new ConnectorException(ErrorCategory.Permanent, "Bad Request: message to delete not found"), ActionStatus.Failed, ErrorCategory.Permanent),
            (new InvalidOperationException("something nobody expected"), ActionStatus.Queued, ErrorCategory.Transient),
        };
        var ids = new List<Guid>();
        foreach (var c in cases)
        {
            var id = await QueueAsync(ws.Id, community, ActionKind.DeleteMessage);
            _connector.Script(id, c.Error);
            ids.Add(id);
        }

        await dispatcher.DispatchOnceAsync(Ct);

        for (var i = 0; i < cases.Length; i++)
        {
            var a = await ReadAsync(ids[i]);
            Assert.Equal((cases[i].Status, cases[i].Category, cases[i].Error.Message, 1), (a.Status, a.ErrorCategory!.Value, a.Error, a.Attempts));
        }
    }

    [Fact]
    public async Task Dispatch_TransientUpToMaxAttempts_Fails()
    {
        var (ws, community) = await CommunityAsync();
        var id = await QueueAsync(ws.Id, community, ActionKind.Ban);
        _connector.Script(id, new ConnectorException(ErrorCategory.Transient, "timeout"), new ConnectorException(ErrorCategory.Transient, "timeout again"));
        var dispatcher = Dispatcher(new OutboxOptions { MaxAttempts = 2 });

        await dispatcher.DispatchOnceAsync(Ct);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await dispatcher.DispatchOnceAsync(Ct);

        var a = await ReadAsync(id);
        Assert.Equal((ActionStatus.Failed, 2, ErrorCategory.Transient, "timeout again"), (a.Status, a.Attempts, a.ErrorCategory, a.Error));
        Assert.NotNull(a.CompletedAt);
    }

    [Fact]
    public async Task Dispatch_NoAnswerInTime_SendBecomesUncertainDeleteIsRetried()
    {
        var (ws, community) = await CommunityAsync();
        var send = await QueueAsync(ws.Id, community, ActionKind.Send);
        var delete = await QueueAsync(ws.Id, community, ActionKind.DeleteMessage);
        _connector.Script(send, ScriptedConnector.Hang);
        _connector.Script(delete, ScriptedConnector.Hang);

        await Dispatcher(new OutboxOptions { CallTimeout = TimeSpan.FromMilliseconds(50) }).DispatchOnceAsync(Ct);

        var uncertain = await ReadAsync(send);
        Assert.Equal((ActionStatus.Uncertain, 1), (uncertain.Status, uncertain.Attempts));
        var retried = await ReadAsync(delete);
        Assert.Equal((ActionStatus.Queued, 1, ErrorCategory.Transient), (retried.Status, retried.Attempts, retried.ErrorCategory));
        _clock.Advance(TimeSpan.FromSeconds(2));
        await Dispatcher().DispatchOnceAsync(Ct);
        Assert.Equal((ActionStatus.Done, ActionStatus.Uncertain, 1), ((await ReadAsync(delete)).Status, (await ReadAsync(send)).Status, _connector.Calls[send]));
    }

    [Fact]
    public async Task Dispatch_PerChatLimit_SecondSendWaitsItsTurn()
    {
        var (ws, community) = await CommunityAsync();
        // The one due first is queued last (a later id): it still goes first, by when it fell due, not by how the
        // database happens to return the claimed rows.
        var second = await QueueAsync(ws.Id, community, ActionKind.Send);
        await Task.Delay(5, Ct);
        var first = await QueueAsync(ws.Id, community, ActionKind.Send, a => a.NextAttemptAt = a.NextAttemptAt.AddMilliseconds(-1));
        var dispatcher = Dispatcher(new OutboxOptions { Concurrency = 1 }, new RateLimits(1, null, null));

        await dispatcher.DispatchOnceAsync(Ct);

        Assert.Equal(ActionStatus.Done, (await ReadAsync(first)).Status);
        var waiting = await ReadAsync(second);
        Assert.Equal((ActionStatus.Queued, 0, _clock.Now.UtcDateTime.AddSeconds(1)), (waiting.Status, waiting.Attempts, waiting.NextAttemptAt));
        Assert.False(_connector.Calls.ContainsKey(second));
    }

    [Fact]
    public async Task Dispatch_PerChatLimit_DoesNotHoldBackDeletes()
    {
        var (ws, community) = await CommunityAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
            ids.Add(await QueueAsync(ws.Id, community, ActionKind.DeleteMessage));

        await Dispatcher(new OutboxOptions { Concurrency = 1 }, new RateLimits(1, 20, 30)).DispatchOnceAsync(Ct);

        foreach (var id in ids)
            Assert.Equal(ActionStatus.Done, (await ReadAsync(id)).Status);
    }

    [Fact]
    public async Task ExpiredLease_InterruptedSend_BecomesUncertainAndIsNotResent()
    {
        var (ws, community) = await CommunityAsync();
        var id = await QueueAsync(ws.Id, community, ActionKind.Send, a => (a.Status, a.LeaseOwner, a.LeaseUntil) = (ActionStatus.Sending, "dead-node", _clock.Now.UtcDateTime.AddSeconds(-1)));

        await Dispatcher().DispatchOnceAsync(Ct);
        await Dispatcher().DispatchOnceAsync(Ct);

        var a = await ReadAsync(id);
        Assert.Equal((ActionStatus.Uncertain, (string?)null), (a.Status, a.LeaseOwner));
        Assert.False(_connector.Calls.ContainsKey(id));
    }

    [Fact]
    public async Task ExpiredLease_InterruptedDelete_IsRetriedOnce()
    {
        var (ws, community) = await CommunityAsync();
        var id = await QueueAsync(ws.Id, community, ActionKind.DeleteMessage, a => (a.Status, a.LeaseOwner, a.LeaseUntil) = (ActionStatus.Sending, "dead-node", _clock.Now.UtcDateTime.AddSeconds(-1)));
        var live = await QueueAsync(ws.Id, community, ActionKind.DeleteMessage, a => (a.Status, a.LeaseOwner, a.LeaseUntil) = (ActionStatus.Sending, "live-node", _clock.Now.UtcDateTime.AddSeconds(30)));

        await Dispatcher().DispatchOnceAsync(Ct);
        await Dispatcher().DispatchOnceAsync(Ct);

        Assert.Equal((ActionStatus.Done, 1), ((await ReadAsync(id)).Status, _connector.Calls[id]));
        Assert.Equal((ActionStatus.Sending, "live-node"), ((await ReadAsync(live)).Status, (await ReadAsync(live)).LeaseOwner)); // a lease still running is left alone
    }

    [Fact]
    public async Task ExpiredLease_SandboxSendThatHadGoneOut_IsRetriedAndShownOnce()
    {
        var (ws, community) = await CommunityAsync("sandbox");
        var id = await QueueAsync(ws.Id, community, ActionKind.Send, a =>
            (a.Status, a.LeaseOwner, a.LeaseUntil, a.NextAttemptAt) = (ActionStatus.Sending, "dead-node", DateTime.UtcNow.AddSeconds(-1), DateTime.UtcNow));
        var sandbox = factory.Services.GetServices<IConnector>().Single(c => c.Platform == ChatPlatform.Sandbox);
        // The dead node's call had reached the chat before it died.
        await sandbox.ExecuteAsync(new ConnectorCall(id, ws.Id, community, null, ActionKind.Send, new ActionPayload(Text: "hi")), Ct);

        // A fresh dispatcher of this host (real connectors, real clock).
        await ActivatorUtilities.CreateInstance<OutboxDispatcher>(factory.Services).DispatchOnceAsync(Ct);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        Assert.Equal(ActionStatus.Done, (await ReadAsync(id)).Status);
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        Assert.Equal("hi", Assert.Single(await scope.ServiceProvider.GetRequiredService<SandboxChat>().RecentAsync(community, 10, Ct)).Text);
    }

    [Fact]
    public async Task Reaction_OnJoin_WrittenWithTheCheckpointAndShownInTheSandboxChat()
    {
        var (ws, community) = await CommunityAsync("sandbox");
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();

        await chat.JoinAsync(community, "welcome-me Alice", null, Ct);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var join = await db.Set<CommunityEvent>().SingleAsync(e => e.CommunityId == community && e.Kind == EventKind.MemberJoined, Ct);
        var action = await db.Set<OutboundAction>().AsNoTracking().SingleAsync(a => a.CommunityId == community, Ct);
        Assert.Equal((join.Seq, ActionKind.Send, ActionStatus.Queued), (action.CausedByEventSeq, action.Kind, action.Status));

        // The host's own dispatcher (real Sandbox connector), stepped by hand.
        while (await factory.Services.GetRequiredService<OutboxDispatcher>().DispatchOnceAsync(Ct) > 0)
        {
        }
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var lines = await chat.RecentAsync(community, 10, Ct);
        Assert.Equal(("欢迎 welcome-me Alice", true), (lines[^1].Text, lines[^1].FromStaff));
    }

    [Fact]
    public async Task Reaction_BatchFailsAfterTheReaction_NoActionIsKeptAndTheRetryWritesExactlyOne()
    {
        var (ws, community) = await CommunityAsync("sandbox");
        factory.Services.GetRequiredService<WelcomeReaction>().FailNext = true;
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);

        await scope.ServiceProvider.GetRequiredService<SandboxChat>().JoinAsync(community, "welcome-me Bob", null, Ct);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        Assert.False(factory.Services.GetRequiredService<WelcomeReaction>().FailNext); // it did fail once
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal("欢迎 welcome-me Bob", ActionPayload.FromJson(Assert.Single(await db.Set<OutboundAction>().Where(a => a.CommunityId == community).ToListAsync(Ct)).Payload).Text);
    }
}

public sealed class OutboxDispatcherTests_Sqlite(QuietOutboxSqliteFactory factory) : OutboxDispatcherTests(factory), IClassFixture<QuietOutboxSqliteFactory>;

public sealed class OutboxDispatcherTests_Postgres(QuietOutboxPostgresFactory factory) : OutboxDispatcherTests(factory), IClassFixture<QuietOutboxPostgresFactory>;
