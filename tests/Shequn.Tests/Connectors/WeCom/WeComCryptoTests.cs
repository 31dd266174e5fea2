using System.Security.Cryptography;
using System.Text;
using Shequn.Connectors.WeCom;

namespace Shequn.Tests.Connectors.WeCom;

/// <summary>Vectors W1, W3 and W4 of docs platforms.md A1.2, and every way a callback can be wrong.</summary>
public class WeComCryptoTests
{
    private const string Token = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo";
    private const string AesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
    private const string CorpId = "ww1436e0e65a779aee";

    private const string W1aEchoStr = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==";

    private const string W1bEncrypt =
        "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+";

    private const string W1bBody =
        "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA[" + W1bEncrypt +
        "]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>";

    private const string W4Encrypt =
        "RBkZDeI8jqj0PZbWAaXjNSDqx97WFVE3GeHT5qKkHprixMFRvSmQWQDcpfXjEdn84SgPw1M+TcwXhM07UR+FNH3UPLOdNraD1upSNp8exxKPnlCSl+Sx1fRUvCqMHKZ6";

    private static WeComCrypto W1(string receiveId = CorpId, Action<Span<byte>>? random = null) => new(Token, AesKey, receiveId, random);

    private static void FixedRandom(Span<byte> bytes) => Encoding.ASCII.GetBytes("aaaabbbbccccdddd").CopyTo(bytes);

    [Fact]
    public void VerifyAndDecrypt_W1aUrlVerification_ReturnsTheEchoPlaintext()
    {
        var plain = W1().VerifyAndDecrypt("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", W1aEchoStr);

        Assert.Equal("1288432023552776189", plain);
    }

    [Fact]
    public void VerifyAndDecrypt_W1bEventPost_ReturnsTheMessageWithAPadOver16()
    {
        var envelope = WeComCallbackXml.ReadEnvelope(W1bBody);

        var plain = W1().VerifyAndDecrypt("0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", envelope.Encrypt);

        Assert.Equal(
            "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>",
            plain);
        Assert.Equal(CorpId, envelope.ToUserName);
        Assert.Equal("1000002", envelope.AgentId);
    }

    [Fact]
    public void Signature_W3_MatchesThePublishedSignature()
    {
        const string encrypt =
            "Q/jUxIL3/jRaFeTKesIr1QSq2SOEApDqlzcRrRM6Jlk4EbMBns3plPOR/W3gThOEq+zYI42fNSoIUb3cQwt9zyD1aLU/7D3WNLute7LQ9LSHjZEfVmx5zcIR9zvrUWGjhe1whTPH4e1WR6vbOYs8o/bDRF0vX/NcE4XK7P83Y6CzQiJoKbjVCne84s0zcw5eh+ZUDB55eaDHPSoS7kAC8kB00pfBoDF0jyfc8CUKLW97e72vJGyUWjZ0BvYN+R+tFjMgEzg/EN1imuuFnf40DMAcvB6y+C97TuaWjpgfRdowGWzn10JAFNukRfQqjdA0e2bfczJ7+t9w/t8/XSMADJOt1xbnP+I5cRX/r7ueBGmG/6ejP3myO9yTXHdujGvwrXHuWw+J7qD4VoUVjbm2vQ1qQKbrweKssr6O+3XSbanZ5R3n26EpN/gfgX+r6rcGViqsFop9Ai9xMnfJUubB6Q==";

        Assert.Equal("8128e41a38892d814e4aa67753425da9dc8ec2b3", WeComCrypto.Signature("ovAkP0Tb", "1628737717", "1811081856", encrypt));
    }

    [Fact]
    public void EncryptAndSign_W4WithFixedRandom_MatchesTheVectorAndDecryptsBack()
    {
        var crypto = W1(random: FixedRandom);

        var reply = crypto.EncryptAndSign("<xml><Test>Hello</Test></xml>", "1700000000", "123456");

        Assert.Equal(W4Encrypt, reply.Encrypt);
        Assert.Equal("1e7bc9263025c72b3be2cf597b0eb6c1d14390f6", reply.Signature);
        Assert.Equal("<xml><Test>Hello</Test></xml>", crypto.VerifyAndDecrypt(reply.Signature, reply.Timestamp, reply.Nonce, reply.Encrypt));
    }

    [Theory]
    [InlineData("")] // 16 + 4 + 0 + 18 = 38 bytes: pad 26
    [InlineData("0123456789")] // 48 bytes: pad 16
    [InlineData("0123456789AB")] // 50 bytes: pad 14
    [InlineData("01234567890123456789012345")] // 64 bytes, aligned: a whole block of 32
    public void Encrypt_AnyLength_PadsTo32AndRoundTrips(string message)
    {
        var crypto = W1();

        var encrypt = crypto.Encrypt(message);

        Assert.Equal(0, Convert.FromBase64String(encrypt).Length % 32);
        Assert.Equal(message, crypto.Decrypt(encrypt));
    }

    [Fact]
    public void Encrypt_DefaultRandom_DiffersEachTime()
    {
        var crypto = W1();

        Assert.NotEqual(crypto.Encrypt("same"), crypto.Encrypt("same"));
    }

    [Fact]
    public void VerifyAndDecrypt_TamperedSignature_IsInvalidSignature()
    {
        var e = Assert.Throws<WeComCallbackException>(() =>
            W1().VerifyAndDecrypt("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebec", "1476416373", "47744683", W1aEchoStr));

        Assert.Equal(WeComCallbackError.InvalidSignature, e.Error);
    }

    [Fact]
    public void VerifyAndDecrypt_TamperedTimestamp_IsInvalidSignature()
    {
        var e = Assert.Throws<WeComCallbackException>(() =>
            W1().VerifyAndDecrypt("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416374", "47744683", W1aEchoStr));

        Assert.Equal(WeComCallbackError.InvalidSignature, e.Error);
    }

    [Theory]
    [InlineData(null, "1476416373", "47744683", W1aEchoStr)]
    [InlineData("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "", "47744683", W1aEchoStr)]
    [InlineData("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", null, W1aEchoStr)]
    [InlineData("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", "")]
    public void VerifyAndDecrypt_MissingField_IsMissingField(string? signature, string? timestamp, string? nonce, string? echo)
    {
        var e = Assert.Throws<WeComCallbackException>(() => W1().VerifyAndDecrypt(signature, timestamp, nonce, echo));

        Assert.Equal(WeComCallbackError.MissingField, e.Error);
    }

    [Fact]
    public void Decrypt_WrongCorpId_IsWrongReceiveId()
    {
        var e = Assert.Throws<WeComCallbackException>(() => W1(receiveId: "ww0000000000000000").Decrypt(W1aEchoStr));

        Assert.Equal(WeComCallbackError.WrongReceiveId, e.Error);
    }

    [Fact]
    public void Decrypt_WrongKey_IsDecryptFailedNotACrash()
    {
        var other = new WeComCrypto(Token, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", CorpId);

        var e = Assert.Throws<WeComCallbackException>(() => other.Decrypt(W1bEncrypt));

        // A wrong key leaves a random last block: the pad check catches it (or, once in 2^8-ish, the header or corp id does).
        Assert.Contains(e.Error, new[] { WeComCallbackError.DecryptFailed, WeComCallbackError.IllegalBuffer, WeComCallbackError.WrongReceiveId });
    }

    [Fact]
    public void Decrypt_PadByteOutOfRange_IsDecryptFailed()
    {
        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(EncryptRaw(Block(32, 0x00, last: 33))));

        Assert.Equal(WeComCallbackError.DecryptFailed, e.Error);
    }

    [Fact]
    public void Decrypt_PadBytesDisagree_IsDecryptFailed()
    {
        var buffer = Block(64, 20, last: 20);
        buffer[^5] = 19;

        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(EncryptRaw(buffer)));

        Assert.Equal(WeComCallbackError.DecryptFailed, e.Error);
    }

    [Fact]
    public void Decrypt_ZeroPad_IsDecryptFailed()
    {
        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(EncryptRaw(Block(32, 0, last: 0))));

        Assert.Equal(WeComCallbackError.DecryptFailed, e.Error);
    }

    [Fact]
    public void Decrypt_LengthFieldPastTheEnd_IsIllegalBuffer()
    {
        // 16 random + length 1000 + nothing, padded with 12 bytes of 12.
        var buffer = new byte[32];
        buffer[18] = 0x03;
        buffer[19] = 0xE8;
        buffer.AsSpan(20).Fill(12);

        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(EncryptRaw(buffer)));

        Assert.Equal(WeComCallbackError.IllegalBuffer, e.Error);
    }

    [Fact]
    public void Decrypt_ShorterThanTheHeader_IsIllegalBuffer()
    {
        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(EncryptRaw(Block(32, 0, last: 16, padLength: 16))));

        Assert.Equal(WeComCallbackError.IllegalBuffer, e.Error);
    }

    [Fact]
    public void Decrypt_TruncatedCipherText_IsDecryptFailed()
    {
        var truncated = Convert.ToBase64String(Convert.FromBase64String(W1bEncrypt)[..^16]);

        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(truncated));

        Assert.Equal(WeComCallbackError.DecryptFailed, e.Error);
    }

    [Fact]
    public void Decrypt_DroppedLastBlockPair_IsCaught()
    {
        // A whole 32 bytes cut off keeps the length valid for AES: the pad or the corp id no longer checks out.
        var truncated = Convert.ToBase64String(Convert.FromBase64String(W1bEncrypt)[..^32]);

        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(truncated));

        Assert.Contains(e.Error, new[] { WeComCallbackError.DecryptFailed, WeComCallbackError.IllegalBuffer, WeComCallbackError.WrongReceiveId });
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("abc")]
    public void Decrypt_NotBase64_IsInvalidBase64(string encrypt)
    {
        var e = Assert.Throws<WeComCallbackException>(() => W1().Decrypt(encrypt));

        Assert.Equal(WeComCallbackError.InvalidBase64, e.Error);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhU")] // 42 characters
    [InlineData("6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqh!t")] // not Base64
    public void Constructor_IllegalAesKey_IsIllegalAesKey(string key)
    {
        var e = Assert.Throws<WeComCallbackException>(() => new WeComCrypto(Token, key, CorpId));

        Assert.Equal(WeComCallbackError.IllegalAesKey, e.Error);
    }

    /// <summary>A buffer of <paramref name="length"/> bytes ending in <paramref name="padLength"/> bytes of <paramref name="last"/>.</summary>
    private static byte[] Block(int length, byte fill, byte last, int padLength = 1)
    {
        var buffer = new byte[length];
        buffer.AsSpan().Fill(fill);
        buffer.AsSpan(length - padLength).Fill(last);
        return buffer;
    }

    /// <summary>Encrypts a plaintext buffer exactly as given, to feed the decryptor with bad layouts.</summary>
    private static string EncryptRaw(byte[] buffer)
    {
        var key = Convert.FromBase64String(AesKey + "=");
        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(buffer, key[..16], PaddingMode.None));
    }
}
