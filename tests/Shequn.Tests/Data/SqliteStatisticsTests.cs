using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;

namespace Shequn.Tests.Data;

/// <summary>
/// SQLite plans by statistics once it has them: a workspace-filtered look-up of some members' stints uses the member
/// index, not a walk of the whole workspace's rows.
/// </summary>
public sealed class SqliteStatisticsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterAnUpdate_AWorkspaceFilteredLookupOfMembers_UsesTheMemberIndex()
    {
        var dir = Directory.CreateTempSubdirectory("shequn-stats-");
        try
        {
            var options = new DbContextOptionsBuilder<AppDbContext>()
                .UseSqlite($"Data Source={Path.Combine(dir.FullName, "stats.db")}", o => o.MigrationsHistoryTable("__ef_migrations")).Options;
            await using var db = new SqliteAppDbContext(options, new CurrentStaff());
            await db.Database.MigrateAsync(Ct);
            var ws = new Workspace { Name = "stats" };
            db.Workspaces.Add(ws);
            var communities = Enumerable.Range(0, 5).Select(i => new Community { WorkspaceId = ws.Id, Name = "群" + i, Platform = ChatPlatform.Sandbox }).ToList();
            db.Communities.AddRange(communities);
            var members = Enumerable.Range(0, 400).Select(i => new Member { WorkspaceId = ws.Id, DisplayName = "m" + i }).ToList();
            db.Members.AddRange(members);
            db.Memberships.AddRange(members.Select((m, i) => new Membership
            {
                WorkspaceId = ws.Id, CommunityId = communities[i % 5].Id, MemberId = m.Id, JoinedAt = DateTime.UtcNow.AddMinutes(-i),
            }));
            await db.SaveChangesWithoutAuditAsync(Ct);

            // The workspace filter's form of a look-up of some members' stints.
            var ids = members.Take(30).Select(m => m.Id).ToList();
            var sql = db.Memberships.IgnoreQueryFilters().Where(x => x.WorkspaceId == ws.Id && EF.Parameter(ids).Contains(x.MemberId)).ToQueryString();

            async Task<string> PlanAsync()
            {
                var connection = (SqliteConnection)db.Database.GetDbConnection();
                await db.Database.OpenConnectionAsync(Ct);
                try
                {
                    await using var command = connection.CreateCommand();
                    // ToQueryString declares the parameters first (".param set"); bind them as parameters instead.
                    var lines = sql.Split('\n');
                    foreach (var line in lines.Where(l => l.StartsWith(".param set ", StringComparison.Ordinal)))
                    {
                        var parts = line[".param set ".Length..].Split(' ', 2);
                        command.Parameters.AddWithValue(parts[0], parts[1].Trim().Trim('\''));
                    }
                    command.CommandText = "EXPLAIN QUERY PLAN " + string.Join('\n', lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal)));
                    await using var reader = await command.ExecuteReaderAsync(Ct);
                    var plan = new List<string>();
                    while (await reader.ReadAsync(Ct))
                        plan.Add(reader.GetString(3));
                    return string.Join(" | ", plan);
                }
                finally
                {
                    await db.Database.CloseConnectionAsync();
                }
            }

            // Without statistics SQLite guesses one of the workspace-first indexes (the test would pass for nothing if it
            // did not); which one depends on the indexes there are.
            var guessed = await PlanAsync();
            Assert.Contains("USING INDEX IX_Memberships_WorkspaceId_", guessed, StringComparison.Ordinal);
            Assert.DoesNotContain("IX_Memberships_MemberId", guessed, StringComparison.Ordinal);
            await SqliteStatistics.UpdateAsync(db, Ct);
            Assert.Contains("IX_Memberships_MemberId", await PlanAsync(), StringComparison.Ordinal);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }
}
