using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Demo;
using Shequn.Features.Events;

namespace Shequn.Tests.Infrastructure;

/// <summary>
/// The demo workspace (<c>--demo</c>) seeded once per provider and test process, then copied for each test class that
/// starts from it (<see cref="DemoSqliteFactory"/>, <see cref="DemoPostgresFactory"/>): seeding takes 12–20 s, a copy
/// well under one. The template is made by the app itself, through <see cref="DemoWorkspace.EnsureAndPrintAsync"/>, and
/// its history is processed before it is copied. It is made afresh in every test process, since the demo's dates
/// follow the day it is made.
/// </summary>
public static class DemoTemplates
{
    private sealed record Template(string DataDirectory, string? Database);

    /// <summary>One template per provider, each made once; the two providers' are made side by side.</summary>
    private static readonly ConcurrentDictionary<DatabaseProvider, Lazy<Task<Template>>> Made = new();

    /// <summary>Makes the provider's template unless this process has made it (a failure is kept: every class then fails with it).</summary>
    public static async Task EnsureAsync(DatabaseProvider provider) =>
        await Made.GetOrAdd(provider, p => new Lazy<Task<Template>>(() => MakeAsync(p))).Value;

    private static async Task<Template> MakeAsync(DatabaseProvider provider)
    {
        ShequnFactory builder = provider == DatabaseProvider.Sqlite ? new SqliteFactory { KeepData = true } : new PostgresFactory { KeepData = true };
        try
        {
            await DemoWorkspace.EnsureAndPrintAsync(builder.Services, TextWriter.Null);
            await builder.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(CancellationToken.None);
        }
        finally
        {
            await builder.DisposeAsync();
        }
        string? database = null;
        if (builder is PostgresFactory pg)
        {
            database = "shequn_demo_" + Guid.NewGuid().ToString("N")[..12];
            TestDatabases.RenamePostgres(PostgresFactory.SharedServer!, pg.Database, database);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                // Best effort: a server already gone (test.sh stops its own) leaves nothing to drop, and must not fail the run.
                try { TestDatabases.DropPostgresAsync(PostgresFactory.SharedServer!, database).GetAwaiter().GetResult(); }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException) { }
            };
        }
        else
        {
            // Closes the app's pooled connections, so the database file is complete without its write-ahead log.
            SqliteConnection.ClearAllPools();
        }
        var folder = builder.DataDirectory;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } };
        return new Template(folder, database);
    }

    /// <summary>Puts a copy of the template into the factory's data folder (and for PostgreSQL, its database).</summary>
    internal static void CopyInto(ShequnFactory factory)
    {
        if (!Made.TryGetValue(factory.Provider, out var making) || !making.Value.IsCompletedSuccessfully)
            throw new InvalidOperationException($"The {factory.Provider} demo template is not made: start the factory through its InitializeAsync.");
        var template = making.Value.Result;
        CopyFolder(template.DataDirectory, factory.DataDirectory);
        if (factory is PostgresFactory pg && template.Database is { } database)
            TestDatabases.CreatePostgresFromTemplate(PostgresFactory.SharedServer!, pg.Database, database);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: false);
        }
    }
}
