namespace Shequn.Features.Campaigns;

/// <summary>A milestone (a streak length) and the day the member's streak first reached it.</summary>
public sealed record StreakMilestone(int Days, DateOnly ReachedOn);

/// <summary>
/// A member's check-in streaks as of a day: the current streak (still alive if the last covered day is today or
/// yesterday), the longest ever, and the milestones reached, each once, on the first day it was reached.
/// </summary>
public sealed record StreakSummary(int Current, int Longest, IReadOnlyList<StreakMilestone> Milestones);

public enum MakeUpPeriod
{
    Week = 0,
    Month = 1,
}

/// <summary>
/// How make-up cards (补签) may be used: a card fills a missed day at most <paramref name="WindowDays"/> days before today,
/// and at most <paramref name="PerPeriod"/> filled days may fall in one calendar week (Monday to Sunday) or month.
/// </summary>
public sealed record MakeUpRules(int WindowDays, int PerPeriod, MakeUpPeriod Period);

/// <summary>
/// Check-in streaks (打卡) and runs of approved days (晒图), computed from sets of days. Days are <see cref="DateOnly"/>
/// in the workspace's zone; the caller converts. A day counts when it was checked in or filled by a make-up card; days
/// after "today" are ignored. For runs of approved days each full block of N consecutive days earns one reward, on the
/// block's last day: a 14-day run earns two (days 7 and 14), day 8 earns nothing. Keying a reward by that day makes
/// "once per block" a unique key for the caller. Pure.
/// </summary>
public static class Streaks
{
    public static StreakSummary Compute(IEnumerable<DateOnly> checkIns, IEnumerable<DateOnly> makeUps, DateOnly today, IReadOnlyList<int> milestones)
    {
        ArgumentNullException.ThrowIfNull(checkIns);
        ArgumentNullException.ThrowIfNull(makeUps);
        ArgumentNullException.ThrowIfNull(milestones);
        var covered = new SortedSet<DateOnly>(checkIns.Concat(makeUps).Where(d => d <= today));
        var goals = milestones.Where(m => m > 0).Distinct().Order().ToList();
        var reached = new List<StreakMilestone>();
        int run = 0, longest = 0;
        DateOnly? previous = null;
        foreach (var day in covered)
        {
            run = previous is { } p && p.AddDays(1) == day ? run + 1 : 1;
            previous = day;
            longest = Math.Max(longest, run);
            // run grows by one a day, so it passes through every length exactly; a later run reaching it again is not new
            if (goals.Contains(run) && reached.TrueForAll(r => r.Days != run))
                reached.Add(new StreakMilestone(run, day));
        }
        var current = previous is { } last && last >= today.AddDays(-1) ? run : 0;
        return new StreakSummary(current, longest, reached);
    }

    /// <summary>Why the rules cannot be saved, or null. The reason starts with the field (windowDays, perPeriod).</summary>
    public static string? Validate(MakeUpRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.WindowDays < 1)
            return "windowDays: a make-up card must be able to fill at least yesterday";
        if (rules.WindowDays > 366)
            return "windowDays: at most 366 days back";
        if (rules.PerPeriod < 0)
            return "perPeriod: the number of make-up cards per period must not be negative";
        return null;
    }

    /// <summary>
    /// Why a make-up card may not fill <paramref name="day"/>, or null when it may. Refused: today or a future day, a day
    /// more than the window before today, a day already checked in or made up, and a day whose week or month already has
    /// the allowed number of make-ups. The reason starts with the field it is about (day, makeUps).
    /// </summary>
    public static string? ValidateMakeUp(DateOnly day, DateOnly today, IEnumerable<DateOnly> checkIns, IEnumerable<DateOnly> makeUps, MakeUpRules rules)
    {
        ArgumentNullException.ThrowIfNull(checkIns);
        ArgumentNullException.ThrowIfNull(makeUps);
        if (Validate(rules) is { } reason)
            return reason;
        if (day > today)
            return "day: a make-up card cannot fill a day that has not come yet";
        if (day == today)
            return "day: today can still be checked in; a make-up card fills a missed day";
        if (today.DayNumber - day.DayNumber > rules.WindowDays)
            return $"day: only the last {rules.WindowDays} days can be made up";
        if (checkIns.Contains(day))
            return "day: that day was checked in";
        var made = makeUps.Distinct().ToList();
        if (made.Contains(day))
            return "day: that day was already made up";
        var period = PeriodOf(day, rules.Period);
        var used = made.Count(d => PeriodOf(d, rules.Period) == period);
        if (used >= rules.PerPeriod)
            return $"makeUps: at most {rules.PerPeriod} make-up cards per {(rules.Period == MakeUpPeriod.Week ? "week" : "month")}";
        return null;
    }

    /// <summary>How many days in a row, ending at <paramref name="day"/>, are in <paramref name="days"/> (0 if the day is not).</summary>
    public static int RunEndingAt(IEnumerable<DateOnly> days, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(days);
        var set = days as IReadOnlySet<DateOnly> ?? days.ToHashSet();
        var run = 0;
        while (set.Contains(day.AddDays(-run)))
            run++;
        return run;
    }

    /// <summary>Whether <paramref name="day"/> completes a block of <paramref name="length"/> days in a row (days N, 2N, … of a run).</summary>
    public static bool CompletesBlock(IEnumerable<DateOnly> days, DateOnly day, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        var run = RunEndingAt(days, day);
        return run > 0 && run % length == 0;
    }

    /// <summary>Every day that completes a block of <paramref name="length"/> days in a row, in order: one reward each.</summary>
    public static IReadOnlyList<DateOnly> BlockDays(IEnumerable<DateOnly> days, int length)
    {
        ArgumentNullException.ThrowIfNull(days);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        var result = new List<DateOnly>();
        var run = 0;
        DateOnly? previous = null;
        foreach (var day in new SortedSet<DateOnly>(days))
        {
            run = previous is { } p && p.AddDays(1) == day ? run + 1 : 1;
            previous = day;
            if (run % length == 0)
                result.Add(day);
        }
        return result;
    }

    /// <summary>The first day of the day's calendar week (Monday) or month: two days share a period when these match.</summary>
    private static DateOnly PeriodOf(DateOnly day, MakeUpPeriod period) => period switch
    {
        MakeUpPeriod.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
        _ => new DateOnly(day.Year, day.Month, 1),
    };
}
