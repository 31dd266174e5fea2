using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Campaigns;

public enum CheckInSource
{
    /// <summary>The campaign's word posted in the group.</summary>
    Keyword = 0,
    /// <summary>A photo posted in the group (a check-in campaign without a word).</summary>
    Photo = 1,
    /// <summary>A make-up card (补签) staff used for a missed day.</summary>
    MakeUp = 2,
}

/// <summary>
/// One day of a member's check-in (打卡) in a campaign, in the workspace's calendar. Unique per (campaign, member, day):
/// a second message that day, a replayed batch or a second process adds nothing.
/// </summary>
public sealed class CampaignCheckIn : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public Guid? CommunityId { get; set; }
    public DateOnly Day { get; set; }
    public CheckInSource Source { get; set; }
    public long? EventSeq { get; set; }
    public Guid? ByStaffId { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>
    /// Why the campaign's anti-abuse settings left this check-in out (<see cref="CampaignExclusions"/>), judged at the
    /// message: kept so staff see it, never counted toward a streak or a milestone.
    /// </summary>
    public ExclusionReason Excluded { get; set; }
}

internal sealed class CampaignCheckInConfiguration : IEntityTypeConfiguration<CampaignCheckIn>
{
    public void Configure(EntityTypeBuilder<CampaignCheckIn> b)
    {
        b.ToTable("CampaignCheckIns");
        b.HasKey(c => c.Id);
        b.HasIndex(c => new { c.CampaignId, c.MemberId, c.Day }).IsUnique();
        b.HasOne<Campaign>().WithMany().HasForeignKey(c => c.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(c => c.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// One member's standing in a check-in campaign; <see cref="ExcludedDays"/> are check-ins the anti-abuse settings left out
/// (not in <see cref="Days"/> or the streaks), <see cref="Excluded"/> the reason of the latest of them.
/// </summary>
public sealed record CheckInStanding(Guid MemberId, string Name, int Days, int MakeUps, int Current, int Longest, IReadOnlyList<int> Milestones,
    int ExcludedDays = 0, ExclusionReason Excluded = ExclusionReason.None);

/// <summary>
/// Check-ins from the messages themselves, as a reaction of the event processor (in its transaction): a member's message
/// with the campaign's word (or a photo, when the campaign has none) in one of its communities while it runs is that
/// day's check-in. When the day completes a milestone of the streak (7, 21, 100 days …; make-up cards fill missed
/// days), the member gets the milestone's reward (the reward at the milestone's position, else the last one; key
/// <c>streak:{member}:{days}</c>) and the bot congratulates them in the group (an outbound reply, key
/// <c>checkin:{campaign}:{member}:{days}</c>). Messages processed more than 10 minutes late (a backlog, an import) count
/// as check-ins but are not congratulated. A check-in of a member the campaign's anti-abuse settings leave out
/// (<see cref="CampaignExclusions"/>) is kept with its reason for staff to see and counts toward nothing; a later
/// check-in the same day that is not left out (they spoke in between) takes its place.
/// </summary>
public sealed class CheckInReaction(WorkspaceZones zones, TimeProvider time) : IBatchReaction
{
    private static readonly TimeSpan LateAfter = TimeSpan.FromMinutes(10);

    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        var posts = events.Where(e => e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId is not null
            && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }).ToList();
        if (posts.Count == 0)
            return 0;
        var actions = 0;
        foreach (var group in posts.GroupBy(e => e.WorkspaceId))
            actions += await CheckInAsync(db, group.Key, [.. group], effects, ct);
        return actions;
    }

    private async Task<int> CheckInAsync(AppDbContext db, Guid ws, List<CommunityEvent> posts, EventEffects effects, CancellationToken ct)
    {
        var first = posts.Min(e => e.OccurredAt);
        var last = posts.Max(e => e.OccurredAt);
        var campaigns = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && c.Kind == CampaignKind.CheckIn && c.Status == CampaignStatus.Published && c.StartsAt <= last && c.EndsAt > first)
            .ToListAsync(ct);
        if (campaigns.Count == 0)
            return 0;
        var zone = await zones.GetAsync(ws, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var actions = 0;
        foreach (var campaign in campaigns)
        {
            var communities = campaign.CommunityIdsValue().ToHashSet();
            var rules = campaign.RulesValue();
            var keyword = string.IsNullOrWhiteSpace(rules.Keyword) ? null : rules.Keyword.Trim();
            foreach (var e in posts.Where(e => communities.Contains(effects.CommunityOf[e.Seq]!.Id) && campaign.StartsAt <= e.OccurredAt && e.OccurredAt < campaign.EndsAt))
            {
                var counts = keyword is null ? e.MessageKind == MessageKind.Image : e.Text?.Contains(keyword, StringComparison.OrdinalIgnoreCase) == true;
                if (!counts || !effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var member))
                    continue;
                var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(e.OccurredAt, zone));
                var community = effects.CommunityOf[e.Seq]!;
                var already = await DayAsync(db, campaign.Id, member, day, ct);
                if (already is { Excluded: ExclusionReason.None })
                    continue;
                // Left out by the anti-abuse settings: the message is kept as an excluded check-in and counts toward nothing
                // (speaking before it, not the word itself, shows they are not silent).
                var excluded = await CampaignExclusions.DecideAsync(db, campaign, rules, member, e.OccurredAt, ct);
                if (already is not null)
                {
                    if (excluded != ExclusionReason.None)
                        continue;
                    already.Excluded = ExclusionReason.None;
                    already.EventSeq = e.Seq;
                    already.CommunityId = community.Id;
                    already.CreatedAt = now;
                }
                else
                {
                    db.Add(new CampaignCheckIn
                    {
                        WorkspaceId = ws, CampaignId = campaign.Id, MemberId = member, CommunityId = community.Id, Day = day, EventSeq = e.Seq,
                        Source = keyword is null ? CheckInSource.Photo : CheckInSource.Keyword, CreatedAt = now, Excluded = excluded,
                    });
                }
                if (excluded != ExclusionReason.None)
                    continue;
                await Participants.EnsureAsync(db, ws, campaign.Id, member, community.Id, e.OccurredAt, ct);
                var reached = await MilestonesReachedOnAsync(db, campaign, member, day, ct);
                foreach (var days in reached)
                {
                    await CheckInRewards.GrantAsync(db, campaign, member, days, now, ct);
                    if (now - e.OccurredAt > LateAfter)
                        continue;
                    var name = e.UserName ?? "";
                    var english = await WorkspaceSettings.LanguageAsync(db, ws, ct) == "en";
                    var text = english ? $"🎉 {name}: {days} days of check-ins in a row. Well done!" : $"🎉 恭喜 {name} 已连续打卡 {days} 天！";
                    var key = FormattableString.Invariant($"checkin:{campaign.Id:N}:{member:N}:{days}");
                    if (await db.Set<OutboundAction>().IgnoreQueryFilters().AnyAsync(a => a.WorkspaceId == ws && a.IdempotencyKey == key, ct))
                        continue;
                    var action = OutboundAction.Create(ws, community.Id, e.MessageId is null ? ActionKind.Send : ActionKind.Reply, new ActionPayload(Text: text, MessageId: e.MessageId), key);
                    action.CausedByEventSeq = e.Seq;
                    db.Set<OutboundAction>().Add(action);
                    actions++;
                }
            }
        }
        return actions;
    }

    /// <summary>The member's check-in of the day, tracked (added in this batch or loaded to be changed) or stored.</summary>
    private static async Task<CampaignCheckIn?> DayAsync(AppDbContext db, Guid campaign, Guid member, DateOnly day, CancellationToken ct) =>
        db.ChangeTracker.Entries<CampaignCheckIn>().Select(x => x.Entity).FirstOrDefault(x => x.CampaignId == campaign && x.MemberId == member && x.Day == day)
        ?? await db.Set<CampaignCheckIn>().IgnoreQueryFilters().SingleOrDefaultAsync(c => c.CampaignId == campaign && c.MemberId == member && c.Day == day, ct);

    /// <summary>The milestones the member's streak reached on exactly this day (counting the check-in being added).</summary>
    internal static async Task<IReadOnlyList<int>> MilestonesReachedOnAsync(AppDbContext db, Campaign campaign, Guid member, DateOnly day, CancellationToken ct)
    {
        var milestones = campaign.RulesValue().Milestones ?? [];
        if (milestones.Count == 0)
            return [];
        var rows = await db.Set<CampaignCheckIn>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.CampaignId == campaign.Id && c.MemberId == member && c.Excluded == ExclusionReason.None).Select(c => new { c.Day, c.Source }).ToListAsync(ct);
        var added = db.ChangeTracker.Entries<CampaignCheckIn>()
            .Where(x => x.State is EntityState.Added or EntityState.Modified && x.Entity.CampaignId == campaign.Id && x.Entity.MemberId == member && x.Entity.Excluded == ExclusionReason.None)
            .Select(x => new { x.Entity.Day, x.Entity.Source });
        var all = rows.Concat(added).Distinct().ToList();
        var summary = Streaks.Compute(all.Where(r => r.Source != CheckInSource.MakeUp).Select(r => r.Day), all.Where(r => r.Source == CheckInSource.MakeUp).Select(r => r.Day),
            all.Max(r => r.Day), milestones);
        return [.. summary.Milestones.Where(m => m.ReachedOn == day).Select(m => m.Days)];
    }
}

/// <summary>Milestone rewards of check-in campaigns, granted once per (member, milestone).</summary>
public static class CheckInRewards
{
    public static async Task GrantAsync(AppDbContext db, Campaign campaign, Guid member, int days, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(campaign);
        var rewards = campaign.RewardsValue();
        var milestones = campaign.RulesValue().Milestones ?? [];
        if (rewards.Count == 0)
            return;
        var index = Math.Min(Math.Max(0, milestones.ToList().IndexOf(days)), rewards.Count - 1);
        if (!await CampaignGrants.AddOnceAsync(db, campaign, index, member, FormattableString.Invariant($"streak:{member:N}:{days}"), now, ct))
            return;
        // The last milestone is the campaign's goal for a member.
        if (milestones.Count > 0 && days == milestones[^1])
        {
            var p = await Participants.EnsureAsync(db, campaign.WorkspaceId, campaign.Id, member, null, now, ct);
            p.CompletedAt ??= now;
        }
    }
}
