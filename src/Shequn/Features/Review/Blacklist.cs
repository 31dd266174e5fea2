using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Features.Review;

/// <summary>
/// The workspace blacklist as staff keep it: by platform user id, so a person who never joined (an advertiser known
/// from another workspace or a screenshot) can be listed before they arrive. Owners, sub-owners and admins add and
/// remove; every other staff member but KOCs reads. Entries are audited (<see cref="IAudited"/>).
/// </summary>
public sealed class WorkspaceBlacklist(AppDbContext db)
{
    public async Task<List<BlacklistEntryDto>?> ListAsync(string? q, CancellationToken ct)
    {
        if (!ModerationReview.MayUse(await db.Current.GetProfileAsync(db, ct)))
            return null;
        var entries = db.Set<BlacklistEntry>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(q))
        {
            var term = q.Trim();
            entries = entries.Where(e => e.UserId.Contains(term) || (e.UserName != null && e.UserName.Contains(term)));
        }
        return await entries.OrderByDescending(e => e.CreatedAt).ThenBy(e => e.Id)
            .Select(e => new BlacklistEntryDto(e.Id, e.Platform, e.UserId, e.UserName, e.Reason, e.CaseId, e.AddedById, e.CreatedAt))
            .ToListAsync(ct);
    }

    public async Task<ReviewResult<BlacklistEntryDto>> AddAsync(BlacklistInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!ModerationReview.MayKeepBlacklist(me))
            return new(EditOutcome.Forbidden, null, validation);
        if (!EventInputs.TryParseEnum<ChatPlatform>(input.Platform, out var platform))
            validation.Add("platform", "UnknownValue", $"'platform' must be one of {EventInputs.Spellings<ChatPlatform>()}.", input.Platform ?? "");
        validation.Required("userId", input.UserId, CommunityEvent.IdMaxLength);
        validation.MaxLength("userName", input.UserName?.Trim(), 100);
        validation.MaxLength("reason", input.Reason?.Trim(), BlacklistEntry.ReasonMaxLength);
        var userId = input.UserId?.Trim() ?? "";
        if (validation.IsValid && await db.Set<BlacklistEntry>().AnyAsync(e => e.Platform == platform && e.UserId == userId, ct))
            validation.Add("userId", "AlreadyListed", $"'{userId}' is on the blacklist already.", userId);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var entry = new BlacklistEntry
        {
            WorkspaceId = db.CurrentWorkspaceId,
            Platform = platform,
            UserId = userId,
            UserName = string.IsNullOrWhiteSpace(input.UserName) ? null : input.UserName.Trim(),
            Reason = string.IsNullOrWhiteSpace(input.Reason) ? null : input.Reason.Trim(),
            AddedById = me!.Id,
        };
        db.Add(entry);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, new BlacklistEntryDto(entry.Id, entry.Platform, entry.UserId, entry.UserName, entry.Reason, entry.CaseId, entry.AddedById, entry.CreatedAt), validation);
    }

    public async Task<EditOutcome> RemoveAsync(Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!ModerationReview.MayUse(me))
            return EditOutcome.NotFound;
        var entry = await db.Set<BlacklistEntry>().SingleOrDefaultAsync(e => e.Id == id, ct);
        if (entry is null)
            return EditOutcome.NotFound;
        if (!ModerationReview.MayKeepBlacklist(me))
            return EditOutcome.Forbidden;
        db.Remove(entry);
        await db.SaveChangesAsync(ct);
        return EditOutcome.Saved;
    }
}
