using System.Collections.Concurrent;
using QRCoder;
using SkiaSharp;

namespace Shequn.Features.Campaigns;

/// <summary>What a share poster says: all of it already in the page's language.</summary>
public sealed record PosterText(string WorkspaceName, string CampaignName, string? Price, string? OriginalPrice, string? Hero, string? Invitation, string Scan);

/// <summary>
/// Share posters (<c>/c/{slug}/poster.png</c>): a 750×1334 PNG — the phone-screen size WeChat users save and forward —
/// with the campaign's name, price, first hero text, the workspace and a QR code of the sharer's invite link. Chinese
/// needs a CJK typeface: the font manager's match for 中, else an installed Noto CJK file, else the default (which
/// draws boxes but still yields a poster whose QR code works). Posters are kept briefly per campaign, member, group
/// and language, so a member tapping "share" twice (or a burst of shares) renders once.
/// </summary>
public sealed class CampaignPosters(TimeProvider time)
{
    public const int Width = 750;
    public const int Height = 1334;
    private const int MaxKept = 2000;
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(1);
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    ];
    internal static readonly Lazy<SKTypeface> Cjk = new(FindTypeface);

    private readonly ConcurrentDictionary<(Guid Campaign, Guid Member, Guid? Group, string Culture), (byte[] Png, DateTime Until)> _kept = new();

    public byte[] Get(Guid campaignId, Guid memberId, Guid? groupId, string culture, string url, PosterText text)
    {
        var key = (campaignId, memberId, groupId, culture);
        var now = time.GetUtcNow().UtcDateTime;
        if (_kept.TryGetValue(key, out var hit) && hit.Until > now)
            return hit.Png;
        var png = Render(url, text);
        if (_kept.Count >= MaxKept)
            _kept.Clear();
        _kept[key] = (png, now + Keep);
        return png;
    }

    public static byte[] Render(string url, PosterText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var band = new SKPaint())
        {
            band.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(Width, 640), [new SKColor(0xC6, 0x28, 0x28), new SKColor(0xEF, 0x6C, 0x00)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, Width, 640, band);
        }
        var face = Cjk.Value;
        using var paint = new SKPaint { IsAntialias = true, Color = SKColors.White };
        using var small = new SKFont(face, 30);
        using var title = new SKFont(face, 54) { Embolden = true };
        using var body = new SKFont(face, 32);
        using var big = new SKFont(face, 76) { Embolden = true };
        var y = 90f;
        paint.Color = new SKColor(255, 255, 255, 220);
        canvas.DrawText(Fit(text.WorkspaceName, small, Width - 96), 48, y, SKTextAlign.Left, small, paint);
        y += 100;
        paint.Color = SKColors.White;
        foreach (var line in Wrap(text.CampaignName, title, Width - 96, 2))
        {
            canvas.DrawText(line, 48, y, SKTextAlign.Left, title, paint);
            y += 70;
        }
        if (!string.IsNullOrWhiteSpace(text.Hero))
        {
            y += 10;
            foreach (var line in Wrap(text.Hero, body, Width - 96, 3))
            {
                canvas.DrawText(line, 48, y, SKTextAlign.Left, body, paint);
                y += 46;
            }
        }
        if (text.Price is { } price)
        {
            y = Math.Max(y + 40, 520);
            paint.Color = new SKColor(0xFF, 0xEB, 0x3B);
            canvas.DrawText(price, 48, y, SKTextAlign.Left, big, paint);
            if (text.OriginalPrice is { } original)
            {
                var x = 48 + big.MeasureText(price) + 28;
                paint.Color = new SKColor(255, 255, 255, 200);
                canvas.DrawText(original, x, y, SKTextAlign.Left, body, paint);
                using var strike = new SKPaint { IsAntialias = true, Color = paint.Color, StrokeWidth = 3 };
                canvas.DrawLine(x, y - 11, x + body.MeasureText(original), y - 11, strike);
            }
        }
        paint.Color = new SKColor(0x22, 0x22, 0x22);
        if (text.Invitation is { } invitation)
            canvas.DrawText(Fit(invitation, body, Width - 96), Width / 2f, 720, SKTextAlign.Center, body, paint);
        DrawQr(canvas, url, (Width - 420) / 2f, 760, 420);
        paint.Color = new SKColor(0x66, 0x66, 0x66);
        canvas.DrawText(Fit(text.Scan, small, Width - 96), Width / 2f, 1240, SKTextAlign.Center, small, paint);
        using var image = surface.Snapshot();
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    /// <summary>The QR code drawn module by module (crisp at any size), quiet zone included, on white.</summary>
    private static void DrawQr(SKCanvas canvas, string url, float left, float top, float side)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
        var modules = data.ModuleMatrix;
        var n = modules.Count;
        var cell = MathF.Floor(side / n);
        var offset = (side - cell * n) / 2;
        using var white = new SKPaint { Color = SKColors.White };
        using var black = new SKPaint { Color = SKColors.Black };
        canvas.DrawRect(left, top, side, side, white);
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < n; c++)
            {
                if (modules[r][c])
                    canvas.DrawRect(left + offset + c * cell, top + offset + r * cell, cell, cell, black);
            }
        }
    }

    private static List<string> Wrap(string text, SKFont font, float width, int maxLines)
    {
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            var rest = paragraph.Trim();
            while (rest.Length > 0)
            {
                if (lines.Count == maxLines - 1)
                {
                    lines.Add(Fit(rest, font, width));
                    return lines;
                }
                var take = font.BreakText(rest, width);
                if (take <= 0)
                    take = 1;
                // Break Latin text at a space when there is one; CJK breaks anywhere.
                var space = take < rest.Length ? rest.LastIndexOf(' ', take - 1, take) : -1;
                if (space > take / 2)
                    take = space + 1;
                lines.Add(rest[..take].TrimEnd());
                rest = rest[take..].TrimStart();
            }
            if (lines.Count >= maxLines)
                break;
        }
        return lines;
    }

    private static string Fit(string text, SKFont font, float width)
    {
        text = text.Replace('\n', ' ').Replace("\r", "", StringComparison.Ordinal);
        if (font.MeasureText(text) <= width)
            return text;
        var take = font.BreakText(text, width - font.MeasureText("…"));
        return text[..Math.Max(0, take)] + "…";
    }

    private static SKTypeface FindTypeface()
    {
        if (SKFontManager.Default.MatchCharacter('中') is { } matched)
            return matched;
        foreach (var file in FontFiles)
        {
            if (File.Exists(file) && SKTypeface.FromFile(file) is { } loaded)
                return loaded;
        }
        return SKTypeface.Default;
    }
}
