using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Responses;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Points;

public sealed class PointsOptions
{
    /// <summary>Off: the processor awards nothing (the ledger and manual adjustments stay).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Check-ins and helpful answers whose event is processed later than this after it happened earn nothing: they are
    /// written as zero-point entries marked <see cref="PointsSkip.Late"/>. Points reward showing up and helping now; an
    /// imported chat history or a long catch-up would otherwise hand out a past's worth of points at once. Two days, so
    /// that an outage's backlog (yesterday's check-ins included) still counts.
    /// </summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromDays(2);
}

/// <summary>
/// Awards points as a reaction of the event processor, inside the transaction that moves its checkpoint: every entry
/// carries the event that caused it and a key <c>event:{seq}:{rule}</c> that is unique per workspace (and looked up
/// before adding), so crashes, replays and two processes never award twice. Rules (<see cref="PointRule"/>, defaults
/// until saved):
/// <list type="bullet">
/// <item>check-in: a member's message containing a check-in keyword, at most once per member per day in the
///   workspace's time zone;</item>
/// <item>helpful answer: a member's message that answers another member's question — the KOC answers
///   <see cref="ResponseTracker"/> recorded in this batch (it runs first: registered before this reaction), and any
///   member's reply to a recorded question of someone else;</item>
/// <item>invitation: a join whose actor (the inviter) is another member, once per inviter and invited member.</item>
/// </list>
/// Check-ins and helpful answers processed later than <see cref="PointsOptions.LateAfter"/> after their event are
/// recorded as skipped (zero points, <see cref="PointsSkip.Late"/>). Invitations are not cut off: an invitation from the
/// past is still one, and it is awarded once per pair whenever it is seen.
/// </summary>
public sealed class PointsReaction(IOptionsMonitor<PointsOptions> options, WorkspaceZones zones, TimeProvider time) : IBatchReaction
{
    private sealed record Award(Guid Member, PointsReason Reason, int Delta, string? Text, long Seq, string Key, Guid? Related, DateTime At)
    {
        public PointsSkip? Skipped { get; init; }
    }

    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        if (!options.CurrentValue.Enabled)
            return 0;
        var applied = events.Where(e => effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }
            && e.UserId is not null && !e.FromStaff
            && (e.Kind == EventKind.MessagePosted || (e.Kind == EventKind.MemberJoined && e.ActorId is not null && e.ActorId != e.UserId))).ToList();
        var answered = effects.Answered.Where(q => q.AnsweredByMemberId is not null).ToList();
        if (applied.Count == 0 && answered.Count == 0)
            return 0;
        foreach (var ws in applied.Select(e => e.WorkspaceId).Concat(answered.Select(q => q.WorkspaceId)).Distinct().ToList())
            await AwardAsync(db, ws, [.. applied.Where(e => e.WorkspaceId == ws)], [.. answered.Where(q => q.WorkspaceId == ws)], effects, ct);
        return 0; // rows only, no actions
    }

    private async Task AwardAsync(AppDbContext db, Guid ws, List<CommunityEvent> events, List<MemberQuestion> answered, EventEffects effects, CancellationToken ct)
    {
        var rules = await PointRuleDefaults.ForWorkspaceAsync(db, ws, ct);
        var awards = new List<Award>();
        var processedAt = time.GetUtcNow().UtcDateTime;
        var lateAfter = options.CurrentValue.LateAfter;
        bool Late(DateTime occurredAt) => processedAt - DateTime.SpecifyKind(occurredAt, DateTimeKind.Utc) > lateAfter;
        Guid? MemberOf(CommunityEvent e) => effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var m) ? m : null;
        Community CommunityOf(CommunityEvent e) => effects.CommunityOf[e.Seq]!;

        if (rules[PointRuleKind.CheckIn] is { Enabled: true } checkIn && PointRuleDefaults.SplitKeywords(checkIn.Keywords) is { Count: > 0 } words)
            await CheckInsAsync(db, ws, events, checkIn, words, MemberOf, CommunityOf, Late, awards, ct);
        if (rules[PointRuleKind.HelpfulAnswer] is { Enabled: true } helpful)
            await HelpfulAsync(db, ws, events, answered, helpful, MemberOf, CommunityOf, awards, ct);
        awards = [.. awards.Select(a => a.Reason is PointsReason.CheckIn or PointsReason.HelpfulAnswer && Late(a.At) ? a with { Delta = 0, Skipped = PointsSkip.Late } : a)];
        if (rules[PointRuleKind.Invitation] is { Enabled: true } invitation)
            await InvitationsAsync(db, ws, events, invitation, MemberOf, awards, ct);
        if (awards.Count == 0)
            return;

        var keys = awards.Select(a => a.Key).ToList();
        var taken = (await db.Set<MemberPointsEntry>().IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.WorkspaceId == ws && x.Key != null && keys.Contains(x.Key)).Select(x => x.Key!).ToListAsync(ct)).ToHashSet();
        foreach (var a in awards)
        {
            if (!taken.Add(a.Key))
                continue;
            db.Set<MemberPointsEntry>().Add(new MemberPointsEntry
            {
                WorkspaceId = ws,
                MemberId = a.Member,
                Delta = a.Delta,
                Reason = a.Reason,
                ReasonText = EventEffects.Clip(a.Text, MemberPointsEntry.ReasonTextMaxLength),
                EventSeq = a.Seq,
                Key = a.Key,
                RelatedMemberId = a.Related,
                OccurredAt = a.At,
                Skipped = a.Skipped,
            });
        }
    }

    private async Task CheckInsAsync(AppDbContext db, Guid ws, List<CommunityEvent> events, PointRule rule, IReadOnlyList<string> words,
        Func<CommunityEvent, Guid?> memberOf, Func<CommunityEvent, Community> communityOf, Func<DateTime, bool> late, List<Award> awards, CancellationToken ct)
    {
        var candidates = events.Where(e => e.Kind == EventKind.MessagePosted && e.Text is { } t && words.Any(w => t.Contains(w, StringComparison.OrdinalIgnoreCase)))
            .Select(e => (E: e, Member: memberOf(e))).Where(x => x.Member is not null).ToList();
        if (candidates.Count == 0)
            return;
        var zone = await zones.GetAsync(ws, ct);
        var members = candidates.Select(c => c.Member!.Value).Distinct().ToList();
        var from = DailyFigures.StartOf(DailyFigures.DayOf(candidates.Min(c => c.E.OccurredAt), zone), zone);
        var until = DailyFigures.StartOf(DailyFigures.DayOf(candidates.Max(c => c.E.OccurredAt), zone).AddDays(1), zone);
        var done = (await db.Set<MemberPointsEntry>().IgnoreQueryFilters().AsNoTracking()
                .Where(x => x.WorkspaceId == ws && x.Reason == PointsReason.CheckIn && members.Contains(x.MemberId) && x.OccurredAt >= from && x.OccurredAt < until)
                .Select(x => new { x.MemberId, x.OccurredAt, x.Skipped }).ToListAsync(ct))
            .ToLookup(x => x.Skipped is null, x => (x.MemberId, DailyFigures.DayOf(x.OccurredAt, zone)));
        // A skipped (late) check-in does not use up the day: a live one the same day still earns. One skip is recorded per day.
        var awarded = done[true].ToHashSet();
        var skipped = done[false].ToHashSet();
        foreach (var (e, member) in candidates)
        {
            var day = (member!.Value, DailyFigures.DayOf(e.OccurredAt, zone));
            if (awarded.Contains(day) || !(late(e.OccurredAt) ? skipped : awarded).Add(day))
                continue;
            awards.Add(new Award(member.Value, PointsReason.CheckIn, rule.Points, communityOf(e).Name, e.Seq, $"event:{e.Seq}:checkin", null, e.OccurredAt));
        }
    }

    private static async Task HelpfulAsync(AppDbContext db, Guid ws, List<CommunityEvent> events, List<MemberQuestion> answered, PointRule rule,
        Func<CommunityEvent, Guid?> memberOf, Func<CommunityEvent, Community> communityOf, List<Award> awards, CancellationToken ct)
    {
        foreach (var q in answered)
        {
            if (q.AnsweredByMemberId is { } by && by != q.MemberId)
                awards.Add(new Award(by, PointsReason.HelpfulAnswer, rule.Points, q.Text, q.AnsweredBySeq!.Value, $"event:{q.AnsweredBySeq}:helpful", q.MemberId, q.AnsweredAt ?? q.AskedAt));
        }
        // A member's reply to a question someone else asked (the tracker counts only staff and KOC answers).
        var replies = events.Where(e => e.Kind == EventKind.MessagePosted && e.ReplyToMessageId is not null)
            .Select(e => (E: e, Member: memberOf(e), Community: communityOf(e).Id)).Where(x => x.Member is not null).ToList();
        if (replies.Count == 0)
            return;
        var targets = replies.Select(r => r.E.ReplyToMessageId!).Distinct().ToList();
        var communities = replies.Select(r => r.Community).Distinct().ToList();
        // The tracker has written this batch's questions already (same transaction).
        var questions = await db.Set<MemberQuestion>().IgnoreQueryFilters().AsNoTracking()
            .Where(q => q.WorkspaceId == ws && communities.Contains(q.CommunityId) && q.MessageId != null && targets.Contains(q.MessageId))
            .ToListAsync(ct);
        foreach (var (e, member, community) in replies)
        {
            var q = questions.FirstOrDefault(q => q.CommunityId == community && q.MessageId == e.ReplyToMessageId && q.EventSeq < e.Seq);
            if (q is null || q.MemberId == member)
                continue;
            awards.Add(new Award(member!.Value, PointsReason.HelpfulAnswer, rule.Points, q.Text, e.Seq, $"event:{e.Seq}:helpful", q.MemberId, e.OccurredAt));
        }
    }

    private static async Task InvitationsAsync(AppDbContext db, Guid ws, List<CommunityEvent> events, PointRule rule,
        Func<CommunityEvent, Guid?> memberOf, List<Award> awards, CancellationToken ct)
    {
        var joins = events.Where(e => e.Kind == EventKind.MemberJoined).Select(e => (E: e, Member: memberOf(e))).Where(x => x.Member is not null).ToList();
        if (joins.Count == 0)
            return;
        var actors = joins.Select(j => j.E.ActorId!).Distinct().ToList();
        var inviters = db.Set<MemberIdentity>().Local.Where(i => i.WorkspaceId == ws && actors.Contains(i.UserId))
            .Select(i => (i.Platform, i.UserId, i.MemberId)).ToList();
        inviters.AddRange((await db.Set<MemberIdentity>().IgnoreQueryFilters().AsNoTracking()
                .Where(i => i.WorkspaceId == ws && actors.Contains(i.UserId)).Select(i => new { i.Platform, i.UserId, i.MemberId }).ToListAsync(ct))
            .Select(i => (i.Platform, i.UserId, i.MemberId)));
        var pairs = new List<(CommunityEvent E, Guid Inviter, Guid Invited)>();
        foreach (var (e, member) in joins)
        {
            var inviter = inviters.FirstOrDefault(i => i.Platform == e.Platform && i.UserId == e.ActorId);
            if (inviter.UserId is not null && inviter.MemberId != member)
                pairs.Add((e, inviter.MemberId, member!.Value));
        }
        if (pairs.Count == 0)
            return;
        var inviterIds = pairs.Select(p => p.Inviter).Distinct().ToList();
        var done = (await db.Set<MemberPointsEntry>().IgnoreQueryFilters().AsNoTracking()
                .Where(x => x.WorkspaceId == ws && x.Reason == PointsReason.Invitation && inviterIds.Contains(x.MemberId) && x.RelatedMemberId != null)
                .Select(x => new { x.MemberId, x.RelatedMemberId }).ToListAsync(ct))
            .Select(x => (x.MemberId, x.RelatedMemberId!.Value)).ToHashSet();
        foreach (var (e, inviter, invited) in pairs)
        {
            if (done.Add((inviter, invited)))
                awards.Add(new Award(inviter, PointsReason.Invitation, rule.Points, e.UserName, e.Seq, $"event:{e.Seq}:invitation", invited, e.OccurredAt));
        }
    }
}
