using Shequn.Connectors;
using Shequn.Features.Outbox;

namespace Shequn.Tests.Features.Outbox;

/// <summary>A clock that moves only when told.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; private set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

public sealed class RateLimiterTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 5, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TryAcquire_TelegramPerChat_OneASecondThenWaits()
    {
        var limiter = new OutboxRateLimiter(_clock);

        Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("telegram", "chat-1", RateLimits.Telegram));
        Assert.Equal(1.0, limiter.TryAcquire("telegram", "chat-1", RateLimits.Telegram).TotalSeconds, 6);
        Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("telegram", "chat-2", RateLimits.Telegram));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("telegram", "chat-1", RateLimits.Telegram));
    }

    [Fact]
    public void TryAcquire_PerMinute_TwentyThenThreeSecondsEach()
    {
        var limiter = new OutboxRateLimiter(_clock);
        var perMinute = new RateLimits(null, RateLimits.Telegram.PerChatPerMinute, null);

        for (var i = 0; i < 20; i++)
            Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("telegram", "group", perMinute));

        Assert.Equal(3.0, limiter.TryAcquire("telegram", "group", perMinute).TotalSeconds, 6);
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("telegram", "group", perMinute));
        Assert.Equal(3.0, limiter.TryAcquire("telegram", "group", perMinute).TotalSeconds, 6);
    }

    [Fact]
    public void TryAcquire_Global_ThirtyASecondAcrossChats()
    {
        var limiter = new OutboxRateLimiter(_clock);

        for (var i = 0; i < 30; i++)
            Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("telegram", $"chat-{i}", RateLimits.Telegram));

        Assert.Equal(1.0 / 30, limiter.TryAcquire("telegram", "chat-99", RateLimits.Telegram).TotalSeconds, 6);
        Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("sandbox", "chat-99", RateLimits.Telegram)); // another platform's budget
    }

    [Fact]
    public void TryAcquire_Refused_TakesNoToken()
    {
        var limiter = new OutboxRateLimiter(_clock);
        var limits = new RateLimits(1, 2, null);

        Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("p", "c", limits));
        Assert.True(limiter.TryAcquire("p", "c", limits) > TimeSpan.Zero); // per-second refuses; the minute bucket keeps its token
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("p", "c", limits));
    }

    [Fact]
    public void TryAcquire_NoLimits_NeverWaits()
    {
        var limiter = new OutboxRateLimiter(_clock);

        for (var i = 0; i < 1000; i++)
            Assert.Equal(TimeSpan.Zero, limiter.TryAcquire("p", "c", RateLimits.None));
    }
}
