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
    IReadOnlyList<PersonalTag>? Tags = null,
    IReadOnlyList<PersonalConsent>? Consents = null,
    IReadOnlyList<PersonalLead>? Leads = null,
    IReadOnlyList<PersonalOrder>? Orders = null);

/// <summary>A consent the member gave on a public page, as recorded (<see cref="ConsentRecord"/>).</summary>
public sealed record PersonalConsent(ConsentSource Source, string Page, string NoticeVersion, string NoticeText, DateTime GivenAt, string? Address,
    string? UserAgent, DateTime? WithdrawnAt, ConsentWithdrawnVia? WithdrawnVia);

/// <summary>A phone or answers the member left: on a campaign's page (<c>campaign</c>) or a live code's landing page (<c>landing</c>).</summary>
public sealed record PersonalLead(string Kind, DateTime At, string? Where, string? Phone, string? Answer);

/// <summary>An order matched to the member.</summary>
public sealed record PersonalOrder(string ExternalId, DateTime PlacedAt, long AmountFen, long RefundedFen, Orders.OrderStatus Status);

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

    public async Task<(PersonalDataOutcome Outcome, PersonalDataExport? Export)> ExportAsync(Guid id, CancellationToken ct, string format = "json")
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
                .OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => new PersonalTag(t.Name, t.Source))],
            await ConsentsOfAsync(id, ct), await LeadsOfAsync(id, hold.Phone, ct),
            [.. (await db.Set<Orders.Order>().IgnoreQueryFilters().AsNoTracking().Where(o => o.WorkspaceId == db.CurrentWorkspaceId && o.MemberId == id)
                    .OrderBy(o => o.PlacedAt).Select(o => new { o.ExternalId, o.PlacedAt, o.AmountFen, o.RefundedFen, o.Status }).ToListAsync(ct))
                .Select(o => new PersonalOrder(o.ExternalId, o.PlacedAt, o.AmountFen, o.RefundedFen, o.Status))]);
        db.AddAuditNote(nameof(Member), id, "exported", null, new Dictionary<string, object?> { ["format"] = format, ["Messages"] = messages.Count, ["Cases"] = cases.Count });
        await db.SaveChangesAsync(ct);
        return (PersonalDataOutcome.Done, export);
    }

    private async Task<List<PersonalConsent>> ConsentsOfAsync(Guid id, CancellationToken ct) =>
        [.. (await db.Set<ConsentRecord>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == db.CurrentWorkspaceId && c.MemberId == id)
                .OrderBy(c => c.GivenAt).ToListAsync(ct))
            .Select(c => new PersonalConsent(c.Source, c.Page, c.NoticeVersion, c.NoticeText, c.GivenAt, c.Address, c.UserAgent, c.WithdrawnAt, c.WithdrawnVia))];

    private async Task<List<PersonalLead>> LeadsOfAsync(Guid id, string? phone, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        var campaign = await db.Set<Campaigns.CampaignLead>().IgnoreQueryFilters().AsNoTracking().Where(l => l.WorkspaceId == ws && l.MemberId == id)
            .Join(db.Set<Campaigns.Campaign>().IgnoreQueryFilters(), l => l.CampaignId, c => c.Id, (l, c) => new { l.ConsentedAt, c.Name, l.Phone }).ToListAsync(ct);
        var landing = await db.Set<Acquisition.LiveCodeLead>().IgnoreQueryFilters().AsNoTracking()
            .Where(l => l.WorkspaceId == ws && (l.MemberId == id || (phone != null && l.Phone == phone)))
            .Join(db.Set<Acquisition.LiveCode>().IgnoreQueryFilters(), l => l.LiveCodeId, c => c.Id, (l, c) => new { l.At, c.Name, l.Phone, l.Choice, l.Need }).ToListAsync(ct);
        return [.. campaign.Select(l => new PersonalLead("campaign", l.ConsentedAt, l.Name, l.Phone, null))
            .Concat(landing.Select(l => new PersonalLead("landing", l.At, l.Name, l.Phone, string.Join(" / ", new[] { l.Choice, l.Need }.Where(a => !string.IsNullOrEmpty(a))))))
            .OrderBy(l => l.At)];
    }

    /// <summary>The member's consents (owner and sub-owners, for members they see).</summary>
    public async Task<(PersonalDataOutcome Outcome, IReadOnlyList<PersonalConsent>? Consents)> ConsentsAsync(Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || await MemberEndpoints.ReadAsync(db, me, id, ct) is null)
            return (PersonalDataOutcome.NotFound, null);
        if (me.Role is not (StaffRole.Owner or StaffRole.SubOwner))
            return (PersonalDataOutcome.Forbidden, null);
        return (PersonalDataOutcome.Done, await ConsentsOfAsync(id, ct));
    }

    /// <summary>Records the member's withdrawal on their word (owner and sub-owners, for members they see); see <see cref="Consents"/>.</summary>
    public async Task<(PersonalDataOutcome Outcome, WithdrawalResult? Result)> WithdrawConsentAsync(Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || await MemberEndpoints.ReadAsync(db, me, id, ct) is null)
            return (PersonalDataOutcome.NotFound, null);
        if (me.Role is not (StaffRole.Owner or StaffRole.SubOwner))
            return (PersonalDataOutcome.Forbidden, null);
        var result = await Consents.WithdrawAsync(db, db.CurrentWorkspaceId, id, ConsentWithdrawnVia.Staff, time.GetUtcNow().UtcDateTime, ct);
        return result is null ? (PersonalDataOutcome.NotFound, null) : (PersonalDataOutcome.Done, result);
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
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // First, before reading who they are: a batch of their events the processor read before this commits is read again
        // (scrubbed), not applied as it was, which would make the member anew.
        await EventProcessor.MarkLogRewrittenAsync(db, ct);
        var identities = await IdentitiesAsync(id, ct);
        var pseudonym = ErasedAccountPrefix + Guid.NewGuid().ToString("N");
        int events = 0, cases = 0, blacklist = 0;
        var names = await NameMarksAsync(member, identities, ct);
        var actions = await ScrubOwnTextsAsync(member, identities, names, pseudonym, ct);
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
        // Their member id there becomes one stand-in id, so the figures still count one asker.
        var pseudonymId = Guid.NewGuid();
        events += await db.Set<Responses.MemberQuestion>().Where(q => q.WorkspaceId == ws && q.MemberId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(q => q.UserId, pseudonym).SetProperty(q => q.UserName, (string?)null).SetProperty(q => q.Text, "")
                .SetProperty(q => q.MemberId, pseudonymId), ct);
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
        // What pages and shops kept by their phone: landing-page leads (matched to them or carrying the number) and friend
        // adds go; orders keep their amounts (revenue and ROI figures) but lose the phone and every link to them.
        var phone = member.Phone;
        await db.Set<Acquisition.LiveCodeLead>().IgnoreQueryFilters()
            .Where(l => l.WorkspaceId == ws && (l.MemberId == id || (phone != null && l.Phone == phone))).ExecuteDeleteAsync(ct);
        await db.Set<Acquisition.FriendLead>().IgnoreQueryFilters()
            .Where(f => f.WorkspaceId == ws && (f.MemberId == id || (phone != null && f.Phone == phone))).ExecuteDeleteAsync(ct);
        var accounts = identities.Select(i => i.UserId).ToList();
        await db.Set<Orders.Order>().IgnoreQueryFilters()
            .Where(o => o.WorkspaceId == ws && (o.MemberId == id || (phone != null && o.Phone == phone) || (o.PlatformUserId != null && accounts.Contains(o.PlatformUserId))))
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Phone, (string?)null).SetProperty(o => o.PlatformUserId, (string?)null).SetProperty(o => o.MemberId, (Guid?)null), ct);
        await db.Set<Orders.Order>().IgnoreQueryFilters().Where(o => o.WorkspaceId == ws && o.SharedByMemberId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.SharedByMemberId, (Guid?)null), ct);
        await db.Set<Orders.Order>().IgnoreQueryFilters().Where(o => o.WorkspaceId == ws && o.InviterMemberId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.InviterMemberId, (Guid?)null), ct);
        // The audit log keeps that staff changed something and when, but about the member only a hash of their id.
        var stand = StandIn(id);
        await ScrubAuditAsync(ws, id, stand, names, identities.Select(i => i.UserId).Where(u => u.Length >= 5).ToList(), pseudonym, ct);
        // The member row and everything hanging off it (memberships, identities, tags, activity, daily speakers, consents) go.
        await db.Members.IgnoreQueryFilters().Where(m => m.Id == id).ExecuteDeleteAsync(ct);
        var result = new ErasureResult(events, cases, blacklist, actions);
        db.AddAuditNote(nameof(Member), stand, "erased", null, new Dictionary<string, object?>
        {
            ["Events"] = result.EventsScrubbed, ["Cases"] = result.CasesScrubbed, ["Blacklist"] = result.BlacklistEntriesScrubbed,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (PersonalDataOutcome.Done, result);
    }

    /// <summary>What an erased member's account becomes in the log and in cases; the processor makes no member of it.</summary>
    public const string ErasedAccountPrefix = "erased:";

    public static bool IsErasedAccount(string userId) => userId.StartsWith(ErasedAccountPrefix, StringComparison.Ordinal);

    /// <summary>
    /// What the audit log keeps of an erased member: the SHA-256 of their id (its first 128 bits). Whoever still holds the id (a complaint, an
    /// authority's letter) can check that it was erased and when; nobody can get from the hash to the person.
    /// </summary>
    public static string StandIn(Guid memberId) =>
        "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(memberId.ToString("D"))))[..32];

    /// <summary>
    /// Audit rows about the member lose what they said (the values before and after; the actor, action and time stay) and
    /// name the member by <paramref name="stand"/>; rows about other things that mention the member's id (a bulk tag
    /// change listing members) get the hash in its place.
    /// </summary>
    private async Task ScrubAuditAsync(Guid ws, Guid id, string stand, List<string> names, List<string> accounts, string pseudonym, CancellationToken ct)
    {
        var text = id.ToString("D");
        await db.AuditEntries.IgnoreQueryFilters().Where(a => a.WorkspaceId == ws && a.EntityId == text)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.EntityId, stand).SetProperty(a => a.Before, (string?)null).SetProperty(a => a.After, (string?)null), ct);
        // Rows about other things that name them (a friend add, a bulk tag change listing members): by id, name or account.
        string? Scrub(string? value)
        {
            if (string.IsNullOrEmpty(value))
                return value;
            value = value.Replace(text, stand, StringComparison.OrdinalIgnoreCase);
            foreach (var account in accounts)
                value = value.Replace(account, pseudonym, StringComparison.Ordinal);
            foreach (var name in names)
                value = value.Replace(name, ErasedName, StringComparison.Ordinal);
            return value;
        }
        foreach (var mark in names.Concat(accounts).Append(text))
        {
            var mentions = await db.AuditEntries.IgnoreQueryFilters()
                .Where(a => a.WorkspaceId == ws && ((a.Before != null && a.Before.Contains(mark)) || (a.After != null && a.After.Contains(mark)))).ToListAsync(ct);
            foreach (var row in mentions)
            {
                row.Before = Scrub(row.Before);
                row.After = Scrub(row.After);
            }
        }
        await db.SaveChangesWithoutAuditAsync(ct);
    }

    /// <summary>What stands in for an erased person's name in Shequn's own texts.</summary>
    public const string ErasedName = "***";

    /// <summary>
    /// Shequn's own records about the person, not other members' words: the texts of group actions and staff tasks that
    /// name them (a welcome naming a burst, an introduction task, a removal task) lose their names, actions about their
    /// account get the pseudonym, and raw Telegram updates that hold their account are deleted. Names shorter than two
    /// characters are left alone (replacing them would garble every text). Returns how many rows changed.
    /// </summary>
    private async Task<int> ScrubOwnTextsAsync(Member member, List<(ChatPlatform Platform, string UserId)> identities, List<string> marks, string pseudonym,
        CancellationToken ct)
    {
        var ws = member.WorkspaceId;
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

    /// <summary>The names the person went by (profile, group nicknames, platform names), longest first; shorter than two characters left out.</summary>
    private async Task<List<string>> NameMarksAsync(Member member, List<(ChatPlatform Platform, string UserId)> identities, CancellationToken ct)
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
        return names.Select(n => n.Trim()).Where(n => n.Length >= 2).Distinct().OrderByDescending(n => n.Length).ToList();
    }

    private async Task<List<(ChatPlatform Platform, string UserId)>> IdentitiesAsync(Guid id, CancellationToken ct) =>
        [.. (await db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.WorkspaceId == db.CurrentWorkspaceId && i.MemberId == id).Select(i => new { i.Platform, i.UserId }).ToListAsync(ct))
            .Select(i => (i.Platform, i.UserId))];
}

/// <summary>
/// The personal-data export as one CSV sheet (PIPL portability in a form a spreadsheet opens): a row per item — the
/// section it belongs to, when, where (a community, a page, a campaign), what (a field, a rule, a source) and the value.
/// Written through <see cref="Platform.Exports.ExportFiles"/>, so formula-looking texts are neutralised.
/// </summary>
public static class PersonalDataCsv
{
    public static readonly string[] Header = ["section", "at", "where", "field", "value"];

    public static Platform.Exports.ExportSheet Sheet(PersonalDataExport e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var rows = new List<IReadOnlyList<object?>>();
        void Row(string section, DateTime? at, string? where, string? field, object? value) =>
            rows.Add([section, at?.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), where, field, value?.ToString()]);

        var m = e.Member;
        Row("member", e.ExportedAt, null, "exportedAt", null);
        Row("member", null, null, "displayName", m.DisplayName);
        Row("member", null, null, "phone", e.Phone);
        Row("member", null, null, "city", m.City);
        Row("member", null, null, "industry", m.Industry);
        Row("member", null, null, "layer", m.Layer);
        Row("member", null, null, "legalHold", e.LegalHold ? e.LegalHoldReason ?? "yes" : "no");
        foreach (var v in e.Values ?? [])
            Row("profile", null, null, v.Key, v.Value);
        foreach (var i in e.Identities)
            Row("account", null, i.Platform.ToString(), "userId", i.UserId);
        foreach (var ms in m.Memberships)
            Row("membership", ms.JoinedAt, ms.CommunityName, "nickname", ms.Nickname);
        foreach (var t in e.Tags ?? [])
            Row("tag", null, null, t.Source.ToString(), t.Name);
        foreach (var p in e.Points ?? [])
            Row("points", p.At, null, p.Reason.ToString(), string.IsNullOrEmpty(p.ReasonText) ? p.Delta.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{p.Delta} {p.ReasonText}");
        foreach (var x in e.Messages)
            Row("message", x.At, x.Community, null, x.Text);
        foreach (var c in e.Cases)
            Row("case", c.At, c.Community, c.Rule, $"{c.Decision}: {c.Text}");
        foreach (var c in e.Consents ?? [])
            Row("consent", c.GivenAt, c.Page, $"{c.Source} v{c.NoticeVersion}", c.WithdrawnAt is { } w ? $"{c.NoticeText} (withdrawn {w:yyyy-MM-dd})" : c.NoticeText);
        foreach (var l in e.Leads ?? [])
            Row("lead", l.At, l.Where, l.Kind, string.Join(" ", new[] { l.Phone, l.Answer }.Where(a => !string.IsNullOrEmpty(a))));
        foreach (var o in e.Orders ?? [])
            Row("order", o.PlacedAt, o.ExternalId, o.Status.ToString(), (o.AmountFen - o.RefundedFen) / 100m);
        return new Platform.Exports.ExportSheet("personal-data", Header, rows);
    }
}
