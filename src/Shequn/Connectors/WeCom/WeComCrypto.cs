using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Shequn.Connectors.WeCom;

/// <summary>Why a WeCom callback could not be verified or decrypted. Codes follow WXBizMsgCrypt's where one exists.</summary>
public enum WeComCallbackError
{
    /// <summary>-40001: msg_signature does not match SHA-1 over (token, timestamp, nonce, encrypt).</summary>
    InvalidSignature = -40001,
    /// <summary>-40002: the callback XML could not be parsed.</summary>
    MalformedXml = -40002,
    /// <summary>-40004: the EncodingAESKey is not 43 Base64 characters of a 32-byte key.</summary>
    IllegalAesKey = -40004,
    /// <summary>-40005: the receiveid inside the message is not our corp id.</summary>
    WrongReceiveId = -40005,
    /// <summary>-40007: the ciphertext is not a whole number of AES blocks, or the padding is not 32-byte PKCS#7 (wrong key or tampered).</summary>
    DecryptFailed = -40007,
    /// <summary>-40008: the decrypted buffer is too short for its header or its length field points past the end.</summary>
    IllegalBuffer = -40008,
    /// <summary>-40010: the encrypted value is not Base64.</summary>
    InvalidBase64 = -40010,
    /// <summary>A required field (signature, timestamp, nonce, the encrypted value) is missing.</summary>
    MissingField = -1,
}

/// <summary>A callback that fails verification or decryption. Callers answer it with 4xx, never 500.</summary>
public sealed class WeComCallbackException(WeComCallbackError error, string message) : Exception(message)
{
    public WeComCallbackError Error { get; } = error;
}

/// <summary>An encrypted reply: the fields of WeCom's passive reply XML.</summary>
public sealed record WeComEncrypted(string Encrypt, string Signature, string Timestamp, string Nonce);

/// <summary>
/// WeCom's callback encryption (WXBizMsgCrypt, platforms.md A1): SHA-1 signatures over the sorted
/// (token, timestamp, nonce, encrypt) strings and AES-256-CBC over
/// random(16) || big-endian length(4) || message || receiveid, padded with PKCS#7 to a 32-byte block.
/// .NET's PKCS#7 padding checks against the 16-byte AES block and would reject pads of 17..32, so padding is
/// added and checked here and the cipher runs with <see cref="PaddingMode.None"/>.
/// </summary>
public sealed class WeComCrypto
{
    private const int PadBlock = 32;
    private const int RandomLength = 16;
    private const int HeaderLength = RandomLength + 4;

    private readonly string _token;
    private readonly string _receiveId;
    private readonly byte[] _key;
    private readonly byte[] _iv;
    private readonly Action<Span<byte>> _random;

    /// <param name="token">The callback Token configured in WeCom.</param>
    /// <param name="encodingAesKey">The 43-character EncodingAESKey.</param>
    /// <param name="receiveId">The corp id for a self-built app (the suite id for a third-party app).</param>
    /// <param name="random">Fills the 16 random bytes of an encrypted message; tests pass a fixed source.</param>
    public WeComCrypto(string token, string encodingAesKey, string receiveId, Action<Span<byte>>? random = null)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(receiveId);
        _token = token;
        _receiveId = receiveId;
        _key = DecodeKey(encodingAesKey);
        _iv = _key[..16];
        _random = random ?? RandomNumberGenerator.Fill;
    }

    private static byte[] DecodeKey(string? encodingAesKey)
    {
        if (encodingAesKey is not { Length: 43 })
            throw new WeComCallbackException(WeComCallbackError.IllegalAesKey, "The EncodingAESKey must be 43 characters long.");
        byte[] key;
        try
        {
            key = Convert.FromBase64String(encodingAesKey + "=");
        }
        catch (FormatException)
        {
            throw new WeComCallbackException(WeComCallbackError.IllegalAesKey, "The EncodingAESKey is not Base64.");
        }
        return key.Length == 32
            ? key
            : throw new WeComCallbackException(WeComCallbackError.IllegalAesKey, "The EncodingAESKey does not decode to a 32-byte key.");
    }

    /// <summary>Lower-case hex SHA-1 of the four values sorted ordinally and joined without separator.</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "SHA-1 is WeCom's choice, not ours; the signature only has to match theirs.")]
    public static string Signature(string token, string timestamp, string nonce, string encrypt)
    {
        string[] parts = [token, timestamp, nonce, encrypt];
        Array.Sort(parts, StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts))));
    }

    /// <summary>Checks the signature, then decrypts. Used for the URL-verification echostr and for a POST's Encrypt value.</summary>
    /// <exception cref="WeComCallbackException">Any failure, with its <see cref="WeComCallbackError"/>.</exception>
    public string VerifyAndDecrypt(string? msgSignature, string? timestamp, string? nonce, string? encrypt)
    {
        if (string.IsNullOrEmpty(msgSignature))
            throw Missing("msg_signature");
        if (string.IsNullOrEmpty(timestamp))
            throw Missing("timestamp");
        if (string.IsNullOrEmpty(nonce))
            throw Missing("nonce");
        if (string.IsNullOrEmpty(encrypt))
            throw Missing("the encrypted value");
        var expected = Encoding.ASCII.GetBytes(Signature(_token, timestamp, nonce, encrypt));
        var given = Encoding.ASCII.GetBytes(msgSignature.ToLowerInvariant());
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
            throw new WeComCallbackException(WeComCallbackError.InvalidSignature, "msg_signature does not match the token, timestamp, nonce and message.");
        return Decrypt(encrypt);
    }

    private static WeComCallbackException Missing(string field) =>
        new(WeComCallbackError.MissingField, $"The callback has no {field}.");

    /// <summary>Decrypts an Encrypt value (no signature check) and checks its receiveid.</summary>
    public string Decrypt(string encrypt)
    {
        byte[] cipher;
        try
        {
            cipher = Convert.FromBase64String(encrypt);
        }
        catch (FormatException)
        {
            throw new WeComCallbackException(WeComCallbackError.InvalidBase64, "The encrypted message is not Base64.");
        }
        if (cipher.Length == 0 || cipher.Length % PadBlock != 0)
            throw new WeComCallbackException(WeComCallbackError.DecryptFailed,
                $"The encrypted message is {cipher.Length} bytes, not a whole number of {PadBlock}-byte blocks.");

        byte[] plain;
        using (var aes = Aes.Create())
        {
            aes.Key = _key;
            plain = aes.DecryptCbc(cipher, _iv, PaddingMode.None);
        }

        var unpadded = Unpad(plain);
        if (unpadded.Length < HeaderLength)
            throw new WeComCallbackException(WeComCallbackError.IllegalBuffer, "The decrypted message is shorter than its header.");
        var length = BinaryPrimitives.ReadUInt32BigEndian(unpadded.Slice(RandomLength, 4));
        if (length > unpadded.Length - HeaderLength)
            throw new WeComCallbackException(WeComCallbackError.IllegalBuffer, "The decrypted message's length field points past its end.");
        var message = unpadded.Slice(HeaderLength, (int)length);
        var receiveId = unpadded[(HeaderLength + (int)length)..];
        if (!receiveId.SequenceEqual(Encoding.UTF8.GetBytes(_receiveId)))
            throw new WeComCallbackException(WeComCallbackError.WrongReceiveId, "The message is addressed to another corp id.");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(message);
        }
        catch (DecoderFallbackException)
        {
            throw new WeComCallbackException(WeComCallbackError.IllegalBuffer, "The decrypted message is not UTF-8.");
        }
    }

    /// <summary>
    /// Strips and checks a 32-byte PKCS#7 pad: the last byte is 1..32 and so are all the pad bytes. (The official
    /// sample silently treats a bad pad as none; a bad pad here means a wrong key or a tampered message.)
    /// </summary>
    private static ReadOnlySpan<byte> Unpad(byte[] plain)
    {
        int pad = plain[^1];
        if (pad is < 1 or > PadBlock || pad > plain.Length)
            throw new WeComCallbackException(WeComCallbackError.DecryptFailed, "The decrypted message has no valid padding (wrong key or tampered message).");
        for (var i = plain.Length - pad; i < plain.Length; i++)
        {
            if (plain[i] != pad)
                throw new WeComCallbackException(WeComCallbackError.DecryptFailed, "The decrypted message has no valid padding (wrong key or tampered message).");
        }
        return plain.AsSpan(0, plain.Length - pad);
    }

    /// <summary>Encrypts a message with fresh random bytes; the Base64 Encrypt value.</summary>
    public string Encrypt(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var msg = Encoding.UTF8.GetBytes(message);
        var receiveId = Encoding.UTF8.GetBytes(_receiveId);
        var length = HeaderLength + msg.Length + receiveId.Length;
        var pad = PadBlock - length % PadBlock; // 1..32: a whole block of 32 when already aligned
        var buffer = new byte[length + pad];
        _random(buffer.AsSpan(0, RandomLength));
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(RandomLength, 4), (uint)msg.Length);
        msg.CopyTo(buffer, HeaderLength);
        receiveId.CopyTo(buffer, HeaderLength + msg.Length);
        buffer.AsSpan(length).Fill((byte)pad);
        using var aes = Aes.Create();
        aes.Key = _key;
        return Convert.ToBase64String(aes.EncryptCbc(buffer, _iv, PaddingMode.None));
    }

    /// <summary>Encrypts and signs a reply with the given timestamp and nonce.</summary>
    public WeComEncrypted EncryptAndSign(string message, string timestamp, string nonce)
    {
        var encrypt = Encrypt(message);
        return new WeComEncrypted(encrypt, Signature(_token, timestamp, nonce, encrypt), timestamp, nonce);
    }
}
