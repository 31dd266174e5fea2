using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QRCoder;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Profiles;
using SkiaSharp;

namespace Shequn.Features.Acquisition;

/// <summary>
/// A live code's printable QR (PNG in printable sizes, SVG for any size) encoding its short link, with the code's logo
/// (else the brand's first letter) in the middle. Error correction H keeps it readable with the middle covered.
/// </summary>
public sealed class LiveCodeImages(IServiceScopeFactory scopes, IOptions<ProfilesOptions> profiles)
{
    /// <summary>Sizes offered for print: 8 cm at 300 dpi is about 945 px; 2048 for posters.</summary>
    public static readonly int[] Sizes = [258, 344, 430, 860, 1280, 2048];

    private const double LogoShare = 0.22;
    private readonly ConcurrentDictionary<(string Code, int Size, DateTime Version), byte[]> _png = new();

    public static int Size(int? asked) => asked is { } s && Sizes.Contains(s) ? s : 430;

    public string ShortLink(string code) => $"{profiles.Value.PublicBaseUrl.TrimEnd('/')}/j/{code}";

    public async Task<byte[]> PngAsync(LiveCodeSnapshot s, int size, CancellationToken ct)
    {
        var key = (s.Code.Code, size, s.Code.UpdatedAt);
        if (_png.TryGetValue(key, out var kept))
            return kept;
        var logo = await LogoAsync(s, ct);
        var png = RenderPng(ShortLink(s.Code.Code), size, logo, Initial(s));
        if (_png.Count > 200)
            _png.Clear();
        _png[key] = png;
        return png;
    }

    public async Task<string> SvgAsync(LiveCodeSnapshot s, CancellationToken ct) =>
        RenderSvg(ShortLink(s.Code.Code), await LogoAsync(s, ct), Initial(s));

    private static string Initial(LiveCodeSnapshot s) =>
        s.WorkspaceName.Length == 0 ? "活" : char.IsSurrogate(s.WorkspaceName[0]) ? s.WorkspaceName[..2] : s.WorkspaceName[..1];

    private async Task<byte[]?> LogoAsync(LiveCodeSnapshot s, CancellationToken ct)
    {
        if (s.Code.LogoImageId is not { } id)
            return null;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ws = s.Code.WorkspaceId;
        return await db.Set<PostImage>().IgnoreQueryFilters().AsNoTracking().Where(i => i.Id == id && i.WorkspaceId == ws).Select(i => i.Bytes).SingleOrDefaultAsync(ct);
    }

    private static List<List<bool>> Modules(string url)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.H);
        return [.. data.ModuleMatrix.Select(row => row.Cast<bool>().ToList())];
    }

    public static byte[] RenderPng(string url, int size, byte[]? logo, string initial)
    {
        var modules = Modules(url);
        var n = modules.Count;
        var cell = Math.Max(1, size / n);
        var offset = (size - cell * n) / 2f;
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var black = new SKPaint { Color = SKColors.Black };
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < n; c++)
            {
                if (modules[r][c])
                    canvas.DrawRect(offset + c * cell, offset + r * cell, cell, cell, black);
            }
        }
        var side = (float)(size * LogoShare);
        var rect = SKRect.Create((size - side) / 2, (size - side) / 2, side, side);
        using var frame = new SKPaint { Color = SKColors.White, IsAntialias = true };
        canvas.DrawRoundRect(SKRect.Inflate(rect, side * 0.08f, side * 0.08f), side * 0.15f, side * 0.15f, frame);
        using var decoded = logo is null ? null : SKBitmap.Decode(logo);
        if (decoded is not null)
        {
            using var image = SKImage.FromBitmap(decoded);
            canvas.DrawImage(image, rect, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }
        else
        {
            using var badge = new SKPaint { Color = new SKColor(0xC6, 0x28, 0x28), IsAntialias = true };
            canvas.DrawRoundRect(rect, side * 0.15f, side * 0.15f, badge);
            using var font = new SKFont(Campaigns.CampaignPosters.Cjk.Value, side * 0.6f) { Embolden = true };
            using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.DrawText(initial, rect.MidX, rect.MidY + side * 0.21f, SKTextAlign.Center, font, white);
        }
        using var snapshot = surface.Snapshot();
        using var encoded = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    public static string RenderSvg(string url, byte[]? logo, string initial)
    {
        var modules = Modules(url);
        var n = modules.Count;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(n * n * 4);
        sb.Append(inv, $"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" shape-rendering="crispEdges"><rect width="{n}" height="{n}" fill="#fff"/>""");
        sb.Append("<path fill=\"#000\" d=\"");
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < n; c++)
            {
                if (modules[r][c])
                    sb.Append(inv, $"M{c} {r}h1v1h-1z");
            }
        }
        sb.Append("\"/>");
        var side = n * LogoShare;
        var at = (n - side) / 2;
        var pad = side * 0.08;
        sb.Append(inv, $"""<rect x="{at - pad:0.##}" y="{at - pad:0.##}" width="{side + 2 * pad:0.##}" height="{side + 2 * pad:0.##}" rx="{side * 0.15:0.##}" fill="#fff"/>""");
        if (logo is not null && SKBitmap.DecodeBounds(logo).Width > 0)
            sb.Append(inv, $"""<image x="{at:0.##}" y="{at:0.##}" width="{side:0.##}" height="{side:0.##}" href="data:image/png;base64,{Convert.ToBase64String(ToPng(logo))}"/>""");
        else
        {
            sb.Append(inv, $"""<rect x="{at:0.##}" y="{at:0.##}" width="{side:0.##}" height="{side:0.##}" rx="{side * 0.15:0.##}" fill="#c62828"/>""");
            sb.Append(inv, $"""<text x="{n / 2.0:0.##}" y="{n / 2.0 + side * 0.21:0.##}" font-size="{side * 0.6:0.##}" font-weight="700" text-anchor="middle" fill="#fff" font-family="sans-serif">{System.Net.WebUtility.HtmlEncode(initial)}</text>""");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static byte[] ToPng(byte[] image)
    {
        using var bitmap = SKBitmap.Decode(image);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
