using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;

namespace Shequn.Features.Feedback;

/// <summary>Feedback detection at run time (section <c>Feedback</c>).</summary>
public sealed class FeedbackOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>A message processed this long after it was posted (a backlog, an import, the demo's history) makes no ticket.</summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Turns members' complaints and suggestions into <see cref="FeedbackTicket"/>s, as a reaction of the event processor:
/// the tickets are added to the batch's context and committed with its checkpoint, so each message makes its ticket
/// once across crashes and app processes (and a replayed batch finds the ticket already there). Staff and the bot
/// (<c>FromStaff</c>) make none, nor messages processed over <see cref="FeedbackOptions.LateAfter"/> after they were posted.
/// A ticket goes to its department's owner while that person is active staff of the workspace, else to the community's
/// staff as a reply task would (operators, admins, sub-owners, the fewest open tasks first), else to the owner.
/// </summary>
public sealed class FeedbackReaction(TimeProvider time, IOptions<FeedbackOptions> options) : IBatchReaction
{
    /// <summary>Compiled detectors per workspace, replaced when the workspace's rules change.</summary>
    private readonly ConcurrentDictionary<Guid, (DateTime Stamp, FeedbackDetector Detector)> _detectors = new();

    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        if (!options.Value.Enabled)
            return 0;
        var now = time.GetUtcNow().UtcDateTime;
        var candidates = events.Where(e => e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId is not null
                && !string.IsNullOrWhiteSpace(e.Text) && now - e.OccurredAt <= options.Value.LateAfter
                && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved })
            .ToList();
        foreach (var group in candidates.GroupBy(e => e.WorkspaceId))
            await DetectAsync(db, group.Key, [.. group], effects, now, ct);
        return 0; // tickets only, no actions
    }

    private async Task DetectAsync(AppDbContext db, Guid ws, List<CommunityEvent> posts, EventEffects effects, DateTime now, CancellationToken ct)
    {
        var detector = await DetectorAsync(db, ws, ct);
        var found = posts.Select(e => (E: e, Verdict: detector.Detect(e.Text))).Where(f => f.Verdict is not null).ToList();
        if (found.Count == 0)
            return;
        var seqs = found.Select(f => f.E.Seq).ToList();
        var existing = (await db.Set<FeedbackTicket>().IgnoreQueryFilters().AsNoTracking()
            .Where(t => t.WorkspaceId == ws && t.Source == FeedbackSource.Detected && t.EventSeq != null && seqs.Contains(t.EventSeq.Value))
            .Select(t => t.EventSeq!.Value).ToListAsync(ct)).ToHashSet();
        found = [.. found.Where(f => !existing.Contains(f.E.Seq))];
        if (found.Count == 0)
            return;

        var active = (await db.Users.IgnoreQueryFilters().AsNoTracking()
            .Where(u => u.WorkspaceId == ws && u.IsActive && u.Role != StaffRole.Koc).Select(u => u.Id).ToListAsync(ct)).ToHashSet();
        var owners = detector.Rules.Departments.Where(d => d.OwnerStaffId is { } o && active.Contains(o)).ToDictionary(d => d.Key, d => d.OwnerStaffId!.Value);
        TaskRouting.Roster? roster = null;
        foreach (var (e, verdict) in found)
        {
            var community = effects.CommunityOf[e.Seq]!;
            Guid? assignee = owners.TryGetValue(verdict!.Department, out var o) ? o : null;
            if (assignee is null)
            {
                roster ??= await TaskRouting.RosterAsync(db, ws, null, ct);
                assignee = roster.Owners.Count == 0 ? null : TaskRouting.Pick(roster, ws, community.Id, ActionKind.Reply).StaffId;
            }
            db.Set<FeedbackTicket>().Add(new FeedbackTicket
            {
                WorkspaceId = ws,
                CommunityId = community.Id,
                MemberId = effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var member) ? member : null,
                Kind = verdict.Kind,
                Source = FeedbackSource.Detected,
                Text = EventEffects.Clip(e.Text!.Trim(), FeedbackTicket.TextMaxLength)!,
                EventSeq = e.Seq,
                MessageId = e.MessageId,
                UserName = EventEffects.Clip(e.UserName, FeedbackTicket.NameMaxLength),
                Signal = EventEffects.Clip(verdict.Signal, 200),
                Department = verdict.Department,
                AssignedStaffId = assignee,
                Status = FeedbackStatus.New,
                CreatedAt = now,
                UpdatedAt = now,
            });
        }
    }

    private async Task<FeedbackDetector> DetectorAsync(AppDbContext db, Guid ws, CancellationToken ct)
    {
        var stamp = await db.Set<FeedbackSettings>().IgnoreQueryFilters().AsNoTracking()
            .Where(s => s.WorkspaceId == ws).Select(s => (DateTime?)s.UpdatedAt).SingleOrDefaultAsync(ct) ?? DateTime.MinValue;
        if (_detectors.TryGetValue(ws, out var cached) && cached.Stamp == stamp)
            return cached.Detector;
        var (rules, readStamp) = await FeedbackSettings.ReadAsync(db, ws, ct);
        var detector = readStamp == DateTime.MinValue ? FeedbackDetector.Default : FeedbackDetector.Create(rules);
        _detectors[ws] = (readStamp, detector);
        return detector;
    }
}
