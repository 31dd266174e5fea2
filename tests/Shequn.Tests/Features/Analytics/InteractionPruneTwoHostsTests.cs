using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>Two app hosts on one PostgreSQL, each forgetting old message ids every second (the shortest allowed) and
/// also by hand at the same moment: every old row is deleted by exactly one pass, recent rows stay, no pass fails.</summary>
public sealed partial class InteractionPruneTwoHostsTests
{
    /// <summary>The prune's lines of one host: how many rows each pass deleted, and any error.</summary>
    private sealed class PruneLog : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<int> Deleted { get; } = new();
        public ConcurrentQueue<string> Errors { get; } = new();
        public ILogger CreateLogger(string categoryName) => categoryName == typeof(InteractionPrune).FullName ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            if (logLevel >= LogLevel.Warning)
                Errors.Enqueue(line + " " + exception);
            else if (Count().Match(line) is { Success: true } m)
                Deleted.Enqueue(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        public void Dispose() { }
    }

    [GeneratedRegex(@"^Forgot (\d+) ")]
    private static partial Regex Count();

    private sealed class Host(string database, PruneLog log) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0))
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Analytics:PruneEnabled", "true");
            builder.UseSetting("Analytics:PruneInterval", "00:00:01");
            builder.UseSetting("Logging:LogLevel:Shequn.Features.Analytics.InteractionPrune", "Information");
            builder.ConfigureLogging(l => l.AddProvider(log));
        }
    }

    [Fact]
    public async Task TwoHostsPruning_OldAndRecentMessageIds_EachOldRowDeletedOnceRecentKept()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        PruneLog[] logs = [new(), new()];
        var first = new Host(database, logs[0]);
        var second = new Host(database, logs[1]);
        try
        {
            var ws = await first.NewWorkspaceAsync();
            _ = second.Services;
            // More than two batches of old rows over three communities, so that passes of both hosts overlap.
            const int old = 2 * InteractionPrune.BatchSize + 1_234, recent = 300;
            Guid[] communities = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];
            await using (var scope = first.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                // One statement, so that no pass sees half of the fixture.
                await db.Database.ExecuteSqlRawAsync("""
                    INSERT INTO "InteractionMessages" ("CommunityId", "MessageId", "WorkspaceId", "MemberId", "At")
                    SELECT (ARRAY[{0}, {1}, {2}])[1 + i % 3], 'm-' || i, {3}, {4}, CASE WHEN i < {5} THEN {6} ELSE {7} END
                    FROM generate_series(0, {8} - 1) AS i
                    """,
                    [communities[0], communities[1], communities[2], ws.Id, Guid.NewGuid(), old,
                        DateTime.UtcNow.AddDays(-40), DateTime.UtcNow.AddDays(-1), old + recent], ct);
            }

            // Passes by hand on both hosts at once as well as the background ones.
            await Task.WhenAll(first.Services.GetRequiredService<InteractionPrune>().RunOnceAsync(ct),
                second.Services.GetRequiredService<InteractionPrune>().RunOnceAsync(ct));

            async Task<(int Old, int Recent)> LeftAsync()
            {
                await using var scope = second.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                var rows = db.Set<InteractionMessage>().IgnoreQueryFilters().Where(m => m.WorkspaceId == ws.Id);
                var cut = DateTime.UtcNow.AddDays(-30);
                return (await rows.CountAsync(m => m.At < cut, ct), await rows.CountAsync(m => m.At >= cut, ct));
            }

            for (var i = 0; i < 100 && (await LeftAsync()).Old > 0; i++)
                await Task.Delay(100, ct);
            // Both background jobs keep passing (two or three passes each) over what is left.
            await Task.Delay(2_500, ct);

            Assert.Equal((0, recent), await LeftAsync());
            Assert.Empty(logs.SelectMany(l => l.Errors));
            Assert.Equal(old, logs.Sum(l => l.Deleted.Sum()));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            if (Outbox.SharedPostgresHost.PgServer is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await using var conn = new Npgsql.NpgsqlConnection(Outbox.SharedPostgresHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }
}
