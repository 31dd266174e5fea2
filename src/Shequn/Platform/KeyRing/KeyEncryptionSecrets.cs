using System.Security.Cryptography;
using System.Text;

namespace Shequn.Platform.KeyRing;

/// <summary>One key-encryption secret: the AES-256 key derived from it and an id that names it without revealing it.</summary>
public sealed class KeyEncryptionSecret
{
    private static readonly byte[] KeyInfo = "Shequn key ring encryption v1"u8.ToArray();
    private static readonly byte[] IdInfo = "Shequn key ring secret id v1"u8.ToArray();

    public KeyEncryptionSecret(string secret, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var ikm = Encoding.UTF8.GetBytes(secret.Trim());
        // HKDF, not PBKDF2: the secret is a random key (32 bytes from the file, or one an operator generated), not a
        // password, so stretching adds start-up time and no strength. KeyRingSetup refuses short secrets.
        Key = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: [], info: KeyInfo);
        Id = Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 8, salt: [], info: IdInfo));
        Source = source;
    }

    /// <summary>16 hex characters stored with every encrypted key, so a node can tell which secret it needs.</summary>
    public string Id { get; }

    /// <summary>Where the secret came from (a configuration key or a file path), for error messages.</summary>
    public string Source { get; }

    internal byte[] Key { get; }
}

/// <summary>The secret new keys are encrypted with, and older ones still accepted for decryption during a rotation.</summary>
public sealed class KeyEncryptionSecrets(KeyEncryptionSecret current, IReadOnlyList<KeyEncryptionSecret> previous)
{
    public const string ConfigKey = "DataProtection:KeyEncryptionSecret";
    public const string PreviousConfigKey = "DataProtection:PreviousKeyEncryptionSecrets";
    public const string FileName = "keys.secret";
    public const int MinimumLength = 32;

    public KeyEncryptionSecret Current { get; } = current;
    public IReadOnlyList<KeyEncryptionSecret> Previous { get; } = previous;

    public KeyEncryptionSecret? Find(string id) =>
        Current.Id == id ? Current : Previous.FirstOrDefault(p => p.Id == id);

    /// <summary>
    /// The configured secret, or the one in <c>&lt;data-dir&gt;/keys.secret</c>, which is created (readable by the
    /// owner only) the first time a node starts without one.
    /// </summary>
    public static KeyEncryptionSecrets Load(IConfiguration configuration, string dataDir)
    {
        KeyEncryptionSecret current;
        if (configuration[ConfigKey] is { Length: > 0 } configured)
        {
            current = new KeyEncryptionSecret(Checked(configured, ConfigKey), ConfigKey);
        }
        else
        {
            var path = Path.Combine(dataDir, FileName);
            current = new KeyEncryptionSecret(Checked(ReadOrCreate(path), path), path);
        }
        var previous = configuration.GetSection(PreviousConfigKey).GetChildren()
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .Select(c => new KeyEncryptionSecret(Checked(c.Value!, c.Path), c.Path))
            .ToList();
        return new KeyEncryptionSecrets(current, previous);
    }

    private static string Checked(string secret, string source) =>
        secret.Trim().Length >= MinimumLength
            ? secret
            : throw new InvalidOperationException(
                $"The key-encryption secret from {source} is shorter than {MinimumLength} characters. " +
                "Use a random value, for example the output of `openssl rand -base64 32`.");

    private static string ReadOrCreate(string path)
    {
        if (File.Exists(path))
            return File.ReadAllText(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        // Written whole under another name, then moved into place: a node starting at the same moment on the same
        // data directory either wins the move or reads the winner's complete file, never a half-written one.
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temp, Encoding.ASCII, options))
            writer.WriteLine(secret);
        try
        {
            File.Move(temp, path, overwrite: false);
            return secret;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return File.ReadAllText(path);
        }
    }
}
