using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Points;

public sealed record PointRuleDto(PointRuleKind Kind, int Points, bool Enabled, string? Keywords, bool IsDefault, DateTime? UpdatedAt);

public sealed record PointRuleInput(int? Points = null, bool? Enabled = null, string? Keywords = null);

public sealed record PointLevelDto(Guid Id, string Name, int Threshold, string? Rights);

public sealed record PointLevelInput(string? Name = null, int? Threshold = null, string? Rights = null);

public sealed record PointsEntryDto(Guid Id, int Delta, PointsReason Reason, string? ReasonText, long? EventSeq, Guid? RelatedMemberId,
    Guid? StaffId, string? StaffName, DateTime OccurredAt, PointsSkip? Skipped = null);

public sealed record MemberPointsDto(Guid MemberId, int Balance, PointLevelDto? Level, PointLevelDto? NextLevel, IReadOnlyList<PointsEntryDto> Entries);

public sealed record PointsAdjustmentInput(int? Delta = null, string? Reason = null);

public sealed record PointsResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

/// <summary>
/// Point rules, levels and members' ledgers: the one class the API (<c>/api/points/*</c>, <c>/api/members/{id}/points</c>)
/// and the console (<c>/points</c>, the member page) call. All staff read; owners, sub-owners and admins change rules and
/// levels; staff who edit members adjust a member's points by hand with a reason (an audit note in the same save).
/// </summary>
public sealed class PointsLedger(AppDbContext db)
{
    public const int MaxPoints = 100_000;
    public const int LedgerShown = 200;

    public static bool MayConfigure(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;

    public static bool MayAdjust(StaffProfile? me) => me?.CanEditMembers == true;

    public async Task<IReadOnlyList<PointRuleDto>> RulesAsync(CancellationToken ct = default)
    {
        var saved = await db.Set<PointRule>().AsNoTracking().ToDictionaryAsync(r => r.Kind, ct);
        return [.. Enum.GetValues<PointRuleKind>().Select(k => saved.TryGetValue(k, out var r)
            ? new PointRuleDto(k, r.Points, r.Enabled, r.Keywords, false, r.UpdatedAt)
            : ToDto(PointRuleDefaults.For(db.CurrentWorkspaceId, k), isDefault: true))];
    }

    private static PointRuleDto ToDto(PointRule r, bool isDefault) => new(r.Kind, r.Points, r.Enabled, r.Keywords, isDefault, isDefault ? null : r.UpdatedAt);

    public async Task<PointsResult<PointRuleDto>> SaveRuleAsync(PointRuleKind kind, PointRuleInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!MayConfigure(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, null, validation);
        if (!Enum.IsDefined(kind))
            return new(EditOutcome.NotFound, null, validation);
        var rule = await db.Set<PointRule>().SingleOrDefaultAsync(r => r.Kind == kind, ct);
        var isNew = rule is null;
        rule ??= PointRuleDefaults.For(db.CurrentWorkspaceId, kind);
        var points = input.Points ?? rule.Points;
        if (points is < -MaxPoints or > MaxPoints)
            validation.Add("points", "OutOfRange", $"'points' must be between {-MaxPoints} and {MaxPoints}.", -MaxPoints, MaxPoints);
        var keywords = input.Keywords is null ? rule.Keywords : string.Join(",", PointRuleDefaults.SplitKeywords(input.Keywords));
        if (kind == PointRuleKind.CheckIn)
        {
            if (string.IsNullOrWhiteSpace(keywords))
                validation.Add("keywords", "Required", "'keywords' is required for check-in: the words that count as a check-in.");
            validation.MaxLength("keywords", keywords, PointRule.KeywordsMaxLength);
        }
        else if (!string.IsNullOrWhiteSpace(input.Keywords))
            validation.Add("keywords", "PointsCheckInOnly", "'keywords' applies to check-in only.");
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        rule.Points = points;
        rule.Enabled = input.Enabled ?? rule.Enabled;
        rule.Keywords = kind == PointRuleKind.CheckIn ? keywords : null;
        rule.UpdatedAt = DateTime.UtcNow;
        if (isNew)
            db.Set<PointRule>().Add(rule);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, ToDto(rule, false), validation);
    }

    public async Task<IReadOnlyList<PointLevelDto>> LevelsAsync(CancellationToken ct = default) =>
        [.. (await db.Set<PointLevel>().AsNoTracking().OrderBy(l => l.Threshold).ToListAsync(ct)).Select(ToDto)];

    private static PointLevelDto ToDto(PointLevel l) => new(l.Id, l.Name, l.Threshold, l.Rights);

    public async Task<PointsResult<PointLevelDto>> SaveLevelAsync(Guid? id, PointLevelInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        if (!MayConfigure(await db.Current.GetProfileAsync(db, ct)))
            return new(EditOutcome.Forbidden, null, validation);
        PointLevel? level = null;
        if (id is { } existing && (level = await db.Set<PointLevel>().SingleOrDefaultAsync(l => l.Id == existing, ct)) is null)
            return new(EditOutcome.NotFound, null, validation);
        var name = input.Name?.Trim() ?? level?.Name;
        var threshold = input.Threshold ?? level?.Threshold;
        var rights = input.Rights is null ? level?.Rights : input.Rights.Trim();
        validation.Required("name", name, PointLevel.NameMaxLength);
        validation.MaxLength("rights", rights, PointLevel.RightsMaxLength);
        if (threshold is null)
            validation.Add("threshold", "Required", "'threshold' is required.");
        else if (threshold is < 0 or > MaxPoints * 100)
            validation.Add("threshold", "OutOfRange", $"'threshold' must be between 0 and {MaxPoints * 100}.", 0, MaxPoints * 100);
        if (validation.IsValid)
        {
            var others = db.Set<PointLevel>().Where(l => l.Id != id);
            if (await others.AnyAsync(l => l.Name == name, ct))
                validation.Add("name", "DuplicateLevelName", $"A level named '{name}' exists.", name!);
            if (await others.AnyAsync(l => l.Threshold == threshold, ct))
                validation.Add("threshold", "DuplicateLevelThreshold", $"A level starts at {threshold} points already.", threshold!);
        }
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        if (level is null)
        {
            level = new PointLevel { WorkspaceId = db.CurrentWorkspaceId, Name = name! };
            db.Set<PointLevel>().Add(level);
        }
        level.Name = name!;
        level.Threshold = threshold!.Value;
        level.Rights = string.IsNullOrWhiteSpace(rights) ? null : rights;
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, ToDto(level), validation);
    }

    public async Task<EditOutcome> DeleteLevelAsync(Guid id, CancellationToken ct = default)
    {
        if (!MayConfigure(await db.Current.GetProfileAsync(db, ct)))
            return EditOutcome.Forbidden;
        var level = await db.Set<PointLevel>().SingleOrDefaultAsync(l => l.Id == id, ct);
        if (level is null)
            return EditOutcome.NotFound;
        db.Set<PointLevel>().Remove(level);
        await db.SaveChangesAsync(ct);
        return EditOutcome.Saved;
    }

    /// <summary>The member's balance, level and latest entries (newest first), for a member the viewer sees.</summary>
    public async Task<MemberPointsDto?> MemberAsync(Guid memberId, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !await db.VisibleMembers(me).AnyAsync(m => m.Id == memberId, ct))
            return null;
        var balance = await db.Set<MemberPointsEntry>().Where(e => e.MemberId == memberId).SumAsync(e => (int?)e.Delta, ct) ?? 0;
        var entries = await db.Set<MemberPointsEntry>().AsNoTracking().Where(e => e.MemberId == memberId)
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(LedgerShown).ToListAsync(ct);
        var staffIds = entries.Where(e => e.StaffId is not null).Select(e => e.StaffId!.Value).Distinct().ToList();
        var staff = staffIds.Count == 0 ? [] : await db.Set<StaffUser>().Where(s => staffIds.Contains(s.Id) && s.WorkspaceId == db.CurrentWorkspaceId)
            .ToDictionaryAsync(s => s.Id, s => s.DisplayName, ct);
        var levels = await LevelsAsync(ct);
        return new MemberPointsDto(memberId, balance, LevelOf(levels, balance), levels.FirstOrDefault(l => l.Threshold > balance),
            [.. entries.Select(e => new PointsEntryDto(e.Id, e.Delta, e.Reason, e.ReasonText, e.EventSeq, e.RelatedMemberId, e.StaffId,
                e.StaffId is { } s ? staff.GetValueOrDefault(s) : null, e.OccurredAt, e.Skipped))]);
    }

    public static PointLevelDto? LevelOf(IReadOnlyList<PointLevelDto> levels, int balance) =>
        levels.Where(l => l.Threshold <= balance).MaxBy(l => l.Threshold);

    /// <summary>Balances and levels of the listed members (the member list shows the level).</summary>
    public async Task<Dictionary<Guid, (int Balance, PointLevelDto? Level)>> LevelsOfAsync(IReadOnlyCollection<Guid> memberIds, CancellationToken ct = default)
    {
        if (memberIds.Count == 0)
            return [];
        var ids = memberIds.ToList();
        var sums = await db.Set<MemberPointsEntry>().Where(e => ids.Contains(e.MemberId)).GroupBy(e => e.MemberId)
            .Select(g => new { g.Key, Sum = g.Sum(e => e.Delta) }).ToDictionaryAsync(x => x.Key, x => x.Sum, ct);
        var levels = await LevelsAsync(ct);
        return ids.Distinct().ToDictionary(id => id, id =>
        {
            var balance = sums.GetValueOrDefault(id);
            return (balance, LevelOf(levels, balance));
        });
    }

    /// <summary>A manual adjustment: a non-zero amount and a reason, by staff who edit members, for a member they see.</summary>
    public async Task<PointsResult<PointsEntryDto>> AdjustAsync(Guid memberId, PointsAdjustmentInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !await db.VisibleMembers(me).AnyAsync(m => m.Id == memberId, ct))
            return new(EditOutcome.NotFound, null, validation);
        if (!MayAdjust(me))
            return new(EditOutcome.Forbidden, null, validation);
        if (input.Delta is null or 0)
            validation.Add("delta", "PointsDeltaRequired", "'delta' is required: a non-zero number of points to add (or take away, negative).");
        else if (input.Delta is < -MaxPoints or > MaxPoints)
            validation.Add("delta", "OutOfRange", $"'delta' must be between {-MaxPoints} and {MaxPoints}.", -MaxPoints, MaxPoints);
        validation.Required("reason", input.Reason, MemberPointsEntry.ReasonTextMaxLength);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var entry = new MemberPointsEntry
        {
            WorkspaceId = db.CurrentWorkspaceId,
            MemberId = memberId,
            Delta = input.Delta!.Value,
            Reason = PointsReason.Manual,
            ReasonText = input.Reason!.Trim(),
            StaffId = me.Id,
            OccurredAt = DateTime.UtcNow,
        };
        db.Set<MemberPointsEntry>().Add(entry);
        db.AddAuditNote(nameof(Member), memberId, "points", null, new Dictionary<string, object?> { ["Delta"] = entry.Delta, ["Reason"] = entry.ReasonText });
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, new PointsEntryDto(entry.Id, entry.Delta, entry.Reason, entry.ReasonText, null, null, me.Id, me.DisplayName, entry.OccurredAt), validation);
    }
}
