using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Tags;

/// <summary>An auto-tag on a member, for staff to confirm or reject.</summary>
public sealed record AutoTagDto(Guid TagId, string TagName, Guid MemberId, string MemberName, Guid? RuleId, string? RuleName,
    MemberTagState State, DateTime AssignedAt, DateTime? ReviewedAt);

/// <summary>A tag's auto-tags by state, counting members the viewer can see. Accuracy: confirmed / (confirmed + rejected), null before any review.</summary>
public sealed record TagAccuracy(int Suggested, int Confirmed, int Rejected, double? Accuracy)
{
    public static readonly TagAccuracy None = new(0, 0, 0, null);

    public static TagAccuracy Of(int suggested, int confirmed, int rejected) =>
        new(suggested, confirmed, rejected, confirmed + rejected == 0 ? null : Math.Round((double)confirmed / (confirmed + rejected), 4));
}

public sealed record TagReviewResult(EditOutcome Outcome, AutoTagDto? Tag, Validation Validation);

/// <summary>
/// Staff review of auto-tags (the member page, the tag page, the API): the roles that edit members confirm or reject the
/// auto-tags of members they see. A rejected tag stays as a hidden row and the rule that proposed it is blocked for the
/// member (<see cref="AutoTagRejection"/>), so that rule never gives it back; another rule may suggest it again on its own
/// evidence. Staff tagging the member by hand later overrides the rejection. Each decision is audited on the tag.
/// </summary>
public sealed class TagReview(AppDbContext db)
{
    public const int MaxListed = 500;

    public static bool MayReview(StaffProfile? me) => me?.CanEditMembers == true;

    public Task<TagReviewResult> ConfirmAsync(Guid tagId, Guid memberId, CancellationToken ct = default) =>
        DecideAsync(tagId, memberId, MemberTagState.Confirmed, ct);

    public Task<TagReviewResult> RejectAsync(Guid tagId, Guid memberId, CancellationToken ct = default) =>
        DecideAsync(tagId, memberId, MemberTagState.Rejected, ct);

    private async Task<TagReviewResult> DecideAsync(Guid tagId, Guid memberId, MemberTagState state, CancellationToken ct)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayReview(me))
            return new(EditOutcome.Forbidden, null, validation);
        if (!await db.Tags.AnyAsync(t => t.Id == tagId, ct) || !await db.VisibleMembers(me).AnyAsync(m => m.Id == memberId, ct))
            return new(EditOutcome.NotFound, null, validation);
        var row = await db.MemberTags.IgnoreQueryFilters().SingleOrDefaultAsync(mt => mt.TagId == tagId && mt.MemberId == memberId, ct);
        if (row is null)
            return new(EditOutcome.NotFound, null, validation);
        if (row.Source != TagSource.Auto)
        {
            validation.Add("memberId", "NotAutoTag", "The member's tag was given by staff, not by a rule: take it off instead.");
            return new(EditOutcome.Invalid, null, validation);
        }
        if (row.State != state)
        {
            var before = row.State;
            (row.State, row.ReviewedAt, row.ReviewedById) = (state, DateTime.UtcNow, me!.Id == Guid.Empty ? null : me.Id);
            // A rejection judges the evidence of the rule that proposed the tag, not the tag itself: it blocks that rule
            // for this member, while another rule may propose the same tag on its own evidence (AutoTagRejection).
            // Confirming lifts the member's blocks for the tag: staff now say it fits.
            var rejections = db.Set<AutoTagRejection>().Where(r => r.MemberId == memberId && r.TagId == tagId);
            if (state == MemberTagState.Rejected && row.RuleId is { } ruleId && !await rejections.AnyAsync(r => r.RuleId == ruleId, ct))
                db.Add(new AutoTagRejection { MemberId = memberId, TagId = tagId, RuleId = ruleId, RejectedAt = row.ReviewedAt.Value, RejectedById = row.ReviewedById });
            else if (state == MemberTagState.Confirmed)
                db.RemoveRange(await rejections.ToListAsync(ct));
            db.AddAuditNote(nameof(Tag), tagId, "updated",
                new Dictionary<string, object?> { ["State"] = before.ToString() },
                new Dictionary<string, object?> { ["State"] = state.ToString(), ["MemberId"] = memberId, ["RuleId"] = row.RuleId });
            await db.SaveChangesAsync(ct);
        }
        var dto = (await ListAsync(tagId, memberId, null, ct))!.Single();
        return new(EditOutcome.Saved, dto, validation);
    }

    /// <summary>Auto-tags of members the viewer sees, newest first: of one tag and/or one member, in one state or all.</summary>
    /// <summary>The auto-tags of a tag of this workspace or of a member the caller sees; null when neither is found.</summary>
    public async Task<List<AutoTagDto>?> ListAsync(Guid? tagId, Guid? memberId, MemberTagState? state, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var ws = db.CurrentWorkspaceId;
        var visible = db.VisibleMembers(me).Select(m => m.Id);
        if (tagId is { } tag && !await db.Tags.AnyAsync(t => t.Id == tag, ct))
            return null;
        if (memberId is { } member && !await visible.ContainsAsync(member, ct))
            return null;
        var rows = db.MemberTags.IgnoreQueryFilters()
            .Where(mt => mt.Tag!.WorkspaceId == ws && mt.Source == TagSource.Auto && visible.Contains(mt.MemberId));
        if (tagId is { } t)
            rows = rows.Where(mt => mt.TagId == t);
        if (memberId is { } m)
            rows = rows.Where(mt => mt.MemberId == m);
        if (state is { } s)
            rows = rows.Where(mt => mt.State == s);
        var list = await rows.OrderByDescending(mt => mt.AssignedAt).Take(MaxListed)
            .Select(mt => new { mt.TagId, TagName = mt.Tag!.Name, mt.MemberId, MemberName = mt.Member!.DisplayName, mt.RuleId, mt.State, mt.AssignedAt, mt.ReviewedAt })
            .ToListAsync(ct);
        var ruleIds = list.Select(x => x.RuleId).OfType<Guid>().Distinct().ToList();
        var rules = await db.Set<TagRule>().AsNoTracking().Where(r => r.WorkspaceId == ws && ruleIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Name, ct);
        return [.. list.Select(x => new AutoTagDto(x.TagId, x.TagName, x.MemberId, x.MemberName, x.RuleId,
            x.RuleId is { } r && rules.TryGetValue(r, out var name) ? name : null, x.State, x.AssignedAt, x.ReviewedAt))];
    }

    /// <summary>Per tag: its auto-tags by state among members the viewer sees.</summary>
    public static async Task<Dictionary<Guid, TagAccuracy>> AccuracyAsync(AppDbContext db, StaffProfile? me, IReadOnlyCollection<Guid> tagIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(tagIds);
        var ws = db.CurrentWorkspaceId;
        var ids = tagIds.ToList();
        var visible = db.VisibleMembers(me).Select(m => m.Id);
        var counts = await db.MemberTags.IgnoreQueryFilters()
            .Where(mt => mt.Tag!.WorkspaceId == ws && ids.Contains(mt.TagId) && mt.Source == TagSource.Auto && visible.Contains(mt.MemberId))
            .GroupBy(mt => new { mt.TagId, mt.State })
            .Select(g => new { g.Key.TagId, g.Key.State, Count = g.Count() })
            .ToListAsync(ct);
        return counts.GroupBy(c => c.TagId).ToDictionary(g => g.Key, g => TagAccuracy.Of(
            g.Where(c => c.State == MemberTagState.Suggested).Sum(c => c.Count),
            g.Where(c => c.State == MemberTagState.Confirmed).Sum(c => c.Count),
            g.Where(c => c.State == MemberTagState.Rejected).Sum(c => c.Count)));
    }
}
