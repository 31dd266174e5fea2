using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Platform.KeyRing;

/// <summary>
/// Data Protection (sign-in cookies, antiforgery, and the platform secrets stored later) with its key ring in the
/// database, so every node shares it, and each key's secret part encrypted with a key-encryption secret that is
/// not in the database (ADR-007).
/// </summary>
public static class KeyRingSetup
{
    /// <summary>Fixed, so every node (and every install path) derives the same purposes from the shared keys.</summary>
    public const string ApplicationName = "Shequn";

    public static IServiceCollection AddShequnKeyRing(this IServiceCollection services, IConfiguration configuration, string dataDir)
    {
        var secrets = KeyEncryptionSecrets.Load(configuration, dataDir);
        services.AddSingleton(secrets);
        services.AddHostedService<KeyRingCheck>();
        services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToDbContext<AppDbContext>();
        services.Configure<KeyManagementOptions>(o => o.XmlEncryptor = new KeyRingXmlEncryptor(secrets));
        return services;
    }
}

/// <summary>
/// Before anything uses the key ring (it runs in the hosts' "starting" phase, ahead of Data Protection's own
/// start-up and the web server), decrypts every stored key. A node with the wrong secret stops with a clear
/// message instead of quietly making keys of its own that no other node can read; so does a node that finds a key
/// stored unencrypted.
/// </summary>
internal sealed partial class KeyRingCheck(IServiceProvider services, KeyEncryptionSecrets secrets, ILogger<KeyRingCheck> log) : IHostedLifecycleService
{
    /// <summary>Data Protection's mark on a secret element that an encryptor should have replaced.</summary>
    private static readonly XName RequiresEncryption = XName.Get("requiresEncryption", "http://schemas.asp.net/2015/03/dataProtection");

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var rows = await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToListAsync(cancellationToken);
        var checkedKeys = 0;
        foreach (var xml in rows)
        {
            if (string.IsNullOrEmpty(xml))
                continue;
            var key = XElement.Parse(xml);
            // A key whose secret part is in the clear (written without our encryptor, or planted) is one a database dump
            // alone opens: refuse to run on it rather than sign cookies and protect platform secrets with it.
            if (key.Descendants().Any(e => (bool?)e.Attribute(RequiresEncryption) == true))
            {
                throw new KeyRingSecretException(
                    $"The data-protection key {(string?)key.Attribute("id")} is stored unencrypted. Every key must be encrypted with the " +
                    $"key-encryption secret ({KeyEncryptionSecrets.ConfigKey}); delete that row from the data-protection key table " +
                    "(sign-ins made with it end) and start again.");
            }
            foreach (var encrypted in key.Descendants(KeyRingXmlEncryptor.ElementName))
            {
                KeyRingXmlEncryptor.Decrypt(encrypted, secrets);
                checkedKeys++;
            }
        }
        KeysChecked(log, checkedKeys, secrets.Current.Id, secrets.Current.Source);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Key ring: {Count} stored keys decrypt with key-encryption secret {SecretId} from {Source}")]
    private static partial void KeysChecked(ILogger logger, int count, string secretId, string source);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
