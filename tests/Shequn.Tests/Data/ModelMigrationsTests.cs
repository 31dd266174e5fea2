using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Platform.Auth;

namespace Shequn.Tests.Data;

/// <summary>
/// A change to the EF model without a migration for both providers fails here: the model each provider's context builds
/// is compared with its migrations' snapshot (what <c>dotnet ef migrations has-pending-model-changes</c> does, in-process,
/// without starting the tool twice).
/// </summary>
public sealed class ModelMigrationsTests
{
    private const string Fix = "run dotnet ef migrations add for both providers (docs/architecture.md, \"Changing the model\").";

    [Fact]
    public void SqliteModel_HasAMigrationForEveryChange()
    {
        var options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite("Data Source=:memory:", o => o.MigrationsHistoryTable("__ef_migrations")).Options;
        using var db = new SqliteAppDbContext(options, new CurrentStaff());
        Assert.False(db.Database.HasPendingModelChanges(), "The EF model changed without a SQLite migration: " + Fix);
    }

    [Fact]
    public void PostgresModel_HasAMigrationForEveryChange()
    {
        var options = new DbContextOptionsBuilder<AppDbContext>().UseNpgsql("Host=unused", o => o.MigrationsHistoryTable("__ef_migrations")).Options;
        using var db = new PostgresAppDbContext(options, new CurrentStaff());
        Assert.False(db.Database.HasPendingModelChanges(), "The EF model changed without a PostgreSQL migration: " + Fix);
    }
}
