using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Review;
using Shequn.Features.Staff;

namespace Shequn.Features.Demo;

/// <summary>
/// A few moderation cases so that the review queue, the moderation log and the false-positive/negative counters
/// show something in the demo: ads posted by members of the demo's groups, in the words of seed 004, with the
/// engine's own evidence. They stand for no event of the log (negative sequence numbers, no message id), so marking
/// one spam deletes nothing. Added once (they are recognised by their negative sequence numbers), next to whatever
/// the processor's enforcement finds in the demo's live traffic.
/// </summary>
public static class DemoCases
{
    private sealed record Sample(string Text, CaseDecision Decision, string Rule, double Score, LadderAction? Action = null, bool Undone = false);

    private static readonly Sample[] Samples =
    [
        new("加我微信 wx88123 领取免费试用装，名额有限", CaseDecision.Review, Rules.Solicitation, 0.84),
        new("兼职日结200，手机就能做，感兴趣的加V：jz2025", CaseDecision.Review, Rules.Ads, 0.80),
        new("帮忙砍一刀 https://pdd.cn/abc 谢谢大家", CaseDecision.Review, Rules.VoteLink, 0.66),
        new("有需要减肥茶的私聊我，厂家直销价格美丽", CaseDecision.Review, Rules.Solicitation, 0.58),
        new("进群领红包 扫码加好友 vx: hb6688", CaseDecision.Act, Rules.Solicitation, 0.96, LadderAction.Remove),
        new("投票链接 麻烦帮我孩子投一票 http://vote.qq.cc/x", CaseDecision.Act, Rules.VoteLink, 0.92, LadderAction.Delete, Undone: true),
        new("群里有人要澳洲保健品吗？私我，直邮包税", CaseDecision.Reported, ModerationReview.ReportedRule, 0.2),
    ];

    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (await db.Set<ModerationCase>().AnyAsync(c => c.EventSeq < 0, ct))
            return;
        var communities = await db.Communities.Where(c => c.Name != DemoCatalog.Ads && c.Platform != ChatPlatform.Manual).OrderBy(c => c.CreatedAt).Take(3).ToListAsync(ct);
        if (communities.Count == 0)
            return;
        var owner = await db.Users.Where(u => u.WorkspaceId == workspaceId && u.Role == StaffRole.Owner).OrderBy(u => u.CreatedAt).Select(u => u.Id).FirstAsync(ct);
        var engine = await scope.ServiceProvider.GetRequiredService<ModerationEngines>().ForWorkspaceAsync(db, ct);
        var ids = communities.Select(c => c.Id).ToList();
        var authors = await db.Set<CommunityEvent>()
            .Where(e => e.WorkspaceId == workspaceId && e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId != null && e.CommunityId != null && ids.Contains(e.CommunityId.Value))
            .OrderByDescending(e => e.Seq).Take(500)
            .Select(e => new { e.CommunityId, e.Platform, e.UserId, e.UserName }).ToListAsync(ct);
        var people = authors.DistinctBy(a => a.UserId).Take(Samples.Length).ToList();
        var identities = await db.Set<MemberIdentity>().Where(i => i.WorkspaceId == workspaceId).ToListAsync(ct);
        var now = DateTime.UtcNow;
        for (var i = 0; i < Samples.Length; i++)
        {
            var s = Samples[i];
            var community = communities[i % communities.Count];
            var who = people.Count > 0 ? people[i % people.Count] : null;
            var seq = -1000L - i;
            var at = now.AddHours(-3 * (i + 1));
            var c = new ModerationCase
            {
                WorkspaceId = workspaceId,
                CommunityId = who?.CommunityId ?? community.Id,
                EventSeq = seq,
                Platform = who?.Platform ?? community.Platform,
                UserId = who?.UserId,
                UserName = who?.UserName,
                MemberId = identities.FirstOrDefault(m => m.Platform == who?.Platform && m.UserId == who?.UserId)?.MemberId,
                Text = s.Text,
                Decision = s.Decision,
                Rule = s.Rule,
                Score = s.Score,
                Evidence = ModerationReview.EvidenceJson(engine.Check(new ModerationMessage(s.Text)).Evidence),
                Action = s.Action,
                Violations = s.Action is null ? 0 : 1,
                Verdict = s.Decision == CaseDecision.Reported ? CaseVerdict.Spam : s.Undone ? CaseVerdict.NotSpam : CaseVerdict.None,
                ReviewedById = s.Decision == CaseDecision.Reported || s.Undone ? owner : null,
                ReviewedAt = s.Decision == CaseDecision.Reported || s.Undone ? at.AddMinutes(20) : null,
                UndoneAt = s.Undone ? at.AddMinutes(20) : null,
                UndoneById = s.Undone ? owner : null,
                UndoNote = s.Undone ? "群主事先同意了这次投票" : null,
                OccurredAt = at,
                CreatedAt = at,
            };
            db.Add(c);
            if (s.Action is { } action && c.UserId is { } user)
            {
                // What the ladder did, already done, so the log shows outcomes (the dispatcher leaves done actions alone).
                Done(db, c, ActionKind.DeleteMessage, new ActionPayload(MessageId: $"demo-{i}"), at);
                if (action == LadderAction.Remove)
                    Done(db, c, ActionKind.Remove, new ActionPayload(UserId: user), at);
            }
        }
        await db.SaveChangesWithoutAuditAsync(ct);
    }

    private static void Done(AppDbContext db, ModerationCase c, ActionKind kind, ActionPayload payload, DateTime at)
    {
        var action = OutboundAction.Create(c.WorkspaceId, c.CommunityId, kind, payload, $"demo:case:{c.EventSeq}:{kind}");
        (action.CausedByEventSeq, action.Status, action.Attempts, action.CreatedAt, action.UpdatedAt, action.CompletedAt) = (c.EventSeq, ActionStatus.Done, 1, at, at, at.AddSeconds(1));
        db.Add(action);
    }
}
