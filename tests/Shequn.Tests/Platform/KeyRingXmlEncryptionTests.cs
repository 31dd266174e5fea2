using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.Extensions.Configuration;
using Shequn.Platform.KeyRing;

namespace Shequn.Tests.Platform;

public class KeyRingXmlEncryptionTests
{
    private static readonly XElement Descriptor = XElement.Parse(
        "<descriptor><encryption algorithm=\"AES_256_CBC\" /><masterKey><value>c2VjcmV0LW1hc3Rlci1rZXktbWF0ZXJpYWwtMDEyMzQ1Njc4OQ==</value></masterKey></descriptor>");

    private static KeyEncryptionSecret NewSecret(string source = "test") =>
        new(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), source);

    private static KeyEncryptionSecrets Only(KeyEncryptionSecret secret) => new(secret, []);

    [Fact]
    public void Encrypt_ThenDecrypt_GivesTheElementBackWithoutItInTheCiphertext()
    {
        var secrets = Only(NewSecret());

        var info = new KeyRingXmlEncryptor(secrets).Encrypt(Descriptor);

        Assert.Equal(typeof(KeyRingXmlDecryptor), info.DecryptorType);
        Assert.DoesNotContain("masterKey", info.EncryptedElement.ToString(), StringComparison.Ordinal);
        Assert.Equal(secrets.Current.Id, (string?)info.EncryptedElement.Attribute("secretId"));
        Assert.True(XNode.DeepEquals(Descriptor, new KeyRingXmlDecryptor(secrets).Decrypt(info.EncryptedElement)));
    }

    [Fact]
    public void Decrypt_AnotherSecret_NamesBothSecretIds()
    {
        var made = Only(NewSecret());
        var other = Only(NewSecret("elsewhere"));
        var encrypted = new KeyRingXmlEncryptor(made).Encrypt(Descriptor).EncryptedElement;

        var e = Assert.Throws<KeyRingSecretException>(() => new KeyRingXmlDecryptor(other).Decrypt(encrypted));

        Assert.Contains(made.Current.Id, e.Message, StringComparison.Ordinal);
        Assert.Contains(other.Current.Id, e.Message, StringComparison.Ordinal);
        Assert.Contains("elsewhere", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_AlteredCiphertext_IsRefused()
    {
        var secrets = Only(NewSecret());
        var encrypted = new KeyRingXmlEncryptor(secrets).Encrypt(Descriptor).EncryptedElement;
        var bytes = Convert.FromBase64String(encrypted.Value);
        bytes[^1] ^= 1;
        encrypted.Value = Convert.ToBase64String(bytes);

        var e = Assert.Throws<KeyRingSecretException>(() => new KeyRingXmlDecryptor(secrets).Decrypt(encrypted));

        Assert.Contains("altered", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_SecretIdSwappedToAnotherKnownSecret_IsRefused()
    {
        var old = NewSecret();
        var current = NewSecret();
        var encrypted = new KeyRingXmlEncryptor(Only(old)).Encrypt(Descriptor).EncryptedElement;
        encrypted.SetAttributeValue("secretId", current.Id);

        Assert.Throws<KeyRingSecretException>(() => new KeyRingXmlDecryptor(new KeyEncryptionSecrets(current, [old])).Decrypt(encrypted));
    }

    [Fact]
    public void Rotation_PreviousSecretStillDecryptsOldKeysAndNewKeysUseTheCurrentOne()
    {
        var old = NewSecret();
        var current = NewSecret();
        var oldKey = new KeyRingXmlEncryptor(Only(old)).Encrypt(Descriptor).EncryptedElement;
        var rotated = new KeyEncryptionSecrets(current, [old]);

        var newKey = new KeyRingXmlEncryptor(rotated).Encrypt(Descriptor).EncryptedElement;

        Assert.True(XNode.DeepEquals(Descriptor, new KeyRingXmlDecryptor(rotated).Decrypt(oldKey)));
        Assert.Equal(current.Id, (string?)newKey.Attribute("secretId"));
        Assert.Throws<KeyRingSecretException>(() => new KeyRingXmlDecryptor(Only(old)).Decrypt(newKey));
    }

    [Fact]
    public void Load_PreviousSecretsFromConfiguration_AreKeptInOrder()
    {
        string[] values = [new('a', 40), new('b', 40), new('c', 40)];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [KeyEncryptionSecrets.ConfigKey] = values[0],
            [KeyEncryptionSecrets.PreviousConfigKey + ":0"] = values[1],
            [KeyEncryptionSecrets.PreviousConfigKey + ":1"] = values[2],
        }).Build();

        var secrets = KeyEncryptionSecrets.Load(configuration, Path.GetTempPath());

        Assert.Equal(new KeyEncryptionSecret(values[0], "x").Id, secrets.Current.Id);
        Assert.Equal([new KeyEncryptionSecret(values[1], "x").Id, new KeyEncryptionSecret(values[2], "x").Id], secrets.Previous.Select(p => p.Id));
    }
}
