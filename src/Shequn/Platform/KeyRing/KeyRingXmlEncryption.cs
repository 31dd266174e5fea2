using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Shequn.Platform.KeyRing;

/// <summary>
/// Encrypts a data-protection key's secret part (the <c>&lt;descriptor&gt;</c> holding <c>&lt;masterKey&gt;</c>)
/// with AES-256-GCM under the current key-encryption secret. The result names the secret by id, so a node knows
/// which secret it needs and a rotation can keep older secrets for decryption (ADR-007).
/// </summary>
public sealed class KeyRingXmlEncryptor(KeyEncryptionSecrets secrets) : IXmlEncryptor
{
    internal const string ElementName = "shequnEncryptedKey";
    internal const string SecretIdAttribute = "secretId";
    internal const string VersionAttribute = "version";
    internal const string Version = "1";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var secret = secrets.Current;
        var plain = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var gcm = new AesGcm(secret.Key, TagSize))
            gcm.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), AssociatedData(secret.Id));
        CryptographicOperations.ZeroMemory(plain);

        var element = new XElement(ElementName,
            new XAttribute(VersionAttribute, Version),
            new XAttribute(SecretIdAttribute, secret.Id),
            Convert.ToBase64String(sealedBytes));
        return new EncryptedXmlInfo(element, typeof(KeyRingXmlDecryptor));
    }

    /// <summary>Binds the ciphertext to its secret id and format version, so neither can be swapped.</summary>
    internal static byte[] AssociatedData(string secretId) => Encoding.UTF8.GetBytes($"shequn-key-ring:{Version}:{secretId}");

    internal static XElement Decrypt(XElement encryptedElement, KeyEncryptionSecrets secrets)
    {
        if (encryptedElement.Name.LocalName != ElementName || (string?)encryptedElement.Attribute(VersionAttribute) != Version)
            throw new KeyRingSecretException($"A stored data-protection key is not in Shequn's encrypted format (version {Version}).");
        var id = (string?)encryptedElement.Attribute(SecretIdAttribute) ?? "";
        var secret = secrets.Find(id) ?? throw new KeyRingSecretException(
            $"A stored data-protection key was encrypted with key-encryption secret {id}, but this node has {secrets.Current.Id} " +
            $"(from {secrets.Current.Source}){PreviousList(secrets)}. Give every node the same secret: set " +
            $"{KeyEncryptionSecrets.ConfigKey}, or copy {KeyEncryptionSecrets.FileName} from the node that made the keys.");

        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(encryptedElement.Value);
        }
        catch (FormatException)
        {
            throw new KeyRingSecretException("A stored data-protection key's ciphertext is not Base64 (the database row was altered).");
        }
        if (sealedBytes.Length < NonceSize + TagSize)
            throw new KeyRingSecretException("A stored data-protection key's ciphertext is truncated (the database row was altered).");

        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var gcm = new AesGcm(secret.Key, TagSize);
            gcm.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize),
                plain, AssociatedData(secret.Id));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new KeyRingSecretException(
                $"A stored data-protection key does not decrypt with key-encryption secret {id} (from {secret.Source}): " +
                "the database row was altered, or the secret was changed without a rotation.");
        }
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plain));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static string PreviousList(KeyEncryptionSecrets secrets) =>
        secrets.Previous.Count == 0 ? "" : " and previous " + string.Join(", ", secrets.Previous.Select(p => p.Id));
}

/// <summary>
/// Made by Data Protection's activator from the type name stored with each key: renaming or moving this class makes
/// every stored key unreadable (keep a class of the old name that forwards here if it must move).
/// </summary>
public sealed class KeyRingXmlDecryptor(KeyEncryptionSecrets secrets) : IXmlDecryptor
{
    /// <summary>The constructor Data Protection's activator calls (it passes only the service provider).</summary>
    public KeyRingXmlDecryptor(IServiceProvider services)
        : this(services.GetService<KeyEncryptionSecrets>() ?? throw new KeyRingSecretException(
            "No key-encryption secret is configured, so the stored data-protection keys cannot be decrypted."))
    {
    }

    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        return KeyRingXmlEncryptor.Decrypt(encryptedElement, secrets);
    }
}

/// <summary>The key ring cannot be read with this node's key-encryption secret.</summary>
public sealed class KeyRingSecretException(string message) : CryptographicException(message);
