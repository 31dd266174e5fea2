using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Responses;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Topics;

public sealed record TopicSpeakerDto(string Name, Guid? MemberId, int Messages);

public sealed record TopicQuestionDto(string Name, string Text, DateTime At);

/// <summary>What the log says about a session's window, and the summary to post.</summary>
/// <param name="Draft">What would be posted: staff's edited text, else <paramref name="ComputedDraft"/>.</param>
public sealed record TopicSummaryDto(
    Guid SessionId,
    TopicSessionStatus Status,
    DateTime From,
    DateTime To,
    int Messages,
    int Speakers,
    IReadOnlyList<TopicSpeakerDto> TopSpeakers,
    IReadOnlyList<TopicQuestionDto> Questions,
    string Draft,
    string ComputedDraft,
    bool Posted,
    Guid? ActionId,
    DateTime? PostedAt);

/// <summary>The summary to post: <c>text</c> (else the saved draft, else the computed one).</summary>
public sealed record TopicSummaryInput(string? Text = null);

public sealed record TopicSummaryPosted(Guid SessionId, Guid ActionId, bool Existing);

/// <summary>A community's topic volume over a period: sessions by outcome and the members' messages during those held.</summary>
public sealed record TopicVolumeDto(Guid CommunityId, string CommunityName, int SessionsHeld, int SessionsUpcoming, int SessionsCancelled, int Messages, int Speakers);

/// <summary>
/// A session's summary after it, computed from the event log: the members' messages in the community during
/// [StartsAt, EndsAt) (staff's and Shequn's own left out), the most active speakers, the questions asked
/// (<see cref="QuestionDetector"/>) and a draft in the members' language. Posting it is one outbound action (key
/// <c>topic:{session}:summary</c>), so asking twice sends it once. Also the topic volume per community.
/// </summary>
public sealed class TopicSummaries(AppDbContext db, WorkspaceZones zones, TimeProvider time, OutboxSignal signal, JsonStringLocalizerFactory strings)
{
    public const int TopSpeakerCount = 5;
    public const int MaxQuestions = 20;
    private const int DraftQuestions = 10;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private sealed record Line(long Seq, ChatPlatform Platform, string UserId, string? UserName, string? Text, DateTime At);

    public async Task<TopicSummaryDto?> GetAsync(Guid sessionId, CancellationToken ct = default)
    {
        var session = await TopicSessions.FindAsync(db, sessionId, ct);
        return session is null ? null : await ComputeAsync(session, ct);
    }

    public async Task<TopicSummaryDto> ComputeAsync(TopicSession session, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var lines = await LinesAsync(session.CommunityId, session.StartsAt, session.EndsAt, ct);
        var users = lines.Select(l => l.UserId).Distinct().ToList();
        var platforms = lines.Select(l => l.Platform).Distinct().ToList();
        var identities = users.Count == 0 ? [] : await db.Set<MemberIdentity>().AsNoTracking()
            .Where(i => users.Contains(i.UserId) && platforms.Contains(i.Platform))
            .Join(db.Set<Member>(), i => i.MemberId, m => m.Id, (i, m) => new { i.Platform, i.UserId, m.Id, m.DisplayName })
            .ToListAsync(ct);
        string NameOf(ChatPlatform p, string user, string? fallback) =>
            identities.FirstOrDefault(i => i.Platform == p && i.UserId == user)?.DisplayName ?? fallback ?? user;
        Guid? MemberOf(ChatPlatform p, string user) => identities.FirstOrDefault(i => i.Platform == p && i.UserId == user)?.Id;

        var speakers = lines.GroupBy(l => (l.Platform, l.UserId))
            .Select(g => new { g.Key, Count = g.Count(), First = g.Min(l => l.Seq), Name = NameOf(g.Key.Platform, g.Key.UserId, g.Last().UserName) })
            .OrderByDescending(x => x.Count).ThenBy(x => x.First)
            .ToList();
        var top = speakers.Take(TopSpeakerCount).Select(x => new TopicSpeakerDto(x.Name, MemberOf(x.Key.Platform, x.Key.UserId), x.Count)).ToList();
        var questions = lines.Where(l => QuestionDetector.IsQuestion(l.Text)).Take(MaxQuestions)
            .Select(l => new TopicQuestionDto(NameOf(l.Platform, l.UserId, l.UserName), Clip(l.Text!.Trim(), MemberQuestion.TextMaxLength), l.At)).ToList();
        var computed = await DraftAsync(session, lines.Count, speakers.Count, top, questions, ct);
        return new TopicSummaryDto(session.Id, session.StatusAt(Now), session.StartsAt, session.EndsAt, lines.Count, speakers.Count, top, questions,
            session.SummaryDraft ?? computed, computed, session.SummaryActionId is not null, session.SummaryActionId, session.SummaryPostedAt);
    }

    /// <summary>Posts the summary once through the outbox; a second call returns the first action and makes none.</summary>
    public async Task<TopicResult<TopicSummaryPosted>> PostAsync(Guid sessionId, TopicSummaryInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return new(TopicOutcome.NotFound, null, v);
        var session = await db.Set<TopicSession>().SingleOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is null || !me.Sees(session.CommunityId))
            return new(TopicOutcome.NotFound, null, v);
        if (!TopicSessions.MayEdit(me))
            return new(TopicOutcome.Forbidden, null, v);
        if (session.SummaryActionId is { } posted)
            return new(TopicOutcome.Saved, new TopicSummaryPosted(session.Id, posted, true), v);
        var status = session.StatusAt(Now);
        if (status != TopicSessionStatus.Done)
            return new(TopicOutcome.Conflict, null, v, $"The session is {status.ToString().ToLowerInvariant()}: a summary is posted after it has ended.");
        var text = string.IsNullOrWhiteSpace(input.Text) ? session.SummaryDraft ?? (await ComputeAsync(session, ct)).ComputedDraft : input.Text.Trim();
        v.Required("text", text, OutboundAction.TextMaxLength);
        if (!v.IsValid)
            return new(TopicOutcome.Invalid, null, v);
        var community = await db.Communities.AsNoTracking().SingleAsync(c => c.Id == session.CommunityId, ct);
        var key = TopicSession.SummaryKey(session.Id);
        var existing = await db.Set<OutboundAction>().AsNoTracking().Where(a => a.IdempotencyKey == key).Select(a => (Guid?)a.Id).SingleOrDefaultAsync(ct);
        if (existing is { } earlier)
            return new(TopicOutcome.Saved, new TopicSummaryPosted(session.Id, earlier, true), v);
        // Like a calendar post, the summary answers nobody's question (no CausedByStaffId); the audit row names who posted it.
        var action = OutboundAction.Create(session.WorkspaceId, session.CommunityId, PostTexts.KindFor(community.Platform), new ActionPayload(Text: text), key);
        db.Add(action);
        session.SummaryDraft = text;
        session.SummaryActionId = action.Id;
        session.SummaryPostedAt = Now;
        session.UpdatedAt = Now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another request posted it meanwhile (the key or the session's token): that one is the summary.
            db.ChangeTracker.Clear();
            var winner = await db.Set<OutboundAction>().AsNoTracking().Where(a => a.IdempotencyKey == key).Select(a => (Guid?)a.Id).SingleOrDefaultAsync(ct);
            if (winner is null)
                throw;
            return new(TopicOutcome.Saved, new TopicSummaryPosted(session.Id, winner.Value, true), v);
        }
        signal.Notify();
        return new(TopicOutcome.Saved, new TopicSummaryPosted(session.Id, action.Id, false), v);
    }

    /// <summary>Topic volume per community the caller sees, for sessions starting in [from, to) (UTC).</summary>
    public async Task<IReadOnlyList<TopicVolumeDto>> VolumeAsync(DateTime from, DateTime to, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        var visible = db.Visible(me).Select(c => c.Id);
        var sessions = await db.Set<TopicSession>().AsNoTracking()
            .Where(s => visible.Contains(s.CommunityId) && s.StartsAt >= from && s.StartsAt < to)
            .Select(s => new { s.CommunityId, s.StartsAt, s.EndsAt, s.CancelledAt }).ToListAsync(ct);
        var ids = sessions.Select(s => s.CommunityId).Distinct().ToList();
        var names = await db.Communities.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var now = Now;
        var result = new List<TopicVolumeDto>();
        foreach (var g in sessions.GroupBy(s => s.CommunityId))
        {
            var held = g.Where(s => s.CancelledAt is null && s.EndsAt <= now).ToList();
            var messages = 0;
            var speakers = new HashSet<(ChatPlatform, string)>();
            foreach (var s in held)
            {
                var lines = await LinesAsync(g.Key, s.StartsAt, s.EndsAt, ct);
                messages += lines.Count;
                speakers.UnionWith(lines.Select(l => (l.Platform, l.UserId)));
            }
            result.Add(new TopicVolumeDto(g.Key, names.GetValueOrDefault(g.Key) ?? "", held.Count,
                g.Count(s => s.CancelledAt is null && s.EndsAt > now), g.Count(s => s.CancelledAt is not null), messages, speakers.Count));
        }
        return [.. result.OrderByDescending(r => r.SessionsHeld).ThenBy(r => r.CommunityName, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Members' messages in a community during [from, to): events naming the community, or its platform chats (connectors
    /// know only the chat id). Not staff's (<c>FromStaff</c>), not Shequn's own (<c>ActionId</c>).
    /// </summary>
    private async Task<List<Line>> LinesAsync(Guid communityId, DateTime from, DateTime to, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        var platform = await db.Communities.AsNoTracking().Where(c => c.Id == communityId).Select(c => c.Platform).SingleAsync(ct);
        var chats = await db.Set<PlatformChat>().AsNoTracking().Where(p => p.CommunityId == communityId).Select(p => p.ChatId).ToListAsync(ct);
        // REVIEW: the log has no index on (community, time) — every index is paid on the hot path (EventConfigurations); a
        // session's summary is read on demand, so this scans the workspace's log for the window.
        return await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.WorkspaceId == ws && e.Kind == EventKind.MessagePosted && e.OccurredAt >= from && e.OccurredAt < to
                && !e.FromStaff && e.ActionId == null && e.UserId != null
                && (e.CommunityId == communityId || (e.CommunityId == null && e.Platform == platform && e.ChatId != null && chats.Contains(e.ChatId))))
            .OrderBy(e => e.Seq)
            .Select(e => new Line(e.Seq, e.Platform, e.UserId!, e.UserName, e.Text, e.OccurredAt))
            .ToListAsync(ct);
    }

    private async Task<string> DraftAsync(TopicSession s, int messages, int speakers, List<TopicSpeakerDto> top, List<TopicQuestionDto> questions, CancellationToken ct)
    {
        var table = strings.Table(await WorkspaceSettings.LanguageAsync(db, s.WorkspaceId, ct));
        string W(string key) => table.TryGetValue(key, out var text) ? text : key;
        string F(string key, params object[] args) => string.Format(CultureInfo.InvariantCulture, W(key), args);
        var zone = await zones.GetAsync(s.WorkspaceId, ct);
        var start = TimeZoneInfo.ConvertTimeFromUtc(s.StartsAt, zone);
        var end = TimeZoneInfo.ConvertTimeFromUtc(s.EndsAt, zone);
        var title = await db.Set<Topic>().AsNoTracking().Where(t => t.Id == s.TopicId).Select(t => t.Title).SingleOrDefaultAsync(ct) ?? "";
        var lines = new List<string>
        {
            F("Topics.Words.SummaryTitle", title),
            F("Topics.Words.SummaryTime", start.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), end.ToString("HH:mm", CultureInfo.InvariantCulture)),
            F("Topics.Words.SummaryHost", s.HostName),
            F("Topics.Words.SummaryCounts", messages, speakers),
        };
        if (top.Count > 0)
            lines.Add(W("Topics.Words.SummarySpeakers") + string.Join(W("Topics.Words.ListSeparator"), top.Select(x => F("Topics.Words.SummarySpeaker", x.Name, x.Messages))));
        if (questions.Count > 0)
        {
            lines.Add(W("Topics.Words.SummaryQuestions"));
            lines.AddRange(questions.Take(DraftQuestions).Select((q, i) => F("Topics.Words.SummaryQuestion", i + 1, Clip(q.Text, 100), q.Name)));
        }
        lines.Add(W("Topics.Words.SummaryThanks"));
        return Clip(string.Join("\n", lines), OutboundAction.TextMaxLength);
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];
}
