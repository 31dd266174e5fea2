using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Shequn.Data;

/// <summary>
/// The migrations of both providers were squashed into one <c>Baseline</c> each on 2026-12-07: 78 migrations, 26 MB of
/// generated code that every build compiled and every new database ran through (a SQLite table rebuild at a time). A
/// database made before then lists the old migrations in its history. When it lists the last of them, its schema is the
/// baseline's, so its history is rewritten to the baseline's id before migrating; a database at an older migration is
/// refused with what to do.
/// </summary>
public static class MigrationBaseline
{
    /// <summary>The last migration before the squash, per provider.</summary>
    public const string SqliteBefore = "20261207052016_ConsentWithdrawalLink";
    public const string PostgresBefore = "20261207052021_ConsentWithdrawalLink";

    /// <summary>The last commit whose migrations bring an older database to <see cref="SqliteBefore"/> / <see cref="PostgresBefore"/>.</summary>
    public const string LastCommitBefore = "89532ba";

    /// <summary>Rewrites a pre-squash history to the baseline; does nothing on a new database or one made since.</summary>
    public static async Task AdoptAsync(AppDbContext db, CancellationToken ct = default)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToList();
        var baseline = db.Database.GetMigrations().First();
        if (applied.Count == 0 || applied.Contains(baseline))
            return;
        var before = db.Database.IsSqlite() ? SqliteBefore : PostgresBefore;
        if (!applied.Contains(before))
            throw new InvalidOperationException(
                $"This database was made by an older Shequn: its last migration is {applied.Max(StringComparer.Ordinal)}. Start Shequn of " +
                $"commit {LastCommitBefore} on it once (it migrates it to {before}), then start this version.");
        var history = db.GetService<IHistoryRepository>();
        var script = string.Concat(applied.Select(history.GetDeleteScript))
            + history.GetInsertScript(new HistoryRow(baseline, ProductInfo.GetVersion()));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync(script, ct);
        await tx.CommitAsync(ct);
    }
}
