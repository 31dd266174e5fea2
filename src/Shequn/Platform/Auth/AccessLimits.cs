using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;

namespace Shequn.Platform.Auth;

/// <summary>At most <see cref="PermitLimit"/> requests per partition in each fixed window of <see cref="WindowSeconds"/>.</summary>
public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }
    public int WindowSeconds { get; set; } = 60;

    public bool IsValid => PermitLimit > 0 && WindowSeconds > 0;
}

/// <summary>
/// The limits on what a stranger can try without signing in (section <c>Security:RateLimits</c>). A refused request
/// gets 429 with <c>Retry-After</c>. The short link <c>/j/{code}</c> is deliberately not limited: it counts scans.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Security:RateLimits";

    /// <summary>
    /// On unless configuration says <c>false</c>. Off (every limit grants everything) only to measure what the limits
    /// cost in the benchmarks; a server started with them off logs a warning at every start (<see cref="SecuritySwitches"/>).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sign-in attempts (<c>POST /account/login</c>) from one client address.</summary>
    public RateLimitRule SignInPerAddress { get; set; } = new() { PermitLimit = 30 };

    /// <summary>Sign-in attempts for one email, from any address (lockout stops guessing; this stops the flood).</summary>
    public RateLimitRule SignInPerAccount { get; set; } = new() { PermitLimit = 10 };

    /// <summary>Failed bearer-token authentications from one address; once spent, that address's bearer requests get 429.</summary>
    public RateLimitRule BearerFailuresPerAddress { get; set; } = new() { PermitLimit = 20 };

    /// <summary>
    /// Posts to the public H5 pages (claims, coupons, group buys, bargains, assists, phone capture, live-code forms, a member's withdrawal) from
    /// one address. Generous: a whole office or a mobile carrier's NAT can share one address during a flash sale.
    /// </summary>
    public RateLimitRule PublicPerAddress { get; set; } = new() { PermitLimit = 300 };

    /// <summary>The same posts for one person: the phone given, or else the personal link's token.</summary>
    public RateLimitRule PublicPerPerson { get; set; } = new() { PermitLimit = 20 };

    public IEnumerable<(string Name, RateLimitRule Rule)> Rules =>
    [
        (nameof(SignInPerAddress), SignInPerAddress), (nameof(SignInPerAccount), SignInPerAccount),
        (nameof(BearerFailuresPerAddress), BearerFailuresPerAddress), (nameof(PublicPerAddress), PublicPerAddress),
        (nameof(PublicPerPerson), PublicPerPerson),
    ];
}

public enum RateLimitKind
{
    SignInPerAddress,
    SignInPerAccount,
    BearerFailuresPerAddress,
    PublicPerAddress,
    PublicPerPerson,
}

/// <summary>
/// Partitioned fixed-window limiters (System.Threading.RateLimiting, as the rate-limiting middleware uses), called by the
/// endpoints themselves rather than through the middleware: the flash-sale claim is short-circuited ahead of it, and
/// the per-person partitions need the phone or token from the body the handler reads.
/// </summary>
public sealed class AccessLimits : IDisposable
{
    private readonly Dictionary<RateLimitKind, (PartitionedRateLimiter<string> Limiter, TimeSpan Window)> _limiters;
    private readonly bool _enabled;

    public AccessLimits(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        _enabled = o.Enabled;
        _limiters = new()
        {
            [RateLimitKind.SignInPerAddress] = Create(o.SignInPerAddress),
            [RateLimitKind.SignInPerAccount] = Create(o.SignInPerAccount),
            [RateLimitKind.BearerFailuresPerAddress] = Create(o.BearerFailuresPerAddress),
            [RateLimitKind.PublicPerAddress] = Create(o.PublicPerAddress),
            [RateLimitKind.PublicPerPerson] = Create(o.PublicPerPerson),
        };
    }

    private static (PartitionedRateLimiter<string>, TimeSpan) Create(RateLimitRule rule)
    {
        var window = TimeSpan.FromSeconds(rule.WindowSeconds);
        var limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ =>
            new FixedWindowRateLimiterOptions { PermitLimit = rule.PermitLimit, Window = window, QueueLimit = 0, AutoReplenishment = true }));
        return (limiter, window);
    }

    /// <summary>Takes one permit from <paramref name="key"/>'s partition; null when granted, else how long to wait.</summary>
    public TimeSpan? Take(RateLimitKind kind, string key) => Acquire(kind, key, 1);

    /// <summary>Whether the partition is spent, without taking a permit; null when not, else how long to wait.</summary>
    public TimeSpan? Spent(RateLimitKind kind, string key) => Acquire(kind, key, 0);

    private TimeSpan? Acquire(RateLimitKind kind, string key, int permits)
    {
        if (!_enabled)
            return null;
        var (limiter, window) = _limiters[kind];
        using var lease = limiter.AttemptAcquire(key, permits);
        if (lease.IsAcquired)
            return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : window;
    }

    /// <summary>The client's address as the limits partition it: the forwarded one behind a proxy the host trusts.</summary>
    public static string Address(HttpContext http) => ShortLinkEndpoints.ClientAddress(http).ToString();

    /// <summary>Sets 429's <c>Retry-After</c> (whole seconds, at least one).</summary>
    public static void SetRetryAfter(HttpContext http, TimeSpan wait)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// For the public H5 posts: the address's limit, then the person's (phone or personal-link token) when known.
    /// Null when the request may go on; otherwise the wait, with <c>Retry-After</c> already set.
    /// </summary>
    public TimeSpan? CheckPublic(HttpContext http, string? person)
    {
        var wait = Take(RateLimitKind.PublicPerAddress, Address(http));
        if (wait is null && !string.IsNullOrWhiteSpace(person))
            wait = Take(RateLimitKind.PublicPerPerson, person.Trim());
        if (wait is { } w)
            SetRetryAfter(http, w);
        return wait;
    }

    /// <summary>The per-person partition: the phone's digits when one is given, else the personal link's token.</summary>
    public static string? Person(string? phone, string? token)
    {
        var digits = phone is null ? "" : new string([.. phone.Where(char.IsAsciiDigit)]);
        return digits.Length > 0 ? "phone:" + digits : string.IsNullOrWhiteSpace(token) ? null : "token:" + token.Trim();
    }

    /// <summary>The campaign pages' JSON refusal (code <c>tooManyRequests</c>), after <see cref="CheckPublic"/> refused.</summary>
    public static IResult PublicRefusal(IStringLocalizer l) => FlashSaleEndpoints.Refusal(l, StatusCodes.Status429TooManyRequests, "tooManyRequests");

    /// <summary>A page for the forms posted by a browser (sign-in, live-code landing): what happened and when to try again.</summary>
    public static IResult PageRefusal(IStringLocalizer l, TimeSpan wait, string? back = null)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        var link = back is null ? "" : $"""<p><a href="{CampaignPageView.E(back)}">{CampaignPageView.E(l["RateLimit.Back"])}</a></p>""";
        var html = CampaignPageView.Page(l["RateLimit.Title"],
            $"""<div class="card" data-testid="rate-limited"><h1>{CampaignPageView.E(l["RateLimit.Title"])}</h1><p>{CampaignPageView.E(l["RateLimit.Detail", seconds])}</p>{link}</div>""");
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: StatusCodes.Status429TooManyRequests);
    }

    public void Dispose()
    {
        foreach (var (limiter, _) in _limiters.Values)
            limiter.Dispose();
    }
}
