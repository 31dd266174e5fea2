using System.Diagnostics;
using System.Runtime.InteropServices;
using SkiaSharp;
using ZXing;
using ZXing.Common;
using ZXing.Multi;
using ZXing.Multi.QrCode;
using ZXing.QrCode;

namespace Shequn.Features.Images;

/// <summary>What became of an image handed to <see cref="QrDecoder"/>.</summary>
public enum QrScanOutcome
{
    /// <summary>The image was read; <see cref="QrScan.Codes"/> holds what its QR codes say (possibly none).</summary>
    Read = 0,
    /// <summary>The bytes are not a PNG, JPEG or WebP image (or are broken before the first row).</summary>
    NotAnImage = 1,
    /// <summary>Too many bytes, or a header that declares more pixels than Shequn will look at.</summary>
    TooLarge = 2,
    /// <summary>Reading took longer than <see cref="QrDecoderOptions.Timeout"/>.</summary>
    TimedOut = 3,
}

/// <summary>The result of one scan; <see cref="Reason"/> says in words why an image was not read.</summary>
public sealed record QrScan(QrScanOutcome Outcome, IReadOnlyList<string> Codes, string? Reason = null)
{
    public static QrScan Refused(QrScanOutcome outcome, string reason) => new(outcome, [], reason);
}

public sealed class QrDecoderOptions
{
    /// <summary>Larger files are refused unread (Telegram lets bots download at most 20 MB).</summary>
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>A header declaring more pixels than this is refused before anything is decoded.</summary>
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>The longest side the image is reduced to before looking for codes: time and memory stay bounded.</summary>
    public int WorkingSize { get; set; } = 2000;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Finds and decodes every QR code in a PNG, JPEG or WebP image (group rules treat WeChat contact and group codes as
/// contact evidence). Whatever arrives from a chat is untrusted, so the work is bounded before it starts: the byte
/// count, then the dimensions the header declares (read without decoding a pixel), and the decoded image is never held
/// at full size. Rows are decoded one at a time (JPEG and WebP already scaled down by their decoders) and averaged into
/// a grey image at most <see cref="QrDecoderOptions.WorkingSize"/> on its longest side, which is what ZXing reads. A
/// 20-megapixel photo therefore costs one row buffer and a 2000-pixel grey image, and the clock is checked every row.
/// </summary>
public sealed class QrDecoder(QrDecoderOptions? options = null)
{
    private readonly QrDecoderOptions _options = options ?? new QrDecoderOptions();

    private static readonly Dictionary<DecodeHintType, object> Hints = new()
    {
        [DecodeHintType.TRY_HARDER] = true,
        [DecodeHintType.POSSIBLE_FORMATS] = new List<BarcodeFormat> { BarcodeFormat.QR_CODE },
        [DecodeHintType.CHARACTER_SET] = "UTF-8",
    };

    public QrScan Scan(ReadOnlySpan<byte> bytes, CancellationToken ct = default)
    {
        if (bytes.Length == 0)
            return QrScan.Refused(QrScanOutcome.NotAnImage, "empty file");
        if (bytes.Length > _options.MaxBytes)
            return QrScan.Refused(QrScanOutcome.TooLarge, $"{bytes.Length:N0} bytes (at most {_options.MaxBytes:N0})");

        var clock = Stopwatch.StartNew();
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
            return QrScan.Refused(QrScanOutcome.NotAnImage, codec is null ? "not an image" : $"{codec.EncodedFormat} images are not read");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
            return QrScan.Refused(QrScanOutcome.NotAnImage, "no dimensions");
        if ((long)width * height > _options.MaxPixels)
            return QrScan.Refused(QrScanOutcome.TooLarge, $"{width}×{height} pixels (at most {_options.MaxPixels:N0})");

        var grey = Reduce(codec, clock, ct);
        if (grey is null)
            return clock.Elapsed > _options.Timeout
                ? QrScan.Refused(QrScanOutcome.TimedOut, $"reading took over {_options.Timeout.TotalSeconds:0} s")
                : QrScan.Refused(QrScanOutcome.NotAnImage, "the image data is broken");
        return new QrScan(QrScanOutcome.Read, Decode(grey.Value.Pixels, grey.Value.Width, grey.Value.Height));
    }

    /// <summary>
    /// Decodes into a grey image no larger than the working size (box average, white under transparency), holding at
    /// most <see cref="StripBytes"/> of decoded rows at a time: small (or decoder-scaled) images at once, JPEG line by
    /// line, PNG in strips of rows.
    /// </summary>
    private (byte[] Pixels, int Width, int Height)? Reduce(SKCodec codec, Stopwatch clock, CancellationToken ct)
    {
        var longest = Math.Max(codec.Info.Width, codec.Info.Height);
        var wanted = Math.Min(1f, (float)_options.WorkingSize / longest);
        // JPEG and WebP decoders scale for free (JPEG to 1/2, 1/4, 1/8; never below what was asked); PNG stays as is.
        var decoded = wanted < 1f ? codec.GetScaledDimensions(wanted) : codec.Info.Size;
        var info = new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var grey = new GreyImage(info.Width, info.Height, _options.WorkingSize);
        bool TimeIsUp() => ct.IsCancellationRequested || clock.Elapsed > _options.Timeout;

        if (info.BytesSize64 <= StripBytes)
        {
            var all = new byte[info.BytesSize64];
            var result = Decode(all, handle => codec.GetPixels(info, handle));
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput))
                return null;
            grey.AddRows(all, 0, info.Height, info.RowBytes);
            return TimeIsUp() ? null : grey.Finish();
        }

        var rows = Math.Max(1, (int)(StripBytes / info.RowBytes));
        var strip = new byte[(long)rows * info.RowBytes];
        if (codec.StartScanlineDecode(info) == SKCodecResult.Success && codec.ScanlineOrder == SKCodecScanlineOrder.TopDown)
        {
            for (var y = 0; y < info.Height; y += rows)
            {
                if (TimeIsUp())
                    return null;
                var want = Math.Min(rows, info.Height - y);
                var got = 0;
                Decode(strip, handle => { got = codec.GetScanlines(handle, want, info.RowBytes); return SKCodecResult.Success; });
                grey.AddRows(strip, y, got, info.RowBytes);
                if (got < want)
                    break; // truncated: use what arrived
            }
            return grey.Finish();
        }
        // PNG has no line decoder here, but decodes any band of rows (each band starts from the top of the data again).
        for (var y = 0; y < info.Height; y += rows)
        {
            if (TimeIsUp())
                return null;
            var band = new SKRectI(0, y, info.Width, Math.Min(info.Height, y + rows));
            var result = Decode(strip, handle =>
            {
                var started = codec.StartIncrementalDecode(info, handle, info.RowBytes, new SKCodecOptions(band));
                return started == SKCodecResult.Success ? codec.IncrementalDecode() : started;
            });
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput))
                return y == 0 ? null : grey.Finish();
            grey.AddRows(strip, y, band.Height, info.RowBytes);
            if (result != SKCodecResult.Success)
                break;
        }
        return grey.Finish();
    }

    /// <summary>At most this many bytes of decoded RGBA rows are held at once (a 2000×2000 image fits whole).</summary>
    private const long StripBytes = 16 * 1024 * 1024;

    private static SKCodecResult Decode(byte[] buffer, Func<IntPtr, SKCodecResult> into)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            return into(handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>Averages RGBA rows into a smaller grey image; pixels never reached (a truncated file) stay white.</summary>
    private sealed class GreyImage
    {
        private readonly int _sourceWidth, _sourceHeight, _width, _height;
        private readonly int[] _sums, _counts, _column;

        public GreyImage(int sourceWidth, int sourceHeight, int workingSize)
        {
            (_sourceWidth, _sourceHeight) = (sourceWidth, sourceHeight);
            var scale = Math.Min(1.0, (double)workingSize / Math.Max(sourceWidth, sourceHeight));
            _width = Math.Max(1, (int)Math.Round(sourceWidth * scale));
            _height = Math.Max(1, (int)Math.Round(sourceHeight * scale));
            _sums = new int[_width * _height];
            _counts = new int[_width * _height];
            _column = new int[sourceWidth];
            for (var x = 0; x < sourceWidth; x++)
                _column[x] = (int)((long)x * _width / sourceWidth);
        }

        public void AddRows(byte[] rgba, int firstRow, int count, int rowBytes)
        {
            for (var i = 0; i < count; i++)
            {
                var ty = (int)((long)(firstRow + i) * _height / _sourceHeight) * _width;
                var row = i * rowBytes;
                for (var x = 0; x < _sourceWidth; x++)
                {
                    var p = row + x * 4;
                    int r = rgba[p], g = rgba[p + 1], b = rgba[p + 2], a = rgba[p + 3];
                    var luma = (r * 299 + g * 587 + b * 114) / 1000;
                    luma = (luma * a + 255 * (255 - a)) / 255;
                    var t = ty + _column[x];
                    _sums[t] += luma;
                    _counts[t]++;
                }
            }
        }

        public (byte[] Pixels, int Width, int Height) Finish()
        {
            var pixels = new byte[_width * _height];
            for (var i = 0; i < pixels.Length; i++)
                pixels[i] = _counts[i] == 0 ? (byte)255 : (byte)(_sums[i] / _counts[i]);
            return (pixels, _width, _height);
        }
    }

    /// <summary>Every QR code ZXing finds, in reading order, each once.</summary>
    private static List<string> Decode(byte[] grey, int width, int height)
    {
        var source = new PlanarYUVLuminanceSource(grey, width, height, 0, 0, width, height, false);
        var found = new List<string>();
        void Add(IEnumerable<Result>? results)
        {
            foreach (var r in results ?? [])
            {
                if (!string.IsNullOrEmpty(r.Text) && !found.Contains(r.Text, StringComparer.Ordinal))
                    found.Add(r.Text);
            }
        }
        Add(new QRCodeMultiReader().decodeMultiple(new BinaryBitmap(new HybridBinarizer(source)), Hints));
        if (found.Count == 0)
            Add(new GenericMultipleBarcodeReader(new QRCodeReader()).decodeMultiple(new BinaryBitmap(new GlobalHistogramBinarizer(source)), Hints));
        return found;
    }
}
