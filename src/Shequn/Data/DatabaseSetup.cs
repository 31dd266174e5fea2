using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Shequn.Platform.Auth;

namespace Shequn.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    /// <summary>PostgreSQL connection string, or a SQLite one to override the file in the data directory.</summary>
    public string? ConnectionString { get; set; }
}

/// <summary>Makes the provider's context for the acting staff member; used by pages, endpoints and jobs alike.</summary>
public sealed class AppDbContextFactory(DbContextOptions<AppDbContext> options, IOptions<DatabaseOptions> database, CurrentStaff current)
    : IDbContextFactory<AppDbContext>
{
    public AppDbContext CreateDbContext() => database.Value.Provider switch
    {
        DatabaseProvider.Postgres => new PostgresAppDbContext(options, current),
        _ => new SqliteAppDbContext(options, current),
    };
}

public static class DatabaseSetup
{
    public static IHostApplicationBuilder AddShequnDatabase(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Database");
        builder.Services.AddOptions<DatabaseOptions>().Bind(section)
            .Validate(o => o.Provider != DatabaseProvider.Postgres || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Database:ConnectionString is required when Database:Provider is Postgres.")
            .ValidateOnStart();

        var settings = section.Get<DatabaseOptions>() ?? new DatabaseOptions();
        var dataDir = DataDirectory.Resolve(builder.Configuration);
        builder.Services.AddSingleton(sp =>
        {
            var b = new DbContextOptionsBuilder<AppDbContext>();
            Configure(b, settings, dataDir);
            b.AddInterceptors(sp.GetRequiredService<SecurityLog>());
            return b.Options;
        });
        builder.Services.AddHttpContextAccessor();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SecurityLog>();
        builder.Services.AddScoped<CurrentStaff>();
        builder.Services.AddScoped<AppDbContextFactory>();
        builder.Services.AddScoped<IDbContextFactory<AppDbContext>>(sp => sp.GetRequiredService<AppDbContextFactory>());
        builder.Services.AddScoped(sp => sp.GetRequiredService<AppDbContextFactory>().CreateDbContext());
        if (settings.Provider == DatabaseProvider.Sqlite)
            builder.Services.AddHostedService<SqliteStatistics>();
        return builder;
    }

    public static void Configure(DbContextOptionsBuilder builder, DatabaseOptions settings, string dataDir)
    {
        if (settings.Provider == DatabaseProvider.Postgres)
        {
            builder.UseNpgsql(settings.ConnectionString, o => o.MigrationsHistoryTable("__ef_migrations"));
        }
        else
        {
            var cs = settings.ConnectionString;
            if (string.IsNullOrWhiteSpace(cs))
            {
                Directory.CreateDirectory(dataDir);
                cs = $"Data Source={Path.Combine(dataDir, "shequn.db")}";
            }
            builder.UseSqlite(cs, o => o.MigrationsHistoryTable("__ef_migrations")).AddInterceptors(new SqliteBusyTimeout());
        }
    }

    /// <summary>Applies the provider's migrations; every start runs this before serving.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await MigrationBaseline.AdoptAsync(db, ct);
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            // WAL lets the console read while writes go on.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            // A later migration that rebuilds one of these tables drops its triggers: put them back.
            await db.Database.ExecuteSqlRawAsync(Shequn.Features.Events.WorkspaceDayTriggers.SqliteUp, ct);
            await db.Database.ExecuteSqlRawAsync(Shequn.Features.Analytics.CohortJoinTriggers.SqliteUp, ct);
        }
    }
}

public static class DataDirectory
{
    public static string Resolve(IConfiguration configuration) =>
        Path.GetFullPath(configuration["data-dir"] ?? configuration["DataDir"] ?? "data");
}

// Design-time factories: `dotnet ef migrations add X --context SqliteAppDbContext --output-dir Data/Migrations/Sqlite`.
internal sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteAppDbContext>
{
    public SqliteAppDbContext CreateDbContext(string[] args)
    {
        var b = new DbContextOptionsBuilder<AppDbContext>();
        b.UseSqlite("Data Source=design.db", o => o.MigrationsHistoryTable("__ef_migrations"));
        return new SqliteAppDbContext(b.Options, new CurrentStaff());
    }
}

internal sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresAppDbContext>
{
    public PostgresAppDbContext CreateDbContext(string[] args)
    {
        var b = new DbContextOptionsBuilder<AppDbContext>();
        b.UseNpgsql("Host=localhost;Database=design", o => o.MigrationsHistoryTable("__ef_migrations"));
        return new PostgresAppDbContext(b.Options, new CurrentStaff());
    }
}
