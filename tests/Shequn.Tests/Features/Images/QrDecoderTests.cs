using System.Diagnostics;
using Shequn.Features.Images;
using SkiaSharp;

namespace Shequn.Tests.Features.Images;

public sealed class QrDecoderTests
{
    private readonly QrDecoder _decoder = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Reads_a_QR_code_png_made_by_QRCoder()
    {
        var scan = _decoder.Scan(TestImages.QrPng(TestImages.WeChatPersonal), Ct);

        Assert.Equal(QrScanOutcome.Read, scan.Outcome);
        Assert.Equal([TestImages.WeChatPersonal], scan.Codes);
    }

    [Fact]
    public void Reads_chinese_text_in_a_code()
    {
        var scan = _decoder.Scan(TestImages.QrPng("加我微信 abc123 领红包"), Ct);

        Assert.Equal(["加我微信 abc123 领红包"], scan.Codes);
    }

    [Fact]
    public void Finds_two_codes_inside_a_photo_like_png()
    {
        var photo = TestImages.Photo(1600, 1200, SKEncodedImageFormat.Png,
            (TestImages.WeChatGroup, 120, 200, 360), ("https://shop.example.cn/p/42", 1000, 600, 400));

        var scan = _decoder.Scan(photo, Ct);

        Assert.Equal(QrScanOutcome.Read, scan.Outcome);
        Assert.Equal(2, scan.Codes.Count);
        Assert.Contains(TestImages.WeChatGroup, scan.Codes);
        Assert.Contains("https://shop.example.cn/p/42", scan.Codes);
    }

    [Fact]
    public void Reads_a_jpeg_and_a_webp()
    {
        var jpeg = TestImages.Photo(1200, 900, SKEncodedImageFormat.Jpeg, (TestImages.WeChatPersonal, 300, 200, 420));
        var webp = TestImages.Photo(1200, 900, SKEncodedImageFormat.Webp, (TestImages.WeChatGroup, 500, 300, 420));

        Assert.Equal([TestImages.WeChatPersonal], _decoder.Scan(jpeg, Ct).Codes);
        Assert.Equal([TestImages.WeChatGroup], _decoder.Scan(webp, Ct).Codes);
    }

    [Fact]
    public void A_photo_without_a_code_reads_as_none()
    {
        var scan = _decoder.Scan(TestImages.Photo(800, 600, SKEncodedImageFormat.Jpeg), Ct);

        Assert.Equal(QrScanOutcome.Read, scan.Outcome);
        Assert.Empty(scan.Codes);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34 })] // %PDF-1.4
    [InlineData(new byte[] { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00 })] // a PNG signature and nothing else
    public void Garbage_is_not_an_image(byte[] bytes)
    {
        var scan = _decoder.Scan(bytes, Ct);

        Assert.Equal(QrScanOutcome.NotAnImage, scan.Outcome);
        Assert.Empty(scan.Codes);
        Assert.False(string.IsNullOrEmpty(scan.Reason));
    }

    [Fact]
    public void Random_bytes_are_not_an_image()
    {
        var bytes = new byte[200_000];
        new Random(3).NextBytes(bytes);

        Assert.Equal(QrScanOutcome.NotAnImage, _decoder.Scan(bytes, Ct).Outcome);
    }

    [Fact]
    public void A_header_declaring_a_huge_image_is_refused_before_decoding()
    {
        var clock = Stopwatch.StartNew();
        var scan = _decoder.Scan(TestImages.PngHeaderOnly(60_000, 60_000), Ct);

        Assert.Equal(QrScanOutcome.TooLarge, scan.Outcome);
        Assert.Contains("60000", scan.Reason, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Too_many_bytes_are_refused_unread()
    {
        var decoder = new QrDecoder(new QrDecoderOptions { MaxBytes = 100 });

        var scan = decoder.Scan(TestImages.QrPng(TestImages.WeChatPersonal, 20), Ct);

        Assert.Equal(QrScanOutcome.TooLarge, scan.Outcome);
    }

    [Fact]
    public void A_20_megapixel_photo_is_scaled_down_and_read_in_bounded_time_and_memory()
    {
        var photo = TestImages.Photo(5472, 3648, SKEncodedImageFormat.Jpeg, (TestImages.WeChatPersonal, 2000, 1200, 1400));
        // This thread's allocations only (the decoder works on the calling thread): the process's total also counts the
        // tests running beside this one, and once came to 61 MB that way.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();

        var scan = _decoder.Scan(photo, Ct);

        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Current.TestOutputHelper?.WriteLine($"20 MP JPEG: {clock.ElapsedMilliseconds} ms, {allocated:N0} bytes allocated");
        Assert.Equal([TestImages.WeChatPersonal], scan.Codes);
        // The bound leaves room for a loaded CI machine running other tests.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        // Full size would be 80 MB of RGBA; the working image is about 2000×1333.
        Assert.True(allocated < 60_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void A_20_megapixel_png_is_read_row_by_row()
    {
        var photo = TestImages.Photo(5472, 3648, SKEncodedImageFormat.Png, (TestImages.WeChatGroup, 300, 300, 1600));
        var clock = Stopwatch.StartNew();

        var scan = _decoder.Scan(photo, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine($"20 MP PNG: {clock.ElapsedMilliseconds} ms");
        Assert.Equal([TestImages.WeChatGroup], scan.Codes);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_scan_over_its_time_budget_gives_up()
    {
        var decoder = new QrDecoder(new QrDecoderOptions { Timeout = TimeSpan.Zero });

        var scan = decoder.Scan(TestImages.Photo(1200, 900, SKEncodedImageFormat.Png, (TestImages.WeChatGroup, 100, 100, 400)), Ct);

        Assert.Equal(QrScanOutcome.TimedOut, scan.Outcome);
    }
}
