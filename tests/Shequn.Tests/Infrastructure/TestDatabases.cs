using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shequn.Data;
using Shequn.Platform.Auth;

namespace Shequn.Tests.Infrastructure;

/// <summary>
/// Fresh test databases copied from a migrated template instead of migrated one by one: the app's startup then finds every
/// migration applied. A template is made once per set of migrations (its name carries their hash), so a new migration
/// makes a new template; the app's own migrating at startup is still what every test runs through.
/// </summary>
public static class TestDatabases
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _sqliteTemplate;
    private static string? _postgresTemplate;

    /// <summary>Puts a migrated SQLite database at <paramref name="path"/> (the app's <c>shequn.db</c> in its data folder).</summary>
    public static void CopySqliteTemplate(string path)
    {
        var template = SqliteTemplate();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(template, path, overwrite: false);
    }

    /// <summary>Creates <paramref name="database"/> on the server of <paramref name="server"/> as a copy of the migrated
    /// template (or of <paramref name="template"/>), unless it exists.</summary>
    public static void CreatePostgresFromTemplate(string server, string database, string? template = null)
    {
        template ??= PostgresTemplate(server);
        // One copy at a time: PostgreSQL refuses to copy a template while another session is connected to it.
        Locked(server, conn =>
        {
            if (Exists(conn, database))
                return;
            using var create = new NpgsqlCommand($"CREATE DATABASE {database} TEMPLATE {template}", conn);
            create.ExecuteNonQuery();
        });
    }

    /// <summary>Drops a test's own database on the shared server (its connections closed first).</summary>
    public static async Task DropPostgresAsync(string server, string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(server);
        await conn.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Renames a database no session is connected to (this process's pools are emptied first).</summary>
    public static void RenamePostgres(string server, string database, string newName)
    {
        NpgsqlConnection.ClearAllPools();
        Locked(server, conn =>
        {
            using var rename = new NpgsqlCommand($"ALTER DATABASE {database} RENAME TO {newName}", conn);
            rename.ExecuteNonQuery();
        });
    }

    private const long LockKey = 0x5348_5154_4D50; // "SHQTMP"

    /// <summary>Runs <paramref name="work"/> on a connection to the server's own database, holding the templates' lock
    /// (shared by every test process on the server).</summary>
    private static void Locked(string server, Action<NpgsqlConnection> work)
    {
        using var conn = new NpgsqlConnection(server);
        conn.Open();
        using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", conn))
            take.ExecuteNonQuery();
        try
        {
            work(conn);
        }
        finally
        {
            using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", conn);
            release.ExecuteNonQuery();
        }
    }

    private static string MigrationsHash(DbContext db) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", db.Database.GetMigrations()))))[..12];

    private static string SqliteTemplate()
    {
        if (_sqliteTemplate is { } known)
            return known;
        Gate.Wait();
        try
        {
            if (_sqliteTemplate is { } made)
                return made;
            var folder = Path.Combine(Path.GetTempPath(), "shequn-tests");
            Directory.CreateDirectory(folder);
            var building = Path.Combine(folder, $"template-{Guid.NewGuid():N}.building");
            var options = new DbContextOptionsBuilder<AppDbContext>()
                .UseSqlite($"Data Source={building};Pooling=False", o => o.MigrationsHistoryTable("__ef_migrations")).Options;
            string path;
            using (var db = new SqliteAppDbContext(options, new CurrentStaff()))
            {
                path = Path.Combine(folder, $"template-{MigrationsHash(db)}.db");
                if (!File.Exists(path))
                    db.Database.Migrate();
            }
            SqliteConnection.ClearAllPools();
            if (File.Exists(building))
                File.Move(building, path, overwrite: true); // another test process making the same template is harmless
            return _sqliteTemplate = path;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string PostgresTemplate(string server)
    {
        if (_postgresTemplate is { } known)
            return known;
        Gate.Wait();
        try
        {
            if (_postgresTemplate is { } made)
                return made;
            string name;
            var probe = new DbContextOptionsBuilder<AppDbContext>().UseNpgsql("Host=unused", o => o.MigrationsHistoryTable("__ef_migrations")).Options;
            using (var db = new PostgresAppDbContext(probe, new CurrentStaff()))
                name = "shequn_template_" + MigrationsHash(db);
            // Test processes sharing a server (a developer's and a helper's) make each template once between them.
            Locked(server, conn =>
            {
                if (Exists(conn, name))
                    return;
                var building = name + "_building";
                using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {building} WITH (FORCE)", conn))
                    drop.ExecuteNonQuery();
                using (var create = new NpgsqlCommand($"CREATE DATABASE {building}", conn))
                    create.ExecuteNonQuery();
                var target = new NpgsqlConnectionStringBuilder(server) { Database = building, Pooling = false }.ConnectionString;
                var options = new DbContextOptionsBuilder<AppDbContext>().UseNpgsql(target, o => o.MigrationsHistoryTable("__ef_migrations")).Options;
                using (var db = new PostgresAppDbContext(options, new CurrentStaff()))
                    db.Database.Migrate();
                using var rename = new NpgsqlCommand($"ALTER DATABASE {building} RENAME TO {name}", conn);
                rename.ExecuteNonQuery();
            });
            return _postgresTemplate = name;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static bool Exists(NpgsqlConnection conn, string database)
    {
        using var command = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", conn);
        command.Parameters.AddWithValue("name", database);
        return command.ExecuteScalar() is not null;
    }
}
