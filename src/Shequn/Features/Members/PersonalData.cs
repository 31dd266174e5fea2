using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;

namespace Shequn.Features.Members;

/// <summary>A platform account of the member.</summary>
public sealed record PersonalIdentity(ChatPlatform Platform, string UserId);

/// <summary>A message the member posted, as the event log holds it.</summary>
public sealed record PersonalMessage(DateTime At, string? Community, string? Text);

/// <summary>A rule case about the member.</summary>
public sealed record PersonalCase(DateTime At, string? Community, string Rule, CaseDecision Decision, string? Text);

/// <summary>
/// Everything Shequn holds about one person (PIPL's right of access and portability): the profile, platform accounts,
/// memberships, tags, activity, messages and rule cases.
/// </summary>
public sealed record PersonalDataExport(
    DateTime ExportedAt,
    MemberDto Member,
    bool LegalHold,
    string? LegalHoldReason,
    IReadOnlyList<PersonalIdentity> Identities,
    IReadOnlyList<PersonalMessage> Messages,
    IReadOnlyList<PersonalCase> Cases,
    string? Phone = null,
    IReadOnlyList<Profiles.ProfileValueDto>? Values = null,
    IReadOnlyList<PersonalPoints>? Points = null,
    IReadOnlyList<PersonalTag>? Tags = null);

/// <summary>One change of the member's points, with its reason.</summary>
public sealed record PersonalPoints(DateTime At, int Delta, Points.PointsReason Reason, string? ReasonText);

/// <summary>A tag the member carries, and where it came from (staff, an import, a rule).</summary>
public sealed record PersonalTag(string Name, Tags.TagSource Source);

/// <summary>What an erasure removed and scrubbed (events: log rows, questions and the ritual's newcomer rows).</summary>
/// <param name="ActionsScrubbed">Shequn's own texts about them: group actions (a welcome naming them, a ban of their
/// account) and staff tasks; and raw platform updates about them deleted.</param>
public sealed record ErasureResult(int EventsScrubbed, int CasesScrubbed, int BlacklistEntriesScrubbed, int ActionsScrubbed = 0);

public enum PersonalDataOutcome
{
    Done,
    NotFound,
    Forbidden,
    /// <summary>The member is under a legal hold: nothing erased.</summary>
    Held,
}

public sealed record LegalHoldInput(bool Hold, string? Reason);

/// <summary>
/// A member's personal data: export (owner and sub-owners, for members they see), legal hold and erasure (owner only).
/// Erasure keeps history only as anonymous figures: the member, their memberships, identities, tags and activity rows
/// are deleted; in the event log and the rule cases their texts and names are removed and their platform user id is
/// replaced by one pseudonym (so recounted figures still count them as one distinct speaker, nobody can tell who); daily
/// figures are left as they are. A blacklist entry keeps the platform id (keeping an advertiser out is the brand's
/// legitimate interest) but loses the name. All in one transaction: an erasure is whole or not at all.
/// </summary>
public sealed class PersonalData(AppDbContext db, TimeProvider time)
{
    public const int ReasonMaxLength = 500;

    public async Task<(PersonalDataOutcome Outcome, PersonalDataExport? Export)> ExportAsync(Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return (PersonalDataOutcome.Forbidden, null);
        var member = await MemberEndpoints.ReadAsync(db, me, id, ct);
        if (member is null)
            return (PersonalDataOutcome.NotFound, null);
        if (me.Role is not (StaffRole.Owner or StaffRole.SubOwner))
            return (PersonalDataOutcome.Forbidden, null);
        var hold = await db.Members.Where(m => m.Id == id).Select(m => new { m.LegalHold, m.LegalHoldReason, m.Phone }).SingleAsync(ct);
        var identities = await IdentitiesAsync(id, ct);
        var names = await db.Communities.IgnoreQueryFilters().Where(c => c.WorkspaceId == db.CurrentWorkspaceId)
            .Select(c => new { c.Id, c.Name }).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var messages = new List<PersonalMessage>();
        var cases = new List<PersonalCase>();
        foreach (var (platform, userId) in identities)
        {
            messages.AddRange((await db.Set<CommunityEvent>().AsNoTracking()
                    .Where(e => e.WorkspaceId == db.CurrentWorkspaceId && e.Platform == platform && e.UserId == userId && e.Kind == EventKind.MessagePosted)
                    .OrderBy(e => e.OccurredAt).Select(e => new { e.OccurredAt, e.CommunityId, e.Text }).ToListAsync(ct))
                .Select(e => new PersonalMessage(e.OccurredAt, e.CommunityId is { } c ? names.GetValueOrDefault(c) : null, e.Text)));
            cases.AddRange((await db.Set<ModerationCase>().AsNoTracking()
                    .Where(c => c.Platform == platform && c.UserId == userId)
                    .OrderBy(c => c.OccurredAt).Select(c => new { c.OccurredAt, c.CommunityId, c.Rule, c.Decision, c.Text }).ToListAsync(ct))
                .Select(c => new PersonalCase(c.OccurredAt, names.GetValueOrDefault(c.CommunityId), c.Rule, c.Decision, c.Text)));
        }
        var export = new PersonalDataExport(time.GetUtcNow().UtcDateTime, member, hold.LegalHold, hold.LegalHoldReason,
            [.. identities.Select(i => new PersonalIdentity(i.Platform, i.UserId))], [.. messages.OrderBy(m => m.At)], [.. cases.OrderBy(c => c.At)],
            hold.Phone, await Profiles.ProfileValues.ReadAsync(db, id, plain: true, ct),
            [.. (await db.Set<Points.MemberPointsEntry>().IgnoreQueryFilters().AsNoTracking()
                    .Where(p => p.WorkspaceId == db.CurrentWorkspaceId && p.MemberId == id).OrderBy(p => p.OccurredAt)
                    .Select(p => new { p.OccurredAt, p.Delta, p.Reason, p.ReasonText }).ToListAsync(ct))
                .Select(p => new PersonalPoints(p.OccurredAt, p.Delta, p.Reason, p.ReasonText))],
            [.. (await db.MemberTags.AsNoTracking().Where(t => t.MemberId == id).Select(t => new { t.Tag!.Name, t.Source }).ToListAsync(ct))
                .OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => new PersonalTag(t.Name, t.Source))]);
        db.AddAuditNote(nameof(Member), id, "exported", null, new Dictionary<string, object?> { ["Messages"] = messages.Count, ["Cases"] = cases.Count });
        await db.SaveChangesAsync(ct);
        return (PersonalDataOutcome.Done, export);
    }

    public async Task<PersonalDataOutcome> SetLegalHoldAsync(Guid id, LegalHoldInput input, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var member = await db.Members.SingleOrDefaultAsync(m => m.Id == id, ct);
        if (member is null || me is null)
            return PersonalDataOutcome.NotFound;
        if (me.Role != StaffRole.Owner)
            return PersonalDataOutcome.Forbidden;
        member.LegalHold = input.Hold;
        member.LegalHoldReason = input.Hold ? EventEffects.Clip(input.Reason?.Trim(), ReasonMaxLength) : null;
        await db.SaveChangesAsync(ct);
        return PersonalDataOutcome.Done;
    }

    public async Task<(PersonalDataOutcome Outcome, ErasureResult? Result)> EraseAsync(Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var member = await db.Members.SingleOrDefaultAsync(m => m.Id == id, ct);
        if (member is null || me is null)
            return (PersonalDataOutcome.NotFound, null);
        if (me.Role != StaffRole.Owner)
            return (PersonalDataOutcome.Forbidden, null);
        if (member.LegalHold)
            return (PersonalDataOutcome.Held, null);

        var ws = member.WorkspaceId;
        var identities = await IdentitiesAsync(id, ct);
        var pseudonym = $"erased:{Guid.NewGuid():N}";
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        int events = 0, cases = 0, blacklist = 0;
        var actions = await ScrubOwnTextsAsync(member, identities, pseudonym, ct);
        foreach (var (platform, userId) in identities)
        {
            events += await db.Set<CommunityEvent>()
                .Where(e => e.WorkspaceId == ws && e.Platform == platform && e.UserId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.UserId, pseudonym).SetProperty(e => e.UserName, (string?)null)
                    .SetProperty(e => e.Text, (string?)null).SetProperty(e => e.MediaId, (string?)null).SetProperty(e => e.ForwardedFrom, (string?)null), ct);
            events += await db.Set<CommunityEvent>()
                .Where(e => e.WorkspaceId == ws && e.Platform == platform && e.ActorId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.ActorId, pseudonym).SetProperty(e => e.ActorName, (string?)null), ct);
            cases += await db.Set<ModerationCase>().IgnoreQueryFilters()
                .Where(c => c.WorkspaceId == ws && c.Platform == platform && c.UserId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.UserId, pseudonym).SetProperty(c => c.UserName, (string?)null)
                    .SetProperty(c => c.Text, (string?)null).SetProperty(c => c.MemberId, (Guid?)null), ct);
            events += await db.Set<Ritual.RitualNewcomer>()
                .Where(n => n.WorkspaceId == ws && n.Platform == platform && n.UserId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.UserId, pseudonym).SetProperty(n => n.Nickname, (string?)null), ct);
            blacklist += await db.Set<BlacklistEntry>().IgnoreQueryFilters()
                .Where(b => b.WorkspaceId == ws && b.Platform == platform && b.UserId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.UserName, (string?)null), ct);
        }
        // Questions the member asked keep their times (the response-rate figures) but lose who and what.
        events += await db.Set<Responses.MemberQuestion>().Where(q => q.WorkspaceId == ws && q.MemberId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(q => q.UserId, pseudonym).SetProperty(q => q.UserName, (string?)null).SetProperty(q => q.Text, ""), ct);
        events += await db.Set<Responses.MemberQuestion>().Where(q => q.WorkspaceId == ws && q.AnsweredByMemberId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(q => q.AnsweredByUserId, pseudonym).SetProperty(q => q.AnsweredByName, (string?)null)
                .SetProperty(q => q.AnsweredByMemberId, (Guid?)null), ct);
        cases += await db.Set<ModerationCase>().IgnoreQueryFilters().Where(c => c.WorkspaceId == ws && c.MemberId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UserName, (string?)null).SetProperty(c => c.Text, (string?)null).SetProperty(c => c.MemberId, (Guid?)null), ct);
        // The points ledger goes with the member (it is about them); others' entries lose the link to them. Merge
        // records made into this member hold the merged member's profile: they go too.
        await db.Set<Points.MemberPointsEntry>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == id).ExecuteDeleteAsync(ct);
        await db.Set<Points.MemberPointsEntry>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.RelatedMemberId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RelatedMemberId, (Guid?)null), ct);
        await db.Set<MemberMerge>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.IntoMemberId == id).ExecuteDeleteAsync(ct);
        // Who they replied to and mentioned, and the ids of their messages kept to find whom a reply answers.
        await db.Set<Analytics.InteractionEdge>().IgnoreQueryFilters().Where(e => e.WorkspaceId == ws && (e.FromMemberId == id || e.ToMemberId == id)).ExecuteDeleteAsync(ct);
        await db.Set<Analytics.InteractionMessage>().IgnoreQueryFilters().Where(m => m.WorkspaceId == ws && m.MemberId == id).ExecuteDeleteAsync(ct);
        // Photos they uploaded on a campaign's page: the stored images go (the photo rows go with the member below).
        await Campaigns.PhotoUploads.DeleteOfMemberAsync(db, ws, id, ct);
        // The member row and everything hanging off it (memberships, identities, tags, activity, daily speakers) go.
        await db.Members.IgnoreQueryFilters().Where(m => m.Id == id).ExecuteDeleteAsync(ct);
        var result = new ErasureResult(events, cases, blacklist, actions);
        db.AddAuditNote(nameof(Member), id, "erased", null, new Dictionary<string, object?>
        {
            ["Events"] = result.EventsScrubbed, ["Cases"] = result.CasesScrubbed, ["Blacklist"] = result.BlacklistEntriesScrubbed,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (PersonalDataOutcome.Done, result);
    }

    /// <summary>What stands in for an erased person's name in Shequn's own texts.</summary>
    public const string ErasedName = "***";

    /// <summary>
    /// Shequn's own records about the person, not other members' words: the texts of group actions and staff tasks that
    /// name them (a welcome naming a burst, an introduction task, a removal task) lose their names, actions about their
    /// account get the pseudonym, and raw Telegram updates that hold their account are deleted. Names shorter than two
    /// characters are left alone (replacing them would garble every text). Returns how many rows changed.
    /// </summary>
    private async Task<int> ScrubOwnTextsAsync(Member member, List<(ChatPlatform Platform, string UserId)> identities, string pseudonym, CancellationToken ct)
    {
        var ws = member.WorkspaceId;
        var names = new List<string> { member.DisplayName };
        names.AddRange(await db.Memberships.IgnoreQueryFilters().Where(m => m.MemberId == member.Id && m.Nickname != null).Select(m => m.Nickname!).ToListAsync(ct));
        foreach (var (platform, userId) in identities)
        {
            names.AddRange(await db.Set<CommunityEvent>().AsNoTracking()
                .Where(e => e.WorkspaceId == ws && e.Platform == platform && e.UserId == userId && e.UserName != null)
                .Select(e => e.UserName!).Distinct().Take(50).ToListAsync(ct));
        }
        var marks = names.Select(n => n.Trim()).Where(n => n.Length >= 2).Distinct().OrderByDescending(n => n.Length).ToList();
        var ids = identities.Select(i => i.UserId).Distinct().ToList();

        string? Scrub(string? text)
        {
            if (string.IsNullOrEmpty(text))
                return text;
            foreach (var name in marks)
                text = text.Replace(name, ErasedName, StringComparison.Ordinal);
            return text;
        }

        var changed = 0;
        foreach (var mark in marks.Concat(ids))
        {
            var found = await db.Set<OutboundAction>().IgnoreQueryFilters().Where(a => a.WorkspaceId == ws && a.Payload.Contains(mark)).ToListAsync(ct);
            foreach (var action in found)
            {
                var p = ActionPayload.FromJson(action.Payload);
                var scrubbed = p with
                {
                    Text = Scrub(p.Text),
                    TaskText = Scrub(p.TaskText),
                    Name = Scrub(p.Name),
                    UserId = p.UserId is { } u && ids.Contains(u) ? pseudonym : p.UserId,
                };
                var json = scrubbed.ToJson();
                if (json != action.Payload)
                {
                    action.Payload = json;
                    changed++;
                }
            }
            var tasks = await db.Set<StaffTask>().IgnoreQueryFilters()
                .Where(t => t.WorkspaceId == ws && (t.Text.Contains(mark) || (t.Context != null && t.Context.Contains(mark)))).ToListAsync(ct);
            foreach (var task in tasks)
            {
                var text = Scrub(task.Text)!;
                var context = Scrub(task.Context);
                if (text != task.Text || context != task.Context)
                {
                    task.Text = text;
                    task.Context = context;
                    changed++;
                }
            }
        }
        foreach (var (_, userId) in identities.Where(i => i.Platform == ChatPlatform.Telegram && i.UserId.Length >= 5))
        {
            changed += await db.Set<Connectors.Telegram.TelegramRawUpdate>().IgnoreQueryFilters()
                .Where(r => r.WorkspaceId == ws && r.Json.Contains(userId)).ExecuteDeleteAsync(ct);
        }
        await db.SaveChangesAsync(ct);
        return changed;
    }

    private async Task<List<(ChatPlatform Platform, string UserId)>> IdentitiesAsync(Guid id, CancellationToken ct) =>
        [.. (await db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.WorkspaceId == db.CurrentWorkspaceId && i.MemberId == id).Select(i => new { i.Platform, i.UserId }).ToListAsync(ct))
            .Select(i => (i.Platform, i.UserId))];
}
