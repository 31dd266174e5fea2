using Microsoft.Extensions.Options;
using Shequn.Platform.Auth;

namespace Shequn.Platform;

/// <summary>
/// The two protections a benchmark switches off to measure what they cost (docs/benchmarks.md, "Security headers and
/// rate limits: what they cost"): <c>Security:Headers:Enabled</c> and <c>Security:RateLimits:Enabled</c>, both on
/// unless configuration says <c>false</c>. A server started with either off says so at every start, as a warning in
/// the security log's category, so that a stray setting cannot switch them off silently on a server people use.
/// </summary>
public static partial class SecuritySwitches
{
    public static void WarnIfOff(IServiceProvider services)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category);
        if (!services.GetRequiredService<IOptions<SecurityHeaderOptions>>().Value.Enabled)
            HeadersOff(log);
        if (!services.GetRequiredService<IOptions<RateLimitOptions>>().Value.Enabled)
            RateLimitsOff(log);
    }

    [LoggerMessage(EventId = 9110, Level = LogLevel.Warning,
        Message = "Security headers are OFF (Security:Headers:Enabled = false): answers carry no Content-Security-Policy, X-Frame-Options, X-Content-Type-Options, Referrer-Policy, HSTS or no-store. The setting exists to measure their cost in a benchmark; remove it on any server people use.")]
    private static partial void HeadersOff(ILogger logger);

    [LoggerMessage(EventId = 9111, Level = LogLevel.Warning,
        Message = "Rate limits are OFF (Security:RateLimits:Enabled = false): sign-in, bearer-token failures and the public H5 posts are not limited. The setting exists to measure their cost in a benchmark; remove it on any server people use.")]
    private static partial void RateLimitsOff(ILogger logger);
}
