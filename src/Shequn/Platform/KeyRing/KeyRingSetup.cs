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
/// message instead of quietly making keys of its own that no other node can read.
/// </summary>
internal sealed partial class KeyRingCheck(IServiceProvider services, KeyEncryptionSecrets secrets, ILogger<KeyRingCheck> log) : IHostedLifecycleService
{
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
            foreach (var encrypted in XElement.Parse(xml).Descendants(KeyRingXmlEncryptor.ElementName))
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
