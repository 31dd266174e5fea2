using System.Buffers.Binary;
using QRCoder;
using SkiaSharp;

namespace Shequn.Tests.Features.Images;

/// <summary>Images made in the tests: QR codes from QRCoder, placed on photo-like backgrounds with SkiaSharp.</summary>
public static class TestImages
{
    public const string WeChatPersonal = "https://u.wechat.com/EAbCdEfGh12Ij";
    public const string WeChatGroup = "https://weixin.qq.com/g/AbCdEf_12345";

    /// <summary>A QR code alone, as QRCoder writes it (PNG, white quiet zone).</summary>
    public static byte[] QrPng(string text, int pixelsPerModule = 8)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new PngByteQRCode(data).GetGraphic(pixelsPerModule);
    }

    /// <summary>
    /// A noisy gradient "photo" of the given size with each code pasted at its place and side length, encoded as
    /// <paramref name="format"/>.
    /// </summary>
    public static byte[] Photo(int width, int height, SKEncodedImageFormat format, params (string Text, int X, int Y, int Side)[] codes)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        using (var gradient = new SKPaint())
        {
            gradient.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                [new SKColor(40, 90, 160), new SKColor(230, 180, 90), new SKColor(60, 140, 70)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, width, height, gradient);
        }
        var random = new Random(7);
        using (var dot = new SKPaint { IsAntialias = true })
        {
            for (var i = 0; i < 400; i++)
            {
                dot.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 120);
                canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(4, Math.Max(5, width / 40)), dot);
            }
        }
        foreach (var (text, x, y, side) in codes)
        {
            using var qr = SKBitmap.Decode(QrPng(text, 10));
            using var paint = new SKPaint();
            canvas.DrawBitmap(qr, new SKRect(x, y, x + side, y + side), new SKSamplingOptions(SKFilterMode.Nearest), paint);
        }
        using var image = surface.Snapshot();
        using var encoded = image.Encode(format, 90);
        return encoded.ToArray();
    }

    /// <summary>A PNG that is only a signature and a header declaring the given size: a decompression bomb's first bytes.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        using var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] body)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, body.Length);
        s.Write(number);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(body).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc(typed));
        s.Write(number);
    }

    private static uint Crc(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
