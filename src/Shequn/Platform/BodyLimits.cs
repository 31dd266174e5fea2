using Microsoft.AspNetCore.Http.Features;

namespace Shequn.Platform;

/// <summary>The most a request to one endpoint may carry, in bytes (<see cref="BodyLimits.WithBodyLimit{TBuilder}"/>).</summary>
public sealed record BodyLimit(long Bytes);

/// <summary>
/// How large a request body each endpoint takes, decided before anything reads it: an upload endpoint names its limit
/// (its file's limit plus room for the form around it), an anonymous endpoint (the H5 pages' forms, webhooks, sign-in)
/// takes <see cref="Anonymous"/>, everything else (the API's JSON, console forms) <see cref="Default"/>. A body whose
/// declared length is over the limit is answered 413 with a problem naming both sizes, and nothing is read; a body sent
/// without a length is cut off by the server at the same limit (Kestrel's per-request maximum), so no form is spooled to
/// disk and no handler sees more than it allows. Endpoints that short-circuit routing bound their bodies themselves (the
/// Telegram webhook reads at most 1 MB; the flash-sale claim reads a small form under Kestrel's server-wide limit).
/// </summary>
public static class BodyLimits
{
    /// <summary>The API's JSON and the console's forms.</summary>
    public const long Default = 4 * 1024 * 1024;

    /// <summary>Anonymous endpoints: a member's phone, answers or name; a webhook's event; a sign-in.</summary>
    public const long Anonymous = 64 * 1024;

    /// <summary>What a multipart form adds around its file (boundaries, headers, a few small fields).</summary>
    public const long FormRoom = 64 * 1024;

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(bytes));

    /// <summary>The limit for <paramref name="endpoint"/> (null: a request that matched no endpoint).</summary>
    public static long For(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<BodyLimit>()?.Bytes
        ?? (endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null ? Anonymous : Default);

    /// <summary>After routing, so the endpoint is known.</summary>
    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) =>
        app.Use((ctx, next) =>
        {
            var limit = For(ctx.GetEndpoint());
            if (ctx.Request.ContentLength is { } length && length > limit)
                return TooLargeAsync(ctx, length, limit);
            if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                feature.MaxRequestBodySize = limit;
            return next(ctx);
        });

    private static Task TooLargeAsync(HttpContext ctx, long length, long limit) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
            detail: $"The request body is {length:N0} bytes; at most {limit:N0} bytes are taken here.").ExecuteAsync(ctx);
}
