using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shequn.Data;
using Shequn.Features.Advisor;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Members;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Advisor;

/// <summary>
/// Two app hosts on one PostgreSQL rechecking the advisor's nickname flags of the same stale workspace at once (passes
/// by hand on both, twice each): every flag ends right against its community's format, each community is rechecked by
/// exactly one pass, no pass fails. A format saved through the editor of one host is rechecked by that host's job,
/// woken by the edit (its interval is an hour), not by the request.
/// </summary>
public sealed partial class NicknameFlagRefreshTwoHostsTests
{
    private const string Dashes = "城市-行业-昵称", Underscore = "城市_昵称";

    /// <summary>The refresh's lines of one host: how many communities each pass rechecked, and any warning or error.</summary>
    private sealed class RefreshLog : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<int> Rechecked { get; } = new();
        public ConcurrentQueue<string> Errors { get; } = new();
        public ILogger CreateLogger(string categoryName) => categoryName == typeof(NicknameFlagRefresh).FullName ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            if (logLevel >= LogLevel.Warning)
                Errors.Enqueue(line + " " + exception);
            else if (Count().Match(line) is { Success: true } m)
                Rechecked.Enqueue(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        public void Dispose() { }
    }

    [GeneratedRegex(@"^Rechecked the members' nicknames of (\d+) ")]
    private static partial Regex Count();

    private sealed class Host(string database, RefreshLog log) : Outbox.SharedPostgresHost(database, new Outbox.TwoHostCounter().For(0))
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            // The start pass, then only what a wake-up asks for within the test.
            builder.UseSetting("Advisor:NicknameRefreshEnabled", "true");
            builder.UseSetting("Advisor:NicknameRefreshInterval", "01:00:00");
            builder.UseSetting("Logging:LogLevel:Shequn.Features.Advisor.NicknameFlagRefresh", "Information");
            builder.ConfigureLogging(l => l.AddProvider(log));
        }
    }

    /// <summary>The nickname of the i-th member: breaking both formats, following dashes only, following '_' only, or
    /// none; several members share each name.</summary>
    private static string? Nickname(int i) => (i % 4) switch
    {
        0 => "小明" + (i % 13),
        1 => "北京-教育-小" + (i % 11),
        2 => "上海_阿" + (i % 7),
        _ => null,
    };

    /// <summary>The flag a nickname must carry against a format, by how it was made.</summary>
    private static bool? Expected(string? nickname, string format) => nickname switch
    {
        null => null,
        _ when nickname.StartsWith("小明", StringComparison.Ordinal) => true,
        _ when nickname.StartsWith("北京-", StringComparison.Ordinal) => format != Dashes,
        _ => format != Underscore,
    };

    [Fact]
    public async Task TwoHostsRefreshing_OneStaleWorkspace_EveryFlagRightEachCommunityOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];
        RefreshLog[] logs = [new(), new()];
        var first = new Host(database, logs[0]);
        var second = new Host(database, logs[1]);
        try
        {
            var ws = await first.NewWorkspaceAsync();
            _ = second.Services;
            const int communities = 24, members = 120;
            var set = new RuleSet { WorkspaceId = ws.Id, Name = "默认群规", IsDefault = true, Spec = new RuleSetSpec { NicknameFormat = Dashes }.ToJson() };
            await using (var scope = first.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                db.Current.ActAsSystem(ws.Id);
                db.Add(set);
                for (var c = 0; c < communities; c++)
                {
                    var community = db.Add(new Community { WorkspaceId = ws.Id, Name = $"双机昵称群{c}", Platform = ChatPlatform.Sandbox, Capacity = 500 }).Entity;
                    for (var i = 0; i < members; i++)
                    {
                        var member = db.Add(new Member { WorkspaceId = ws.Id, DisplayName = $"成员{c}-{i}" }).Entity;
                        db.Add(new Membership { WorkspaceId = ws.Id, CommunityId = community.Id, MemberId = member.Id, JoinedAt = DateTime.UtcNow.AddDays(-10), Nickname = Nickname(c + i) });
                    }
                }
                // One save, one transaction: no pass sees half of the fixture. No format is recorded yet: all stale.
                await db.SaveChangesWithoutAuditAsync(ct);
            }

            async Task<List<string>> WrongAsync(string format)
            {
                await using var scope = second.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                db.Current.ActAsSystem(ws.Id);
                var recorded = await db.Communities.Select(c => new { c.Name, c.NicknameFormatChecked }).ToListAsync(ct);
                var flags = await db.Memberships.Select(m => new { m.Id, m.Nickname, m.NicknameBreaksFormat }).ToListAsync(ct);
                Assert.Equal(communities * members, flags.Count);
                return [.. recorded.Where(c => c.NicknameFormatChecked != format).Select(c => $"{c.Name}: {c.NicknameFormatChecked}"),
                    .. flags.Where(m => m.NicknameBreaksFormat != Expected(m.Nickname, format)).Select(m => $"{m.Nickname}: {m.NicknameBreaksFormat}")];
            }

            Task<int> PassAsync(Host host) => host.Services.GetRequiredService<NicknameFlagRefresh>().RunOnceAsync([ws.Id], ct);
            int Logged() => logs.Sum(l => l.Rechecked.Sum());

            // Every flag unchecked: two passes on each host at once.
            Assert.NotEmpty(await WrongAsync(Dashes));
            await Task.WhenAll(PassAsync(first), PassAsync(second), PassAsync(first), PassAsync(second));
            Assert.Empty(await WrongAsync(Dashes));
            // Counted from the logs: a host's start pass may have overlapped the first ones.
            Assert.Equal(communities, Logged());

            // The format saved on the first host: its request leaves the flags; its job, woken, rechecks them.
            int[] before = [.. logs.Select(l => l.Rechecked.Sum())];
            var spec = RuleSetSpec.FromJson(set.Spec) with { NicknameFormat = Underscore };
            (await ws.Owner.Api.PutJsonAsync($"/api/rulesets/{set.Id}", new RuleSetInput("默认群规", Spec: spec))).EnsureSuccessStatusCode();
            for (var i = 0; i < 300 && (await WrongAsync(Underscore)).Count > 0; i++)
                await Task.Delay(100, ct);
            Assert.Empty(await WrongAsync(Underscore));
            Assert.Equal((communities, 0), (logs[0].Rechecked.Sum() - before[0], logs[1].Rechecked.Sum() - before[1]));

            // Back to dashes written around the editor (as another node's change would be, which wakes no job here):
            // both hosts' passes at once again.
            await using (var scope = first.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                db.Current.ActAsSystem(ws.Id);
                await db.Set<RuleSet>().Where(r => r.Id == set.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Spec, new RuleSetSpec { NicknameFormat = Dashes }.ToJson()), ct);
            }
            var done = await Task.WhenAll(PassAsync(second), PassAsync(first), PassAsync(second), PassAsync(first));
            Assert.Empty(await WrongAsync(Dashes));
            Assert.Equal(communities, done.Sum());
            Assert.Equal(3 * communities, Logged());
            Assert.Empty(logs.SelectMany(l => l.Errors));
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
