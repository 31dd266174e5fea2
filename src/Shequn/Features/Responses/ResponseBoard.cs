using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Responses;

/// <summary>Response figures of a set of questions. Rate = answered within the target ÷ questions (null: no questions);
/// median and p90 are nearest-rank over the answered questions' seconds to first answer (null: none answered).</summary>
public sealed record ResponseFiguresDto(int Questions, int Answered, int AnsweredWithinTarget, double? Rate, int? MedianSeconds, int? P90Seconds);

public sealed record CommunityResponseDto(Guid CommunityId, string CommunityName, ResponseFiguresDto Figures);

/// <summary>One answerer (a staff platform user, or a KOC member) over the questions they answered first.</summary>
public sealed record AnswererResponseDto(AnswererKind Kind, string UserId, string? Name, Guid? MemberId, int Answered, int AnsweredWithinTarget, int? MedianSeconds, int? P90Seconds);

public sealed record ResponseSummaryDto(DateOnly From, DateOnly To, string TimeZone, int TargetSeconds, ResponseFiguresDto Overall,
    IReadOnlyList<CommunityResponseDto> Communities, IReadOnlyList<AnswererResponseDto> Answerers);

public sealed record WaitingQuestionDto(Guid Id, Guid CommunityId, string CommunityName, Guid MemberId, string UserId, string? UserName,
    string? MessageId, string Text, DateTime AskedAt, int AgeSeconds);

public sealed record MemberQuestionDto(Guid Id, Guid CommunityId, Guid MemberId, string UserId, string? UserName, string? MessageId, string Text,
    DateTime AskedAt, DateTime? AnsweredAt, int? AnswerSeconds, AnswererKind? AnsweredByKind, string? AnsweredByUserId, string? AnsweredByName,
    bool AnsweredByReply, DateTime? DismissedAt, Guid? DismissedById);

public sealed record ResponseResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

/// <summary>Makes <see cref="ResponseBoard"/>s for a database context (the API's request, a console page's own context).</summary>
public sealed class ResponseBoards(IOptionsMonitor<ResponsesOptions> options, WorkspaceZones zones, TimeProvider time)
{
    public ResponseBoard For(AppDbContext db) => new(db, options.CurrentValue, zones, time);
}

/// <summary>
/// What staff read and do about members' questions, shared by the API (<see cref="ResponseEndpoints"/>) and the
/// console (<c>/responses</c>): the waiting queue (every staff member, KOCs included, for the communities they see),
/// the figures over a date range in the workspace's time zone and dismissing a line that is not a question (not KOCs,
/// as with moderation review). A question of a community the viewer does not see is not found.
/// </summary>
public sealed class ResponseBoard(AppDbContext db, ResponsesOptions options, WorkspaceZones zones, TimeProvider time)
{
    /// <summary>The longest range the figures cover at once.</summary>
    public const int MaxDays = 366;

    public static bool MaySeeQueue(StaffProfile? me) => me is not null;

    public static bool MaySeeFigures(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    public static bool MayDismiss(StaffProfile? me) => me is not null && me.CanLabelMessages;

    public TimeSpan Target => options.Target;

    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    private IQueryable<MemberQuestion> Visible(StaffProfile me)
    {
        var ws = db.CurrentWorkspaceId;
        var questions = db.Set<MemberQuestion>().AsNoTracking().Where(q => q.WorkspaceId == ws);
        return me.SeesAllCommunities ? questions : questions.Where(q => db.Visible(me).Any(c => c.Id == q.CommunityId));
    }

    /// <summary>
    /// Questions still waiting for an answer, asked within <see cref="ResponsesOptions.QueueAge"/>, oldest first; null when
    /// the viewer may not see them.
    /// </summary>
    public async Task<Page<WaitingQuestionDto>?> WaitingAsync(Guid? communityId, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MaySeeQueue(me))
            return null;
        var now = time.GetUtcNow().UtcDateTime;
        var since = now - options.QueueAge;
        var query = Visible(me!).Where(q => q.AnsweredAt == null && q.DismissedAt == null && q.AskedAt >= since);
        if (communityId is { } c)
            query = query.Where(q => q.CommunityId == c);
        var rows = await query.OrderBy(q => q.AskedAt).ThenBy(q => q.EventSeq).ToPageAsync(page, pageSize, ct);
        var ids = rows.Items.Select(q => q.CommunityId).Distinct().ToList();
        var names = await db.Communities.AsNoTracking().Where(x => ids.Contains(x.Id)).ToDictionaryAsync(x => x.Id, x => x.Name, ct);
        return new Page<WaitingQuestionDto>([.. rows.Items.Select(q => new WaitingQuestionDto(q.Id, q.CommunityId, names.GetValueOrDefault(q.CommunityId, ""),
            q.MemberId, q.UserId, q.UserName, q.MessageId, q.Text, DateTime.SpecifyKind(q.AskedAt, DateTimeKind.Utc),
            (int)Math.Max(0, (now - q.AskedAt).TotalSeconds)))], rows.Total, rows.PageNumber, rows.PageSize);
    }

    /// <summary>One question of a community the viewer sees.</summary>
    public async Task<MemberQuestionDto?> GetAsync(Guid id, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MaySeeQueue(me))
            return null;
        return await Visible(me!).Where(q => q.Id == id).Select(ToDto).SingleOrDefaultAsync(ct);
    }

    /// <summary>
    /// Figures for the days [<paramref name="from"/>, <paramref name="to"/>] (yyyy-MM-dd, in the workspace's zone;
    /// default the last 7 days to today) over the communities the viewer sees, or one of them.
    /// Dismissed questions are not counted; a question counts on the day it was asked.
    /// </summary>
    public async Task<ResponseResult<ResponseSummaryDto>> SummaryAsync(string? from, string? to, Guid? communityId, CancellationToken ct)
    {
        var validation = new Validation();
        var me = await MeAsync(ct);
        if (!MaySeeFigures(me))
            return new(EditOutcome.Forbidden, null, validation);
        var ws = db.CurrentWorkspaceId;
        var zone = await zones.GetAsync(ws, ct);
        var today = DailyFigures.DayOf(time.GetUtcNow().UtcDateTime, zone);
        var last = validation.ParseDay("to", to) ?? today;
        var first = validation.ParseDay("from", from) ?? last.AddDays(-6);
        if (validation.IsValid && last < first)
            validation.Add("to", "OutOfRange", "'to' must not be before 'from'.");
        else if (validation.IsValid && last.DayNumber - first.DayNumber + 1 > MaxDays)
            validation.Add("to", "OutOfRange", $"The range may cover at most {MaxDays} days.", MaxDays);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        if (communityId is { } cid && !await db.Visible(me).AnyAsync(c => c.Id == cid, ct))
            return new(EditOutcome.NotFound, null, validation);

        var start = DailyFigures.StartOf(first, zone);
        var end = DailyFigures.StartOf(last.AddDays(1), zone);
        var query = Visible(me!).Where(q => q.DismissedAt == null && q.AskedAt >= start && q.AskedAt < end);
        if (communityId is { } c)
            query = query.Where(q => q.CommunityId == c);
        var rows = await query.Select(q => new Row(q.CommunityId, q.AnswerSeconds, q.AnsweredByKind, q.AnsweredByUserId, q.AnsweredByName, q.AnsweredByMemberId))
            .ToListAsync(ct);
        var target = (int)options.Target.TotalSeconds;
        var ids = rows.Select(r => r.CommunityId).Distinct().ToList();
        var names = await db.Communities.AsNoTracking().Where(x => ids.Contains(x.Id)).ToDictionaryAsync(x => x.Id, x => x.Name, ct);
        var communities = rows.GroupBy(r => r.CommunityId)
            .Select(g => new CommunityResponseDto(g.Key, names.GetValueOrDefault(g.Key, ""), Figures(g.ToList(), target)))
            .OrderBy(x => x.CommunityName, StringComparer.Ordinal).ToList();
        var answerers = rows.Where(r => r.Seconds is not null && r.Kind is not null && r.UserId is not null)
            .GroupBy(r => (r.Kind!.Value, r.UserId!))
            .Select(g =>
            {
                var seconds = g.Select(r => r.Seconds!.Value).Order().ToList();
                return new AnswererResponseDto(g.Key.Item1, g.Key.Item2, g.Select(r => r.Name).LastOrDefault(n => n is not null), g.Select(r => r.MemberId).FirstOrDefault(),
                    seconds.Count, seconds.Count(s => s <= target), Percentile(seconds, 0.5), Percentile(seconds, 0.9));
            })
            .OrderByDescending(a => a.Answered).ThenBy(a => a.Name, StringComparer.Ordinal).ToList();
        return new(EditOutcome.Saved, new ResponseSummaryDto(first, last, zone.Id, target, Figures(rows, target), communities, answerers), validation);
    }

    /// <summary>Staff say this is not a question: it leaves the queue and the figures. Dismissing twice is harmless.</summary>
    public async Task<ResponseResult<MemberQuestionDto>> DismissAsync(Guid id, CancellationToken ct)
    {
        var validation = new Validation();
        var me = await MeAsync(ct);
        if (me is null)
            return new(EditOutcome.Forbidden, null, validation);
        var ws = db.CurrentWorkspaceId;
        var visible = db.Set<MemberQuestion>().Where(q => q.WorkspaceId == ws && q.Id == id);
        if (!me.SeesAllCommunities)
            visible = visible.Where(q => db.Visible(me).Any(c => c.Id == q.CommunityId));
        var question = await visible.SingleOrDefaultAsync(ct);
        if (question is null)
            return new(EditOutcome.NotFound, null, validation);
        if (!MayDismiss(me))
            return new(EditOutcome.Forbidden, null, validation);
        if (question.DismissedAt is null)
        {
            question.DismissedAt = time.GetUtcNow().UtcDateTime;
            question.DismissedById = me.Id;
            await db.SaveChangesAsync(ct);
        }
        return new(EditOutcome.Saved, ToDtoCompiled(question), validation);
    }

    private sealed record Row(Guid CommunityId, int? Seconds, AnswererKind? Kind, string? UserId, string? Name, Guid? MemberId);

    private static ResponseFiguresDto Figures(IReadOnlyCollection<Row> rows, int target)
    {
        var seconds = rows.Where(r => r.Seconds is not null).Select(r => r.Seconds!.Value).Order().ToList();
        var within = seconds.Count(s => s <= target);
        return new ResponseFiguresDto(rows.Count, seconds.Count, within,
            rows.Count == 0 ? null : Math.Round(within / (double)rows.Count, 4), Percentile(seconds, 0.5), Percentile(seconds, 0.9));
    }

    /// <summary>Nearest rank: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    public static int? Percentile(IReadOnlyList<int> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static readonly System.Linq.Expressions.Expression<Func<MemberQuestion, MemberQuestionDto>> ToDto = q => new MemberQuestionDto(
        q.Id, q.CommunityId, q.MemberId, q.UserId, q.UserName, q.MessageId, q.Text, q.AskedAt, q.AnsweredAt, q.AnswerSeconds, q.AnsweredByKind,
        q.AnsweredByUserId, q.AnsweredByName, q.AnsweredByReply, q.DismissedAt, q.DismissedById);

    private static readonly Func<MemberQuestion, MemberQuestionDto> ToDtoCompiled = ToDto.Compile();
}
