using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Shequn.Fakes.WeCom;

/// <summary>
/// WeCom's side of WXBizMsgCrypt (platforms.md A1), written apart from Shequn's so that the two check each other:
/// random(16) || big-endian length || message || corp id, PKCS#7-padded to 32 bytes, AES-256-CBC with the key's first
/// 16 bytes as IV; signature = lower-case hex SHA-1 of the sorted (token, timestamp, nonce, encrypt).
/// </summary>
public static class FakeWeComCrypto
{
    public static byte[] Key(string encodingAesKey) => Convert.FromBase64String(encodingAesKey + "=");

    public static string Encrypt(string encodingAesKey, string corpId, string message)
    {
        var key = Key(encodingAesKey);
        var msg = Encoding.UTF8.GetBytes(message);
        var corp = Encoding.UTF8.GetBytes(corpId);
        using var buffer = new MemoryStream();
        buffer.Write(RandomNumberGenerator.GetBytes(16));
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, msg.Length);
        buffer.Write(length);
        buffer.Write(msg);
        buffer.Write(corp);
        var pad = 32 - (int)(buffer.Length % 32);
        for (var i = 0; i < pad; i++)
            buffer.WriteByte((byte)pad);
        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(buffer.ToArray(), key[..16], PaddingMode.None));
    }

    public static string Decrypt(string encodingAesKey, string encrypt)
    {
        var key = Key(encodingAesKey);
        using var aes = Aes.Create();
        aes.Key = key;
        var plain = aes.DecryptCbc(Convert.FromBase64String(encrypt), key[..16], PaddingMode.None);
        var length = BinaryPrimitives.ReadInt32BigEndian(plain.AsSpan(16, 4));
        return Encoding.UTF8.GetString(plain, 20, length);
    }

    public static string Sign(string token, string timestamp, string nonce, string encrypt)
    {
        var parts = new[] { token, timestamp, nonce, encrypt };
        Array.Sort(parts, StringComparer.Ordinal);
#pragma warning disable CA5350 // WeCom's algorithm
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts))));
#pragma warning restore CA5350
    }
}
