using Shequn.Connectors;

namespace Shequn.Features.Outbox;

/// <summary>A token bucket: up to <c>capacity</c> at once, refilled at <c>perSecond</c>. Not thread-safe (the owner locks).</summary>
public sealed class TokenBucket(double capacity, double perSecond, DateTimeOffset now)
{
    private readonly double _capacity = capacity;
    private double _tokens = capacity;
    private DateTimeOffset _at = now;

    /// <summary>How long until one token is there (zero if it is there now).</summary>
    public TimeSpan WaitFor(DateTimeOffset now)
    {
        Refill(now);
        return _tokens >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _tokens) / perSecond);
    }

    public void Take(DateTimeOffset now)
    {
        Refill(now);
        _tokens -= 1;
    }

    private void Refill(DateTimeOffset now)
    {
        if (now > _at)
        {
            _tokens = Math.Min(_capacity, _tokens + (now - _at).TotalSeconds * perSecond);
            _at = now;
        }
    }
}

/// <summary>
/// Per-chat and global token buckets of one node, by the connector's <see cref="RateLimits"/>. A call goes ahead
/// only when every bucket it draws on has a token; otherwise the caller is told how long to wait, and nothing is taken.
/// REVIEW: the buckets are per node; two nodes together may reach twice the global limit (the platform's 429 and
/// retry-after still hold them back). A shared limiter belongs with the benchmark work of issue 9.
/// </summary>
public sealed class OutboxRateLimiter(TimeProvider time)
{
    private readonly Dictionary<string, TokenBucket> _buckets = [];
    private readonly Lock _lock = new();

    /// <summary>Takes a token from each bucket and returns zero, or takes none and returns the wait.</summary>
    public TimeSpan TryAcquire(string platform, string chat, RateLimits limits)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var buckets = new List<TokenBucket>(3);
            if (limits.PerChatPerSecond is { } perSecond)
                buckets.Add(Bucket($"{platform}/{chat}/s", 1, perSecond, now));
            if (limits.PerChatPerMinute is { } perMinute)
                buckets.Add(Bucket($"{platform}/{chat}/m", perMinute, perMinute / 60.0, now));
            if (limits.GlobalPerSecond is { } global)
                buckets.Add(Bucket($"{platform}/s", global, global, now));
            var wait = buckets.Count == 0 ? TimeSpan.Zero : buckets.Max(b => b.WaitFor(now));
            if (wait > TimeSpan.Zero)
                return wait;
            foreach (var b in buckets)
                b.Take(now);
            return TimeSpan.Zero;
        }
    }

    private TokenBucket Bucket(string key, double capacity, double perSecond, DateTimeOffset now)
    {
        if (!_buckets.TryGetValue(key, out var b))
            _buckets[key] = b = new TokenBucket(capacity, perSecond, now);
        return b;
    }
}
