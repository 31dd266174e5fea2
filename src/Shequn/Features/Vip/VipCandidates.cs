using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Responses;
using Shequn.Features.Tags;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Vip;

public enum VipReasonKind
{
    /// <summary>Carries the workspace's paying-customer tag.</summary>
    Paying = 0,
    /// <summary>Answered other members' questions.</summary>
    HelpsOthers = 1,
    /// <summary>In a general community long enough.</summary>
    Tenure = 2,
}

/// <summary>One reason a member is a candidate; <c>Count</c> is the answers or days, <c>Detail</c> the tag or community.</summary>
public sealed record VipReason(VipReasonKind Kind, int Count, string? Detail);

public sealed record VipInvitationDto(Guid CommunityId, string CommunityName, DateTime InvitedAt, Guid? InvitedById, string? InvitedByName,
    Guid? ActionId, DateTime? JoinedAt);

public sealed record VipCandidateDto(Guid MemberId, string DisplayName, MemberLayer Layer, IReadOnlyList<VipReason> Reasons, VipInvitationDto? Invitation);

public sealed record VipInviteInput(Guid? CommunityId);

public enum VipOutcome
{
    Done,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>The candidate was already invited.</summary>
    Conflict,
}

public sealed record VipResult<T>(VipOutcome Outcome, T? Value, Validation Validation);

/// <summary>
/// The VIP candidate list (page <c>/vip</c>, <c>/api/vip/candidates</c>) and invitations, one class for both. Staff who
/// edit members read candidates among the members they see; inviting also needs the right to act in the VIP community.
/// An invitation queues a one-person invite link in that community through the outbox (on Manual, and wherever the
/// platform cannot, it becomes a staff task) and is recorded, so a candidate is invited once.
/// </summary>
public sealed class VipCandidates(AppDbContext db, OutboxSignal signal, Platform.Localization.JsonStringLocalizerFactory strings)
{
    public const int MaxCandidates = 500;

    public static bool MayRead(StaffProfile? me) => me?.CanEditMembers == true;

    public static bool MayEditRules(StaffProfile? me) => me?.CanManageTags == true;

    public async Task<VipRulesDto> RulesAsync(CancellationToken ct = default)
    {
        var rules = await LoadRulesAsync(ct);
        return new(rules.PayingTagId, rules.AnswersMin, rules.AnswersDays, rules.TenureDays, rules.AutoInviteCommunityId);
    }

    private async Task<VipRules> LoadRulesAsync(CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        return await db.Set<VipRules>().AsNoTracking().SingleOrDefaultAsync(r => r.WorkspaceId == ws, ct) ?? VipRules.DefaultFor(ws);
    }

    public async Task<VipResult<VipRulesDto>> SaveRulesAsync(VipRulesDto input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEditRules(me))
            return new(VipOutcome.Forbidden, null, v);
        VipRulesCheck.Validate(v, input);
        if (input.PayingTagId is { } tag && !await db.Tags.AnyAsync(t => t.Id == tag, ct))
            v.Add("payingTagId", "UnknownTag", $"Unknown tag '{tag}'.", tag);
        if (input.AutoInviteCommunityId is { } auto)
        {
            var community = await db.Visible(me).AsNoTracking().Where(c => c.Id == auto).Select(c => new { c.Name, c.Tier }).SingleOrDefaultAsync(ct);
            if (community is null)
                v.Add("autoInviteCommunityId", "UnknownCommunity", $"Unknown community '{auto}'.", auto);
            else if (!Community.IsVip(community.Tier))
                v.Add("autoInviteCommunityId", "NotVipCommunity", $"'{community.Name}' is not a VIP community (its tier is {community.Tier}).", community.Name);
        }
        if (!v.IsValid)
            return new(VipOutcome.Invalid, null, v);
        var ws = db.CurrentWorkspaceId;
        var rules = await db.Set<VipRules>().SingleOrDefaultAsync(r => r.WorkspaceId == ws, ct);
        if (rules is null)
            db.Add(rules = VipRules.DefaultFor(ws));
        (rules.PayingTagId, rules.AnswersMin, rules.AnswersDays, rules.TenureDays, rules.AutoInviteCommunityId) =
            (input.PayingTagId, input.AnswersMin, input.AnswersDays, input.TenureDays, input.AutoInviteCommunityId);
        rules.UpdatedAt = DateTime.UtcNow;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two first saves at once: the other one made the row; ours goes over it.
            db.ChangeTracker.Clear();
            return await SaveRulesAsync(input, ct);
        }
        return new(VipOutcome.Done, await RulesAsync(ct), v);
    }

    /// <summary>Members the viewer sees who meet the rules and are not VIP yet, with why; invited ones show their invitation.</summary>
    public async Task<VipResult<List<VipCandidateDto>>> ListAsync(CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayRead(me))
            return new(VipOutcome.Forbidden, null, new Validation());
        return new(VipOutcome.Done, await CandidatesAsync(me!, null, ct), new Validation());
    }

    private async Task<List<VipCandidateDto>> CandidatesAsync(StaffProfile me, Guid? onlyMember, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        var rules = await LoadRulesAsync(ct);
        var now = DateTime.UtcNow;

        // Tenure: the longest current stint in a general community.
        var tenureCutoff = now.AddDays(-rules.TenureDays);
        var general = db.Communities.Where(c => c.Tier == CommunityTier.Comprehensive || c.Tier == CommunityTier.Regional || c.Tier == CommunityTier.Category);
        var stintsQuery = db.Memberships.Where(m => m.LeftAt == null && m.JoinedAt <= tenureCutoff && general.Any(c => c.Id == m.CommunityId));
        if (onlyMember is { } only)
            stintsQuery = stintsQuery.Where(m => m.MemberId == only);
        var stints = await stintsQuery.Select(m => new { m.MemberId, m.JoinedAt, Community = m.Community!.Name }).ToListAsync(ct);
        var tenure = stints.GroupBy(s => s.MemberId).ToDictionary(g => g.Key, g => g.OrderBy(s => s.JoinedAt).First());
        if (tenure.Count == 0)
            return [];

        var paying = new HashSet<Guid>();
        string? payingName = null;
        if (rules.PayingTagId is { } tagId)
        {
            payingName = await db.Tags.Where(t => t.Id == tagId).Select(t => t.Name).SingleOrDefaultAsync(ct);
            paying = [.. await db.MemberTags.Where(mt => mt.TagId == tagId).Select(mt => mt.MemberId).ToListAsync(ct)];
        }
        var answers = await AnswersAsync(ws, now.AddDays(-rules.AnswersDays), ct);

        // A member who withdrew their consent is not offered a private invitation (Consents).
        var visible = (await db.VisibleMembers(me).Where(m => m.Layer != MemberLayer.Vip && m.Layer != MemberLayer.Core && m.ConsentWithdrawnAt == null)
            .Where(m => tenure.Keys.Contains(m.Id))
            .Select(m => new { m.Id, m.DisplayName, m.Layer }).ToListAsync(ct));
        var invitations = await db.Set<VipInvitation>().AsNoTracking().Where(i => i.WorkspaceId == ws)
            .Join(db.Communities, i => i.CommunityId, c => c.Id, (i, c) => new { i, c.Name }).ToListAsync(ct);
        var inviters = invitations.Select(x => x.i.InvitedById).OfType<Guid>().Distinct().ToList();
        var names = await db.Users.Where(u => inviters.Contains(u.Id)).Select(u => new { u.Id, u.DisplayName }).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var invited = invitations.ToDictionary(x => x.i.MemberId, x => new VipInvitationDto(x.i.CommunityId, x.Name, x.i.InvitedAt, x.i.InvitedById,
            x.i.InvitedById is { } by && names.TryGetValue(by, out var n) ? n : null, x.i.ActionId, x.i.JoinedAt));

        var list = new List<VipCandidateDto>();
        foreach (var m in visible)
        {
            var reasons = new List<VipReason>();
            if (paying.Contains(m.Id))
                reasons.Add(new VipReason(VipReasonKind.Paying, 0, payingName));
            if (answers.GetValueOrDefault(m.Id) is var count && count >= rules.AnswersMin)
                reasons.Add(new VipReason(VipReasonKind.HelpsOthers, count, null));
            if (reasons.Count == 0)
                continue;
            var stint = tenure[m.Id];
            reasons.Add(new VipReason(VipReasonKind.Tenure, (int)(now - stint.JoinedAt).TotalDays, stint.Community));
            list.Add(new VipCandidateDto(m.Id, m.DisplayName, m.Layer, reasons, invited.GetValueOrDefault(m.Id)));
        }
        return [.. list.OrderBy(c => c.Invitation is not null).ThenByDescending(c => c.Reasons.Count).ThenBy(c => c.DisplayName).Take(MaxCandidates)];
    }

    /// <summary>
    /// Per member: how many questions of other members asked since <paramref name="since"/> they answered, by replying to
    /// the question or as the first answer the response tracking credited to them.
    /// </summary>
    private async Task<Dictionary<Guid, int>> AnswersAsync(Guid ws, DateTime since, CancellationToken ct)
    {
        var questions = await db.Set<MemberQuestion>().AsNoTracking()
            .Where(q => q.WorkspaceId == ws && q.AskedAt >= since && q.DismissedAt == null)
            .Select(q => new { q.Id, q.CommunityId, q.MessageId, q.MemberId, q.AnsweredByMemberId }).ToListAsync(ct);
        if (questions.Count == 0)
            return [];
        var answered = new HashSet<(Guid Member, Guid Question)>();
        foreach (var q in questions)
        {
            if (q.AnsweredByMemberId is { } by && by != q.MemberId)
                answered.Add((by, q.Id));
        }
        var byMessage = questions.Where(q => q.MessageId != null).GroupBy(q => (q.CommunityId, q.MessageId!)).ToDictionary(g => g.Key, g => g.First());
        // REVIEW: the log has no index on replies; this reads the workspace's member replies of the window, on demand only.
        var replies = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.WorkspaceId == ws && e.Kind == EventKind.MessagePosted && e.OccurredAt >= since && e.ReplyToMessageId != null && !e.FromStaff && e.UserId != null)
            .Select(e => new { e.Platform, e.UserId, e.CommunityId, e.ChatId, e.ReplyToMessageId }).ToListAsync(ct);
        if (replies.Count > 0)
        {
            var chats = await db.Set<PlatformChat>().AsNoTracking().Where(c => c.WorkspaceId == ws)
                .ToDictionaryAsync(c => (c.Platform, c.ChatId), c => c.CommunityId, ct);
            var users = replies.Select(r => r.UserId!).Distinct().ToList();
            var identities = (await db.Set<MemberIdentity>().AsNoTracking().Where(i => i.WorkspaceId == ws && users.Contains(i.UserId))
                .Select(i => new { i.Platform, i.UserId, i.MemberId }).ToListAsync(ct))
                .ToDictionary(i => (i.Platform, i.UserId), i => i.MemberId);
            foreach (var r in replies)
            {
                var community = r.CommunityId ?? (r.ChatId is { } chat && chats.TryGetValue((r.Platform, chat), out var c) ? c : null);
                if (community is not { } cid || !identities.TryGetValue((r.Platform, r.UserId!), out var member))
                    continue;
                if (byMessage.TryGetValue((cid, r.ReplyToMessageId!), out var q) && q.MemberId != member)
                    answered.Add((member, q.Id));
            }
        }
        return answered.GroupBy(a => a.Member).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Invites a candidate to a VIP community: queues the invite and records it, in one audited save.</summary>
    public async Task<VipResult<VipInvitationDto>> InviteAsync(Guid memberId, VipInviteInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayRead(me) || !me!.CanEditCommunities)
            return new(VipOutcome.Forbidden, null, v);
        var member = await db.VisibleMembers(me).AsNoTracking().SingleOrDefaultAsync(m => m.Id == memberId, ct);
        if (member is null)
            return new(VipOutcome.NotFound, null, v);
        var ws = db.CurrentWorkspaceId;
        if (await db.Set<VipInvitation>().AnyAsync(i => i.WorkspaceId == ws && i.MemberId == memberId, ct))
            return new(VipOutcome.Conflict, null, v);

        Community? community = null;
        if (input.CommunityId is not { } communityId)
            v.Add("communityId", "Required", "'communityId' is required.");
        else if ((community = await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct)) is null)
            v.Add("communityId", "UnknownCommunity", $"Unknown community '{communityId}'.", communityId);
        else if (!Community.IsVip(community.Tier))
            v.Add("communityId", "NotVipCommunity", $"'{community.Name}' is not a VIP community (its tier is {community.Tier}).", community.Name);
        if (v.IsValid && (await CandidatesAsync(me, memberId, ct)).Count == 0)
            v.Add("memberId", "NotVipCandidate", $"'{member.DisplayName}' does not meet the VIP rules.", member.DisplayName);
        if (!v.IsValid)
            return new(VipOutcome.Invalid, null, v);
        if (await QueueAsync(me, memberId, member.DisplayName, community!, ct) is not { } queued)
            return new(VipOutcome.Conflict, null, v);
        return new(VipOutcome.Done, new VipInvitationDto(community!.Id, community.Name, queued.Invitation.InvitedAt, queued.Invitation.InvitedById, me.DisplayName,
            queued.Action.Id, null), v);
    }

    /// <summary>
    /// Invites every candidate not invited yet into the rules' auto-invite community, each as <see cref="InviteAsync"/>
    /// would (the acting staff member is the system, in the daily job); returns how many. Nothing when the community is no
    /// longer a VIP community of the workspace.
    /// </summary>
    public async Task<int> AutoInviteAsync(CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayRead(me) || !me!.CanEditCommunities)
            return 0;
        var rules = await LoadRulesAsync(ct);
        if (rules.AutoInviteCommunityId is not { } communityId
            || await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct) is not { } community || !Community.IsVip(community.Tier))
            return 0;
        var invited = 0;
        foreach (var candidate in (await CandidatesAsync(me, null, ct)).Where(c => c.Invitation is null))
        {
            if (await QueueAsync(me, candidate.MemberId, candidate.DisplayName, community, ct) is not null)
                invited++;
        }
        return invited;
    }

    /// <summary>
    /// Writes the invite action and the invitation in one audited save; null when the member was invited meanwhile (by
    /// another staff member or the daily job: the unique index on the member decides).
    /// </summary>
    private async Task<(VipInvitation Invitation, OutboundAction Action)?> QueueAsync(
        StaffProfile me, Guid memberId, string displayName, Community community, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        // On Telegram the link goes to the member in a private message (one action: make the link, send it); a member the
        // bot may not write to (they never started a chat with it) becomes a staff task carrying the link. Elsewhere, and
        // for a member without a Telegram account, the link is made for staff to pass on (a task where it cannot be made).
        var name = EventEffects.Clip("VIP " + displayName, 32);
        var telegramUser = community.Platform == ChatPlatform.Telegram
            ? await db.Set<MemberIdentity>().AsNoTracking().Where(i => i.WorkspaceId == ws && i.MemberId == memberId && i.Platform == ChatPlatform.Telegram)
                .Select(i => i.UserId).FirstOrDefaultAsync(ct)
            : null;
        // No script words this message: it is in the workspace's language for members.
        var words = strings.Table(await Workspaces.WorkspaceSettings.LanguageAsync(db, ws, ct));
        var action = telegramUser is null
            ? OutboundAction.Create(ws, community.Id, ActionKind.CreateInviteLink, new ActionPayload(Name: name, MemberLimit: 1), $"vip-invite:{memberId:N}")
            : OutboundAction.Create(ws, community.Id, ActionKind.SendInvite, new ActionPayload(
                Text: string.Format(System.Globalization.CultureInfo.InvariantCulture, words["Vip.Invite.Message"], displayName, community.Name),
                UserId: telegramUser, Name: name, MemberLimit: 1), $"vip-invite:{memberId:N}");
        action.CausedByStaffId = me.Id == Guid.Empty ? null : me.Id;
        db.Add(action);
        var invitation = new VipInvitation
        {
            WorkspaceId = ws, MemberId = memberId, CommunityId = community.Id, ActionId = action.Id, InvitedById = me.Id == Guid.Empty ? null : me.Id,
        };
        db.Add(invitation);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another staff member invited the same candidate at the same moment (the unique index on the member decided).
            db.ChangeTracker.Clear();
            if (await db.Set<VipInvitation>().AnyAsync(i => i.WorkspaceId == ws && i.MemberId == memberId, ct))
                return null;
            throw;
        }
        signal.Notify();
        return (invitation, action);
    }
}
