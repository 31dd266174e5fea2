using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;
using Shequn.Data;
using Shequn.Features.Orders;
using Shequn.Platform;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// Every endpoint that takes a body refuses one over its limit with 413 before anything reads it (and before anyone is
/// identified); the upload endpoints name their own, larger limits; an .xlsx that unpacks to far more than an orders file
/// is refused before it is inflated.
/// </summary>
public abstract partial class BodyLimitTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"\{([^}:?]+)(:[^}?]+)?\??\}")]
    private static partial Regex Parameter();

    /// <summary>A concrete path for a route pattern: ids, numbers and words where its parameters are.</summary>
    private static string PathOf(string pattern) => Parameter().Replace(pattern, m => m.Groups[2].Value switch
    {
        ":guid" => Guid.NewGuid().ToString(),
        ":long" or ":int" => "1",
        _ => "x",
    });

    /// <summary>A body of <paramref name="length"/> zero bytes, produced as it is sent (nothing that large is held).</summary>
    private sealed class ZeroContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[64 * 1024];
            for (var left = length; left > 0; left -= chunk.Length)
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
        }

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return true;
        }
    }

    [Fact]
    public async Task EveryEndpointTakingABody_OneByteOverItsLimit_Gets413BeforeItsHandlerOrSignIn()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            // Endpoints that short-circuit routing skip the middleware and bound their bodies themselves.
            .Where(e => !e.Metadata.Any(m => m.GetType().Name == "ShortCircuitMetadata"))
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? [])
                .Where(m => m is "POST" or "PUT" or "PATCH")
                .Select(m => (Method: m, Pattern: "/" + (e.RoutePattern.RawText ?? "").Trim('/'), Limit: BodyLimits.For(e),
                    // The type the endpoint accepts, so that routing does not refuse the request (415) before the limit is asked.
                    Type: e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts ? accepts.ContentTypes[0] : "application/json")))
            .Distinct().ToList();
        Assert.True(endpoints.Count > 100, $"only {endpoints.Count} endpoints take a body");
        // Anonymous, so the limit is all that could answer: nobody is identified before it.
        using var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var wrong = new List<string>();
        foreach (var (method, pattern, limit, type) in endpoints)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), PathOf(pattern)) { Content = new ZeroContent(limit + 1) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            using var response = await client.SendAsync(request, Ct);
            if (response.StatusCode != HttpStatusCode.RequestEntityTooLarge)
                wrong.Add($"{method} {pattern}: {(int)response.StatusCode}");
            else if (!(await response.Content.ReadAsStringAsync(Ct)).Contains($"at most {limit:N0} bytes", StringComparison.Ordinal))
                wrong.Add($"{method} {pattern}: the answer does not name the limit");
        }
        Assert.Empty(wrong);

        // The reviewed limits: uploads take their file and its form; public pages and webhooks little; the rest the default.
        var limits = endpoints.GroupBy(e => $"{e.Method} {e.Pattern}").ToDictionary(g => g.Key, g => g.Max(e => e.Limit));
        Assert.Equal(20 * 1024 * 1024 + BodyLimits.FormRoom, limits["POST /api/media"]);
        Assert.Equal(10 * 1024 * 1024 + BodyLimits.FormRoom, limits["POST /api/orders/import"]);
        Assert.Equal(5 * 1024 * 1024 + BodyLimits.FormRoom, limits["POST /c/{slug}/photo"]);
        Assert.Equal(BodyLimits.Anonymous, limits["POST /c/{slug}/phone"]);
        Assert.Equal(BodyLimits.Anonymous, limits["POST /p/{token}"]);
        Assert.Equal(OrderHook.MaxBodyBytes, limits["POST /hooks/orders/{workspace:guid}"]);
        Assert.Equal(BodyLimits.Default, limits["POST /api/communities"]);
        Assert.All(limits, kv => Assert.InRange(kv.Value, 1, 24 * 1024 * 1024));
    }

    [Fact]
    public async Task BodyWithinItsLimit_ReachesTheHandler()
    {
        var ws = await factory.NewWorkspaceAsync();
        // Just under the API's default: the handler reads it and refuses the JSON, not its size.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/communities") { Content = new ZeroContent(BodyLimits.Default - 1) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var big = await ws.Owner.Api.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, big.StatusCode);
        // An image upload of 6 MB passes the API's default, under the media endpoint's own limit.
        using var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[6 * 1024 * 1024]), "file", "big.png" } };
        using var upload = await ws.Owner.Api.PostAsync("/api/media", form, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        Assert.Contains("file", await upload.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrdersXlsx_ThatUnpacksToMoreThan200MB_IsRefusedNamingTheFile_NothingImported()
    {
        var ws = await factory.NewWorkspaceAsync();
        using var workbook = new MemoryStream();
        await workbook.SaveAsAsync(new[] { new Dictionary<string, object?> { ["order_id"] = "Z-1", ["placed_at"] = "2026-12-04 08:00", ["amount"] = 20 } }, cancellationToken: Ct);
        // A padding part of 210 MB of zeros: about 200 KB packed.
        using (var zip = new ZipArchive(workbook, ZipArchiveMode.Update, leaveOpen: true))
        {
            using var part = zip.CreateEntry("xl/media/padding.bin", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 210; i++)
                part.Write(zeros);
        }
        var bytes = workbook.ToArray();
        Assert.InRange(bytes.Length, 1, OrderFile.MaxBytes);

        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", "orders.xlsx" } };
        using var response = await ws.Owner.Api.PostAsync("/api/orders/import", form, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = Assert.Single((await response.ReadValidationErrorsAsync())["file"]);
        Assert.Contains("unpacks to", message, StringComparison.Ordinal);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal(0, await db.Set<Order>().IgnoreQueryFilters().CountAsync(o => o.WorkspaceId == ws.Id, Ct));
    }
}

public sealed class BodyLimitTests_Sqlite(SqliteFactory factory) : BodyLimitTests(factory), IClassFixture<SqliteFactory>;

public sealed class BodyLimitTests_Postgres(PostgresFactory factory) : BodyLimitTests(factory), IClassFixture<PostgresFactory>;
