using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Data;

/// <summary>
/// A database made before the migrations were squashed into one baseline per provider lists the old migrations in its
/// history. One that reached the last of them has the baseline's schema (the squash compared the two schemas: the same
/// tables, columns, keys, indexes and triggers; only column order and the zero defaults of later-added columns differ),
/// so startup rewrites its history and carries on; one at an older migration is refused, naming the commit that migrates
/// it. Run through the app's own startup step, <see cref="DatabaseSetup.MigrateAsync"/>.
/// </summary>
public abstract class MigrationBaselineTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PreSquashHistory_AtTheLastOldMigration_IsRewrittenToTheBaseline_AndTheAppStarts()
    {
        var current = await HistoryAsync();
        // A database of that time has the baseline's schema: the migrations made since are taken back first.
        await using (var down = factory.Services.CreateAsyncScope())
        {
            var db = down.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.GetService<IMigrator>().MigrateAsync(db.Database.GetMigrations().First(), cancellationToken: Ct);
        }
        var before = factory.Provider == DatabaseProvider.Sqlite ? MigrationBaseline.SqliteBefore : MigrationBaseline.PostgresBefore;
        await ReplaceHistoryAsync(["20261123112642_Initial", before]);

        await DatabaseSetup.MigrateAsync(factory.Services, Ct);

        Assert.Equal(current, await HistoryAsync());
        Assert.EndsWith("_Baseline", current[0], StringComparison.Ordinal);
        await using var scope = factory.Services.CreateAsyncScope();
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.GetPendingMigrationsAsync(Ct));
    }

    [Fact]
    public async Task PreSquashHistory_AtAnOlderMigration_IsRefused_NamingTheCommitThatMigratesIt_AndLeftAsItWas()
    {
        var old = new[] { "20261123112642_Initial", "20261123120900_CommunityEvents" };
        var baseline = await HistoryAsync();
        await ReplaceHistoryAsync(old);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => DatabaseSetup.MigrateAsync(factory.Services, Ct));

        Assert.Contains("20261123120900_CommunityEvents", refused.Message, StringComparison.Ordinal);
        Assert.Contains(MigrationBaseline.LastCommitBefore, refused.Message, StringComparison.Ordinal);
        Assert.Equal(old, await HistoryAsync());
        await ReplaceHistoryAsync(baseline);
    }

    [Fact]
    public async Task BaselineHistory_IsLeftAlone()
    {
        var baseline = await HistoryAsync();

        await DatabaseSetup.MigrateAsync(factory.Services, Ct);

        Assert.Equal(baseline, await HistoryAsync());
    }

    private async Task<List<string>> HistoryAsync()
    {
        if (factory.Unavailable is { } reason)
            Assert.Skip(reason);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return [.. (await db.Database.GetAppliedMigrationsAsync(Ct)).Order(StringComparer.Ordinal)];
    }

    /// <summary>Makes the history read like a database of an older version (the schema stays the baseline's).</summary>
    private async Task ReplaceHistoryAsync(IEnumerable<string> ids)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var history = db.GetService<IHistoryRepository>();
        var script = string.Concat((await db.Database.GetAppliedMigrationsAsync(Ct)).Select(history.GetDeleteScript))
            + string.Concat(ids.Select(id => history.GetInsertScript(new HistoryRow(id, "10.0.0"))));
        await db.Database.ExecuteSqlRawAsync(script, Ct);
    }
}

public sealed class MigrationBaselineTests_Sqlite(SqliteFactory factory) : MigrationBaselineTests(factory), IClassFixture<SqliteFactory>;

public sealed class MigrationBaselineTests_Postgres(PostgresFactory factory) : MigrationBaselineTests(factory), IClassFixture<PostgresFactory>;
