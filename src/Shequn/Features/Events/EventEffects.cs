using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Events;

/// <summary>
/// What a batch of logged events does to the model: memberships, member activity, daily figures, and the
/// communities and members that events name but Shequn did not know yet. Applied inside the processor's
/// transaction; the caller saves. The rules (see docs/events.md):
/// <list type="bullet">
/// <item>An unknown platform chat becomes a new community (named after the chat); an unknown Shequn community id
///   is skipped and recorded in <see cref="SkippedEvent"/>.</item>
/// <item>An unknown platform user becomes a new member with that identity.</item>
/// <item>Memberships are intervals placed by when things happened, not by arrival: a leave that arrives before its
///   join leaves a closed membership whose start the join fills in later.</item>
/// <item>A message from someone with no membership at that time opens one (they are evidently in the group).</item>
/// <item>Figures count processed events per day in the workspace's time zone (as it is when the event is processed;
///   a later change of zone applies to events processed from then on), so they can be recounted from the log.</item>
/// </list>
/// </summary>
public sealed class EventEffects(AppDbContext db, WorkspaceZones zones)
{
    private readonly List<SkippedEvent> _skipped = [];
    private readonly Dictionary<long, Community?> _communities = [];
    private readonly Dictionary<(Guid, ChatPlatform, string), Guid> _members = [];

    public IReadOnlyList<SkippedEvent> Skipped => _skipped;

    /// <summary>The community each applied event (by Seq) belongs to, or null when it was skipped.</summary>
    public IReadOnlyDictionary<long, Community?> CommunityOf => _communities;

    /// <summary>The member of each platform user the batch's member events name, by (workspace, platform, user id).</summary>
    public IReadOnlyDictionary<(Guid Workspace, ChatPlatform Platform, string UserId), Guid> MemberOf => _members;

    public async Task ApplyAsync(IReadOnlyList<CommunityEvent> events, CancellationToken ct)
    {
        foreach (var group in events.GroupBy(e => e.WorkspaceId))
            await ApplyWorkspaceAsync(group.Key, [.. group], ct);
        db.Set<SkippedEvent>().AddRange(_skipped);
    }

    private static bool IsAboutMember(EventKind k) =>
        k is EventKind.MemberJoined or EventKind.MemberLeft or EventKind.MemberRemoved or EventKind.NicknameChanged or EventKind.MessagePosted;

    private async Task ApplyWorkspaceAsync(Guid ws, List<CommunityEvent> events, CancellationToken ct)
    {
        var resolved = await ResolveCommunitiesAsync(ws, events, ct);
        foreach (var (seq, community) in resolved)
            _communities[seq] = community;
        var members = await ResolveMembersAsync(ws, events, resolved, ct);

        var cids = resolved.Values.Where(c => c is not null).Select(c => c!.Id).Distinct().ToList();
        var mids = members.Values.Distinct().ToList();
        var memberships = (await db.Memberships.IgnoreQueryFilters()
                .Where(m => m.WorkspaceId == ws && cids.Contains(m.CommunityId) && mids.Contains(m.MemberId))
                .ToListAsync(ct))
            .GroupBy(m => (m.CommunityId, m.MemberId))
            .ToDictionary(g => g.Key, g => g.OrderBy(m => m.JoinedAt).ToList());
        var activity = await db.Set<MemberActivity>()
            .Where(a => cids.Contains(a.CommunityId) && mids.Contains(a.MemberId))
            .ToDictionaryAsync(a => (a.CommunityId, a.MemberId), ct);

        var zone = await zones.GetAsync(ws, ct);
        var days = events.Select(e => DailyFigures.DayOf(e.OccurredAt, zone)).ToList();
        var (minDay, maxDay) = (days.Min(), days.Max());
        var figures = await db.Set<CommunityDailyFigure>()
            .Where(f => cids.Contains(f.CommunityId) && f.Day >= minDay && f.Day <= maxDay)
            .ToDictionaryAsync(f => (f.CommunityId, f.Day), ct);
        var speakers = (await db.Set<DailySpeaker>().AsNoTracking()
                .Where(s => cids.Contains(s.CommunityId) && mids.Contains(s.MemberId) && s.Day >= minDay && s.Day <= maxDay)
                .Select(s => new { s.CommunityId, s.Day, s.MemberId })
                .ToListAsync(ct))
            .Select(s => (s.CommunityId, s.Day, s.MemberId)).ToHashSet();

        CommunityDailyFigure Figure(Guid communityId, DateOnly day)
        {
            if (!figures.TryGetValue((communityId, day), out var f))
            {
                f = new CommunityDailyFigure { WorkspaceId = ws, CommunityId = communityId, Day = day };
                figures[(communityId, day)] = f;
                db.Set<CommunityDailyFigure>().Add(f);
            }
            return f;
        }

        List<Membership> Stints(Guid c, Guid m)
        {
            if (!memberships.TryGetValue((c, m), out var list))
                memberships[(c, m)] = list = [];
            return list;
        }

        foreach (var e in events)
        {
            if (resolved[e.Seq] is not { } community)
                continue;
            var day = DailyFigures.DayOf(e.OccurredAt, zone);
            var member = members.TryGetValue((e.Seq, false), out var mid) ? mid : (Guid?)null;
            switch (e.Kind)
            {
                case EventKind.MemberJoined when member is { } m:
                    Join(Stints(community.Id, m), e, ws, community.Id, m, members.TryGetValue((e.Seq, true), out var inviter) ? inviter : null);
                    Figure(community.Id, day).Joins++;
                    break;
                case EventKind.MemberLeft or EventKind.MemberRemoved when member is { } m:
                    Leave(Stints(community.Id, m), e.OccurredAt, ws, community.Id, m);
                    Figure(community.Id, day).Leaves++;
                    break;
                case EventKind.MessagePosted:
                    var f = Figure(community.Id, day);
                    f.Messages++;
                    if (e.FromStaff || member is not { } speaker)
                    {
                        f.StaffMessages += e.FromStaff ? 1 : 0;
                        break;
                    }
                    if (speakers.Add((community.Id, day, speaker)))
                    {
                        f.Speakers++;
                        db.Set<DailySpeaker>().Add(new DailySpeaker { CommunityId = community.Id, Day = day, MemberId = speaker });
                    }
                    Spoke(activity, ws, community.Id, speaker, e.OccurredAt);
                    EnsureInside(Stints(community.Id, speaker), e, ws, community.Id, speaker);
                    break;
                case EventKind.MessageDeleted:
                    Figure(community.Id, day).DeletedMessages++;
                    break;
                case EventKind.NicknameChanged when member is { } m && !string.IsNullOrWhiteSpace(e.UserName):
                    var stints = Stints(community.Id, m);
                    var current = stints.LastOrDefault(s => s.JoinedAt <= e.OccurredAt) ?? stints.LastOrDefault();
                    if (current is not null)
                        current.Nickname = e.UserName;
                    // A member first seen by id only (a WeCom join callback) takes the first name the platform gives.
                    var named = db.Members.Local.FirstOrDefault(x => x.Id == m) ?? await db.Members.IgnoreQueryFilters().FirstOrDefaultAsync(x => x.Id == m, ct);
                    if (named is not null && named.DisplayName == $"{e.Platform}:{e.UserId}")
                        named.DisplayName = Clip(e.UserName.Trim(), Member.NameMaxLength)!;
                    break;
                case EventKind.CommunityRenamed when !string.IsNullOrWhiteSpace(e.Text):
                    await RenameAsync(community, e.Text.Trim(), ct);
                    break;
                case EventKind.CommunityDismissed:
                    if (community.State != CommunityState.Dissolved)
                    {
                        community.State = CommunityState.Dissolved;
                        community.UpdatedAt = DateTime.UtcNow;
                    }
                    break;
            }
        }
    }

    private void Join(List<Membership> stints, CommunityEvent e, Guid ws, Guid c, Guid m, Guid? inviter)
    {
        var t = e.OccurredAt;
        var inside = stints.FirstOrDefault(s => s.JoinedAt <= t && (s.LeftAt is null || t <= s.LeftAt));
        if (inside is not null)
        {
            Fill(inside);
            return;
        }
        // The next stint began later with no leave in between that we know of: it began here.
        var next = stints.FirstOrDefault(s => s.JoinedAt > t);
        if (next is not null)
        {
            next.JoinedAt = t;
            Fill(next);
            return;
        }
        var stint = new Membership { WorkspaceId = ws, CommunityId = c, MemberId = m, JoinedAt = t };
        Fill(stint);
        Add(stints, stint);

        void Fill(Membership s)
        {
            s.Nickname ??= Clip(e.UserName, Member.NameMaxLength);
            s.Channel ??= Clip(e.Channel, Member.FieldMaxLength);
            s.InviterMemberId ??= inviter == m ? null : inviter;
        }
    }

    private void Leave(List<Membership> stints, DateTime t, Guid ws, Guid c, Guid m)
    {
        var inside = stints.FirstOrDefault(s => s.JoinedAt <= t && (s.LeftAt is null || t <= s.LeftAt));
        if (inside is not null)
        {
            inside.LeftAt ??= t;
            return;
        }
        // Not in the group at that time as far as we know: the join has not arrived yet. Record the stint with the
        // leave as both ends; the join, when it comes, moves the start back.
        Add(stints, new Membership { WorkspaceId = ws, CommunityId = c, MemberId = m, JoinedAt = t, LeftAt = t });
    }

    private void EnsureInside(List<Membership> stints, CommunityEvent e, Guid ws, Guid c, Guid m)
    {
        var t = e.OccurredAt;
        if (stints.Any(s => s.JoinedAt <= t && (s.LeftAt is null || t <= s.LeftAt)) || stints.Any(s => s.LeftAt is null))
            return;
        var next = stints.FirstOrDefault(s => s.JoinedAt > t && s.LeftAt == s.JoinedAt);
        if (next is not null)
        {
            next.JoinedAt = t;
            return;
        }
        Add(stints, new Membership { WorkspaceId = ws, CommunityId = c, MemberId = m, JoinedAt = t, Nickname = Clip(e.UserName, Member.NameMaxLength) });
    }

    private void Add(List<Membership> stints, Membership stint)
    {
        db.Memberships.Add(stint);
        stints.Add(stint);
        stints.Sort((a, b) => a.JoinedAt.CompareTo(b.JoinedAt));
    }

    private void Spoke(Dictionary<(Guid, Guid), MemberActivity> activity, Guid ws, Guid c, Guid m, DateTime t)
    {
        if (!activity.TryGetValue((c, m), out var a))
        {
            a = new MemberActivity { WorkspaceId = ws, CommunityId = c, MemberId = m, FirstSpokeAt = t, LastSpokeAt = t };
            activity[(c, m)] = a;
            db.Set<MemberActivity>().Add(a);
        }
        a.Messages++;
        if (t > a.LastSpokeAt)
            a.LastSpokeAt = t;
        if (t < a.FirstSpokeAt)
            a.FirstSpokeAt = t;
    }

    private async Task RenameAsync(Community community, string title, CancellationToken ct)
    {
        title = Clip(title, Community.NameMaxLength)!;
        if (community.Name == title)
            return;
        var taken = db.Communities.Local.Any(c => c.WorkspaceId == community.WorkspaceId && c.Name == title)
            || await db.Communities.IgnoreQueryFilters().AnyAsync(c => c.WorkspaceId == community.WorkspaceId && c.Name == title, ct);
        if (taken)
            return;
        community.Name = title;
        community.UpdatedAt = DateTime.UtcNow;
    }

    /// <summary>The community of every event (by Seq), or null when it is skipped.</summary>
    private async Task<Dictionary<long, Community?>> ResolveCommunitiesAsync(Guid ws, List<CommunityEvent> events, CancellationToken ct)
    {
        var ids = events.Where(e => e.CommunityId is not null).Select(e => e.CommunityId!.Value).Distinct().ToList();
        var chatIds = events.Where(e => e.CommunityId is null && e.ChatId is not null).Select(e => e.ChatId!).Distinct().ToList();
        var chats = chatIds.Count == 0 ? [] : await db.Set<PlatformChat>().IgnoreQueryFilters()
            .Where(p => p.WorkspaceId == ws && chatIds.Contains(p.ChatId)).ToListAsync(ct);
        var byChat = chats.ToDictionary(p => (p.Platform, p.ChatId), p => p.CommunityId);
        // Groups a connected Telegram bot reported wait for approval: their events are held back (skipped) until staff
        // approve the group, and a migrated group's old id still finds its community.
        var held = await Connectors.Telegram.TelegramChatApprovals.ResolveAsync(db, ws,
            events.Where(e => e.CommunityId is null && e.Platform == ChatPlatform.Telegram && e.ChatId is not null && !byChat.ContainsKey((e.Platform, e.ChatId)))
                .Select(e => e.ChatId!).Distinct().ToList(), ct);
        foreach (var (chatId, cid) in held)
            if (cid is { } approved)
                byChat[(ChatPlatform.Telegram, chatId)] = approved;
        ids.AddRange(byChat.Values);
        var communities = await db.Communities.IgnoreQueryFilters()
            .Where(c => c.WorkspaceId == ws && ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);

        var result = new Dictionary<long, Community?>();
        foreach (var e in events)
        {
            Community? community = null;
            if (e.CommunityId is { } id)
                communities.TryGetValue(id, out community);
            else if (e.ChatId is { } chatId)
            {
                if (byChat.TryGetValue((e.Platform, chatId), out var cid))
                    communities.TryGetValue(cid, out community);
                else if (e.Platform == ChatPlatform.Telegram && held.ContainsKey(chatId))
                {
                    _skipped.Add(new SkippedEvent { Seq = e.Seq, WorkspaceId = ws, Reason = "telegram group not approved" });
                    result[e.Seq] = null;
                    continue;
                }
                else
                {
                    community = await CreateCommunityAsync(ws, e, ct);
                    byChat[(e.Platform, chatId)] = community.Id;
                    communities[community.Id] = community;
                    db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = ws, Platform = e.Platform, ChatId = chatId, CommunityId = community.Id });
                }
            }
            if (community is null)
                _skipped.Add(new SkippedEvent { Seq = e.Seq, WorkspaceId = ws, Reason = e.CommunityId is null ? "no community or chat id" : "unknown community" });
            result[e.Seq] = community;
        }
        return result;
    }

    private async Task<Community> CreateCommunityAsync(Guid ws, CommunityEvent e, CancellationToken ct)
    {
        var baseName = Clip(string.IsNullOrWhiteSpace(e.ChatTitle) ? $"{e.Platform} {e.ChatId}" : e.ChatTitle.Trim(), Community.NameMaxLength - 12)!;
        var name = baseName;
        for (var n = 2; ; n++)
        {
            var candidate = name;
            var taken = db.Communities.Local.Any(c => c.WorkspaceId == ws && c.Name == candidate)
                || await db.Communities.IgnoreQueryFilters().AnyAsync(c => c.WorkspaceId == ws && c.Name == candidate, ct);
            if (!taken)
                break;
            name = $"{baseName} ({n})";
        }
        var community = new Community
        {
            WorkspaceId = ws,
            Name = name,
            Platform = e.Platform,
            Capacity = Math.Min(Community.PlatformCapacityLimit(e.Platform), 500),
            Type = CommunityType.Content,
            Tier = CommunityTier.Comprehensive,
            Purpose = null,
        };
        db.Communities.Add(community);
        return community;
    }

    /// <summary>The member of every member event, by (Seq, isActor).</summary>
    private async Task<Dictionary<(long Seq, bool Actor), Guid>> ResolveMembersAsync(
        Guid ws, List<CommunityEvent> events, Dictionary<long, Community?> resolved, CancellationToken ct)
    {
        var wanted = events.Where(e => resolved[e.Seq] is not null && IsAboutMember(e.Kind) && !(e.FromStaff && e.Kind == EventKind.MessagePosted));
        var userIds = wanted.Where(e => e.UserId is not null).Select(e => e.UserId!)
            .Concat(wanted.Where(e => e.Kind == EventKind.MemberJoined && e.ActorId is not null).Select(e => e.ActorId!))
            .Distinct().ToList();
        var known = userIds.Count == 0 ? [] : await db.Set<MemberIdentity>().IgnoreQueryFilters()
            .Where(i => i.WorkspaceId == ws && userIds.Contains(i.UserId))
            .Select(i => new { i.Platform, i.UserId, i.MemberId }).ToListAsync(ct);
        var byUser = known.ToDictionary(i => (i.Platform, i.UserId), i => i.MemberId);

        Guid MemberOf(ChatPlatform platform, string userId, string? name)
        {
            if (byUser.TryGetValue((platform, userId), out var id))
                return id;
            var member = new Member { WorkspaceId = ws, DisplayName = Clip(string.IsNullOrWhiteSpace(name) ? $"{platform}:{userId}" : name.Trim(), Member.NameMaxLength)! };
            db.Members.Add(member);
            db.Set<MemberIdentity>().Add(new MemberIdentity { WorkspaceId = ws, Platform = platform, UserId = userId, MemberId = member.Id });
            byUser[(platform, userId)] = member.Id;
            return member.Id;
        }

        var result = new Dictionary<(long, bool), Guid>();
        foreach (var e in wanted)
        {
            if (e.UserId is not null)
                result[(e.Seq, false)] = _members[(ws, e.Platform, e.UserId)] = MemberOf(e.Platform, e.UserId, e.UserName);
            if (e.Kind == EventKind.MemberJoined && e.ActorId is not null)
                result[(e.Seq, true)] = MemberOf(e.Platform, e.ActorId, e.ActorName);
        }
        return result;
    }

    internal static string? Clip(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
