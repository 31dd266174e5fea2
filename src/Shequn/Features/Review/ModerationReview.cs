using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Exports;

namespace Shequn.Features.Review;

public sealed record ReviewResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

/// <summary>
/// Makes <see cref="ModerationReview"/>s for a database context (the API's request scope, or a console page's own
/// context), with what they share: the engines, the outbox signal and <c>Review:RetrainAfterLabels</c>.
/// </summary>
public sealed class ModerationReviews(ModerationEngines engines, IServiceScopeFactory scopes, ILoggerFactory loggers, OutboxSignal signal, IConfiguration configuration)
{
    /// <summary>New labels (made since the model was last trained) that start a retraining.</summary>
    public int RetrainAfterLabels { get; } = Math.Max(1, configuration.GetValue("Review:RetrainAfterLabels", 25));

    public ModerationReview For(AppDbContext db) =>
        new(db, this, new ModerationSettings(db, engines, scopes, loggers.CreateLogger<ModerationSettings>()), engines, signal);
}

/// <summary>
/// What staff do with the moderation cases the processor writes: the review queue, verdicts (each a workspace label,
/// enough of them retrain the model), the moderation log and its export, undo (the member restored through the
/// outbox, the case a "not spam" label) and "report this message" (a false negative, a "spam" label). Staff see the
/// cases of the communities they see; KOCs none. Every change is audited in the same save as the change.
/// </summary>
public sealed class ModerationReview(AppDbContext db, ModerationReviews owner, ModerationSettings settings, ModerationEngines engines, OutboxSignal signal)
{
    /// <summary>Most cases one bulk mark takes.</summary>
    public const int MaxBulk = 200;

    /// <summary>The rule of a case made by "report this message".</summary>
    public const string ReportedRule = "reported";

    /// <summary>Beyond this the export is refused rather than built in memory; a filter narrows it.</summary>
    public const int MaxExportRows = 100_000;

    public static bool MayUse(StaffProfile? me) => me is not null && me.CanLabelMessages;

    /// <summary>Owners, sub-owners and admins keep the blacklist; every staff member but KOCs may read it.</summary>
    public static bool MayKeepBlacklist(StaffProfile? me) => me is not null && me.CanManageModeration;

    private async Task<StaffProfile?> MeAsync(CancellationToken ct) => await db.Current.GetProfileAsync(db, ct);

    /// <summary>The cases of the communities <paramref name="me"/> sees.</summary>
    public IQueryable<ModerationCase> Visible(StaffProfile me)
    {
        var cases = db.Set<ModerationCase>().AsNoTracking();
        return me.SeesAllCommunities ? cases : cases.Where(c => db.Visible(me).Any(v => v.Id == c.CommunityId));
    }

    /// <summary>The queue, or null when the actor may not review.</summary>
    public async Task<ReviewQueueDto?> QueueAsync(int? page, int? pageSize, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return null;
        var policy = await db.Set<ModerationPolicy>().AsNoTracking().SingleOrDefaultAsync(ct);
        var middle = ((policy?.ReviewThreshold ?? ModerationThresholds.Default.Review) + (policy?.ActThreshold ?? ModerationThresholds.Default.Act)) / 2;
        var visible = Visible(me!);
        var rows = await visible.Where(c => c.Decision == CaseDecision.Review && c.Verdict == CaseVerdict.None)
            .OrderBy(c => Math.Abs(c.Score - middle)).ThenByDescending(c => c.OccurredAt).ThenBy(c => c.Id)
            .ToPageAsync(page, pageSize, ct);
        var falsePositives = await visible.CountAsync(c => c.Decision == CaseDecision.Act && c.UndoneAt != null, ct);
        var falseNegatives = await visible.CountAsync(c => c.Decision == CaseDecision.Reported, ct);
        return new ReviewQueueDto(await DtosAsync(rows.Items, ct), rows.Total, rows.PageNumber, rows.PageSize, Math.Round(middle, 4), falsePositives, falseNegatives);
    }

    /// <summary>The moderation log, newest first; null when the actor may not read it.</summary>
    public async Task<(Page<CaseDto>? Page, Validation Validation)> LogAsync(CaseFilter filter, int? page, int? pageSize, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        var validation = new Validation();
        if (!MayUse(me))
            return (null, validation);
        var query = Filtered(me!, filter, validation);
        if (!validation.IsValid)
            return (null, validation);
        var rows = await query.OrderByDescending(c => c.OccurredAt).ThenByDescending(c => c.Id).ToPageAsync(page, pageSize, ct);
        return (new Page<CaseDto>(await DtosAsync(rows.Items, ct), rows.Total, rows.PageNumber, rows.PageSize), validation);
    }

    /// <summary>The whole filtered log as CSV (see <see cref="CaseExport"/>); null with no errors when the actor may not read it.</summary>
    public async Task<(byte[]? File, Validation Validation)> ExportAsync(CaseFilter filter, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        var validation = new Validation();
        if (!MayUse(me))
            return (null, validation);
        var query = Filtered(me!, filter, validation);
        if (!validation.IsValid)
            return (null, validation);
        var count = await query.CountAsync(ct);
        if (count > MaxExportRows)
            return (null, validation.Add("filter", "ExportTooLarge", $"{count} cases match; an export holds at most {MaxExportRows}. Narrow the filter.", count, MaxExportRows));
        var rows = await query.OrderByDescending(c => c.OccurredAt).ThenByDescending(c => c.Id).ToListAsync(ct);
        var file = CaseExport.Csv(await DtosAsync(rows, ct));
        await ExportAudit.RecordAsync(db, "ModerationLog", db.CurrentWorkspaceId, "csv", rows.Count, new Dictionary<string, object?>
        {
            ["communityId"] = filter.CommunityId, ["memberId"] = filter.MemberId, ["userId"] = filter.UserId, ["rule"] = filter.Rule,
            ["decision"] = filter.Decision, ["from"] = filter.From, ["to"] = filter.To,
        }, ct);
        return (file, validation);
    }

    private IQueryable<ModerationCase> Filtered(StaffProfile me, CaseFilter filter, Validation validation)
    {
        var query = Visible(me);
        if (filter.CommunityId is { } community)
            query = query.Where(c => c.CommunityId == community);
        if (filter.MemberId is { } member)
            query = query.Where(c => c.MemberId == member);
        if (!string.IsNullOrWhiteSpace(filter.UserId))
        {
            var user = filter.UserId.Trim();
            query = query.Where(c => c.UserId == user);
        }
        if (!string.IsNullOrWhiteSpace(filter.Rule))
        {
            var rule = filter.Rule.Trim();
            query = query.Where(c => c.Rule == rule);
        }
        if (validation.ParseEnum<CaseDecision>("decision", filter.Decision) is { } decision)
            query = query.Where(c => c.Decision == decision);
        if (filter.From is { } from && filter.To is { } to && to < from)
            validation.Add("to", "OutOfRange", "'to' must not be before 'from'.");
        if (filter.From is { } start)
        {
            var s = start.UtcDateTime;
            query = query.Where(c => c.OccurredAt >= s);
        }
        if (filter.To is { } end)
        {
            var e = end.UtcDateTime;
            query = query.Where(c => c.OccurredAt < e);
        }
        return query;
    }

    /// <summary>The keys of the actions staff's decisions on a case cause: one per kind, so asking twice makes one action.</summary>
    public static string ActionKey(Guid caseId, ActionKind kind) => $"review:{caseId:N}:{kind}";

    private static readonly ActionKind[] ReviewKinds = [ActionKind.DeleteMessage, ActionKind.Unban, ActionKind.Unrestrict, ActionKind.CreateInviteLink];

    private async Task<List<CaseDto>> DtosAsync(IReadOnlyList<ModerationCase> cases, CancellationToken ct)
    {
        if (cases.Count == 0)
            return [];
        var communityIds = cases.Select(c => c.CommunityId).Distinct().ToList();
        var names = await db.Communities.Where(c => communityIds.Contains(c.Id)).Select(c => new { c.Id, c.Name }).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var seqs = cases.Select(c => c.EventSeq).Distinct().ToList();
        var keys = cases.SelectMany(c => ReviewKinds.Select(k => ActionKey(c.Id, k))).ToList();
        var actions = await db.Set<OutboundAction>().AsNoTracking()
            .Where(a => (a.CausedByEventSeq != null && seqs.Contains(a.CausedByEventSeq.Value) && communityIds.Contains(a.CommunityId)) || keys.Contains(a.IdempotencyKey))
            .OrderBy(a => a.CreatedAt)
            .Select(a => new { a.Id, a.CommunityId, a.CausedByEventSeq, a.IdempotencyKey, a.Kind, a.Status, a.Error, a.ErrorReason, a.CreatedAt, a.CompletedAt })
            .ToListAsync(ct);
        return [.. cases.Select(c =>
        {
            var prefix = $"review:{c.Id:N}:";
            var own = actions.Where(a => (a.CausedByEventSeq == c.EventSeq && a.CommunityId == c.CommunityId) || a.IdempotencyKey.StartsWith(prefix, StringComparison.Ordinal))
                .Select(a => new CaseActionDto(a.Id, a.Kind, a.Status, a.Error, a.IdempotencyKey.StartsWith(prefix, StringComparison.Ordinal), a.CreatedAt, a.CompletedAt, a.ErrorReason))
                .ToList();
            return new CaseDto(c.Id, c.CommunityId, names.GetValueOrDefault(c.CommunityId, ""), c.EventSeq, c.Platform, c.MessageId, c.UserId, c.UserName, c.MemberId,
                c.Text, c.Decision, c.Rule, c.Score, c.ModelScore, CaseEvidence.Read(c.Evidence), c.Action, c.Violations, c.Verdict, c.ReviewedById, c.ReviewedAt,
                c.UndoneAt, c.UndoneById, c.UndoNote, c.OccurredAt, own);
        })];
    }

    public async Task<CaseDto?> GetAsync(Guid id, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return null;
        var row = await Visible(me!).SingleOrDefaultAsync(c => c.Id == id, ct);
        return row is null ? null : (await DtosAsync([row], ct))[0];
    }

    /// <summary>
    /// Marks cases spam or not spam. Each mark is a workspace label (the label's id is the case's, so marking again
    /// changes it rather than adding another). A spam mark on a Review case also deletes the message through the
    /// outbox; a mark on an Act case only confirms or disputes it (undo restores the member). All cases must be
    /// visible, or nothing is marked.
    /// </summary>
    public async Task<ReviewResult<VerdictResultDto>> MarkAsync(IReadOnlyList<Guid>? ids, string? verdictText, CancellationToken ct)
    {
        var validation = new Validation();
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return new(EditOutcome.Forbidden, null, validation);
        var verdict = ParseVerdict(validation, verdictText);
        if (ids is null || ids.Count == 0)
            validation.Add("ids", "Required", "'ids' must name at least one case.");
        else if (ids.Count > MaxBulk)
            validation.Add("ids", "TooMany", $"'ids' holds at most {MaxBulk} cases (got {ids.Count}).", MaxBulk, ids.Count);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var wanted = ids!.Distinct().ToList();
        var visible = await Visible(me!).Where(c => wanted.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct);
        var missing = wanted.Except(visible).ToList();
        if (missing.Count > 0)
            return ids!.Count == 1
                ? new(EditOutcome.NotFound, null, validation)
                : new(EditOutcome.Invalid, null, validation.Add("ids", "UnknownCase", $"No visible case {missing[0]}; nothing was marked.", missing[0].ToString()));

        var cases = await db.Set<ModerationCase>().Where(c => wanted.Contains(c.Id)).ToListAsync(ct);
        var now = DateTime.UtcNow;
        var deletions = 0;
        foreach (var c in cases)
        {
            var before = c.Verdict;
            (c.Verdict, c.ReviewedById, c.ReviewedAt) = (verdict!.Value, me!.Id, now);
            if (verdict == CaseVerdict.Spam && c.Decision == CaseDecision.Review && c.MessageId is { Length: > 0 } message
                && await QueueOnceAsync(c, ActionKind.DeleteMessage, new ActionPayload(MessageId: message), me.Id, ct))
                deletions++;
            await LabelAsync(c, verdict == CaseVerdict.Spam, ct);
            db.AddAuditNote(nameof(ModerationCase), c.Id, "updated",
                new Dictionary<string, object?> { ["Verdict"] = before.ToString() },
                new Dictionary<string, object?> { ["Verdict"] = c.Verdict.ToString(), ["Rule"] = c.Rule });
        }
        await db.SaveChangesAsync(ct);
        if (deletions > 0)
            signal.Notify();
        var (labels, retraining) = await MaybeRetrainAsync(ct);
        return new(EditOutcome.Saved, new VerdictResultDto(cases.Count, deletions, labels, retraining), validation);
    }

    private static CaseVerdict? ParseVerdict(Validation validation, string? text)
    {
        if (EventInputs.TryParseEnum<CaseVerdict>(text, out var verdict) && verdict != CaseVerdict.None)
            return verdict;
        validation.Add("verdict", "UnknownValue", $"'verdict' must be spam or notSpam (got '{text}').", text ?? "");
        return null;
    }

    /// <summary>The case as a label; the label takes the case's id so that a later mark or an undo changes it.</summary>
    private async Task LabelAsync(ModerationCase c, bool spam, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(c.Text) || !Rules.TeachesTheModel(c.Rule))
            return;
        var label = db.Set<LabelledMessage>().Local.FirstOrDefault(l => l.Id == c.Id)
            ?? await db.Set<LabelledMessage>().SingleOrDefaultAsync(l => l.Id == c.Id, ct);
        if (label is null)
            db.Add(new LabelledMessage { Id = c.Id, WorkspaceId = c.WorkspaceId, IsSpam = spam, Text = c.Text });
        else
            label.IsSpam = spam;
    }

    /// <summary>Queues an action the case asks for, unless it was queued before (one per case and kind).</summary>
    private async Task<bool> QueueOnceAsync(ModerationCase c, ActionKind kind, ActionPayload payload, Guid staffId, CancellationToken ct)
    {
        var key = ActionKey(c.Id, kind);
        if (await db.Set<OutboundAction>().AnyAsync(a => a.IdempotencyKey == key, ct))
            return false;
        var action = OutboundAction.Create(c.WorkspaceId, c.CommunityId, kind, payload, key);
        action.CausedByStaffId = staffId;
        db.Add(action);
        return true;
    }

    /// <summary>
    /// Starts retraining in the background (swapped in when done, as <see cref="ModerationSettings.TrainAsync"/> does)
    /// once <see cref="ModerationReviews.RetrainAfterLabels"/> labels were made since the model was last trained.
    /// </summary>
    private async Task<(int Labels, bool Started)> MaybeRetrainAsync(CancellationToken ct)
    {
        var labels = await db.Set<LabelledMessage>().CountAsync(ct);
        var trainedAt = await db.Set<StoredSpamModel>().Select(m => (DateTime?)m.TrainedAt).SingleOrDefaultAsync(ct);
        var fresh = trainedAt is { } at ? await db.Set<LabelledMessage>().CountAsync(l => l.CreatedAt > at, ct) : labels;
        if (fresh < owner.RetrainAfterLabels || engines.IsTraining(db.CurrentWorkspaceId))
            return (labels, false);
        var (start, _) = await settings.StartTrainingAsync(ct);
        return (labels, start == TrainingStart.Started);
    }

    /// <summary>
    /// Undoes an act: the member is restored through the outbox (a mute lifted; a removal or blacklisting undone with
    /// an unban and a fresh one-person invite link, and the blacklist entry the case made taken off), who and why are
    /// recorded, and the case becomes a "not spam" label. A deleted message cannot come back. Where the platform cannot
    /// act (Manual, WeCom external members) the dispatcher turns the actions into staff tasks.
    /// </summary>
    public async Task<ReviewResult<CaseDto>> UndoAsync(Guid id, string? note, CancellationToken ct)
    {
        var validation = new Validation();
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return new(EditOutcome.Forbidden, null, validation);
        if (!await Visible(me!).AnyAsync(c => c.Id == id, ct))
            return new(EditOutcome.NotFound, null, validation);
        validation.Required("note", note, ModerationCase.NoteMaxLength);
        var c = await db.Set<ModerationCase>().SingleAsync(x => x.Id == id, ct);
        if (c.Decision != CaseDecision.Act)
            validation.Add("id", "NotAnAct", "Only an act can be undone; mark a review case or a report spam or not spam instead.");
        else if (c.UndoneAt is not null)
            validation.Add("id", "AlreadyUndone", $"The case was undone at {c.UndoneAt:O}.", c.UndoneAt.Value);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        var queued = false;
        if (c.UserId is { Length: > 0 } user)
        {
            if (c.Action == LadderAction.Mute)
                queued |= await QueueOnceAsync(c, ActionKind.Unrestrict, new ActionPayload(UserId: user), me!.Id, ct);
            if (c.Action is LadderAction.Remove or LadderAction.Blacklist)
            {
                queued |= await QueueOnceAsync(c, ActionKind.Unban, new ActionPayload(UserId: user), me!.Id, ct);
                queued |= await QueueOnceAsync(c, ActionKind.CreateInviteLink, new ActionPayload(Name: Clip(c.UserName ?? user, 32), MemberLimit: 1), me.Id, ct);
                if (c.Action == LadderAction.Blacklist)
                    db.RemoveRange(await db.Set<BlacklistEntry>().Where(b => b.Platform == c.Platform && b.UserId == user).ToListAsync(ct));
            }
        }
        (c.UndoneAt, c.UndoneById, c.UndoNote) = (DateTime.UtcNow, me!.Id, note!.Trim());
        (c.Verdict, c.ReviewedById, c.ReviewedAt) = (CaseVerdict.NotSpam, me.Id, c.UndoneAt);
        await LabelAsync(c, spam: false, ct);
        db.AddAuditNote(nameof(ModerationCase), c.Id, "undone", null, new Dictionary<string, object?>
        {
            ["Rule"] = c.Rule,
            ["Action"] = c.Action?.ToString(),
            ["UserId"] = c.UserId,
            ["Note"] = c.UndoNote,
        });
        await db.SaveChangesAsync(ct);
        if (queued)
            signal.Notify();
        await MaybeRetrainAsync(ct);
        return new(EditOutcome.Saved, (await DtosAsync([c], ct))[0], validation);
    }

    /// <summary>
    /// "Report this message": staff caught what the engine let through. The message (from the event log) becomes a
    /// Reported case with what the engine says of it now, marked spam, and a spam label. Reporting it again returns
    /// the same case.
    /// </summary>
    public async Task<(ReviewResult<CaseDto> Result, bool Existing)> ReportAsync(ReportInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return (new(EditOutcome.Forbidden, null, validation), false);
        if (input.CommunityId is null)
            validation.Add("communityId", "Required", "'communityId' is required.");
        validation.Required("messageId", input.MessageId, CommunityEvent.IdMaxLength);
        if (!validation.IsValid)
            return (new(EditOutcome.Invalid, null, validation), false);
        var communityId = input.CommunityId!.Value;
        if (!await db.Visible(me).AnyAsync(c => c.Id == communityId, ct))
            return (new(EditOutcome.NotFound, null, validation), false);
        var messageId = input.MessageId!.Trim();
        var workspace = db.CurrentWorkspaceId;
        var message = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.WorkspaceId == workspace && e.CommunityId == communityId && e.Kind == EventKind.MessagePosted && e.MessageId == messageId)
            .OrderByDescending(e => e.Seq).FirstOrDefaultAsync(ct);
        if (message is null)
            return (new(EditOutcome.Invalid, null, validation.Add("messageId", "UnknownMessage", $"No message '{messageId}' in this community.", messageId)), false);
        var existing = await db.Set<ModerationCase>().SingleOrDefaultAsync(c => c.EventSeq == message.Seq && c.Rule == ReportedRule, ct);
        if (existing is not null)
            return (new(EditOutcome.Saved, (await DtosAsync([existing], ct))[0], validation), true);

        var text = message.Text ?? "";
        var result = (await engines.ForWorkspaceAsync(db, ct)).Check(new ModerationMessage(text)); // the text as the engine sees it now
        var memberId = message.UserId is null ? null : await db.Set<MemberIdentity>()
            .Where(i => i.WorkspaceId == workspace && i.Platform == message.Platform && i.UserId == message.UserId).Select(i => (Guid?)i.MemberId).FirstOrDefaultAsync(ct);
        var now = DateTime.UtcNow;
        var c = new ModerationCase
        {
            WorkspaceId = workspace,
            CommunityId = communityId,
            EventSeq = message.Seq,
            Platform = message.Platform,
            MessageId = message.MessageId,
            UserId = message.UserId,
            UserName = Clip(message.UserName, 100),
            MemberId = memberId,
            Text = Clip(text, ModerationCase.TextMaxLength),
            Decision = CaseDecision.Reported,
            Rule = ReportedRule,
            Score = Math.Round(result.Score, 4),
            ModelScore = result.ModelScore is { } m ? Math.Round(m, 4) : null,
            Evidence = EvidenceJson(result.Evidence),
            Verdict = CaseVerdict.Spam,
            ReviewedById = me!.Id,
            ReviewedAt = now,
            OccurredAt = message.OccurredAt,
        };
        db.Add(c);
        await LabelAsync(c, spam: true, ct);
        db.AddAuditNote(nameof(ModerationCase), c.Id, "created", null, new Dictionary<string, object?>
        {
            ["Decision"] = c.Decision.ToString(),
            ["MessageId"] = c.MessageId,
            ["UserId"] = c.UserId,
            ["Text"] = c.Text,
        });
        await db.SaveChangesAsync(ct);
        await MaybeRetrainAsync(ct);
        return (new(EditOutcome.Saved, (await DtosAsync([c], ct))[0], validation), false);
    }

    /// <summary>The engine's evidence in the shape every part of enforcement reads (enum as string, web names).</summary>
    public static string EvidenceJson(IEnumerable<Evidence> evidence) =>
        CaseEvidence.Serialize([.. evidence.Select(CaseEvidence.From)]);

    private static string? Clip(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
