using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Calendar;

/// <summary>
/// The workspace's playbook rules (seed 001 §5, seed 000 E) as the lint applies them; one row per workspace, the
/// defaults when there is none. Hours are minutes after midnight in the workspace's time zone.
/// </summary>
public sealed class PlaybookSettings : IWorkspaceOwned, IAudited
{
    public Guid Id => WorkspaceId;
    public Guid WorkspaceId { get; set; }
    /// <summary>Daytime starts (08:00): interactive content from here to <see cref="NightStartMinute"/>.</summary>
    public int DaytimeStartMinute { get; set; } = 8 * 60;
    /// <summary>Evening starts (18:00): promotions belong from here on, not in the daytime.</summary>
    public int EveningStartMinute { get; set; } = 18 * 60;
    /// <summary>Night starts (22:00): no interactive content until daytime.</summary>
    public int NightStartMinute { get; set; } = 22 * 60;
    /// <summary>More posts than this in one community on one day is flagged.</summary>
    public int MaxPostsPerDay { get; set; } = 3;
    /// <summary>More days than this with nothing at all between two posts is flagged.</summary>
    public int MaxQuietDays { get; set; } = 3;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public static PlaybookSettings Defaults(Guid workspaceId) => new() { WorkspaceId = workspaceId };
}

internal sealed class PlaybookSettingsConfiguration : IEntityTypeConfiguration<PlaybookSettings>
{
    public void Configure(EntityTypeBuilder<PlaybookSettings> b)
    {
        b.ToTable("PlaybookSettings");
        b.HasKey(s => s.WorkspaceId);
        b.Ignore(s => s.Id);
        b.HasOne<Workspace>().WithMany().HasForeignKey(s => s.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>The lint's rules; their names are the codes the API gives and the keys of their explanations.</summary>
public enum LintRule
{
    /// <summary>No time of day holds posts on at least half of the days that have any (seed 001: fixed daily slots).</summary>
    NoFixedSlot = 0,
    /// <summary>A promotion before the evening (seed 001: promotions in the evening).</summary>
    PromotionInDaytime = 1,
    /// <summary>Interactive content at night (seed 001: interaction in the daytime).</summary>
    InteractiveAtNight = 2,
    /// <summary>Commercial content on each of seven days in a row (seed 000 E: never commercial content every day).</summary>
    CommercialEveryDay = 3,
    /// <summary>More than the allowed days with nothing at all between two posts.</summary>
    LongSilence = 4,
    /// <summary>More posts in a day than allowed.</summary>
    TooManyPosts = 5,
    /// <summary>A WeCom group would get a second mass message on one day: WeCom delivers only one (platforms.md).</summary>
    WeComSecondMassSend = 6,
}

/// <summary>One planned copy of a post, as the lint sees it: when (in the workspace's zone) and what.</summary>
public sealed record LintItem(Guid PostId, string Title, Guid CommunityId, ChatPlatform Platform, DateTime Local, ContentType Type);

/// <summary>A finding: which rule, in which community, on which day, about which posts; <see cref="Message"/> in English.</summary>
public sealed record LintFinding(LintRule Rule, Guid CommunityId, DateOnly Day, IReadOnlyList<Guid> PostIds, string Message, IReadOnlyList<string> Args);

/// <summary>
/// Checks a plan against the playbook, per community. Pure: the caller reads the plan (see
/// <see cref="PostPlanner.LintAsync"/>) a week either side of the range, so that runs crossing its edges are judged
/// whole, and keeps the findings whose day falls in the range.
/// </summary>
public static class PlaybookLint
{
    /// <summary>A fixed slot is a half hour that holds posts on at least this share of the days with posts.</summary>
    public const double FixedSlotShare = 0.5;
    /// <summary>The slot rule needs this many days with posts before it says anything.</summary>
    public const int FixedSlotMinDays = 3;
    public const int CommercialRun = 7;

    public static List<LintFinding> Check(IEnumerable<LintItem> items, PlaybookSettings s, DateOnly from, DateOnly to)
    {
        var findings = new List<LintFinding>();
        foreach (var community in items.GroupBy(i => i.CommunityId))
        {
            var plan = community.OrderBy(i => i.Local).ThenBy(i => i.PostId).ToList();
            var days = plan.GroupBy(i => DateOnly.FromDateTime(i.Local)).OrderBy(g => g.Key).ToList();
            foreach (var item in plan)
            {
                var minute = item.Local.Hour * 60 + item.Local.Minute;
                var at = item.Local.ToString("HH:mm", CultureInfo.InvariantCulture);
                if (Post.IsPromotion(item.Type) && minute >= s.DaytimeStartMinute && minute < s.EveningStartMinute)
                    findings.Add(Make(LintRule.PromotionInDaytime, item, [item.PostId], $"'{item.Title}' is a promotion at {at}, in the daytime: promotions belong in the evening (from {Hhmm(s.EveningStartMinute)}).", item.Title, at, Hhmm(s.EveningStartMinute)));
                if (Post.IsInteractive(item.Type) && (minute >= s.NightStartMinute || minute < s.DaytimeStartMinute))
                    findings.Add(Make(LintRule.InteractiveAtNight, item, [item.PostId], $"'{item.Title}' asks members to take part at {at}, at night: interaction belongs in the daytime ({Hhmm(s.DaytimeStartMinute)}–{Hhmm(s.NightStartMinute)}).", item.Title, at, Hhmm(s.DaytimeStartMinute), Hhmm(s.NightStartMinute)));
            }
            foreach (var day in days)
            {
                var ids = day.Select(i => i.PostId).Distinct().ToList();
                var first = day.First();
                if (ids.Count > s.MaxPostsPerDay)
                    findings.Add(Make(LintRule.TooManyPosts, first, ids, $"{ids.Count} posts on {day.Key:yyyy-MM-dd}: more than {s.MaxPostsPerDay} a day tires members.", Day(day.Key), Num(ids.Count), Num(s.MaxPostsPerDay)));
                if (first.Platform == ChatPlatform.WeCom && ids.Count > 1)
                    findings.Add(Make(LintRule.WeComSecondMassSend, first, ids, $"{ids.Count} posts on {day.Key:yyyy-MM-dd} in a WeCom group: WeCom delivers one mass message per group a day, so the others will not arrive.", Day(day.Key), Num(ids.Count)));
            }
            for (var i = 1; i < days.Count; i++)
            {
                var quiet = days[i].Key.DayNumber - days[i - 1].Key.DayNumber - 1;
                if (quiet > s.MaxQuietDays)
                {
                    var before = days[i - 1].Last();
                    findings.Add(new LintFinding(LintRule.LongSilence, community.Key, days[i - 1].Key.AddDays(1), [before.PostId, days[i].First().PostId],
                        $"{quiet} days with nothing after {days[i - 1].Key:yyyy-MM-dd}: more than {s.MaxQuietDays} quiet days and members forget the group.",
                        [Num(quiet), Day(days[i - 1].Key), Num(s.MaxQuietDays)]));
                }
            }
            CheckCommercialRuns(findings, community.Key, days);
            CheckFixedSlot(findings, community.Key, days, from, to);
        }
        return [.. findings.Where(f => f.Day >= from && f.Day <= to)
            .OrderBy(f => f.Day).ThenBy(f => f.CommunityId).ThenBy(f => f.Rule)];
    }

    private static void CheckCommercialRuns(List<LintFinding> findings, Guid communityId, List<IGrouping<DateOnly, LintItem>> days)
    {
        var commercialDays = days.Where(d => d.Any(i => Post.IsCommercial(i.Type))).ToList();
        var runStart = 0;
        for (var i = 1; i <= commercialDays.Count; i++)
        {
            if (i < commercialDays.Count && commercialDays[i].Key.DayNumber == commercialDays[i - 1].Key.DayNumber + 1)
                continue;
            var length = i - runStart;
            if (length >= CommercialRun)
            {
                var run = commercialDays.Skip(runStart).Take(length).ToList();
                var ids = run.SelectMany(d => d.Where(x => Post.IsCommercial(x.Type)).Select(x => x.PostId)).Distinct().ToList();
                findings.Add(new LintFinding(LintRule.CommercialEveryDay, communityId, run[0].Key, ids,
                    $"Commercial content every day for {length} days from {run[0].Key:yyyy-MM-dd}: never sell every day; give some days to knowledge, topics or games.",
                    [Num(length), Day(run[0].Key)]));
            }
            runStart = i;
        }
    }

    private static void CheckFixedSlot(List<LintFinding> findings, Guid communityId, List<IGrouping<DateOnly, LintItem>> days, DateOnly from, DateOnly to)
    {
        // Judged within the range only: the slot habit of the days asked about.
        var inRange = days.Where(d => d.Key >= from && d.Key <= to).ToList();
        if (inRange.Count < FixedSlotMinDays)
            return;
        var best = inRange.SelectMany(d => d.Select(i => (Day: d.Key, Slot: (i.Local.Hour * 60 + i.Local.Minute) / 30)))
            .Distinct().GroupBy(x => x.Slot).Max(g => g.Count());
        if (best >= Math.Ceiling(inRange.Count * FixedSlotShare))
            return;
        var ids = inRange.SelectMany(d => d.Select(i => i.PostId)).Distinct().ToList();
        findings.Add(new LintFinding(LintRule.NoFixedSlot, communityId, inRange[0].Key, ids,
            $"No fixed daily slot: across {inRange.Count} days with posts, no half hour is used on half of them; members come to expect posts at set times.",
            [Num(inRange.Count)]));
    }

    private static LintFinding Make(LintRule rule, LintItem item, IReadOnlyList<Guid> ids, string message, params string[] args) =>
        new(rule, item.CommunityId, DateOnly.FromDateTime(item.Local), ids, message, args);

    private static string Hhmm(int minute) => FormattableString.Invariant($"{minute / 60:00}:{minute % 60:00}");

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
