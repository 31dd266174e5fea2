using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;

namespace Shequn.Features.Responses;

public sealed class ResponsesOptions
{
    /// <summary>Off: no questions are recorded (figures and the queue stay as they are).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A staff or KOC message that replies to nothing answers the oldest question waiting at most this long.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The response rate counts questions answered within this time.</summary>
    public TimeSpan Target { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The queue of waiting questions shows those asked within this long; older ones are past answering in the chat
    /// (they still count as unanswered in the figures). Keeps an imported history from burying today's questions.
    /// </summary>
    public TimeSpan QueueAge { get; set; } = TimeSpan.FromDays(3);
}

/// <summary>
/// Response tracking (应答率) as a reaction of the event processor: runs inside the transaction that moves the
/// processor's checkpoint, so what it writes happens once across crashes and app processes, and it keeps nothing in
/// memory. For each message in log order:
/// <list type="bullet">
/// <item>from staff (<c>FromStaff</c>): an answer; one Shequn sent (<see cref="CommunityEvent.ActionId"/>) is the staff
/// member's who sent it through Shequn, or the bot's (<see cref="AnswererKind.Bot"/>) when a reaction sent it on its own,
/// and the bot's answers only the question it replies to: a welcome or a scheduled post answers nobody;</item>
/// <item>from a member, recognised by <see cref="QuestionDetector"/>: a new <see cref="MemberQuestion"/>;</item>
/// <item>any other message from a KOC (<see cref="MemberLayer.Koc"/>): an answer.</item>
/// </list>
/// An answer that replies to a message answers that question if it is still waiting (a reply to anything else answers
/// nothing); one that replies to nothing answers the oldest question of the same group asked within
/// <see cref="ResponsesOptions.Window"/> before it, not the answerer's own. One message answers one question.
/// </summary>
public sealed class ResponseTracker(IOptionsMonitor<ResponsesOptions> options) : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        var settings = options.CurrentValue;
        if (!settings.Enabled)
            return 0;
        var posts = events.Where(e => e.Kind == EventKind.MessagePosted && e.UserId is not null
            && effects.CommunityOf.GetValueOrDefault(e.Seq) is { State: not CommunityState.Dissolved }).ToList();
        foreach (var group in posts.GroupBy(e => e.WorkspaceId))
            await TrackAsync(db, group.Key, [.. group], effects, settings, ct);
        return 0; // rows only, no actions
    }

    private static async Task TrackAsync(AppDbContext db, Guid ws, List<CommunityEvent> posts, EventEffects effects, ResponsesOptions settings, CancellationToken ct)
    {
        Guid? MemberOf(CommunityEvent e) =>
            !e.FromStaff && effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var m) ? m : null;

        var sent = await SendersAsync(db, posts, ct);
        // The workspace's KOCs (a few, by index), not a look-up of every member who spoke.
        var kocs = posts.Any(e => MemberOf(e) is not null)
            ? (await db.Members.IgnoreQueryFilters().AsNoTracking()
                .Where(m => m.WorkspaceId == ws && m.Layer == MemberLayer.Koc).Select(m => m.Id).ToListAsync(ct)).ToHashSet()
            : [];

        // Decide each message's part first, then load only the waiting questions the answers can reach.
        var parts = new List<(CommunityEvent E, Guid Community, Guid? Member, bool Answers)>(posts.Count);
        foreach (var e in posts)
        {
            var community = effects.CommunityOf[e.Seq]!.Id;
            var member = MemberOf(e);
            if (e.FromStaff && e.ActionId is { } action && sent.GetValueOrDefault(action) is null && e.ReplyToMessageId is null)
                continue; // the bot on its own, replying to nobody: not an answer
            if (e.FromStaff)
                parts.Add((e, community, null, true));
            else if (member is { } m && QuestionDetector.IsQuestion(e.Text))
                parts.Add((e, community, m, false));
            else if (member is { } k && kocs.Contains(k))
                parts.Add((e, community, k, true));
        }
        var answers = parts.Where(p => p.Answers).ToList();
        var waiting = new Dictionary<Guid, Waiting>();
        Waiting Of(Guid community)
        {
            if (!waiting.TryGetValue(community, out var w))
            {
                var mine = answers.Where(a => a.Community == community).ToList();
                waiting[community] = w = new Waiting(ws, community, mine.Count == 0 ? DateTime.MaxValue : mine.Min(a => a.E.OccurredAt) - settings.Window, 2 * mine.Count + 16);
            }
            return w;
        }

        // Questions the answers reply to, from earlier batches (those of this batch join the lists as they are asked).
        var replyTo = answers.Where(a => a.E.ReplyToMessageId is not null).Select(a => a.E.ReplyToMessageId!).Distinct().ToList();
        if (replyTo.Count > 0)
        {
            var communities = answers.Where(a => a.E.ReplyToMessageId is not null).Select(a => a.Community).Distinct().ToList();
            // The processor acts as no workspace: the filter is off, the workspace condition is the query's own.
            foreach (var q in await db.Set<MemberQuestion>().IgnoreQueryFilters()
                .Where(q => q.WorkspaceId == ws && communities.Contains(q.CommunityId) && q.MessageId != null && replyTo.Contains(q.MessageId)
                    && q.AnsweredAt == null && q.DismissedAt == null)
                .ToListAsync(ct))
                Of(q.CommunityId).Replied.Add(q);
        }

        var asked = new List<MemberQuestion>();
        foreach (var (e, community, member, isAnswer) in parts)
        {
            if (!isAnswer)
            {
                var question = new MemberQuestion
                {
                    WorkspaceId = ws,
                    CommunityId = community,
                    MemberId = member!.Value,
                    Platform = e.Platform,
                    UserId = e.UserId!,
                    UserName = EventEffects.Clip(e.UserName, MemberQuestion.NameMaxLength),
                    EventSeq = e.Seq,
                    MessageId = e.MessageId,
                    Text = EventEffects.Clip(e.Text!.Trim(), MemberQuestion.TextMaxLength)!,
                    AskedAt = e.OccurredAt,
                };
                asked.Add(question);
                if (answers.Count > 0)
                    Of(community).Asked.Add(question);
                continue;
            }
            var answered = e.ReplyToMessageId is { } target
                ? Of(community).RepliedTo(target, e.UserId)
                : await Of(community).OldestAsync(db, e.OccurredAt - settings.Window, e.OccurredAt, e.UserId, ct);
            if (answered is null)
                continue;
            var at = e.OccurredAt < answered.AskedAt ? answered.AskedAt : e.OccurredAt;
            answered.AnsweredAt = at;
            answered.AnswerSeconds = (int)Math.Round((at - answered.AskedAt).TotalSeconds);
            answered.AnsweredBySeq = e.Seq;
            var (kind, userId, name) = !e.FromStaff ? (AnswererKind.Koc, e.UserId, e.UserName)
                : e.ActionId is not { } byAction ? (AnswererKind.Staff, e.UserId, e.UserName)
                : sent.GetValueOrDefault(byAction) is { } staff ? (AnswererKind.Staff, StaffAnswerer(staff.Id), staff.Name)
                : (AnswererKind.Bot, e.UserId, e.UserName);
            answered.AnsweredByKind = kind;
            answered.AnsweredByUserId = EventEffects.Clip(userId, MemberQuestion.IdMaxLength);
            answered.AnsweredByName = EventEffects.Clip(name, MemberQuestion.NameMaxLength);
            answered.AnsweredByMemberId = e.FromStaff ? null : member;
            answered.AnsweredByReply = e.ReplyToMessageId is not null;
            effects.Answered.Add(answered);
        }
        // New questions (answered or not) are written straight into the batch's transaction, untracked; earlier ones that
        // were answered are tracked and saved with the batch.
        await SetInserts.InsertAsync(db, asked, ct);
    }

    /// <summary>
    /// One group's waiting questions as far as this batch's answers need them: the batch's own, those its replies name,
    /// and the oldest of earlier batches, read from the log in order (asked time, then sequence) a page at a time, only as
    /// far as an answer needs to look. A burst of thousands of unanswered questions costs a page, not all of them.
    /// </summary>
    private sealed class Waiting(Guid ws, Guid community, DateTime since, int page)
    {
        /// <summary>This batch's questions, in log order.</summary>
        public List<MemberQuestion> Asked { get; } = [];

        /// <summary>Earlier questions that this batch's replies name.</summary>
        public List<MemberQuestion> Replied { get; } = [];

        private readonly List<MemberQuestion> _earlier = [];
        private (DateTime At, long Seq)? _readTo;
        private bool _readAll;

        public MemberQuestion? RepliedTo(string messageId, string? answerer) =>
            Asked.Concat(Replied).FirstOrDefault(q => q.IsWaiting && q.MessageId == messageId && q.UserId != answerer);

        /// <summary>The oldest question asked from <paramref name="from"/> to <paramref name="to"/> still waiting, not the answerer's own.</summary>
        public async Task<MemberQuestion?> OldestAsync(AppDbContext db, DateTime from, DateTime to, string? answerer, CancellationToken ct)
        {
            while (true)
            {
                var best = _earlier.Concat(Asked).Concat(Replied)
                    .Where(q => q.IsWaiting && q.AskedAt >= from && q.AskedAt <= to && q.UserId != answerer)
                    .MinBy(q => (q.AskedAt, q.EventSeq));
                // Questions not read yet come after the last one read: they cannot be older than one found before it, nor
                // inside the window when the last one read was asked after it.
                if (_readAll || _readTo is { } last && (best is not null && (best.AskedAt, best.EventSeq).CompareTo(last) <= 0 || last.At > to))
                    return best;
                await ReadPageAsync(db, ct);
            }
        }

        private async Task ReadPageAsync(AppDbContext db, CancellationToken ct)
        {
            var query = db.Set<MemberQuestion>().IgnoreQueryFilters()
                .Where(q => q.WorkspaceId == ws && q.CommunityId == community && q.AnsweredAt == null && q.DismissedAt == null && q.AskedAt >= since);
            if (_readTo is var (at, seq))
                query = query.Where(q => q.AskedAt > at || (q.AskedAt == at && q.EventSeq > seq));
            var rows = await query.OrderBy(q => q.AskedAt).ThenBy(q => q.EventSeq).Take(page).ToListAsync(ct);
            // A reply's target read earlier is the same tracked row: listed once.
            _earlier.AddRange(rows.Where(r => !Replied.Contains(r)));
            _readAll = rows.Count < page;
            if (rows.Count > 0)
                _readTo = (rows[^1].AskedAt, rows[^1].EventSeq);
        }
    }

    /// <summary>How a staff member who answered through Shequn (not from their own account in the chat) is keyed among answerers.</summary>
    public static string StaffAnswerer(Guid staffId) => "staff:" + staffId.ToString("N");

    /// <summary>
    /// For the messages Shequn sent in this batch: the staff member who sent each through Shequn, or null when a reaction
    /// sent it on its own (or its action is gone).
    /// </summary>
    private static async Task<Dictionary<Guid, (Guid Id, string? Name)?>> SendersAsync(AppDbContext db, List<CommunityEvent> posts, CancellationToken ct)
    {
        var ids = posts.Where(e => e.FromStaff && e.ActionId is not null).Select(e => e.ActionId!.Value).Distinct().ToList();
        var senders = ids.ToDictionary(id => id, _ => ((Guid, string?)?)null);
        if (ids.Count == 0)
            return senders;
        var rows = await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => ids.Contains(a.Id) && a.CausedByStaffId != null)
            .Select(a => new { a.Id, Staff = a.CausedByStaffId!.Value })
            .ToListAsync(ct);
        var staffIds = rows.Select(r => r.Staff).Distinct().ToList();
        var names = staffIds.Count == 0 ? [] : await db.Users.IgnoreQueryFilters().AsNoTracking()
            .Where(u => staffIds.Contains(u.Id)).Select(u => new { u.Id, u.DisplayName }).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        foreach (var r in rows)
            senders[r.Id] = (r.Staff, names.GetValueOrDefault(r.Staff));
        return senders;
    }
}
