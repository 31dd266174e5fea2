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
    private readonly Dictionary<(Guid Community, DateOnly Day), Counts> _figures = [];
    private readonly Dictionary<(Guid Community, Guid Member), Spoken> _spoken = [];
    private readonly HashSet<(Guid Community, DateOnly Day, Guid Member)> _speakers = [];
    private readonly Dictionary<(Guid Community, Guid Member), DateTime> _insideSince = [];
    // The stints the batch opens: written without tracking at the end of each workspace's events (after the changes
    // the same batch makes to them), like the members and identities it makes.
    private readonly List<Membership> _newStints = [];
    private bool _madeCommunities;
    private readonly HashSet<Guid> _made = [];

    public IReadOnlyList<SkippedEvent> Skipped => _skipped;

    /// <summary>The community each applied event (by Seq) belongs to, or null when it was skipped.</summary>
    public IReadOnlyDictionary<long, Community?> CommunityOf => _communities;

    /// <summary>The member of each platform user the batch's member events name, by (workspace, platform, user id).</summary>
    public IReadOnlyDictionary<(Guid Workspace, ChatPlatform Platform, string UserId), Guid> MemberOf => _members;

    /// <summary>The member who brought each join of the batch in (by Seq), when the platform said (the join's actor).</summary>
    public IReadOnlyDictionary<long, Guid> InviterOf => _inviters;

    private readonly Dictionary<long, Guid> _inviters = [];

    /// <summary>
    /// For the members the batch's events name, when their current stint in a community began (they are inside now),
    /// after the batch's joins, leaves and messages.
    /// </summary>
    public IReadOnlyDictionary<(Guid Community, Guid Member), DateTime> InsideSince => _insideSince;

    /// <summary>
    /// Joins (by sequence number) that a reaction earlier in this batch turned away (removed on arrival, join declined):
    /// later reactions do not greet them. The group rules write their actions without tracking them, so they say so here.
    /// </summary>
    public HashSet<long> TurnedAway { get; } = [];

    /// <summary>
    /// Questions the response tracker saw answered in this batch (by a member or staff), whether asked in it or before:
    /// the points reaction rewards helpful answers from it. The tracker writes new questions without tracking them, so it
    /// says so here.
    /// </summary>
    public List<Responses.MemberQuestion> Answered { get; } = [];

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

        // Stints are loaded (and tracked) only where the batch may change them: pairs with a join, leave or new
        // nickname, and speakers with no open stint (a message opens one). Everyone else who speaks is simply inside.
        var changing = new HashSet<(Guid, Guid)>();
        var speaking = new HashSet<(Guid, Guid)>();
        foreach (var e in events)
        {
            if (resolved[e.Seq] is not { } c || !members.TryGetValue((e.Seq, false), out var m))
                continue;
            if (e.Kind == EventKind.MessagePosted)
                speaking.Add((c.Id, m));
            else
                changing.Add((c.Id, m));
        }
        speaking.ExceptWith(changing);
        if (speaking.Count > 0)
        {
            var speakerIds = speaking.Select(p => p.Item2).Where(m => !_made.Contains(m)).Distinct().ToList();
            // By member id alone (the members are this workspace's): with the workspace in the condition SQLite would walk
            // the workspace's (WorkspaceId, JoinedAt) index, every stint of every member, instead of the member id index.
            var open = speakerIds.Count == 0 ? [] : await db.Memberships.IgnoreQueryFilters().AsNoTracking()
                .Where(x => EF.Parameter(speakerIds).Contains(x.MemberId) && x.LeftAt == null)
                .Select(x => new { x.CommunityId, x.MemberId, x.JoinedAt }).ToListAsync(ct);
            foreach (var x in open)
            {
                if (!speaking.Remove((x.CommunityId, x.MemberId)))
                    continue;
                if (!_insideSince.TryGetValue((x.CommunityId, x.MemberId), out var since) || x.JoinedAt > since)
                    _insideSince[(x.CommunityId, x.MemberId)] = x.JoinedAt;
            }
            changing.UnionWith(speaking);
        }
        // Members the batch itself made have no stints in the database yet.
        var loadIds = changing.Select(p => p.Item2).Where(m => !_made.Contains(m)).Distinct().ToList();
        var memberships = loadIds.Count == 0 ? [] : (await db.Memberships.IgnoreQueryFilters()
                .Where(x => EF.Parameter(loadIds).Contains(x.MemberId))
                .ToListAsync(ct))
            .Where(x => changing.Contains((x.CommunityId, x.MemberId)))
            .GroupBy(x => (x.CommunityId, x.MemberId))
            .ToDictionary(g => g.Key, g => g.OrderBy(x => x.JoinedAt).ToList());

        var zone = await zones.GetAsync(ws, ct);

        Counts Figure(Guid communityId, DateOnly day)
        {
            if (!_figures.TryGetValue((communityId, day), out var f))
                _figures[(communityId, day)] = f = new Counts(ws);
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
                    _speakers.Add((community.Id, day, speaker));
                    Spoke(ws, community.Id, speaker, e.OccurredAt);
                    if (changing.Contains((community.Id, speaker)))
                        EnsureInside(Stints(community.Id, speaker), e, ws, community.Id, speaker);
                    break;
                case EventKind.MessageDeleted:
                    Figure(community.Id, day).DeletedMessages++;
                    break;
                case EventKind.NicknameChanged when member is { } m && !string.IsNullOrWhiteSpace(e.UserName):
                    var named = Stints(community.Id, m);
                    var current = named.LastOrDefault(s => s.JoinedAt <= e.OccurredAt) ?? named.LastOrDefault();
                    if (current is not null)
                        current.Nickname = e.UserName;
                    // A member first seen by id only (a WeCom join callback) takes the first name the platform gives.
                    var person = db.Members.Local.FirstOrDefault(x => x.Id == m) ?? await db.Members.IgnoreQueryFilters().FirstOrDefaultAsync(x => x.Id == m, ct);
                    if (person is not null && person.DisplayName == $"{e.Platform}:{e.UserId}")
                        person.DisplayName = Clip(e.UserName.Trim(), Member.NameMaxLength)!;
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
        foreach (var (pair, stints) in memberships)
        {
            if (stints.LastOrDefault(x => x.LeftAt is null) is { } current)
                _insideSince[pair] = current.JoinedAt;
            else
                _insideSince.Remove(pair);
        }
        if (_newStints.Count > 0)
        {
            // A community the batch made is tracked, not written yet: its first stints need its row.
            if (_madeCommunities)
            {
                await db.SaveChangesSetWiseAsync(ct);
                _madeCommunities = false;
            }
            await SetInserts.InsertAsync(db, _newStints, ct);
            _newStints.Clear();
        }
    }

    /// <summary>
    /// Writes the batch's counters (who spoke when, distinct speakers a day, the daily figures) as a few set-wise
    /// upserts. Call after the tracked changes are saved (new members and communities must exist first), in the
    /// same transaction.
    /// </summary>
    public async Task WriteCountsAsync(CancellationToken ct)
    {
        if (_spoken.Count > 0)
        {
            var first = SetWrites.Least(db, "\"MemberActivities\".\"FirstSpokeAt\"", "excluded.\"FirstSpokeAt\"");
            var last = SetWrites.Greatest(db, "\"MemberActivities\".\"LastSpokeAt\"", "excluded.\"LastSpokeAt\"");
            await SetWrites.ExecuteAsync(db,
                """INSERT INTO "MemberActivities" ("CommunityId", "MemberId", "WorkspaceId", "Messages", "FirstSpokeAt", "LastSpokeAt")""",
                [.. _spoken.Select(a => new object[] { a.Key.Item1, a.Key.Item2, a.Value.Workspace, a.Value.Messages, a.Value.First, a.Value.Last })],
                $"""
                ON CONFLICT ("CommunityId", "MemberId") DO UPDATE SET "Messages" = "MemberActivities"."Messages" + excluded."Messages",
                "FirstSpokeAt" = {first}, "LastSpokeAt" = {last}
                """, ct);
        }
        if (_speakers.Count > 0)
        {
            await SetWrites.ExecuteAsync(db,
                """INSERT INTO "DailySpeakers" ("CommunityId", "Day", "MemberId")""",
                [.. _speakers.Select(s => new object[] { s.Item1, s.Item2, s.Item3 })],
                "ON CONFLICT DO NOTHING", ct);
        }
        if (_figures.Count > 0)
        {
            string Add(string column) => $"\"{column}\" = \"CommunityDailyFigures\".\"{column}\" + excluded.\"{column}\"";
            await SetWrites.ExecuteAsync(db,
                """INSERT INTO "CommunityDailyFigures" ("CommunityId", "Day", "WorkspaceId", "Joins", "Leaves", "Messages", "StaffMessages", "Speakers", "DeletedMessages")""",
                [.. _figures.Select(f => new object[] { f.Key.Item1, f.Key.Item2, f.Value.Workspace, f.Value.Joins, f.Value.Leaves, f.Value.Messages, f.Value.StaffMessages, 0, f.Value.DeletedMessages })],
                $"""ON CONFLICT ("CommunityId", "Day") DO UPDATE SET {string.Join(", ", new[] { "Joins", "Leaves", "Messages", "StaffMessages", "DeletedMessages" }.Select(Add))}""",
                ct);
            // Distinct speakers of a day: recounted from who spoke, for the days this batch had speakers on.
            await SetWrites.ExecuteAsync(db,
                """
                UPDATE "CommunityDailyFigures" SET "Speakers" = (SELECT count(*) FROM "DailySpeakers" AS s
                    WHERE s."CommunityId" = "CommunityDailyFigures"."CommunityId" AND s."Day" = "CommunityDailyFigures"."Day")
                WHERE ("CommunityId", "Day") IN (
                """,
                [.. _speakers.Select(s => (s.Item1, s.Item2)).Distinct().Select(d => new object[] { d.Item1, d.Item2 })],
                ")", ct);
        }
    }

    private sealed class Counts(Guid workspace)
    {
        public Guid Workspace { get; } = workspace;
        public int Joins { get; set; }
        public int Leaves { get; set; }
        public int Messages { get; set; }
        public int StaffMessages { get; set; }
        public int DeletedMessages { get; set; }
    }

    private sealed class Spoken(Guid workspace, DateTime at)
    {
        public Guid Workspace { get; } = workspace;
        public int Messages { get; set; }
        public DateTime First { get; set; } = at;
        public DateTime Last { get; set; } = at;
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
        _newStints.Add(stint);
        stints.Add(stint);
        stints.Sort((a, b) => a.JoinedAt.CompareTo(b.JoinedAt));
    }

    private void Spoke(Guid ws, Guid c, Guid m, DateTime t)
    {
        if (!_spoken.TryGetValue((c, m), out var a))
            _spoken[(c, m)] = a = new Spoken(ws, t);
        a.Messages++;
        if (t > a.Last)
            a.Last = t;
        if (t < a.First)
            a.First = t;
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
        _madeCommunities = true;
        return community;
    }

    /// <summary>The member of every member event, by (Seq, isActor).</summary>
    private async Task<Dictionary<(long Seq, bool Actor), Guid>> ResolveMembersAsync(
        Guid ws, List<CommunityEvent> events, Dictionary<long, Community?> resolved, CancellationToken ct)
    {
        var wanted = events.Where(e => resolved[e.Seq] is not null && IsAboutMember(e.Kind) && !(e.FromStaff && e.Kind == EventKind.MessagePosted)).ToList();
        // An erased member's events (scrubbed before they were applied) still count in the figures but make no member.
        static bool Person(string? userId) => userId is not null && !Members.PersonalData.IsErasedAccount(userId);
        var userIds = wanted.Where(e => Person(e.UserId)).Select(e => e.UserId!)
            .Concat(wanted.Where(e => e.Kind == EventKind.MemberJoined && Person(e.ActorId)).Select(e => e.ActorId!))
            .Distinct().ToList();
        var byUser = new Dictionary<(ChatPlatform, string), Guid>();
        // New members and their identities are written at once, without tracking: thousands in a burst of joins, and
        // the reactions after this read them from the database (or by id from MemberOf), not from the context.
        var newMembers = new List<Member>();
        var newIdentities = new List<MemberIdentity>();
        // By platform, so the lookup runs on the (workspace, platform, user) index.
        foreach (var platform in userIds.Count == 0 ? [] : wanted.Select(e => e.Platform).Distinct().ToList())
        {
            var known = await db.Set<MemberIdentity>().IgnoreQueryFilters()
                .Where(i => i.WorkspaceId == ws && i.Platform == platform && EF.Parameter(userIds).Contains(i.UserId))
                .Select(i => new { i.UserId, i.MemberId }).ToListAsync(ct);
            foreach (var i in known)
                byUser[(platform, i.UserId)] = i.MemberId;
        }

        Guid MemberOf(ChatPlatform platform, string userId, string? name)
        {
            if (byUser.TryGetValue((platform, userId), out var id))
                return id;
            var member = new Member { WorkspaceId = ws, DisplayName = Clip(string.IsNullOrWhiteSpace(name) ? $"{platform}:{userId}" : name.Trim(), Member.NameMaxLength)! };
            newMembers.Add(member);
            _made.Add(member.Id);
            newIdentities.Add(new MemberIdentity { WorkspaceId = ws, Platform = platform, UserId = userId, MemberId = member.Id });
            byUser[(platform, userId)] = member.Id;
            return member.Id;
        }

        var result = new Dictionary<(long, bool), Guid>();
        foreach (var e in wanted)
        {
            if (Person(e.UserId))
                result[(e.Seq, false)] = _members[(ws, e.Platform, e.UserId!)] = MemberOf(e.Platform, e.UserId!, e.UserName);
            if (e.Kind == EventKind.MemberJoined && Person(e.ActorId))
                result[(e.Seq, true)] = _inviters[e.Seq] = MemberOf(e.Platform, e.ActorId!, e.ActorName);
        }
        await SetInserts.InsertAsync(db, newMembers, ct);
        await SetInserts.InsertAsync(db, newIdentities, ct);
        return result;
    }

    internal static string? Clip(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
