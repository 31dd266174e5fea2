namespace Shequn.Features.Acquisition;

/// <summary>One greeting the planner may choose: its key (a script id or <c>builtin:n</c>) and its text with variables.</summary>
public sealed record FriendGreeting(string Key, string Text);

/// <summary>
/// The pure part of the plan: when each slot of an account's day is and which greeting each add uses. The window is
/// cut into DailyLimit equal parts; each slot lands in its part at a jitter derived from the account, the day and the
/// slot (so the times do not look mechanical, yet every node and every retry computes the same ones). A slot's jitter
/// leaves the last <see cref="MinGapMinutes"/> of its part free, so two adds are never within 10 minutes.
/// </summary>
public static class FriendSchedule
{
    public const int MinGapMinutes = 10;

    /// <summary>Minutes after local midnight of the slot's add.</summary>
    public static int SlotMinute(Guid accountId, DateOnly day, int slot, int dailyLimit, int startHour, int endHour)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfLessThan(dailyLimit, 1);
        var window = (endHour - startHour) * 60;
        var part = Math.Max(MinGapMinutes, window / dailyLimit);
        var jitter = (int)(Mix(accountId, day, slot) % (uint)(part - MinGapMinutes + 1));
        return startHour * 60 + slot * part + jitter;
    }

    /// <summary>The slot's time in UTC, the local time read in <paramref name="zone"/> (a time skipped by daylight saving moves on an hour).</summary>
    public static DateTime SlotUtc(TimeZoneInfo zone, DateOnly day, int minute)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified).AddMinutes(minute);
        if (zone.IsInvalidTime(local))
            local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    /// <summary>
    /// The greeting for a slot, differing from the greetings of the adds just before and after it on the same account
    /// when there are enough greetings to (two greetings: differs from the one before; three or more: from both).
    /// </summary>
    public static FriendGreeting Choose(IReadOnlyList<FriendGreeting> greetings, Guid accountId, DateOnly day, int slot, string? before, string? after)
    {
        ArgumentNullException.ThrowIfNull(greetings);
        if (greetings.Count == 0)
            throw new ArgumentException("At least one greeting is needed.", nameof(greetings));
        var start = (int)(Mix(accountId, day, -1) % (uint)greetings.Count) + slot;
        FriendGreeting? second = null;
        for (var i = 0; i < greetings.Count; i++)
        {
            var g = greetings[(start + i) % greetings.Count];
            if (g.Key == before)
                continue;
            if (g.Key != after)
                return g;
            second ??= g;
        }
        return second ?? greetings[start % greetings.Count];
    }

    // FNV-1a over the account, the day and the slot: stable across processes (string.GetHashCode is not).
    private static uint Mix(Guid accountId, DateOnly day, int slot)
    {
        Span<byte> bytes = stackalloc byte[24];
        accountId.TryWriteBytes(bytes);
        BitConverter.TryWriteBytes(bytes[16..], day.DayNumber);
        BitConverter.TryWriteBytes(bytes[20..], slot);
        var hash = 2166136261u;
        foreach (var b in bytes)
            hash = (hash ^ b) * 16777619u;
        return hash ^ (hash >> 15);
    }
}
