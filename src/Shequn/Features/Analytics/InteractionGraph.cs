using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Analytics;

/// <summary>
/// Who engaged whom in a community on a day (the workspace's day, <see cref="DailyFigures.DayOf"/>): replies from
/// <see cref="FromMemberId"/> to messages of <see cref="ToMemberId"/>, and mentions of them by <c>@name</c>. The row whose
/// two ends are the same member carries only <see cref="Messages"/>, the messages that member posted that day (nobody
/// replies to or mentions themselves here). Kept by <see cref="InteractionGraphReaction"/>; the KOC ranking reads only these.
/// </summary>
public sealed class InteractionEdge : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public DateOnly Day { get; set; }
    public Guid FromMemberId { get; set; }
    public Guid ToMemberId { get; set; }
    public int Replies { get; set; }
    public int Mentions { get; set; }
    public int Messages { get; set; }
}

/// <summary>
/// Who posted a message, by the platform's message id in the community: how a later reply finds whom it answers without
/// reading the event log (which has no message id index, on purpose). Members' messages only.
/// </summary>
public sealed class InteractionMessage : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public required string MessageId { get; set; }
    public Guid MemberId { get; set; }
    public DateTime At { get; set; }
}

internal sealed class InteractionEdgeConfiguration : IEntityTypeConfiguration<InteractionEdge>
{
    public void Configure(EntityTypeBuilder<InteractionEdge> b)
    {
        b.ToTable("InteractionEdges");
        // The upsert's key; a community's (or several's) date range reads on its prefix.
        b.HasKey(e => new { e.CommunityId, e.Day, e.FromMemberId, e.ToMemberId });
    }
}

internal sealed class InteractionMessageConfiguration : IEntityTypeConfiguration<InteractionMessage>
{
    public void Configure(EntityTypeBuilder<InteractionMessage> b)
    {
        b.ToTable("InteractionMessages");
        b.HasKey(m => new { m.CommunityId, m.MessageId });
        // The prune job forgets the oldest first.
        b.HasIndex(m => m.At);
        b.Property(m => m.MessageId).HasMaxLength(CommunityEvent.IdMaxLength);
    }
}

/// <summary>
/// Keeps the interaction graph as the processor applies events, in its transaction (so each event counts once, whatever
/// is redelivered or retried). For each message a member posts in a known community:
/// <list type="bullet">
/// <item>the sender's own row counts the message;</item>
/// <item>a reply (<see cref="CommunityEvent.ReplyToMessageId"/>) to a message another member posted (earlier in the batch,
/// or remembered in <see cref="InteractionMessage"/>) is a reply edge sender → that member;</item>
/// <item>each other member named by <c>@name</c> in the text (see <see cref="Mentions"/>) is a mention edge, once per message.</item>
/// </list>
/// Staff messages (<see cref="CommunityEvent.FromStaff"/>, the bot's included) make no edges, and replies to them none
/// either: staff are not members in the model (the processor gives their messages no member), so they are not nodes of
/// the graph and never in the ranking. Self-replies and self-mentions are not counted.
/// </summary>
public sealed class InteractionGraphReaction(WorkspaceZones zones) : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        foreach (var group in events.Where(e => e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId is not null).GroupBy(e => e.WorkspaceId))
            await WorkspaceAsync(db, group.Key, [.. group], effects, ct);
        return 0;
    }

    private async Task WorkspaceAsync(AppDbContext db, Guid ws, List<CommunityEvent> posts, EventEffects effects, CancellationToken ct)
    {
        var mine = new List<(CommunityEvent E, Guid Community, Guid Member)>(posts.Count);
        foreach (var e in posts)
        {
            if (effects.CommunityOf.GetValueOrDefault(e.Seq) is { } c && effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var m))
                mine.Add((e, c.Id, m));
        }
        if (mine.Count == 0)
            return;
        var zone = await zones.GetAsync(ws, ct);

        // Senders of the messages the batch's replies name, from earlier batches (this batch's own are added as they pass).
        var posted = new Dictionary<(Guid Community, string MessageId), Guid>();
        var targets = mine.Where(p => p.E.ReplyToMessageId is not null).Select(p => p.E.ReplyToMessageId!).Distinct().ToList();
        if (targets.Count > 0)
        {
            var communities = mine.Where(p => p.E.ReplyToMessageId is not null).Select(p => p.Community).Distinct().ToList();
            foreach (var r in await db.Set<InteractionMessage>().IgnoreQueryFilters().AsNoTracking()
                .Where(x => communities.Contains(x.CommunityId) && targets.Contains(x.MessageId))
                .Select(x => new { x.CommunityId, x.MessageId, x.MemberId }).ToListAsync(ct))
                posted[(r.CommunityId, r.MessageId)] = r.MemberId;
        }

        // Names only for the communities where someone wrote an '@'.
        var named = mine.Where(p => p.E.Text?.Contains('@', StringComparison.Ordinal) == true).Select(p => p.Community).Distinct().ToList();
        var names = named.Count == 0 ? new Dictionary<Guid, Mentions>() : await Mentions.LoadAsync(db, ws, named, ct);

        var edges = new Dictionary<(Guid Community, DateOnly Day, Guid From, Guid To), (int Replies, int Mentions, int Messages)>();
        void Tally(Guid community, DateOnly day, Guid from, Guid to, int replies, int mentions, int messages)
        {
            var key = (community, day, from, to);
            var v = edges.GetValueOrDefault(key);
            edges[key] = (v.Replies + replies, v.Mentions + mentions, v.Messages + messages);
        }

        var remembered = new List<InteractionMessage>();
        foreach (var (e, community, member) in mine)
        {
            var day = DailyFigures.DayOf(e.OccurredAt, zone);
            Tally(community, day, member, member, 0, 0, 1);
            if (e.ReplyToMessageId is { } target && posted.TryGetValue((community, target), out var answered) && answered != member)
                Tally(community, day, member, answered, 1, 0, 0);
            if (names.TryGetValue(community, out var table))
            {
                foreach (var to in table.Find(e.Text!).Where(to => to != member))
                    Tally(community, day, member, to, 0, 1, 0);
            }
            if (!string.IsNullOrEmpty(e.MessageId) && e.MessageId.Length <= CommunityEvent.IdMaxLength && posted.TryAdd((community, e.MessageId), member))
                remembered.Add(new InteractionMessage { WorkspaceId = ws, CommunityId = community, MessageId = e.MessageId, MemberId = member, At = e.OccurredAt });
        }

        if (remembered.Count > 0)
        {
            // A message id seen before (a platform reusing one) keeps its first sender.
            await SetWrites.ExecuteAsync(db,
                """INSERT INTO "InteractionMessages" ("CommunityId", "MessageId", "WorkspaceId", "MemberId", "At")""",
                [.. remembered.Select(m => new object[] { m.CommunityId, m.MessageId, m.WorkspaceId, m.MemberId, m.At })],
                "ON CONFLICT DO NOTHING", ct);
        }
        string Add(string column) => $"\"{column}\" = \"InteractionEdges\".\"{column}\" + excluded.\"{column}\"";
        await SetWrites.ExecuteAsync(db,
            """INSERT INTO "InteractionEdges" ("CommunityId", "Day", "FromMemberId", "ToMemberId", "WorkspaceId", "Replies", "Mentions", "Messages")""",
            [.. edges.Select(x => new object[] { x.Key.Community, x.Key.Day, x.Key.From, x.Key.To, ws, x.Value.Replies, x.Value.Mentions, x.Value.Messages })],
            $"""ON CONFLICT ("CommunityId", "Day", "FromMemberId", "ToMemberId") DO UPDATE SET {Add("Replies")}, {Add("Mentions")}, {Add("Messages")}""",
            ct);
    }
}

/// <summary>
/// Mentions in a message's text, for platforms whose events carry no structured mention (none of ours keeps one in the
/// log): an <c>@</c> not preceded by a Latin letter or digit (so not an e-mail address), followed by the name a member of
/// the community goes by there (their nickname in the group, or their display name), case-insensitively. The longest name
/// that fits wins; a name ending in a Latin letter or digit must not run on into another (<c>@Al</c> is not in
/// <c>@Alice</c>), while a Chinese name may be followed directly by text (<c>@张三你好</c>). A name two current members share
/// names nobody. Each member counts once per message.
/// </summary>
public sealed class Mentions
{
    private readonly Dictionary<string, Guid?> _byName = new(StringComparer.OrdinalIgnoreCase);
    private int _longest;

    public Mentions(IEnumerable<(Guid Member, string? Name)> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var (member, raw) in names)
        {
            var name = raw?.Trim();
            if (string.IsNullOrEmpty(name))
                continue;
            // The same member under the same name twice is still one; two members under one name is ambiguous.
            _byName[name] = _byName.TryGetValue(name, out var had) && had != member ? null : member;
            _longest = Math.Max(_longest, name.Length);
        }
    }

    /// <summary>The current members of each community, by nickname and display name.</summary>
    public static async Task<Dictionary<Guid, Mentions>> LoadAsync(AppDbContext db, Guid ws, IReadOnlyList<Guid> communities, CancellationToken ct)
    {
        var rows = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(x => x.WorkspaceId == ws && communities.Contains(x.CommunityId) && x.LeftAt == null)
            .Select(x => new { x.CommunityId, x.MemberId, x.Nickname, x.Member!.DisplayName })
            .ToListAsync(ct);
        return communities.ToDictionary(c => c, c => new Mentions(rows.Where(r => r.CommunityId == c)
            .SelectMany(r => new[] { (r.MemberId, r.Nickname), (r.MemberId, (string?)r.DisplayName) })));
    }

    private static bool IsLatinWord(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>The members the text mentions, each once.</summary>
    public IReadOnlyList<Guid> Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new List<Guid>();
        for (var at = text.IndexOf('@', StringComparison.Ordinal); at >= 0; at = text.IndexOf('@', at + 1))
        {
            if (at > 0 && IsLatinWord(text[at - 1]))
                continue;
            var start = at + 1;
            for (var length = Math.Min(_longest, text.Length - start); length > 0; length--)
            {
                if (!_byName.TryGetValue(text.Substring(start, length), out var member))
                    continue;
                var end = start + length;
                if (end < text.Length && IsLatinWord(text[end - 1]) && IsLatinWord(text[end]))
                    continue;
                if (member is { } m && !found.Contains(m))
                    found.Add(m);
                break;
            }
        }
        return found;
    }
}
