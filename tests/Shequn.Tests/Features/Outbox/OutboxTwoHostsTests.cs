using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shequn.Connectors;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Outbox;

/// <summary>One of several app hosts on one PostgreSQL database, acting through the given connector.</summary>
public class SharedPostgresHost(string database, IConnector connector) : ShequnFactory
{
    internal static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public override string? Unavailable => new PostgresFactory().Unavailable;

    protected override string ConnectionString => new NpgsqlConnectionStringBuilder(PgServer ?? "Host=127.0.0.1") { Database = database }.ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (PgServer is not null)
            TestDatabases.CreatePostgresFromTemplate(PgServer, database);
        base.ConfigureWebHost(builder);
        // Small claims, so that the two hosts' claims interleave many times.
        builder.UseSetting("Outbox:BatchSize", "8");
        // Nodes sharing a database share the key ring, so they must share its key-encryption secret (ADR-007).
        builder.UseSetting(Shequn.Platform.KeyRing.KeyEncryptionSecrets.ConfigKey, "two-hosts-share-this-key-encryption-secret");
        builder.ConfigureTestServices(s => s.AddSingleton(connector));
    }
}

/// <summary>
/// Counts every call across hosts. A host's first call waits until the other host has made one too, so the two
/// hosts are certainly dispatching the queue at the same time (however fast one of them is).
/// </summary>
public sealed class TwoHostCounter
{
    private readonly TaskCompletionSource[] _started = [new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously)];

    public System.Collections.Concurrent.ConcurrentDictionary<Guid, int> Calls { get; } = new();
    public int[] ByHost { get; } = new int[2];

    public IConnector For(int host) => new HostConnector(this, host);

    private sealed class HostConnector(TwoHostCounter counter, int host) : IConnector
    {
        public ChatPlatform Platform => ChatPlatform.Sandbox;
        public IReadOnlySet<ActionKind> Capabilities { get; } = new HashSet<ActionKind> { ActionKind.Send };
        public RateLimits Limits => RateLimits.None;
        public bool DeduplicatesSends => false;

        public async Task<string?> ExecuteAsync(ConnectorCall call, CancellationToken ct)
        {
            counter.Calls.AddOrUpdate(call.ActionId, 1, (_, n) => n + 1);
            Interlocked.Increment(ref counter.ByHost[host]);
            counter._started[host].TrySetResult();
            await Task.WhenAll(counter._started[0].Task, counter._started[1].Task).WaitAsync(ct);
            return "m-" + call.ActionId.ToString("N");
        }
    }
}

public sealed class OutboxTwoHostsTests
{
    [Fact]
    public async Task TwoHostsOnOnePostgres_500QueuedActions_EachSentExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        var counter = new TwoHostCounter();
        var first = new SharedPostgresHost(database, counter.For(0));
        var second = new SharedPostgresHost(database, counter.For(1));
        try
        {
            var ws = await first.NewWorkspaceAsync(); // starts the first host, which creates the database
            _ = second.Services; // the second host starts on the migrated database
            var communities = new List<Guid>();
            for (var i = 0; i < 5; i++)
                communities.Add((await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity($"双机群{i}", "sandbox"))).ReadAsync<CommunityDto>()).Id);

            var ids = new List<Guid>();
            await using (var scope = first.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                db.Current.ActAsSystem(ws.Id);
                for (var i = 0; i < 500; i++)
                {
                    var a = OutboundAction.Create(ws.Id, communities[i % 5], ActionKind.Send, new ActionPayload(Text: $"第{i}条"), $"two-hosts:{i}");
                    db.Set<OutboundAction>().Add(a);
                    ids.Add(a.Id);
                }
                await db.SaveChangesWithoutAuditAsync(ct);
            }

            await using (var scope = second.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                while (await db.Set<OutboundAction>().IgnoreQueryFilters().CountAsync(a => a.WorkspaceId == ws.Id && a.Status == ActionStatus.Done, ct) < 500)
                    await Task.Delay(100, ct);
                Assert.Equal(0, await db.Set<OutboundAction>().IgnoreQueryFilters().CountAsync(a => a.WorkspaceId == ws.Id && a.Status != ActionStatus.Done, ct));
            }
            Assert.Equal(500, counter.Calls.Count);
            Assert.All(ids, id => Assert.Equal(1, counter.Calls[id]));
            Assert.All(counter.ByHost, n => Assert.True(n > 0)); // both hosts took part
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            if (SharedPostgresHost.PgServer is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var conn = new NpgsqlConnection(SharedPostgresHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }
}
