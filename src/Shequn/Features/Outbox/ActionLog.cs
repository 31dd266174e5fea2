using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Outbox;

/// <summary>Which actions to list. <paramref name="Attention"/>: only failed and undecided uncertain ones.</summary>
public sealed record ActionFilter(Guid? CommunityId = null, ActionStatus? Status = null, ActionKind? Kind = null, bool Attention = false);

/// <summary>An action with the names a reader needs beside it.</summary>
/// <param name="MemberName">The member the action is about, by the name Shequn knows (the payload holds the platform's user id).</param>
public sealed record ActionRow(OutboundAction Action, string CommunityName, string? CausedByStaffName, string? ResolvedByStaffName, string? MemberName = null)
{
    public ActionPayload Payload { get; } = ActionPayload.FromJson(Action.Payload);
}

/// <summary>
/// The actions staff may read: those of the communities they see (all for the owner); a KOC reads none, as she
/// cannot act either. Shared by the community page, <c>/actions</c> and the API.
/// </summary>
public static class ActionLog
{
    public static bool MayRead(StaffProfile? me) => me?.CanEditCommunities == true;

    /// <summary>Newest first; with <paramref name="attentionFirst"/> the failed and undecided uncertain ones come before the rest.</summary>
    public static async Task<Page<ActionRow>> ListAsync(AppDbContext db, StaffProfile me, ActionFilter filter, bool attentionFirst, int? page, int? pageSize, CancellationToken ct)
    {
        var visible = db.Visible(me).Select(c => c.Id);
        var query = db.Set<OutboundAction>().AsNoTracking().Where(a => visible.Contains(a.CommunityId));
        if (filter.CommunityId is { } community)
            query = query.Where(a => a.CommunityId == community);
        if (filter.Status is { } status)
            query = query.Where(a => a.Status == status);
        if (filter.Kind is { } kind)
            query = query.Where(a => a.Kind == kind);
        if (filter.Attention)
            query = query.Where(OutboundAction.NeedsAttention);
        var ordered = attentionFirst
            ? query.OrderByDescending(a => (a.Status == ActionStatus.Failed || a.Status == ActionStatus.Uncertain) && a.Resolution == null).ThenByDescending(a => a.CreatedAt)
            : query.OrderByDescending(a => a.CreatedAt);
        var rows = await ordered.ThenByDescending(a => a.Id).ToPageAsync(page, pageSize, ct);
        return new Page<ActionRow>(await NamedAsync(db, rows.Items, ct), rows.Total, rows.PageNumber, rows.PageSize);
    }

    /// <summary>How many actions of the visible communities need staff (the nav and the community page show it).</summary>
    public static Task<int> AttentionCountAsync(AppDbContext db, StaffProfile me, Guid? communityId, CancellationToken ct)
    {
        var visible = db.Visible(me).Select(c => c.Id);
        var query = db.Set<OutboundAction>().Where(a => visible.Contains(a.CommunityId)).Where(OutboundAction.NeedsAttention);
        return (communityId is { } id ? query.Where(a => a.CommunityId == id) : query).CountAsync(ct);
    }

    public static async Task<IReadOnlyList<ActionRow>> NamedAsync(AppDbContext db, IReadOnlyList<OutboundAction> actions, CancellationToken ct)
    {
        var cids = actions.Select(a => a.CommunityId).Distinct().ToList();
        var sids = actions.SelectMany(a => new[] { a.CausedByStaffId, a.ResolvedByStaffId }).OfType<Guid>().Distinct().ToList();
        var communities = await db.Communities.Where(c => cids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => new { c.Name, c.Platform }, ct);
        var staff = await db.Users.Where(u => u.WorkspaceId == db.CurrentWorkspaceId && sids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var payloads = actions.ToDictionary(a => a.Id, a => ActionPayload.FromJson(a.Payload));
        var uids = payloads.Values.Select(p => p.UserId).OfType<string>().Distinct().ToList();
        var members = (await db.Set<Events.MemberIdentity>().Where(i => uids.Contains(i.UserId))
                .Join(db.Members, i => i.MemberId, m => m.Id, (i, m) => new { i.Platform, i.UserId, m.DisplayName }).ToListAsync(ct))
            .DistinctBy(m => (m.Platform, m.UserId)).ToDictionary(m => (m.Platform, m.UserId), m => m.DisplayName);
        return [.. actions.Select(a =>
        {
            var community = communities.GetValueOrDefault(a.CommunityId);
            var member = payloads[a.Id].UserId is { } uid && community is not null ? members.GetValueOrDefault((community.Platform, uid)) : null;
            return new ActionRow(a, community?.Name ?? "",
                a.CausedByStaffId is { } by ? staff.GetValueOrDefault(by) : null,
                a.ResolvedByStaffId is { } resolver ? staff.GetValueOrDefault(resolver) : null,
                member);
        })];
    }
}
