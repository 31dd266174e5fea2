using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Campaigns;

/// <summary>
/// 集卡 from the messages themselves, as a reaction of the event processor (in its transaction): a member's message with
/// a running points campaign's <see cref="CampaignRules.CardKeyword"/> in one of its communities draws that day's card
/// (<see cref="CardDraws.Draw"/>; one draw per member per day, the day in the workspace's zone). The draw that completes
/// the set grants the campaign's first reward once (key <c>cards:{member}</c>) and queues a congratulation replying to
/// the message (key <c>cards:{campaign}:{member}</c>), both in the same transaction. Messages processed more than 10
/// minutes late (a backlog, an import) still draw, but are not congratulated. A member the campaign's anti-abuse
/// settings leave out (<see cref="CampaignExclusions"/>) draws nothing.
/// </summary>
public sealed class CardCollectingReaction(WorkspaceZones zones, TimeProvider time) : IBatchReaction
{
    private static readonly TimeSpan LateAfter = TimeSpan.FromMinutes(10);

    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        var posts = events.Where(e => e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId is not null && !string.IsNullOrEmpty(e.Text)
            && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }).ToList();
        if (posts.Count == 0)
            return 0;
        var actions = 0;
        foreach (var group in posts.GroupBy(e => e.WorkspaceId))
            actions += await DrawAsync(db, group.Key, [.. group], effects, ct);
        return actions;
    }

    private async Task<int> DrawAsync(AppDbContext db, Guid ws, List<CommunityEvent> posts, EventEffects effects, CancellationToken ct)
    {
        var first = posts.Min(e => e.OccurredAt);
        var last = posts.Max(e => e.OccurredAt);
        var campaigns = (await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && c.Kind == CampaignKind.PointsRedemption && c.Status == CampaignStatus.Published && c.StartsAt <= last && c.EndsAt > first)
            .ToListAsync(ct)).Where(c => c.RulesValue() is { Cards.Count: > 0, CardKeyword: { } k } && !string.IsNullOrWhiteSpace(k)).ToList();
        if (campaigns.Count == 0)
            return 0;
        var zone = await zones.GetAsync(ws, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var actions = 0;
        foreach (var campaign in campaigns)
        {
            var communities = campaign.CommunityIdsValue().ToHashSet();
            var rules = campaign.RulesValue();
            var cards = rules.Cards!;
            var keyword = rules.CardKeyword!.Trim();
            foreach (var e in posts.Where(e => communities.Contains(effects.CommunityOf[e.Seq]!.Id) && campaign.StartsAt <= e.OccurredAt && e.OccurredAt < campaign.EndsAt))
            {
                if (e.Text?.Contains(keyword, StringComparison.OrdinalIgnoreCase) != true || !effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var member))
                    continue;
                var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(e.OccurredAt, zone));
                var community = effects.CommunityOf[e.Seq]!;
                if (await DrawnAsync(db, campaign.Id, member, day, ct))
                    continue;
                if (await CampaignExclusions.DecideAsync(db, campaign, rules, member, e.OccurredAt, ct) != ExclusionReason.None)
                    continue;
                db.Add(new CampaignCardDraw
                {
                    WorkspaceId = ws, CampaignId = campaign.Id, MemberId = member, CommunityId = community.Id, Day = day, EventSeq = e.Seq,
                    CardIndex = CardDraws.Draw(campaign.Id, member, day, cards.Count), CreatedAt = now,
                });
                await Participants.EnsureAsync(db, ws, campaign.Id, member, community.Id, e.OccurredAt, ct);
                if (!await CompleteAsync(db, campaign.Id, member, cards.Count, ct))
                    continue;
                if (campaign.RewardsValue().Count > 0 && await CampaignGrants.AddOnceAsync(db, campaign, 0, member, FormattableString.Invariant($"cards:{member:N}"), now, ct))
                {
                    var p = await Participants.EnsureAsync(db, ws, campaign.Id, member, community.Id, e.OccurredAt, ct);
                    p.CompletedAt ??= now;
                }
                if (now - e.OccurredAt > LateAfter)
                    continue;
                var key = FormattableString.Invariant($"cards:{campaign.Id:N}:{member:N}");
                if (db.ChangeTracker.Entries<OutboundAction>().Any(x => x.Entity.WorkspaceId == ws && x.Entity.IdempotencyKey == key)
                    || await db.Set<OutboundAction>().IgnoreQueryFilters().AnyAsync(a => a.WorkspaceId == ws && a.IdempotencyKey == key, ct))
                    continue;
                var english = await WorkspaceSettings.LanguageAsync(db, ws, ct) == "en";
                var name = e.UserName ?? "";
                var text = english ? $"🎉 {name} collected all {cards.Count} cards of {campaign.Name}!" : $"🎉 恭喜 {name} 集齐「{campaign.Name}」全部 {cards.Count} 张卡！";
                var action = OutboundAction.Create(ws, community.Id, e.MessageId is null ? ActionKind.Send : ActionKind.Reply, new ActionPayload(Text: text, MessageId: e.MessageId), key);
                action.CausedByEventSeq = e.Seq;
                db.Set<OutboundAction>().Add(action);
                actions++;
            }
        }
        return actions;
    }

    private static async Task<bool> DrawnAsync(AppDbContext db, Guid campaign, Guid member, DateOnly day, CancellationToken ct) =>
        db.ChangeTracker.Entries<CampaignCardDraw>().Any(x => x.Entity.CampaignId == campaign && x.Entity.MemberId == member && x.Entity.Day == day)
        || await db.Set<CampaignCardDraw>().IgnoreQueryFilters().AnyAsync(d => d.CampaignId == campaign && d.MemberId == member && d.Day == day, ct);

    /// <summary>Whether the member's draws (stored and being added) hold every card.</summary>
    private static async Task<bool> CompleteAsync(AppDbContext db, Guid campaign, Guid member, int cards, CancellationToken ct)
    {
        var stored = await db.Set<CampaignCardDraw>().IgnoreQueryFilters().AsNoTracking()
            .Where(d => d.CampaignId == campaign && d.MemberId == member).Select(d => d.CardIndex).Distinct().ToListAsync(ct);
        var added = db.ChangeTracker.Entries<CampaignCardDraw>().Where(x => x.State == EntityState.Added && x.Entity.CampaignId == campaign && x.Entity.MemberId == member)
            .Select(x => x.Entity.CardIndex);
        return stored.Concat(added).Where(i => i >= 0 && i < cards).Distinct().Count() == cards;
    }
}
