using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shequn.Data;
using Shequn.Platform.KeyRing;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// The Data Protection key ring lives in the database, shared by every node, and each key's secret part is
/// encrypted with a key-encryption secret kept outside the database (ADR-007).
/// </summary>
[LongRunning]
public abstract class KeyRingTests : IAsyncDisposable
{
    private static readonly string Secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<KeyRingHost> _hosts = [];
    private readonly List<string> _dirs = [];

    protected abstract DatabaseProvider Provider { get; }

    /// <summary>Why this provider cannot run here, or null.</summary>
    protected virtual string? Unavailable => null;

    /// <summary>The one database every host of a test shares.</summary>
    protected abstract string SharedConnectionString { get; }

    protected string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "shequn-tests", Guid.NewGuid().ToString("N"));
        _dirs.Add(dir);
        return dir;
    }

    private KeyRingHost Host(string? secret, string? dataDir = null, string? previousSecret = null)
    {
        if (Unavailable is { } reason)
            Assert.Skip(reason);
        var host = new KeyRingHost(Provider, SharedConnectionString, secret, dataDir ?? TempDir(), previousSecret);
        _hosts.Add(host);
        return host;
    }

    [Fact]
    public void TwoNodes_SameDatabaseAndSecret_ProtectOnOneUnprotectOnTheOther()
    {
        var a = Host(Secret);
        var b = Host(Secret);

        var fromA = a.Protector().Protect("123456:bot-token-from-a");
        var fromB = b.Protector().Protect("wecom-corp-secret-from-b");

        Assert.Equal("123456:bot-token-from-a", b.Protector().Unprotect(fromA));
        Assert.Equal("wecom-corp-secret-from-b", a.Protector().Unprotect(fromB));
        Assert.False(Directory.Exists(Path.Combine(a.DataDir, "keys")), "no key files next to the data any more");
    }

    [Fact]
    public async Task StoredKeys_DoNotContainTheMasterKey()
    {
        var a = Host(Secret);
        a.Protector().Protect("123456:bot-token");

        var rows = await a.KeyRowsAsync();

        Assert.NotEmpty(rows);
        var secrets = a.Services.GetRequiredService<KeyEncryptionSecrets>();
        foreach (var xml in rows)
        {
            Assert.DoesNotContain("masterKey", xml, StringComparison.Ordinal);
            var encrypted = Assert.Single(XElement.Parse(xml).Descendants("shequnEncryptedKey"));
            Assert.Equal(secrets.Current.Id, (string?)encrypted.Attribute("secretId"));
            // The master key value exists only inside the ciphertext.
            var masterKey = new KeyRingXmlDecryptor(secrets).Decrypt(encrypted).Descendants("value").Single().Value;
            Assert.True(masterKey.Length >= 40, masterKey);
            Assert.DoesNotContain(masterKey, xml, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DatabaseDumpAlone_CannotUnprotect()
    {
        var a = Host(Secret);
        var payload = a.Protector().Protect("123456:bot-token");
        var dump = await a.KeyRowsAsync();

        // Everything in the database and the Shequn code, but another secret.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new KeyEncryptionSecrets(new KeyEncryptionSecret(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), "attacker"), []));
        services.AddDataProtection().SetApplicationName(KeyRingSetup.ApplicationName);
        services.Configure<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new DumpRepository(dump);
            o.AutoGenerateKeys = false;
        });
        using var provider = services.BuildServiceProvider();
        var protector = provider.GetRequiredService<IDataProtectionProvider>().CreateProtector(KeyRingHost.Purpose);

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(payload));
    }

    [Fact]
    public async Task WrongSecret_FailsAtStartUpWithAClearErrorAndWritesNoKey()
    {
        var a = Host(Secret);
        a.Protector().Protect("123456:bot-token");
        var rowsBefore = (await a.KeyRowsAsync()).Count;
        var other = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var e = Assert.ThrowsAny<Exception>(() => Host(other).Services);

        var error = Find<KeyRingSecretException>(e);
        Assert.NotNull(error);
        var expectedId = a.Services.GetRequiredService<KeyEncryptionSecrets>().Current.Id;
        Assert.Contains(expectedId, error.Message, StringComparison.Ordinal);
        Assert.Contains(KeyEncryptionSecrets.ConfigKey, error.Message, StringComparison.Ordinal);
        Assert.Equal(rowsBefore, (await a.KeyRowsAsync()).Count);
    }

    [Fact]
    public async Task UnencryptedKeyInTheStore_FailsAtStartUpNamingIt()
    {
        var a = Host(Secret);
        a.Protector().Protect("123456:bot-token");
        // The same key as Data Protection writes it without an encryptor: the master key in the clear.
        var key = XElement.Parse((await a.KeyRowsAsync())[0]);
        var id = Guid.NewGuid();
        key.SetAttributeValue("id", id);
        var dp = XNamespace.Get("http://schemas.asp.net/2015/03/dataProtection");
        key.Descendants().Single(e => e.Name.LocalName == "encryptedSecret")
            .ReplaceWith(new XElement("masterKey", new XAttribute(dp + "requiresEncryption", "true"), new XElement("value", Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)))));
        await using (var scope = a.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.DataProtectionKeys.Add(new Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey { FriendlyName = "key-" + id, Xml = key.ToString(SaveOptions.DisableFormatting) });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var e = Assert.ThrowsAny<Exception>(() => Host(Secret).Services);

        var error = Find<KeyRingSecretException>(e);
        Assert.NotNull(error);
        Assert.Contains(id.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("unencrypted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RotatedSecret_WithThePreviousOneKept_StartsAndReadsWhatTheOldSecretProtected()
    {
        var a = Host(Secret);
        var payload = a.Protector().Protect("123456:bot-token");
        var newSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var b = Host(newSecret, previousSecret: Secret);

        Assert.Equal("123456:bot-token", b.Protector().Unprotect(payload));
    }

    [Fact]
    public void NoSecretConfigured_CreatesAnOwnerOnlySecretFileAndReusesIt()
    {
        var dir = TempDir();
        var first = Host(secret: null, dir);
        var payload = first.Protector().Protect("123456:bot-token");
        var id = first.Services.GetRequiredService<KeyEncryptionSecrets>().Current.Id;
        var path = Path.Combine(dir, KeyEncryptionSecrets.FileName);

        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var second = Host(secret: null, dir);
        Assert.Equal(id, second.Services.GetRequiredService<KeyEncryptionSecrets>().Current.Id);
        Assert.Equal("123456:bot-token", second.Protector().Unprotect(payload));
    }

    [Fact]
    public void ShortSecret_IsRefusedAtStartUp()
    {
        var e = Assert.ThrowsAny<Exception>(() => Host("too-short").Services);

        var error = Find<InvalidOperationException>(e);
        Assert.NotNull(error);
        Assert.Contains(KeyEncryptionSecrets.ConfigKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewKey_LogsNoMissingEncryptorWarning()
    {
        var a = Host(Secret);

        a.Protector().Protect("123456:bot-token");

        Assert.NotEmpty(a.Logs);
        Assert.DoesNotContain(a.Logs, l => l.Contains("No XML encryptor configured", StringComparison.Ordinal));
        Assert.Contains(a.Logs, l => l.Contains("Key ring:", StringComparison.Ordinal));
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
                return found;
            if (e is AggregateException agg && agg.InnerExceptions.Select(Find<T>).FirstOrDefault(x => x is not null) is { } inner)
                return inner;
        }
        return null;
    }

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            try { await host.DisposeAsync(); } catch (InvalidOperationException) { } // a host that never started
        }
        foreach (var dir in _dirs)
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        GC.SuppressFinalize(this);
    }

    private sealed class DumpRepository(IReadOnlyList<string> rows) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements() => rows.Select(XElement.Parse).ToList();
        public void StoreElement(XElement element, string friendlyName) => throw new InvalidOperationException("read-only dump");
    }
}

/// <summary>One app node: its own data directory, the shared database, and a log it can be asked about.</summary>
internal sealed class KeyRingHost(DatabaseProvider provider, string connectionString, string? secret, string dataDir, string? previousSecret = null)
    : WebApplicationFactory<Program>
{
    public const string Purpose = "Shequn.Tests.KeyRing";

    public string DataDir { get; } = dataDir;
    public ConcurrentQueue<string> Logs { get; } = new();

    public IDataProtector Protector() => Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);

    public async Task<List<string>> KeyRowsAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml!).ToListAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("data-dir", DataDir);
        builder.UseSetting("Database:Provider", provider.ToString());
        builder.UseSetting("Database:ConnectionString", connectionString);
        if (secret is not null)
            builder.UseSetting(KeyEncryptionSecrets.ConfigKey, secret);
        if (previousSecret is not null)
            builder.UseSetting(KeyEncryptionSecrets.PreviousConfigKey + ":0", previousSecret);
        builder.ConfigureLogging(l => l.ClearProviders().AddProvider(new ListLoggerProvider(Logs)));
    }

    private sealed class ListLoggerProvider(ConcurrentQueue<string> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(logs);
        public void Dispose() { }
    }

    private sealed class ListLogger(ConcurrentQueue<string> logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}

public sealed class KeyRingTests_Sqlite : KeyRingTests
{
    private readonly string _dir;

    public KeyRingTests_Sqlite() => _dir = Directory.CreateDirectory(TempDir()).FullName;

    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override string SharedConnectionString => $"Data Source={Path.Combine(_dir, "shared.db")}";
}

public sealed class KeyRingTests_Postgres : KeyRingTests
{
    private static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");
    private readonly string _database = "shequn_test_" + Guid.NewGuid().ToString("N")[..12];

    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;

    protected override string? Unavailable =>
        PgServer is not null ? null
        : Environment.GetEnvironmentVariable("CI") == "true"
            ? throw new InvalidOperationException("CI=true but SHEQUN_TEST_PG is not set: PostgreSQL tests must run in CI (use ./test.sh).")
            : "PostgreSQL not available (run ./test.sh, which starts a throwaway server).";

    protected override string SharedConnectionString =>
        new NpgsqlConnectionStringBuilder(PgServer ?? "Host=127.0.0.1") { Database = _database }.ConnectionString;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (PgServer is null)
            return;
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(PgServer);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
